/**
 * The history's hash chain in the application (rules in src/core/chain.ts): where the
 * history's chain starts (after the newest archive), the change-log entries of the commands,
 * and the upgrade of a history written before the chain. Callers hold the history lock.
 */
import { userInfo } from 'node:os';
import { type ChainHead, GENESIS } from '../core/chain.js';
import type { CollectorState } from '../core/reconcile.js';
import type { Settings } from '../core/settings.js';
import { listArchives, rawRows } from '../io/chain-scan.js';
import {
  historyPaths,
  isCurrentHeader,
  lastChainValue,
  prepareHistoryEdit,
  type PreparedHistoryEdit,
  readHistoryHeader,
  writeState,
} from '../io/history-store.js';
import { appendAudit, auditLines, trashPaths, type AuditEntry } from '../io/trash.js';
import type { Logger } from './context.js';

/** Rows of a history file, counted from its raw records (no field is parsed). */
async function countRows(path: string): Promise<number> {
  let n = 0;
  for await (const batch of rawRows(path)) n += batch.length;
  return n;
}

/** Who ran a command on this machine, for the change log. */
export function localActor(): { user: string | null; client: string } {
  let user: string | null;
  try {
    user = userInfo().username;
  } catch (e) {
    // A uid without a passwd entry (a container): the entry says so rather than failing the run.
    if (!(e instanceof Error)) throw e;
    user = null;
  }
  return { user, client: 'local' };
}

/** The chain value the history's first row follows: the newest archive's last row, else GENESIS. */
export async function historyStart(history: string): Promise<string> {
  const archives = await listArchives(history);
  const newest = archives.at(-1);
  return (newest === undefined ? null : await lastChainValue(newest)) ?? GENESIS;
}

/**
 * The history's head and row count after an edit: the last row kept, or, when none is left,
 * the last row that went (the next append follows it).
 */
export function headAfterEdit(p: PreparedHistoryEdit): ChainHead {
  if (p.chain.rows > 0) return p.chain;
  return { head: p.removedRows.at(-1)?.sha ?? p.chain.head, rows: 0 };
}

/** Appends a change-log entry (chained to the one before); returns the log's new head. */
export async function recordChange(settings: Settings, entry: AuditEntry): Promise<string> {
  return appendAudit(trashPaths(settings.history).audit, entry);
}

/** The last change-log entry, or null. */
async function lastChange(settings: Settings): Promise<Record<string, unknown> | null> {
  let last: Record<string, unknown> | null = null;
  for await (const { value } of auditLines(trashPaths(settings.history).audit)) last = value as Record<string, unknown>;
  return last;
}

/**
 * Builds the chain of a history written before it, once (the state has no `chain` yet): the
 * archives, oldest first, then the history, each rewritten atomically with a chain value in
 * every row. A file already chained is left as it is, so a run killed half-way is finished
 * by the next one (the values do not depend on when they are computed). Then the change log
 * gets its `upgrade` entry (once: a run killed after it does not write it again) and the
 * state its head; the generation bump makes the next build a full one.
 */
export async function ensureChain(
  settings: Settings,
  state: CollectorState,
  now: string,
  log: Logger,
): Promise<CollectorState> {
  if (state.chain !== undefined) return state;
  const paths = historyPaths(settings.history);
  const warn = (m: string): void => log.warn(m);
  let prev = GENESIS;
  let upgraded = 0;
  for (const archive of await listArchives(settings.history)) {
    if (isCurrentHeader(await readHistoryHeader(archive))) {
      prev = (await lastChainValue(archive)) ?? prev;
      continue;
    }
    const p = await prepareHistoryEdit(archive, { prev }, warn);
    try {
      await p.commit();
    } finally {
      await p.abort(); // a no-op once committed
    }
    prev = p.chain.head;
    upgraded += p.chain.rows;
  }
  const header = await readHistoryHeader(paths.history);
  let chain: ChainHead = { head: prev, rows: 0 };
  let next: CollectorState = { ...state };
  if (isCurrentHeader(header)) {
    // Chained already (a run killed after the rename, or a history written chained): count only.
    chain = { head: (await lastChainValue(paths.history)) ?? prev, rows: await countRows(paths.history) };
  } else if (header !== null) {
    const p = await prepareHistoryEdit(paths.history, { prev }, warn);
    try {
      next = { ...state, historyGeneration: state.historyGeneration + 1, historyBytes: 0 };
      await writeState(paths.state, next);
      await p.commit();
      upgraded += p.chain.rows;
    } finally {
      await p.abort(); // a no-op once committed
    }
    chain = p.chain;
    next = { ...next, historyBytes: p.bytes };
  }
  if (header !== null || upgraded > 0) {
    const last = await lastChange(settings);
    const after = last?.after as ChainHead | undefined;
    if (!(last?.action === 'upgrade' && after?.head === chain.head)) {
      await recordChange(settings, {
        at: now,
        action: 'upgrade',
        ...localActor(),
        ids: [],
        count: chain.rows,
        after: chain,
      });
      log.info(`chain: built the history's hash chain (${chain.rows} row(s), head ${chain.head.slice(0, 12)}…)`);
    }
  }
  next = { ...next, chain };
  await writeState(paths.state, next);
  return next;
}
