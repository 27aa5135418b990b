/**
 * Stages 7–10: the export files, the JSON snapshots, removing pages not produced again, and
 * committing the manifest (last: a build that stops before it is redone from the same start).
 */
import { isRebuilt } from '../../core/build-plan.js';
import { dayFileName } from '../../core/export-names.js';
import { exportShard, pageShard, saveManifest, ShardedHashes } from '../../io/build-cache.js';
import { publishedPages, publishFiles, removeFiles } from '../../io/output.js';
import { siteAssets } from '../../render/assets.js';
import { aliasOf } from '../../render/models.js';
import { snapshotFiles } from '../../render/snapshots.js';
import { dayUrl, outputFile } from '../../render/urls.js';
import type { SeriesPoint } from '../../core/chart-series.js';
import type { Session } from '../../core/session.js';
import { emptyExportsManifest, updateExports } from '../exports.js';
import { writeWholeHistoryInWorker } from '../whole-history.js';
import type { Published } from './pages.js';
import { getUserMonth, type BuildRun } from './run.js';
import { sessionsOfDay, type Tracked, type Users } from './summaries.js';

/** Stage 7: export files of the views and days whose sessions changed; returns files written. */
export async function writeExports(
  run: BuildRun,
  tracked: Tracked,
  days: string[],
  people: Users,
): Promise<{ written: number; digests: ShardedHashes }> {
  const { m, settings, tz, aliases, now, cp } = run;
  m.exports ??= emptyExportsManifest();
  const digests = new ShardedHashes(cp.exports, exportShard);
  const exported = await updateExports(
    {
      out: settings.out,
      ctx: { lang: settings.lang, timeZone: tz, aliasOf: (s) => aliasOf(s, aliases), now },
      full: run.full,
      tracked: tracked.sessions,
      users: [...people.userNames],
      changedUsers: people.changedUsers,
      changedDays: run.dirty.days,
      days,
      sessionsOfDay: (day) => sessionsOfDay(run, tracked, day),
      // The day files are saved by now (stage 1): the worker reads them from the cache.
      writeWholeHistory: (views) =>
        writeWholeHistoryInWorker(
          {
            views,
            out: settings.out,
            cache: cp,
            lang: settings.lang,
            timeZone: tz,
            aliases,
            now,
            days,
            tracked: tracked.sessions,
          },
          Math.max(0, ...days.map((day) => m.days[day]?.sessions ?? 0)) + tracked.sessions.length,
        ),
      sessionsOfUser: async (user) => {
        const list = tracked.sessions.filter((s) => s.user === user);
        for (const month of m.users[user]?.months ?? []) list.push(...(await getUserMonth(run, user, month)));
        return list;
      },
    },
    m.exports,
    digests,
  );
  return { written: exported.written, digests };
}

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

/** Stage 10: the page and export hashes, then the manifest: what the next build starts from. */
export async function commitManifest(
  run: BuildRun,
  hashes: ShardedHashes,
  digests: ShardedHashes,
  csvBytes: number,
): Promise<void> {
  await hashes.save();
  await digests.save();
  run.m.csvBytes = csvBytes;
  run.m.generation = run.state.historyGeneration;
  run.m.key = run.key;
  await saveManifest(run.cp, run.m);
}
