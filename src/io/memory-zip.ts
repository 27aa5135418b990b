/**
 * The zip container of a small workbook, built in memory (zipParts): of every workbook made
 * from exceljs' template (xlsx-sheet.ts), and, as MemoryZip, in place of the archiver
 * instance inside exceljs' WorkbookWriter when exceljs writes a small workbook itself (the
 * template, and the tests' reference). Archiver runs each entry through a chain of streams;
 * for the few KB of a small workbook's ten parts that chain cost more than the XML
 * (docs/PERFORMANCE.md, "Speed mechanisms"). This writes plain zip (PKWARE APPNOTE 4.3.7): a
 * local header and the data per entry, then the central directory, no data descriptors,
 * every entry with the same fixed time, so the same rows give the same bytes.
 */
import { EventEmitter } from 'node:events';
import { Writable } from 'node:stream';
import { crc32, deflateRawSync } from 'node:zlib';

interface Entry {
  name: string;
  deflate: boolean;
  /** The entry's bytes, once known (a streamed part's when its stream has ended). */
  data: Promise<Buffer>;
}

/** A DOS date and time (what zip headers hold), from the UTC fields of `ms`, no earlier than 1980. */
export function dosDateTime(ms: number): { date: number; time: number } {
  const d = new Date(Math.max(ms, Date.UTC(1980, 0, 1)));
  return {
    date: ((d.getUTCFullYear() - 1980) << 9) | ((d.getUTCMonth() + 1) << 5) | d.getUTCDate(),
    time: (d.getUTCHours() << 11) | (d.getUTCMinutes() << 5) | (d.getUTCSeconds() >> 1),
  };
}

/** Collects what is written to it. */
export class MemorySink extends Writable {
  readonly chunks: Buffer[] = [];
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    this.chunks.push(chunk);
    done();
  }
}

/** What archiver's sanitizePath does to exceljs' part names: no leading slashes. */
const entryName = (name: string): string => name.replace(/^\/+/, '');

/**
 * The subset of archiver's interface that exceljs' WorkbookWriter uses for a workbook
 * without media: `append(source, { name })` with a string, a Buffer or a readable stream,
 * `finalize()`, and `on('error')`. On finalize the whole zip is written to `out` and `out`
 * is ended. Entries named by `deflate` are compressed (zlib level 1), the rest stored.
 */
export class MemoryZip extends EventEmitter {
  private readonly entries: Entry[] = [];

  constructor(
    private readonly out: Writable,
    private readonly stampMs: number,
    private readonly deflate: RegExp,
  ) {
    super();
  }

  append(source: string | Buffer | NodeJS.ReadableStream, data: { name: string }): this {
    const name = entryName(data.name);
    let bytes: Promise<Buffer>;
    if (typeof source === 'string') bytes = Promise.resolve(Buffer.from(source));
    else if (Buffer.isBuffer(source)) bytes = Promise.resolve(source);
    else {
      const sink = new MemorySink();
      bytes = new Promise((resolve, reject) => {
        sink.once('finish', () => resolve(Buffer.concat(sink.chunks)));
        sink.once('error', reject);
        source.once('error', reject);
      });
      source.pipe(sink);
    }
    // Rejections surface in finalize; until then they are held, not unhandled.
    bytes.catch(() => undefined);
    this.entries.push({ name, deflate: this.deflate.test(name), data: bytes });
    return this;
  }

  /** exceljs calls this only for media files, which the exports have none of. */
  file(): never {
    throw new Error('MemoryZip: files from disk (workbook media) are not supported');
  }

  finalize(): void {
    this.build().then(
      (zip) => this.out.end(zip),
      (e: unknown) => this.emit('error', e),
    );
  }

  /** The entries' names, compression and bytes, in the order appended (once every streamed part has ended). */
  async parts(): Promise<ZipPart[]> {
    const parts: ZipPart[] = [];
    for (const entry of this.entries) parts.push({ name: entry.name, deflate: entry.deflate, data: await entry.data });
    return parts;
  }

  private async build(): Promise<Buffer> {
    return zipParts(await this.parts(), this.stampMs);
  }
}

/** A zip entry: its name, whether it is compressed (zlib level 1) or stored, and its bytes. */
export interface ZipPart {
  name: string;
  deflate: boolean;
  data: Buffer;
}

/** CRC-32 of each buffer zipped: a template's fixed parts go into many workbooks of a run. */
const crcs = new WeakMap<Buffer, number>();
function crcOf(data: Buffer): number {
  let crc = crcs.get(data);
  if (crc === undefined) {
    crc = crc32(data);
    crcs.set(data, crc);
  }
  return crc;
}

/** An entry's fields as zip headers hold them: method, CRC-32 and sizes. */
export interface EntryFields {
  name: string;
  deflate: boolean;
  crc: number;
  compressed: number;
  raw: number;
  /** Sizes and CRC in a data descriptor after the data (flag bit 3), the local header's left zero. */
  described?: boolean;
}

/**
 * The local header (with the entry's name) and the central directory record of an entry
 * whose local header starts at `offset`, stamped with DOS `time` and `date`. Zip64 is
 * never written: an export workbook stays far below 4 GB.
 */
export function entryHeaders(
  e: EntryFields,
  offset: number,
  time: number,
  date: number,
): { local: Buffer; central: Buffer } {
  const name = Buffer.from(e.name);
  if (offset > 0xfffffffe || e.raw > 0xfffffffe || e.compressed > 0xfffffffe)
    throw new Error(`zip: ${e.name} needs zip64, which an export workbook never should`);
  const fields = (h: Buffer, at: number): void => {
    h.writeUInt16LE(20, at); // version needed: 2.0 (deflate)
    h.writeUInt16LE(e.described === true ? 0x0808 : 0x0800, at + 2); // flags: names are UTF-8 (and a data descriptor)
    h.writeUInt16LE(e.deflate ? 8 : 0, at + 4);
    h.writeUInt16LE(time, at + 6);
    h.writeUInt16LE(date, at + 8);
    h.writeUInt32LE(e.crc >>> 0, at + 10);
    h.writeUInt32LE(e.compressed, at + 14);
    h.writeUInt32LE(e.raw, at + 18);
    h.writeUInt16LE(name.length, at + 22);
  };
  const local = Buffer.alloc(30 + name.length);
  local.writeUInt32LE(0x04034b50, 0);
  fields(local, 4);
  name.copy(local, 30);
  const central = Buffer.alloc(46 + name.length);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 4); // made by: MS-DOS, 2.0
  fields(central, 6);
  central.writeUInt32LE(offset, 42); // local header offset (comment, disk, attributes stay 0)
  name.copy(central, 46);
  return { local, central };
}

/** The data descriptor (with its signature) after the data of a `described` entry. */
export function dataDescriptor(e: EntryFields): Buffer {
  const d = Buffer.alloc(16);
  d.writeUInt32LE(0x08074b50, 0);
  d.writeUInt32LE(e.crc >>> 0, 4);
  d.writeUInt32LE(e.compressed, 8);
  d.writeUInt32LE(e.raw, 12);
  return d;
}

/** The end record after a central directory of `entries` entries and `size` bytes at `offset`. */
export function endRecord(entries: number, size: number, offset: number): Buffer {
  if (entries > 0xfffe || offset > 0xfffffffe) throw new Error('zip: the workbook needs zip64');
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries, 8);
  end.writeUInt16LE(entries, 10);
  end.writeUInt32LE(size, 12);
  end.writeUInt32LE(offset, 16);
  return end;
}

/** The zip of `parts`, in their order, every entry stamped with the UTC time `stampMs`. */
export function zipParts(parts: readonly ZipPart[], stampMs: number): Buffer {
  const { date, time } = dosDateTime(stampMs);
  const out: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const entry of parts) {
    const raw = entry.data;
    const data = entry.deflate ? deflateRawSync(raw, { level: 1 }) : raw;
    const fields = {
      name: entry.name,
      deflate: entry.deflate,
      crc: crcOf(raw),
      compressed: data.length,
      raw: raw.length,
    };
    const h = entryHeaders(fields, offset, time, date);
    out.push(h.local, data);
    central.push(h.central);
    offset += h.local.length + data.length;
  }
  const cdSize = central.reduce((n, b) => n + b.length, 0);
  return Buffer.concat([...out, ...central, endRecord(parts.length, cdSize, offset)]);
}
