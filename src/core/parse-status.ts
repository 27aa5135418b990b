/**
 * Parses an OpenVPN server status file (status-version 1, 2 or 3) into a snapshot.
 * Every row is mapped through the file's own header, never by position, so the column
 * sets of OpenVPN 2.1 to 2.7 all work and unknown extra columns are kept in `extra`.
 * Anything that is not one complete server status file is an InputError naming the line:
 * a torn read must never look like "everybody disconnected".
 */
import { own, setOwn } from './dict.js';
import { InputError } from './errors.js';
import { isIpv4, isIpv6, isMacAddress, parseRemoteAddress, type RemoteAddress } from './remote-address.js';
import {
  isoFromEpochSeconds,
  isoFromMs,
  isPlausibleIsoText,
  laterZonedEpochMs,
  msFromIso,
  parseWallTime,
  twoDigits,
  zonedToEpochMs,
} from './time.js';

export interface StatusClient {
  commonName: string;
  username: string | null;
  realAddress: string;
  realPort: number | null;
  protocol: string | null;
  virtualAddress: string | null;
  virtualIpv6: string | null;
  bytesReceived: number;
  bytesSent: number;
  connectedAt: string;
  /**
   * Set only when the connect time is wall text that happened twice (the repeated hour of a
   * DST change): its later reading; `connectedAt` holds the earlier. Collection picks one by
   * the order of updates (time.ts, pickConnectInstant).
   */
  connectedAtLater?: string;
  clientId: number | null;
  peerId: number | null;
  cipher: string | null;
  /** Columns this parser does not know, by their header name. */
  extra: Record<string, string>;
}

export type RouteKind = 'ipv4' | 'ipv6' | 'mac' | 'cached' | 'subnet' | 'other';

export interface StatusRoute {
  virtualAddress: string;
  kind: RouteKind;
  commonName: string;
  realAddress: string;
  realPort: number | null;
  protocol: string | null;
  lastRefAt: string | null;
}

export interface StatusSnapshot {
  schemaVersion: 1;
  format: 1 | 2 | 3;
  title: string | null;
  updatedAt: string | null;
  /** As StatusClient.connectedAtLater, for the file's own update time. */
  updatedAtLater?: string;
  clients: StatusClient[];
  routes: StatusRoute[];
  globalStats: Record<string, string>;
}

export interface ParseOptions {
  /** Named in errors. */
  file: string;
  /** IANA zone in which the file's time text is read when no time_t is given. */
  timeZone: string;
}

const CLIENT_COLUMNS: Record<string, string> = {
  'Common Name': 'commonName',
  'Real Address': 'realAddress',
  'Virtual Address': 'virtualAddress',
  'Virtual IPv6 Address': 'virtualIpv6',
  'Bytes Received': 'bytesReceived',
  'Bytes Sent': 'bytesSent',
  'Connected Since': 'connectedSince',
  'Connected Since (time_t)': 'connectedSinceEpoch',
  Username: 'username',
  'Client ID': 'clientId',
  'Peer ID': 'peerId',
  'Data Channel Cipher': 'cipher',
};
const ROUTE_COLUMNS: Record<string, string> = {
  'Virtual Address': 'virtualAddress',
  'Common Name': 'commonName',
  'Real Address': 'realAddress',
  'Last Ref': 'lastRef',
  'Last Ref (time_t)': 'lastRefEpoch',
};
const REQUIRED_CLIENT = ['commonName', 'realAddress', 'bytesReceived', 'bytesSent'];
const REQUIRED_ROUTE = ['virtualAddress', 'commonName', 'realAddress'];
/** 9999-12-31T23:59:59Z, the last instant with a four-digit year. */
const MAX_EPOCH_S = 253402300799;

/** Column of each known field, -1 when the header lacks it: one fixed shape, read directly per row. */
interface Positions {
  commonName: number;
  realAddress: number;
  virtualAddress: number;
  virtualIpv6: number;
  bytesReceived: number;
  bytesSent: number;
  connectedSince: number;
  connectedSinceEpoch: number;
  username: number;
  clientId: number;
  peerId: number;
  cipher: number;
  lastRef: number;
  lastRefEpoch: number;
}

interface Header {
  names: string[];
  keys: (string | null)[];
  pos: Positions;
  hasExtra: boolean;
}

function makeHeader(names: string[], keys: (string | null)[]): Header {
  const pos: Positions = {
    commonName: -1,
    realAddress: -1,
    virtualAddress: -1,
    virtualIpv6: -1,
    bytesReceived: -1,
    bytesSent: -1,
    connectedSince: -1,
    connectedSinceEpoch: -1,
    username: -1,
    clientId: -1,
    peerId: -1,
    cipher: -1,
    lastRef: -1,
    lastRefEpoch: -1,
  };
  keys.forEach((k, i) => {
    if (k !== null && k in pos && pos[k as keyof Positions] < 0) pos[k as keyof Positions] = i;
  });
  return { names, keys, pos, hasExtra: keys.some((k) => k === null) };
}

/** 1 to 16 ASCII digits as a safe integer, else -1 (a loop: the regex and Number() per field showed in profiles). */
function wholeNumber(text: string): number {
  const len = text.length;
  if (len === 0 || len > 16) return -1;
  let n = 0;
  for (let i = 0; i < len; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return Number.isSafeInteger(n) ? n : -1;
}

class Parser {
  private readonly timeCache = new Map<string, string | null>();
  /** Time texts already checked: many rows share one (Last Ref, clients of one reconnect wave). */
  private readonly validText = new Set<string>();
  /** time_t text → ISO: routes' Last Ref and a wave of reconnects share a few values. */
  private readonly epochCache = new Map<string, string>();
  /** Wall text → its later reading when it happened twice, else null. */
  private readonly laterCache = new Map<string, string | null>();
  constructor(private readonly opts: ParseOptions) {}

  fail(line: number, reason: string): never {
    throw new InputError(this.opts.file, line, reason);
  }

  header(names: string[], known: Record<string, string>, required: string[], line: number, what: string): Header {
    const keys = names.map((n) => own(known, n) ?? null);
    for (const r of required) {
      if (!keys.includes(r)) {
        const name = Object.keys(known).find((k) => known[k] === r);
        this.fail(line, `${what} header has no "${name}" column`);
      }
    }
    if (!keys.includes('connectedSince') && !keys.includes('connectedSinceEpoch') && known === CLIENT_COLUMNS) {
      this.fail(line, `${what} header has no "Connected Since" column`);
    }
    return makeHeader(names, keys);
  }

  /** A field count other than the header's is an error. */
  checkCount(header: Header, fields: string[], offset: number, line: number, what: string): void {
    const count = fields.length - offset;
    if (count !== header.names.length) {
      this.fail(line, `${what} row has ${count} fields, its header has ${header.names.length}`);
    }
  }

  /** The columns this parser does not know, by header name. */
  extra(header: Header, fields: string[], offset: number): Record<string, string> {
    const extra: Record<string, string> = {};
    if (header.hasExtra) {
      for (let i = 0; i < header.names.length; i++) {
        if (header.keys[i] === null) setOwn(extra, header.names[i] ?? `column ${i + 1}`, fields[i + offset] ?? '');
      }
    }
    return extra;
  }

  /** Epoch ms of each wall minute (`YYYYMMDDHHMM` as a number) in the file's zone. */
  private readonly minuteCache = new Map<number, number>();

  instant(text: string, line: number, what: string): string {
    let iso = this.timeCache.get(text);
    if (iso === undefined) {
      iso = isPlausibleIsoText(text) ? this.isoTextInstant(text) : this.otherTextInstant(text);
      this.timeCache.set(text, iso);
    }
    if (iso === null) this.fail(line, `${what} "${text}" is not a valid time`);
    return iso;
  }

  /**
   * 2.5+ text (`YYYY-MM-DD HH:MM:SS`) by arithmetic: the rows of one file share few minutes,
   * and a number key needs no string hashing (the regex and zone look-up per row showed in profiles).
   */
  private isoTextInstant(text: string): string {
    const year = twoDigits(text, 0) * 100 + twoDigits(text, 2);
    const month = twoDigits(text, 5);
    const day = twoDigits(text, 8);
    const hour = twoDigits(text, 11);
    const minute = twoDigits(text, 14);
    const key = (((year * 100 + month) * 100 + day) * 100 + hour) * 100 + minute;
    let base = this.minuteCache.get(key);
    if (base === undefined) {
      base = zonedToEpochMs({ year, month, day, hour, minute, second: 0 }, this.opts.timeZone);
      this.minuteCache.set(key, base);
    }
    return isoFromMs(base + twoDigits(text, 17) * 1000);
  }

  /** ctime text (before 2.5) and anything else parseWallTime reads; null when it is no time. */
  private otherTextInstant(text: string): string | null {
    const w = parseWallTime(text);
    return w ? isoFromMs(zonedToEpochMs(w, this.opts.timeZone)) : null;
  }

  /** The later reading of wall text that instant() read, when the zone's clock showed it twice. */
  laterInstant(text: string, iso: string): string | undefined {
    let later = this.laterCache.get(text);
    if (later === undefined) {
      const ms = laterZonedEpochMs(msFromIso(iso), this.opts.timeZone);
      later = ms === null ? null : isoFromMs(ms);
      this.laterCache.set(text, later);
    }
    return later ?? undefined;
  }

  epoch(text: string, line: number, what: string): string {
    let iso = this.epochCache.get(text);
    if (iso === undefined) {
      // Beyond year 9999 toISOString() gives "+010000-…", which is not our ISO form.
      const seconds = text.length <= 12 ? wholeNumber(text) : -1;
      if (seconds < 0 || seconds > MAX_EPOCH_S) this.fail(line, `${what} "${text}" is not a time_t`);
      iso = isoFromEpochSeconds(seconds);
      this.epochCache.set(text, iso);
    }
    return iso;
  }

  /**
   * The time_t column wins over the text beside it, but OpenVPN writes both from the same
   * clock, so text that is not a time at all means a damaged row, not one to trust.
   */
  checkText(text: string | undefined, line: number, what: string): void {
    if (text === undefined || isPlausibleIsoText(text) || this.validText.has(text)) return;
    if (parseWallTime(text) === null) this.fail(line, `${what} "${text}" is not a valid time`);
    this.validText.add(text);
  }

  count(text: string | undefined, line: number, what: string): number {
    const n = text === undefined ? -1 : wholeNumber(text);
    if (n < 0) this.fail(line, `${what} "${text ?? ''}" is not a whole number`);
    return n;
  }

  optionalId(text: string | undefined, line: number, what: string): number | null {
    if (text === undefined || text === '') return null;
    return this.count(text, line, what);
  }

  address(text: string, line: number): RemoteAddress {
    const a = parseRemoteAddress(text);
    if (!a) this.fail(line, `Real Address "${text}" is not an address`);
    return a;
  }

  client(header: Header, fields: string[], offset: number, line: number): StatusClient {
    this.checkCount(header, fields, offset, line, 'client');
    const p = header.pos;
    const get = (i: number): string | undefined => (i < 0 ? undefined : fields[i + offset]);
    const commonName = get(p.commonName) ?? '';
    const real = this.address(get(p.realAddress) ?? '', line);
    const epoch = get(p.connectedSinceEpoch);
    let connectedAt: string;
    let connectedAtLater: string | undefined;
    if (epoch !== undefined && epoch !== '') {
      this.checkText(get(p.connectedSince), line, 'Connected Since');
      connectedAt = this.epoch(epoch, line, 'Connected Since (time_t)');
    } else {
      const text = get(p.connectedSince) ?? '';
      connectedAt = this.instant(text, line, 'Connected Since');
      connectedAtLater = this.laterInstant(text, connectedAt);
    }
    const username = get(p.username);
    const cipher = get(p.cipher);
    let virtualAddress: string | null = get(p.virtualAddress) || null;
    let virtualIpv6: string | null = get(p.virtualIpv6) || null;
    // Empty is "none"; anything else must be an address (a damaged row is not recorded).
    if (
      virtualAddress !== null &&
      !isIpv4(virtualAddress) &&
      !isIpv6(virtualAddress) &&
      !isMacAddress(virtualAddress)
    ) {
      this.fail(line, `Virtual Address "${virtualAddress}" is not an address`);
    }
    if (virtualIpv6 !== null && !isIpv6(virtualIpv6))
      this.fail(line, `Virtual IPv6 Address "${virtualIpv6}" is not an IPv6 address`);
    // 2.1-era files print an IPv6 pool address in "Virtual Address"; TAP clients a MAC.
    if (virtualAddress !== null && !isIpv4(virtualAddress)) {
      if (isIpv6(virtualAddress) && virtualIpv6 === null) virtualIpv6 = virtualAddress;
      virtualAddress = null;
    }
    const client: StatusClient = {
      commonName,
      username: username === undefined || username === '' || username === 'UNDEF' ? null : username,
      realAddress: real.host,
      realPort: real.port,
      protocol: real.protocol,
      virtualAddress,
      virtualIpv6,
      bytesReceived: this.count(get(p.bytesReceived), line, 'Bytes Received'),
      bytesSent: this.count(get(p.bytesSent), line, 'Bytes Sent'),
      connectedAt,
      clientId: this.optionalId(get(p.clientId), line, 'Client ID'),
      peerId: this.optionalId(get(p.peerId), line, 'Peer ID'),
      cipher: cipher === undefined || cipher === '' ? null : cipher,
      extra: this.extra(header, fields, offset),
    };
    if (connectedAtLater !== undefined) client.connectedAtLater = connectedAtLater;
    return client;
  }

  route(header: Header, fields: string[], offset: number, line: number): StatusRoute {
    this.checkCount(header, fields, offset, line, 'route');
    const p = header.pos;
    const get = (i: number): string | undefined => (i < 0 ? undefined : fields[i + offset]);
    const rawReal = get(p.realAddress) ?? '';
    const real = this.address(rawReal, line);
    const virtualAddress = get(p.virtualAddress) ?? '';
    const epoch = get(p.lastRefEpoch);
    const lastRef = get(p.lastRef);
    let lastRefAt: string | null = null;
    if (epoch !== undefined && epoch !== '') {
      this.checkText(lastRef, line, 'Last Ref');
      lastRefAt = this.epoch(epoch, line, 'Last Ref (time_t)');
    } else if (lastRef !== undefined && lastRef !== '') lastRefAt = this.instant(lastRef, line, 'Last Ref');
    return {
      virtualAddress,
      kind: routeKind(virtualAddress),
      commonName: get(p.commonName) ?? '',
      realAddress: real.host,
      realPort: real.port,
      protocol: real.protocol,
      lastRefAt,
    };
  }
}

function routeKind(v: string): RouteKind {
  // Most routes are plain IPv4: decide those without the other patterns.
  if (v.indexOf(':') < 0 && v.indexOf('/') < 0 && v.charCodeAt(v.length - 1) !== 67 && isIpv4(v)) return 'ipv4';
  if (isMacAddress(v)) return 'mac';
  if (v.includes('/')) return 'subnet';
  if (v.endsWith('C') && (isIpv4(v.slice(0, -1)) || isIpv6(v.slice(0, -1)))) return 'cached';
  if (isIpv4(v)) return 'ipv4';
  if (isIpv6(v)) return 'ipv6';
  return 'other';
}

/**
 * Splits `line` into `out`, reusing its array: one array per row was a large part of the
 * parser's garbage. Callers must copy what they keep (slices, never `out` itself).
 */
function splitInto(line: string, sep: string, out: string[]): string[] {
  let n = 0;
  let from = 0;
  for (let at = line.indexOf(sep); at >= 0; at = line.indexOf(sep, from)) {
    out[n++] = line.slice(from, at);
    from = at + 1;
  }
  out[n++] = line.slice(from);
  if (out.length !== n) out.length = n;
  return out;
}

/** Empty or only white space; most lines start with a letter, so trim() is rarely needed. */
const isBlank = (line: string): boolean => line.length === 0 || (line.charCodeAt(0) <= 32 && line.trim() === '');

function splitLines(text: string): string[] {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const lines = body.split('\n');
  if (body.includes('\r')) {
    for (let i = 0; i < lines.length; i++) {
      const l = lines[i] ?? '';
      if (l.endsWith('\r')) lines[i] = l.slice(0, -1);
    }
  }
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** The last line must be END and nothing may follow it: otherwise the read was torn. */
function checkEnd(p: Parser, lines: string[], endIndex: number): void {
  if (endIndex < 0) p.fail(lines.length, 'no END line: the file is incomplete (read while OpenVPN was writing it?)');
  for (let i = endIndex + 1; i < lines.length; i++) {
    if ((lines[i] ?? '').trim() !== '') p.fail(i + 1, 'content after END');
  }
}

export function parseStatus(text: string, opts: ParseOptions): StatusSnapshot {
  const p = new Parser(opts);
  const lines = splitLines(text);
  if (lines.length === 0 || lines.every((l) => l.trim() === '')) p.fail(1, 'empty file');
  const first = lines[0] ?? '';
  if (first === 'OpenVPN STATISTICS') p.fail(1, 'client-mode "OpenVPN STATISTICS", not a server status file');
  const known = first === 'OpenVPN CLIENT LIST' || /^(TITLE|TIME|HEADER)[\t,]/.test(first);
  // Say "incomplete" before any row error: a file cut mid-line fails in its last row too.
  if (known && !lines.includes('END'))
    p.fail(lines.length, 'no END line: the file is incomplete (read while OpenVPN was writing it?)');
  if (first === 'OpenVPN CLIENT LIST') return parseV1(p, lines);
  const v3 = /^(TITLE|TIME|HEADER)\t/.exec(first);
  const v2 = /^(TITLE|TIME|HEADER),/.exec(first);
  if (v3) return parseV23(p, lines, '\t', 3);
  if (v2) return parseV23(p, lines, ',', 2);
  return p.fail(1, 'not an OpenVPN server status file (expected "OpenVPN CLIENT LIST", "TITLE" or "TIME")');
}

/** The `Updated,<time>` line of a v1 file (line 2). */
interface Updated {
  updatedAt: string;
  updatedAtLater: string | undefined;
}

function v1Updated(p: Parser, line: string): Updated {
  const updated = /^Updated,(.*)$/.exec(line);
  if (!updated) p.fail(2, 'expected "Updated,<time>"');
  const updatedAt = p.instant(updated[1] ?? '', 2, 'Updated');
  return { updatedAt, updatedAtLater: p.laterInstant(updated[1] ?? '', updatedAt) };
}

/** What the body of a v1 file adds up to as it is read, section by section. */
interface V1Body {
  section: 'clients' | 'routes' | 'stats';
  clientHeader: Header;
  routeHeader: Header | null;
  clients: StatusClient[];
  routes: StatusRoute[];
  globalStats: Record<string, string>;
  // v1 has no virtual address column: the routing table (after the clients) is joined on CN
  // + real address as it is read. The real address text (address:port) nearly always names
  // one client alone, so it is the map key; clients sharing one are rare and wait in `more`.
  // The first route of a kind wins.
  byReal: Map<string, StatusClient>;
  more: Map<string, StatusClient[]>;
}

function parseV1(p: Parser, lines: string[]): StatusSnapshot {
  const { updatedAt, updatedAtLater } = v1Updated(p, lines[1] ?? '');
  const body: V1Body = {
    section: 'clients',
    clientHeader: p.header((lines[2] ?? '').split(','), CLIENT_COLUMNS, REQUIRED_CLIENT, 3, 'CLIENT LIST'),
    routeHeader: null,
    clients: [],
    routes: [],
    globalStats: {},
    byReal: new Map(),
    more: new Map(),
  };
  const endIndex = readV1Sections(p, lines, body);
  checkEnd(p, lines, endIndex);
  return {
    schemaVersion: 1,
    format: 1,
    title: null,
    updatedAt,
    ...(updatedAtLater === undefined ? {} : { updatedAtLater }),
    clients: body.clients,
    routes: body.routes,
    globalStats: body.globalStats,
  };
}

/** The clients, then the routing table, then the global stats, up to END: END's index, or -1. */
function readV1Sections(p: Parser, lines: string[], body: V1Body): number {
  const row: string[] = [];
  for (let i = 3; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const n = i + 1;
    if (line === 'END') return i;
    if (isBlank(line)) continue;
    if (line === 'ROUTING TABLE' && body.section === 'clients') {
      body.section = 'routes';
      body.routeHeader = p.header(
        (lines[i + 1] ?? '').split(','),
        ROUTE_COLUMNS,
        REQUIRED_ROUTE,
        n + 1,
        'ROUTING TABLE',
      );
      i++;
      continue;
    }
    if (line === 'GLOBAL STATS' && body.section !== 'stats') {
      body.section = 'stats';
      continue;
    }
    const fields = splitInto(line, ',', row);
    if (body.section === 'clients') v1Client(p, body, fields, n);
    else if (body.section === 'routes' && body.routeHeader) v1Route(p, body, body.routeHeader, fields, n);
    else {
      if (fields.length < 2) p.fail(n, 'GLOBAL STATS row needs a name and a value');
      setOwn(body.globalStats, fields[0] ?? '', fields.slice(1).join(','));
    }
  }
  return -1;
}

/** A client row; its addresses come from the routing table further down. */
function v1Client(p: Parser, body: V1Body, fields: string[], n: number): void {
  const client = p.client(body.clientHeader, fields, 0, n);
  client.virtualAddress = null;
  client.virtualIpv6 = null;
  body.clients.push(client);
  const rawReal = fields[body.clientHeader.pos.realAddress] ?? '';
  if (!body.byReal.has(rawReal)) body.byReal.set(rawReal, client);
  else body.more.set(rawReal, [...(body.more.get(rawReal) ?? []), client]);
}

/** A route row, joined to the clients of its real address. */
function v1Route(p: Parser, body: V1Body, header: Header, fields: string[], n: number): void {
  const route = p.route(header, fields, 0, n);
  body.routes.push(route);
  const rawReal = fields[header.pos.realAddress] ?? '';
  const c = body.byReal.get(rawReal);
  if (c !== undefined) {
    assignRoute(c, route);
    const others = body.more.size === 0 ? undefined : body.more.get(rawReal);
    if (others) for (const o of others) assignRoute(o, route);
  }
}

function assignRoute(c: StatusClient, r: StatusRoute): void {
  if (r.commonName !== c.commonName) return;
  if (r.kind === 'ipv4') c.virtualAddress ??= r.virtualAddress;
  else if (r.kind === 'ipv6') c.virtualIpv6 ??= r.virtualAddress;
}

/** What the records of a v2/v3 file add up to as they are read. */
interface V23Body {
  sep: string;
  headers: Map<string, Header>;
  clients: StatusClient[];
  routes: StatusRoute[];
  globalStats: Record<string, string>;
  title: string | null;
  updatedAt: string | null;
  updatedAtLater: string | undefined;
}

function parseV23(p: Parser, lines: string[], sep: string, format: 2 | 3): StatusSnapshot {
  const body: V23Body = {
    sep,
    headers: new Map(),
    clients: [],
    routes: [],
    globalStats: {},
    title: null,
    updatedAt: null,
    updatedAtLater: undefined,
  };
  const endIndex = readV23Records(p, lines, body);
  checkEnd(p, lines, endIndex);
  const { title, updatedAt, updatedAtLater, clients, routes, globalStats } = body;
  if (updatedAt === null) p.fail(1, 'no TIME row');
  if (!body.headers.has('CLIENT_LIST')) p.fail(1, 'no HEADER for CLIENT_LIST');
  fillVirtualFromRoutes(clients, routes);
  return {
    schemaVersion: 1,
    format,
    title,
    updatedAt,
    ...(updatedAtLater === undefined ? {} : { updatedAtLater }),
    clients,
    routes,
    globalStats,
  };
}

/** Every record up to END: END's index, or -1. */
function readV23Records(p: Parser, lines: string[], body: V23Body): number {
  const row: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (line === 'END') return i;
    if (isBlank(line)) continue;
    v23Record(p, body, splitInto(line, body.sep, row), i + 1);
  }
  return -1;
}

/** One record, by its type in the first field. */
function v23Record(p: Parser, body: V23Body, fields: string[], n: number): void {
  const type = fields[0] ?? '';
  switch (type) {
    case 'TITLE':
      body.title = fields.slice(1).join(body.sep);
      break;
    case 'TIME':
      v23Time(p, body, fields, n);
      break;
    case 'HEADER': {
      const of = fields[1] ?? '';
      const names = fields.slice(2);
      if (of === 'CLIENT_LIST')
        body.headers.set(of, p.header(names, CLIENT_COLUMNS, REQUIRED_CLIENT, n, 'CLIENT_LIST'));
      else if (of === 'ROUTING_TABLE')
        body.headers.set(of, p.header(names, ROUTE_COLUMNS, REQUIRED_ROUTE, n, 'ROUTING_TABLE'));
      else
        body.headers.set(
          of,
          makeHeader(
            names,
            names.map(() => null),
          ),
        );
      break;
    }
    case 'CLIENT_LIST': {
      const h = body.headers.get(type);
      if (!h) p.fail(n, 'CLIENT_LIST row before its HEADER');
      body.clients.push(p.client(h, fields, 1, n));
      break;
    }
    case 'ROUTING_TABLE': {
      const h = body.headers.get(type);
      if (!h) p.fail(n, 'ROUTING_TABLE row before its HEADER');
      body.routes.push(p.route(h, fields, 1, n));
      break;
    }
    case 'GLOBAL_STATS':
      if (fields.length !== 3) p.fail(n, `GLOBAL_STATS row has ${fields.length} fields, expected 3`);
      setOwn(body.globalStats, fields[1] ?? '', fields[2] ?? '');
      break;
    default:
      p.fail(n, `unknown record type "${type.slice(0, 40)}"`);
  }
}

function v23Time(p: Parser, body: V23Body, fields: string[], n: number): void {
  if (fields.length < 2 || fields.length > 3) p.fail(n, `TIME row has ${fields.length} fields, expected 3`);
  const epoch = fields[2];
  if (epoch !== undefined && epoch !== '') {
    p.checkText(fields[1], n, 'TIME');
    body.updatedAt = p.epoch(epoch, n, 'TIME');
  } else {
    body.updatedAt = p.instant(fields[1] ?? '', n, 'TIME');
    body.updatedAtLater = p.laterInstant(fields[1] ?? '', body.updatedAt);
  }
}

/** Fill a missing virtual address from the routing table (e.g. 2.1 files without the column). */
function fillVirtualFromRoutes(clients: StatusClient[], routes: StatusRoute[]): void {
  for (const c of clients) {
    if (c.virtualAddress !== null || c.virtualIpv6 !== null) continue;
    const own = routes.filter(
      (r) => r.commonName === c.commonName && r.realAddress === c.realAddress && r.realPort === c.realPort,
    );
    c.virtualAddress = own.find((r) => r.kind === 'ipv4')?.virtualAddress ?? null;
    c.virtualIpv6 = own.find((r) => r.kind === 'ipv6')?.virtualAddress ?? null;
  }
}
