/**
 * The export files over the whole history of all users (the views "all" and "ended", each
 * an .xlsx and a .csv): up to a million rows each, so never all in memory. The rows come
 * day by day from the build cache's day files (newest first, as the pages list them) while
 * they are written.
 *
 * They are written in a worker thread with a capped heap. Rows are made and dropped day by
 * day, but in the main thread V8 sized its heap to the build's own data and let the
 * garbage of millions of rows grow it further, past the run's memory goals
 * (docs/PERFORMANCE.md). The worker starts with an empty heap, capped (workerLimits).
 */
import { join } from 'node:path';
import { compareNewestFirst, type Session } from '../core/session.js';
import { fanOut } from '../core/fan-out.js';
import { exportRow, type ExportContext, type ExportRow } from '../core/export-rows.js';
import { dayOf } from '../core/format.js';
import type { Lang } from '../core/settings.js';
import { loadDay, type CachePaths } from '../io/build-cache.js';
import { writeCsv } from '../io/csv-export.js';
import { writeXlsx } from '../io/xlsx-export.js';
import { aliasOf } from '../render/models.js';
import { EXPORT_ROWS_MAX } from './exports.js';
import { runWorker } from './worker.js';

/** What the worker needs: plain data only (it is copied into the worker). */
export interface WholeHistoryJob {
  out: string;
  cache: CachePaths;
  lang: Lang;
  timeZone: string;
  aliases: Record<string, string>;
  now: string;
  /** Days with history, newest first. */
  days: string[];
  /** Open and held sessions (they are in the "all" view with their start). */
  tracked: Session[];
  /** The files of each view, relative to `out`. */
  views: { status: 'all' | 'ended'; xlsx: string; csv: string }[];
}

export interface WholeHistoryResult {
  /** Files whose bytes changed (a file that still holds the same bytes is left alone). */
  written: number;
}

/** Rows the fastest of the four writers may be ahead of the slowest (row objects of a few hundred bytes). */
const AHEAD_ROWS = 2_000;

/**
 * Writes the job's views in this thread (the worker runs this): the rows are made once, in
 * one pass over the day files, and handed to all four writers at once (fanOut). Every file
 * is written in full and replaces the old one only when its bytes differ: the build asks
 * for this only when days changed (at most every 15 minutes), and a first pass to see
 * whether a view changed at all made the rows twice.
 */
export async function writeWholeHistory(job: WholeHistoryJob): Promise<WholeHistoryResult> {
  const ctx: ExportContext = {
    lang: job.lang,
    timeZone: job.timeZone,
    aliasOf: (s) => aliasOf(s, job.aliases),
    now: job.now,
  };
  const trackedByDay = new Map<string, Session[]>();
  for (const s of job.tracked) {
    const day = dayOf(s.connectedAt, job.timeZone);
    const list = trackedByDay.get(day);
    if (list === undefined) trackedByDay.set(day, [s]);
    else list.push(s);
  }
  async function* all(): AsyncGenerator<ExportRow> {
    for (const day of job.days) {
      const sessions = [...(await loadDay(job.cache, day)), ...(trackedByDay.get(day) ?? [])].sort(compareNewestFirst);
      for (const s of sessions) yield exportRow(s, ctx);
    }
  }
  /** A view's rows: the ended ones only for "ended", as many as a sheet holds. */
  async function* view(rows: AsyncIterable<ExportRow>, status: 'all' | 'ended'): AsyncGenerator<ExportRow> {
    let n = 0;
    for await (const r of rows) {
      if (status === 'ended' && r.end === null) continue;
      if (n++ === EXPORT_ROWS_MAX) return;
      yield r;
    }
  }
  const files = job.views.flatMap((v) => [
    { file: v.xlsx, status: v.status },
    { file: v.csv, status: v.status },
  ]);
  const fan = fanOut(all(), files.length, AHEAD_ROWS);
  const writes = files.map(async ({ file, status }, i) => {
    try {
      const rows = view(fan.branches[i] as AsyncIterable<ExportRow>, status);
      const path = join(job.out, file);
      const opts = { lang: job.lang, durable: false };
      return await (file.endsWith('.csv') ? writeCsv(path, rows, opts) : writeXlsx(path, rows, opts));
    } finally {
      await fan.release(i);
    }
  });
  const done = await Promise.allSettled(writes);
  const failed = done.find((d) => d.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
  return { written: done.filter((d) => d.status === 'fulfilled' && d.value.written).length };
}

/**
 * The worker's heap. Its old space is capped: V8 then collects more often instead of
 * growing. What stays alive there is one day's sessions, the rows the writers share
 * (AHEAD_ROWS) and some sheet XML per workbook waiting for zlib (xlsx-export.ts); a loaded
 * session takes about 1 KB, so the cap is 64 MB plus twice that for each session of the
 * largest day (a test holds a day of 25,000 sessions to it).
 */
export function workerLimits(largestDaySessions: number): {
  maxOldGenerationSizeMb: number;
  maxYoungGenerationSizeMb: number;
} {
  return {
    maxOldGenerationSizeMb: 64 + Math.ceil((largestDaySessions * 2048) / 2 ** 20),
    maxYoungGenerationSizeMb: 16,
  };
}

/** Runs `job` in a worker thread (whole-history-worker.ts; see the top of this file). */
export function writeWholeHistoryInWorker(
  job: WholeHistoryJob,
  largestDaySessions: number,
): Promise<WholeHistoryResult> {
  return runWorker('whole-history', job, workerLimits(largestDaySessions));
}
