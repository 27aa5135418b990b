/**
 * The session history on disk:
 *   <history>.csv          ended sessions, appended (fsync'd) in the order they ended;
 *                          rewritten atomically only for deletion, restore or retention
 *   <history>.state.json   open and held sessions, per-instance progress (atomic rewrite)
 *   <history>.lock         the cross-process lock every writer holds
 * The state records the CSV's size after its last committed append, so a run killed
 * between the append and the state write is detected and repaired on the next run.
 */
import { open, type FileHandle, readFile, rename, stat, truncate, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { InputError } from '../core/errors.js';
import { CHAIN_COLUMN, type ChainHead, chainHash, GENESIS, HEX64 } from '../core/chain.js';
import { HISTORY_HEADER, missingRequiredColumns, sessionFromRecord, sessionToRecord } from '../core/history-rows.js';
import { emptyState, type CollectorState } from '../core/reconcile.js';
import type { Session } from '../core/session.js';
import type { Warn } from '../core/result.js';
import { collectorStateFrom } from '../core/state-shape.js';
import { fsyncDir, PRIVATE_FILE_MODE, writeFileAtomic } from './atomic-write.js';
import { fileError, ifMissing, onFile } from './fs-errors.js';
import { HistoryProblems, type QuarantineMode } from './history-quarantine.js';
import { historyRecords, isCsvError, type RawLine } from './history-records.js';

export interface HistoryPaths {
  history: string;
  state: string;
  lock: string;
}

export function historyPaths(history: string): HistoryPaths {
  return { history, state: `${history}.state.json`, lock: `${history}.lock` };
}

export async function readState(path: string): Promise<CollectorState> {
  const raw = await readFile(path, 'utf8').catch(ifMissing(null));
  if (raw === null) return emptyState();
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch (e) {
    throw new InputError(
      path,
      null,
      `not valid JSON (${(e as Error).message}); restore it from a backup or remove it to start afresh`,
    );
  }
  return collectorStateFrom(data, path);
}

export async function writeState(path: string, state: CollectorState): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(state, null, 1)}\n`, { mode: PRIVATE_FILE_MODE });
}

/**
 * csv-parse and csv-stringify, loaded on first use: most cron minutes append nothing and
 * read no CSV, so they should not pay for loading the two.
 */
interface Csv {
  parse: typeof import('csv-parse').parse;
  parseSync: typeof import('csv-parse/sync').parse;
  /** The canonical row of a session: its CSV fields as written, without chain value and line end. */
  row(session: Session): string;
  /** Rows chained on from `prev`: their text (line ends included) and the last chain value. */
  encode(sessions: Session[], prev: string): { text: string; head: string };
  headerLine: string;
}
let csvPromise: Promise<Csv> | null = null;
export function csv(): Promise<Csv> {
  csvPromise ??= Promise.all([import('csv-parse'), import('csv-parse/sync'), import('csv-stringify/sync')]).then(
    ([streaming, sync, { stringify }]) => {
      const row = (s: Session): string => stringify([sessionToRecord(s)]).slice(0, -1);
      return {
        parse: streaming.parse,
        parseSync: sync.parse,
        row,
        encode(sessions: Session[], prev: string) {
          let text = '';
          let head = prev;
          for (const s of sessions) {
            const canonical = row(s);
            head = chainHash(head, canonical);
            text += `${canonical},${head}\n`;
          }
          return { text, head };
        },
        headerLine: stringify([HISTORY_HEADER as string[]]),
      };
    },
  );
  return csvPromise;
}

/** The CSV's own header, or null when the file is missing or empty. */
export async function readHistoryHeader(path: string): Promise<string[] | null> {
  const fh = await open(path, 'r').catch(ifMissing(null));
  if (!fh) return null;
  try {
    const buf = Buffer.alloc(65536);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    if (bytesRead === 0) return null;
    const text = buf
      .subarray(0, bytesRead)
      .toString('utf8')
      .replace(/^\uFEFF/, '');
    const end = text.indexOf('\n');
    if (end < 0 && bytesRead === buf.length) throw new InputError(path, 1, 'header line is longer than 64 KiB');
    let rows: string[][];
    try {
      rows = (await csv()).parseSync(end < 0 ? text : text.slice(0, end + 1)) as string[][];
    } catch (e) {
      if (isCsvError(e))
        throw new InputError(
          path,
          1,
          `header line does not parse: ${(e as Error).message.replace(/ at line \d+/g, '')}`,
        );
      throw e;
    }
    return rows[0] ?? null;
  } finally {
    await fh.close();
  }
}

async function checkedHeader(path: string): Promise<string[] | null> {
  const header = await readHistoryHeader(path);
  if (header) {
    const missing = missingRequiredColumns(header);
    if (missing.length > 0) throw new InputError(path, 1, `not a session history: no column ${missing.join(', ')}`);
  }
  return header;
}

export interface ReadOptions {
  /** Read from this byte on (a line start; the builder's tail). */
  start?: number;
  /** Read only up to this byte. */
  end?: number;
  /**
   * Where bad rows (set aside, see history-quarantine.ts) and rows read back corrected are
   * told. Without it the first such row is an InputError naming file and line.
   */
  warn?: Warn;
  quarantine?: QuarantineMode;
}

/** A history row as read: the session, the row's chain value (null in files without the column) and its lines. */
export interface HistoryRow {
  session: Session;
  chain: string | null;
  lines: RawLine[];
}

/** The row's text as in the file, without its line end (lines of a quoted line break joined). */
export function rowText(lines: RawLine[]): Buffer {
  return lines.length === 1
    ? (lines[0] as RawLine).bytes
    : Buffer.concat(lines.flatMap((l, i) => (i === 0 ? [l.bytes] : [NL, l.bytes])));
}
const NL = Buffer.from('\n');

/** True when the file's header is today's (chained) one. */
export const isCurrentHeader = (header: string[] | null): boolean =>
  header !== null && header.join('\u0000') === HISTORY_HEADER.join('\u0000');

/** Streams every readable session in the CSV, in file order. A bad header is always an InputError. */
export async function* readHistory(path: string, opts: ReadOptions = {}): AsyncGenerator<Session> {
  for await (const r of readHistoryRows(path, opts)) yield r.session;
}

/** readHistory with each row's chain value and lines. */
export async function* readHistoryRows(path: string, opts: ReadOptions = {}): AsyncGenerator<HistoryRow> {
  const header = await checkedHeader(path);
  if (header === null) return;
  const chainAt = header.indexOf(CHAIN_COLUMN);
  const start = opts.start ?? 0;
  const problems = new HistoryProblems(path, start, opts.warn, opts.quarantine ?? 'write');
  try {
    for await (const records of historyRecords(path, header.length, start, opts.end)) {
      for (const r of records) {
        if (r.kind === 'bad') {
          await problems.bad(r.lines, r.reason);
          continue;
        }
        const record: Record<string, string> = {};
        for (let i = 0; i < header.length; i++) record[header[i] as string] = r.fields[i] as string;
        const fixes: string[] = [];
        let session: Session;
        try {
          session = sessionFromRecord(record, path, 0, opts.warn ? (why) => fixes.push(why) : undefined);
        } catch (e) {
          if (!(e instanceof InputError)) throw e;
          await problems.bad(r.lines, e.reason);
          continue;
        }
        for (const why of fixes) await problems.fixed(r.lines[0] as RawLine, why);
        yield { session, chain: chainAt < 0 ? null : (r.fields[chainAt] as string), lines: r.lines };
      }
    }
  } finally {
    await problems.close();
  }
}

export async function readAllHistory(path: string, opts: ReadOptions = {}): Promise<Session[]> {
  const all: Session[] = [];
  for await (const s of readHistory(path, opts)) all.push(s);
  return all;
}

/** Replaces the whole CSV atomically, its rows chained on from `prev`; returns its new size. */
export async function rewriteHistory(path: string, sessions: Session[], prev = GENESIS): Promise<number> {
  return (await rewriteHistoryChained(path, sessions, prev)).bytes;
}

/** rewriteHistory, also returning the chain's head and row count. */
export async function rewriteHistoryChained(
  path: string,
  sessions: Session[],
  prev = GENESIS,
): Promise<{ bytes: number; chain: ChainHead }> {
  const { headerLine, encode } = await csv();
  const { text, head } = encode(sessions, prev);
  const data = Buffer.from(headerLine + text);
  await writeFileAtomic(path, data, { mode: PRIVATE_FILE_MODE });
  return { bytes: data.length, chain: { head, rows: sessions.length } };
}

/**
 * The chain value of the file's last row (read from its end), or null when the file has no
 * chained row: the value the next append chains from.
 */
export async function lastChainValue(path: string): Promise<string | null> {
  const fh = await open(path, 'r').catch(ifMissing(null));
  if (!fh) return null;
  try {
    const { size } = await fh.stat();
    const tail = Buffer.alloc(Math.min(size, 66));
    await fh.read(tail, 0, tail.length, size - tail.length);
    const text = tail.toString('latin1');
    const m = /,([0-9a-f]{64})\r?\n?$/.exec(text);
    if (!m || text.endsWith(`,${CHAIN_COLUMN}\n`)) return null;
    return m[1] as string;
  } finally {
    await fh.close();
  }
}

export interface AppendResult {
  /** The CSV's new size. */
  bytes: number;
  /** True when the file was rewritten rather than appended to: bump `historyGeneration`. */
  rewritten: boolean;
  /** The chain value of the last row written (`prev` when none was). */
  head: string;
}

/**
 * Appends ended sessions with one fsync'd write, chained on from the file's last row (from
 * `prev`, the state's head, when the file has no row). `warn` hears of bad rows a rewrite sets aside.
 */
export async function appendHistory(
  path: string,
  sessions: Session[],
  warn?: Warn,
  prev = GENESIS,
): Promise<AppendResult> {
  const header = await checkedHeader(path);
  if (header === null) {
    const { bytes, chain } = await rewriteHistoryChained(path, sessions, prev);
    return { bytes, rewritten: false, head: chain.head };
  }
  if (!isCurrentHeader(header)) {
    // Written by another version: rewrite once in today's columns rather than append misaligned
    // rows, streamed (a million rows must not be held in memory), the new ones at the end.
    const prepared = await prepareHistoryEdit(path, { append: sessions, prev }, warn);
    try {
      await prepared.commit();
    } finally {
      await prepared.abort(); // a no-op once committed
    }
    return { bytes: prepared.bytes, rewritten: true, head: prepared.chain.head };
  }
  const from = (await lastChainValue(path)) ?? prev;
  const fh = await onFile(path, 'append to', () => open(path, 'a+', PRIVATE_FILE_MODE));
  try {
    const { size } = await fh.stat();
    const last = Buffer.alloc(1);
    await fh.read(last, 0, 1, size - 1);
    const { text, head } = (await csv()).encode(sessions, from);
    const data = Buffer.from((last[0] === 0x0a ? '' : '\n') + text);
    if (sessions.length > 0) {
      await onFile(path, 'append to', async () => {
        await fh.write(data, 0, data.length);
        await fh.sync();
      });
    }
    return { bytes: (await fh.stat()).size, rewritten: false, head };
  } finally {
    await fh.close();
  }
}

/** True when `text` is one row with every column of `header` and valid values. */
async function isWholeRow(text: string, header: string[], path: string): Promise<boolean> {
  let rows: string[][];
  try {
    rows = (await csv()).parseSync(text) as string[][];
  } catch (e) {
    if (isCsvError(e)) return false;
    throw e;
  }
  const fields = rows[0];
  if (rows.length !== 1 || fields === undefined || fields.length !== header.length) return false;
  // A row cut in its chain value (the last field) has every column too.
  const chainAt = header.indexOf(CHAIN_COLUMN);
  if (chainAt >= 0 && !HEX64.test(fields[chainAt] as string)) return false;
  try {
    // A row that reads back corrected (an end before its start) is whole too.
    sessionFromRecord(Object.fromEntries(header.map((c, i) => [c, fields[i]])), path, 0, () => undefined);
    return true;
  } catch (e) {
    if (e instanceof InputError) return false;
    throw e;
  }
}

async function truncateSynced(path: string, size: number): Promise<void> {
  const fh = await onFile(path, 'truncate', () => open(path, 'r+'));
  try {
    await onFile(path, 'truncate', async () => {
      await fh.truncate(size);
      await fh.sync();
    });
  } finally {
    await fh.close();
  }
}

/** The file's bytes from `from` to its end. */
export async function bytesFrom(fh: FileHandle, from: number): Promise<Buffer> {
  const { size } = await fh.stat();
  const buf = Buffer.alloc(Math.max(0, size - from));
  if (buf.length > 0) await fh.read(buf, 0, buf.length, from);
  return buf;
}

/**
 * Ids of the complete rows from byte `from` on (a tail the last run appended but did not
 * record); null when `from` is not a line boundary, 'torn' when the tail does not parse.
 */
async function idsFrom(path: string, from: number, header: string[]): Promise<string[] | 'torn' | null> {
  const fh = await open(path, 'r');
  try {
    if (from > 0) {
      const prev = Buffer.alloc(1);
      await fh.read(prev, 0, 1, from - 1);
      if (prev[0] !== 0x0a) return null; // not a line boundary: the file was edited, scan it all
    }
    const buf = await bytesFrom(fh, from);
    let rows: Record<string, string>[];
    try {
      rows = (await csv()).parseSync(buf, {
        columns: header,
        skip_empty_lines: true,
        relax_column_count: true,
      }) as Record<string, string>[];
    } catch (e) {
      if (isCsvError(e)) return 'torn';
      throw e;
    }
    return rows.map((r) => r.id ?? '');
  } finally {
    await fh.close();
  }
}

export interface Recovery {
  state: CollectorState;
  /** Something was found and warned about: the state returned may differ from the one on disk. */
  repaired: boolean;
}

/**
 * Brings state and CSV back in step after a crash or a hand edit: a torn last line is cut
 * (in a hand-edited file, a whole valid row missing only its newline is completed instead);
 * rows that were appended but not recorded in the state are taken as written, so they are
 * never appended twice; an interrupted append that does not parse is cut as a whole.
 * What it finds and repairs goes to `warn`.
 */
export async function recoverHistory(path: string, state: CollectorState, now: string, warn: Warn): Promise<Recovery> {
  let repaired = false;
  const note = (message: string): void => {
    repaired = true;
    warn(message);
  };
  const st = await stat(path).catch(ifMissing(null));
  if (st === null || st.size === 0) {
    if (state.historyBytes > 0) {
      note(
        `${path}: history file is missing or empty; a new one is started. The state records ${state.historyBytes} bytes of it as committed: ` +
          'every session it held is gone unless restored from a backup',
      );
    }
    return { state: { ...state, historyBytes: 0 }, repaired };
  }
  if (st.size < state.historyBytes) {
    // Not by this program: it only appends, and its rewrites record their new size first.
    note(
      `${path}: the file has shrunk to ${st.size} bytes, ${state.historyBytes - st.size} bytes below the ${state.historyBytes} bytes the state records as committed: ` +
        'committed rows are gone (cut or edited by hand?); restore them from a backup if that was not intended',
    );
  }
  // A state written by nobody yet while the CSV has rows: the state file was deleted or lost.
  const stateLost =
    state.historyBytes === 0 &&
    state.tracked.length === 0 &&
    (await stat(historyPaths(path).state).catch(ifMissing(null))) === null;
  const size = await repairLastLine(path, st.size, state, note);
  if (size === state.historyBytes) return { state, repaired };
  const ids = await idsPastCommitted(path, size, state, note);
  if (ids === 'torn') {
    // Cut inside a quoted field that holds a line break: drop the whole interrupted append;
    // the state still holds its sessions, so the next append writes them once.
    await truncateSynced(path, state.historyBytes);
    note(`${path}: cut an interrupted append (${size - state.historyBytes} bytes) that does not parse`);
    return { state, repaired };
  }
  if (stateLost) {
    note(
      `${historyPaths(path).state}: the collector state is missing while ${path} holds ${ids.ids.length} session(s): sessions that were open or held ` +
        'when it was lost are not recorded unless their clients are still connected (restore the state from a backup if you have one); a new state is started',
    );
  }
  const taken = takeAsWritten(path, state, ids.ids, size, now, note);
  // The rows carry their own chain values (verify checks them): the head is the last one's.
  const head = (await lastChainValue(path)) ?? state.chain?.head;
  if (state.chain !== undefined && head !== undefined) {
    const rows = ids.all ? ids.ids.length : state.chain.rows + ids.ids.length;
    taken.chain = { head, rows };
  }
  return { state: taken, repaired };
}

/** A last line without its line end is completed or cut (see recoverHistory): the file's size after. */
async function repairLastLine(path: string, size: number, state: CollectorState, note: Warn): Promise<number> {
  const fh = await open(path, 'r+');
  try {
    const last = Buffer.alloc(1);
    await fh.read(last, 0, 1, size - 1);
    if (last[0] === 0x0a) return size;
    const tailStart = Math.max(0, size - 65536);
    const tail = Buffer.alloc(size - tailStart);
    await fh.read(tail, 0, tail.length, tailStart);
    const cut = tailStart + tail.lastIndexOf(0x0a) + 1;
    const partial = tail.subarray(cut - tailStart).toString('utf8');
    const header = await readHistoryHeader(path);
    // Past the committed size it is the end of an interrupted append: always cut (the
    // state still holds those sessions). A row cut in its last field ("statu") has every
    // column, so only a hand-edited file gets its last row completed, and only a valid one.
    const appended = state.historyBytes > 0 && cut >= state.historyBytes;
    const complete = !appended && cut > 0 && header !== null && (await isWholeRow(partial, header, path));
    let after: number;
    if (complete) {
      await fh.write('\n', size);
      after = size + 1;
      note(`${path}: the last row had no line end; completed it`);
    } else {
      await truncate(path, cut);
      after = cut;
      note(`${path}: cut a torn last line (${partial.length} characters) left by an interrupted write`);
    }
    await fh.sync();
    return after;
  } catch (e) {
    throw fileError(e, path, 'repair');
  } finally {
    await fh.close();
  }
}

/**
 * Ids of the rows in a CSV of `size` bytes that the state does not record as committed: only
 * the tail past historyBytes when that is a line boundary, else every row; 'torn' when that
 * tail does not parse.
 */
async function idsPastCommitted(
  path: string,
  size: number,
  state: CollectorState,
  note: Warn,
): Promise<{ ids: string[]; all: boolean } | 'torn'> {
  const header = await checkedHeader(path);
  let ids: string[] | 'torn' | null = null;
  if (header && size > state.historyBytes && state.historyBytes > 0)
    ids = await idsFrom(path, state.historyBytes, header);
  if (ids === 'torn') return ids;
  if (ids !== null) return { ids, all: false };
  const all: string[] = [];
  for await (const s of readHistory(path, { warn: (m) => note(m) })) all.push(s.id);
  return { ids: all, all: true };
}

/** Rows of `ids` are in the CSV: the sessions the state still tracks among them count as written. */
function takeAsWritten(
  path: string,
  state: CollectorState,
  ids: string[],
  size: number,
  now: string,
  note: Warn,
): CollectorState {
  const written = new Set(ids);
  const tracked = state.tracked.filter((s) => !written.has(s.id));
  const dropped = state.tracked.length - tracked.length;
  if (dropped > 0) note(`${path}: ${dropped} session(s) were written by an interrupted run; recorded once`);
  const recentlyClosed = { ...state.recentlyClosed };
  for (const s of state.tracked) if (written.has(s.id)) recentlyClosed[s.id] = now;
  return { ...state, tracked, recentlyClosed, historyBytes: size };
}

// ---------------------------------------------------------------------------------------
// Deletion and restore (the endpoint): streamed, so a large history costs no memory.

export interface HistoryScan {
  /** Rows in the CSV. */
  rows: number;
  /** The ids of `wanted` that the CSV holds. */
  found: Set<string>;
}

/** Counts the CSV's rows and finds which of `wanted` it holds, streaming. */
export async function scanHistory(
  path: string,
  wanted: ReadonlySet<string> = new Set(),
  warn?: Warn,
): Promise<HistoryScan> {
  const found = new Set<string>();
  let rows = 0;
  for await (const s of readHistory(path, { warn })) {
    rows++;
    if (wanted.has(s.id)) found.add(s.id);
  }
  return { rows, found };
}

export interface HistoryEdit {
  /** Rows to leave out. */
  drop?: (s: Session) => boolean;
  /**
   * Rows put back with their own chain values (a restore): each list right after the row
   * whose chain value keys it, '' before the first row.
   */
  insertAfter?: Map<string, ChainedRow[]>;
  /** Rows to add after all others, as an append would (chained on from the last row). */
  append?: Session[];
  /**
   * The chain value before the file's first row (the newest archive's last row, else
   * GENESIS): where a file without chain values is chained from, and what the first row
   * removed follows.
   */
  prev?: string;
}

/** A row with its chain value and the value of the row before it in the file when it left. */
export interface ChainedRow {
  session: Session;
  prev: string;
  sha: string;
}

/**
 * Appends rows that keep their chain values (retention's move into an archive), with one
 * fsync'd write; a missing file is created with today's header.
 */
export async function appendChainedRows(path: string, rows: ChainedRow[]): Promise<void> {
  if (rows.length === 0) return;
  const { headerLine, row } = await csv();
  const text = rows.map((r) => `${row(r.session)},${r.sha}\n`).join('');
  if ((await checkedHeader(path)) === null) {
    await writeFileAtomic(path, headerLine + text, { mode: PRIVATE_FILE_MODE });
    return;
  }
  const fh = await onFile(path, 'append to', () => open(path, 'a+', PRIVATE_FILE_MODE));
  try {
    const { size } = await fh.stat();
    const last = Buffer.alloc(1);
    await fh.read(last, 0, 1, size - 1);
    await onFile(path, 'append to', async () => {
      await fh.appendFile((last[0] === 0x0a ? '' : '\n') + text);
      await fh.sync();
    });
  } finally {
    await fh.close();
  }
}

/** The canonical row of a session (what its chain value covers). */
export async function canonicalRow(session: Session): Promise<string> {
  return (await csv()).row(session);
}

export interface PreparedHistoryEdit {
  /** Size of the new CSV. */
  bytes: number;
  /** The rows left out, in file order. */
  removed: Session[];
  /** The same rows with their chain values (for the trash and the change log). */
  removedRows: ChainedRow[];
  /** Head and row count of the new CSV. */
  chain: ChainHead;
  /**
   * Rows of insertAfter whose place was gone (put back at the end instead), each with the
   * chain value of the row it now follows: a restore records them for verify.
   */
  misplaced: (ChainedRow & { after: string })[];
  /** The old file had no chain values: every row got one (the upgrade). */
  rechained: boolean;
  /** Renames the new CSV over the old one (and fsyncs the folder). */
  commit(): Promise<void>;
  /** Removes the new CSV; the old one stays. */
  abort(): Promise<void>;
}

const TEMP_FLUSH_BYTES = 1 << 18;

/** Where prepareHistoryEdit writes: text buffered, flushed in large writes, chain head and rows counted. */
class EditWriter {
  bytes = 0;
  rows = 0;
  private pending: string;
  constructor(
    private readonly fh: FileHandle,
    headerLine: string,
    public head: string,
  ) {
    this.pending = headerLine;
  }
  async row(text: string | Buffer, sha: string): Promise<void> {
    this.pending += `${typeof text === 'string' ? text : text.toString('utf8')},${sha}\n`;
    this.head = sha;
    this.rows++;
    if (this.pending.length >= TEMP_FLUSH_BYTES) await this.flush();
  }
  /** Rows already chained (encode()'s text), ending in `head`. */
  async chained(text: string, head: string, rows: number): Promise<void> {
    this.pending += text;
    this.head = head;
    this.rows += rows;
    if (this.pending.length >= TEMP_FLUSH_BYTES) await this.flush();
  }
  async flush(): Promise<void> {
    const data = Buffer.from(this.pending);
    this.pending = '';
    await this.fh.write(data, 0, data.length);
    this.bytes += data.length;
  }
}

/**
 * Writes the edited CSV (today's columns) to a temp file beside it and fsyncs it; nothing
 * changes until commit(). Rows kept keep their text and chain value byte for byte; a file
 * without chain values is chained from `edit.prev` (the upgrade). The temp name is the one
 * writeFileAtomic uses, so a killed writer's leftover is removed by the next run
 * (removeStaleTemps). Call under the lock. Bad rows are left out: they are set aside in the
 * quarantine file first (or the edit fails).
 */
export async function prepareHistoryEdit(path: string, edit: HistoryEdit, warn?: Warn): Promise<PreparedHistoryEdit> {
  const tmp = `${path}.tmp-${process.pid}`;
  const { headerLine, row, encode } = await csv();
  const rechained = !isCurrentHeader(await checkedHeader(path));
  const removedRows: ChainedRow[] = [];
  const fh = await onFile(path, 'rewrite', () => open(tmp, 'w', PRIVATE_FILE_MODE));
  const out = new EditWriter(fh, headerLine, edit.prev ?? GENESIS);
  const inserts = new Map(edit.insertAfter ?? []);
  const misplaced: PreparedHistoryEdit['misplaced'] = [];
  /** The rows keyed by `after`, each followed by those keyed by it; `gone`: their place was not found. */
  const putBack = async (after: string, gone = false): Promise<void> => {
    const list = inserts.get(after);
    if (!list) return;
    inserts.delete(after);
    for (const r of list) {
      if (gone) misplaced.push({ ...r, after: out.head });
      await out.row(row(r.session), r.sha);
      await putBack(r.sha);
    }
  };
  try {
    await putBack('');
    let before = edit.prev ?? GENESIS; // the chain value of the row before, in the old file
    for await (const r of readHistoryRows(path, { warn, quarantine: 'required' })) {
      const canonical = rechained ? row(r.session) : null;
      const sha = canonical === null ? (r.chain as string) : chainHash(out.head, canonical);
      if (edit.drop?.(r.session)) {
        removedRows.push({ session: r.session, prev: before, sha });
        if (rechained) out.head = sha;
        before = sha;
        continue;
      }
      await out.row(canonical ?? rowWithoutChain(r.lines), sha);
      before = sha;
      await putBack(sha);
    }
    for (const key of [...inserts.keys()]) await putBack(key, true); // their place is gone: at the end
    if (edit.append && edit.append.length > 0) {
      const { text, head } = encode(edit.append, out.head);
      await out.chained(text, head, edit.append.length);
    }
    await out.flush();
    await fh.sync();
  } catch (e) {
    await fh.close();
    await unlink(tmp).catch(ifMissing(undefined));
    throw fileError(e, path, 'rewrite');
  }
  await fh.close();
  let done = false;
  return {
    bytes: out.bytes,
    removed: removedRows.map((r) => r.session),
    removedRows,
    chain: { head: out.head, rows: out.rows },
    misplaced,
    rechained,
    async commit() {
      if (done) throw new Error(`${path}: this edit was already committed or aborted`);
      done = true;
      await onFile(path, 'rewrite', async () => {
        await rename(tmp, path);
        await fsyncDir(dirname(path));
      });
    },
    async abort() {
      if (done) return;
      done = true;
      await unlink(tmp).catch(ifMissing(undefined));
    },
  };
}

/** A chained row's text without its `,chainSha256` field. */
function rowWithoutChain(lines: RawLine[]): Buffer {
  const text = rowText(lines);
  return text.subarray(0, Math.max(0, text.lastIndexOf(0x2c)));
}
