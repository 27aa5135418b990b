/**
 * The site builder's cache, beside the history (HISTORY.cache/): what was already read from
 * the CSV and rendered, so a quiet minute reads only the CSV's new tail and renders only
 * pages whose content changed. It can always be deleted: the next build is then a full one.
 *   manifest.json        progress and summaries (see Manifest)
 *   days/DAY.json        ended sessions that started on DAY (configured zone)
 *   users/NAME.json      a user's per-day totals, by month (NAME: userCacheName, src/core/slug.ts)
 *   users/NAME/MONTH.json  a user's ended sessions that started in MONTH
 *   pages/…              page URL → hash of its model, in shards (see ShardedHashes)
 *   exports/…            export file → digest of its rows, in shards (the same)
 *   lookup/DAY.json      a day's rows of the lookup index, for the two newest months (LookupDay)
 *   sums/…               export file → SHA-256 and chain head, per sums file (export-sums.ts)
 * Day, user, page-hash and digest files are renamed into place without an fsync each (it
 * cost a cron run a fifth of a second); the manifest, written last, is fsync'd, which on
 * ext4 commits them too. A file a power loss still left empty or torn fails to parse
 * (CacheError): the build then starts over in full.
 */
import { readFileSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { COUNTRY_CODE } from '../core/country.js';
import { dict } from '../core/dict.js';
import { exportNameOwner } from '../core/export-names.js';
import type { Warn } from '../core/result.js';
import type { Session } from '../core/session.js';
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE, writeFileAtomic } from './atomic-write.js';
import { ifMissing } from './fs-errors.js';

/** sessions, seconds, bytes received, bytes sent */
export type Totals = [number, number, number, number];

export interface UserSummary {
  first: string;
  last: string;
  sessions: number;
  /** Months with ended sessions, "YYYY-MM". */
  months: string[];
}

export interface Manifest {
  schemaVersion: 1;
  /** Hash of everything that changes every page: zone, language, title, aliases, version. */
  key: string;
  /** The history's generation this cache was built from; a rewrite (delete, restore) bumps it. */
  generation: number;
  /** Bytes of the CSV already read. */
  csvBytes: number;
  /** Days with history: ended sessions and users that day. */
  days: Record<string, { sessions: number; users: number }>;
  /** By user name: a map without a prototype (src/core/dict.ts), as loadManifest and emptyManifest give it. */
  users: Record<string, UserSummary>;
  /** Signature of each open/held session at the last build, to see which pages it changed. */
  tracked: Record<string, string>;
  /** [id, start, end] of ended sessions that ended within the last 25 h, for the chart. */
  recent: [string, string, string][];
  /** The last chart and what it was drawn from: drawing needs jsdom, which is slow to load. */
  chart?: { key: string; svg: string };
  /** Histories merged from other hosts: bytes read and generation, by resolved path. */
  sources?: Record<string, { csvBytes: number; generation: number }>;
  /** The known users in the filter's order at the last build (sorting them needs ICU's collator). */
  userOrder?: string[];
  /** [user, slug] of the users whose page name settles a clash (src/core/slug.ts planSlugs), sorted by user. */
  slugs?: [string, string][];
}

export interface CachePaths {
  dir: string;
  manifest: string;
  days: string;
  users: string;
  pages: string;
  exports: string;
}

export function cachePaths(history: string): CachePaths {
  const dir = `${history}.cache`;
  return {
    dir,
    manifest: join(dir, 'manifest.json'),
    days: join(dir, 'days'),
    users: join(dir, 'users'),
    pages: join(dir, 'pages'),
    exports: join(dir, 'exports'),
  };
}

export function emptyManifest(key: string, generation: number): Manifest {
  return { schemaVersion: 1, key, generation, csvBytes: 0, days: {}, users: dict(), tracked: {}, recent: [] };
}

/** Null when there is no usable manifest (missing, or from another version; a broken one is warned about): the build is then full. */
export async function loadManifest(p: CachePaths, warn: Warn): Promise<Manifest | null> {
  const raw = await readFile(p.manifest, 'utf8').catch(ifMissing(null));
  if (raw === null) return null;
  const unusable = (why: string): null => {
    warn(`${p.manifest}: ${why}; rebuilding`);
    return null;
  };
  try {
    const m = JSON.parse(raw) as Manifest;
    if (m.schemaVersion !== 1) return unusable('unknown schemaVersion');
    // Keyed by user names: "constructor" must not be found on Object.prototype.
    return { ...m, users: dict(m.users) };
  } catch (e) {
    return unusable((e as Error).message);
  }
}

export async function saveManifest(p: CachePaths, m: Manifest): Promise<void> {
  await mkdir(p.dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  await writeFileAtomic(p.manifest, JSON.stringify(m), { mode: PRIVATE_FILE_MODE });
}

/** Where the whole-history export files' pieces lie (src/app/whole-history.ts); cleared with the cache. */
export const wholeHistoryIndex = (p: CachePaths): string => join(p.dir, 'whole-history.json');

/** The monthly reports' summary rows and carried months (src/io/report-cache.ts); cleared with the cache. */
export const reportsCacheDir = (p: CachePaths): string => join(p.dir, 'reports');

/** The lookup index's rows of a day of the newest months (src/app/build/lookup.ts); cleared with the cache. */
export const lookupDaysDir = (p: CachePaths): string => join(p.dir, 'lookup');
/** The record of the export files' SHA-256 (src/io/export-sums.ts); cleared with the cache. */
export const exportSumsDir = (p: CachePaths): string => join(p.dir, 'sums');

export async function clearCache(p: CachePaths): Promise<void> {
  await rm(exportSumsDir(p), { recursive: true, force: true });
  await rm(wholeHistoryIndex(p), { force: true });
  await rm(lookupDaysDir(p), { recursive: true, force: true });
  await rm(reportsCacheDir(p), { recursive: true, force: true });
  await rm(p.days, { recursive: true, force: true });
  await rm(p.users, { recursive: true, force: true });
  await rm(p.pages, { recursive: true, force: true });
  await rm(p.exports, { recursive: true, force: true });
}

/** A cache file that cannot be read back: the builder drops the cache and builds in full. */
export class CacheError extends Error {
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`${file}: damaged cache file (${reason})`);
    this.name = 'CacheError';
  }
}

/** For the checks of readCacheJson: a JSON object (or array). */
export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

/** A cache file's JSON (null when there is none), checked by `check`; a CacheError when it cannot be read. */
export async function readCacheJson<T>(file: string, check: (v: unknown) => boolean): Promise<T | null> {
  const raw = await readFile(file, 'utf8').catch(ifMissing(null));
  return raw === null ? null : parseCached<T>(file, raw, check);
}

/** readCacheJson for a small file, read synchronously (readSmall). */
export function readSmallCacheJson<T>(file: string, check: (v: unknown) => boolean): T | null {
  const raw = readSmall(file);
  return raw === null ? null : parseCached<T>(file, raw, check);
}

function parseCached<T>(file: string, raw: string, check: (v: unknown) => boolean): T {
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch (e) {
    throw new CacheError(file, (e as Error).message);
  }
  if (!check(data)) throw new CacheError(file, 'unexpected content');
  return data as T;
}

/**
 * A small cache file's text, or null when it does not exist. Read synchronously: a build
 * reads hundreds of these (a user's months, the newest days), a few KB each, and an async
 * read takes four trips through libuv's thread pool (open, stat, read, close): here about
 * 45 µs a session against 5 µs, most of a user's export step.
 */
function readSmall(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    return ifMissing(null)(e);
  }
}

/**
 * A cached session: its fields in this order, typed as JSON holds them (numbers, null,
 * true/false), so a run reads them back without parsing text. The history CSV is checked
 * field by field (sessionFromRecord); the cache, which builds write, only for its shape.
 */
const CACHED: readonly [keyof Session, 'text' | 'text?' | 'count?' | 'flag' | 'reason?' | 'source' | 'country?'][] = [
  ['id', 'text'],
  ['instance', 'text'],
  ['user', 'text'],
  ['commonName', 'text'],
  ['username', 'text?'],
  ['realAddress', 'text'],
  ['realPort', 'count?'],
  ['protocol', 'text?'],
  ['virtualAddress', 'text?'],
  ['virtualIpv6', 'text?'],
  ['clientId', 'count?'],
  ['peerId', 'count?'],
  ['cipher', 'text?'],
  ['connectedAt', 'text'],
  ['lastSeenAt', 'text'],
  ['endedAt', 'text?'],
  ['durationS', 'count?'],
  ['bytesReceived', 'count?'],
  ['bytesSent', 'count?'],
  ['endReason', 'reason?'],
  ['endExact', 'flag'],
  ['source', 'source'],
  ['country', 'country?'],
];

function fits(kind: (typeof CACHED)[number][1], v: unknown): boolean {
  switch (kind) {
    case 'text':
      return typeof v === 'string';
    case 'text?':
      return v === null || typeof v === 'string';
    case 'count?':
      return v === null || (Number.isSafeInteger(v) && (v as number) >= 0);
    case 'flag':
      return typeof v === 'boolean';
    case 'reason?':
      return v === null || v === 'disconnected' || v === 'server-stopped';
    case 'source':
      return v === 'status' || v === 'legacy' || v === 'hook';
    case 'country?':
      return v === null || (typeof v === 'string' && COUNTRY_CODE.test(v));
  }
}

async function loadSessions(file: string): Promise<Session[]> {
  const raw = readSmall(file);
  if (raw === null) return [];
  const rows = parseCached<unknown[][]>(file, raw, (v) => Array.isArray(v) && v.every(Array.isArray));
  return rows.map((r, i) => {
    if (r.length !== CACHED.length)
      throw new CacheError(file, `session ${i + 1} has ${r.length} fields, not ${CACHED.length}`);
    const s: Record<string, unknown> = {};
    for (let j = 0; j < CACHED.length; j++) {
      const [key, kind] = CACHED[j] as (typeof CACHED)[number];
      if (!fits(kind, r[j])) throw new CacheError(file, `session ${i + 1}: ${key} is ${JSON.stringify(r[j])}`);
      s[key] = r[j];
    }
    return s as unknown as Session;
  });
}

async function saveSessions(dir: string, file: string, sessions: Session[]): Promise<void> {
  await mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  await writeFileAtomic(join(dir, file), JSON.stringify(sessions.map((s) => CACHED.map(([key]) => s[key] ?? null))), {
    durable: false,
    mode: PRIVATE_FILE_MODE,
  });
}

export const loadDay = (p: CachePaths, day: string): Promise<Session[]> => loadSessions(join(p.days, `${day}.json`));
export const saveDay = (p: CachePaths, day: string, sessions: Session[]): Promise<void> =>
  saveSessions(p.days, `${day}.json`, sessions);
export const loadUserMonth = (p: CachePaths, name: string, month: string): Promise<Session[]> =>
  loadSessions(join(p.users, name, `${month}.json`));
export const saveUserMonth = (p: CachePaths, name: string, month: string, sessions: Session[]): Promise<void> =>
  saveSessions(join(p.users, name), `${month}.json`, sessions);

export async function listCachedDays(p: CachePaths): Promise<string[]> {
  const names = await readdir(p.days).catch(ifMissing([] as string[]));
  return names.filter((n) => n.endsWith('.json')).map((n) => n.slice(0, -5));
}

/** month → that month's per-day totals and first/last activity, of ended sessions. */
export type UserTotals = Record<string, { days: Record<string, Totals>; first: string; last: string }>;

export async function loadUserTotals(p: CachePaths, name: string): Promise<UserTotals> {
  const file = join(p.users, `${name}.json`);
  const raw = readSmall(file);
  return raw === null
    ? {}
    : parseCached<UserTotals>(file, raw, (v) => typeof v === 'object' && v !== null && !Array.isArray(v));
}

export async function saveUserTotals(p: CachePaths, name: string, totals: UserTotals): Promise<void> {
  await mkdir(p.users, { recursive: true, mode: PRIVATE_DIR_MODE });
  await writeFileAtomic(join(p.users, `${name}.json`), JSON.stringify(totals), {
    durable: false,
    mode: PRIVATE_FILE_MODE,
  });
}

/** The shard of a page URL's hash: a user's pages, a month of day pages, or the rest ("root"). */
export function pageShard(url: string): string {
  if (url.startsWith('/u/')) {
    const end = url.indexOf('/', 3);
    return `u/${url.slice(3, end < 0 ? undefined : end)}`;
  }
  if (url.startsWith('/d/')) return `d/${url.slice(3, 10)}`;
  return 'root';
}

/**
 * The shard of an export file's digest (`exports/…` or `exports/days/…`): a month of day
 * files, or one view owner's files (a user's, or `all`). Any other name (a file an older
 * version or an admin left in exports/, which a full build removes) falls in "other".
 */
export function exportShard(file: string): string {
  const owner = exportNameOwner(basename(file));
  if (owner === null) return 'other';
  return 'day' in owner ? `days/${owner.day.slice(0, 7)}` : `views/${owner.userPart}`;
}

/**
 * Key → hash, in shards of small JSON files below `dir`, `shardOf` naming a key's shard (a
 * path without ".json"). The build keeps two: page URL → hash of the model the page was
 * rendered from (pages/; a page is rendered only when that hash changed; shards by
 * pageShard) and export file → digest of its rows (exports/; shards by exportShard). A run
 * reads and writes only the shards of the pages and files it builds: with a million
 * sessions there are over 100,000 pages and 25,000 export files, and one map of them all in
 * the manifest took every run a few hundred ms to read and write again. Shards are read on
 * first use and written by save(), before the manifest (see the top of this file).
 */
export class ShardedHashes {
  private readonly shards = new Map<string, Map<string, string>>();
  private readonly changed = new Set<string>();

  constructor(
    private readonly dir: string,
    private readonly shardOf: (key: string) => string,
  ) {}

  private fileOf(shard: string): string {
    return join(this.dir, `${shard}.json`);
  }

  private shard(name: string): Map<string, string> {
    let map = this.shards.get(name);
    if (map === undefined) {
      const file = this.fileOf(name);
      const raw = readSmall(file);
      const data =
        raw === null
          ? {}
          : parseCached<Record<string, string>>(
              file,
              raw,
              (v) =>
                typeof v === 'object' &&
                v !== null &&
                !Array.isArray(v) &&
                Object.values(v).every((h) => typeof h === 'string'),
            );
      map = new Map(Object.entries(data));
      this.shards.set(name, map);
    }
    return map;
  }

  get(key: string): string | undefined {
    return this.shard(this.shardOf(key)).get(key);
  }

  set(key: string, hash: string): void {
    const name = this.shardOf(key);
    const map = this.shard(name);
    if (map.get(key) === hash) return;
    map.set(key, hash);
    this.changed.add(name);
  }

  delete(key: string): void {
    const name = this.shardOf(key);
    if (this.shard(name).delete(key)) this.changed.add(name);
  }

  /** Every key the named shards hold. */
  keysOf(shards: Iterable<string>): string[] {
    return [...new Set(shards)].flatMap((name) => [...this.shard(name).keys()]);
  }

  /** Writes the shards that changed (an empty one is removed). */
  async save(): Promise<void> {
    for (const name of this.changed) {
      const file = this.fileOf(name);
      const map = this.shards.get(name) as Map<string, string>;
      if (map.size === 0) {
        await unlink(file).catch(ifMissing(undefined));
        continue;
      }
      await mkdir(dirname(file), { recursive: true, mode: PRIVATE_DIR_MODE });
      await writeFileAtomic(file, JSON.stringify(Object.fromEntries(map)), { durable: false, mode: PRIVATE_FILE_MODE });
    }
    this.changed.clear();
  }
}

/**
 * A day's rows of the lookup index: the first start and last end (null while a session is
 * open) and, per session and bucket of its addresses, [bucket, user, the row's JSON after
 * its user index]. Null when the day has none cached.
 */
export interface LookupDay {
  first: number;
  last: number | null;
  rows: [number, string, string][];
}

const isLookupRow = (r: unknown): boolean =>
  Array.isArray(r) && r.length === 3 && Number.isInteger(r[0]) && typeof r[1] === 'string' && typeof r[2] === 'string';

const isLookupDay = (v: unknown): boolean =>
  isObject(v) &&
  typeof v.first === 'number' &&
  (v.last === null || typeof v.last === 'number') &&
  Array.isArray(v.rows) &&
  v.rows.every(isLookupRow);

export const loadLookupDay = (p: CachePaths, day: string): Promise<LookupDay | null> =>
  readCacheJson<LookupDay>(join(lookupDaysDir(p), `${day}.json`), isLookupDay);

export async function saveLookupDay(p: CachePaths, day: string, rows: LookupDay): Promise<void> {
  await mkdir(lookupDaysDir(p), { recursive: true, mode: PRIVATE_DIR_MODE });
  await writeFileAtomic(join(lookupDaysDir(p), `${day}.json`), JSON.stringify(rows), {
    durable: false,
    mode: PRIVATE_FILE_MODE,
  });
}

/** Removes the cached lookup days other than `days`. */
export async function pruneLookupDays(p: CachePaths, days: ReadonlySet<string>): Promise<void> {
  const names = await readdir(lookupDaysDir(p)).catch(ifMissing([] as string[]));
  for (const n of names) if (!days.has(n.replace(/\.json$/, ''))) await rm(join(lookupDaysDir(p), n), { force: true });
}
