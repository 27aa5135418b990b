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
import { HISTORY_COLUMNS, missingRequiredColumns, sessionFromRecord, sessionToRecord } from '../core/history-rows.js';
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
  encode(sessions: Session[]): string;
  headerLine: string;
}
let csvPromise: Promise<Csv> | null = null;
export function csv(): Promise<Csv> {
  csvPromise ??= Promise.all([import('csv-parse'), import('csv-parse/sync'), import('csv-stringify/sync')]).then(
    ([streaming, sync, { stringify }]) => ({
      parse: streaming.parse,
      parseSync: sync.parse,
      encode: (sessions: Session[]) => stringify(sessions.map(sessionToRecord)),
      headerLine: stringify([HISTORY_COLUMNS as unknown as string[]]),
    }),
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

/** Streams every readable session in the CSV, in file order. A bad header is always an InputError. */
export async function* readHistory(path: string, opts: ReadOptions = {}): AsyncGenerator<Session> {
  const header = await checkedHeader(path);
  if (header === null) return;
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
        yield session;
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

/** Replaces the whole CSV atomically; returns its new size. */
export async function rewriteHistory(path: string, sessions: Session[]): Promise<number> {
  const { headerLine, encode } = await csv();
  const data = Buffer.from(headerLine + encode(sessions));
  await writeFileAtomic(path, data, { mode: PRIVATE_FILE_MODE });
  return data.length;
}

export interface AppendResult {
  /** The CSV's new size. */
  bytes: number;
  /** True when the file was rewritten rather than appended to: bump `historyGeneration`. */
  rewritten: boolean;
}

/** Appends ended sessions with one fsync'd write. `warn` hears of bad rows a rewrite sets aside. */
export async function appendHistory(path: string, sessions: Session[], warn?: Warn): Promise<AppendResult> {
  const header = await checkedHeader(path);
  if (header === null) return { bytes: await rewriteHistory(path, sessions), rewritten: false };
  if (header.join('\u0000') !== HISTORY_COLUMNS.join('\u0000')) {
    // Written by another version: rewrite once in today's columns rather than append misaligned
    // rows, streamed (a million rows must not be held in memory), the new ones at the end.
    const prepared = await prepareHistoryEdit(path, { append: sessions }, warn);
    try {
      await prepared.commit();
    } finally {
      await prepared.abort(); // a no-op once committed
    }
    return { bytes: prepared.bytes, rewritten: true };
  }
  const fh = await onFile(path, 'append to', () => open(path, 'a+', PRIVATE_FILE_MODE));
  try {
    const { size } = await fh.stat();
    const last = Buffer.alloc(1);
    await fh.read(last, 0, 1, size - 1);
    const data = Buffer.from((last[0] === 0x0a ? '' : '\n') + (await csv()).encode(sessions));
    if (sessions.length > 0) {
      await onFile(path, 'append to', async () => {
        await fh.write(data, 0, data.length);
        await fh.sync();
      });
    }
    return { bytes: (await fh.stat()).size, rewritten: false };
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
      `${historyPaths(path).state}: the collector state is missing while ${path} holds ${ids.length} session(s): sessions that were open or held ` +
        'when it was lost are not recorded unless their clients are still connected (restore the state from a backup if you have one); a new state is started',
    );
  }
  return { state: takeAsWritten(path, state, ids, size, now, note), repaired };
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
): Promise<string[] | 'torn'> {
  const header = await checkedHeader(path);
  let ids: string[] | 'torn' | null = null;
  if (header && size > state.historyBytes && state.historyBytes > 0)
    ids = await idsFrom(path, state.historyBytes, header);
  if (ids !== null) return ids;
  const all: string[] = [];
  for await (const s of readHistory(path, { warn: (m) => note(m) })) all.push(s.id);
  return all;
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
  /** Rows to put back, each before the first row that ended later (the CSV is in end order). */
  insert?: Session[];
  /** Rows to add after all others, as an append would. */
  append?: Session[];
}

export interface PreparedHistoryEdit {
  /** Size of the new CSV. */
  bytes: number;
  /** The rows left out, in file order. */
  removed: Session[];
  /** Renames the new CSV over the old one (and fsyncs the folder). */
  commit(): Promise<void>;
  /** Removes the new CSV; the old one stays. */
  abort(): Promise<void>;
}

const TEMP_FLUSH_BYTES = 1 << 18;

/**
 * Writes the edited CSV (today's columns) to a temp file beside it and fsyncs it; nothing
 * changes until commit(). The temp name is the one writeFileAtomic uses, so a killed
 * writer's leftover is removed by the next run (removeStaleTemps). Call under the lock.
 * Bad rows are left out: they are set aside in the quarantine file first (or the edit fails).
 */
export async function prepareHistoryEdit(path: string, edit: HistoryEdit, warn?: Warn): Promise<PreparedHistoryEdit> {
  const tmp = `${path}.tmp-${process.pid}`;
  const insert = [...(edit.insert ?? [])].sort((a, b) =>
    (a.endedAt ?? '') < (b.endedAt ?? '') ? -1 : (a.endedAt ?? '') > (b.endedAt ?? '') ? 1 : 0,
  );
  const removed: Session[] = [];
  const { headerLine, encode } = await csv();
  const fh = await onFile(path, 'rewrite', () => open(tmp, 'w', PRIVATE_FILE_MODE));
  let bytes = 0;
  try {
    let pending = headerLine;
    const flush = async (): Promise<void> => {
      const data = Buffer.from(pending);
      pending = '';
      await fh.write(data, 0, data.length);
      bytes += data.length;
    };
    let next = 0;
    for await (const s of readHistory(path, { warn, quarantine: 'required' })) {
      if (edit.drop?.(s)) {
        removed.push(s);
        continue;
      }
      const ended = s.endedAt ?? '';
      while (next < insert.length && ((insert[next] as Session).endedAt ?? '') < ended)
        pending += encode([insert[next++] as Session]);
      pending += encode([s]);
      if (pending.length >= TEMP_FLUSH_BYTES) await flush();
    }
    if (next < insert.length) pending += encode(insert.slice(next));
    if (edit.append && edit.append.length > 0) pending += encode(edit.append);
    await flush();
    await fh.sync();
  } catch (e) {
    await fh.close();
    await unlink(tmp).catch(ifMissing(undefined));
    throw fileError(e, path, 'rewrite');
  }
  await fh.close();
  let done = false;
  return {
    bytes,
    removed,
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
