/**
 * The dashboard's 24-hour chart of concurrent connections as an inline SVG string.
 *
 * Drawn with d3 (scales, shapes, axes) into a jsdom document, because d3-axis builds DOM
 * nodes. jsdom is imported lazily and created once per process: commands that never draw a
 * chart do not pay for loading it (about a second on a small server).
 *
 * The SVG carries no colours, fonts or `style` attributes: the page's CSS styles it through
 * the classes `chart`, `chart-title`, `chart-grid`, `chart-area`, `chart-line`,
 * `chart-axis` and `chart-label`, so the theme toggle restyles it at once. d3-axis draws
 * tick lines and text in `currentColor`, so `.chart-axis { color: … }` colours the axes.
 */
import { axisBottom, axisLeft } from 'd3-axis';
import { scaleLinear, scaleUtc, type ScaleLinear, type ScaleTime } from 'd3-scale';
import { select, type Selection } from 'd3-selection';
import { area, curveStepAfter, line, type Area, type Line } from 'd3-shape';
import type { SeriesPoint } from '../core/chart-series.js';
import { formatClock } from '../core/format.js';
import type { Labels } from '../core/i18n.js';
import type { Lang } from '../core/settings.js';
import { msFromIso, wallTimeAt } from '../core/time.js';

export interface ChartLabels {
  title: string;
  y: string;
  x: string;
  /** What the chart shows; the current and peak counts are appended in words. */
  desc: string;
}

export interface ChartOptions {
  timeZone: string;
  lang: Lang;
  /** ISO UTC instant the series was computed for; the x axis ends here. */
  now: string;
  labels: ChartLabels;
  /**
   * Sessions open at `now`, for the description. Defaults to the last bucket's maximum,
   * which can be higher when someone disconnected within the last bucket.
   */
  current?: number;
  /** Prefix of the ids of `<title>` and `<desc>` (unique within the page). */
  id?: string;
}

/** The chart's labels from the UI strings of one language. */
export function chartLabels(l: Labels): ChartLabels {
  return { title: l.chartTitle, y: l.chartY, x: l.chartX, desc: l.chartDesc };
}

const SVG_NS = 'http://www.w3.org/2000/svg';
const WIDTH = 720;
const HEIGHT = 260;
const MARGIN = { top: 34, right: 20, bottom: 48, left: 52 };
const HOUR_MS = 3600_000;
/** Pixel positions to two decimals: plenty in a 720-wide viewBox, and a short, stable string. */
const r2 = (v: number): number => Math.round(v * 100) / 100;

interface Dom {
  document: Document;
  serializer: XMLSerializer;
}

let domPromise: Promise<Dom> | undefined;

/** One jsdom window for the whole process, loaded on first use. */
function chartDom(): Promise<Dom> {
  domPromise ??= import('jsdom').then(
    ({ JSDOM }) => {
      const { window } = new JSDOM('<!doctype html><html><body></body></html>');
      return { document: window.document, serializer: new window.XMLSerializer() };
    },
    (e: unknown) => {
      domPromise = undefined;
      throw e;
    },
  );
  return domPromise;
}

/**
 * Integer ticks from 0 to `max` inclusive, about five of them; `max` is always one (the
 * peak is readable off the axis), replacing a regular tick that would crowd it.
 */
export function integerTicks(max: number): number[] {
  const ticks = scaleLinear().domain([0, max]).ticks(5).filter(Number.isInteger);
  const last = ticks[ticks.length - 1];
  if (last !== max) {
    const step = ticks.length > 1 ? ticks[1]! - ticks[0]! : max;
    if (last !== undefined && last !== 0 && max - last <= step / 2) ticks.pop();
    ticks.push(max);
  }
  return ticks;
}

/**
 * Instants of whole hours in `timeZone` (every `step` hours of the wall clock) within
 * [from, to]. Computed here rather than by d3's time ticks, which use the process's zone.
 * UTC offsets are multiples of 15 minutes, so checking every quarter hour finds each
 * wall-clock hour; in a repeated DST hour the second occurrence is skipped.
 */
export function hourTicks(fromMs: number, toMs: number, timeZone: string, step: number): number[] {
  const quarter = 15 * 60_000;
  const out: number[] = [];
  for (let t = Math.ceil(fromMs / quarter) * quarter; t <= toMs; t += quarter) {
    const w = wallTimeAt(t, timeZone);
    if (w.minute !== 0 || w.second !== 0 || w.hour % step !== 0) continue;
    const prev = out[out.length - 1];
    if (prev !== undefined && t - prev <= (step * HOUR_MS) / 2) continue;
    out.push(t);
  }
  return out;
}

function describe(points: readonly SeriesPoint[], current: number, peak: number, opts: ChartOptions): string {
  let peakAt: number | undefined;
  for (const p of points) if (p.max === peak) peakAt = p.bucketStartMs;
  const clock = peakAt === undefined ? '' : formatClock(peakAt, opts.timeZone);
  let text: string;
  if (opts.lang === 'de') {
    const now =
      current === 0 ? 'keine aktive Verbindung' : `${current} aktive ${current === 1 ? 'Verbindung' : 'Verbindungen'}`;
    text = `Aktuell: ${now}. Höchstwert: ${peak}${peak > 0 ? ` (zuletzt um ${clock} Uhr)` : ''}.`;
  } else {
    const now =
      current === 0 ? 'no active connections' : `${current} active ${current === 1 ? 'connection' : 'connections'}`;
    text = `Now: ${now}. Peak: ${peak}${peak > 0 ? ` (most recently at ${clock})` : ''}.`;
  }
  const base = opts.labels.desc.trim();
  if (!base) return text;
  return `${base}${/[.!?]$/.test(base) ? '' : '.'} ${text}`;
}

/** Where the chart starts and ends, its peak, and the points of its step line: all pure. */
export interface ChartFrame {
  fromMs: number;
  toMs: number;
  peak: number;
  /** The y axis's top: the peak, at least 1 (an idle day is a flat line at 0). */
  yMax: number;
  current: number;
  /** Hours between x ticks: the smallest of 1, 2, 3, 6, 12, 24 giving at most 12 ticks. */
  hourStep: number;
  points: [number, number][];
}

/** The frame of a chart of `series` ending at `nowMs` (the x axis never ends before now). */
export function chartFrame(series: readonly SeriesPoint[], nowMs: number, current?: number): ChartFrame {
  const first = series[0];
  const last = series[series.length - 1];
  const fromMs = first ? first.bucketStartMs : nowMs - 24 * HOUR_MS;
  const toMs = Math.max(nowMs, last ? last.bucketStartMs : nowMs);
  let peak = 0;
  for (const p of series) if (p.max > peak) peak = p.max;
  const hourStep = [1, 2, 3, 6, 12, 24].find((h) => (toMs - fromMs) / (h * HOUR_MS) <= 12) ?? 24;
  return {
    fromMs,
    toMs,
    peak,
    yMax: Math.max(1, peak),
    current: current ?? last?.max ?? 0,
    hourStep,
    points: stepPoints(series, toMs),
  };
}

/**
 * Each value is the maximum over its bucket, constant for the bucket's five minutes, so
 * the line steps (curveStepAfter: horizontal from the bucket's start to the next one's).
 * A linear line would invent fractional counts between buckets and smear short peaks
 * into slopes. Only the points where the value changes are needed for a step curve, plus
 * one at `toMs` so the last bucket extends to the right edge: the path stays small on
 * quiet days and draws exactly the same shape.
 */
export function stepPoints(series: readonly SeriesPoint[], toMs: number): [number, number][] {
  const pts: [number, number][] = [];
  let prev: number | undefined;
  for (const p of series) {
    if (p.max !== prev) pts.push([p.bucketStartMs, p.max]);
    prev = p.max;
  }
  const last = series[series.length - 1];
  if (last) pts.push([toMs, last.max]);
  return pts;
}

const INNER_W = WIDTH - MARGIN.left - MARGIN.right;
const INNER_H = HEIGHT - MARGIN.top - MARGIN.bottom;

type Svg = Selection<SVGSVGElement, unknown, null, undefined>;
type Plot = Selection<SVGGElement, unknown, null, undefined>;
type XScale = ScaleTime<number, number>;
type YScale = ScaleLinear<number, number>;

/**
 * The chart as an `<svg>` string: a step line and area of the per-bucket maxima, x axis
 * labelled every two hours (HH:MM in `timeZone`), y axis with integer ticks from 0 to the
 * peak (at least 0..1, so an idle day is a flat line at 0). The same input gives the same
 * string.
 */
export async function renderChartSvg(series: readonly SeriesPoint[], opts: ChartOptions): Promise<string> {
  const { document: doc, serializer } = await chartDom();
  const nowMs = msFromIso(opts.now);
  if (Number.isNaN(nowMs)) throw new RangeError(`now ${JSON.stringify(opts.now)} is not an ISO UTC instant`);
  const frame = chartFrame(series, nowMs, opts.current);
  // UTC scale: positions only. Tick values and labels are computed in the configured zone.
  const x = scaleUtc().domain([frame.fromMs, frame.toMs]).range([0, INNER_W]);
  const y = scaleLinear().domain([0, frame.yMax]).range([INNER_H, 0]);

  const svgEl = doc.createElementNS(SVG_NS, 'svg');
  const svg = drawHead(select(svgEl), opts, describe(series, frame.current, frame.peak, opts));
  const plot = svg.append('g').attr('transform', `translate(${MARGIN.left},${MARGIN.top})`);
  const yTicks = integerTicks(frame.yMax);
  const xTicks = hourTicks(frame.fromMs, frame.toMs, opts.timeZone, frame.hourStep);
  drawGrid(plot, x, y, xTicks, yTicks);
  const pts = frame.points;
  const shapes = stepShapes(x, y);
  if (pts.length > 0) plot.append('path').attr('class', 'chart-area').attr('d', shapes.area(pts));
  drawAxes(plot, x, y, xTicks, yTicks, opts.timeZone);
  // The line over the axes: on an idle day it lies on the x axis and must stay visible.
  if (pts.length > 0) plot.append('path').attr('class', 'chart-line').attr('fill', 'none').attr('d', shapes.line(pts));
  drawAxisLabels(svg, opts.labels);
  drawHitAreas(plot, x, series, frame.toMs, opts);
  tidy(svgEl);
  // XML serialisation rather than outerHTML: the same markup is then both valid inline in
  // HTML and a well-formed standalone .svg (outerHTML would write e.g. a no-break space as
  // `&nbsp;`, which XML does not know).
  return serializer.serializeToString(svgEl);
}

/** The `<svg>` element's attributes, its title and description, and the visible title. */
function drawHead(svg: Svg, opts: ChartOptions, desc: string): Svg {
  const id = opts.id ?? 'connections-chart';
  const out = svg
    .attr('xmlns', SVG_NS)
    .attr('class', 'chart')
    .attr('viewBox', `0 0 ${WIDTH} ${HEIGHT}`)
    .attr('role', 'img')
    .attr('tabindex', 0)
    .attr('aria-labelledby', `${id}-title ${id}-desc`);
  out.append('title').attr('id', `${id}-title`).text(opts.labels.title);
  out.append('desc').attr('id', `${id}-desc`).text(desc);
  out
    .append('text')
    .attr('class', 'chart-title')
    .attr('x', WIDTH / 2)
    .attr('y', 20)
    .attr('text-anchor', 'middle')
    .text(opts.labels.title);
  return out;
}

function drawGrid(plot: Plot, x: XScale, y: YScale, xTicks: readonly number[], yTicks: readonly number[]): void {
  const grid = plot.append('g').attr('class', 'chart-grid').attr('aria-hidden', 'true');
  for (const v of yTicks) {
    const yy = r2(y(v) + 0.5);
    grid.append('line').attr('x1', 0).attr('x2', INNER_W).attr('y1', yy).attr('y2', yy);
  }
  for (const t of xTicks) {
    const xx = r2(x(t) + 0.5);
    grid.append('line').attr('x1', xx).attr('x2', xx).attr('y1', 0).attr('y2', INNER_H);
  }
}

/** Step-curve generators for the area and the line, positions to two decimals. */
function stepShapes(x: XScale, y: YScale): { line: Line<[number, number]>; area: Area<[number, number]> } {
  const px = (d: [number, number]): number => x(d[0]);
  const py = (d: [number, number]): number => y(d[1]);
  return {
    line: line<[number, number]>(px, py).curve(curveStepAfter).digits(2),
    area: area<[number, number]>().x(px).y0(y(0)).y1(py).curve(curveStepAfter).digits(2),
  };
}

function drawAxes(plot: Plot, x: XScale, y: YScale, xTicks: number[], yTicks: number[], timeZone: string): void {
  plot
    .append('g')
    .attr('class', 'chart-axis chart-axis-x')
    .attr('transform', `translate(0,${INNER_H})`)
    .call(
      axisBottom<Date | number>(x)
        .tickValues(xTicks)
        .tickFormat((d) => formatClock(+d, timeZone))
        .offset(0.5),
    );
  plot
    .append('g')
    .attr('class', 'chart-axis chart-axis-y')
    .call(
      axisLeft(y)
        .tickValues(yTicks)
        .tickFormat((d) => String(d))
        .offset(0.5),
    );
}

function drawAxisLabels(svg: Svg, labels: ChartLabels): void {
  svg
    .append('text')
    .attr('class', 'chart-label chart-label-x')
    .attr('x', MARGIN.left + INNER_W / 2)
    .attr('y', HEIGHT - 8)
    .attr('text-anchor', 'middle')
    .text(labels.x);
  svg
    .append('text')
    .attr('class', 'chart-label chart-label-y')
    .attr('transform', 'rotate(-90)')
    .attr('x', -(MARGIN.top + INNER_H / 2))
    .attr('y', 14)
    .attr('text-anchor', 'middle')
    .text(labels.y);
}

/** "14:05–14:40: 3 Verbindungen": a stretch of buckets with the same count, in words. */
export function stretchText(fromMs: number, toMs: number, count: number, opts: ChartOptions): string {
  const span = `${formatClock(fromMs, opts.timeZone)}–${formatClock(toMs, opts.timeZone)}`;
  if (opts.lang === 'de') return `${span} Uhr: ${count} ${count === 1 ? 'Verbindung' : 'Verbindungen'}`;
  return `${span}: ${count} ${count === 1 ? 'connection' : 'connections'}`;
}

/**
 * Over the plot, one invisible rectangle per stretch of buckets with the same count, with
 * its time and count as a <title>: the browser shows it on hover, and app.js on hover, focus
 * and the arrow keys. A stretch rather than a bucket: the same information, a smaller page.
 */
function drawHitAreas(plot: Plot, x: XScale, series: readonly SeriesPoint[], toMs: number, opts: ChartOptions): void {
  const hits = plot.append('g').attr('class', 'chart-hits');
  for (let i = 0; i < series.length; ) {
    const first = series[i] as SeriesPoint;
    let j = i + 1;
    while (j < series.length && (series[j] as SeriesPoint).max === first.max) j++;
    const endMs = j < series.length ? (series[j] as SeriesPoint).bucketStartMs : toMs;
    const x0 = r2(x(first.bucketStartMs));
    hits
      .append('rect')
      .attr('class', 'chart-hit')
      .attr('x', x0)
      .attr('y', 0)
      .attr('width', r2(Math.max(0, x(endMs) - x0)))
      .attr('height', INNER_H)
      .append('title')
      .text(stretchText(first.bucketStartMs, endMs, first.max, opts));
    i = j;
  }
}

function tidy(svgEl: Element): void {
  // d3-axis writes positions at full float precision; round them like everything else.
  for (const tick of Array.from(svgEl.querySelectorAll('.tick'))) {
    const t = tick.getAttribute('transform');
    if (t)
      tick.setAttribute(
        'transform',
        t.replace(/-?\d+(?:\.\d+)?(?:e-?\d+)?/g, (n) => String(r2(Number(n)))),
      );
  }
  // Fonts and colours come from the page's CSS, not from d3-axis's defaults.
  for (const el of Array.from(svgEl.querySelectorAll('[style], [font-family], [font-size]'))) {
    el.removeAttribute('style');
    el.removeAttribute('font-family');
    el.removeAttribute('font-size');
  }
}
