/**
 * `lookup`: the sessions that held an address in a period, from the store (the state's open
 * and held sessions, and the CSV). The CSV is searched for the address's texts first
 * (src/io/history-scan.ts) and only the lines holding one are read as rows, so a lookup in a
 * million sessions answers in well under a second; a CSV with a row over several lines is
 * read whole.
 */
import { addressNeedles, compareOldestFirst, lineMayHold, sessionMatches, type LookupQuery } from '../core/lookup.js';
import { untrack } from '../core/reconcile.js';
import type { Warn } from '../core/result.js';
import type { Session } from '../core/session.js';
import { linesHolding, sessionsInSpans } from '../io/history-scan.js';
import { historyPaths, readHistory, readState } from '../io/history-store.js';

export async function lookupHistory(history: string, q: LookupQuery, warn: Warn): Promise<Session[]> {
  const paths = historyPaths(history);
  // State first, then the CSV, as loadSessions: a session a concurrent run moves in between
  // shows up in both (the CSV copy wins) instead of in neither.
  const state = await readState(paths.state);
  const byId = new Map<string, Session>();
  const stateIds = new Set<string>();
  for (const t of state.tracked) {
    stateIds.add(t.id);
    const s = untrack(t);
    if (sessionMatches(s, q)) byId.set(s.id, s);
  }
  // The first texts are searched for; the line must hold the address as a field of its own.
  const spans = await linesHolding(paths.history, addressNeedles(q.address)[0] ?? [], (line) =>
    lineMayHold(line, q.address),
  );
  const rows =
    spans === null
      ? readHistory(paths.history, { warn, quarantine: 'off' })
      : sessionsInSpans(paths.history, spans, warn);
  for await (const s of rows) {
    // Only matches are kept: a full read of a million rows must not hold them.
    if (sessionMatches(s, q)) byId.set(s.id, s);
    else if (stateIds.has(s.id)) byId.delete(s.id);
  }
  return [...byId.values()].sort(compareOldestFirst);
}
