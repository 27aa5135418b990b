/**
 * `collect`: read every status file, reconcile with the history, persist. Holds the
 * history's lock throughout; a run that cannot get it within --lock-timeout exits 0.
 */
import { reconcile, type Observation, type ReconcileResult } from '../core/reconcile.js';
import type { Settings } from '../core/settings.js';
import { removeStaleTemps } from '../io/atomic-write.js';
import { appendHistory, historyPaths, readState, recoverHistory, writeState } from '../io/history-store.js';
import { readStatusFile } from '../io/status-reader.js';
import type { Command } from './command.js';
import type { Logger } from './context.js';
import { withHistoryLock } from './lock.js';

export interface CollectOutcome {
  result: ReconcileResult;
  active: number;
  ms: number;
}

/** One collection; the caller holds the history lock. */
export async function collectLocked(settings: Settings, now: string, log: Logger): Promise<CollectOutcome> {
  const started = Date.now();
  const paths = historyPaths(settings.history);
  await removeStaleTemps(paths.state);
  await removeStaleTemps(paths.history);
  const recovered = await recoverHistory(paths.history, await readState(paths.state), now);
  for (const note of recovered.notes) log.warn(note);
  const reads = await Promise.all(settings.status.map((s) => readStatusFile(s.path, { timeZone: settings.tz })));
  const observations: Observation[] = reads.map((read, i) => {
    const { instance, path } = settings.status[i] as (typeof settings.status)[number];
    if (read.kind === 'unreadable') log.warn(`${instance}: ${path} skipped this run: ${read.reason}`);
    if (read.kind === 'missing') log.detail(`${instance}: ${path} does not exist`);
    return { instance, ...read };
  });
  const result = reconcile(recovered.state, observations, {
    now,
    staleAfterS: settings.staleAfter,
    instances: settings.status.map((s) => s.instance),
  });
  for (const w of result.warnings) log.warn(w);
  if (result.closed.length > 0) {
    const appended = await appendHistory(paths.history, result.closed);
    result.state.historyBytes = appended.bytes;
    if (appended.rewritten) result.state.historyGeneration += 1;
  }
  await writeState(paths.state, result.state);
  const active = result.state.tracked.filter((s) => s.endedAt === null).length;
  return { result, active, ms: Date.now() - started };
}

/** One collection under the history lock; null when another run holds it. */
export async function collect(settings: Settings, now: string, log: Logger): Promise<CollectOutcome | null> {
  return withHistoryLock(settings, log, 'collect', () => collectLocked(settings, now, log));
}

export function describeCollect(o: CollectOutcome): string {
  const stopped = o.result.ended.filter((s) => s.endReason === 'server-stopped').length;
  return (
    `collect: ${o.result.opened.length} new, ${o.result.ended.length - stopped} ended, ` +
    `${stopped} server-stopped, ${o.result.reopened.length} re-opened, ${o.active} active, ${o.ms} ms`
  );
}

export const collectCommand: Command = {
  name: 'collect',
  help: `Usage: openvpn-status-web collect [--status [NAME=]FILE]... [--history FILE]

Reads each status file (retrying torn reads for about a second), records new sessions,
ends sessions that two consecutive status updates no longer list (end = the update time of
the last file that listed them), and ends the sessions of a server whose file has not been
updated for --stale-after seconds (reason server-stopped). Ended sessions are appended to
the history CSV; open ones live in HISTORY.state.json. A torn or unreadable status file
changes nothing for its instance (warning, exit 0).`,
  options: {},
  async run(ctx) {
    const outcome = await collect(ctx.settings, ctx.now, ctx.log);
    if (outcome) ctx.log.info(describeCollect(outcome));
    return 0;
  },
};
