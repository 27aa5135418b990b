/**
 * Deterministic synthetic data for the benchmark, the demo and tests: the same options
 * and seed always give the same output (a seeded PRNG, never Math.random or the clock).
 *
 *   syntheticSessions({ count, users, endAt, spanDays, instance, seed, hostile })
 *       → ended Session[] in end order: a history to write with rewriteHistory()
 *   syntheticClients({ count, updatedAt, seed, hostile })
 *       → StatusClient[]: the clients connected at `updatedAt`
 *   syntheticStatusV3({ clients, updatedAt, seed }) / syntheticStatusV1(...)
 *       → the text of an OpenVPN 2.6 status file (status-version 3 / 1) listing them
 *   syntheticState({ clients, updatedAt, seed, instance, historyBytes, history })
 *       → a CollectorState that already tracks those clients, so `collect` sees a steady state
 *   advanceClients(clients, { from, to, reconnect, seed })
 *       → the clients one status update later: more bytes, `reconnect` of them on a new session
 *
 * Users are numbered: user i has the same name, home address and tunnel addresses in the
 * history and among the live clients (client i is user i), so the two fit together. The
 * names mix `first.last`, `First Last`, `first_last` and device names (`LAPTOP-…`,
 * `flex-…`: the kind one gives an alias), with umlauts; users 3 and 4 share one certificate
 * (duplicate-cn) and differ by username. `hostile: true` makes user 1's common name
 * `<script>alert(1)</script>` (for escaping tests); nothing hostile appears otherwise.
 * Times in the status text are written in UTC: read them with timeZone / --tz "UTC".
 */
import type { StatusClient } from '../core/parse-status.js';
import { RECENTLY_CLOSED_KEEP_S, type CollectorState } from '../core/reconcile.js';
import { sessionFromClient, sessionId, userOf, type EndReason, type Session } from '../core/session.js';
import { isoFromEpochSeconds, msFromIso } from '../core/time.js';

// ---------------------------------------------------------------------------------------
// Randomness

export type Rng = () => number;

/** mulberry32: tiny, fast and good enough for test data; returns [0, 1). */
export function createRng(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Mixes a seed with an index, so each user gets its own stream whatever the count. */
function mix(seed: number, index: number): number {
  let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(index + 1, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  return (h ^ (h >>> 15)) >>> 0;
}

const int = (r: Rng, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));
const pick = <T>(r: Rng, items: readonly T[]): T => items[Math.floor(r() * items.length)] as T;
/** Spread over orders of magnitude (durations, rates): many small values, a few large ones. */
const logUniform = (r: Rng, lo: number, hi: number): number => lo * (hi / lo) ** r();

function shuffle<T>(r: Rng, items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
}

// ---------------------------------------------------------------------------------------
// Users

const FIRST = [
  'Anna',
  'Jürgen',
  'Zoë',
  'Björn',
  'Max',
  'Lena',
  'Günter',
  'Sophie',
  'Lukas',
  'Mia',
  'Jörg',
  'Noah',
  'Emma',
  'Paul',
  'Hannah',
  'Özlem',
  'Felix',
  'Marie',
  'Elias',
  'Clara',
  'Ben',
  'Lea',
  'Jonas',
  'Sara',
  'Tim',
  'Käthe',
  'Ali',
  'Nina',
  'David',
  'Eva',
];
const LAST = [
  'Müller',
  'Schmidt',
  'Schneider',
  'Fischer',
  'Weber',
  'Meyer',
  'Wagner',
  'Becker',
  'Schulz',
  'Hoffmann',
  'Schäfer',
  'Koch',
  'Bauer',
  'Richter',
  'Klein',
  'Wolf',
  'Schröder',
  'Neumann',
  'Schwarz',
  'Zimmermann',
  'Braun',
  'Krüger',
  'Hartmann',
  'Lange',
  'Werner',
  'Krause',
  'Lehmann',
  'Jones',
  'Lee',
  'Smith',
  'Yılmaz',
  'Nguyen',
  'Kowalski',
  'Öztürk',
  'Jäger',
  'Groß',
];
const CIPHERS = ['AES-256-GCM', 'AES-256-GCM', 'AES-256-GCM', 'AES-128-GCM', 'CHACHA20-POLY1305'];
const HOSTILE_CN = '<script>alert(1)</script>';
const ascii = (s: string): string =>
  s
    .toLowerCase()
    .replace(/ä/g, 'ae')
    .replace(/ö/g, 'oe')
    .replace(/ü/g, 'ue')
    .replace(/ß/g, 'ss')
    .replace(/ı/g, 'i')
    .replace(/ë/g, 'e');

interface User {
  commonName: string;
  username: string | null;
  homeIp: string;
  /** Present for the users whose provider gives them IPv6. */
  ipv6Prefix: string | null;
  virtualAddress: string;
  virtualIpv6: string | null;
  cipher: string;
  /** Relative activity, 1 to 8 sessions on a working day at the usual density. */
  rate: number;
  /** Hour of the day (UTC) the user usually starts. */
  startHour: number;
  /** Typical transfer rates, bytes per second. */
  upRate: number;
  downRate: number;
}

/** A public-looking IPv4 address: no private, loopback, CGNAT, link-local or multicast ranges. */
function publicIpv4(r: Rng): string {
  for (;;) {
    const a = int(r, 1, 223);
    const b = int(r, 0, 255);
    const reserved =
      a === 10 ||
      a === 127 ||
      (a === 100 && b >= 64 && b < 128) ||
      (a === 169 && b === 254) ||
      (a === 172 && b >= 16 && b < 32) ||
      (a === 192 && b === 168);
    if (!reserved) return `${a}.${b}.${int(r, 0, 255)}.${int(r, 1, 254)}`;
  }
}

/** Tunnel addresses are sticky per user (ifconfig-pool-persist), unique for the first 64,000 users. */
const tunnelIpv4 = (i: number): string => `10.8.${Math.floor(i / 250) % 256}.${2 + (i % 250)}`;
const tunnelIpv6 = (i: number): string => `fd00:8::${(0x1000 + i).toString(16)}`;

function userName(i: number, r: Rng): { commonName: string; username: string | null } {
  // Walks all 30 × 36 first/last pairs once (7 is invertible mod 36), neighbours differing in both.
  const combo = i % (FIRST.length * LAST.length);
  const q = Math.floor(combo / FIRST.length);
  const first = FIRST[combo % FIRST.length] as string;
  const last = LAST[(7 * q + 5 * (combo % FIRST.length)) % LAST.length] as string;
  const round = Math.floor(i / (FIRST.length * LAST.length));
  const suffix = round === 0 ? '' : String(round + 1);
  const style = r();
  let commonName: string;
  if (style < 0.45) commonName = `${first.toLowerCase()}.${last.toLowerCase()}${suffix}`;
  else if (style < 0.6) commonName = `${first} ${last}${suffix}`;
  else if (style < 0.7) commonName = `${ascii(first)}_${ascii(last)}${suffix}`;
  else {
    const tag = Array.from({ length: 5 }, () => pick(r, [...'ABCDEFGHJKLMNPQRSTUVWXYZ23456789'])).join('');
    commonName = `${pick(r, ['LAPTOP-', 'DESKTOP-', 'flex-', 'iphone-', 'pixel-'])}${tag}${suffix}`;
  }
  // A third of the users log in with a username (auth-user-pass) that differs from the CN.
  const username = r() < 0.33 ? `${ascii(first).slice(0, 1)}${ascii(last)}${suffix}` : null;
  return { commonName, username };
}

function userAt(seed: number, i: number, hostile: boolean): User {
  const r = createRng(mix(seed, i));
  let { commonName, username } = userName(i, r);
  if (i === 3 || i === 4) {
    commonName = 'shared-kiosk'; // one certificate on two machines (duplicate-cn)
    username = i === 3 ? 'kiosk1' : 'kiosk2';
  }
  if (hostile && i === 1) {
    commonName = HOSTILE_CN;
    username = null;
  }
  const hasIpv6 = r() < 0.3;
  return {
    commonName,
    username,
    homeIp: publicIpv4(r),
    ipv6Prefix: hasIpv6 ? `2001:db8:${int(r, 1, 0xffff).toString(16)}:${int(r, 0, 0xffff).toString(16)}` : null,
    virtualAddress: tunnelIpv4(i),
    virtualIpv6: r() < 0.85 ? tunnelIpv6(i) : null,
    cipher: pick(r, CIPHERS),
    rate: 1 + 7 * r() ** 2,
    startHour: 5 + 5 * r(),
    upRate: logUniform(r, 200, 200_000),
    downRate: logUniform(r, 1_000, 2_000_000),
  };
}

/** Where a connection comes from: mostly home, sometimes mobile, sometimes over IPv6 (no port in 2.6). */
function remote(r: Rng, u: User): { realAddress: string; realPort: number | null } {
  const x = r();
  if (u.ipv6Prefix !== null && x < 0.25)
    return { realAddress: `${u.ipv6Prefix}::${int(r, 1, 0xffff).toString(16)}`, realPort: null };
  if (x > 0.8) return { realAddress: publicIpv4(r), realPort: int(r, 1024, 65535) };
  return { realAddress: u.homeIp, realPort: int(r, 1024, 65535) };
}

// ---------------------------------------------------------------------------------------
// History

export interface SyntheticSessionsOptions {
  /** Exactly this many sessions. */
  count: number;
  /** Number of distinct users; the density is about count / (users × spanDays) a day. */
  users: number;
  /** ISO instant: no session ends later. */
  endAt: string;
  /** Sessions start at most this many days before endAt (default 60). */
  spanDays?: number;
  instance?: string;
  seed?: number;
  /** Give user 1 the common name `<script>alert(1)</script>`. */
  hostile?: boolean;
}

interface Draft {
  user: number;
  start: number; // epoch seconds
  end: number;
}

const DAY_S = 86_400;

/** Lays out one user's sessions of one day: back to back with gaps, minutes to hours long. */
function draftDay(r: Rng, u: User, user: number, dayStart: number, n: number, out: Draft[]): void {
  let t = dayStart + Math.round((u.startHour + r() * 2 - 1) * 3600);
  for (let k = 0; k < n; k++) {
    // Mostly minutes to a few hours; now and then a session left open overnight.
    const duration = r() < 0.03 ? int(r, 8 * 3600, 16 * 3600) : Math.round(logUniform(r, 120, 4 * 3600));
    out.push({ user, start: t, end: t + duration });
    t += duration + Math.round(logUniform(r, 60, 3 * 3600));
  }
}

/** Ended sessions, in the order they ended (endedAt, then connectedAt, then id). */
export function syntheticSessions(opts: SyntheticSessionsOptions): Session[] {
  const { count, users, endAt } = opts;
  const spanDays = opts.spanDays ?? 60;
  const instance = opts.instance ?? 'default';
  const seed = opts.seed ?? 1;
  const hostile = opts.hostile ?? false;
  if (!Number.isInteger(count) || count < 0) throw new RangeError('count must be a whole number ≥ 0');
  if (!Number.isInteger(users) || users < 1) throw new RangeError('users must be a whole number ≥ 1');
  const endS = Math.floor(msFromIso(endAt) / 1000);
  if (Number.isNaN(endS)) throw new RangeError(`endAt "${endAt}" is not an ISO UTC instant`);
  const people = Array.from({ length: users }, (_, i) => userAt(seed, i, hostile));
  const drafts = draftSessions(people, seed, count, endS - spanDays * DAY_S, endS);

  // Keep a random `count` of them, then order by end.
  const r = createRng(mix(seed, 0x5e55));
  const keep = new Uint8Array(drafts.length).fill(1);
  const order = shuffle(
    r,
    Array.from({ length: drafts.length }, (_, i) => i),
  );
  for (let k = 0; k < drafts.length - count; k++) keep[order[k] as number] = 0;
  const kept = drafts.filter((_, i) => keep[i] === 1);
  kept.sort((a, b) => a.end - b.end || a.start - b.start || a.user - b.user);
  // The same generator goes on drawing the sessions' details, in end order.
  return kept.map((d, k) => sessionFromDraft(r, d, people[d.user] as User, instance, k + 1));
}

/**
 * At least `count` sessions of `people` within [fromS, endS]. Weekends are quieter; the
 * scale brings the expected total to a little over `count`, and the caller drops the
 * surplus at random, so the span stays the whole span.
 */
function draftSessions(people: readonly User[], seed: number, count: number, fromS: number, endS: number): Draft[] {
  const firstDay = Math.floor(fromS / DAY_S);
  const lastDay = Math.floor(endS / DAY_S);
  const factors = new Map<number, number>();
  for (let d = firstDay; d <= lastDay; d++)
    factors.set(d, [0, 6].includes(new Date(d * DAY_S * 1000).getUTCDay()) ? 0.3 : 1);
  const dayFactor = (d: number): number => factors.get(d) ?? 1;
  let weight = 0;
  for (const f of factors.values()) weight += f;
  const rateSum = people.reduce((s, u) => s + u.rate, 0);
  let scale = (count * 1.1) / Math.max(1, weight * rateSum);

  let drafts: Draft[] = [];
  for (let attempt = 0; drafts.length < count; attempt++) {
    if (attempt > 20) throw new Error(`could not lay out ${count} sessions; raise users or spanDays`);
    const r = createRng(mix(seed, -1 - attempt));
    drafts = [];
    for (let d = firstDay; d <= lastDay; d++) {
      for (let i = 0; i < people.length; i++) {
        const u = people[i] as User;
        const expected = u.rate * dayFactor(d) * scale;
        const n = Math.floor(expected) + (r() < expected % 1 ? 1 : 0); // stochastic rounding
        if (n > 0) draftDay(r, u, i, d * DAY_S, n, drafts);
      }
    }
    drafts = drafts.filter((s) => s.start >= fromS && s.end <= endS);
    scale *= 1.25;
  }
  return drafts;
}

/** A laid-out session with its address, end reason and traffic drawn from `r`. */
function sessionFromDraft(r: Rng, d: Draft, u: User, instance: string, clientId: number): Session {
  const { realAddress, realPort } = remote(r, u);
  const connectedAt = isoFromEpochSeconds(d.start);
  const endedAt = isoFromEpochSeconds(d.end);
  const durationS = d.end - d.start;
  const endReason: EndReason = r() < 0.005 ? 'server-stopped' : 'disconnected';
  return {
    id: sessionId(instance, u.commonName, connectedAt, realAddress, realPort),
    instance,
    user: userOf(u.commonName, u.username),
    commonName: u.commonName,
    username: u.username,
    realAddress,
    realPort,
    protocol: null,
    virtualAddress: u.virtualAddress,
    virtualIpv6: u.virtualIpv6,
    clientId,
    peerId: d.user % 4096,
    cipher: u.cipher,
    connectedAt,
    lastSeenAt: endedAt,
    endedAt,
    durationS,
    bytesReceived: Math.round(durationS * u.upRate * (0.5 + r())),
    bytesSent: Math.round(durationS * u.downRate * (0.5 + r())),
    endReason,
    // As on a server with the hooks enabled: most ends reported by OpenVPN, a few estimated
    // (no extra draw from the generator, so the data stays what it was).
    endExact: endReason === 'disconnected' && clientId % 7 !== 0,
    source: 'status',
  };
}

// ---------------------------------------------------------------------------------------
// Live clients and status files

export interface SyntheticClientsOptions {
  count: number;
  /** ISO instant of the status update that lists them. */
  updatedAt: string;
  seed?: number;
  hostile?: boolean;
}

/** Clients 0…count-1 (= users 0…count-1), connected a minute to 12 hours before updatedAt. */
export function syntheticClients(opts: SyntheticClientsOptions): StatusClient[] {
  const seed = opts.seed ?? 1;
  const atS = Math.floor(msFromIso(opts.updatedAt) / 1000);
  if (Number.isNaN(atS)) throw new RangeError(`updatedAt "${opts.updatedAt}" is not an ISO UTC instant`);
  const clients = Array.from({ length: opts.count }, (_, i): StatusClient => {
    const u = userAt(seed, i, opts.hostile ?? false);
    const r = createRng(mix(seed ^ 0x11fe, i));
    const since = atS - Math.round(logUniform(r, 60, 12 * 3600));
    const { realAddress, realPort } = remote(r, u);
    return {
      commonName: u.commonName,
      username: u.username,
      realAddress,
      realPort,
      protocol: null,
      virtualAddress: u.virtualAddress,
      virtualIpv6: tunnelIpv6(i), // the live server has an IPv6 pool: every client gets one
      bytesReceived: Math.round((atS - since) * u.upRate * (0.5 + r())),
      bytesSent: Math.round((atS - since) * u.downRate * (0.5 + r())),
      connectedAt: isoFromEpochSeconds(since),
      clientId: null,
      peerId: null,
      cipher: u.cipher,
      extra: {},
    };
  });
  // Client ID grows with each connection; Peer ID is a slot number.
  [...clients]
    .sort((a, b) => (a.connectedAt < b.connectedAt ? -1 : a.connectedAt > b.connectedAt ? 1 : 0))
    .forEach((c, rank) => {
      c.clientId = 1000 + rank;
      c.peerId = rank;
    });
  return clients;
}

export interface AdvanceOptions {
  /** Update time of the status file the clients come from, and of the next one (ISO). */
  from: string;
  to: string;
  /** How many clients drop their session and connect again (new port, new session). */
  reconnect?: number;
  seed?: number;
}

/**
 * The clients one status update later: bytes grow with the time passed, and `reconnect` of
 * them end their session and start a new one in between. The input is not changed.
 */
export function advanceClients(clients: StatusClient[], opts: AdvanceOptions): StatusClient[] {
  const fromS = Math.floor(msFromIso(opts.from) / 1000);
  const toS = Math.floor(msFromIso(opts.to) / 1000);
  if (!(toS > fromS)) throw new RangeError('advanceClients: "to" must be later than "from"');
  const r = createRng(mix(opts.seed ?? 1, toS));
  const elapsed = toS - fromS;
  const next = clients.map((c) => ({
    ...c,
    bytesReceived: c.bytesReceived + Math.round(elapsed * logUniform(r, 50, 50_000)),
    bytesSent: c.bytesSent + Math.round(elapsed * logUniform(r, 200, 500_000)),
  }));
  let clientId = clients.reduce((m, c) => Math.max(m, c.clientId ?? 0), 0);
  const chosen = shuffle(
    r,
    next.map((_, i) => i),
  ).slice(0, Math.min(opts.reconnect ?? 0, next.length));
  for (const i of chosen) {
    const c = next[i] as StatusClient;
    const since = int(r, fromS + 1, toS);
    const v6 = c.realPort === null;
    next[i] = {
      ...c,
      realAddress: v6 ? c.realAddress.replace(/::[0-9a-f]+$/, `::${int(r, 1, 0xffff).toString(16)}`) : c.realAddress,
      realPort: v6 ? null : int(r, 1024, 65535),
      bytesReceived: int(r, 2_000, 20_000),
      bytesSent: int(r, 2_000, 20_000),
      connectedAt: isoFromEpochSeconds(since),
      clientId: ++clientId,
    };
  }
  return next;
}

export interface SyntheticStatusOptions {
  /** The clients to list, or how many to make with syntheticClients (same seed). */
  clients: StatusClient[] | number;
  updatedAt: string;
  seed?: number;
}

const TITLE =
  'OpenVPN 2.6.14 x86_64-pc-linux-gnu [SSL (OpenSSL)] [LZO] [LZ4] [EPOLL] [PKCS11] [MH/PKTINFO] [AEAD] [DCO]';
/** `2026-11-26 16:15:23`: OpenVPN's time text since 2.5, here in UTC. */
const wall = (iso: string): string => `${iso.slice(0, 10)} ${iso.slice(11, 19)}`;
const epochOf = (iso: string): number => Math.floor(msFromIso(iso) / 1000);
const realText = (c: StatusClient): string => (c.realPort === null ? c.realAddress : `${c.realAddress}:${c.realPort}`);

interface Route {
  address: string;
  client: StatusClient;
  lastRef: string;
}

function resolve(opts: SyntheticStatusOptions): { clients: StatusClient[]; routes: Route[]; r: Rng } {
  const seed = opts.seed ?? 1;
  const clients =
    typeof opts.clients === 'number'
      ? syntheticClients({ count: opts.clients, updatedAt: opts.updatedAt, seed })
      : opts.clients;
  const r = createRng(mix(seed ^ 0x57a7, epochOf(opts.updatedAt)));
  const atS = epochOf(opts.updatedAt);
  const routes: Route[] = [];
  for (const c of clients) {
    // Last Ref: the last packet, a moment before the update, never before the connect.
    const lastRef = (): string => isoFromEpochSeconds(Math.max(epochOf(c.connectedAt), atS - int(r, 0, 90)));
    if (c.virtualAddress !== null) routes.push({ address: c.virtualAddress, client: c, lastRef: lastRef() });
    if (c.virtualIpv6 !== null) routes.push({ address: c.virtualIpv6, client: c, lastRef: lastRef() });
  }
  // OpenVPN lists both tables in hash order.
  return { clients: shuffle(r, [...clients]), routes: shuffle(r, routes), r };
}

/** The text of a status-version 3 file (TAB separated) as OpenVPN 2.6 writes it. */
export function syntheticStatusV3(opts: SyntheticStatusOptions): string {
  const { clients, routes, r } = resolve(opts);
  const t = (...fields: (string | number)[]): string => `${fields.join('\t')}\n`;
  let out = t('TITLE', TITLE) + t('TIME', wall(opts.updatedAt), epochOf(opts.updatedAt));
  out += t(
    'HEADER',
    'CLIENT_LIST',
    'Common Name',
    'Real Address',
    'Virtual Address',
    'Virtual IPv6 Address',
    'Bytes Received',
    'Bytes Sent',
    'Connected Since',
    'Connected Since (time_t)',
    'Username',
    'Client ID',
    'Peer ID',
    'Data Channel Cipher',
  );
  for (const c of clients) {
    out += t(
      'CLIENT_LIST',
      c.commonName,
      realText(c),
      c.virtualAddress ?? '',
      c.virtualIpv6 ?? '',
      c.bytesReceived,
      c.bytesSent,
      wall(c.connectedAt),
      epochOf(c.connectedAt),
      c.username ?? 'UNDEF',
      c.clientId ?? '',
      c.peerId ?? '',
      c.cipher ?? '',
    );
  }
  out += t(
    'HEADER',
    'ROUTING_TABLE',
    'Virtual Address',
    'Common Name',
    'Real Address',
    'Last Ref',
    'Last Ref (time_t)',
  );
  for (const x of routes)
    out += t('ROUTING_TABLE', x.address, x.client.commonName, realText(x.client), wall(x.lastRef), epochOf(x.lastRef));
  out += t('GLOBAL_STATS', 'Max bcast/mcast queue length', int(r, 0, 12));
  out += t('GLOBAL_STATS', 'dco_enabled', 0);
  return `${out}END\n`;
}

/** The same in status-version 1 (commas, no time_t, the virtual address only in the routing table). */
export function syntheticStatusV1(opts: SyntheticStatusOptions): string {
  const { clients, routes, r } = resolve(opts);
  let out = `OpenVPN CLIENT LIST\nUpdated,${wall(opts.updatedAt)}\nCommon Name,Real Address,Bytes Received,Bytes Sent,Connected Since\n`;
  for (const c of clients)
    out += `${c.commonName},${realText(c)},${c.bytesReceived},${c.bytesSent},${wall(c.connectedAt)}\n`;
  out += 'ROUTING TABLE\nVirtual Address,Common Name,Real Address,Last Ref\n';
  for (const x of routes) out += `${x.address},${x.client.commonName},${realText(x.client)},${wall(x.lastRef)}\n`;
  return `${out}GLOBAL STATS\nMax bcast/mcast queue length,${int(r, 0, 12)}\nEND\n`;
}

// ---------------------------------------------------------------------------------------
// Collector state

export interface SyntheticStateOptions extends SyntheticStatusOptions {
  instance?: string;
  /** Size of the history CSV (what rewriteHistory returned). */
  historyBytes: number;
  /** The history's sessions: those that ended in the last day go into recentlyClosed, as after real runs. */
  history?: Session[];
}

/**
 * The state a collector would have after reading a status file listing these clients at
 * `updatedAt`: every client tracked as open, the instance up to date, the CSV's size recorded.
 */
export function syntheticState(opts: SyntheticStateOptions): CollectorState {
  const instance = opts.instance ?? 'default';
  const seed = opts.seed ?? 1;
  const clients =
    typeof opts.clients === 'number'
      ? syntheticClients({ count: opts.clients, updatedAt: opts.updatedAt, seed })
      : opts.clients;
  const atMs = msFromIso(opts.updatedAt);
  const recentlyClosed: Record<string, string> = {};
  for (const s of opts.history ?? []) {
    if (s.endedAt === null) continue;
    // Written by the run a minute after the end; kept for a day.
    const writtenMs = Math.min(msFromIso(s.endedAt) + 60_000, atMs);
    if (atMs - writtenMs <= RECENTLY_CLOSED_KEEP_S * 1000) recentlyClosed[s.id] = isoFromEpochSeconds(writtenMs / 1000);
  }
  return {
    schemaVersion: 1,
    historyBytes: opts.historyBytes,
    historyGeneration: 0,
    instances: { [instance]: { lastUpdatedAt: opts.updatedAt } },
    tracked: clients.map((c) => ({ ...sessionFromClient(instance, c, opts.updatedAt), missingSince: null })),
    recentlyClosed,
    rewrites: [],
  };
}
