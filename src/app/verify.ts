/**
 * `verify`: recomputes the history's hash chain (src/core/chain.ts) over the yearly archives
 * and the history, checks every trash entry and the change log's own chain, and, with an
 * anchor (an older ledger.json), that the anchored head is still on the chain or was moved
 * off it by a recorded change. Read-only, under the history's lock (verifyLocked), so no
 * append, edit or retention move is half-done while it reads.
 * Streamed: rows are hashed as they are read, never held.
 */
import { createHash } from 'node:crypto';
import { type Anchor, ChainLinks, chainHash, GENESIS, HEX64, sha256Hex } from '../core/chain.js';
import { FileSystemError, InputError } from '../core/errors.js';
import { type LockBusy, ok, type Result } from '../core/result.js';
import type { Settings } from '../core/settings.js';
import { listArchives, rawRows } from '../io/chain-scan.js';
import { canonicalRow, historyPaths, isCurrentHeader, readHistoryHeader, readState } from '../io/history-store.js';
import { auditLines, readTrashLines, trashPaths } from '../io/trash.js';
import type { Logger } from './context.js';
import { withHistoryLock } from './lock.js';

export interface Problem {
  file: string;
  line: number | null;
  reason: string;
}

export interface VerifyReport {
  schemaVersion: 1;
  ok: boolean;
  /** Rows in the history (the archives' are in archivedRows). */
  rows: number;
  /** The chain value of the history's last row (of the last row before it when it is empty). */
  head: string;
  problems: Problem[];
  archivedRows: number;
  trashEntries: number;
  logEntries: number;
  /** The hash of the change log's last entry (null when it is empty). */
  logHead: string | null;
}

/** What the change log tells verify. */
interface LogFacts {
  /** `${at}\0${id}` of every delete and clear entry's ids; clears that omit ids by `at`. */
  recorded: Set<string>;
  clearsOmitting: Set<string>;
  /** Ids a delete or clear named so far (a restore can only put back one of them). */
  deletedIds: Set<string>;
  /** Rows restores put back out of their place, with the line that says so: each must still be somewhere. */
  placed: { sha: string; line: number }[];
  /** Chain values of rows withdrawals took out. */
  withdrawn: Set<string>;
  /** When the history was last changed other than by an append (delete, clear, restore, retention, withdraw, upgrade). */
  changedAt: string[];
  entries: number;
  head: string | null;
  /** Hash of entry number `anchor.logEntries`, when an anchor asks. */
  anchoredHash: string | null;
}

const REWRITES = new Set(['delete', 'clear', 'restore', 'retention', 'withdraw', 'upgrade']);

/** Reads the change log, checking each entry's `prev`; withdrawals' links go into `links`. */
async function checkLog(
  path: string,
  links: ChainLinks,
  anchor: Anchor | null,
  problems: Problem[],
): Promise<LogFacts> {
  const facts: LogFacts = {
    recorded: new Set(),
    clearsOmitting: new Set(),
    deletedIds: new Set(),
    placed: [],
    withdrawn: new Set(),
    changedAt: [],
    entries: 0,
    head: null,
    anchoredHash: null,
  };
  const before = createHash('sha256'); // every byte before the first chained entry
  let chained = false;
  try {
    for await (const { text, value, line } of auditLines(path)) {
      const e = value as Record<string, unknown>;
      const hash = sha256Hex(text);
      if (e.prev === undefined) {
        if (chained)
          problems.push({ file: path, line, reason: 'entry without prev after chained entries (inserted by hand?)' });
        before.update(`${text}\n`);
      } else {
        const expected = chained ? facts.head : before.copy().digest('hex');
        if (e.prev !== expected)
          problems.push({
            file: path,
            line: Math.max(1, line - 1),
            reason: `this entry was changed, or an entry after it was removed or inserted (line ${line}'s prev does not match it)`,
          });
        chained = true;
      }
      facts.head = hash;
      facts.entries++;
      if (anchor?.logEntries === facts.entries) facts.anchoredHash = hash;
      noteEntry(e, facts, links);
      if (e.action === 'restore')
        notePlaced(e, line, facts, links, (reason) => problems.push({ file: path, line, reason }));
    }
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    problems.push({ file: path, line: e.line, reason: e.reason });
  }
  return facts;
}

function noteEntry(e: Record<string, unknown>, facts: LogFacts, links: ChainLinks): void {
  const at = String(e.at);
  if (REWRITES.has(String(e.action))) facts.changedAt.push(at);
  if (e.action === 'delete' || e.action === 'clear') {
    for (const id of Array.isArray(e.ids) ? e.ids : []) {
      facts.recorded.add(`${at}\u0000${String(id)}`);
      facts.deletedIds.add(String(id));
    }
    if (e.action === 'clear' && typeof e.idsOmitted === 'number') facts.clearsOmitting.add(at);
  }
  if (e.action === 'withdraw' && Array.isArray(e.links)) {
    for (const l of e.links as Record<string, unknown>[])
      if (typeof l.prev === 'string' && typeof l.sha === 'string') {
        links.add(l.prev, l.sha);
        facts.withdrawn.add(l.sha);
      }
  }
}

/**
 * A restore's `links`: rows put back at the end of the history because their place had gone
 * to an archive. Each is the link over the gap it left there (prev → sha) and its new place
 * (right after `after`). Only a row this entry restores and an earlier delete or clear took
 * out: a link cannot excuse a row that never left through the tool.
 */
function notePlaced(
  e: Record<string, unknown>,
  line: number,
  facts: LogFacts,
  links: ChainLinks,
  problem: (r: string) => void,
): void {
  if (e.links === undefined) return;
  const ids = new Set((Array.isArray(e.ids) ? e.ids : []).map(String));
  const mayHaveLeft = (id: string): boolean => facts.deletedIds.has(id) || facts.clearsOmitting.size > 0;
  for (const l of Array.isArray(e.links) ? (e.links as Record<string, unknown>[]) : [null]) {
    const { id, prev, sha, after } = (l ?? {}) as Record<string, unknown>;
    if (typeof id !== 'string' || ![prev, sha, after].every((v) => typeof v === 'string' && HEX64.test(v)))
      problem('a link of this restore is not {id, prev, sha, after} with 64 hex digits');
    else if (!ids.has(id) || !mayHaveLeft(id))
      problem(`a link of this restore names ${id}, which it does not restore or no delete before it took out`);
    else {
      links.add(prev as string, sha as string);
      links.place(prev as string, sha as string, after as string);
      facts.placed.push({ sha: sha as string, line });
    }
  }
}

/** A trash entry waiting for its check (once every link is known). */
interface TrashCheck {
  line: number;
  prev: string;
  sha: string;
  canonical: string;
}

/** Reads the trash: links of its chained entries, each entry recorded by the change log. */
async function readTrashLinks(
  path: string,
  links: ChainLinks,
  log: LogFacts,
  problems: Problem[],
): Promise<TrashCheck[]> {
  const checks: TrashCheck[] = [];
  try {
    for await (const { entry, line } of readTrashLines(path)) {
      const key = `${entry.deletedAt}\u0000${entry.session.id}`;
      if (!log.recorded.has(key) && !log.clearsOmitting.has(entry.deletedAt))
        problems.push({
          file: path,
          line,
          reason: 'no delete or clear in the change log names this entry (added by hand?)',
        });
      if (!entry.chain) continue;
      links.add(entry.chain.prev, entry.chain.sha);
      checks.push({ line, ...entry.chain, canonical: await canonicalRow(entry.session) });
    }
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    problems.push({ file: path, line: e.line, reason: e.reason });
  }
  return checks;
}

function checkTrash(path: string, checks: TrashCheck[], links: ChainLinks, problems: Problem[]): void {
  for (const c of checks) {
    const fits = (p: string): boolean => chainHash(p, c.canonical) === c.sha;
    // A row deleted where a restore had put it back (out of its place) hashes from its own prev.
    if (links.find(c.prev, fits) === null && !links.fitsPlaced(c.sha, fits))
      problems.push({ file: path, line: c.line, reason: 'the deleted row does not match its chain value (edited?)' });
  }
}

/** Where a chain value of interest (the anchor's head, the state's head) was found. */
interface Sightings {
  wanted: Set<string>;
  /** value → 'history:N' (N = row number in the history) or 'elsewhere' */
  seen: Map<string, string>;
  /** The history's row number `n` → its chain value, for the n asked. */
  rowAt: Map<number, string>;
  /** Rows restores put back out of their place, and those of them found in the archives or the history. */
  placed: Set<string>;
  placedSeen: Set<string>;
}

/**
 * One file's rows: each must follow the row before (or a recorded link from it), or sit where
 * a restore recorded putting it back. Returns the last value.
 */
async function checkFile(
  path: string,
  start: string,
  links: ChainLinks,
  look: Sightings,
  history: boolean,
  problems: Problem[],
): Promise<{ head: string; rows: number }> {
  const header = await readHistoryHeader(path);
  if (header === null) return { head: start, rows: 0 };
  if (!isCurrentHeader(header)) {
    problems.push({
      file: path,
      line: 1,
      reason: 'no chainSha256 column: the chain was never built (run collect once)',
    });
    return { head: start, rows: 0 };
  }
  let cur = start;
  let rows = 0;
  for await (const batch of rawRows(path)) {
    for (const { line, text } of batch) {
      rows++;
      const sha = text.subarray(text.length - 64).toString('latin1');
      if (text.length < 65 || text[text.length - 65] !== 0x2c || !HEX64.test(sha)) {
        problems.push({ file: path, line, reason: 'the row has no chain value (64 hex digits in its last column)' });
        continue;
      }
      const canonical = text.subarray(0, text.length - 65);
      const fits = (p: string): boolean => chainHash(p, canonical) === sha;
      if (!fits(cur) && links.find(cur, fits) === null && !links.placedAfter(cur, sha, fits))
        problems.push({
          file: path,
          line,
          reason:
            'the row does not match its chain value: it was changed, or a row before it was removed, inserted or moved',
        });
      cur = sha;
      if (look.wanted.has(sha)) look.seen.set(sha, history ? `history:${rows}` : 'elsewhere');
      if (look.placed.has(sha)) look.placedSeen.add(sha);
      if (history && look.rowAt.has(rows)) look.rowAt.set(rows, sha);
    }
  }
  return { head: cur, rows };
}

/** The anchor's head: on the chain at its count, or moved off it by a change the log records. */
function checkAnchor(anchor: Anchor, file: string, look: Sightings, log: LogFacts, problems: Problem[]): void {
  const at = look.rowAt.get(anchor.rows);
  const seen = look.seen.get(anchor.head);
  const recordedSince = log.changedAt.some((t) => anchor.generatedAt === null || t >= anchor.generatedAt);
  const onChain = anchor.rows === 0 || at === anchor.head;
  if (!onChain && !(seen !== undefined && recordedSince)) {
    problems.push({
      file,
      line: null,
      reason:
        `the anchored head ${anchor.head} (${anchor.rows} rows) is not on the chain` +
        `${seen === undefined ? '' : ' at its count'}: rows were removed or rewritten after the anchor without a record`,
    });
  }
  if (anchor.logEntries !== null && anchor.logHead !== null && log.anchoredHash !== anchor.logHead)
    problems.push({
      file,
      line: null,
      reason: `the change log's entry ${anchor.logEntries} is not the anchored one: entries before the anchor were changed or removed`,
    });
}

/** The state's head must be the history's row at the state's count (it is written after every change). */
function checkState(
  path: string,
  head: { head: string; rows: number } | undefined,
  look: Sightings,
  problems: Problem[],
): void {
  if (head === undefined || head.rows === 0) return;
  const found = look.rowAt.get(head.rows);
  if (found !== head.head)
    problems.push({
      file: path,
      line: null,
      reason:
        `records ${head.rows} rows ending in ${head.head}, but the history's row ${head.rows} ` +
        `${found === '' ? 'does not exist' : 'has another chain value'}: rows were removed or rewritten without a record`,
    });
}

/**
 * Every row a restore put back out of its place is still somewhere: in an archive or the
 * history (checkFile checks its place), or taken out again (trash, withdrawal). Else its link
 * would hide a row removed by hand.
 */
function checkPlaced(audit: string, log: LogFacts, trash: TrashCheck[], look: Sightings, problems: Problem[]): void {
  const gone = new Set([...trash.map((c) => c.sha), ...log.withdrawn]);
  for (const { sha, line } of log.placed) {
    if (!look.placedSeen.has(sha) && !gone.has(sha))
      problems.push({
        file: audit,
        line,
        reason: `this restore put back the row ${sha}, which no archive, history or trash holds: removed by hand?`,
      });
  }
}

/** Verifies the history beside settings.history (with an anchor read from `anchorFile`). */
export async function verifyHistory(
  settings: Settings,
  anchor: { anchor: Anchor; file: string } | null,
): Promise<VerifyReport> {
  const paths = historyPaths(settings.history);
  const tp = trashPaths(settings.history);
  const problems: Problem[] = [];
  const links = new ChainLinks();
  const log = await checkLog(tp.audit, links, anchor?.anchor ?? null, problems);
  const trash = await readTrashLinks(tp.trash, links, log, problems);
  checkTrash(tp.trash, trash, links, problems);
  const state = await readState(paths.state);
  const sightings: Sightings = {
    wanted: new Set(),
    seen: new Map(),
    rowAt: new Map(),
    placed: new Set(log.placed.map((p) => p.sha)),
    placedSeen: new Set(),
  };
  for (const a of [anchor?.anchor, state.chain]) {
    if (!a) continue;
    sightings.wanted.add(a.head);
    sightings.rowAt.set(a.rows, '');
    // A row that went through the tool (trash, withdrawal) is still on the record.
    if (links.leadsTo(a.head)) sightings.seen.set(a.head, 'elsewhere');
  }
  let cur = GENESIS;
  let archivedRows = 0;
  for (const archive of await listArchives(settings.history)) {
    const r = await checkFile(archive, cur, links, sightings, false, problems);
    cur = r.head;
    archivedRows += r.rows;
  }
  const history = await checkFile(paths.history, cur, links, sightings, true, problems);
  checkState(paths.state, state.chain, sightings, problems);
  checkPlaced(tp.audit, log, trash, sightings, problems);
  if (anchor) checkAnchor(anchor.anchor, anchor.file, sightings, log, problems);
  return {
    schemaVersion: 1,
    ok: problems.length === 0,
    rows: history.rows,
    head: history.rows > 0 ? history.head : (state.chain?.head ?? history.head),
    problems,
    archivedRows,
    trashEntries: trash.length,
    logEntries: log.entries,
    logHead: log.head,
  };
}

/**
 * verifyHistory holding the history's lock (waiting up to lockTimeout, as every writer does);
 * LockBusy when another process holds it longer. A copy in a folder this user may not write
 * (an auditor's read-only copy) has no writer to wait for: it is read as it is.
 */
export async function verifyLocked(
  settings: Settings,
  anchor: { anchor: Anchor; file: string } | null,
  log: Logger,
): Promise<Result<VerifyReport, LockBusy>> {
  try {
    return await withHistoryLock(settings, log, 'verify', () => verifyHistory(settings, anchor));
  } catch (e) {
    if (!(e instanceof FileSystemError) || !READ_ONLY.has(e.code)) throw e;
    log.detail(`verify: no lock (${e.message}); reading the files as they are`);
    return ok(await verifyHistory(settings, anchor));
  }
}

const READ_ONLY = new Set(['EACCES', 'EPERM', 'EROFS']);
