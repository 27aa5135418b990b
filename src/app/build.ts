/**
 * `build`: renders the output folder from the history. Incremental: the CSV is read only
 * from where the last build stopped, and only pages whose model changed are rendered and
 * rewritten; a journaled rewrite of the CSV (delete, restore) updates only its days and
 * users. A full build happens on the first run, after a rewrite the journal cannot replay,
 * and when zone, language, title, aliases or the version change. Then the export files
 * (src/app/exports.ts) and the JSON snapshots follow. The stages, in the order they run, are
 * in src/app/build/pipeline.ts.
 */
import type { LockBusy, Result } from '../core/result.js';
import type { Settings } from '../core/settings.js';
import { CacheError } from '../io/build-cache.js';
import type { Logger } from './context.js';
import { buildOnce, type BuildOptions, type BuildOutcome } from './build/pipeline.js';
import { SlugsChanged } from './build/summaries.js';
import { withHistoryLock } from './lock.js';

export type { BuildOptions, BuildOutcome } from './build/pipeline.js';
import { publishLedger } from './build/ledger.js';
export { SITE_VERSION } from './build/inputs.js';

/** Builds under the history lock held by the caller. A damaged cache is dropped and the build done in full. */
export async function buildLocked(
  settings: Settings,
  now: string,
  log: Logger,
  opts: BuildOptions = {},
): Promise<BuildOutcome> {
  let outcome: BuildOutcome;
  try {
    outcome = await buildOnce(settings, now, log, false, opts);
  } catch (e) {
    if (!(e instanceof CacheError) && !(e instanceof SlugsChanged)) throw e;
    log.warn(`${e.message}; rebuilding the site in full`);
    outcome = await buildOnce(settings, now, log, true, opts);
  }
  await publishLedger(settings, now, log);
  return outcome;
}

export function describeBuild(o: BuildOutcome): string {
  return `build: ${o.full ? 'full' : 'incremental'}, ${o.pagesRendered} page(s) rendered, ${o.filesWritten} file(s) written, ${o.ms} ms`;
}

/** One build under the history lock; LockBusy when another run holds it. */
export async function build(
  settings: Settings,
  now: string,
  log: Logger,
  opts: BuildOptions = {},
): Promise<Result<BuildOutcome, LockBusy>> {
  return withHistoryLock(settings, log, 'build', () => buildLocked(settings, now, log, opts));
}
