/** `anomalies`: what looks unusual (src/app/anomalies.ts), as a table or JSON. */
import { anomaliesInHistory } from '../app/anomalies.js';
import type { Command } from '../app/command.js';
import { UsageError } from '../core/errors.js';
import { parseLookupTime } from '../core/lookup.js';
import { msFromIso } from '../core/time.js';

export const anomaliesCommand: Command = {
  name: 'anomalies',
  help: `Usage: openvpn-status-web anomalies [--from TIME] [--to TIME] [--json] [--history FILE] [--config FILE]

Lists what looks unusual in the recorded sessions, oldest first:
  overlap      one user with two sessions at once from different real addresses
               (users in the config's "sharedAccounts" are never flagged)
  new-country  a session from a country the user has not connected from in the last
               "newCountryDays" (default 90), once the user's history is that long
  off-hours    a session that starts outside the config's "workingHours" (in --tz)
  dormant      a user whose last session ended "dormantDays" (default 90) or more ago
--from and --to keep those whose time is in the period (both included; --to defaults to
now). TIME is ISO 8601 with Z or an offset, or a wall time (2026-11-26T16:15) read in --tz.
--json prints { schemaVersion: 1, anomalies: [{ kind, user, sessionIds, at, reason }] }.
Exit 0, or 2 on bad input.`,
  options: {
    from: { type: 'string' },
    to: { type: 'string' },
    json: { type: 'boolean' },
  },
  async run(ctx) {
    const time = (flag: 'from' | 'to', fallback: number): number => {
      const text = ctx.values[flag] as string | undefined;
      if (text === undefined) return fallback;
      const ms = parseLookupTime(text, ctx.settings.tz);
      if (Number.isNaN(ms))
        throw new UsageError(
          `anomalies: --${flag} "${text}" is not an ISO 8601 time (with Z or an offset, or read in --tz)`,
        );
      return ms;
    };
    const range = { fromMs: time('from', Number.NEGATIVE_INFINITY), toMs: time('to', msFromIso(ctx.now)) };
    if (range.fromMs > range.toMs) throw new UsageError('anomalies: --from is after --to');
    const found = await anomaliesInHistory(ctx.settings, ctx.now, range, (m) => ctx.log.warn(m));
    const rows = found.anomalies.map((a) => ({
      kind: a.kind,
      user: a.user,
      sessionIds: a.sessionIds,
      at: a.at,
      reason: found.reason(a),
    }));
    if (ctx.values.json === true) {
      process.stdout.write(`${JSON.stringify({ schemaVersion: 1, anomalies: rows }, null, 1)}\n`);
    } else if (rows.length === 0) {
      ctx.log.info('anomalies: nothing unusual');
    } else {
      const lines = rows.map((r) => [r.at, r.kind, r.user, r.reason].join('  '));
      process.stdout.write(`${lines.join('\n')}\n`);
    }
    return 0;
  },
};
