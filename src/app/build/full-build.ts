/**
 * A full build in a worker thread with a capped heap (the CLI's one-shot `run` and `build`).
 * The build holds little at a time (memos bounded in sessions, the CSV in chunks, pages
 * rendered a batch at a time), but in the main thread V8 sized its heap to the garbage of
 * rendering thousands of pages, a few times what is alive. The worker's heap is capped to
 * what the build holds at most, and goes when the build ends.
 */
import type { Settings } from '../../core/settings.js';
import type { Logger } from '../context.js';
import { runWorker } from '../worker.js';
import { CHUNK_SESSIONS } from './ingest.js';
import { RENDER_BATCH, RENDER_PAGE_MB } from './pages.js';
import type { BuildOutcome } from './pipeline.js';
import { MEMO_SESSIONS } from './run.js';

/** Loaded modules (Eleventy's and nunjucks' sources and code) and the build's own small data. */
const BASE_MB = 48;
/** A loaded session takes about 1 KB; twice that leaves room for what is made from it. */
const SESSION_KB = 2;
/**
 * What a full build keeps to its end for each session of the history: the page URLs and
 * their hashes (a page per few sessions), the user-month keys, the anomaly and report
 * caches. Counted on E's heap (1,000,000 sessions) and rounded up; a CSV row is at least
 * ROW_BYTES long, so the CSV's size never gives fewer sessions than it holds.
 */
const KEPT_BYTES_PER_SESSION = 120;
const ROW_BYTES = 200;

export interface FullBuildBounds {
  /** Sessions each of the two memos (days, user-months) holds at most. */
  memoSessions: number;
  /** Sessions read from the CSV at a time (the first stage only). */
  chunkSessions: number;
  /** Pages per render call, and what each may take (the pages stage only). */
  renderBatch: number;
  renderPageMb: number;
}

export const FULL_BUILD_BOUNDS: FullBuildBounds = {
  memoSessions: MEMO_SESSIONS,
  chunkSessions: CHUNK_SESSIONS,
  renderBatch: RENDER_BATCH,
  renderPageMb: RENDER_PAGE_MB,
};

export interface FullBuildLimits {
  maxOldGenerationSizeMb: number;
  maxYoungGenerationSizeMb: number;
}

/**
 * The worker's heap: the memos all along, plus the larger of a CSV chunk (ingest) and a
 * render batch (pages), which never overlap, plus what the build keeps for each session of
 * a history of `historyBytes` (all the CSVs it reads).
 */
export function fullBuildLimits(b: FullBuildBounds, historyBytes: number): FullBuildLimits {
  const memos = (2 * b.memoSessions * SESSION_KB) / 1024;
  const chunk = (b.chunkSessions * SESSION_KB) / 1024;
  const batch = b.renderBatch * b.renderPageMb;
  const kept = ((historyBytes / ROW_BYTES) * KEPT_BYTES_PER_SESSION) / 2 ** 20;
  return {
    maxOldGenerationSizeMb: Math.ceil(BASE_MB + memos + Math.max(chunk, batch) + kept),
    maxYoungGenerationSizeMb: 16,
  };
}

/** What the worker is given (plain data: it is copied into the worker). */
export interface FullBuildJob {
  settings: Settings;
  now: string;
}

/** A log line of the worker, passed on to the caller's logger. */
export type FullBuildNote = [keyof Logger, string];

/**
 * Runs the full build in the worker (full-build-worker.ts). A build that outgrows the cap
 * (a day or a user's month far larger than the bounds foresee) is done again in this thread:
 * it starts from scratch either way, and a cron job must not fail every minute.
 */
export async function buildFullInWorker(
  job: FullBuildJob,
  limits: FullBuildLimits,
  log: Logger,
  inThread: () => Promise<BuildOutcome>,
): Promise<BuildOutcome> {
  try {
    return await runWorker<BuildOutcome>('full-build', job, limits, (note) => {
      const [level, msg] = note as FullBuildNote;
      log[level](msg);
    });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ERR_WORKER_OUT_OF_MEMORY') throw e;
    log.warn(`the full build outgrew its ${limits.maxOldGenerationSizeMb} MB heap; building again without a cap`);
    return inThread();
  }
}
