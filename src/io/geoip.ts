/**
 * The country database shipped inside the npm package @ip-location-db/geo-whois-asn-country-mmdb
 * (nothing is downloaded at install or run time), read with mmdb-lib. A file is read only
 * when an address of its family needs a country, and then kept for the process (watch).
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { countryCode, ipText, lookupBytes, type IpBytes } from '../core/country.js';

export const GEO_PACKAGE = '@ip-location-db/geo-whois-asn-country-mmdb';
/**
 * The package.json says CC0-1.0, but its README names the sources' licence: CC BY 4.0 by the
 * NRO (the registries' whois and ASN data), which asks for attribution; named so wherever shown.
 */
export const GEO_LICENCE = 'CC BY 4.0, NRO (nro.net)';

export interface GeoDbInfo {
  package: string;
  /** The package's version, e.g. 2.3.2026061719 (its last part is the day and hour it was made). */
  version: string;
  licence: string;
  /** The package folder. */
  dir: string;
}

let info: GeoDbInfo | null = null;

/** The installed database's name and version, from its package.json alone (the database is not read). */
export function geoDbInfo(): GeoDbInfo {
  if (info !== null) return info;
  const manifest = createRequire(import.meta.url).resolve(`${GEO_PACKAGE}/package.json`);
  const { version } = JSON.parse(readFileSync(manifest, 'utf8')) as { version: string };
  info = { package: GEO_PACKAGE, version, licence: GEO_LICENCE, dir: dirname(manifest) };
  return info;
}

/** How much of mmdb-lib's Reader this module uses. */
interface Reader {
  get(address: string): unknown;
  metadata: { buildEpoch: Date; nodeCount: number; recordSize: number; nodeByteSize: number; ipVersion: number };
}

/** One family's file: mmdb-lib's Reader, and its search tree walked here over the same Buffer. */
interface Db {
  reader: Reader;
  tree: Buffer;
  /** A data record → its country: a few hundred records (one per country), each decoded once. */
  records: Map<number, string | null>;
}

const dbs = new Map<4 | 6, Promise<Db>>();

async function openDb(family: 4 | 6): Promise<Db> {
  const file = join(geoDbInfo().dir, `geo-whois-asn-country-ipv${family}.mmdb`);
  const [lib, tree] = await Promise.all([import('mmdb-lib'), readFile(file)]);
  // A CommonJS package: bundled (dist/bundle), its exports come as `default`.
  const MmdbReader = lib.Reader ?? (lib as unknown as { default: typeof lib }).default.Reader;
  const reader = new MmdbReader(tree) as unknown as Reader;
  const { ipVersion, recordSize } = reader.metadata;
  if (ipVersion !== family || ![24, 28, 32].includes(recordSize)) {
    throw new Error(
      `${file}: an IPv${ipVersion} database of ${recordSize}-bit records, not the IPv${family} one expected`,
    );
  }
  return { reader, tree, records: new Map() };
}

function dbFor(family: 4 | 6): Promise<Db> {
  let db = dbs.get(family);
  if (db === undefined) {
    db = openDb(family);
    dbs.set(family, db);
    // A failed read is tried again by the next caller rather than remembered.
    db.catch(() => dbs.delete(family));
  }
  return db;
}

/** The record `bit` of `node` points to (the MaxMind DB format's 24-, 28- and 32-bit layouts). */
function child(t: Buffer, recordSize: number, at: number, bit: number): number {
  if (recordSize === 24) {
    const p = at + bit * 3;
    return ((t[p] as number) << 16) | ((t[p + 1] as number) << 8) | (t[p + 2] as number);
  }
  if (recordSize === 32) return t.readUInt32BE(at + bit * 4);
  const high = bit === 0 ? ((t[at + 3] as number) & 0xf0) >> 4 : (t[at + 3] as number) & 0x0f;
  const p = at + bit * 4;
  return high * 0x1000000 + (((t[p] as number) << 16) | ((t[p + 1] as number) << 8) | (t[p + 2] as number));
}

/**
 * Walks the search tree bit by bit over the address's bytes, as mmdb-lib does, and has mmdb-lib
 * decode each data record once: its own lookup parses the text and decodes the record anew for
 * every address, several times the cost for a thousand new clients.
 */
function countryOf(db: Db, ip: IpBytes): string | null {
  const { nodeCount, recordSize, nodeByteSize } = db.reader.metadata;
  const { tree } = db;
  let node = 0;
  const bits = ip.bytes.length * 8;
  for (let i = 0; i < bits && node < nodeCount; i++) {
    node = child(tree, recordSize, node * nodeByteSize, ((ip.bytes[i >> 3] as number) >> (7 - (i & 7))) & 1);
  }
  if (node <= nodeCount) return null; // nodeCount itself: an address the database does not know
  let country = db.records.get(node);
  if (country === undefined) {
    const found = db.reader.get(ipText(ip)) as { country_code?: unknown } | null;
    country = countryCode(found?.country_code);
    db.records.set(node, country);
  }
  return country;
}

/**
 * The country of each address (ISO 3166-1 alpha-2, or null: a reserved range, or one the
 * database does not know). Reads a database file only when one of `addresses` needs it.
 */
export async function countriesOf(addresses: Iterable<string>): Promise<Map<string, string | null>> {
  const out = new Map<string, string | null>();
  const asked = new Map<string, IpBytes>();
  for (const a of addresses) {
    if (out.has(a)) continue;
    const ip = lookupBytes(a);
    out.set(a, null);
    if (ip !== null) asked.set(a, ip);
  }
  const open = new Map<number, Db>();
  for (const ip of asked.values()) if (!open.has(ip.version)) open.set(ip.version, await dbFor(ip.version));
  for (const [a, ip] of asked) out.set(a, countryOf(open.get(ip.version) as Db, ip));
  return out;
}

/** For `doctor`: the package's version and each file's build time, read from the files themselves. */
export async function geoDbDetails(): Promise<{ info: GeoDbInfo; built: Record<'ipv4' | 'ipv6', string> }> {
  const [v4, v6] = (await Promise.all([dbFor(4), dbFor(6)])).map((db) => db.reader);
  return {
    info: geoDbInfo(),
    built: {
      ipv4: isoSeconds((v4 as Reader).metadata.buildEpoch),
      ipv6: isoSeconds((v6 as Reader).metadata.buildEpoch),
    },
  };
}

const isoSeconds = (d: Date): string => d.toISOString().replace(/\.\d{3}Z$/, 'Z');
