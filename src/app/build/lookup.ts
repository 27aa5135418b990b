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

/** One month's shard being made: users once, then a row per session (what the match and the result rows need). */
class Shard {
  private readonly users: [string, string][] = [];
  private readonly userIndex = new Map<string, number>();
  private readonly rows: unknown[] = [];
  private first = Number.POSITIVE_INFINITY;
  private last: number | null = 0;
  constructor(
    private readonly run: BuildRun,
    private readonly month: string,
  ) {}

  /** A day's sessions, taken as rows at once: a month of a large history is never held as sessions. */
  add(day: string, sessions: readonly Session[]): void {
    const address = (a: string | null) => (a === null || a === '' ? null : (normaliseAddress(a) ?? a));
    for (const s of sessions) {
      let u = this.userIndex.get(s.user);
      if (u === undefined) {
        u = this.users.push([s.user, slugOf(s.user, this.run.ctx)]) - 1;
        this.userIndex.set(s.user, u);
      }
      const start = seconds(s.connectedAt);
      const end = s.endedAt === null ? null : seconds(s.endedAt);
      this.first = Math.min(this.first, start);
      this.last = this.last === null || end === null ? null : Math.max(this.last, end);
      const row = [u, day.slice(8, 10), start, end, address(s.realAddress), s.realPort];
      this.rows.push([...row, address(s.virtualAddress), address(s.virtualIpv6)]);
    }
  }

  done(): { text: string; entry: MonthEntry } {
    const text = JSON.stringify({ schemaVersion: 1, month: this.month, users: this.users, sessions: this.rows });
    return { text, entry: [this.month, this.first, this.last] };
  }
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
  const gone: string[] = [];
  // Shards first (each written as soon as it is made), then the index that points at them.
  let written = 0;
  for (const month of dirty) {
    const list = months.get(month);
    if (list === undefined) {
      entries.delete(month);
      gone.push(`${LOOKUP_DIR}/${month}.json`);
      continue;
    }
    const shard = new Shard(run, month);
    for (const day of list) shard.add(day, await sessionsOfDay(run, tracked, day));
    const { text, entry } = shard.done();
    entries.set(month, entry);
    written += await publishFiles(out, [{ path: `${LOOKUP_DIR}/${month}.json`, content: text }]);
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
  // Removed months leave the index before their shards go.
  written += await publishFiles(out, [{ path: `${LOOKUP_DIR}/index.json`, content: JSON.stringify(index) }]);
  await removeFiles(out, gone);
  return written;
}
