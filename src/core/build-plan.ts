/**
 * What a build must redo, worked out from plain data: which days and user-months a batch of
 * sessions touches, which pages an open or held session changed since the last build, the
 * neighbours whose older/newer links a new day or month changes, whether the user list
 * changed, and which published pages count as rebuilt (those not produced again are removed).
 */
import { dayOf } from './format.js';
import type { Session } from './session.js';

export const monthOf = (day: string): string => day.slice(0, 7);
/** Newest first ("YYYY-MM-DD" and "YYYY-MM" sort as text). */
export const byNewest = (a: string, b: string): number => (a < b ? 1 : a > b ? -1 : 0);

/** Days and, per user, months whose pages are rebuilt. */
export interface Dirty {
  days: Set<string>;
  userMonths: Map<string, Set<string>>;
}

export const emptyDirty = (): Dirty => ({ days: new Set(), userMonths: new Map() });

export function markDirty(dirty: Dirty, day: string, user: string): void {
  dirty.days.add(day);
  const months = dirty.userMonths.get(user) ?? new Set<string>();
  months.add(monthOf(day));
  dirty.userMonths.set(user, months);
}

export const userMonthKey = (user: string, month: string): string => `${month}\u0000${user}`;

/** What finds a session's day and user-month (a removed row is known by no more). */
export type SessionRef = Pick<Session, 'id' | 'connectedAt' | 'user'>;

/** A batch of sessions by day and by user-month, in the order first seen. */
export interface SessionGroups {
  byDay: Map<string, Session[]>;
  byUserMonth: Map<string, { user: string; month: string; sessions: Session[] }>;
}

/**
 * Groups `added` by day and user-month. `touched` (removed sessions) only open their
 * (possibly empty) groups: their day and user-month files are rewritten without them.
 */
export function groupSessions(
  added: readonly Session[],
  timeZone: string,
  touched: readonly SessionRef[] = [],
): SessionGroups {
  const byDay = new Map<string, Session[]>();
  const byUserMonth = new Map<string, { user: string; month: string; sessions: Session[] }>();
  const open = (s: SessionRef): { day: Session[]; userMonth: Session[] } => {
    const day = dayOf(s.connectedAt, timeZone);
    const month = monthOf(day);
    const list = byDay.get(day) ?? [];
    byDay.set(day, list);
    const k = userMonthKey(s.user, month);
    const entry = byUserMonth.get(k) ?? { user: s.user, month, sessions: [] };
    byUserMonth.set(k, entry);
    return { day: list, userMonth: entry.sessions };
  };
  for (const s of touched) open(s);
  for (const s of added) {
    const g = open(s);
    g.day.push(s);
    g.userMonth.push(s);
  }
  return { byDay, byUserMonth };
}

/** Marks every day and user-month of the groups dirty. */
export function markGroups(dirty: Dirty, groups: SessionGroups): void {
  for (const [day] of groups.byDay) dirty.days.add(day);
  for (const { user, month } of groups.byUserMonth.values()) {
    const months = dirty.userMonths.get(user) ?? new Set<string>();
    months.add(month);
    dirty.userMonths.set(user, months);
  }
}

/** What a tracked session shows on history pages; a change means its pages need rebuilding. */
export function trackedSignature(s: Session, timeZone: string): string {
  const ended = s.endedAt !== null;
  return JSON.stringify([
    dayOf(s.connectedAt, timeZone),
    s.user,
    s.endedAt,
    s.virtualAddress,
    s.virtualIpv6,
    ended ? [s.bytesReceived, s.bytesSent] : null,
    // Looked up once; a session seen before countries were recorded gets one on a later run.
    s.country ?? null,
  ]);
}

/**
 * Open and held sessions against their signatures at the last build: a new or changed one
 * dirties its day and user-month, one no longer tracked those it was on. Returns the new
 * signatures and the users tracked last time.
 */
export function planTracked(
  tracked: readonly Session[],
  previous: Readonly<Record<string, string>>,
  timeZone: string,
  dirty: Dirty,
): { signatures: Record<string, string>; previousUsers: Set<string> } {
  const signatures: Record<string, string> = {};
  for (const s of tracked) {
    const sig = trackedSignature(s, timeZone);
    signatures[s.id] = sig;
    if (previous[s.id] !== sig) markDirty(dirty, dayOf(s.connectedAt, timeZone), s.user);
  }
  const previousUsers = new Set<string>();
  for (const [id, sig] of Object.entries(previous)) {
    const [day, user] = JSON.parse(sig) as [string, string];
    previousUsers.add(user);
    if (signatures[id] === undefined) markDirty(dirty, day, user);
  }
  return { signatures, previousUsers };
}

/** The newer and older entry beside `list[i]` (lists are newest first). */
export function neighbours(list: readonly string[], i: number): { newer: string | null; older: string | null } {
  return { newer: list[i - 1] ?? null, older: list[i + 1] ?? null };
}

/**
 * Entries of `after` whose newer or older entry is not the one it had in `before` (both
 * newest first), and entries new in `after`: their older/newer links change. An entry gone
 * from the list changes the links of the ones that stood beside it.
 */
export function neighboursMoved(before: readonly string[], after: readonly string[]): string[] {
  const at = new Map(before.map((entry, i) => [entry, i]));
  return after.filter((entry, i) => {
    const j = at.get(entry);
    return j === undefined || before[j - 1] !== after[i - 1] || before[j + 1] !== after[i + 1];
  });
}

/**
 * A user's month pages to render: its dirty months, and those whose older/newer links
 * change. `months` is the user's months now; `known` and `before` are the months of its
 * summary (those with ended sessions) now and at the last build (undefined: none). A dirty
 * month outside the summary holds tracked sessions only and may be new: it counts as new.
 */
export function monthsToRender(
  months: readonly string[],
  dirtyMonths: ReadonlySet<string>,
  known: readonly string[] | undefined,
  before: readonly string[] | undefined,
): Set<string> {
  const out = new Set(dirtyMonths);
  const summary = new Set(known ?? []);
  const earlier = new Set([...(before ?? []), ...months.filter((mo) => !summary.has(mo) && !dirtyMonths.has(mo))]);
  for (const mo of neighboursMoved([...earlier].sort(byNewest), months)) out.add(mo);
  return out;
}

/** Whether the filter dropdown's user list changed: a user came (not even tracked before) or went. */
export function userListChanged(
  now: ReadonlySet<string>,
  before: ReadonlySet<string>,
  trackedBefore: ReadonlySet<string>,
): boolean {
  return [...now].some((u) => !before.has(u) && !trackedBefore.has(u)) || [...before].some((u) => !now.has(u));
}

/** A rebuilt user's pages: its root pages always, its month pages when listed (null: the user is gone). */
export interface UserScope {
  prefix: string;
  months: Set<string> | null;
}

/**
 * Whether a published page's url was rebuilt this run (on a full build every page; else
 * live and users-index parts, the continuations of the dashboard and /ended/, the pages of a
 * dirty day, a rebuilt user's roots (their continuations too) and rendered months): such a
 * page not produced again is gone.
 */
export function isRebuilt(
  url: string,
  run: { full: boolean; dirtyDays: ReadonlySet<string>; userScopes: readonly UserScope[] },
): boolean {
  if (run.full || url.startsWith('/live/') || url.startsWith('/users/')) return true;
  // The continuation of the dashboard and of /ended/, rendered with them on every run.
  if (url.startsWith('/more/') || url.startsWith('/ended/more/')) return true;
  if (url.startsWith('/d/') && run.dirtyDays.has(url.slice(3, 13))) return true;
  for (const { prefix, months } of run.userScopes) {
    if (!url.startsWith(prefix)) continue;
    const rest = url.slice(prefix.length);
    return months === null || !rest.startsWith('m/') || months.has(rest.slice(2, 9));
  }
  return false;
}
