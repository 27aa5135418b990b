/**
 * Retention (config key `retentionDays`): sessions that ended more than that many days ago
 * move from the history to HISTORY.archive-YYYY.csv (same columns, by year of their end in
 * the configured zone), once the oldest row is a day past the limit, so the CSV is rewritten
 * about once a day. Rows move in the history's order (src/core/retention.ts, dueInOrder and
 * archiveYears): the archives, oldest first, then the history stay one hash chain. Runs
 * inside `collect`, under the history lock, before this run's sessions are appended. The
 * order makes every crash harmless:
 *   1. the rows go to the archive files, skipping ids an earlier, interrupted run put there;
 *   2. the state is written with historyGeneration bumped and historyBytes 0 (the next run
 *      re-reads the CSV's ids instead of trusting an offset into a replaced file);
 *   3. the new CSV (written and fsync'd beside the old one) is renamed over it;
 *   4. the state gets the new size and the rewrite in its journal, so the next build only
 *      updates the days and users concerned (pages and daily files of archived days go).
 */
import { recordRewrite } from '../core/history-rewrite.js';
import type { CollectorState } from '../core/reconcile.js';
import { archiveYears, dueInOrder, retentionCutoff, retentionDue } from '../core/retention.js';
import type { Session } from '../core/session.js';
import type { Settings } from '../core/settings.js';
import {
  appendChainedRows,
  type ChainedRow,
  historyPaths,
  prepareHistoryEdit,
  readHistory,
  writeState,
} from '../io/history-store.js';
import { headAfterEdit, historyStart, localActor, recordChange } from './chain.js';
import type { Logger } from './context.js';

export const archivePath = (history: string, year: string): string => `${history}.archive-${year}.csv`;

async function oldestSession(path: string, log: Logger): Promise<Session | null> {
  for await (const s of readHistory(path, { warn: (m) => log.warn(m) })) return s;
  return null;
}

/** Appends `rows` (with their chain values) to the archive file, leaving out those it holds already. */
async function appendToArchive(path: string, rows: ChainedRow[], log: Logger): Promise<number> {
  const wanted = new Set(rows.map((r) => r.session.id));
  const present = new Set<string>();
  const warn = (m: string): void => log.warn(m);
  for await (const s of readHistory(path, { warn })) if (wanted.has(s.id)) present.add(s.id);
  const fresh = rows.filter((r) => !present.has(r.session.id));
  await appendChainedRows(path, fresh);
  return fresh.length;
}

/** A retention move's ids in the change log: the first ones (the archives hold them all). */
const LOG_IDS_MAX = 10_000;

/** Archives what is due; returns the state to go on with (unchanged when nothing was due). */
export async function applyRetention(
  settings: Settings,
  state: CollectorState,
  now: string,
  log: Logger,
): Promise<CollectorState> {
  const days = settings.retentionDays;
  if (days === undefined) return state;
  const paths = historyPaths(settings.history);
  const oldest = await oldestSession(paths.history, log);
  if (!retentionDue(oldest?.endedAt ?? null, now, days)) return state;
  const cutoff = retentionCutoff(now, days);
  const prev = await historyStart(paths.history);
  const prepared = await prepareHistoryEdit(paths.history, { drop: dueInOrder(cutoff), prev }, (m) => log.warn(m));
  const after = headAfterEdit(prepared);
  const years = archiveYears(prepared.removed, settings.tz);
  try {
    const byYear = new Map<string, ChainedRow[]>();
    for (const [i, r] of prepared.removedRows.entries()) {
      const year = years[i] as string;
      const list = byYear.get(year);
      if (list) list.push(r);
      else byYear.set(year, [r]);
    }
    for (const [year, rows] of byYear) await appendToArchive(archivePath(settings.history, year), rows, log);
    await writeState(paths.state, { ...state, historyGeneration: state.historyGeneration + 1, historyBytes: 0 });
    const ids = prepared.removed.map((s) => s.id);
    await recordChange(settings, {
      at: now,
      action: 'retention',
      ...localActor(),
      ids: ids.slice(0, LOG_IDS_MAX),
      count: ids.length,
      ...(ids.length > LOG_IDS_MAX ? { idsOmitted: ids.length - LOG_IDS_MAX } : {}),
      ...(state.chain === undefined ? {} : { before: state.chain }),
      after,
      files: [...byYear.keys()].map((y) => archivePath(settings.history, y)),
    });
    await prepared.commit();
  } finally {
    await prepared.abort(); // a no-op once committed
  }
  const next = {
    ...recordRewrite(state, {
      bytesBefore: state.historyBytes,
      bytesAfter: prepared.bytes,
      removed: prepared.removed,
      added: [],
    }),
    chain: after,
  };
  await writeState(paths.state, next);
  log.info(
    `retention: ${prepared.removed.length} session(s) that ended before ${cutoff} moved to ` +
      [...new Set(years)].map((y) => archivePath(settings.history, y)).join(', '),
  );
  return next;
}
