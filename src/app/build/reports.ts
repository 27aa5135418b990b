/**
 * Stage 7b: the monthly reports (src/app/reports.ts) of the user-months whose sessions
 * changed, before the endpoint answers a delete like every other file.
 */
import type { ExportContext } from '../../core/export-rows.js';
import type { Session } from '../../core/session.js';
import { reportsCacheDir } from '../../io/build-cache.js';
import type { ExportSums } from '../../io/export-sums.js';
import { aliasOf } from '../../render/models.js';
import { updateReports } from '../reports.js';
import { getUserMonth, type BuildRun } from './run.js';
import type { FoundAnomalies } from './anomalies.js';
import type { Tracked, Users } from './summaries.js';

/** Returns the files written. */
export async function writeReports(
  run: BuildRun,
  tracked: Tracked,
  people: Users,
  found: FoundAnomalies,
  sums: ExportSums,
): Promise<number> {
  const { settings, tz, aliases, now } = run;
  const ctx: ExportContext = { lang: settings.lang, timeZone: tz, aliasOf: (s) => aliasOf(s, aliases), now };
  // Tracked sessions by user and month (a handful; a full build asks for every user-month).
  const trackedOf = new Map<string, Map<string, Session[]>>();
  for (const s of tracked.sessions) {
    const months = trackedOf.get(s.user) ?? new Map<string, Session[]>();
    const month = tracked.dayOf(s).slice(0, 7);
    months.set(month, [...(months.get(month) ?? []), s]);
    trackedOf.set(s.user, months);
  }
  const done = await updateReports({
    out: settings.out,
    cacheDir: reportsCacheDir(run.cp),
    ctx,
    full: run.full,
    userMonths: () =>
      [...people.userNames].map((u) => [
        u,
        new Set([...(run.m.users[u]?.months ?? []), ...(trackedOf.get(u)?.keys() ?? [])]),
      ]),
    dirty: run.dirty.userMonths,
    sessionsOf: async (user, month) => [
      ...(await getUserMonth(run, user, month)),
      ...(trackedOf.get(user)?.get(month) ?? []),
    ],
    // Flags on the month's sessions; a dormant user has no session in the month it is dated.
    // findAnomalies marked the user-months whose flags changed dirty, so their reports follow.
    anomalies: found.list.filter((a) => a.kind !== 'dormant'),
    sums,
  });
  return done.written;
}
