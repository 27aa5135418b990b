import assert from 'node:assert/strict';
import { test } from 'node:test';
import { JSDOM } from 'jsdom';
import { concurrencySeries, type SeriesPoint } from '../../src/core/chart-series.js';
import { LABELS } from '../../src/core/i18n.js';
import { chartLabels, hourTicks, integerTicks, renderChartSvg, type ChartOptions } from '../../src/render/chart.js';
import { msFromIso } from '../../src/core/time.js';

const NOW = '2026-11-26T16:14:33Z';
const B = 300_000;
const LAST = msFromIso('2026-11-26T16:10:00Z');
const FIRST = LAST - 287 * B;

const labels = chartLabels(LABELS.de);
const opts = (over: Partial<ChartOptions> = {}): ChartOptions => ({
  timeZone: 'Europe/Berlin',
  lang: 'de',
  now: NOW,
  labels,
  ...over,
});

/** A series with the given maxima, oldest first, ending in the bucket holding NOW. */
function seriesOf(values: number[]): SeriesPoint[] {
  assert.equal(values.length, 288);
  return values.map((max, k) => ({ bucketStartMs: FIRST + k * B, max }));
}

/** Parsed as XML: the markup must also be a well-formed standalone SVG. */
function parse(svg: string): Document {
  return new JSDOM(svg, { contentType: 'image/svg+xml' }).window.document;
}

function pathPoints(d: string): [number, number][] {
  assert.match(d, /^M[-\d.,L]+$/, 'only absolute M/L commands');
  return d
    .slice(1)
    .split('L')
    .map((p) => p.split(',').map(Number) as [number, number]);
}

interface Tick {
  pos: number;
  label: string;
}

function ticks(doc: Document, axis: 'x' | 'y'): Tick[] {
  return Array.from(doc.querySelectorAll(`.chart-axis-${axis} .tick`)).map((t) => {
    const m = /translate\(([-\d.]+),([-\d.]+)\)/.exec(t.getAttribute('transform') ?? '');
    assert.ok(m, 'tick has a translate');
    return { pos: Number(axis === 'x' ? m[1] : m[2]) - 0.5, label: t.querySelector('text')?.textContent ?? '' };
  });
}

/**
 * Reads the step line back: the value drawn over each bucket's middle, using the y axis's
 * own ticks (0 and the max) to turn pixels into counts, and the line's extent (first bucket
 * start to now) for time.
 */
function valuesDrawn(doc: Document): number[] {
  const pts = pathPoints(doc.querySelector('path.chart-line')!.getAttribute('d')!);
  const y = ticks(doc, 'y');
  const y0 = y[0]!;
  const yTop = y[y.length - 1]!;
  const perUnit = (y0.pos - yTop.pos) / Number(yTop.label);
  const x0 = pts[0]![0];
  const x1 = pts[pts.length - 1]![0];
  const xOf = (ms: number): number => x0 + ((ms - FIRST) / (msFromIso(NOW) - FIRST)) * (x1 - x0);
  const out: number[] = [];
  for (let k = 0; k < 288; k++) {
    const mid = xOf(FIRST + k * B + Math.min(B / 2, (msFromIso(NOW) - (FIRST + k * B)) / 2));
    // The horizontal segment covering `mid`.
    let value: number | undefined;
    for (let i = 1; i < pts.length; i++) {
      const [ax, ay] = pts[i - 1]!;
      const [bx, by] = pts[i]!;
      if (ay === by && ax <= mid && mid <= bx && bx > ax) value = (y0.pos - ay) / perUnit;
    }
    assert.ok(value !== undefined, `no horizontal segment over bucket ${k}`);
    assert.ok(Math.abs(value - Math.round(value)) < 0.01, `bucket ${k} drawn at a fractional ${value}`);
    out.push(Math.round(value));
  }
  return out;
}

function hhmmToMin(s: string): number {
  const [h, m] = s.split(':').map(Number);
  return h! * 60 + m!;
}

test('title, desc and aria wiring carry the labels and the counts in words', async () => {
  const values = new Array<number>(288).fill(0);
  values[200] = 3; // 2026-11-26T08:55Z, 09:55 in Berlin
  values[250] = 3; // 2026-11-26T13:05Z, 14:05 in Berlin: the most recent peak
  values[287] = 2;
  const svg = await renderChartSvg(seriesOf(values), opts());
  const doc = parse(svg);
  const root = doc.documentElement;
  assert.equal(root.tagName, 'svg');
  assert.equal(root.getAttribute('role'), 'img');
  assert.match(root.getAttribute('viewBox') ?? '', /^0 0 \d+ \d+$/);
  const [titleId, descId] = (root.getAttribute('aria-labelledby') ?? '').split(' ');
  assert.equal(doc.getElementById(titleId!)?.tagName, 'title');
  assert.equal(doc.getElementById(descId!)?.tagName, 'desc');
  assert.equal(doc.querySelector('title')?.textContent, 'Verbindungen letzte 24h');
  assert.equal(
    doc.querySelector('desc')?.textContent,
    'Gleichzeitige Verbindungen in 5-Minuten-Abschnitten (Höchstwert je Abschnitt). Aktuell: 2 aktive Verbindungen. Höchstwert: 3 (zuletzt um 14:05 Uhr).',
  );
  assert.equal(doc.querySelector('.chart-title')?.textContent, 'Verbindungen letzte 24h');
  const axisLabels = Array.from(doc.querySelectorAll('.chart-label')).map((e) => e.textContent);
  assert.deepEqual(axisLabels.sort(), ['Anzahl aktiv', 'Uhrzeit']);

  const en = parse(
    await renderChartSvg(seriesOf(values), opts({ lang: 'en', labels: chartLabels(LABELS.en), current: 1 })),
  );
  assert.equal(
    en.querySelector('desc')?.textContent,
    'Concurrent connections in 5-minute buckets (maximum in each bucket). Now: 1 active connection. Peak: 3 (most recently at 14:05).',
  );
});

test('all 288 bucket values are drawn as steps at their exact heights', async () => {
  const r = (k: number): number => (k * 7919) % 13;
  const values = Array.from({ length: 288 }, (_, k) => r(k));
  const doc = parse(await renderChartSvg(seriesOf(values), opts()));
  assert.deepEqual(valuesDrawn(doc), values);
  // No two neighbours are equal here, so every bucket is a point: start, then a vertical
  // and a horizontal move per following bucket and one more to `now`.
  assert.ok(values.every((v, k) => k === 0 || v !== values[k - 1]));
  assert.equal(pathPoints(doc.querySelector('path.chart-line')!.getAttribute('d')!).length, 1 + 2 * 288);
  // The area is the same steps closed down to the baseline.
  const area = doc.querySelector('path.chart-area')!.getAttribute('d')!;
  assert.match(area, /Z$/);
});

test('a series from real sessions is drawn as computed (runs of equal values merged)', async () => {
  const series = concurrencySeries(
    [
      { start: '2026-11-26T10:00:00Z', end: '2026-11-26T12:03:00Z' },
      { start: '2026-11-26T11:00:00Z', end: null },
      { start: '2026-11-26T11:30:00Z', end: '2026-11-26T11:31:00Z' },
    ],
    { now: NOW },
  );
  const doc = parse(await renderChartSvg(series, opts()));
  assert.deepEqual(
    valuesDrawn(doc),
    series.map((p) => p.max),
  );
  assert.ok(pathPoints(doc.querySelector('path.chart-line')!.getAttribute('d')!).length < 20);
});

test('y axis: integer ticks from 0 including the max', async () => {
  for (const max of [1, 2, 3, 7, 10, 13, 47, 100, 1234]) {
    const values = new Array<number>(288).fill(0);
    values[100] = max;
    const doc = parse(await renderChartSvg(seriesOf(values), opts()));
    const labelsY = ticks(doc, 'y').map((t) => t.label);
    assert.ok(
      labelsY.every((l) => /^\d+$/.test(l)),
      `max ${max}: ${labelsY.join(' ')}`,
    );
    const nums = labelsY.map(Number);
    assert.equal(nums[0], 0);
    assert.equal(nums[nums.length - 1], max, `max ${max}: ${labelsY.join(' ')}`);
    assert.ok(nums.length <= 8, `max ${max}: ${labelsY.join(' ')}`);
    assert.ok(nums.every((n, i) => i === 0 || n > nums[i - 1]!));
    assert.deepEqual(valuesDrawn(doc), values);
  }
  assert.deepEqual(integerTicks(1), [0, 1]);
  assert.deepEqual(integerTicks(3), [0, 1, 2, 3]);
  assert.deepEqual(integerTicks(47), [0, 10, 20, 30, 40, 47]);
  assert.deepEqual(integerTicks(41), [0, 10, 20, 30, 41]);
});

test('empty (all zero) series: a flat line at y(0), y ticks 0 and 1', async () => {
  const doc = parse(await renderChartSvg(seriesOf(new Array<number>(288).fill(0)), opts()));
  const y = ticks(doc, 'y');
  assert.deepEqual(
    y.map((t) => t.label),
    ['0', '1'],
  );
  const pts = pathPoints(doc.querySelector('path.chart-line')!.getAttribute('d')!);
  assert.ok(pts.length >= 2);
  assert.ok(
    pts.every(([, py]) => Math.abs(py - y[0]!.pos) < 0.01),
    'every point on the zero line',
  );
  assert.ok(pts[pts.length - 1]![0] > pts[0]![0] + 600, 'spans the plot');
  // No series at all: axes still drawn, no data path.
  const none = parse(await renderChartSvg([], opts()));
  assert.deepEqual(
    ticks(none, 'y').map((t) => t.label),
    ['0', '1'],
  );
  assert.equal(ticks(none, 'x').length, 12);
});

test('x axis: HH:MM every 2 hours in the configured zone, not the process zone', async () => {
  const series = seriesOf(new Array<number>(288).fill(1));
  const berlinDoc = parse(await renderChartSvg(series, opts()));
  const xBerlin = ticks(berlinDoc, 'x');
  // The line runs from the first bucket's start (x 0) to now (the plot's width).
  const linePts = pathPoints(berlinDoc.querySelector('path.chart-line')!.getAttribute('d')!);
  const plotW = linePts[linePts.length - 1]![0];
  assert.equal(linePts[0]![0], 0);
  const xUtc = ticks(parse(await renderChartSvg(series, opts({ timeZone: 'UTC' }))), 'x');
  const xKolkata = ticks(parse(await renderChartSvg(series, opts({ timeZone: 'Asia/Kolkata' }))), 'x');
  for (const [name, xs, offsetMin] of [
    ['Berlin', xBerlin, 60],
    ['UTC', xUtc, 0],
    ['Kolkata', xKolkata, 330],
  ] as const) {
    assert.equal(xs.length, 12, name);
    assert.ok(
      xs.every((t) => /^(0[02468]|1[02468]|2[02]):00$/.test(t.label)),
      `${name}: ${xs.map((t) => t.label).join(' ')}`,
    );
    // Position back to time: minutes of the UTC day, from the first bucket's start (16:15 UTC).
    for (const t of xs) {
      const utcMin = Math.round((t.pos / plotW) * ((msFromIso(NOW) - FIRST) / 60_000) + 16 * 60 + 15);
      assert.equal((utcMin + offsetMin) % 1440, hhmmToMin(t.label), `${name} ${t.label} at ${t.pos}`);
    }
  }
  assert.deepEqual(
    xBerlin.map((t) => t.label),
    ['18:00', '20:00', '22:00', '00:00', '02:00', '04:00', '06:00', '08:00', '10:00', '12:00', '14:00', '16:00'],
  );
  assert.deepEqual(
    xUtc.map((t) => t.label),
    ['18:00', '20:00', '22:00', '00:00', '02:00', '04:00', '06:00', '08:00', '10:00', '12:00', '14:00', '16:00'],
  );
  // Same labels, but Berlin's 18:00 is UTC 17:00: one hour further left.
  const hourPx = (plotW * 3600_000) / (msFromIso(NOW) - FIRST);
  for (let i = 0; i < 12; i++) assert.ok(Math.abs(xUtc[i]!.pos - xBerlin[i]!.pos - hourPx) < 0.02);
  assert.equal(xKolkata[0]!.label, '22:00'); // 16:30 UTC
});

test('hour ticks across a DST change: wall-clock hours, the repeated hour once', () => {
  // 2026-10-25: Berlin goes from 03:00 CEST back to 02:00 CET at 01:00 UTC.
  const from = msFromIso('2026-10-24T18:00:00Z');
  const to = msFromIso('2026-10-25T18:00:00Z');
  const t = hourTicks(from, to, 'Europe/Berlin', 2);
  const labelsB = t.map((ms) =>
    new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Berlin', hour: '2-digit', minute: '2-digit' }).format(ms),
  );
  assert.deepEqual(labelsB, [
    '20:00',
    '22:00',
    '00:00',
    '02:00',
    '04:00',
    '06:00',
    '08:00',
    '10:00',
    '12:00',
    '14:00',
    '16:00',
    '18:00',
  ]);
  // 00:00 CEST to 02:00 CEST is 2 h; 02:00 CEST to 04:00 CET is 3 h.
  assert.equal(t[3]! - t[2]!, 2 * 3600_000);
  assert.equal(t[4]! - t[3]!, 3 * 3600_000);
});

test('no style attributes, no fonts or colours beyond currentColor; the classes are there', async () => {
  const values = Array.from({ length: 288 }, (_, k) => k % 5);
  const svg = await renderChartSvg(seriesOf(values), opts());
  assert.doesNotMatch(svg, /style=/);
  assert.doesNotMatch(svg, /<style/);
  assert.doesNotMatch(svg, /font-family|font-size/);
  assert.doesNotMatch(svg, /#[0-9a-f]{3,6}\b|rgb\(|steelblue/i);
  const colours = [...svg.matchAll(/(?:fill|stroke)="([^"]*)"/g)].map((m) => m[1]);
  assert.ok(
    colours.every((c) => c === 'currentColor' || c === 'none'),
    colours.join(' '),
  );
  const doc = parse(svg);
  assert.ok(doc.documentElement.classList.contains('chart'));
  for (const c of ['chart-area', 'chart-line', 'chart-grid', 'chart-axis', 'chart-title', 'chart-label']) {
    assert.ok(doc.querySelector(`.${c}`), `class ${c}`);
  }
  assert.equal(doc.querySelectorAll('.chart-axis').length, 2);
});

test('labels are escaped', async () => {
  const evil = '<script>alert("x")</script> & co';
  const svg = await renderChartSvg(
    seriesOf(new Array<number>(288).fill(0)),
    opts({ labels: { title: evil, y: evil, x: evil, desc: evil } }),
  );
  assert.doesNotMatch(svg, /<script/);
  assert.match(svg, /&lt;script&gt;alert\("x"\)&lt;\/script&gt; &amp; co/);
  const doc = parse(svg);
  assert.equal(doc.querySelector('title')?.textContent, evil);
  assert.equal(doc.querySelectorAll('script').length, 0);
  // Also as HTML (how the page embeds it).
  const html = new JSDOM(`<!doctype html><body>${svg}</body>`).window.document;
  assert.equal(html.querySelectorAll('script').length, 0);
  assert.equal(html.querySelector('svg title')?.textContent, evil);
});

test('deterministic: the same input gives the same string', async () => {
  const values = Array.from({ length: 288 }, (_, k) => (k * 31) % 4);
  const a = await renderChartSvg(seriesOf(values), opts());
  const b = await renderChartSvg(seriesOf(values), opts());
  assert.equal(a, b);
  assert.notEqual(a, await renderChartSvg(seriesOf(values), opts({ timeZone: 'UTC' })));
});

test("every bucket's time and count is the <title> of the stretch over it, and the chart takes focus", async () => {
  const values = new Array<number>(288).fill(0);
  for (let k = 100; k < 110; k++) values[k] = 4;
  values[200] = 1;
  values[287] = 2;
  const doc = parse(await renderChartSvg(seriesOf(values), opts()));
  assert.equal(
    doc.documentElement.getAttribute('tabindex'),
    '0',
    'keyboard users reach it (app.js steps with the arrows)',
  );
  const hits = Array.from(doc.querySelectorAll('rect.chart-hit')).map((r) => ({
    x: Number(r.getAttribute('x')),
    w: Number(r.getAttribute('width')),
    title: r.querySelector('title')?.textContent ?? '',
  }));
  assert.equal(hits.length, 6, 'one per stretch of equal counts: 0, 4, 0, 1, 0, 2');
  // Contiguous from the plot's left edge to its right edge.
  assert.equal(hits[0]!.x, 0);
  for (let i = 1; i < hits.length; i++) assert.ok(Math.abs(hits[i]!.x - (hits[i - 1]!.x + hits[i - 1]!.w)) < 0.02);
  const clock = (ms: number): string =>
    new Intl.DateTimeFormat('de-DE', {
      timeZone: 'Europe/Berlin',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    }).format(ms);
  // Bucket 100 (one of the four): its stretch runs from bucket 100's start to bucket 110's.
  assert.equal(hits[1]!.title, `${clock(FIRST + 100 * B)}–${clock(FIRST + 110 * B)} Uhr: 4 Verbindungen`);
  assert.equal(hits[3]!.title, `${clock(FIRST + 200 * B)}–${clock(FIRST + 201 * B)} Uhr: 1 Verbindung`);
  assert.equal(hits[5]!.title, `${clock(FIRST + 287 * B)}–${clock(msFromIso(NOW))} Uhr: 2 Verbindungen`);
  const en = parse(await renderChartSvg(seriesOf(values), opts({ lang: 'en', labels: chartLabels(LABELS.en) })));
  assert.match(
    en.querySelectorAll('rect.chart-hit title')[3]?.textContent ?? '',
    /^\d\d:\d\d–\d\d:\d\d: 1 connection$/,
  );
});
