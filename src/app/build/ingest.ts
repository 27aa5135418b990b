/**
 * Stage 1: new history into the cache. The rewrites of the CSV since the last build (delete,
 * restore, retention) and then the new ended sessions, a chunk at a time (a full build of a
 * million sessions must not hold them all), go into the day files and the user-month files
 * through one merge (`ingestBatch`).
 */
import { resolve } from 'node:path';
import { groupSessions, markGroups, type SessionRef } from '../../core/build-plan.js';
import type { Session } from '../../core/session.js';
import { userCacheName } from '../../core/slug.js';
import { msFromIso } from '../../core/time.js';
import { saveDay, saveUserMonth } from '../../io/build-cache.js';
import { historyChunks } from '../../io/history-tail.js';
import { getDay, getUserMonth, RECENT_KEEP_S, rememberDay, rememberUserMonth, type BuildRun } from './run.js';

/**
 * Sessions read from the CSV at a time (a full build streams it; a loaded session takes
 * about 1 KB). Fewer would rewrite each user-month file more often.
 */
export const CHUNK_SESSIONS = 20_000;

const merge = (old: Session[], add: Session[]): Session[] => {
  const byId = new Map(old.map((s) => [s.id, s]));
  for (const s of add) byId.set(s.id, s); // a re-read tail after a crash replaces, never doubles
  return [...byId.values()];
};

/**
 * Merges a batch into the cache: `added` sessions in, `removed` ones out of their day and
 * user-month files; marks those days and user-months dirty and keeps the chart's recent list.
 */
export async function ingestBatch(
  run: BuildRun,
  added: readonly Session[],
  removed: readonly SessionRef[] = [],
): Promise<void> {
  const gone = new Set(removed.map((x) => x.id));
  const groups = groupSessions(added, run.tz, removed);
  markGroups(run.dirty, groups);
  for (const s of added) {
    run.sample.set(s.user, s);
    if (s.endedAt !== null && run.nowMs - msFromIso(s.endedAt) <= RECENT_KEEP_S * 1000)
      run.recentById.set(s.id, [s.id, s.connectedAt, s.endedAt]);
  }
  for (const id of gone) run.recentById.delete(id);
  for (const [day, list] of groups.byDay) {
    const merged = merge(
      (await getDay(run, day)).filter((s) => !gone.has(s.id)),
      list,
    );
    rememberDay(run, day, merged);
    await saveDay(run.cp, day, merged);
  }
  // The same sessions by user and month, so a user's pages never need a whole month of everybody.
  for (const [k, { user, month, sessions }] of groups.byUserMonth) {
    const merged = merge(
      (await getUserMonth(run, user, month)).filter((s) => !gone.has(s.id)),
      sessions,
    );
    rememberUserMonth(run, user, month, merged);
    await saveUserMonth(run.cp, userCacheName(user), month, merged);
    run.savedUserMonths.add(k);
  }
}

/** Returns how many new ended sessions were read, and this host's CSV size now read. */
export async function ingestHistory(run: BuildRun): Promise<{ newEnded: number; csvBytes: number }> {
  for (const r of run.full ? [] : run.sources.flatMap((src) => src.rewrites ?? [])) {
    await ingestBatch(run, r.added ?? [], r.removed ?? []);
  }
  let newEnded = 0;
  const read: Record<string, { csvBytes: number; generation: number }> = {};
  for (const src of run.sources) {
    // Bad rows are set aside beside this host's history; a copy from another host is only read.
    const quarantine = src.path === run.settings.history ? 'write' : 'off';
    const history = await historyChunks(src.path, run.full ? 0 : src.start, CHUNK_SESSIONS, src.limit, {
      warn: (m) => run.log.warn(m),
      quarantine,
    });
    read[resolve(src.path)] = { csvBytes: history.size, generation: src.generation };
    for await (const chunk of history.chunks) {
      newEnded += chunk.length;
      await ingestBatch(run, chunk);
    }
  }
  run.m.sources = Object.fromEntries(
    run.extras.map((x) => [resolve(x.path), read[resolve(x.path)] as { csvBytes: number; generation: number }]),
  );
  return { newEnded, csvBytes: read[resolve(run.settings.history)]?.csvBytes ?? 0 };
}
