/**
 * A user's totals of ended sessions, by month and day: the user page's table and the
 * user list's summary. The build cache stores a day's totals as a positional tuple
 * (src/io/build-cache.ts, `Totals`); `fromStored`/`toStored` convert at that boundary.
 */
import { own, setOwn } from './dict.js';
import { dayOf } from './format.js';
import type { Session } from './session.js';
import { secondsBetween } from './time.js';

export interface DayTotals {
  sessions: number;
  seconds: number;
  bytesIn: number;
  bytesOut: number;
}

export interface MonthTotals {
  days: Record<string, DayTotals>;
  /** Earliest start and latest end (or last sighting) of the month's sessions. */
  first: string;
  last: string;
  /** Recorded country → the earliest start and latest end of the month's sessions from there; absent for none. */
  countries?: Record<string, Seen>;
}

/** First and last time of something: an earliest start and a latest end (or last sighting). */
export interface Seen {
  first: string;
  last: string;
}

/** A user's months ("YYYY-MM") with ended sessions. */
export type UserMonthTotals = Record<string, MonthTotals>;

export interface UserSummary {
  first: string;
  last: string;
  sessions: number;
  /** Months with ended sessions, newest first. */
  months: string[];
}

/** The stored shape of a day's totals: sessions, seconds, bytes received, bytes sent. */
export type StoredDayTotals = [number, number, number, number];
/** A month's countries as [first, last]; absent where it has none (and in files written before countries). */
export type StoredUserTotals = Record<
  string,
  { days: Record<string, StoredDayTotals>; first: string; last: string; countries?: Record<string, [string, string]> }
>;

const byNewest = (a: string, b: string): number => (a < b ? 1 : a > b ? -1 : 0);

/** Totals of one user-month's sessions by day in `timeZone`; null for none. */
export function monthTotals(sessions: readonly Session[], timeZone: string): MonthTotals | null {
  const head = sessions[0];
  if (head === undefined) return null;
  const days: Record<string, DayTotals> = {};
  const countries: Record<string, Seen> = {};
  let first = head.connectedAt;
  let last = head.lastSeenAt;
  for (const s of sessions) {
    const day = dayOf(s.connectedAt, timeZone);
    const t = days[day] ?? { sessions: 0, seconds: 0, bytesIn: 0, bytesOut: 0 };
    days[day] = t;
    t.sessions += 1;
    t.seconds += s.durationS ?? secondsBetween(s.connectedAt, s.endedAt ?? s.lastSeenAt);
    t.bytesIn += s.bytesReceived ?? 0;
    t.bytesOut += s.bytesSent ?? 0;
    if (s.connectedAt < first) first = s.connectedAt;
    const end = s.endedAt ?? s.lastSeenAt;
    if (end > last) last = end;
    if (s.country != null) see(countries, s.country, s.connectedAt, end);
  }
  return Object.keys(countries).length === 0 ? { days, first, last } : { days, first, last, countries };
}

/** Widens `key`'s first and last time to cover `first`…`last`. Own keys only: the codes come from files. */
function see(into: Record<string, Seen>, key: string, first: string, last: string): void {
  const had = own(into, key);
  if (had === undefined) setOwn(into, key, { first, last });
  else {
    if (first < had.first) had.first = first;
    if (last > had.last) had.last = last;
  }
}

/** A country of a user's: first and last time, and whether a session from there is open now. */
export interface UserCountry extends Seen {
  country: string;
  connected: boolean;
}

/**
 * Every country a user connected from, most recent first: the months' totals and the tracked
 * sessions (open, or held as server-stopped), which the totals do not hold yet. An open one
 * counts with its start only and sets `connected`: its last sighting changes every run, the
 * page only when sessions start or end.
 */
export function userCountries(totals: UserMonthTotals, tracked: readonly Session[]): UserCountry[] {
  const all: Record<string, Seen> = {};
  for (const month of Object.values(totals))
    for (const [country, seen] of Object.entries(month.countries ?? {})) see(all, country, seen.first, seen.last);
  const connected = new Set<string>();
  for (const s of tracked) {
    if (s.country == null) continue;
    see(all, s.country, s.connectedAt, s.endedAt ?? s.connectedAt);
    if (s.endedAt === null) connected.add(s.country);
  }
  return Object.entries(all)
    .map(([country, seen]) => ({ country, ...seen, connected: connected.has(country) }))
    .sort(
      (a, b) =>
        Number(b.connected) - Number(a.connected) || byNewest(a.last, b.last) || (a.country < b.country ? -1 : 1),
    );
}

/** The summary over all of a user's months; null when it has none. */
export function userSummary(totals: UserMonthTotals): UserSummary | null {
  const months = Object.keys(totals).sort(byNewest);
  const entries = months.map((mo) => totals[mo] as MonthTotals);
  const head = entries[0];
  if (head === undefined) return null;
  return {
    first: entries.reduce((a, e) => (e.first < a ? e.first : a), head.first),
    last: entries.reduce((a, e) => (e.last > a ? e.last : a), head.last),
    sessions: entries.reduce((a, e) => a + Object.values(e.days).reduce((b, d) => b + d.sessions, 0), 0),
    months,
  };
}

/** Every day's totals, newest day first. */
export function totalsPerDay(totals: UserMonthTotals): ({ day: string } & DayTotals)[] {
  return Object.values(totals)
    .flatMap((e) => Object.entries(e.days))
    .sort((a, b) => byNewest(a[0], b[0]))
    .map(([day, t]) => ({ day, ...t }));
}

export function fromStored(stored: StoredUserTotals): UserMonthTotals {
  const out: UserMonthTotals = {};
  for (const [month, { days, first, last, countries }] of Object.entries(stored)) {
    const named: Record<string, DayTotals> = {};
    for (const [day, [sessions, seconds, bytesIn, bytesOut]] of Object.entries(days))
      named[day] = { sessions, seconds, bytesIn, bytesOut };
    if (countries === undefined) out[month] = { days: named, first, last };
    else {
      const seen: Record<string, Seen> = {};
      for (const [country, [f, l]] of Object.entries(countries)) setOwn(seen, country, { first: f, last: l });
      out[month] = { days: named, first, last, countries: seen };
    }
  }
  return out;
}

/** The stored shape, keys in the same order (the cache file's bytes stay as they were). */
export function toStored(totals: UserMonthTotals): StoredUserTotals {
  const out: StoredUserTotals = {};
  for (const [month, { days, first, last, countries }] of Object.entries(totals)) {
    const tuples: Record<string, StoredDayTotals> = {};
    for (const [day, t] of Object.entries(days)) tuples[day] = [t.sessions, t.seconds, t.bytesIn, t.bytesOut];
    if (countries === undefined) out[month] = { days: tuples, first, last };
    else {
      const seen = Object.entries(countries).map(([c, s]): [string, [string, string]] => [c, [s.first, s.last]]);
      out[month] = { days: tuples, first, last, countries: Object.fromEntries(seen) };
    }
  }
  return out;
}
