/**
 * `collect`: take the hooks' events, read every status file, reconcile with the history,
 * persist. Holds the history's lock throughout; a run that cannot get it within
 * lockTimeout (the config key) exits 0.
 */
import { GENESIS } from '../core/chain.js';
import { latin1Warning } from '../core/decode-fields.js';
import { own } from '../core/dict.js';
import { applyHookEvents } from '../core/hook-events.js';
import { recordRewrite } from '../core/history-rewrite.js';
import type { LockBusy, Result } from '../core/result.js';
import {
  reconcile,
  settleWithdrawn,
  type CollectorState,
  type Observation,
  type ReconcileResult,
} from '../core/reconcile.js';
import { hookSpoolPath, type Settings } from '../core/settings.js';
import {
  appendHistory,
  historyPaths,
  prepareHistoryEdit,
  readState,
  recoverHistory,
  scanHistory,
  writeState,
} from '../io/history-store.js';
import { removePartsDone, takeSpool } from '../io/hook-spool.js';
import { readStatusFile, type StatusRead } from '../io/status-reader.js';
import type { Logger } from './context.js';
import { recordCountries } from './countries.js';
import { ensureChain, headAfterEdit, historyStart, localActor, recordChange } from './chain.js';
import { withHistoryLock } from './lock.js';
import { applyRetention } from './retention.js';

export interface CollectOutcome {
  result: ReconcileResult;
  active: number;
  ms: number;
}

/** One collection; the caller holds the history lock (withHistoryLock, which also cleared killed writers' temp files). */
export async function collectLocked(settings: Settings, now: string, log: Logger): Promise<CollectOutcome> {
  const started = Date.now();
  const paths = historyPaths(settings.history);
  const recovered = await recoverHistory(paths.history, await readState(paths.state), now, log.warn);
  const chained = await ensureChain(settings, recovered.state, now, log);
  const settled = await settleWithdrawal(paths.history, chained);
  // Before this run appends: the rewrite then starts where the last build stopped reading.
  const retained = await applyRetention(settings, settled, now, log);
  const instances = settings.status.map((s) => s.instance);

  // The hooks' events first: a status file that no longer lists a session was written after
  // its client-disconnect ran, so the exact end is there before the status file could end it.
  const spool = hookSpoolPath(settings);
  const intake = await takeSpool(spool, retained.hookSpool, now, log.warn);
  if (intake.events.length > 0) log.detail(`hook spool ${spool}: ${intake.events.length} event(s)`);
  const hooked = applyHookEvents(retained, intake.events, { instances, warn: log.warn });
  let state = hooked.state;
  if (intake.changed) {
    // Committed before the CSV append: from here on these lines are never read again, and a
    // session they ended is a tracked session that the history's crash recovery knows.
    state = { ...state, hookSpool: intake.next };
    await writeState(paths.state, state);
  }

  const reads = await Promise.all(settings.status.map((s) => readStatusFile(s.path, { timeZone: settings.tz })));
  const observations: Observation[] = reads.map((read, i) => {
    const { instance, path } = settings.status[i] as (typeof settings.status)[number];
    if (read.ok) return { instance, kind: 'snapshot', ...read.value };
    if (read.error.kind === 'unreadable') log.warn(`${instance}: ${path} skipped this run: ${read.error.reason}`);
    return { instance, ...read.error };
  });
  const result = reconcile(state, observations, { now, staleAfterS: settings.staleAfter, instances, warn: log.warn });
  result.opened.unshift(...hooked.opened);
  warnDown(settings, result.state, log);
  warnLatin1(reads, settings, result, log);
  result.ended.unshift(...hooked.ended);
  await recordCountries(result, log);
  await withdrawRows(settings, state, result, now, log);
  if (result.closed.length > 0) {
    const chain = result.state.chain ?? { head: GENESIS, rows: 0 };
    const appended = await appendHistory(paths.history, result.closed, (m) => log.warn(m), chain.head);
    result.state.historyBytes = appended.bytes;
    result.state.chain = { head: appended.head, rows: chain.rows + result.closed.length };
    if (appended.rewritten) result.state.historyGeneration += 1;
  }
  await writeState(paths.state, result.state);
  const removed = await removePartsDone(spool, result.state.hookSpool, now);
  if (removed.length > 0) log.detail(`hook spool: removed ${removed.join(', ')} (read to the end)`);
  const active = result.state.tracked.filter((s) => s.endedAt === null).length;
  return { result, active, ms: Date.now() - started };
}

/**
 * A status file that is missing or stale, on every run until it is fresh again: a typo in a
 * cron line's path, or an OpenVPN that stopped, must reach whoever reads the cron mail.
 */
function warnDown(settings: Settings, state: CollectorState, log: Logger): void {
  for (const { instance, path } of settings.status) {
    const down = own(state.instances, instance)?.down;
    if (down === undefined) continue;
    if (down.kind === 'missing') {
      log.warn(
        `${instance}: status file ${path} does not exist (since ${down.since}); ` +
          'check the path (--status) and the "status" line of the OpenVPN config',
      );
    } else {
      log.warn(
        `${instance}: status file ${path} was last updated at ${down.since}, more than ${settings.staleAfter} s ago; ` +
          'is OpenVPN running? Its sessions count as server-stopped until the file is fresh again',
      );
    }
  }
}

/**
 * A status file with fields that are not UTF-8 (read as Latin-1): a warning when a session
 * with such a name starts, a detail on the runs after (the file says it every few seconds).
 */
function warnLatin1(reads: StatusRead[], settings: Settings, result: ReconcileResult, log: Logger): void {
  const fresh = new Set(result.opened.flatMap((s) => [s.commonName, s.username ?? '']));
  reads.forEach((read, i) => {
    if (!read.ok || read.value.latin1 === undefined) return;
    const { instance, path } = settings.status[i] as (typeof settings.status)[number];
    const { latin1 } = read.value;
    const message = `${instance}: ${latin1Warning(path, latin1.lines)}`;
    if (latin1.fields.some((f) => fresh.has(f))) log.warn(message);
    else log.detail(message);
  });
}

/** A run that stopped while withdrawing rows (state.withdrawing): which rows did it take out? */
async function settleWithdrawal(history: string, state: CollectorState): Promise<CollectorState> {
  if (state.withdrawing === undefined) return state;
  const { found } = await scanHistory(history, new Set(state.withdrawing));
  return settleWithdrawn(state, found);
}

/**
 * Takes the server-stopped rows of re-opened sessions out of the CSV, as retention does: the
 * state is written first with `withdrawing` set (and historyBytes 0, so the next run re-reads
 * the CSV's ids rather than trusting an offset into a replaced file), then the new CSV is
 * renamed over the old one. A run killed in between leaves the rows, or not; the next run
 * looks (settleWithdrawal) and holds the sessions whose rows went, so none is lost or doubled.
 */
async function withdrawRows(
  settings: Settings,
  before: CollectorState,
  result: ReconcileResult,
  now: string,
  log: Logger,
): Promise<void> {
  if (result.withdrawn.length === 0) return;
  const paths = historyPaths(settings.history);
  const drop = new Set(result.withdrawn);
  const prev = await historyStart(paths.history);
  const prepared = await prepareHistoryEdit(paths.history, { drop: (s) => drop.has(s.id), prev });
  const after = headAfterEdit(prepared);
  try {
    if (prepared.removed.length === 0) return; // taken out by a run that then stopped
    const bumped = {
      ...before,
      historyGeneration: before.historyGeneration + 1,
      historyBytes: 0,
      withdrawing: [...drop],
    };
    await writeState(paths.state, bumped);
    // The rows leave no trash entry: the change log keeps their links (before the CSV is
    // replaced, so a run killed in between leaves a link too many, never one too few).
    await recordChange(settings, {
      at: now,
      action: 'withdraw',
      ...localActor(),
      ids: prepared.removed.map((s) => s.id),
      count: prepared.removed.length,
      ...(before.chain === undefined ? {} : { before: before.chain }),
      after,
      links: prepared.removedRows.map((r) => ({ id: r.session.id, prev: r.prev, sha: r.sha })),
    });
    await prepared.commit();
  } finally {
    await prepared.abort(); // a no-op once committed
  }
  const change = { bytesBefore: before.historyBytes, bytesAfter: prepared.bytes, removed: prepared.removed, added: [] };
  result.state = { ...recordRewrite(result.state, change), chain: after };
  log.detail(`${paths.history}: withdrew ${prepared.removed.length} server-stopped row(s) of re-opened sessions`);
}

/** One collection under the history lock; LockBusy when another run holds it. */
export async function collect(settings: Settings, now: string, log: Logger): Promise<Result<CollectOutcome, LockBusy>> {
  return withHistoryLock(settings, log, 'collect', () => collectLocked(settings, now, log));
}

export function describeCollect(o: CollectOutcome): string {
  const stopped = o.result.ended.filter((s) => s.endReason === 'server-stopped').length;
  return (
    `collect: ${o.result.opened.length} new, ${o.result.ended.length - stopped} ended, ` +
    `${stopped} server-stopped, ${o.result.reopened.length} re-opened, ${o.active} active, ${o.ms} ms`
  );
}
