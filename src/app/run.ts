/** `run` = `collect` then `build`, under one hold of the history lock: the cron command. */
import type { LockBusy, Result } from '../core/result.js';
import type { Settings } from '../core/settings.js';
import { buildLocked, describeBuild, type BuildOptions, type BuildOutcome } from './build.js';
import { collectLocked, describeCollect, type CollectOutcome } from './collect.js';
import type { Logger } from './context.js';
import { withHistoryLock } from './lock.js';

export interface RunOutcome {
  collected: CollectOutcome;
  built: BuildOutcome;
}

/** One run under the history lock; LockBusy (warned) when another writer holds it. */
export async function run(
  settings: Settings,
  now: string,
  log: Logger,
  opts: BuildOptions = {},
): Promise<Result<RunOutcome, LockBusy>> {
  return withHistoryLock(settings, log, 'run', async () => {
    const collected = await collectLocked(settings, now, log);
    const built = await buildLocked(settings, now, log, opts);
    return { collected, built };
  });
}

/** The one line a run prints on stderr: sessions new, ended and active, pages, and the time it took (lock wait included). */
export function describeRun(o: RunOutcome, ms: number): string {
  return `${describeCollect(o.collected)}; ${describeBuild(o.built)}; run: ${ms} ms`;
}
