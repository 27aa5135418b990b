/**
 * Stage 4c: the export files over the whole history (src/app/whole-history.ts). They are the
 * largest files of a build and most of a busy run's disk work, but depend only on the day
 * files (written by stage 1) and the tracked sessions: a one-shot run of an incremental
 * build writes them in a worker thread, started once the chart is drawn, beside the pages,
 * exports and reports of this one, and joins it before the manifest. A full build, watch and the demo write them in this
 * thread when joined (a full build must not hold two days' memos at once).
 */
import type { ChainHead } from '../../core/chain.js';
import type { ExportContext } from '../../core/export-rows.js';
import type { Session } from '../../core/session.js';
import type { DayCount } from '../../core/whole-history-plan.js';
import { loadDay, wholeHistoryIndex, type CachePaths } from '../../io/build-cache.js';
import { aliasOf } from '../../render/models.js';
import { EXPORT_ROWS_MAX } from '../exports.js';
import { updateWholeHistory, type WholeHistoryInput, type WholeHistoryResult } from '../whole-history.js';
import { runWorker } from '../worker.js';
import { chainStamp } from './finish.js';
import type { BuildRun } from './run.js';
import { sessionsOfDay, type Tracked } from './summaries.js';

/** What the worker is given (plain data: it is copied into the worker). */
export interface WholeHistoryJob {
  out: string;
  cache: CachePaths;
  lang: BuildRun['settings']['lang'];
  timeZone: string;
  now: string;
  aliases: Record<string, string>;
  counts: DayCount[];
  /** The chain head the workbooks written are built at. */
  stamp: ChainHead;
  dirtyDays: string[];
  /** The tracked (open and held) sessions by their day. */
  tracked: [string, Session][];
}

/** A warning of the worker, passed on to the build's logger. */
export interface WholeHistoryNote {
  warn: string;
}

/** The files' settings, as the worker is given them. */
type JobBase = Omit<WholeHistoryJob, 'dirtyDays' | 'tracked'>;

function wholeInput(
  job: JobBase,
  full: boolean,
  dirtyDays: ReadonlySet<string>,
  sessionsOfDay: (day: string) => Promise<Session[]>,
  warn: (m: string) => void,
): WholeHistoryInput {
  const ctx: ExportContext = {
    lang: job.lang,
    timeZone: job.timeZone,
    aliasOf: (s) => aliasOf(s, job.aliases),
    now: job.now,
  };
  const index = wholeHistoryIndex(job.cache);
  return {
    out: job.out,
    index,
    ctx,
    full,
    counts: job.counts,
    dirtyDays,
    sessionsOfDay,
    rowsMax: EXPORT_ROWS_MAX,
    warn,
    stamp: job.stamp,
  };
}

/** In the worker: the day files from the cache, the tracked sessions from the job. */
export function writeWholeHistoryJob(job: WholeHistoryJob, warn: (m: string) => void): Promise<WholeHistoryResult> {
  const byDay = new Map<string, Session[]>();
  for (const [day, s] of job.tracked) {
    const list = byDay.get(day);
    if (list === undefined) byDay.set(day, [s]);
    else list.push(s);
  }
  const ofDay = async (day: string): Promise<Session[]> => [
    ...(await loadDay(job.cache, day)),
    ...(byDay.get(day) ?? []),
  ];
  return updateWholeHistory(wholeInput(job, false, new Set(job.dirtyDays), ofDay, warn));
}

/**
 * Starts the whole-history files: returns the join, which resolves when they are written.
 * `inWorker` (the CLI's one-shot runs) starts an incremental build's worker now; otherwise
 * the files are written in this thread when joined.
 */
export function startWholeHistory(
  run: BuildRun,
  tracked: Tracked,
  { counts, dirty }: { counts: DayCount[]; dirty: ReadonlySet<string> },
  inWorker: boolean,
): () => Promise<WholeHistoryResult> {
  const base: JobBase = {
    out: run.settings.out,
    cache: run.cp,
    lang: run.settings.lang,
    timeZone: run.tz,
    now: run.now,
    aliases: run.aliases,
    counts,
    stamp: chainStamp(run),
  };
  if (run.full || !inWorker) {
    const ofDay = (day: string): Promise<Session[]> => sessionsOfDay(run, tracked, day);
    return () => updateWholeHistory(wholeInput(base, run.full, dirty, ofDay, (m) => run.log.warn(m)));
  }
  const job: WholeHistoryJob = {
    ...base,
    dirtyDays: [...dirty],
    tracked: tracked.sessions.map((s) => [tracked.dayOf(s), s]),
  };
  const done = runWorker<WholeHistoryResult>('whole-history', job, undefined, (note) =>
    run.log.warn((note as WholeHistoryNote).warn),
  );
  // Handled here too, so a stage that fails before the join does not also end the process
  // on an unhandled rejection; the join still throws the worker's error.
  done.catch(() => undefined);
  return () => done;
}
