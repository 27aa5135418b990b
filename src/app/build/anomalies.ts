/**
 * Stage 5b: what looks unusual (src/core/anomalies.ts), kept per user and month beside the
 * build cache (src/io/anomaly-cache.ts). Only users whose sessions changed are looked at
 * again, and of them only the months a change can reach: a month's own sessions, and the
 * `newCountryDays` after it (a session there may be new-country only because of one here).
 * The days of sessions whose flags changed are marked dirty, so their pages show the badges.
 * After the pages: data/anomalies.json, then the cache.
 */
import {
  anomalyKey,
  anomalyLabel,
  anomalyReason,
  anomalyRules,
  compareAnomalies,
  dormantAnomaly,
  lastSessionOf,
  userAnomalies,
  type Anomaly,
  type AnomalyRules,
} from '../../core/anomalies.js';
import { monthOf } from '../../core/build-plan.js';
import { own } from '../../core/dict.js';
import { dayOf, formatDateTime } from '../../core/format.js';
import type { Labels } from '../../core/i18n.js';
import type { Session } from '../../core/session.js';
import { msFromIso } from '../../core/time.js';
import {
  emptyAnomalyCache,
  loadAnomalyCache,
  saveAnomalyCache,
  anomalyCacheFile,
  type AnomalyCache,
  type CachedAnomaly,
  type UserAnomalies,
} from '../../io/anomaly-cache.js';
import { CacheError } from '../../io/build-cache.js';
import { publishFiles } from '../../io/output.js';
import type { KnownUser } from '../../render/models.js';
import type { AnomalyInput, DormantInput } from '../../render/pages.js';
import { SNAPSHOT_SCHEMA } from '../../render/snapshots.js';
import type { RowFlag } from '../../render/view-model.js';
import { getUserMonth, type BuildRun } from './run.js';
import type { Tracked, Users } from './summaries.js';

export const ANOMALIES_FILE = 'data/anomalies.json';
const DAY_MS = 86_400_000;

/** What the pages and the snapshot need: every anomaly (dormant ones of now included), oldest first. */
export interface FoundAnomalies {
  list: Anomaly[];
  reason(a: Anomaly): string;
  cache: AnomalyCache;
  /** False when the list is what the last build found: its snapshot stays as it is. */
  changed: boolean;
  /** False when the cache is as it was (a user's last session, say, moves it without changing the list). */
  cacheChanged: boolean;
}

/** "YYYY-MM" moved by `n` months. */
function addMonths(month: string, n: number): string {
  const d = new Date(Date.UTC(Number(month.slice(0, 4)), Number(month.slice(5, 7)) - 1 + n, 1));
  return d.toISOString().slice(0, 7);
}

/** The month of the day `days` after the first of `month`. */
function monthAfterDays(month: string, days: number): string {
  return new Date(msFromIso(`${month}-01T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 7);
}

/** The last month a change in `month` can reach: `days` after its end, and a month's margin for the zone. */
const reachOf = (month: string, days: number): string => addMonths(monthAfterDays(addMonths(month, 1), days), 1);

/** A user's anomalies again, for the months its changes reach (all of them without an entry to keep). */
async function recomputeUser(
  run: BuildRun,
  tracked: Tracked,
  rules: AnomalyRules,
  user: string,
  before: UserAnomalies | undefined,
): Promise<UserAnomalies | null> {
  const summary = own(run.m.users, user);
  const ownTracked = tracked.sessions.filter((s) => s.user === user);
  const monthOfTracked = (s: Session) => monthOf(tracked.dayOf(s));
  const months = [...new Set([...(summary?.months ?? []), ...ownTracked.map(monthOfTracked)])].sort();
  if (months.length === 0) return null;
  const first = [summary?.first, ...ownTracked.map((s) => s.connectedAt)].reduce<string>(
    (a, x) => (x !== undefined && (a === '' || x < a) ? x : a),
    '',
  );
  const n = rules.newCountryDays;
  let affected: (m: string) => boolean = () => true;
  if (!run.full && before !== undefined) {
    const ranges = [...(run.dirty.userMonths.get(user) ?? [])].map((d) => [d, reachOf(d, n)]);
    // A history that starts later (or earlier) changes who has N days of it: from the
    // earlier start to N days after the later one.
    if (before.first !== first) {
      const [early, late] = [before.first, first].sort() as [string, string];
      ranges.push([early.slice(0, 7), reachOf(late.slice(0, 7), n)]);
    }
    affected = (m) => ranges.some(([from, to]) => m >= (from as string) && m <= (to as string));
  }
  const redo = [...new Set([...months, ...Object.keys(before?.months ?? {})])].filter(affected).sort();
  const lowest = redo[0];
  const latest = months.at(-1) as string;
  // What the months to redo look back on: N days and a month before the first of them.
  const loadFrom = lowest === undefined ? latest : addMonths(monthAfterDays(lowest, -n), -1);
  const load = months.filter((m) => m >= loadFrom || m === latest);
  const byId = new Map<string, Session>();
  for (const m of load) for (const s of await getUserMonth(run, user, m)) byId.set(s.id, s);
  for (const s of ownTracked) byId.set(s.id, s);
  const sessions = [...byId.values()];
  const kept: Record<string, CachedAnomaly[]> = {};
  for (const [m, list] of Object.entries(before?.months ?? {})) if (!affected(m)) kept[m] = list;
  const dayOfId = new Map(sessions.map((s) => [s.id, dayOf(s.connectedAt, run.tz)]));
  for (const a of userAnomalies(user, sessions, first, rules)) {
    const m = monthOf(dayOf(a.at, run.tz));
    if (!affected(m)) continue;
    const days = a.sessionIds.map((id) => dayOfId.get(id) ?? dayOf(a.at, run.tz));
    const list = kept[m] ?? [];
    list.push({ ...a, days });
    kept[m] = list;
  }
  return { first, last: lastSessionOf(sessions), months: kept };
}

/** Session id → the kinds flagged on it (overlap, new-country, off-hours), with each session's day. */
function flagsOf(entry: UserAnomalies | undefined): Map<string, { day: string; kinds: string }> {
  const out = new Map<string, { day: string; kinds: string }>();
  for (const list of Object.values(entry?.months ?? {}))
    for (const a of list)
      a.sessionIds.forEach((id, i) => {
        const had = out.get(id);
        out.set(id, { day: a.days[i] ?? '', kinds: `${had?.kinds ?? ''}${anomalyKey(a)} ` });
      });
  return out;
}

/** The days and user-months of sessions whose flags came, went or changed. */
function markChanged(
  run: BuildRun,
  user: string,
  before: UserAnomalies | undefined,
  after: UserAnomalies | null,
): void {
  const [was, is] = [flagsOf(before), flagsOf(after ?? undefined)];
  for (const id of new Set([...was.keys(), ...is.keys()])) {
    const [a, b] = [was.get(id), is.get(id)];
    if (a?.kinds === b?.kinds) continue;
    for (const day of new Set([a?.day, b?.day])) {
      if (day === undefined || day === '') continue;
      run.dirty.days.add(day);
      const months = run.dirty.userMonths.get(user) ?? new Set<string>();
      months.add(monthOf(day));
      run.dirty.userMonths.set(user, months);
    }
  }
}

/** Stage 5b (before the pages): the anomalies, and the flags every history row shows (run.ctx.flags). */
export async function findAnomalies(run: BuildRun, tracked: Tracked, people: Users): Promise<FoundAnomalies> {
  const rules = anomalyRules(run.settings);
  const cached = run.full ? null : await loadAnomalyCache(run.cp);
  if (!run.full && cached === null) throw new CacheError(anomalyCacheFile(run.cp), 'missing');
  const cache = cached ?? emptyAnomalyCache();
  const users = run.full ? [...people.userNames] : [...people.changedUsers];
  let changed = run.full;
  let cacheChanged = run.full;
  for (const user of users) {
    const before = own(cache.users, user);
    const after = await recomputeUser(run, tracked, rules, user, before);
    if (!run.full) markChanged(run, user, before, after);
    // A busy run recomputes a few users whose anomalies mostly stay as they were.
    changed ||= JSON.stringify(before?.months) !== JSON.stringify(after?.months);
    cacheChanged ||= JSON.stringify(before) !== JSON.stringify(after ?? undefined);
    if (after === null) delete cache.users[user];
    else cache.users[user] = after;
  }
  const list: Anomaly[] = [];
  const dormantUsers: string[] = [];
  for (const [user, entry] of Object.entries(cache.users)) {
    for (const m of Object.values(entry.months)) for (const a of m) list.push(strip(a));
    const dormant = dormantAnomaly(user, entry.last, run.now, rules);
    if (dormant === null) continue;
    list.push(dormant);
    dormantUsers.push(user);
  }
  // Time alone makes users dormant: the list changes then too.
  changed ||= JSON.stringify(dormantUsers.sort()) !== JSON.stringify(cache.dormant);
  cache.dormant = dormantUsers;
  list.sort(compareAnomalies);
  const when = (iso: string) => formatDateTime(iso, run.tz);
  const reason = (a: Anomaly) => anomalyReason(a, run.t, run.settings.lang, rules, when);
  const flags = new Map<string, RowFlag[]>();
  for (const a of list) {
    if (a.kind === 'dormant') continue;
    const flag: RowFlag = { kind: a.kind, label: anomalyLabel(a.kind, run.t), reason: reason(a) };
    for (const id of a.sessionIds) flags.set(id, [...(flags.get(id) ?? []), flag]);
  }
  run.ctx.flags = flags;
  return { list, reason, cache, changed, cacheChanged: cacheChanged || changed };
}

const strip = ({ kind, user, sessionIds, at, detail }: CachedAnomaly): Anomaly => ({
  kind,
  user,
  sessionIds,
  at,
  detail,
});

/** The anomalies as `anomalies --json` gives them. */
export function anomaliesJson(list: readonly Anomaly[], reason: (a: Anomaly) => string) {
  return list.map((a) => ({ kind: a.kind, user: a.user, sessionIds: a.sessionIds, at: a.at, reason: reason(a) }));
}

/**
 * After the pages: data/anomalies.json, then the cache (see the file's comment), when the
 * list changed (a large history's snapshot is megabytes). Returns files written.
 */
export async function writeAnomalies(run: BuildRun, found: FoundAnomalies): Promise<number> {
  if (!found.changed) {
    if (found.cacheChanged) await saveAnomalyCache(run.cp, found.cache);
    return 0;
  }
  const content = `${JSON.stringify(
    {
      schemaVersion: SNAPSHOT_SCHEMA,
      generatedAt: run.now,
      timeZone: run.tz,
      anomalies: anomaliesJson(found.list, found.reason),
    },
    null,
    1,
  )}\n`;
  const written = await publishFiles(run.settings.out, [{ path: ANOMALIES_FILE, content }]);
  await saveAnomalyCache(run.cp, found.cache);
  return written;
}

/** The /anomalies/ page's rows and the users page's dormant users (longest gone first). */
export function anomalyPageInputs(
  found: FoundAnomalies,
  knownUser: (user: string) => KnownUser,
  t: Labels,
): { items: AnomalyInput[]; dormant: DormantInput[] } {
  const items = found.list.map((a) => ({
    anomaly: a,
    label: anomalyLabel(a.kind, t),
    reason: found.reason(a),
    user: knownUser(a.user),
  }));
  const dormant = items
    .filter((i) => i.anomaly.kind === 'dormant')
    .map((i) => ({ user: i.user, lastEnd: i.anomaly.detail[1] ?? i.anomaly.at, reason: i.reason }));
  return { items, dormant };
}
