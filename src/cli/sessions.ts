/** `sessions`: lists the sessions the store knows (src/app/sessions.ts), as a table or JSON. */
import type { Command } from '../app/command.js';
import { loadSessions, sessionJson } from '../app/sessions.js';
import { UsageError } from '../core/errors.js';
import { compareNewestFirst, statusOf } from '../core/session.js';

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
      return [
        j.status,
        j.user,
        j.realAddress,
        j.virtualAddress ?? j.virtualIpv6 ?? '-',
        j.connectedAt,
        j.endedAt ?? '-',
        String(j.durationS),
        j.endReason ?? '-',
        j.instance,
      ];
    });
    const head = [
      'status',
      'user',
      'real address',
      'virtual',
      'connected',
      'ended',
      'seconds',
      'end reason',
      'instance',
    ];
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
    const line = (r: string[]) =>
      r
        .map((c, i) => c.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd();
    process.stdout.write(`${[line(head), ...rows.map(line)].join('\n')}\n`);
    return 0;
  },
};
