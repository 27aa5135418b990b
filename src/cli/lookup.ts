/** `lookup`: who had an address at a time (src/app/lookup.ts), as a table or JSON; grep's exit codes. */
import type { Command } from '../app/command.js';
import { lookupHistory } from '../app/lookup.js';
import { sessionJson } from '../app/sessions.js';
import { UsageError } from '../core/errors.js';
import { parseLookupAddress, parseLookupTime, type LookupQuery } from '../core/lookup.js';
import { isoFromMs, msFromIso } from '../core/time.js';

export const lookupCommand: Command = {
  name: 'lookup',
  help: `Usage: openvpn-status-web lookup --ip ADDR [--port N] [--at TIME | --from TIME --to TIME] [--json] [--history FILE]

Lists the sessions that held address ADDR at TIME (default now), or at any instant from
--from to --to (--to defaults to now), oldest first. ADDR is a tunnel address (IPv4 or
IPv6) or a real (public) address, in any spelling (2001:DB8:0::1 is 2001:db8::1, and
::ffff:1.2.3.4 is 1.2.3.4); --port N (or ADDR written as 1.2.3.4:N or [2001:db8::1]:N)
narrows a real address to that client port (NAT). A session counts when it was live at
the time, both ends included (one that ended exactly at TIME counts); a session whose port
was not recorded is listed for any port. TIME is ISO 8601 with Z or an offset, or a wall
time (2026-11-26T16:15) read in --tz.
--json prints { schemaVersion: 1, query: {...}, matches: [...] }, each match as in
"sessions --json". Exit 0 when a session matched, 1 when none did, 2 on bad input.`,
  options: {
    ip: { type: 'string' },
    port: { type: 'string' },
    at: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    json: { type: 'boolean' },
  },
  async run(ctx) {
    const q = lookupQuery(ctx.values, ctx.settings.tz, ctx.now);
    const matches = await lookupHistory(ctx.settings.history, q, (m) => ctx.log.warn(m));
    if (ctx.values.json === true) {
      const query = {
        address: q.address,
        port: q.port,
        from: isoFromMs(q.fromMs),
        to: isoFromMs(q.toMs),
      };
      process.stdout.write(
        `${JSON.stringify({ schemaVersion: 1, query, matches: matches.map(sessionJson) }, null, 1)}\n`,
      );
    } else if (matches.length > 0) {
      process.stdout.write(table(matches.map(sessionJson)));
    } else {
      ctx.log.info(`lookup: no session held ${q.address}${q.port === null ? '' : ` port ${q.port}`}`);
    }
    return matches.length > 0 ? 0 : 1;
  },
};

/** The query from the flags; a UsageError (exit 2, one line) for anything unreadable. */
function lookupQuery(values: Record<string, unknown>, tz: string, now: string): LookupQuery {
  const str = (k: string) => values[k] as string | undefined;
  const ip = str('ip');
  if (ip === undefined) throw new UsageError('lookup: --ip ADDR is required');
  const parsed = parseLookupAddress(ip);
  if (parsed === null) throw new UsageError(`lookup: --ip "${ip}" is not an IPv4 or IPv6 address`);
  let port = parsed.port;
  const portFlag = str('port');
  if (portFlag !== undefined) {
    const n = /^\d{1,5}$/.test(portFlag) ? Number(portFlag) : Number.NaN;
    if (!(n <= 65535)) throw new UsageError(`lookup: --port "${portFlag}" is not a port (0 to 65535)`);
    if (port !== null && port !== n) throw new UsageError(`lookup: --ip names port ${port}, --port ${n}`);
    port = n;
  }
  const time = (flag: string, text: string | undefined, fallback: number): number => {
    if (text === undefined) return fallback;
    const ms = parseLookupTime(text, tz);
    if (Number.isNaN(ms))
      throw new UsageError(
        `lookup: --${flag} "${text}" is not an ISO 8601 time (with Z or an offset, or read in --tz)`,
      );
    return ms;
  };
  const nowMs = msFromIso(now);
  const [at, from, to] = [str('at'), str('from'), str('to')];
  if (at !== undefined && (from !== undefined || to !== undefined))
    throw new UsageError('lookup: give --at, or --from and --to, not both');
  if (at !== undefined || from === undefined) {
    if (to !== undefined) throw new UsageError('lookup: --to needs --from');
    const t = time('at', at, nowMs);
    return { address: parsed.address, port, fromMs: t, toMs: t };
  }
  const fromMs = time('from', from, nowMs);
  const toMs = time('to', to, nowMs);
  if (fromMs > toMs) throw new UsageError('lookup: --from is after --to');
  return { address: parsed.address, port, fromMs, toMs };
}

function table(rows: ReturnType<typeof sessionJson>[]): string {
  const head = ['user', 'real address', 'port', 'tunnel IPv4', 'tunnel IPv6', 'connected', 'ended', 'instance'];
  const cells = rows.map((j) => [
    j.user,
    j.realAddress,
    j.realPort === null ? '-' : String(j.realPort),
    j.virtualAddress ?? '-',
    j.virtualIpv6 ?? '-',
    j.connectedAt,
    j.endedAt ?? '(open)',
    j.instance,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return `${[line(head), ...cells.map(line)].join('\n')}\n`;
}
