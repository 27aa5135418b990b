/**
 * Beside the history CSV, written only by the endpoint (under the history lock):
 *   <history>.trash.jsonl   deleted rows, one JSON line each, until they are restored
 *   <history>.audit.jsonl   one JSON line per delete, clear and restore: who, from where, what
 * Both are appended with one fsync'd write. A crash mid-append leaves a torn last line:
 * readers skip it and the next append cuts it (in the trash, the rows of an interrupted
 * delete are still in the CSV, which is renamed only after the trash is on disk).
 */
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import { InputError } from '../core/errors.js';
import { type ChainHead, HEX64, sha256Hex } from '../core/chain.js';
import { HISTORY_COLUMNS, sessionFromRecord } from '../core/history-rows.js';
import type { Session } from '../core/session.js';
import { fsyncDir } from './atomic-write.js';
import { fileError, ifMissing, onFile } from './fs-errors.js';

export interface TrashPaths {
  trash: string;
  audit: string;
}

export function trashPaths(history: string): TrashPaths {
  return { trash: `${history}.trash.jsonl`, audit: `${history}.audit.jsonl` };
}

export interface TrashEntry {
  deletedAt: string;
  /** The authenticated user who deleted it; null where the endpoint runs without authentication (demo). */
  deletedBy: string | null;
  session: Session;
  /**
   * The row's chain value and that of the row before it in the CSV when it left (absent in
   * entries deleted before the chain): verify checks the one against the other and follows
   * the link over the gap the row left.
   */
  chain?: { prev: string; sha: string };
}

/** The endpoint's edits, then what the commands record (retention, withdrawals, imports, the chain's upgrade). */
export type AuditAction = 'delete' | 'clear' | 'restore' | 'retention' | 'withdraw' | 'import' | 'upgrade';

/**
 * A row's chain link where it left its place: the chain value `sha` of the row and `prev` of
 * the row before it there. A withdrawal's rows left the CSV without going to the trash; a
 * restore's rows went back at the end of the history (their place had gone to an archive),
 * right after the row whose chain value is `after`.
 */
export interface ChainLink {
  id: string;
  prev: string;
  sha: string;
  after?: string;
}

export interface AuditEntry {
  at: string;
  action: AuditAction;
  user: string | null;
  /** The client's address (nginx's X-Real-IP when it is in front). */
  client: string;
  ids: string[];
  count: number;
  /** Ids not listed in `ids` (a clear of a large history lists the first ones; the trash has them all). */
  idsOmitted?: number;
  /** Why, as the user gave it (delete, clear, restore). */
  reason?: string;
  /** The history's chain head and row count before and after the change. */
  before?: ChainHead;
  after?: ChainHead;
  /** Links of rows that left without going to the trash (withdraw), or went back out of their place (restore). */
  links?: ChainLink[];
  /** Files the rows went to (retention). */
  files?: string[];
  /** SHA-256 of the line before (of every byte before it, for the first entry that has one); set by appendAudit. */
  prev?: string;
}

/**
 * Makes the file end at a line boundary before an append: a torn last line (a crash
 * mid-append) is cut, unless it is a whole entry that only lacks its newline.
 */
async function endAtLine(fh: FileHandle, isWhole: (line: string) => boolean): Promise<void> {
  const { size } = await fh.stat();
  if (size === 0) return;
  const last = Buffer.alloc(1);
  await fh.read(last, 0, 1, size - 1);
  if (last[0] === 0x0a) return;
  // Look back for the previous newline, 64 KiB at a time (an audit line of a clear can be long).
  let cut = 0;
  for (let end = size; end > 0; ) {
    const start = Math.max(0, end - 65536);
    const buf = Buffer.alloc(end - start);
    await fh.read(buf, 0, buf.length, start);
    const i = buf.lastIndexOf(0x0a);
    if (i >= 0) {
      cut = start + i + 1;
      break;
    }
    end = start;
  }
  const tail = Buffer.alloc(size - cut);
  await fh.read(tail, 0, tail.length, cut);
  if (isWhole(tail.toString('utf8'))) await fh.write('\n', size);
  else await fh.truncate(cut);
}

const isJsonLine = (line: string): boolean => {
  try {
    JSON.parse(line);
    return true;
  } catch (e) {
    if (e instanceof SyntaxError) return false;
    throw e;
  }
};

async function appendLines(path: string, lines: string[]): Promise<void> {
  if (lines.length === 0) return;
  const fh = await onFile(path, 'append to', () => open(path, 'a+', 0o600));
  try {
    await endAtLine(fh, isJsonLine);
    await onFile(path, 'append to', async () => {
      await fh.appendFile(lines.map((l) => `${l}\n`).join(''));
      await fh.sync();
    });
  } finally {
    await fh.close();
  }
}

/** Appends deleted rows with one fsync'd write. */
export async function appendTrash(path: string, entries: TrashEntry[]): Promise<void> {
  await appendLines(
    path,
    entries.map((e) => JSON.stringify(e)),
  );
}

/** Appends many entries in batches (a clear of a large history), fsync'd once at close(). */
export async function openTrashWriter(
  path: string,
): Promise<{ add(entry: TrashEntry): Promise<void>; close(): Promise<void> }> {
  const fh = await open(path, 'a+', 0o600);
  let pending = '';
  const flush = async (): Promise<void> => {
    if (pending === '') return;
    const data = pending;
    pending = '';
    await onFile(path, 'append to', () => fh.appendFile(data));
  };
  try {
    await endAtLine(fh, isJsonLine);
  } catch (e) {
    await fh.close();
    throw e;
  }
  return {
    async add(entry) {
      pending += `${JSON.stringify(entry)}\n`;
      if (pending.length >= 1 << 18) await flush();
    },
    async close() {
      try {
        await flush();
        await onFile(path, 'append to', () => fh.sync());
      } finally {
        await fh.close();
      }
    },
  };
}

/**
 * Appends one change-log entry chained to the one before it (its `prev`); returns the new
 * entry's hash (the log's head).
 */
export async function appendAudit(path: string, entry: AuditEntry): Promise<string> {
  const fh = await onFile(path, 'append to', () => open(path, 'a+', 0o600));
  try {
    await endAtLine(fh, isJsonLine);
    const prev = await auditPrev(fh);
    const line = JSON.stringify({ ...entry, prev });
    await onFile(path, 'append to', async () => {
      await fh.appendFile(`${line}\n`);
      await fh.sync();
    });
    return sha256Hex(line);
  } finally {
    await fh.close();
  }
}

/** The `prev` of an entry appended now: the last line's hash, or all bytes' when that line has none. */
async function auditPrev(fh: FileHandle): Promise<string> {
  const { size } = await fh.stat();
  const all = Buffer.alloc(size);
  if (size > 0) await fh.read(all, 0, size, 0);
  const start = all.lastIndexOf(0x0a, size - 2) + 1;
  const last = all.subarray(start, Math.max(start, size - 1)).toString('utf8');
  if (last !== '' && (JSON.parse(last) as { prev?: unknown }).prev !== undefined) return sha256Hex(last);
  return sha256Hex(all);
}

/** Every line of a JSON-lines file with its number; a last line without a newline (torn) is left out. */
async function* jsonLines(path: string): AsyncGenerator<{ value: unknown; line: number; text: string }> {
  const fh = await open(path, 'r').catch(ifMissing(null));
  if (fh === null) return;
  let size: number;
  let endsWithNewline = true;
  try {
    size = (await fh.stat()).size;
    if (size > 0) {
      const last = Buffer.alloc(1);
      await fh.read(last, 0, 1, size - 1);
      endsWithNewline = last[0] === 0x0a;
    }
  } catch (e) {
    await fh.close();
    throw e;
  }
  if (size === 0) {
    await fh.close();
    return;
  }
  // The same descriptor and size: a writer renaming or appending meanwhile does not change what this read sees.
  const stream = fh.createReadStream({ start: 0, end: size - 1 });
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  let held: string | null = null;
  let n = 0;
  const parse = (text: string, line: number): unknown => {
    try {
      return JSON.parse(text);
    } catch (e) {
      if (e instanceof SyntaxError) throw new InputError(path, line, `not a JSON line: ${e.message}`);
      throw e;
    }
  };
  // One line behind, so the last one can be judged once it is known to be the last.
  try {
    for await (const text of lines) {
      if (held !== null && held !== '') yield { value: parse(held, n), line: n, text: held };
      held = text;
      n++;
    }
  } finally {
    lines.close();
    stream.destroy(); // closes the descriptor also when the reader stopped early or a line was bad
  }
  if (held !== null && held !== '') {
    if (endsWithNewline) yield { value: parse(held, n), line: n, text: held };
    else if (isJsonLine(held)) yield { value: JSON.parse(held) as unknown, line: n, text: held };
  }
}

function trashEntryFrom(v: unknown, path: string, line: number): TrashEntry {
  const bad = (why: string): never => {
    throw new InputError(path, line, `not a trash entry: ${why}`);
  };
  if (typeof v !== 'object' || v === null) return bad('not an object');
  const o = v as Record<string, unknown>;
  if (typeof o.deletedAt !== 'string') bad('no deletedAt');
  if (o.deletedBy !== null && typeof o.deletedBy !== 'string') bad('deletedBy is not a text or null');
  const s = o.session;
  if (typeof s !== 'object' || s === null) return bad('no session');
  // The session goes through the CSV's own checks, so a restored row is one the history accepts.
  const record: Record<string, string> = {};
  for (const c of HISTORY_COLUMNS) {
    const value = (s as Record<string, unknown>)[c];
    // A session deleted before countries were recorded has none (and reads as null).
    if (value === null || (value === undefined && c === 'country')) record[c] = '';
    else if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
      record[c] = String(value);
    else bad(`session.${c} is missing`);
  }
  const session = sessionFromRecord(record, path, line);
  if (session.endedAt === null) bad('the session has no end');
  const c = o.chain as Record<string, unknown> | undefined;
  if (c !== undefined && (typeof c !== 'object' || c === null || !isHex(c.prev) || !isHex(c.sha)))
    bad('chain is not {prev, sha} of 64 hex digits');
  return {
    deletedAt: o.deletedAt as string,
    deletedBy: o.deletedBy as string | null,
    session,
    ...(c === undefined ? {} : { chain: { prev: c.prev as string, sha: c.sha as string } }),
  };
}

const isHex = (v: unknown): boolean => typeof v === 'string' && HEX64.test(v);

/** Every trash entry with its line number, in the order they were deleted. */
export async function* readTrashLines(path: string): AsyncGenerator<{ entry: TrashEntry; line: number }> {
  for await (const { value, line } of jsonLines(path)) yield { entry: trashEntryFrom(value, path, line), line };
}

/** Every line of the change log: its text, its parsed value and its number (a torn last line left out). */
export async function* auditLines(path: string): AsyncGenerator<{ text: string; value: unknown; line: number }> {
  for await (const l of jsonLines(path)) yield { text: l.text, value: l.value, line: l.line };
}

/** Every trash entry, in the order they were deleted. */
export async function* readTrash(path: string): AsyncGenerator<TrashEntry> {
  for await (const { value, line } of jsonLines(path)) yield trashEntryFrom(value, path, line);
}

export async function readAudit(path: string): Promise<AuditEntry[]> {
  const out: AuditEntry[] = [];
  for await (const { value } of jsonLines(path)) out.push(value as AuditEntry);
  return out;
}

/**
 * Rewrites the trash without the entries of `ids`, streaming to a temp file that is then
 * renamed over it. Returns how many entries were removed.
 */
export async function removeFromTrash(path: string, ids: ReadonlySet<string>): Promise<number> {
  const tmp = `${path}.tmp-${process.pid}`;
  const fh = await open(tmp, 'w', 0o600);
  let removed = 0;
  try {
    let pending = '';
    for await (const e of readTrash(path)) {
      if (ids.has(e.session.id)) {
        removed++;
        continue;
      }
      pending += `${JSON.stringify(e)}\n`;
      if (pending.length >= 1 << 18) {
        await fh.appendFile(pending);
        pending = '';
      }
    }
    await fh.appendFile(pending);
    await fh.sync();
  } catch (e) {
    await fh.close();
    await unlink(tmp).catch(ifMissing(undefined));
    throw fileError(e, path, 'rewrite');
  }
  await fh.close();
  if (removed === 0) {
    await unlink(tmp);
    return 0;
  }
  await rename(tmp, path);
  await fsyncDir(dirname(path));
  return removed;
}
