/**
 * "Who had address X at time T": the query, address spellings and the match. Pure.
 *
 * An address matches a session's tunnel IPv4, tunnel IPv6 or real address, compared in one
 * spelling (IPv4 dotted decimal, a v4-mapped IPv6 as that IPv4, other IPv6 as RFC 5952
 * prints it). A port narrows the match to the real address with that client port (NAT);
 * a session whose port was not recorded (OpenVPN 2.4–2.6 print IPv6 real addresses without
 * one) still matches, since it cannot be ruled out. A session counts when it was live at
 * some instant of the query's period, both ends included: one that ended exactly at T held
 * the address at T. An open session is live until now and beyond.
 */
import { parseRemoteAddress } from './remote-address.js';
import type { Session } from './session.js';
import { msFromIso, normaliseInstant, zonedToEpochMs } from './time.js';

export interface LookupQuery {
  /** The address in its one spelling (see normaliseAddress). */
  address: string;
  port: number | null;
  /** The period, epoch milliseconds, both included (from = to for one instant). */
  fromMs: number;
  toMs: number;
}

function ipv4Octets(text: string): number[] | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  const octets = parts.map((p) => (/^\d{1,3}$/.test(p) ? Number(p) : Number.NaN));
  return octets.every((o) => o >= 0 && o <= 255) ? octets : null;
}

/** The eight 16-bit groups of an IPv6 address (a dotted IPv4 tail allowed), or null. */
export function ipv6Groups(text: string): number[] | null {
  if (!/^[0-9a-fA-F:.]+$/.test(text) || !text.includes(':')) return null;
  let head = text;
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.', lastColon)) {
    // A dotted IPv4 tail (::ffff:1.2.3.4) is the last two groups.
    const v4 = ipv4Octets(text.slice(lastColon + 1));
    if (v4 === null) return null;
    const [a, b, c, d] = v4 as [number, number, number, number];
    head = `${text.slice(0, lastColon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = head.split('::');
  if (halves.length > 2) return null;
  const groups = (s: string): number[] | null => {
    if (s === '') return [];
    const out = s.split(':').map((g) => (/^[0-9a-fA-F]{1,4}$/.test(g) ? parseInt(g, 16) : Number.NaN));
    return out.some(Number.isNaN) ? null : out;
  };
  const front = groups(halves[0] as string);
  const back = halves.length === 2 ? groups(halves[1] as string) : [];
  if (front === null || back === null) return null;
  const given = front.length + back.length;
  if (halves.length === 1) return given === 8 ? front : null;
  if (given > 7) return null;
  return [...front, ...new Array<number>(8 - given).fill(0), ...back];
}

/** RFC 5952: lower case, no leading zeros, the longest run (two or more) of zero groups as "::". */
function ipv6Text(g: number[]): string {
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j;
  }
  const hex = (xs: number[]) => xs.map((x) => x.toString(16)).join(':');
  return best < 0 ? hex(g) : `${hex(g.slice(0, best))}::${hex(g.slice(best + bestLen))}`;
}

/** The one spelling of an IPv4 or IPv6 address (v4-mapped IPv6 as its IPv4), or null when it is neither. */
export function normaliseAddress(text: string): string | null {
  const v4 = ipv4Octets(text);
  if (v4 !== null) return v4.join('.');
  const g = ipv6Groups(text);
  if (g === null) return null;
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) {
    const [hi, lo] = [g[6] as number, g[7] as number];
    return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  }
  return ipv6Text(g);
}

/**
 * The address of a query with the port it may carry: `1.2.3.4`, `1.2.3.4:5678`,
 * `2001:db8::1`, `[2001:db8::1]:443`, OpenVPN 2.7's `udp4:1.2.3.4:5678`. Null when it is
 * no IPv4 or IPv6 address.
 */
export function parseLookupAddress(text: string): { address: string; port: number | null } | null {
  const plain = normaliseAddress(text.trim());
  if (plain !== null) return { address: plain, port: null };
  const r = parseRemoteAddress(text.trim());
  const address = r === null ? null : normaliseAddress(r.host);
  return r === null || address === null ? null : { address, port: r.port };
}

const WALL = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?$/;

/**
 * Epoch milliseconds of a query time: an ISO 8601 instant with an offset or Z, or a wall
 * time without one (`2026-11-26T16:15` or with seconds) read in `timeZone`. NaN when it is neither.
 */
export function parseLookupTime(text: string, timeZone: string): number {
  const instant = normaliseInstant(text.trim());
  if (instant !== null) return msFromIso(instant);
  const m = WALL.exec(text.trim());
  if (!m) return Number.NaN;
  const [year, month, day, hour, minute, second] = m.slice(1).map((x) => Number(x ?? 0)) as number[];
  // The same calendar check as instants get, through the ISO form of the wall time.
  const check = `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6] ?? '00'}Z`;
  if (normaliseInstant(check) === null || (second ?? 0) > 59) return Number.NaN;
  return zonedToEpochMs(
    {
      year: year as number,
      month: month as number,
      day: day as number,
      hour: hour as number,
      minute: minute as number,
      second: second as number,
    },
    timeZone,
  );
}

const same = (stored: string | null, address: string): boolean =>
  stored !== null && stored !== '' && normaliseAddress(stored) === address;

/** Whether the session held the query's address at some instant of its period. */
export function sessionMatches(s: Session, q: LookupQuery): boolean {
  if (msFromIso(s.connectedAt) > q.toMs) return false;
  if (s.endedAt !== null && msFromIso(s.endedAt) < q.fromMs) return false;
  if (q.port === null && (same(s.virtualAddress, q.address) || same(s.virtualIpv6, q.address))) return true;
  return same(s.realAddress, q.address) && (q.port === null || s.realPort === null || s.realPort === q.port);
}

/** Oldest first: by connect time, then id. */
export function compareOldestFirst(a: Session, b: Session): number {
  if (a.connectedAt !== b.connectedAt) return a.connectedAt < b.connectedAt ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** The sessions that held the address in the period, in time order. */
export function lookupSessions(sessions: Iterable<Session>, q: LookupQuery): Session[] {
  const out: Session[] = [];
  for (const s of sessions) if (sessionMatches(s, q)) out.push(s);
  return out.sort(compareOldestFirst);
}

const ADDRESS_RUN = /[0-9A-Fa-f:.]+/g;

/**
 * Whether a line of text may hold the address as a field of its own: one of its runs of
 * hex digits, colons and dots reads as the address (every address field is such a run).
 */
export function lineMayHold(line: string, address: string): boolean {
  for (const m of line.matchAll(ADDRESS_RUN)) {
    const run = m[0];
    if ((run.includes(':') || run.includes('.')) && normaliseAddress(run) === address) return true;
  }
  return false;
}

/**
 * What every line of the history holding the address contains, whatever its spelling: one
 * text of each list. For IPv4 the dotted address (also inside `::ffff:a.b.c.d`); for IPv6
 * each group that is not zero, in lower or upper case (a group written with leading zeros
 * still contains it), the longest first (the last of equal ones: the host part tells more
 * than the prefix). A fast scan reads only the lines holding them; the match itself is
 * sessionMatches.
 */
export function addressNeedles(address: string): string[][] {
  if (ipv4Octets(address) !== null) return [[address]];
  const g = ipv6Groups(address);
  if (g === null) return [];
  const groups = [...new Set(g.filter((x) => x !== 0).map((x) => x.toString(16)))].reverse();
  // Stable: among groups of one length the later one stays first.
  groups.sort((a, b) => b.length - a.length);
  // All zero (::) may be written with colons only: every line has one (its times).
  if (groups.length === 0) return [[':']];
  return groups.map((x) => [...new Set([x, x.toUpperCase()])]);
}

/** Buckets of the lookup index: a month's sessions are split by address so a query loads one small file. */
export const LOOKUP_BUCKETS = 64;

/**
 * The bucket of an address in its one spelling (normaliseAddress): FNV-1a 32-bit over its
 * char codes, modulo LOOKUP_BUCKETS. site/assets/lookup.js computes the same; they must agree.
 */
export function addressBucket(address: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < address.length; i++) h = Math.imul(h ^ address.charCodeAt(i), 0x01000193);
  return (h >>> 0) % LOOKUP_BUCKETS;
}

/** A bucket's name in the index and its file's name: two lower-case hex digits. */
export const bucketName = (bucket: number): string => bucket.toString(16).padStart(2, '0');

/** What a build does with one month's bucket files (names as bucketName). */
export interface BucketPlan {
  write: string[];
  remove: string[];
}

/**
 * Which of a month's bucket files to write and remove, given the hashes the published index
 * lists for it (null when they cannot be trusted: no index, or files written after it), the
 * files on disk, and the hashes of the buckets just made. A bucket whose hash the index
 * lists unchanged is left alone without being read.
 */
export function planBuckets(
  known: Readonly<Record<string, string>> | null,
  onDisk: readonly string[],
  made: ReadonlyMap<string, string>,
): BucketPlan {
  const write = [...made].filter(([b, hash]) => known === null || known[b] !== hash).map(([b]) => b);
  // Files on disk the index does not list are strays of a run killed after its index: they go too.
  const remove = [...new Set([...Object.keys(known ?? {}), ...onDisk])].filter((b) => !made.has(b));
  return { write: write.sort(), remove: remove.sort() };
}
