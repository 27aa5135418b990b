/**
 * The data behind the dashboard's 24-hour chart: for every 5-minute bucket, the largest
 * number of sessions that were open at the same instant inside that bucket.
 *
 * Pure: no clock (`now` is a parameter), no DOM, no I/O.
 */
import type { Session } from './session.js';
import { isoFromMs, msFromIso } from './time.js';

/** A session's lifetime: `start` inclusive, `end` exclusive; `end` null while still open. */
export interface Interval {
  start: string;
  end: string | null;
}

export interface SeriesPoint {
  /** Epoch milliseconds of the bucket's start (a multiple of the bucket size). */
  bucketStartMs: number;
  /** Highest number of simultaneously open sessions at any instant within the bucket. */
  max: number;
}

export interface SeriesOptions {
  /** ISO UTC instant of "now": the last bucket contains it; open sessions last until it. */
  now: string;
  /** Length of the window; 24 by default. */
  hours?: number;
  /** Bucket size; 300 (5 minutes) by default. */
  bucketSeconds?: number;
}

/** The chart's input from recorded sessions: connect time to end time (null while open). */
export function intervalsFromSessions(sessions: readonly Pick<Session, 'connectedAt' | 'endedAt'>[]): Interval[] {
  return sessions.map((s) => ({ start: s.connectedAt, end: s.endedAt }));
}

/**
 * Buckets of `bucketSeconds`, aligned to the bucket size in UTC epoch time; the last one
 * contains `now`, and there are `hours * 3600 / bucketSeconds` of them (288 by default).
 *
 * Semantics:
 * - an interval counts from `start` inclusive to `end` exclusive, so a session ending exactly
 *   at a bucket's start does not count in that bucket, and one starting there does;
 * - an open interval (`end` null) lasts up to and including `now`; nothing is known about
 *   the time after `now`, so an `end` later than `now` is treated the same way;
 * - a zero-length interval (`start` equal to `end`, i.e. connected and gone within the
 *   second the timestamps resolve) counts as open for an instant at `start`: it happened;
 * - an interval entirely before the window, or starting after `now`, is ignored; one that
 *   started before the window counts from the window's start;
 * - an interval whose times do not parse, or that ends before it starts, is ignored.
 *
 * A sweep over the sorted start and end instants: O(n log n) in the number of intervals
 * plus O(buckets).
 */
export function concurrencySeries(intervals: readonly Interval[], opts: SeriesOptions): SeriesPoint[] {
  const w = seriesWindow(opts);
  const { starts, ends } = clippedEdges(intervals, w);
  return sweep(starts, ends, w);
}

interface SeriesWindow {
  bucketMs: number;
  count: number;
  /** The first bucket's start. */
  windowStart: number;
  /** Exclusive end of what has been observed: `now` itself is still observed. */
  horizon: number;
}

function seriesWindow(opts: SeriesOptions): SeriesWindow {
  const hours = opts.hours ?? 24;
  const bucketSeconds = opts.bucketSeconds ?? 300;
  if (!Number.isInteger(bucketSeconds) || bucketSeconds <= 0)
    throw new RangeError(`bucketSeconds ${bucketSeconds} is not a positive integer`);
  if (!Number.isFinite(hours) || hours <= 0) throw new RangeError(`hours ${hours} is not a positive number`);
  const nowMs = msFromIso(opts.now);
  if (Number.isNaN(nowMs)) throw new RangeError(`now ${JSON.stringify(opts.now)} is not an ISO UTC instant`);
  const bucketMs = bucketSeconds * 1000;
  const count = Math.max(1, Math.ceil((hours * 3600) / bucketSeconds));
  const lastStart = Math.floor(nowMs / bucketMs) * bucketMs;
  return { bucketMs, count, windowStart: lastStart - (count - 1) * bucketMs, horizon: nowMs + 1 };
}

/** The intervals' starts and ends (each sorted) clipped to the window, without those outside it or broken. */
function clippedEdges(intervals: readonly Interval[], w: SeriesWindow): { starts: Float64Array; ends: Float64Array } {
  const { windowStart, horizon } = w;
  // Instants are same-format ISO strings, which order as text: an end before this one is
  // before the window, so most of a long history is skipped without parsing a date.
  const skipBefore = isoFromMs(windowStart - 1000);
  const starts = new Float64Array(intervals.length);
  const ends = new Float64Array(intervals.length);
  let n = 0;
  for (const iv of intervals) {
    if (iv.end !== null && iv.end < skipBefore) continue;
    const s = msFromIso(iv.start);
    let e = iv.end === null ? horizon : msFromIso(iv.end);
    if (Number.isNaN(s) || Number.isNaN(e) || e < s) continue;
    if (e === s) e = s + 1;
    const cs = Math.max(s, windowStart);
    const ce = Math.min(e, horizon);
    if (ce <= cs) continue;
    starts[n] = cs;
    ends[n] = ce;
    n++;
  }
  return { starts: starts.subarray(0, n).sort(), ends: ends.subarray(0, n).sort() };
}

/** Each bucket's maximum, from the sorted start and end instants (as many of each). */
function sweep(st: Float64Array, en: Float64Array, w: SeriesWindow): SeriesPoint[] {
  const { bucketMs, count, windowStart } = w;
  const n = st.length;
  const out: SeriesPoint[] = new Array(count);
  let i = 0; // next start event
  let j = 0; // next end event
  let open = 0;
  for (let k = 0; k < count; k++) {
    const b = windowStart + k * bucketMs;
    const bEnd = b + bucketMs;
    // The count at the bucket's first instant: every event at or before it applied.
    while (i < n && st[i]! <= b) {
      open++;
      i++;
    }
    while (j < n && en[j]! <= b) {
      open--;
      j++;
    }
    let max = open;
    // The count only changes at events, so the maximum is at the start or right after one.
    for (;;) {
      const t = Math.min(i < n ? st[i]! : Infinity, j < n ? en[j]! : Infinity);
      if (t >= bEnd) break;
      while (i < n && st[i] === t) {
        open++;
        i++;
      }
      while (j < n && en[j] === t) {
        open--;
        j++;
      }
      if (open > max) max = open;
    }
    out[k] = { bucketStartMs: b, max };
  }
  return out;
}
