/**
 * Stages 2–4: the open and held sessions (which pages they changed since the last build),
 * the day summaries, and the users: per-month totals, summaries and the filter's user list.
 */
import { byNewest, neighboursMoved, planTracked, userListChanged, userMonthKey } from '../../core/build-plan.js';
import { dayOf } from '../../core/format.js';
import { untrack } from '../../core/reconcile.js';
import type { Session } from '../../core/session.js';
import { planSlugs, userCacheName } from '../../core/slug.js';
import { fromStored, monthTotals, toStored, userSummary, type UserMonthTotals } from '../../core/totals.js';
import { loadUserTotals, saveUserTotals } from '../../io/build-cache.js';
import { aliasOf, type KnownUser } from '../../render/models.js';
import { getDay, getUserMonth, type BuildRun } from './run.js';

/** The open and held sessions of every host, with each one's day worked out once. */
export interface Tracked {
  sessions: Session[];
  live: Session[];
  /** Users with a tracked session at the last build. */
  previousUsers: Set<string>;
  dayOf(s: Session): string;
  onDay(day: string): Session[];
}

/** Stage 2: open and held sessions (a session listed by two hosts is one) and the pages they changed. */
export function trackOpenSessions(run: BuildRun): Tracked {
  const { state, extras, tz } = run;
  const sessions = [
    ...new Map(
      [state, ...extras.map((x) => x.state)].flatMap((st) => st.tracked.map(untrack)).map((s) => [s.id, s]),
    ).values(),
  ];
  const { signatures, previousUsers } = planTracked(sessions, run.m.tracked, tz, run.dirty);
  run.m.tracked = signatures;
  const days = new Map(sessions.map((s) => [s, dayOf(s.connectedAt, tz)]));
  const dayOfTracked = (s: Session): string => days.get(s) as string;
  return {
    sessions,
    live: sessions.filter((s) => s.endedAt === null),
    previousUsers,
    dayOf: dayOfTracked,
    onDay: (day) => sessions.filter((s) => dayOfTracked(s) === day),
  };
}

/** A day's ended and tracked sessions. */
export async function sessionsOfDay(run: BuildRun, tracked: Tracked, day: string): Promise<Session[]> {
  return [...(await getDay(run, day)), ...tracked.onDay(day)];
}

/** Stage 3: day summaries of the dirty days; returns the days with history, newest first. */
export async function summariseDays(run: BuildRun, tracked: Tracked): Promise<string[]> {
  const m = run.m;
  for (const day of run.dirty.days) {
    const sessions = await sessionsOfDay(run, tracked, day);
    if (sessions.length === 0) delete m.days[day];
    else m.days[day] = { sessions: sessions.length, users: new Set(sessions.map((s) => s.user)).size };
  }
  const days = Object.keys(m.days).sort(byNewest);
  // A day that came or went changes its neighbours' newer/older links.
  for (const n of neighboursMoved([...run.oldDays].sort(byNewest), days)) run.dirty.days.add(n);
  return days;
}

/**
 * A dirty user's totals, recomputed from the user-month files this build rewrote (a month
 * dirty only for its open sessions keeps its totals); saved when any changed.
 */
async function userTotals(run: BuildRun, user: string, months: Set<string>): Promise<UserMonthTotals> {
  const cacheName = userCacheName(user);
  const totals = fromStored(await loadUserTotals(run.cp, cacheName));
  let recomputed = false;
  for (const month of months) {
    if (totals[month] !== undefined && !run.savedUserMonths.has(userMonthKey(user, month))) continue;
    recomputed = true;
    const computed = monthTotals(await getUserMonth(run, user, month), run.tz);
    if (computed === null) delete totals[month];
    else totals[month] = computed;
  }
  if (recomputed) await saveUserTotals(run.cp, cacheName, toStored(totals));
  return totals;
}

export interface Users {
  /** The filter dropdown's users, in its order. */
  users: KnownUser[];
  userNames: Set<string>;
  usersChanged: boolean;
  /** Users whose sessions changed (before the user-list rule adds the rest to the dirty ones). */
  changedUsers: Set<string>;
  knownUser(user: string): KnownUser;
}

/**
 * The user list's order. One collator (localeCompare with options builds one per call), made
 * only when a list must be sorted: creating it loads ICU's collation data, and most runs find
 * the users of the last one (Manifest.userOrder).
 */
let userCollator: Intl.Collator | null = null;
function compareUsers(a: string, b: string): number {
  userCollator ??= new Intl.Collator('en', { sensitivity: 'base' });
  return userCollator.compare(a, b) || (a < b ? -1 : 1);
}

/** Users came to share a page name or no longer do: links to them on every page move. */
export class SlugsChanged extends Error {}

/** Distinct page names even for users whose hashes collide; a change in who clashes needs a full build. */
function planPageNames(run: BuildRun, users: string[]): void {
  const plan = planSlugs(users);
  const slugPairs = [...plan.slugs].sort((a, b) => (a[0] < b[0] ? -1 : 1));
  if (!run.full && JSON.stringify(slugPairs) !== JSON.stringify(run.m.slugs ?? [])) {
    throw new SlugsChanged('the user page names changed');
  }
  for (const c of plan.clashes) {
    const names = c.users.map((u) => JSON.stringify(u)).join(', ');
    run.log.warn(`users ${names} share the page name u/${c.slug}/: each gets a longer one`);
  }
  run.ctx.slugs = plan.slugs;
  run.m.slugs = slugPairs;
}

/** Stage 4: the dirty users' totals and summaries, and the known users (with history or connected now). */
export async function summariseUsers(run: BuildRun, tracked: Tracked): Promise<Users> {
  const m = run.m;
  const previousUsers = new Set(Object.keys(m.users));
  // Each user's totals are dropped once summarised (the pages read them again from the
  // cache): every user's totals of a large history together would be held to the end.
  for (const [user, months] of run.dirty.userMonths) {
    const totals = await userTotals(run, user, months);
    const summary = userSummary(totals);
    if (summary === null) delete m.users[user];
    else m.users[user] = summary;
  }
  const userNames = new Set([...Object.keys(m.users), ...tracked.sessions.map((s) => s.user)]);
  for (const s of tracked.sessions) if (!run.sample.has(s.user)) run.sample.set(s.user, s);
  const knownUser = (user: string): KnownUser => {
    const s = run.sample.get(user);
    return { user, alias: aliasOf(s ?? { user, commonName: user, username: null }, run.aliases) };
  };
  const previousOrder = m.userOrder;
  const sameUsers =
    previousOrder !== undefined &&
    previousOrder.length === userNames.size &&
    previousOrder.every((u) => userNames.has(u));
  m.userOrder = sameUsers ? previousOrder : [...userNames].sort(compareUsers);
  planPageNames(run, m.userOrder);
  const usersChanged = run.full || userListChanged(userNames, previousUsers, tracked.previousUsers);
  const changedUsers = new Set(run.dirty.userMonths.keys());
  if (usersChanged) {
    // Every filter dropdown lists the users: rebuild every user's root pages.
    for (const u of userNames) if (!run.dirty.userMonths.has(u)) run.dirty.userMonths.set(u, new Set());
  }
  return { users: m.userOrder.map(knownUser), userNames, usersChanged, changedUsers, knownUser };
}
