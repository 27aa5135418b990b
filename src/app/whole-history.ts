/**
 * The export files over the whole history of all users (the views "all" and "ended", each a
 * .csv and an .xlsx; src/core/whole-history-plan.ts says which files): exact after every
 * build, and cheap. Each file is the rows of one day after another's (newest first), and
 * each day's rows are a piece of the file: text for the CSV, deflate for the sheet of the
 * workbook (src/io/piece-file.ts). The index beside the build cache keeps, per file, where
 * each day's piece lies and a hash of its text. A build makes the pieces only of the days
 * whose sessions changed; a file holding none of those stays as it is, and one holding some
 * is written again with its other pieces copied from the file as it was. A full build
 * makes every piece, a day at a time, so memory stays at one day's rows.
 *
 * The sheet's rows carry no `r` references (xlsx-sheet.ts, rowXml): a day's piece is the
 * same wherever it lands in the file.
 */
import { createHash } from 'node:crypto';
import { type ChainHead, GENESIS } from '../core/chain.js';
import { mkdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { exportRows, type ExportContext, type ExportRow } from '../core/export-rows.js';
import { compareNewestFirst, type Session } from '../core/session.js';
import {
  filesToWrite,
  planWholeFiles,
  type DayCount,
  type WholeFile,
  type WholeStatus,
  type WrittenFile,
} from '../core/whole-history-plan.js';
import {
  PRIVATE_DIR_MODE,
  PRIVATE_FILE_MODE,
  publishTempFile,
  tempPathFor,
  writeFileAtomic,
} from '../io/atomic-write.js';
import { csvHead, csvRows } from '../io/csv-export.js';
import { fileError, ifMissing } from '../io/fs-errors.js';
import {
  deflatePiece,
  openTextPieces,
  openZipPieces,
  PieceMismatch,
  PieceReader,
  textPiece,
  type Piece,
  type PieceWriter,
  type PlacedPiece,
} from '../io/piece-file.js';
import { xlsxFrame, type XlsxFrame } from '../io/xlsx-export.js';
import { rowXml } from '../io/xlsx-sheet.js';

export interface WholeHistoryInput {
  out: string;
  /** The index of the pieces (beside the build cache; a full build clears it). */
  index: string;
  ctx: ExportContext;
  full: boolean;
  /** Every day with history, newest first, with its rows in each view. */
  counts: DayCount[];
  /** Days whose sessions may have changed since the last build. */
  dirtyDays: ReadonlySet<string>;
  /** A day's ended and tracked sessions. */
  sessionsOfDay(day: string): Promise<Session[]>;
  /** Data rows a sheet holds. */
  rowsMax: number;
  warn(message: string): void;
  /** The chain head the workbooks written are built at (their custom properties). */
  stamp?: ChainHead;
}

export interface WholeHistoryResult {
  /** Every file the views are made of now (relative to the output folder). */
  files: WholeFile[];
  written: number;
  removed: number;
  /** The SHA-256 of every file (hashed as it was written, this build or an earlier one) and the head it was built at. */
  sha256: Map<string, { sha256: string; stamp: ChainHead }>;
  /** Files removed (no longer among the views' files). */
  gone: string[];
}

/** A piece as the index keeps it: where it lies, and a hash of its text. */
interface IndexedPiece extends PlacedPiece {
  day: string;
  sha: string;
}
interface IndexedFile {
  kind: Kind;
  ino: number;
  size: number;
  mtimeMs: number;
  pieces: IndexedPiece[];
  /** The SHA-256 of the file's bytes and the chain head it was built at: the sums list it every build. */
  sha256: string;
  stamp: ChainHead;
}
interface PieceIndex {
  version: 1;
  files: Record<string, IndexedFile>;
}

/** Dirty days whose pieces are made before the files are planned, to see whether they changed; past this many, every dirty day counts as changed. */
const PRECHECK_DAYS = 32;

export async function updateWholeHistory(input: WholeHistoryInput): Promise<WholeHistoryResult> {
  const planned = planWholeFiles(input.counts, input.rowsMax);
  await mkdir(join(input.out, 'exports'), { recursive: true });
  const index = input.full ? emptyIndex() : await loadIndex(input.index, input.out, input.warn);
  const maker = new DayPieces(input, await xlsxFrame(input.ctx.lang, undefined, input.stamp));
  const changed = await changedDays(input, index, maker);
  const before = new Map<string, WrittenFile>(
    Object.entries(index.files).map(([file, f]) => [file, { days: f.pieces.map((p) => p.day) }]),
  );
  const writes = filesToWrite(planned, before, (f) => changed(kindOf(f)));
  const next: PieceIndex = { version: 1, files: {} };
  for (const f of planned) {
    const kept = index.files[f.file];
    if (kept !== undefined && !writes.includes(f)) next.files[f.file] = kept;
  }
  const sha256 = new Map<string, string>();
  const written = await writeFiles(input, writes, index, changed, maker, next, sha256);
  const sums = new Map(Object.entries(next.files).map(([file, f]) => [file, { sha256: f.sha256, stamp: f.stamp }]));
  const keep = new Set(planned.map((f) => f.file));
  const gone = Object.keys(index.files).filter((file) => !keep.has(file));
  for (const file of gone) await unlink(join(input.out, file)).catch(ifMissing(undefined));
  await mkdir(dirname(input.index), { recursive: true, mode: PRIVATE_DIR_MODE });
  await writeFileAtomic(input.index, JSON.stringify(next), { mode: PRIVATE_FILE_MODE, durable: false });
  return { files: planned, written, removed: gone.length, sha256: sums, gone };
}

const emptyIndex = (): PieceIndex => ({ version: 1, files: {} });

/**
 * The index, without the files that are not (or no longer) as it says. A damaged index is
 * warned about and read as empty: every file is then made again from the day files.
 */
async function loadIndex(path: string, out: string, warn: (message: string) => void): Promise<PieceIndex> {
  const raw = await readFile(path, 'utf8').catch(ifMissing(null));
  if (raw === null) return emptyIndex();
  let index: PieceIndex;
  try {
    index = JSON.parse(raw) as PieceIndex;
  } catch (e) {
    warn(`${path}: ${(e as Error).message}; the whole-history export files are made again`);
    return emptyIndex();
  }
  if (index?.version !== 1 || typeof index.files !== 'object' || index.files === null) {
    warn(`${path}: not an index of this version; the whole-history export files are made again`);
    return emptyIndex();
  }
  for (const [file, f] of Object.entries(index.files)) {
    const st = await stat(join(out, file)).catch(ifMissing(null));
    const same = st !== null && st.ino === f.ino && st.size === f.size && st.mtimeMs === f.mtimeMs;
    if (!same || !Array.isArray(f.pieces) || typeof f.sha256 !== 'string' || typeof f.stamp?.head !== 'string')
      delete index.files[file];
  }
  return index;
}

/**
 * The dirty days whose rows changed, per kind of file (view and format): made now and
 * compared with the index, when there are few of them; else all of them, for every kind.
 */
async function changedDays(input: WholeHistoryInput, index: PieceIndex, maker: DayPieces): Promise<Changed> {
  const dirty = [...input.dirtyDays];
  if (input.full || dirty.length > PRECHECK_DAYS) {
    const all = new Set(dirty);
    return () => all;
  }
  const old = new Map<string, string>();
  for (const f of Object.values(index.files)) for (const p of f.pieces) old.set(`${f.kind} ${p.day}`, p.sha);
  const changed = new Map<Kind, Set<string>>(KINDS.map((k) => [k, new Set()]));
  for (const day of dirty) {
    const pieces = await maker.all(day);
    for (const [kind, p] of pieces) {
      // A view without rows that day had no piece of it.
      const was = old.get(`${kind} ${day}`);
      if (was === undefined ? p.raw > 0 : was !== p.sha) changed.get(kind)?.add(day);
    }
    maker.keep(day, pieces);
  }
  return (kind) => changed.get(kind) ?? new Set();
}

type Kind = `${WholeStatus}.${'csv' | 'xlsx'}`;
const KINDS: readonly Kind[] = ['all.csv', 'all.xlsx', 'ended.csv', 'ended.xlsx'];
const kindOf = (f: WholeFile): Kind => `${f.status}.${f.ext}`;
/** The days whose pieces of a kind changed. */
type Changed = (kind: Kind) => ReadonlySet<string>;

interface MadePiece extends Piece {
  sha: string;
}

/** A day's pieces of each kind, made from its sessions; the prechecked days' are kept for the writing. */
class DayPieces {
  private readonly kept = new Map<string, Map<Kind, MadePiece>>();
  private current: { day: string; pieces: Map<Kind, MadePiece> } | null = null;
  constructor(
    private readonly input: WholeHistoryInput,
    private readonly frame: XlsxFrame,
  ) {}

  keep(day: string, pieces: Map<Kind, MadePiece>): void {
    this.kept.set(day, pieces);
  }

  /** The piece of `kind` for `day`: kept, or made (with the day's other kinds, held until the next day is asked for). */
  async piece(day: string, kind: Kind): Promise<MadePiece> {
    const kept = this.kept.get(day);
    if (kept !== undefined) return kept.get(kind) as MadePiece;
    if (this.current?.day !== day) this.current = { day, pieces: await this.all(day) };
    return this.current.pieces.get(kind) as MadePiece;
  }

  async all(day: string): Promise<Map<Kind, MadePiece>> {
    const sessions = [...(await this.input.sessionsOfDay(day))].sort(compareNewestFirst);
    const all = exportRows(sessions, this.input.ctx);
    const ended = all.filter((_, i) => (sessions[i] as Session).endedAt !== null);
    const pieces = new Map<Kind, MadePiece>();
    for (const [status, rows] of [
      ['all', all],
      ['ended', ended],
    ] as const) {
      pieces.set(
        `${status}.csv`,
        made(csvRows(rows, this.input.ctx), (t) => textPiece(t)),
      );
      pieces.set(
        `${status}.xlsx`,
        made(this.sheetRows(rows), (t) => deflatePiece(t)),
      );
    }
    return pieces;
  }

  private sheetRows(rows: readonly ExportRow[]): string {
    let xml = '';
    for (const r of rows) xml += rowXml(r, null, 'inline', this.frame.dateStyleId);
    return xml;
  }

  /** Opens a file of `kind` at `path`, its head written. */
  open(kind: Kind, path: string): Promise<PieceWriter> {
    if (kind.endsWith('.csv')) return openTextPieces(path, textPiece(csvHead(this.input.ctx)), 0o644);
    return openZipPieces(path, this.frame.zip, 0o644);
  }
}

function made(text: string, piece: (text: string) => Piece): MadePiece {
  return { ...piece(text), sha: createHash('sha1').update(text).digest('base64') };
}

/** A file being written: its temp file, the file it replaces (to copy unchanged pieces from) and its index entry. */
interface Open {
  file: WholeFile;
  tmp: string;
  writer: PieceWriter;
  reader: PieceReader | null;
  old: Map<string, IndexedPiece>;
  pieces: IndexedPiece[];
}

/**
 * Writes `writes` in one pass over the days, newest first: each day's piece is copied from
 * the file as it was when the day is unchanged, else made (once per day for all files).
 * Each file is renamed over its target once complete; `next` gets its index entry and
 * `sha256` its SHA-256. Returns the number of files whose bytes changed.
 */
async function writeFiles(
  input: WholeHistoryInput,
  writes: readonly WholeFile[],
  index: PieceIndex,
  changed: Changed,
  maker: DayPieces,
  next: PieceIndex,
  sha256: Map<string, string>,
): Promise<number> {
  const open: Open[] = [];
  const done: Open[] = [];
  try {
    for (const f of writes) open.push(await start(input, f, index.files[f.file], maker));
    for (const { day } of input.counts) {
      for (const o of open) {
        if (!o.file.days.includes(day)) continue;
        const piece =
          (await copied(o, changed(kindOf(o.file)).has(day) ? undefined : o.old.get(day))) ??
          (await maker.piece(day, kindOf(o.file)));
        o.pieces.push({ ...(await o.writer.add(piece)), day, sha: piece.sha });
      }
    }
    while (open.length > 0) {
      const o = open[0] as Open;
      await o.reader?.close();
      o.reader = null;
      sha256.set(o.file.file, await o.writer.finish());
      done.push(open.shift() as Open);
    }
  } catch (e) {
    for (const o of open) {
      await o.reader?.close();
      await o.writer.abort();
    }
    for (const o of [...open, ...done]) await unlink(o.tmp).catch(ifMissing(undefined));
    throw e;
  }
  let written = 0;
  for (const o of done) {
    const target = join(input.out, o.file.file);
    // A full build makes every file anew: one that holds the same bytes is left alone (its mtime kept).
    if (input.full) written += (await publishTempFile(o.tmp, target, { durable: false })) ? 1 : 0;
    else {
      await rename(o.tmp, target).catch((e: unknown) => {
        throw fileError(e, target, 'write');
      });
      written++;
    }
    const st = await stat(target);
    next.files[o.file.file] = {
      kind: kindOf(o.file),
      ino: st.ino,
      size: st.size,
      mtimeMs: st.mtimeMs,
      pieces: o.pieces,
      sha256: sha256.get(o.file.file) as string,
      stamp: input.stamp ?? { head: GENESIS, rows: 0 },
    };
  }
  return written;
}

/**
 * The piece of an unchanged day, copied from the file as it was; null when there is none,
 * or when its bytes are no longer what was written (the file was changed in place: the
 * rest of it is made again).
 */
async function copied(o: Open, old: IndexedPiece | undefined): Promise<MadePiece | null> {
  if (old === undefined || o.reader === null) return null;
  try {
    return { ...(await o.reader.read(old)), sha: old.sha };
  } catch (e) {
    if (!(e instanceof PieceMismatch)) throw e;
    await o.reader.close();
    o.reader = null;
    return null;
  }
}

async function start(
  input: WholeHistoryInput,
  file: WholeFile,
  before: IndexedFile | undefined,
  maker: DayPieces,
): Promise<Open> {
  const target = join(input.out, file.file);
  const tmp = tempPathFor(target);
  const reader = before === undefined ? null : await PieceReader.open(target);
  try {
    const writer = await maker.open(kindOf(file), tmp);
    return { file, tmp, writer, reader, old: new Map(before?.pieces.map((p) => [p.day, p]) ?? []), pieces: [] };
  } catch (e) {
    await reader?.close();
    throw fileError(e, target, 'write');
  }
}
