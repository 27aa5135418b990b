/**
 * Stages 7–10: the export files, the JSON snapshots, removing pages not produced again, and
 * committing the manifest (last: a build that stops before it is redone from the same start).
 */
import type { ExportContext } from '../../core/export-rows.js';
import { isRebuilt } from '../../core/build-plan.js';
import { dayFileName } from '../../core/export-names.js';
import { GENESIS, type ChainHead } from '../../core/chain.js';
import { exportShard, exportSumsDir, pageShard, saveManifest, ShardedHashes } from '../../io/build-cache.js';
import { ExportSums } from '../../io/export-sums.js';
import { publishedPages, publishFiles, removeFiles } from '../../io/output.js';
import { siteAssets } from '../../render/assets.js';
import { aliasOf } from '../../render/models.js';
import { snapshotFiles } from '../../render/snapshots.js';
import { dayUrl, outputFile } from '../../render/urls.js';
import type { SeriesPoint } from '../../core/chart-series.js';
import type { Session } from '../../core/session.js';
import { EXPORT_ROWS_MAX, updateExports } from '../exports.js';
import { planWholeFiles, type DayCount } from '../../core/whole-history-plan.js';
import type { Published } from './pages.js';
import { getUserMonth, type BuildRun } from './run.js';
import { sessionsOfDay, type Tracked, type Users } from './summaries.js';

/**
 * Stage 4b: the rows each day has in the whole-history views, and (on the pages' context)
 * the years of their workbooks when a view has more rows than a sheet holds.
 */
export function wholeHistoryCounts(
  run: BuildRun,
  tracked: Tracked,
  days: string[],
): { counts: DayCount[]; files: string[] } {
  const open = new Map<string, number>();
  for (const s of tracked.live) open.set(tracked.dayOf(s), (open.get(tracked.dayOf(s)) ?? 0) + 1);
  const counts = days.map((day) => {
    const all = run.m.days[day]?.sessions ?? 0;
    return { day, all, ended: all - (open.get(day) ?? 0) };
  });
  const files = planWholeFiles(counts, EXPORT_ROWS_MAX);
  const years = (status: 'all' | 'ended') =>
    files
      .filter((f) => f.status === status && f.ext === 'xlsx' && f.year !== null)
      .map((f) => ({ year: f.year as string, leftOut: f.leftOut }));
  const all = years('all');
  const ended = years('ended');
  run.ctx.xlsxYears = { ...(all.length > 0 ? { all } : {}), ...(ended.length > 0 ? { ended } : {}) };
  return { counts, files: files.map((f) => f.file) };
}

/**
 * Stage 7: export files of the views and days whose sessions changed (the whole-history
 * files, `wholeFiles`, are stage 4c's); returns files written.
 */
export async function writeExports(
  run: BuildRun,
  tracked: Tracked,
  days: string[],
  people: Users,
  wholeFiles: readonly string[],
): Promise<{ written: number; digests: ShardedHashes; sums: ExportSums }> {
  const { settings, tz, aliases, now, cp } = run;
  const digests = new ShardedHashes(cp.exports, exportShard);
  // The files written now name the head the state holds now (after this run's appends).
  const sums = new ExportSums(exportSumsDir(cp), settings.out, chainStamp(run));
  const ctx: ExportContext = { lang: settings.lang, timeZone: tz, aliasOf: (s) => aliasOf(s, aliases), now };
  const exported = await updateExports(
    {
      out: settings.out,
      ctx,
      full: run.full,
      tracked: tracked.sessions,
      users: [...people.userNames],
      changedUsers: people.changedUsers,
      changedDays: run.dirty.days,
      days,
      sessionsOfDay: (day) => sessionsOfDay(run, tracked, day),
      wholeFiles,
      sessionsOfUser: async (user) => {
        const list = tracked.sessions.filter((s) => s.user === user);
        for (const month of run.m.users[user]?.months ?? []) list.push(...(await getUserMonth(run, user, month)));
        return list;
      },
    },
    digests,
    sums,
  );
  return { written: exported.written, digests, sums };
}

/** The chain head and rows the export files written now are built at (the state's, after this run's appends). */
export const chainStamp = (run: BuildRun): ChainHead => run.state.chain ?? { head: GENESIS, rows: 0 };

/** Stage 8: JSON snapshots of what the pages show, for other tools; returns files written. */
export async function writeSnapshots(
  run: BuildRun,
  live: Session[],
  recent: Session[],
  series: SeriesPoint[],
  days: string[],
): Promise<number> {
  const { m } = run;
  return publishFiles(
    run.settings.out,
    snapshotFiles({
      now: run.now,
      timeZone: run.tz,
      aliases: run.aliases,
      live,
      recent,
      series,
      days: days.map((day) => ({
        day,
        ...(m.days[day] as { sessions: number; users: number }),
        xlsx: `exports/days/${dayFileName(day)}`,
      })),
    }),
  );
}

/**
 * Stage 9: pages not produced again where they would have been — on a full build every page
 * the output folder holds; else those among the hash shards of the root, of the dirty days'
 * months and of the rebuilt users (core/build-plan.ts, isRebuilt) — are removed; then the
 * site's assets are published. Returns files written.
 */
export async function removeStalePages(run: BuildRun, published: Published): Promise<number> {
  const { hashes, produced, userScopes } = published;
  const out = run.settings.out;
  const known = run.full
    ? await publishedPages(out)
    : hashes.keysOf([
        'root',
        ...[...run.dirty.days].map((day) => pageShard(dayUrl(day))),
        ...userScopes.map((u) => pageShard(u.prefix)),
      ]);
  const scope = { full: run.full, dirtyDays: run.dirty.days, userScopes };
  const gone = known.filter((url) => isRebuilt(url, scope) && !produced.has(url));
  for (const url of gone) hashes.delete(url);
  await removeFiles(out, gone.map(outputFile));
  return publishFiles(
    out,
    (await siteAssets()).map((a) => ({ path: a.path, content: a.content })),
  );
}

/** Stage 10: the exports' sums files, the page and export hashes and sums, then the manifest: what the next build starts from. */
export async function commitManifest(
  run: BuildRun,
  hashes: ShardedHashes,
  exported: { digests: ShardedHashes; sums: ExportSums },
  csvBytes: number,
): Promise<void> {
  await exported.sums.publish(run.full);
  await hashes.save();
  await exported.digests.save();
  await exported.sums.save();
  run.m.csvBytes = csvBytes;
  run.m.generation = run.state.historyGeneration;
  run.m.key = run.key;
  await saveManifest(run.cp, run.m);
}
