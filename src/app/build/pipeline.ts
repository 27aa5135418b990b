/**
 * The build, stage by stage in the order they run. Each stage is a function of the shared
 * `BuildRun` (run.ts) and what the stages before it returned.
 */
import type { Settings } from '../../core/settings.js';
import type { Logger } from '../context.js';
import { findAnomalies, writeAnomalies } from './anomalies.js';
import { drawChart } from './chart.js';
import { buildFullInWorker, FULL_BUILD_BOUNDS, fullBuildLimits } from './full-build.js';
import { commitManifest, removeStalePages, wholeHistoryCounts, writeExports, writeSnapshots } from './finish.js';
import { ingestHistory } from './ingest.js';
import { loadBuildInputs } from './inputs.js';
import { writeLookupIndex } from './lookup.js';
import { publishPages, type Published } from './pages.js';
import { writeReports } from './reports.js';
import { startRun, stepTimer, type BuildRun } from './run.js';
import type { DayCount } from '../../core/whole-history-plan.js';
import { writeWholeHistory } from './whole-history.js';
import { summariseDays, summariseUsers, trackOpenSessions, type Tracked, type Users } from './summaries.js';

export interface BuildOutcome {
  full: boolean;
  pagesRendered: number;
  filesWritten: number;
  ms: number;
}

export interface BuildOptions {
  /**
   * For a process that builds again and again (watch, demo): draw the chart in this thread,
   * so jsdom is loaded once and each drawing takes milliseconds. A one-shot run (cron)
   * draws it in a worker thread, whose heap (jsdom's, large) goes with it.
   */
  keepChartLoaded?: boolean;
  /** For a one-shot process (the CLI's run and build): a full build runs in a worker thread with a capped heap (full-build.ts). */
  fullBuildWorker?: boolean;
}

export async function buildOnce(
  settings: Settings,
  now: string,
  log: Logger,
  forceFull: boolean,
  opts: BuildOptions,
): Promise<BuildOutcome> {
  const started = Date.now();
  const timer = stepTimer();
  // Held back until it is known who builds: a full build in the worker reads the inputs again and warns itself.
  const warnings: string[] = [];
  const inputs = await loadBuildInputs(
    settings,
    now,
    { info: (m) => log.info(m), detail: (m) => log.detail(m), warn: (m) => warnings.push(m) },
    forceFull,
  );
  if (inputs.full && opts.fullBuildWorker === true) {
    const inThread = (): Promise<BuildOutcome> =>
      buildOnce(settings, now, log, true, { ...opts, fullBuildWorker: false });
    const historyBytes = inputs.sources.reduce((sum, src) => sum + src.limit, 0);
    const limits = fullBuildLimits(FULL_BUILD_BOUNDS, historyBytes);
    const outcome = await buildFullInWorker({ settings, now }, limits, log, inThread);
    return { ...outcome, ms: Date.now() - started };
  }
  for (const m of warnings) log.warn(m);
  const run = startRun(inputs, log);
  timer.step('start');
  const outcome = await buildStages(run, opts, timer);
  log.detail(`build steps (ms): ${timer.text()}`);
  return { ...outcome, ms: Date.now() - started };
}

type Timer = ReturnType<typeof stepTimer>;

async function buildStages(run: BuildRun, opts: BuildOptions, timer: Timer): Promise<Omit<BuildOutcome, 'ms'>> {
  const history = await ingestHistory(run);
  timer.step('history');
  const tracked = trackOpenSessions(run);
  const days = await summariseDays(run, tracked);
  const people = await summariseUsers(run, tracked);
  const whole = wholeHistoryCounts(run, tracked, days);
  // The days dirty before the anomalies mark theirs (whole-history.ts).
  const dirty = new Set(run.dirty.days);
  timer.step('summaries');
  const made = { tracked, days, people, whole: { ...whole, dirty } };
  const { published, exported, filesWritten: written } = await outputStages(run, made, opts, timer);
  let filesWritten = written;
  run.log.detail(
    `build: ${history.newEnded} new ended, ${run.dirty.days.size} dirty day(s), ${run.dirty.userMonths.size} dirty user(s)` +
      `${people.usersChanged ? ' (user list changed)' : ''}, ${published.produced.size} page model(s)`,
  );
  filesWritten += await removeStalePages(run, published);
  await commitManifest(run, published.hashes, exported, history.csvBytes);
  timer.step('finish');
  return { full: run.full, pagesRendered: published.pagesRendered, filesWritten };
}

/** The stages that write the site's files. */
async function outputStages(
  run: BuildRun,
  made: {
    tracked: Tracked;
    days: string[];
    people: Users;
    whole: { counts: DayCount[]; files: string[]; dirty: ReadonlySet<string> };
  },
  opts: BuildOptions,
  timer: Timer,
): Promise<{ published: Published; exported: Awaited<ReturnType<typeof writeExports>>; filesWritten: number }> {
  const { tracked, days, people, whole } = made;
  // Before the pages: their rows carry the badges, and changed flags mark their days dirty.
  const anomalies = await findAnomalies(run, tracked, people);
  timer.step('find anomalies');
  const chart = await drawChart(run, tracked, opts.keepChartLoaded === true);
  timer.step('chart');
  const published = await publishPages(run, tracked, days, people, chart.svg, anomalies);
  timer.step('pages');
  const wholeDone = await writeWholeHistory(run, tracked, whole);
  const exported = await writeExports(run, tracked, days, people, whole.files);
  // Every file, kept ones too: the index holds what a run killed before the sums were saved wrote.
  for (const [file, f] of wholeDone.sha256) exported.sums.set(file, f.sha256, f.stamp);
  for (const file of wholeDone.gone) exported.sums.delete(file);
  timer.step('exports');
  let filesWritten = published.filesWritten + wholeDone.written + exported.written;
  filesWritten += await writeReports(run, tracked, people, anomalies, exported.sums);
  timer.step('reports');
  filesWritten += await writeSnapshots(run, tracked.live, published.recent, chart.series, days);
  timer.step('snapshots');
  filesWritten += await writeLookupIndex(run, tracked, days);
  timer.step('lookup');
  filesWritten += await writeAnomalies(run, anomalies);
  timer.step('anomalies');
  return { published, exported, filesWritten };
}
