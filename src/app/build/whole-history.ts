/**
 * Stage 6b: the export files over the whole history (src/app/whole-history.ts), the
 * largest files of a build, made from the day files and the tracked sessions. Their
 * SHA-256 and the chain head each was built at go to the sums with the other exports'.
 */
import type { Session } from '../../core/session.js';
import type { DayCount } from '../../core/whole-history-plan.js';
import { wholeHistoryIndex } from '../../io/build-cache.js';
import { aliasOf } from '../../render/models.js';
import { EXPORT_ROWS_MAX } from '../exports.js';
import { updateWholeHistory, type WholeHistoryResult } from '../whole-history.js';
import { chainStamp } from './finish.js';
import type { BuildRun } from './run.js';
import { sessionsOfDay, type Tracked } from './summaries.js';

/**
 * Brings the whole-history files up to date. `dirty`: the days dirty before the anomalies
 * marked theirs (a badge changes no export row, so those days need no piece made again).
 */
export function writeWholeHistory(
  run: BuildRun,
  tracked: Tracked,
  { counts, dirty }: { counts: DayCount[]; dirty: ReadonlySet<string> },
): Promise<WholeHistoryResult> {
  return updateWholeHistory({
    out: run.settings.out,
    index: wholeHistoryIndex(run.cp),
    ctx: { lang: run.settings.lang, timeZone: run.tz, aliasOf: (s) => aliasOf(s, run.aliases), now: run.now },
    full: run.full,
    counts,
    dirtyDays: dirty,
    sessionsOfDay: (day): Promise<Session[]> => sessionsOfDay(run, tracked, day),
    rowsMax: EXPORT_ROWS_MAX,
    warn: (m) => run.log.warn(m),
    stamp: chainStamp(run),
  });
}
