/**
 * Which real addresses may have a country, and in which form the database is asked. Pure: the
 * database itself is read in src/io/geoip.ts. Private, loopback, link-local, CGNAT,
 * documentation and other special-purpose ranges (IANA's registries) get none: a country for
 * them would be whatever the database guessed for somebody else's network.
 */
import { COUNTRY_NAMES } from './country-names.js';

export type IpBytes = { version: 4; bytes: number[] } | { version: 6; bytes: number[] };

/** ISO 3166-1 alpha-2, as the history stores it. */
export const COUNTRY_CODE = /^[A-Z]{2}$/;

function parseIpv4(text: string): number[] | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  const bytes: number[] = [];
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || (p.length > 1 && p.startsWith('0'))) return null;
    const n = Number(p);
    if (n > 255) return null;
    bytes.push(n);
  }
  return bytes;
}

function groupsOf(text: string): number[] | null {
  if (text === '') return [];
  const out: number[] = [];
  for (const g of text.split(':')) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
    out.push(Number.parseInt(g, 16));
  }
  return out;
}

function parseIpv6(text: string): number[] | null {
  let rest = text;
  let tail: number[] = [];
  // A dotted IPv4 in the last 32 bits (::ffff:192.0.2.1).
  const dotted = /^(.*:)(\d{1,3}(?:\.\d{1,3}){3})$/.exec(rest);
  if (dotted) {
    const v4 = parseIpv4(dotted[2] as string);
    if (v4 === null) return null;
    tail = [((v4[0] as number) << 8) | (v4[1] as number), ((v4[2] as number) << 8) | (v4[3] as number)];
    rest = (dotted[1] as string).endsWith('::') ? (dotted[1] as string) : (dotted[1] as string).slice(0, -1);
  }
  const halves = rest.split('::');
  if (halves.length > 2) return null;
  const head = groupsOf(halves[0] as string);
  const back = halves.length === 2 ? groupsOf(halves[1] as string) : [];
  if (head === null || back === null) return null;
  const known = head.length + back.length + tail.length;
  if (halves.length === 1 ? known !== 8 : known > 7) return null;
  const groups = [...head, ...new Array<number>(8 - known).fill(0), ...back, ...tail];
  return groups.flatMap((g) => [g >> 8, g & 0xff]);
}

/** An address's bytes (a zone such as `%eth0` is ignored); null for anything that is not one address. */
export function parseIp(text: string): IpBytes | null {
  const plain = text.trim().replace(/%[\w.-]+$/, '');
  if (plain.includes(':')) {
    const bytes = parseIpv6(plain);
    return bytes === null ? null : { version: 6, bytes };
  }
  const bytes = parseIpv4(plain);
  return bytes === null ? null : { version: 4, bytes };
}

interface Range {
  prefix: number[];
  bits: number;
  name: string;
}

const v4 = (text: string, name: string): Range => {
  const [addr, bits] = text.split('/') as [string, string];
  return { prefix: parseIpv4(addr) as number[], bits: Number(bits), name };
};
const v6 = (text: string, name: string): Range => {
  const [addr, bits] = text.split('/') as [string, string];
  return { prefix: parseIpv6(addr) as number[], bits: Number(bits), name };
};

/** IANA's IPv4 special-purpose registry (RFC 6890 and after), plus multicast and the reserved 240/4. */
const V4_RESERVED: readonly Range[] = [
  v4('0.0.0.0/8', 'this network'),
  v4('10.0.0.0/8', 'private'),
  v4('100.64.0.0/10', 'shared address space (CGNAT)'),
  v4('127.0.0.0/8', 'loopback'),
  v4('169.254.0.0/16', 'link-local'),
  v4('172.16.0.0/12', 'private'),
  v4('192.0.0.0/24', 'IETF protocol assignments'),
  v4('192.0.2.0/24', 'documentation'),
  v4('192.31.196.0/24', 'AS112'),
  v4('192.52.193.0/24', 'AMT'),
  v4('192.88.99.0/24', '6to4 relay anycast'),
  v4('192.168.0.0/16', 'private'),
  v4('192.175.48.0/24', 'AS112'),
  v4('198.18.0.0/15', 'benchmarking'),
  v4('198.51.100.0/24', 'documentation'),
  v4('203.0.113.0/24', 'documentation'),
  v4('224.0.0.0/4', 'multicast'),
  v4('240.0.0.0/4', 'reserved'),
];

/** IANA's IPv6 special-purpose registry; anything outside global unicast (2000::/3) has no country either. */
const V6_RESERVED: readonly Range[] = [
  v6('::1/128', 'loopback'),
  v6('::/128', 'unspecified'),
  v6('64:ff9b::/96', 'NAT64'),
  v6('64:ff9b:1::/48', 'NAT64 (local use)'),
  v6('100::/64', 'discard-only'),
  v6('2001::/23', 'IETF protocol assignments'),
  v6('2001:db8::/32', 'documentation'),
  v6('2002::/16', '6to4'),
  v6('3fff::/20', 'documentation'),
  v6('5f00::/16', 'segment routing (SRv6)'),
  v6('fc00::/7', 'unique local'),
  v6('fe80::/10', 'link-local'),
  v6('fec0::/10', 'site-local'),
  v6('ff00::/8', 'multicast'),
];

function within(bytes: readonly number[], r: Range): boolean {
  let left = r.bits;
  for (let i = 0; left > 0; i++, left -= 8) {
    const mask = left >= 8 ? 0xff : (0xff << (8 - left)) & 0xff;
    if (((bytes[i] as number) & mask) !== ((r.prefix[i] as number) & mask)) return false;
  }
  return true;
}

const MAPPED_PREFIX = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];

/** A v4-mapped IPv6 address (::ffff:a.b.c.d, how a dual-stack socket shows an IPv4 client) as that IPv4 address. */
function unmapped(ip: IpBytes): IpBytes {
  if (ip.version === 6 && MAPPED_PREFIX.every((b, i) => ip.bytes[i] === b)) {
    return { version: 4, bytes: ip.bytes.slice(12) };
  }
  return ip;
}

type Classified = { reserved: string; ip: null } | { reserved: null; ip: IpBytes };

const DOTTED = /^(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})$/;

/** The IPv4 table as 32-bit base and mask, for the common case below. */
const V4_MASKS = V4_RESERVED.map((r) => {
  const mask = r.bits === 0 ? 0 : (0xffffffff << (32 - r.bits)) >>> 0;
  const base = r.prefix.reduce((n, b) => n * 256 + b, 0);
  return { base: (base & mask) >>> 0, mask, name: r.name };
});

/**
 * A plain dotted IPv4 address in one step (most real addresses are). A run with a thousand new
 * clients calls this before the JIT has warmed up: few calls, no arrays until the answer.
 */
function dottedV4(text: string): Classified | null {
  const m = DOTTED.exec(text);
  if (m === null) return null;
  const a = Number(m[1]);
  const b = Number(m[2]);
  const c = Number(m[3]);
  const d = Number(m[4]);
  if (a > 255 || b > 255 || c > 255 || d > 255) return { reserved: 'not an address', ip: null };
  const n = a * 0x1000000 + ((b << 16) | (c << 8) | d);
  for (const r of V4_MASKS) if ((n & r.mask) >>> 0 === r.base) return { reserved: r.name, ip: null };
  return { reserved: null, ip: { version: 4, bytes: [a, b, c, d] } };
}

/** The address (v4-mapped as IPv4) and the special-purpose range it lies in, if any. */
function classify(text: string): Classified {
  const fast = dottedV4(text);
  if (fast !== null) return fast;
  const parsed = parseIp(text);
  if (parsed === null) return { reserved: 'not an address', ip: null };
  const ip = unmapped(parsed);
  const table = ip.version === 4 ? V4_RESERVED : V6_RESERVED;
  for (const r of table) if (within(ip.bytes, r)) return { reserved: r.name, ip: null };
  if (ip.version === 6 && (ip.bytes[0] as number) >> 5 !== 1) return { reserved: 'not global unicast', ip: null };
  return { reserved: null, ip };
}

/** Why an address has no country: the name of its special-purpose range, "not an address", or null for a public one. */
export function reservedRange(text: string): string | null {
  return classify(text).reserved;
}

/** The bytes to look up in the database (v4-mapped addresses as IPv4), or null when the address can have no country. */
export function lookupBytes(text: string): IpBytes | null {
  return classify(text).ip;
}

/** The same as text (IPv6 uncompressed), as the database's own reader takes it. */
export function ipText(ip: IpBytes): string {
  if (ip.version === 4) return ip.bytes.join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2)
    groups.push((((ip.bytes[i] as number) << 8) | (ip.bytes[i + 1] as number)).toString(16));
  return groups.join(':');
}

/** The address to ask the database about, as text; null when it can have no country. */
export function lookupAddress(text: string): string | null {
  const ip = lookupBytes(text);
  return ip === null ? null : ipText(ip);
}

/** A database answer as the history stores it: two capital letters, else null. */
export function countryCode(v: unknown): string | null {
  return typeof v === 'string' && COUNTRY_CODE.test(v) ? v : null;
}

/** The country's name in `lang`, or the code itself where the table has none. */
export function countryName(code: string, lang: 'de' | 'en'): string {
  const names = Object.hasOwn(COUNTRY_NAMES, code) ? COUNTRY_NAMES[code] : undefined;
  return names === undefined ? code : names[lang === 'de' ? 0 : 1];
}
