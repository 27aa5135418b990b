/**
 * What the build's stages share: the inputs (inputs.ts), the manifest being updated, the
 * cache's day and user-month lists (read once, bounded in memory), what is dirty, and
 * what the history brought. Each stage takes this `BuildRun` and returns what it adds.
 */
import { createHash } from 'node:crypto';
import { emptyDirty, userMonthKey, type Dirty } from '../../core/build-plan.js';
import { WeightedMemo } from '../../core/memo.js';
import type { Session } from '../../core/session.js';
import { msFromIso } from '../../core/time.js';
import { loadDay, loadUserMonth, type Manifest } from '../../io/build-cache.js';
import { userCacheName } from '../../core/slug.js';
import type { Logger } from '../context.js';
import type { BuildInputs } from './inputs.js';

export const RECENT_KEEP_S = 25 * 3600;
/**
 * Sessions each memo of day and user-month lists keeps at most (all are on disk as well).
 * A loaded session takes about 1 KB: bounded by lists, a full build of a million sessions
 * held 256 days of 1,400 sessions each.
 */
export const MEMO_SESSIONS = 5_000;

export function hashOf(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('base64url').slice(0, 22);
}

export interface BuildRun extends BuildInputs {
  log: Logger;
  /** The manifest this build updates (a fresh one on a full build), saved last. */
  m: Manifest;
  /** Days with history at the last build: a day that came or went changes its neighbours' links. */
  oldDays: Set<string>;
  /** Each user's months with ended sessions at the last build, for the same reason. */
  oldMonths: Map<string, readonly string[]>;
  nowMs: number;
  dirty: Dirty;
  /** User-months (userMonthKey) whose cache file this build rewrote: their totals are due. */
  savedUserMonths: Set<string>;
  /** One session per user seen in new history (for its alias). */
  sample: Map<string, Session>;
  /** [id, start, end] of sessions that ended lately, for the chart. */
  recentById: Map<string, [string, string, string]>;
  /** Memos only save re-reading files that are on disk already: bounded by sessions (MEMO_SESSIONS). */
  dayMemo: WeightedMemo<string, Session[]>;
  userMonthMemo: WeightedMemo<string, Session[]>;
}

export function startRun(inputs: BuildInputs, log: Logger): BuildRun {
  const m = inputs.manifest;
  return {
    ...inputs,
    log,
    m,
    oldDays: new Set(Object.keys(m.days)),
    oldMonths: new Map(Object.entries(m.users).map(([user, summary]) => [user, summary.months])),
    nowMs: msFromIso(inputs.now),
    dirty: emptyDirty(),
    savedUserMonths: new Set(),
    sample: new Map(),
    recentById: new Map(m.recent.map((r) => [r[0], r])),
    dayMemo: new WeightedMemo(MEMO_SESSIONS, sessionCount),
    userMonthMemo: new WeightedMemo(MEMO_SESSIONS, sessionCount),
  };
}

const sessionCount = (list: Session[]): number => list.length;

export function rememberDay(run: BuildRun, day: string, list: Session[]): void {
  run.dayMemo.set(day, list);
}

export function rememberUserMonth(run: BuildRun, user: string, month: string, list: Session[]): void {
  run.userMonthMemo.set(userMonthKey(user, month), list);
}

/** A day's ended sessions (the cache's day file). */
export async function getDay(run: BuildRun, day: string): Promise<Session[]> {
  let list = run.dayMemo.get(day);
  if (!list) {
    list = await loadDay(run.cp, day);
    rememberDay(run, day, list);
  }
  return list;
}

/** A user's ended sessions of a month (the cache's user-month file). */
export async function getUserMonth(run: BuildRun, user: string, month: string): Promise<Session[]> {
  let list = run.userMonthMemo.get(userMonthKey(user, month));
  if (!list) {
    list = await loadUserMonth(run.cp, userCacheName(user), month);
    rememberUserMonth(run, user, month, list);
  }
  return list;
}

/** Milliseconds per stage, for --verbose: where a slow build spends its time. */
export function stepTimer(): { step(name: string): void; text(): string } {
  const steps: string[] = [];
  let at = performance.now();
  return {
    step(name) {
      const t = performance.now();
      steps.push(`${name} ${Math.round(t - at)}`);
      at = t;
    },
    text: () => steps.join(', '),
  };
}
