import { untrack } from '../core/reconcile.js';
import { statusOf, type Session } from '../core/session.js';
import { secondsBetween } from '../core/time.js';
import type { Warn } from '../core/result.js';
import { historyPaths, readHistory, readState } from '../io/history-store.js';

export type StatusFilter = 'active' | 'ended' | 'all';

/** Every session the store knows: the CSV's ended ones and the state's open and held ones; bad rows are set aside and told to `warn`. */
export async function loadSessions(history: string, warn: Warn): Promise<Session[]> {
  const paths = historyPaths(history);
  // State first, then the CSV: a session a concurrent run moves in between shows up in
  // both (the CSV copy wins) instead of in neither.
  const state = await readState(paths.state);
  const byId = new Map<string, Session>();
  for (const t of state.tracked) byId.set(t.id, untrack(t));
  for await (const s of readHistory(paths.history, { warn })) byId.set(s.id, s);
  return [...byId.values()];
}

export function sessionJson(s: Session) {
  return {
    id: s.id,
    instance: s.instance,
    user: s.user,
    commonName: s.commonName,
    username: s.username,
    realAddress: s.realAddress,
    realPort: s.realPort,
    protocol: s.protocol,
    virtualAddress: s.virtualAddress,
    virtualIpv6: s.virtualIpv6,
    clientId: s.clientId,
    peerId: s.peerId,
    cipher: s.cipher,
    connectedAt: s.connectedAt,
    lastSeenAt: s.lastSeenAt,
    endedAt: s.endedAt,
    // While open: connected time so far, up to the last status update that listed it.
    durationS: s.durationS ?? Math.max(0, secondsBetween(s.connectedAt, s.lastSeenAt)),
    bytesReceived: s.bytesReceived,
    bytesSent: s.bytesSent,
    status: statusOf(s),
    endReason: s.endReason,
    endExact: s.endExact,
    source: s.source,
    country: s.country ?? null,
  };
}
