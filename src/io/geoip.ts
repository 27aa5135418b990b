/**
 * The country database shipped inside the npm package @ip-location-db/geo-whois-asn-country-mmdb
 * (nothing is downloaded at install or run time), read with mmdb-lib. A file is read only
 * when an address of its family needs a country, and then kept for the process (watch).
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { countryCode, lookupAddress } from '../core/country.js';

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
  metadata: { buildEpoch: Date; nodeCount: number };
}

const readers = new Map<4 | 6, Promise<Reader>>();

async function openReader(family: 4 | 6): Promise<Reader> {
  const file = join(geoDbInfo().dir, `geo-whois-asn-country-ipv${family}.mmdb`);
  const [lib, db] = await Promise.all([import('mmdb-lib'), readFile(file)]);
  // A CommonJS package: bundled (dist/bundle), its exports come as `default`.
  const MmdbReader = lib.Reader ?? (lib as unknown as { default: typeof lib }).default.Reader;
  // A few hundred distinct records (one per country): decoded once each.
  return new MmdbReader(db, { cache: new Map() }) as unknown as Reader;
}

function readerFor(family: 4 | 6): Promise<Reader> {
  let r = readers.get(family);
  if (r === undefined) {
    r = openReader(family);
    readers.set(family, r);
    // A failed read is tried again by the next caller rather than remembered.
    r.catch(() => readers.delete(family));
  }
  return r;
}

/**
 * The country of each address (ISO 3166-1 alpha-2, or null: a reserved range, or one the
 * database does not know). Reads a database file only when one of `addresses` needs it.
 */
export async function countriesOf(addresses: Iterable<string>): Promise<Map<string, string | null>> {
  const out = new Map<string, string | null>();
  const asked = new Map<string, string>();
  for (const a of addresses) {
    if (out.has(a)) continue;
    const key = lookupAddress(a);
    out.set(a, null);
    if (key !== null) asked.set(a, key);
  }
  const families = new Set([...asked.values()].map((k): 4 | 6 => (k.includes(':') ? 6 : 4)));
  const open = new Map<4 | 6, Reader>();
  for (const f of families) open.set(f, await readerFor(f));
  for (const [a, key] of asked) {
    const found = (open.get(key.includes(':') ? 6 : 4) as Reader).get(key) as { country_code?: unknown } | null;
    out.set(a, countryCode(found?.country_code));
  }
  return out;
}

/** For `doctor`: the package's version and each file's build time, read from the files themselves. */
export async function geoDbDetails(): Promise<{ info: GeoDbInfo; built: Record<'ipv4' | 'ipv6', string> }> {
  const [v4, v6] = await Promise.all([readerFor(4), readerFor(6)]);
  return {
    info: geoDbInfo(),
    built: { ipv4: isoSeconds(v4.metadata.buildEpoch), ipv6: isoSeconds(v6.metadata.buildEpoch) },
  };
}

const isoSeconds = (d: Date): string => d.toISOString().replace(/\.\d{3}Z$/, 'Z');
