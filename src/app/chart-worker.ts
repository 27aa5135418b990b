/**
 * Entry of the worker thread that draws the chart (worker.ts): jsdom and d3 load here, and
 * their heap goes when the worker ends. Data in: [series, options]; out: the SVG string.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { SeriesPoint } from '../core/chart-series.js';
import { renderChartSvg, type ChartOptions } from '../render/chart.js';

if (parentPort === null) throw new Error('chart-worker runs only as a worker thread');
const [series, options] = workerData as [SeriesPoint[], ChartOptions];
parentPort.postMessage(await renderChartSvg(series, options));
