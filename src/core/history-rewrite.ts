/**
 * The journal of history rewrites (delete, restore, retention): what each one took out of
 * the CSV and put back, so the next build updates only the pages of those days and users
 * instead of rebuilding the whole site. Pure; kept in the collector's state.
 */
import type { CollectorState } from './reconcile.js';
import type { Session } from './session.js';

/** What a build needs to find a session's pages. */
export interface RewrittenRow {
  id: string;
  connectedAt: string;
  user: string;
}

export interface HistoryRewrite {
  /** The historyGeneration this rewrite produced. */
  generation: number;
  /** CSV size just before and just after the rewrite. */
  bytesBefore: number;
  bytesAfter: number;
  /** Rows taken out and rows put back; null when there were too many to list (the next build is then a full one). */
  removed: RewrittenRow[] | null;
  added: Session[] | null;
}

/** Rewrites kept in the state: a build more than this many behind rebuilds in full. */
export const REWRITES_KEPT = 20;
/** Rows listed per rewrite at most (a clear of everything is a full build anyway). */
export const REWRITE_ROWS_MAX = 10_000;

/** The state after a rewrite: generation bumped, the rewrite journaled, `historyBytes` set to the new size. */
export function recordRewrite(
  state: CollectorState,
  change: { bytesBefore: number; bytesAfter: number; removed: Session[]; added: Session[] },
): CollectorState {
  const listable = change.removed.length + change.added.length <= REWRITE_ROWS_MAX;
  const generation = state.historyGeneration + 1;
  const entry: HistoryRewrite = {
    generation,
    bytesBefore: change.bytesBefore,
    bytesAfter: change.bytesAfter,
    removed: listable ? change.removed.map((s) => ({ id: s.id, connectedAt: s.connectedAt, user: s.user })) : null,
    added: listable ? change.added : null,
  };
  return {
    ...state,
    historyGeneration: generation,
    historyBytes: change.bytesAfter,
    rewrites: [...state.rewrites, entry].slice(-REWRITES_KEPT),
  };
}

/**
 * The rewrites that lead a build from `built` (its manifest's generation and CSV bytes) to
 * `state`, in order; null when they cannot (a gap, an unlisted rewrite, or rows appended
 * between rewrites that the build has not read), and the build must be a full one.
 */
export function rewritesSince(
  state: Pick<CollectorState, 'historyGeneration' | 'rewrites'>,
  built: { generation: number; csvBytes: number },
): HistoryRewrite[] | null {
  if (built.generation === state.historyGeneration) return [];
  const chain = state.rewrites.filter(
    (r) => r.generation > built.generation && r.generation <= state.historyGeneration,
  );
  let bytes = built.csvBytes;
  let generation = built.generation;
  for (const r of chain) {
    if (r.generation !== generation + 1 || r.bytesBefore !== bytes || r.removed === null || r.added === null)
      return null;
    generation = r.generation;
    bytes = r.bytesAfter;
  }
  return generation === state.historyGeneration ? chain : null;
}
