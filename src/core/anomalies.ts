/**
 * "What looks unusual": the anomaly kinds, from plain sessions and an explicit `now`. Pure.
 *
 * - `overlap`: one user with two sessions live at once (for more than an instant) from
 *   different real addresses; the same address is a reconnect. Users that share an account
 *   on purpose (`sharedAccounts`) are never flagged.
 * - `new-country`: a session from a country the user has not connected from in the
 *   `newCountryDays` before its start, once the user's history is at least that long.
 * - `off-hours`: a session that starts outside `workingHours` (wall time in the zone).
 * - `dormant`: a user whose last session ended `dormantDays` or more ago (none open).
 *
 * The same sessions give the same anomalies in the same order (sortAnomalies).
 */
import { countryName } from './country.js';
import type { Labels } from './i18n.js';
import { normaliseAddress } from './lookup.js';
import type { Session } from './session.js';
import type { Lang } from './settings.js';
import { isoFromMs, msFromIso, wallTimeAt } from './time.js';

export type AnomalyKind = 'overlap' | 'new-country' | 'off-hours' | 'dormant';
export const ANOMALY_KINDS: readonly AnomalyKind[] = ['overlap', 'new-country', 'off-hours', 'dormant'];

export interface Anomaly {
  kind: AnomalyKind;
  user: string;
  /** overlap: both sessions, earlier start first; dormant: the last session; else the session. */
  sessionIds: string[];
  /** overlap: the later start; dormant: when the user became dormant; else the session's start. */
  at: string;
  /** What the reason names: overlap [address, address]; new-country [code]; off-hours [weekday 0–6, "HH:MM"]; dormant [days, last end]. */
  detail: string[];
}

/** `workingHours` as configured: `{"days": "Mon-Fri", "from": "06:00", "to": "20:00"}`. */
export interface WorkingHours {
  days: string;
  from: string;
  to: string;
}

export interface ParsedHours {
  /** Weekdays, 0 = Sunday. */
  days: ReadonlySet<number>;
  /** Minutes after midnight: from included, to excluded. */
  from: number;
  to: number;
  text: string;
}

export interface AnomalyRules {
  timeZone: string;
  workingHours: ParsedHours | null;
  sharedAccounts: ReadonlySet<string>;
  newCountryDays: number;
  dormantDays: number;
}

export const DEFAULT_NEW_COUNTRY_DAYS = 90;
export const DEFAULT_DORMANT_DAYS = 90;
const DAY_MS = 86_400_000;
const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

function minutesOf(text: unknown): number | null {
  if (typeof text !== 'string') return null;
  const m = /^(\d{2}):(\d{2})$/.exec(text);
  if (m === null) return null;
  const [h, min] = [Number(m[1]), Number(m[2])];
  return (h < 24 && min < 60) || (h === 24 && min === 0) ? h * 60 + min : null;
}

/** "Mon-Fri", "Mon,Wed,Sat", "Sat-Sun", "Fri-Mon" (a range may wrap past Sunday); null when unreadable. */
function weekdaysOf(text: string): Set<number> | null {
  const out = new Set<number>();
  for (const part of text.split(',')) {
    const ends = part.trim().toLowerCase().split('-');
    const idx = ends.map((e) => WEEKDAYS.indexOf(e.trim()));
    if (idx.length > 2 || idx.some((i) => i < 0)) return null;
    const [a, b] = [idx[0] as number, idx[idx.length - 1] as number];
    for (let d = a; ; d = (d + 1) % 7) {
      out.add(d);
      if (d === b) break;
    }
  }
  return out;
}

/** The configured working hours, or a text saying what is wrong with them. */
export function parseWorkingHours(value: unknown): ParsedHours | string {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'an object';
  const keys = Object.keys(value).sort().join(',');
  if (keys !== 'days,from,to') return 'an object with exactly "days", "from" and "to"';
  const w = value as Record<string, unknown>;
  const days = typeof w.days === 'string' ? weekdaysOf(w.days) : null;
  if (days === null) return '"days" like "Mon-Fri" or "Mon,Wed,Fri" (Mon Tue Wed Thu Fri Sat Sun)';
  const [from, to] = [minutesOf(w.from), minutesOf(w.to)];
  if (from === null || to === null) return '"from" and "to" as "HH:MM" (00:00 to 24:00)';
  if (from >= to) return '"from" before "to" (hours within one day)';
  return { days, from, to, text: `${w.days as string} ${w.from as string}–${w.to as string}` };
}

export interface AnomalySettings {
  tz: string;
  workingHours?: WorkingHours;
  sharedAccounts?: string[];
  newCountryDays?: number;
  dormantDays?: number;
}

/** The rules from settings that passed validation (settings.ts); defaults where unset. */
export function anomalyRules(s: AnomalySettings): AnomalyRules {
  const hours = s.workingHours === undefined ? null : parseWorkingHours(s.workingHours);
  if (typeof hours === 'string') throw new Error(`workingHours must be ${hours}`);
  return {
    timeZone: s.tz,
    workingHours: hours,
    sharedAccounts: new Set(s.sharedAccounts ?? []),
    newCountryDays: s.newCountryDays ?? DEFAULT_NEW_COUNTRY_DAYS,
    dormantDays: s.dormantDays ?? DEFAULT_DORMANT_DAYS,
  };
}

const startMs = (s: Session): number => msFromIso(s.connectedAt);
const endMs = (s: Session): number => (s.endedAt === null ? Number.POSITIVE_INFINITY : msFromIso(s.endedAt));
const byStart = (a: Session, b: Session): number =>
  a.connectedAt < b.connectedAt ? -1 : a.connectedAt > b.connectedAt ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
const addressOf = (s: Session): string => normaliseAddress(s.realAddress) ?? s.realAddress;

/** Pairs of one user's sessions live at once for more than an instant, from different real addresses. */
function overlaps(user: string, sorted: readonly Session[]): Anomaly[] {
  const out: Anomaly[] = [];
  let live: Session[] = [];
  for (const s of sorted) {
    const start = startMs(s);
    // Ended at or before this start: touching at one instant is no overlap.
    live = live.filter((o) => endMs(o) > start);
    for (const o of live) {
      if (addressOf(o) === addressOf(s) || endMs(s) <= start) continue;
      out.push({
        kind: 'overlap',
        user,
        sessionIds: [o.id, s.id],
        at: s.connectedAt,
        detail: [o.realAddress, s.realAddress],
      });
    }
    live.push(s);
  }
  return out;
}

/** Sessions from a country not seen in the `days` before, once the history is that long. */
function newCountries(user: string, sorted: readonly Session[], firstSeenMs: number, days: number): Anomaly[] {
  const out: Anomaly[] = [];
  const window = days * DAY_MS;
  const lastEnd = new Map<string, number>();
  for (const s of sorted) {
    const c = s.country;
    if (c == null) continue;
    const start = startMs(s);
    const seen = lastEnd.get(c);
    if (start - firstSeenMs >= window && (seen === undefined || seen < start - window))
      out.push({ kind: 'new-country', user, sessionIds: [s.id], at: s.connectedAt, detail: [c] });
    lastEnd.set(c, Math.max(seen ?? Number.NEGATIVE_INFINITY, endMs(s)));
  }
  return out;
}

const pad = (n: number): string => String(n).padStart(2, '0');

function offHours(user: string, sorted: readonly Session[], hours: ParsedHours, tz: string): Anomaly[] {
  const out: Anomaly[] = [];
  for (const s of sorted) {
    const w = wallTimeAt(startMs(s), tz);
    const weekday = new Date(Date.UTC(w.year, w.month - 1, w.day)).getUTCDay();
    const minute = w.hour * 60 + w.minute + w.second / 60;
    if (hours.days.has(weekday) && minute >= hours.from && minute < hours.to) continue;
    const wall = `${w.year}-${pad(w.month)}-${pad(w.day)} ${pad(w.hour)}:${pad(w.minute)}`;
    out.push({ kind: 'off-hours', user, sessionIds: [s.id], at: s.connectedAt, detail: [String(weekday), wall] });
  }
  return out;
}

/**
 * One user's overlap, new-country and off-hours anomalies among `sessions`. `firstSeen` is
 * the start of the user's whole history (the sessions given may be a window of it).
 */
export function userAnomalies(
  user: string,
  sessions: readonly Session[],
  firstSeen: string,
  rules: AnomalyRules,
): Anomaly[] {
  const sorted = [...sessions].sort(byStart);
  return [
    ...(rules.sharedAccounts.has(user) ? [] : overlaps(user, sorted)),
    ...newCountries(user, sorted, msFromIso(firstSeen), rules.newCountryDays),
    ...(rules.workingHours === null ? [] : offHours(user, sorted, rules.workingHours, rules.timeZone)),
  ];
}

/** What `dormant` needs of a user's last session. */
export type LastSession = Pick<Session, 'id' | 'connectedAt' | 'endedAt'>;

/** The session that ended last (an open one wins); null for none. */
export function lastSessionOf(sessions: readonly Session[]): LastSession | null {
  let best: Session | null = null;
  for (const s of sessions) {
    if (best === null) best = s;
    else {
      const [a, b] = [endMs(s), endMs(best)];
      if (a > b || (a === b && byStart(s, best) > 0)) best = s;
    }
  }
  return best === null ? null : { id: best.id, connectedAt: best.connectedAt, endedAt: best.endedAt };
}

/** A user not seen for `dormantDays` or more (exactly that many counts); none while a session is open. */
export function dormantAnomaly(
  user: string,
  last: LastSession | null,
  now: string,
  rules: AnomalyRules,
): Anomaly | null {
  if (last === null || last.endedAt === null) return null;
  const since = msFromIso(now) - msFromIso(last.endedAt);
  if (since < rules.dormantDays * DAY_MS) return null;
  return {
    kind: 'dormant',
    user,
    sessionIds: [last.id],
    at: isoFromMs(msFromIso(last.endedAt) + rules.dormantDays * DAY_MS),
    detail: [String(Math.floor(since / DAY_MS)), last.endedAt],
  };
}

/** Oldest first: time, kind, user, sessions. */
export function compareAnomalies(a: Anomaly, b: Anomaly): number {
  const key = (x: Anomaly) => [x.at, String(ANOMALY_KINDS.indexOf(x.kind)), x.user, x.sessionIds.join(',')];
  const [ka, kb] = [key(a), key(b)];
  for (let i = 0; i < ka.length; i++) {
    const [p, q] = [ka[i] as string, kb[i] as string];
    if (p !== q) return p < q ? -1 : 1;
  }
  return 0;
}

/** A stable name of an anomaly, for anchors and diffs. */
export const anomalyKey = (a: Anomaly): string => `${a.kind}:${a.sessionIds.join('+')}`;

/** Every anomaly of a store's sessions (the CLI's way: the whole history at once). */
export function detectAnomalies(sessions: readonly Session[], rules: AnomalyRules, now: string): Anomaly[] {
  const byUser = new Map<string, Session[]>();
  for (const s of sessions) byUser.set(s.user, [...(byUser.get(s.user) ?? []), s]);
  const out: Anomaly[] = [];
  for (const [user, list] of byUser) {
    const first = list.reduce((a, s) => (s.connectedAt < a ? s.connectedAt : a), (list[0] as Session).connectedAt);
    out.push(...userAnomalies(user, list, first, rules));
    const dormant = dormantAnomaly(user, lastSessionOf(list), now, rules);
    if (dormant !== null) out.push(dormant);
  }
  return out.sort(compareAnomalies);
}

/** The kind's short name, for badges and the page. */
export function anomalyLabel(kind: AnomalyKind, t: Labels): string {
  if (kind === 'overlap') return t.anomalyOverlap;
  if (kind === 'new-country') return t.anomalyNewCountry;
  if (kind === 'off-hours') return t.anomalyOffHours;
  return t.anomalyDormant;
}

/** Why it was flagged, in the language of `t`; times as given (the caller formats them in its zone). */
export function anomalyReason(
  a: Anomaly,
  t: Labels,
  lang: Lang,
  rules: AnomalyRules,
  when: (iso: string) => string,
): string {
  const d = a.detail;
  const fill = (text: string, values: Record<string, string>): string =>
    text.replace(/\{(\w+)\}/g, (m, k: string) => values[k] ?? m);
  if (a.kind === 'overlap') return fill(t.reasonOverlap, { a: d[0] ?? '', b: d[1] ?? '' });
  if (a.kind === 'new-country') {
    const code = d[0] ?? '';
    const n = rules.newCountryDays;
    return fill(n === 1 ? t.reasonNewCountryOne : t.reasonNewCountry, {
      country: `${code} (${countryName(code, lang)})`,
      n: String(n),
    });
  }
  if (a.kind === 'off-hours') {
    const day = (t.weekdays.split(',')[Number(d[0])] ?? '').trim();
    return fill(t.reasonOffHours, { when: `${day} ${d[1] ?? ''}`, hours: rules.workingHours?.text ?? '' });
  }
  return fill(d[0] === '1' ? t.reasonDormantOne : t.reasonDormant, { n: d[0] ?? '', when: when(d[1] ?? '') });
}
