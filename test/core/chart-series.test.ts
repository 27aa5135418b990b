import assert from 'node:assert/strict';
import { seededRng } from '../helpers/random.js';
import { test } from 'node:test';
import {
  concurrencySeries,
  intervalsFromSessions,
  type Interval,
  type SeriesPoint,
} from '../../src/core/chart-series.js';
import { isoFromMs, msFromIso } from '../../src/core/time.js';

const NOW = '2026-11-26T16:14:33Z';
const B = 300_000;
// The last bucket is 16:10:00-16:15:00 (it contains NOW); 287 buckets before it.
const LAST = msFromIso('2026-11-26T16:10:00Z');
const FIRST = LAST - 287 * B; // 2026-11-25T16:15:00Z

/** Bucket maxima keyed by the bucket's UTC start, only the non-zero ones. */
function nonZero(series: SeriesPoint[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of series) if (p.max !== 0) out[isoFromMs(p.bucketStartMs)] = p.max;
  return out;
}

const at = (hms: string): string => `2026-11-26T${hms}Z`;

test('no sessions: 288 zero buckets, aligned, the last containing now', () => {
  const s = concurrencySeries([], { now: NOW });
  assert.equal(s.length, 288);
  assert.ok(s.every((p) => p.max === 0));
  assert.equal(s[0]!.bucketStartMs, FIRST);
  assert.equal(isoFromMs(FIRST), '2026-11-25T16:15:00Z');
  assert.equal(s[287]!.bucketStartMs, LAST);
  for (let k = 1; k < s.length; k++) assert.equal(s[k]!.bucketStartMs - s[k - 1]!.bucketStartMs, B);
  assert.ok(LAST <= msFromIso(NOW) && msFromIso(NOW) < LAST + B);
});

test('hours and bucketSeconds choose the number and size of buckets', () => {
  const s = concurrencySeries([], { now: NOW, hours: 1, bucketSeconds: 60 });
  assert.equal(s.length, 60);
  assert.equal(isoFromMs(s[59]!.bucketStartMs), '2026-11-26T16:14:00Z');
  assert.equal(isoFromMs(s[0]!.bucketStartMs), '2026-11-26T15:15:00Z');
  assert.throws(() => concurrencySeries([], { now: NOW, bucketSeconds: 0 }), RangeError);
  assert.throws(() => concurrencySeries([], { now: '2026-11-26 16:14:33' }), RangeError);
});

test('one session spanning two buckets counts in both', () => {
  const s = concurrencySeries([{ start: at('12:03:00'), end: at('12:07:00') }], { now: NOW });
  assert.deepEqual(nonZero(s), { [at('12:00:00')]: 1, [at('12:05:00')]: 1 });
});

test('two sessions in one bucket that never overlap give 1, not 2', () => {
  const apart = concurrencySeries(
    [
      { start: at('12:01:00'), end: at('12:02:00') },
      { start: at('12:03:00'), end: at('12:04:00') },
    ],
    { now: NOW },
  );
  assert.deepEqual(nonZero(apart), { [at('12:00:00')]: 1 });
  // Back to back: the first ends (exclusive) the second the other starts.
  const touching = concurrencySeries(
    [
      { start: at('12:01:00'), end: at('12:02:00') },
      { start: at('12:02:00'), end: at('12:03:00') },
    ],
    { now: NOW },
  );
  assert.deepEqual(nonZero(touching), { [at('12:00:00')]: 1 });
});

test('three sessions overlapping at one instant give 3 in that bucket only', () => {
  const s = concurrencySeries(
    [
      { start: at('11:58:00'), end: at('12:10:00') },
      { start: at('12:02:00'), end: at('12:03:00') },
      { start: at('12:02:30'), end: at('12:02:40') },
    ],
    { now: NOW },
  );
  assert.deepEqual(nonZero(s), { [at('11:55:00')]: 1, [at('12:00:00')]: 3, [at('12:05:00')]: 1 });
});

test('an open session counts until now, including the bucket holding now', () => {
  const s = concurrencySeries([{ start: at('15:02:00'), end: null }], { now: NOW });
  const expected: Record<string, number> = {};
  for (let t = msFromIso(at('15:00:00')); t <= LAST; t += B) expected[isoFromMs(t)] = 1;
  assert.deepEqual(nonZero(s), expected);
  assert.equal(Object.keys(expected).length, 15);
});

test('an open session starting exactly at now, and now exactly at a bucket start', () => {
  assert.deepEqual(nonZero(concurrencySeries([{ start: NOW, end: null }], { now: NOW })), { [at('16:10:00')]: 1 });
  const now = at('16:15:00');
  const s = concurrencySeries([{ start: at('16:12:00'), end: null }], { now });
  assert.equal(isoFromMs(s[287]!.bucketStartMs), now);
  assert.deepEqual(nonZero(s), { [at('16:10:00')]: 1, [now]: 1 });
});

test('what is after now is unknown: an end after now counts as open, a start after now is ignored', () => {
  const s = concurrencySeries(
    [
      { start: at('16:00:00'), end: at('18:00:00') },
      { start: at('16:20:00'), end: null },
      { start: at('16:14:34'), end: at('16:14:50') },
    ],
    { now: NOW },
  );
  assert.deepEqual(nonZero(s), { [at('16:00:00')]: 1, [at('16:05:00')]: 1, [at('16:10:00')]: 1 });
});

test('sessions before the window are ignored; one started before it counts from its start', () => {
  const s = concurrencySeries(
    [
      { start: '2026-11-20T08:00:00Z', end: '2026-11-20T09:00:00Z' },
      { start: '2026-11-25T10:00:00Z', end: '2026-11-25T16:15:00Z' }, // ends exactly at the window start
      { start: '2026-11-25T10:00:00Z', end: '2026-11-25T16:27:00Z' },
    ],
    { now: NOW },
  );
  assert.deepEqual(nonZero(s), {
    '2026-11-25T16:15:00Z': 1,
    '2026-11-25T16:20:00Z': 1,
    '2026-11-25T16:25:00Z': 1,
  });
});

test('bucket boundaries: start inclusive, end exclusive', () => {
  assert.deepEqual(nonZero(concurrencySeries([{ start: at('12:00:00'), end: at('12:05:00') }], { now: NOW })), {
    [at('12:00:00')]: 1,
  });
  assert.deepEqual(nonZero(concurrencySeries([{ start: at('11:55:00'), end: at('12:00:00') }], { now: NOW })), {
    [at('11:55:00')]: 1,
  });
  // One ends and another starts at the same bucket start: 1 there, never 2.
  const handover = concurrencySeries(
    [
      { start: at('11:50:00'), end: at('12:00:00') },
      { start: at('12:00:00'), end: at('12:01:00') },
    ],
    { now: NOW },
  );
  assert.deepEqual(nonZero(handover), { [at('11:50:00')]: 1, [at('11:55:00')]: 1, [at('12:00:00')]: 1 });
});

test('a zero-length session counts at its instant; broken intervals are ignored', () => {
  const s = concurrencySeries(
    [
      { start: at('12:02:00'), end: at('12:02:00') },
      { start: at('13:02:00'), end: at('13:01:00') },
      { start: 'yesterday', end: null },
      { start: at('14:00:00'), end: 'soon' },
    ],
    { now: NOW },
  );
  assert.deepEqual(nonZero(s), { [at('12:00:00')]: 1 });
});

test('intervalsFromSessions: connect time to end time, null while open', () => {
  assert.deepEqual(
    intervalsFromSessions([
      { connectedAt: at('10:00:00'), endedAt: at('11:00:00') },
      { connectedAt: at('12:00:00'), endedAt: null },
    ]),
    [
      { start: at('10:00:00'), end: at('11:00:00') },
      { start: at('12:00:00'), end: null },
    ],
  );
});

/** A small seeded generator, so a failure reproduces. */
const rng = seededRng;

/** The definition, second by second (all instants are whole seconds, so this is exact). */
function bruteForce(intervals: Interval[], nowIso: string, hours: number, bucketSeconds: number): number[] {
  const now = msFromIso(nowIso);
  const bms = bucketSeconds * 1000;
  const n = Math.ceil((hours * 3600) / bucketSeconds);
  const first = Math.floor(now / bms) * bms - (n - 1) * bms;
  const parsed = intervals.map((iv) => ({ s: msFromIso(iv.start), e: iv.end === null ? Infinity : msFromIso(iv.end) }));
  const openAt = (t: number): number => {
    let c = 0;
    for (const { s, e } of parsed) if (t >= s && (t < e || (e === s && t === s) || (e > now && t <= now))) c++;
    return c;
  };
  const out: number[] = [];
  for (let k = 0; k < n; k++) {
    let max = 0;
    for (let t = first + k * bms; t < first + (k + 1) * bms && t <= now; t += 1000) max = Math.max(max, openAt(t));
    out.push(max);
  }
  return out;
}

function randomIntervals(r: () => number, nowMs: number, spanS: number, count: number): Interval[] {
  const out: Interval[] = [];
  for (let i = 0; i < count; i++) {
    const start = nowMs - Math.floor(r() * (spanS + 900)) * 1000 + 60_000;
    const roll = r();
    const end = roll < 0.15 ? null : roll < 0.2 ? start : start + Math.floor(r() * r() * spanS * 0.6) * 1000;
    out.push({ start: isoFromMs(start), end: end === null ? null : isoFromMs(end) });
  }
  return out;
}

test('randomized: matches a per-second count (seeded)', () => {
  const r = rng(20261126);
  for (let trial = 0; trial < 150; trial++) {
    const nowMs = msFromIso('2026-11-26T16:00:00Z') + Math.floor(r() * 7200) * 1000;
    const now = isoFromMs(nowMs);
    const intervals = randomIntervals(r, nowMs, 3600, 1 + Math.floor(r() * 25));
    const got = concurrencySeries(intervals, { now, hours: 1, bucketSeconds: 60 }).map((p) => p.max);
    assert.deepEqual(
      got,
      bruteForce(intervals, now, 1, 60),
      `trial ${trial}, now ${now}, ${JSON.stringify(intervals)}`,
    );
  }
  // A few with the real window and bucket size.
  for (let trial = 0; trial < 3; trial++) {
    const nowMs = msFromIso('2026-11-26T16:00:00Z') + Math.floor(r() * 7200) * 1000;
    const now = isoFromMs(nowMs);
    const intervals = randomIntervals(r, nowMs, 86400, 12);
    const got = concurrencySeries(intervals, { now }).map((p) => p.max);
    assert.deepEqual(got, bruteForce(intervals, now, 24, 300), `24 h trial ${trial}, now ${now}`);
  }
});

test('100,000 intervals over three days: 288 buckets, none above the number of intervals', () => {
  const r = rng(7);
  const nowMs = msFromIso(NOW);
  const intervals = randomIntervals(r, nowMs, 3 * 86400, 100_000);
  const s = concurrencySeries(intervals, { now: NOW });
  assert.equal(s.length, 288);
  assert.ok(
    s.some((p) => p.max > 0),
    'some bucket has sessions',
  );
  assert.ok(
    s.every((p) => Number.isInteger(p.max) && p.max >= 0 && p.max <= intervals.length),
    'counts are whole and bounded',
  );
});
