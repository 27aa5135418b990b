/**
 * One OpenVPN client-connect / client-disconnect event as a line of the hook spool, and
 * the event it describes. Shared by the `hook` command (which must start fast: this module
 * imports only small pure modules) and `collect`, which validates every line again: the
 * spool is written by the user OpenVPN runs scripts as, so it is untrusted input.
 *
 * A line is a record of OpenVPN's own environment variables (raw strings, by their
 * OpenVPN names) plus `instance`, in one of two encodings:
 *   JSON (`openvpn-status-web hook`):  {"v":1,"instance":"udp","script_type":"client-connect",…}
 *   TSV  (`scripts/openvpn-hook.sh`):  ovsw1<TAB>instance=udp<TAB>script_type=client-connect<TAB>…
 *        each value %-escaped: "%" → %25, TAB → %09, LF → %0A, CR → %0D (nothing else), so a
 *        POSIX shell can write it without forking a JSON encoder.
 */
import { isIpv4, isIpv6 } from './remote-address.js';
import { err, ok, type Result } from './result.js';
import { INSTANCE_NAME } from './settings.js';
import { isoFromEpochSeconds } from './time.js';

/** The variables a spool line keeps (OpenVPN 2.6 manual, "Environmental Variables"). */
export const HOOK_VARS = [
  'script_type',
  'time_unix',
  'time_duration',
  'common_name',
  'username',
  'trusted_ip',
  'trusted_ip6',
  'trusted_port',
  'untrusted_ip',
  'untrusted_ip6',
  'untrusted_port',
  'ifconfig_pool_remote_ip',
  'ifconfig_pool_remote_ip6',
  'bytes_received',
  'bytes_sent',
  'proto_1',
] as const;

/** A spool record: `instance`, HOOK_VARS that were set, and `hook_time` (the writer's clock, seconds; a fallback only). */
export type HookRecord = Record<string, string>;

export type HookEventKind = 'connect' | 'disconnect';

export interface HookEvent {
  kind: HookEventKind;
  instance: string;
  commonName: string;
  /** null where OpenVPN set none (empty or UNDEF), as in the status file. */
  username: string | null;
  realAddress: string;
  realPort: number | null;
  /** OpenVPN's proto_1 (the server's protocol, e.g. udp4, tcp4-server), or null. */
  protocol: string | null;
  virtualAddress: string | null;
  virtualIpv6: string | null;
  /** time_unix: when OpenVPN created the client instance, the status file's Connected Since. */
  connectedAt: string;
  /** time_duration at disconnect (then connectedAt + durationS is the exact end); null at connect. */
  durationS: number | null;
  /** At disconnect: OpenVPN's final counters; null at connect. */
  bytesReceived: number | null;
  bytesSent: number | null;
}

const JSON_START = '{"v":1,';
export const TSV_MARK = 'ovsw1';
const TSV_START = `${TSV_MARK}\t`;

/** The record of one hook run: `instance`, the writer's clock and the HOOK_VARS that are set. */
export function recordFromEnv(env: Record<string, string | undefined>, instance: string, nowS: number): HookRecord {
  const record: HookRecord = { instance, hook_time: String(nowS) };
  for (const name of HOOK_VARS) {
    const v = env[name];
    if (v !== undefined) record[name] = v;
  }
  return record;
}

/** One JSON line, `v` first (the decoder and the torn-line recovery look for `{"v":1,`). */
export function encodeJsonLine(record: HookRecord): string {
  return `${JSON.stringify({ v: 1, ...record })}\n`;
}

const escapeTsv = (v: string): string =>
  v.replace(/[%\t\n\r]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);

/** The shell script's encoding (scripts/openvpn-hook.sh writes the same bytes); for tests and tools. */
export function encodeTsvLine(record: HookRecord): string {
  return `${[TSV_MARK, ...Object.entries(record).map(([k, v]) => `${k}=${escapeTsv(v)}`)].join('\t')}\n`;
}

const KEY = /^[a-z][a-z0-9_]{0,63}$/;

function decodeTsv(line: string): Result<HookRecord> {
  const fields = line.split('\t');
  const record: HookRecord = {};
  for (let i = 1; i < fields.length; i++) {
    const f = fields[i] as string;
    const eq = f.indexOf('=');
    const key = eq < 0 ? '' : f.slice(0, eq);
    if (!KEY.test(key)) return err(`field ${i + 1} is not NAME=VALUE`);
    const raw = f.slice(eq + 1);
    if (/%(?![0-9A-Fa-f]{2})/.test(raw)) return err(`${key}: a "%" that is not followed by two hex digits`);
    record[key] = raw.replace(/%([0-9A-Fa-f]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  }
  return ok(record);
}

function decodeJson(line: string): Result<HookRecord> {
  let data: unknown;
  try {
    data = JSON.parse(line);
  } catch (e) {
    if (e instanceof SyntaxError) return err(`not valid JSON (${e.message})`);
    throw e;
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return err('not a JSON object');
  const record: HookRecord = {};
  for (const [k, v] of Object.entries(data)) {
    if (k === 'v') continue;
    if (typeof v !== 'string') return err(`${k}: not a string`);
    record[k] = v;
  }
  return (data as { v?: unknown }).v === 1 ? ok(record) : err('not version 1');
}

function decodeWhole(line: string): Result<HookRecord> {
  if (line.startsWith(JSON_START)) return decodeJson(line);
  if (line.startsWith(TSV_START)) return decodeTsv(line);
  return err('not a hook spool line');
}

export interface DecodedLine {
  record: HookRecord;
  /** Set when the line began with the remains of a torn write, which were dropped. */
  dropped: string | null;
}

/**
 * Decodes one line (without its newline). A hook whose write was cut short (disk full,
 * killed) leaves a fragment without a newline, and the next hook's line is appended to it:
 * when the whole line does not decode, the last record start in it is tried on its own.
 */
export function decodeSpoolLine(line: string): Result<DecodedLine> {
  const whole = decodeWhole(line);
  if (whole.ok) return ok({ record: whole.value, dropped: null });
  // Every later record start, first to last: the first that decodes is the appended line.
  const starts: number[] = [];
  for (const mark of [JSON_START, TSV_START]) {
    for (let at = line.indexOf(mark, 1); at > 0; at = line.indexOf(mark, at + 1)) starts.push(at);
  }
  for (const at of starts.sort((a, b) => a - b)) {
    const rest = decodeWhole(line.slice(at));
    if (rest.ok) return ok({ record: rest.value, dropped: line.slice(0, at) });
  }
  return whole;
}

const DIGITS = /^\d{1,15}$/;

/** The event a record describes, every value checked; the error names the variable (the first one wrong, in this order). */
export function eventFromRecord(r: HookRecord): Result<HookEvent> {
  const who = identityOf(r);
  if (!who.ok) return who;
  const where = addressesOf(r);
  if (!where.ok) return where;
  const when = timesOf(r, who.value.kind);
  if (!when.ok) return when;
  const traffic = trafficOf(r, who.value.kind);
  if (!traffic.ok) return traffic;
  const { kind, instance, commonName, username } = who.value;
  const { realAddress, realPort, protocol, virtualAddress, virtualIpv6 } = where.value;
  const { start, durationS } = when.value;
  const { bytesReceived, bytesSent } = traffic.value;
  return ok({
    kind,
    instance,
    commonName,
    username,
    realAddress,
    realPort,
    protocol,
    virtualAddress,
    virtualIpv6,
    // Converted last: a time beyond Date's range throws only once every variable has passed its check.
    connectedAt: isoFromEpochSeconds(start),
    durationS,
    bytesReceived,
    bytesSent,
  });
}

/** A variable's value, null when unset or empty. */
function text(r: HookRecord, k: string): string | null {
  const v = r[k];
  return v === undefined || v === '' ? null : v;
}

/** A variable as a whole number: null when unset or empty, undefined when not one. */
function whole(r: HookRecord, k: string): number | null | undefined {
  const v = text(r, k);
  if (v === null) return null;
  return DIGITS.test(v) ? Number(v) : undefined;
}

function identityOf(r: HookRecord): Result<Pick<HookEvent, 'kind' | 'instance' | 'commonName' | 'username'>> {
  const instance = r.instance ?? '';
  if (!INSTANCE_NAME.test(instance)) return err(`instance "${instance}" must be letters, digits, '.', '_' or '-'`);
  const type = r.script_type;
  const kind: HookEventKind | null =
    type === 'client-connect' ? 'connect' : type === 'client-disconnect' ? 'disconnect' : null;
  if (kind === null) return err(`script_type "${type ?? ''}" is not client-connect or client-disconnect`);
  const commonName = text(r, 'common_name');
  if (commonName === null) return err('common_name is not set');
  const usernameText = text(r, 'username');
  return ok({
    kind,
    instance,
    commonName,
    username: usernameText === null || usernameText === 'UNDEF' ? null : usernameText,
  });
}

function addressesOf(
  r: HookRecord,
): Result<Pick<HookEvent, 'realAddress' | 'realPort' | 'protocol' | 'virtualAddress' | 'virtualIpv6'>> {
  // trusted_* is the address OpenVPN authenticated; untrusted_* only a fallback (same values after authentication).
  const trusted = text(r, 'trusted_ip') ?? text(r, 'trusted_ip6');
  const untrusted = text(r, 'untrusted_ip') ?? text(r, 'untrusted_ip6');
  const realAddress = trusted ?? untrusted;
  if (realAddress === null) return err('neither trusted_ip, trusted_ip6, untrusted_ip nor untrusted_ip6 is set');
  if (!isIpv4(realAddress) && !isIpv6(realAddress)) return err(`"${realAddress}" is not an IP address`);
  const portName = trusted !== null ? 'trusted_port' : 'untrusted_port';
  const realPort = whole(r, portName);
  if (realPort === undefined || (realPort !== null && realPort > 65535))
    return err(`${portName} "${r[portName]}" is not a port`);

  const virtualAddress = text(r, 'ifconfig_pool_remote_ip');
  if (virtualAddress !== null && !isIpv4(virtualAddress))
    return err(`ifconfig_pool_remote_ip "${virtualAddress}" is not an IPv4 address`);
  const virtualIpv6 = text(r, 'ifconfig_pool_remote_ip6');
  if (virtualIpv6 !== null && !isIpv6(virtualIpv6))
    return err(`ifconfig_pool_remote_ip6 "${virtualIpv6}" is not an IPv6 address`);
  const proto = text(r, 'proto_1');
  const protocol = proto !== null && /^[a-z0-9-]{1,20}$/.test(proto) ? proto : null;
  return ok({ realAddress, realPort, protocol, virtualAddress, virtualIpv6 });
}

/** When the session started (epoch seconds) and, at disconnect, how long it lasted. */
function timesOf(r: HookRecord, kind: HookEventKind): Result<{ start: number; durationS: number | null }> {
  const timeUnix = whole(r, 'time_unix');
  const hookTime = whole(r, 'hook_time');
  const duration = whole(r, 'time_duration');
  if (timeUnix === undefined) return err(`time_unix "${r.time_unix}" is not a whole number`);
  if (duration === undefined) return err(`time_duration "${r.time_duration}" is not a whole number`);
  let start = timeUnix;
  let durationS: number | null = null;
  if (kind === 'disconnect') {
    // time_unix is set at connect and still there at disconnect; the writer's clock is the fallback.
    durationS = duration ?? (start !== null && typeof hookTime === 'number' ? Math.max(0, hookTime - start) : null);
    if (start === null && durationS !== null && typeof hookTime === 'number') start = Math.max(0, hookTime - durationS);
    if (durationS === null) return err('time_duration is not set');
  } else if (start === null && typeof hookTime === 'number') {
    start = hookTime;
  }
  if (start === null) return err('time_unix is not set');
  return ok({ start, durationS });
}

/** OpenVPN's final counters, at disconnect only. */
function trafficOf(r: HookRecord, kind: HookEventKind): Result<Pick<HookEvent, 'bytesReceived' | 'bytesSent'>> {
  const bytesReceived = kind === 'disconnect' ? whole(r, 'bytes_received') : null;
  const bytesSent = kind === 'disconnect' ? whole(r, 'bytes_sent') : null;
  if (bytesReceived === undefined) return err(`bytes_received "${r.bytes_received}" is not a whole number`);
  if (bytesSent === undefined) return err(`bytes_sent "${r.bytes_sent}" is not a whole number`);
  return ok({ bytesReceived, bytesSent });
}
