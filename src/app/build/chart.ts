/**
 * Stage 5: the chart of connected clients: open and held sessions plus what ended within
 * the last 25 hours, drawn again only when a 5-minute bucket completes.
 */
import { concurrencySeries, type SeriesPoint } from '../../core/chart-series.js';
import { msFromIso } from '../../core/time.js';
import { runWorker } from '../worker.js';
import { hashOf, RECENT_KEEP_S, type BuildRun } from './run.js';
import type { Tracked } from './summaries.js';

export async function drawChart(
  run: BuildRun,
  tracked: Tracked,
  keepChartLoaded: boolean,
): Promise<{ svg: string; series: SeriesPoint[] }> {
  const { m, now, t, tz } = run;
  m.recent = [...run.recentById.values()].filter(([, , end]) => run.nowMs - msFromIso(end) <= RECENT_KEEP_S * 1000);
  const intervals = [
    ...m.recent.map(([, start, end]) => ({ start, end })),
    ...tracked.sessions.map((s) => ({ start: s.connectedAt, end: s.endedAt })),
  ];
  const series = concurrencySeries(intervals, { now });
  const chartOptions = {
    timeZone: tz,
    lang: run.settings.lang,
    now,
    labels: { title: t.chartTitle, y: t.chartY, x: t.chartX, desc: t.chartDesc },
    current: tracked.live.length,
  };
  // The chart is drawn again when a 5-minute bucket completes (or a finished bucket's count
  // changes, or the settings do); in between the last drawing is reused and jsdom is not
  // even loaded, so the newest bucket lags by at most 5 minutes.
  const { current: _current, now: _now, ...stable } = chartOptions;
  const chartKey = hashOf([series.slice(0, -1), series[series.length - 1]?.bucketStartMs, stable]);
  let svg = m.chart?.key === chartKey ? m.chart.svg : null;
  if (svg === null) {
    // In a worker (worker.ts) jsdom's heap goes with it, before the rest of the build.
    svg = keepChartLoaded
      ? await (await import('../../render/chart.js')).renderChartSvg(series, chartOptions)
      : await runWorker<string>('chart', [series, chartOptions]);
    m.chart = { key: chartKey, svg };
  }
  return { svg, series };
}
