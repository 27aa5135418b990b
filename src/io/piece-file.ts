/**
 * Files made of pieces: a CSV as text pieces one after another, a workbook as a zip whose
 * sheet entry is raw-deflate pieces one after another. A deflated piece ends on a byte
 * boundary with a full flush (no back-references into the piece before it), so pieces
 * compressed at different times join into one valid deflate stream, and the entry's CRC-32
 * comes from the pieces' CRCs (crc32Combine). A piece that did not change is copied from
 * the previous file instead of being made again: a file of a million rows then costs a copy
 * of its bytes, not a compression (src/app/whole-history.ts keeps where each piece lies).
 */
import { createHash, type Hash } from 'node:crypto';
import { constants, crc32, deflateRawSync } from 'node:zlib';
import { open, type FileHandle } from 'node:fs/promises';
import { crc32Combine } from '../core/crc32-combine.js';
import { dataDescriptor, dosDateTime, endRecord, entryHeaders } from './memory-zip.js';

/** A piece as it goes into the file, with the size and CRC-32 of its text (for a deflated one, before compression). */
export interface Piece {
  data: Buffer;
  raw: number;
  crc: number;
  /** CRC-32 of `data` where it is known already (a piece copied from an earlier file). */
  zcrc?: number;
}

/** Where a piece lies in a file written here, and the CRC-32 of its bytes there (checked when it is copied). */
export interface PlacedPiece {
  at: number;
  length: number;
  raw: number;
  crc: number;
  /** CRC-32 of the bytes in the file (for a text piece the same as `crc`). */
  zcrc: number;
}

/** `text` compressed (level 1) as a piece that ends on a byte boundary; `last` ends the deflate stream. */
export function deflatePiece(text: string | Buffer, last = false): Piece {
  const raw = typeof text === 'string' ? Buffer.from(text) : text;
  const finishFlush = last ? constants.Z_FINISH : constants.Z_FULL_FLUSH;
  return { data: deflateRawSync(raw, { level: 1, finishFlush }), raw: raw.length, crc: crc32(raw) };
}

export function textPiece(text: string): Piece {
  const data = Buffer.from(text);
  return { data, raw: data.length, crc: crc32(data) };
}

/** The bytes of an earlier file's piece did not read back as written (a damaged or replaced file). */
export class PieceMismatch extends Error {
  constructor(path: string, at: number) {
    super(`${path}: the piece at byte ${at} is not what was written there`);
  }
}

/** Bytes read ahead at once: unchanged pieces lie one after another, and a read per piece costs a round trip each. */
const READ_AHEAD = 1 << 20;

/** Pieces read back from the file an earlier run wrote, each checked against its CRC. */
export class PieceReader {
  /** The bytes read ahead, starting at `windowAt`. */
  private window = Buffer.alloc(0);
  private windowAt = 0;
  private constructor(
    private readonly fh: FileHandle,
    readonly path: string,
  ) {}

  static async open(path: string): Promise<PieceReader> {
    return new PieceReader(await open(path, 'r'), path);
  }

  async read(p: PlacedPiece): Promise<Piece> {
    const end = p.at + p.length;
    if (p.at < this.windowAt || end > this.windowAt + this.window.length) {
      const wanted = Math.max(p.length, READ_AHEAD);
      const buf = Buffer.allocUnsafe(wanted);
      const { bytesRead } = await this.fh.read(buf, 0, wanted, p.at);
      this.window = buf.subarray(0, bytesRead);
      this.windowAt = p.at;
    }
    const data = this.window.subarray(p.at - this.windowAt, end - this.windowAt);
    if (data.length !== p.length || crc32(data) !== p.zcrc) throw new PieceMismatch(this.path, p.at);
    return { data, raw: p.raw, crc: p.crc, zcrc: p.zcrc };
  }

  close(): Promise<void> {
    return this.fh.close();
  }
}

/**
 * Bytes appended to a file in chunks of about a megabyte, with the offset of the next one,
 * and the SHA-256 of every byte (the sums of the exports), taken as they go out: the file is
 * never read back for it.
 */
class Appender {
  at = 0;
  private queued: Buffer[] = [];
  private queuedBytes = 0;
  private readonly hash: Hash = createHash('sha256');
  constructor(readonly fh: FileHandle) {}

  async write(data: Buffer): Promise<void> {
    this.hash.update(data);
    this.queued.push(data);
    this.queuedBytes += data.length;
    this.at += data.length;
    if (this.queuedBytes >= 1 << 20) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.queuedBytes === 0) return;
    const chunks = this.queued;
    this.queued = [];
    this.queuedBytes = 0;
    await this.fh.writev(chunks);
  }

  /** The SHA-256 (hex) of everything written; once, at the end. */
  sha256(): string {
    return this.hash.digest('hex');
  }
}

/** A file being written piece by piece: `add` appends one and says where it lies; `finish` completes and closes the file and gives its SHA-256 (hex). */
export interface PieceWriter {
  add(p: Piece): Promise<PlacedPiece>;
  finish(): Promise<string>;
  /** Closes the file after a failure, unless it is closed already (the caller removes it). */
  abort(): Promise<void>;
}

/** Closes `fh` once, however often it is asked to. */
function closer(fh: FileHandle): () => Promise<void> {
  let closed: Promise<void> | null = null;
  return () => {
    closed ??= fh.close();
    return closed;
  };
}

/** A text file: `head` (written first, not placed), then the pieces. */
export async function openTextPieces(path: string, head: Piece, mode: number): Promise<PieceWriter> {
  const fh = await open(path, 'w', mode);
  const close = closer(fh);
  const a = new Appender(fh);
  await a.write(head.data);
  return {
    async add(p) {
      const placed = { at: a.at, length: p.data.length, raw: p.raw, crc: p.crc, zcrc: p.zcrc ?? crc32(p.data) };
      await a.write(p.data);
      return placed;
    },
    async finish() {
      try {
        await a.flush();
      } finally {
        await close();
      }
      return a.sha256();
    },
    abort: close,
  };
}

/** A zip entry as a whole: stored, or compressed when it is written. */
export interface WholeEntry {
  name: string;
  deflate: boolean;
  data: Buffer;
}

/** A zip whose entry `pieces` is made of deflate pieces between `head` and `tail` (the only one to end the stream). */
export interface ZipFrame {
  before: readonly WholeEntry[];
  pieces: { name: string; head: Piece; tail: Piece };
  after: readonly WholeEntry[];
  stampMs: number;
}

/**
 * Opens a zip of `frame` at `path` (created or truncated), every entry stamped
 * `frame.stampMs`. The piece entry's size and CRC (combined from the pieces') are known only
 * at the end: they follow its data in a data descriptor (APPNOTE 4.3.9), its local header
 * holding zeros, so every byte is written once and in order (and hashed as it goes).
 */
export async function openZipPieces(path: string, frame: ZipFrame, mode: number): Promise<PieceWriter> {
  const { date, time } = dosDateTime(frame.stampMs);
  const fh = await open(path, 'w', mode);
  const close = closer(fh);
  const a = new Appender(fh);
  const central: Buffer[] = [];
  const whole = async (e: WholeEntry): Promise<void> => {
    const data = e.deflate ? deflatePiece(e.data, true) : { data: e.data, raw: e.data.length, crc: crc32(e.data) };
    const h = entryHeaders(
      { name: e.name, deflate: e.deflate, crc: data.crc, compressed: data.data.length, raw: data.raw },
      a.at,
      time,
      date,
    );
    await a.write(h.local);
    await a.write(data.data);
    central.push(h.central);
  };
  const name = frame.pieces.name;
  let offset = 0;
  let start = 0;
  let crc = 0;
  let raw = 0;
  const append = async (p: Piece): Promise<PlacedPiece> => {
    const placed = { at: a.at, length: p.data.length, raw: p.raw, crc: p.crc, zcrc: p.zcrc ?? crc32(p.data) };
    await a.write(p.data);
    crc = crc32Combine(crc, p.crc, p.raw);
    raw += p.raw;
    return placed;
  };
  try {
    for (const e of frame.before) await whole(e);
    offset = a.at;
    const zeros = { name, deflate: true, crc: 0, compressed: 0, raw: 0, described: true };
    await a.write(entryHeaders(zeros, offset, time, date).local);
    start = a.at;
    await append(frame.pieces.head);
  } catch (e) {
    await close();
    throw e;
  }
  return {
    add: append,
    async finish() {
      try {
        await append(frame.pieces.tail);
        const fields = { name, deflate: true, crc, compressed: a.at - start, raw, described: true };
        await a.write(dataDescriptor(fields));
        central.push(entryHeaders(fields, offset, time, date).central);
        for (const e of frame.after) await whole(e);
        const cdAt = a.at;
        for (const c of central) await a.write(c);
        await a.write(endRecord(central.length, a.at - cdAt, cdAt));
        await a.flush();
      } finally {
        await close();
      }
      return a.sha256();
    },
    abort: close,
  };
}
