/**
 * Stage 8b: the address lookup's index for the browser (site/assets/lookup.js): a shard per
 * month (data/lookup/YYYY-MM.json) of the sessions that started that month in the zone, and
 * data/lookup/index.json with each month's first start and last end (null while a session
 * is open), so a query fetches only the shards whose sessions can touch its period. Only the
 * months of the dirty days are written again; a month left without sessions loses its shard
 * in the same build, before the endpoint answers a delete.
 */
import { normaliseAddress } from '../../core/lookup.js';
import type { Session } from '../../core/session.js';
import { msFromIso } from '../../core/time.js';
import { LOOKUP_DIR, publishedLookupMonths, readLookupIndex } from '../../io/lookup-files.js';
import { publishFiles, removeFiles } from '../../io/output.js';
import { slugOf } from '../../render/models.js';
import type { BuildRun } from './run.js';
import { sessionsOfDay, type Tracked } from './summaries.js';

/** A month in the index: [month, first start, last end or null while one is open] (epoch seconds). */
type MonthEntry = [string, number, number | null];

const seconds = (iso: string): number => Math.floor(msFromIso(iso) / 1000);

/** One month's shard: users once, then a row per session (what the match and the result rows need). */
function shardOf(run: BuildRun, month: string, byDay: [string, Session[]][]): { text: string; entry: MonthEntry } {
  const users: [string, string][] = [];
  const userIndex = new Map<string, number>();
  const rows: unknown[] = [];
  let first = Number.POSITIVE_INFINITY;
  let last: number | null = 0;
  for (const [day, sessions] of byDay) {
    for (const s of sessions) {
      let u = userIndex.get(s.user);
      if (u === undefined) {
        u = users.push([s.user, slugOf(s.user, run.ctx)]) - 1;
        userIndex.set(s.user, u);
      }
      const start = seconds(s.connectedAt);
      const end = s.endedAt === null ? null : seconds(s.endedAt);
      first = Math.min(first, start);
      last = last === null || end === null ? null : Math.max(last, end);
      const address = (a: string | null) => (a === null || a === '' ? null : (normaliseAddress(a) ?? a));
      rows.push([
        u,
        day.slice(8, 10),
        start,
        end,
        address(s.realAddress),
        s.realPort,
        address(s.virtualAddress),
        address(s.virtualIpv6),
      ]);
    }
  }
  const text = JSON.stringify({ schemaVersion: 1, month, users, sessions: rows });
  return { text, entry: [month, first, last] };
}

function parseIndex(text: string | null): Map<string, MonthEntry> | null {
  if (text === null) return null;
  try {
    const index = JSON.parse(text) as { schemaVersion?: number; months?: MonthEntry[] };
    if (index.schemaVersion !== 1 || !Array.isArray(index.months)) return null;
    return new Map(index.months.map((m) => [m[0], m]));
  } catch (e) {
    if (e instanceof SyntaxError) return null;
    throw e;
  }
}

/** Returns files written. */
export async function writeLookupIndex(run: BuildRun, tracked: Tracked, days: string[]): Promise<number> {
  const out = run.settings.out;
  const known = run.full ? null : parseIndex(await readLookupIndex(out));
  if (!run.full && known === null) run.log.detail('build: the lookup index is missing or damaged: all months again');
  const months = new Map<string, string[]>();
  for (const day of [...days].sort()) months.set(day.slice(0, 7), [...(months.get(day.slice(0, 7)) ?? []), day]);
  const dirty = known === null ? new Set([...months.keys()]) : new Set([...run.dirty.days].map((d) => d.slice(0, 7)));
  const entries = new Map(known ?? []);
  const files: { path: string; content: string }[] = [];
  const gone: string[] = [];
  for (const month of dirty) {
    const list = months.get(month);
    if (list === undefined) {
      entries.delete(month);
      gone.push(`${LOOKUP_DIR}/${month}.json`);
      continue;
    }
    const byDay: [string, Session[]][] = [];
    for (const day of list) byDay.push([day, await sessionsOfDay(run, tracked, day)]);
    const { text, entry } = shardOf(run, month, byDay);
    entries.set(month, entry);
    files.push({ path: `${LOOKUP_DIR}/${month}.json`, content: text });
  }
  // A full build also removes shards of months no longer there (and any stray ones).
  if (known === null) {
    for (const month of await publishedLookupMonths(out))
      if (!months.has(month)) gone.push(`${LOOKUP_DIR}/${month}.json`);
  }
  const index = {
    schemaVersion: 1,
    timeZone: run.tz,
    months: [...entries.values()].sort((a, b) => (a[0] < b[0] ? -1 : 1)),
  };
  // Shards first, then the index that points at them; removed months leave the index first.
  let written = await publishFiles(out, files);
  written += await publishFiles(out, [{ path: `${LOOKUP_DIR}/index.json`, content: JSON.stringify(index) }]);
  await removeFiles(out, gone);
  return written;
}
