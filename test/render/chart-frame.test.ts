/** The chart's pure frame: its span, peak, y top, tick step and step-line points. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SeriesPoint } from '../../src/core/chart-series.js';
import { chartFrame, stepPoints } from '../../src/render/chart.js';

const H = 3600_000;
const B = 300_000;
const NOW = 100 * H + 123;
/** Buckets of five minutes from `start`, with the given maxima. */
const buckets = (start: number, maxima: number[]): SeriesPoint[] =>
  maxima.map((max, k) => ({ bucketStartMs: start + k * B, max }));

test('chartFrame: span, peak, y top, current and hour step, case by case', () => {
  const day = buckets(
    NOW - 24 * H,
    Array.from({ length: 288 }, (_, k) => (k === 100 ? 7 : k === 287 ? 2 : 0)),
  );
  const cases: {
    name: string;
    series: SeriesPoint[];
    current?: number;
    want: Omit<ReturnType<typeof chartFrame>, 'points'>;
  }[] = [
    // No series: the last 24 hours, an idle chart (y up to 1) with a tick every 2 hours.
    { name: 'empty', series: [], want: { fromMs: NOW - 24 * H, toMs: NOW, peak: 0, yMax: 1, current: 0, hourStep: 2 } },
    {
      name: 'a day',
      series: day,
      want: { fromMs: NOW - 24 * H, toMs: NOW, peak: 7, yMax: 7, current: 2, hourStep: 2 },
    },
    {
      name: 'current given',
      series: day,
      current: 5,
      want: { fromMs: NOW - 24 * H, toMs: NOW, peak: 7, yMax: 7, current: 5, hourStep: 2 },
    },
    {
      name: 'current 0 given',
      series: day,
      current: 0,
      want: { fromMs: NOW - 24 * H, toMs: NOW, peak: 7, yMax: 7, current: 0, hourStep: 2 },
    },
    // A bucket starting after now (a clock step): the axis ends at that bucket.
    {
      name: 'bucket after now',
      series: buckets(NOW + H, [3]),
      want: { fromMs: NOW + H, toMs: NOW + H, peak: 3, yMax: 3, current: 3, hourStep: 1 },
    },
    {
      name: 'twelve hours',
      series: buckets(NOW - 12 * H, [1]),
      want: { fromMs: NOW - 12 * H, toMs: NOW, peak: 1, yMax: 1, current: 1, hourStep: 1 },
    },
    {
      name: 'just over twelve',
      series: buckets(NOW - 12 * H - 1, [0]),
      want: { fromMs: NOW - 12 * H - 1, toMs: NOW, peak: 0, yMax: 1, current: 0, hourStep: 2 },
    },
    {
      name: 'three days',
      series: buckets(NOW - 72 * H, [4]),
      want: { fromMs: NOW - 72 * H, toMs: NOW, peak: 4, yMax: 4, current: 4, hourStep: 6 },
    },
    {
      name: 'a month',
      series: buckets(NOW - 30 * 24 * H, [1]),
      want: { fromMs: NOW - 30 * 24 * H, toMs: NOW, peak: 1, yMax: 1, current: 1, hourStep: 24 },
    },
  ];
  for (const c of cases) {
    const { points: _points, ...got } = chartFrame(c.series, NOW, c.current);
    assert.deepEqual(got, c.want, c.name);
  }
});

test('stepPoints: one point where the value changes, and one at the end', () => {
  const cases: { maxima: number[]; want: [number, number][] }[] = [
    { maxima: [], want: [] },
    {
      maxima: [0],
      want: [
        [0, 0],
        [NOW, 0],
      ],
    },
    {
      maxima: [0, 0, 0],
      want: [
        [0, 0],
        [NOW, 0],
      ],
    },
    {
      maxima: [1, 1, 2, 2, 0],
      want: [
        [0, 1],
        [2 * B, 2],
        [4 * B, 0],
        [NOW, 0],
      ],
    },
    {
      maxima: [3, 0, 3],
      want: [
        [0, 3],
        [B, 0],
        [2 * B, 3],
        [NOW, 3],
      ],
    },
  ];
  for (const { maxima, want } of cases) assert.deepEqual(stepPoints(buckets(0, maxima), NOW), want, maxima.join(','));
  const series = buckets(NOW - 2 * B, [1, 2]);
  assert.deepEqual(chartFrame(series, NOW).points, stepPoints(series, NOW));
});
