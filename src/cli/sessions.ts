import { UsageError } from '../core/errors.js';
import { untrack } from '../core/reconcile.js';
import { compareNewestFirst, statusOf, type Session } from '../core/session.js';
import { secondsBetween } from '../core/time.js';
import type { Warn } from '../io/history-quarantine.js';
import { historyPaths, readHistory, readState } from '../io/history-store.js';
import type { Command } from './command.js';

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
  };
}

export const sessionsCommand: Command = {
  name: 'sessions',
  help: `Usage: openvpn-status-web sessions [--status active|ended|all] [--user NAME] [--json] [--history FILE]

Lists every session the history knows, newest first. Here --status is the filter
(default all); --user matches the user (username, else common name), the common name or
the username. --json prints { schemaVersion: 1, sessions: [...] }; otherwise a table.`,
  options: { status: { type: 'string' }, user: { type: 'string' }, json: { type: 'boolean' } },
  async run(ctx) {
    const filter = (ctx.values.status as string | undefined) ?? 'all';
    if (filter !== 'active' && filter !== 'ended' && filter !== 'all') {
      throw new UsageError(`sessions: --status must be active, ended or all, not "${filter}"`);
    }
    const user = ctx.values.user as string | undefined;
    const sessions = (await loadSessions(ctx.settings.history, (m) => ctx.log.warn(m)))
      .filter((s) => filter === 'all' || statusOf(s) === filter)
      .filter((s) => user === undefined || s.user === user || s.commonName === user || s.username === user)
      .sort(compareNewestFirst);
    if (ctx.values.json === true) {
      process.stdout.write(`${JSON.stringify({ schemaVersion: 1, sessions: sessions.map(sessionJson) }, null, 1)}\n`);
      return 0;
    }
    const rows = sessions.map((s) => {
      const j = sessionJson(s);
      return [j.status, j.user, j.realAddress, j.virtualAddress ?? j.virtualIpv6 ?? '-', j.connectedAt, j.endedAt ?? '-', String(j.durationS), j.endReason ?? '-', j.instance];
    });
    const head = ['status', 'user', 'real address', 'virtual', 'connected', 'ended', 'seconds', 'end reason', 'instance'];
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
    const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
    process.stdout.write([line(head), ...rows.map(line)].join('\n') + '\n');
    return 0;
  },
};
