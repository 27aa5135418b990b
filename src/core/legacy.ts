/**
 * The predecessor's CSV: `user,public_ip,tunnel_ip,start,end,duration_s`, start and end as
 * `YYYY-MM-DD HH:MM:SS` local time, end empty while the session was open.
 */
import { InputError } from './errors.js';
import { isIpv4 } from './remote-address.js';
import { sessionId, type Session } from './session.js';
import { isoFromMs, parseWallTime, secondsBetween, zonedToEpochMs } from './time.js';

export const LEGACY_COLUMNS = ['user', 'public_ip', 'tunnel_ip', 'start', 'end', 'duration_s'];

export function checkLegacyHeader(header: string[], file: string): void {
  const missing = ['user', 'public_ip', 'start', 'end'].filter((c) => !header.includes(c));
  if (missing.length > 0) throw new InputError(file, 1, `not the predecessor's CSV: no column ${missing.join(', ')}`);
}

/**
 * A row's fields by the header's names. A row with another field count is refused: its
 * fields would land in the wrong columns (a short row reads as "start is empty").
 */
export function legacyRecord(
  header: string[],
  fields: string[],
  file: string,
  line: number,
): Record<string, string | undefined> {
  if (fields.length !== header.length) {
    throw new InputError(
      file,
      line,
      `wrong number of fields: expected ${header.length} (as in the header), found ${fields.length}`,
    );
  }
  const record: Record<string, string | undefined> = Object.create(null);
  header.forEach((name, i) => {
    record[name] = fields[i];
  });
  return record;
}

/**
 * One legacy row as an ended session, or null for a row that was still open (its end is
 * unknown; the collector records the live session from the status file instead).
 */
export function sessionFromLegacy(
  r: Record<string, string | undefined>,
  file: string,
  line: number,
  timeZone: string,
  instance: string,
): Session | null {
  const fail = (why: string): never => {
    throw new InputError(file, line, why);
  };
  const user = (r.user ?? '').trim();
  if (user === '') fail('user is empty');
  const instant = (column: string): string | null => {
    const text = (r[column] ?? '').trim();
    if (text === '') return null;
    const w = parseWallTime(text);
    if (!w) fail(`${column} "${text}" is not a YYYY-MM-DD HH:MM:SS time`);
    return isoFromMs(zonedToEpochMs(w as NonNullable<typeof w>, timeZone));
  };
  const connectedAt = instant('start') ?? fail('start is empty');
  const endedAt = instant('end');
  if (endedAt === null) return null;
  const durationS = secondsBetween(connectedAt, endedAt);
  if (durationS < 0) fail(`end ${r.end} is before start ${r.start}`);
  const publicIp = (r.public_ip ?? '').trim();
  if (publicIp === '') fail('public_ip is empty');
  const tunnel = (r.tunnel_ip ?? '').trim() || null;
  return {
    id: sessionId(instance, user, connectedAt, publicIp, null),
    instance,
    user,
    commonName: user,
    username: null,
    realAddress: publicIp,
    realPort: null,
    protocol: null,
    virtualAddress: tunnel !== null && isIpv4(tunnel) ? tunnel : null,
    virtualIpv6: tunnel !== null && !isIpv4(tunnel) ? tunnel : null,
    clientId: null,
    peerId: null,
    cipher: null,
    connectedAt,
    lastSeenAt: endedAt,
    endedAt,
    durationS,
    bytesReceived: null,
    bytesSent: null,
    endReason: 'disconnected',
    // The predecessor wrote the time its cron job noticed the end.
    endExact: false,
    source: 'legacy',
  };
}
