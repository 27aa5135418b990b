/**
 * The site builder's cache, beside the history (HISTORY.cache/): what was already read from
 * the CSV and rendered, so a quiet minute reads only the CSV's new tail and renders only
 * pages whose content changed. It can always be deleted: the next build is then a full one.
 *   manifest.json        progress and summaries (see Manifest)
 *   days/DAY.json        ended sessions that started on DAY (configured zone)
 *   users/SLUG.json      a user's per-day totals, by month
 *   users/SLUG/MONTH.json  a user's ended sessions that started in MONTH
 * Day and user files are renamed into place without an fsync each (it cost a cron run a
 * fifth of a second); the manifest, written last, is fsync'd, which on ext4 commits them
 * too. A file a power loss still left empty or torn fails to parse (CacheError): the build
 * then starts over in full.
 */
import { readFileSync } from 'node:fs';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError } from '../core/errors.js';
import { HISTORY_COLUMNS, sessionFromRecord, sessionToRecord } from '../core/history-rows.js';
import type { Session } from '../core/session.js';
import { writeFileAtomic } from './atomic-write.js';
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
  users: Record<string, UserSummary>;
  /** Signature of each open/held session at the last build, to see which pages it changed. */
  tracked: Record<string, string>;
  /** [id, start, end] of ended sessions that ended within the last 25 h, for the chart. */
  recent: [string, string, string][];
  /** Page URL → hash of the model it was rendered from. */
  pages: Record<string, string>;
  /** The last chart and what it was drawn from: drawing needs jsdom, which is slow to load. */
  chart?: { key: string; svg: string };
  /** Histories merged from other hosts: bytes read and generation, by resolved path. */
  sources?: Record<string, { csvBytes: number; generation: number }>;
  /** Digests of the export files' rows and when the large ones were last written (src/cli/exports.ts). */
  exports?: { digests: Record<string, string>; bigAt: string | null; bigPending: boolean };
}

export interface CachePaths {
  dir: string;
  manifest: string;
  days: string;
  users: string;
}

export function cachePaths(history: string): CachePaths {
  const dir = `${history}.cache`;
  return { dir, manifest: join(dir, 'manifest.json'), days: join(dir, 'days'), users: join(dir, 'users') };
}

export function emptyManifest(key: string, generation: number): Manifest {
  return { schemaVersion: 1, key, generation, csvBytes: 0, days: {}, users: {}, tracked: {}, recent: [], pages: {} };
}

/** Null when there is no usable manifest (missing, or from another version): the build is then full. */
export async function loadManifest(p: CachePaths): Promise<{ manifest: Manifest | null; problem: string | null }> {
  const raw = await readFile(p.manifest, 'utf8').catch(ifMissing(null));
  if (raw === null) return { manifest: null, problem: null };
  try {
    const m = JSON.parse(raw) as Manifest;
    if (m.schemaVersion !== 1) return { manifest: null, problem: `${p.manifest}: unknown schemaVersion; rebuilding` };
    return { manifest: m, problem: null };
  } catch (e) {
    return { manifest: null, problem: `${p.manifest}: ${(e as Error).message}; rebuilding` };
  }
}

export async function saveManifest(p: CachePaths, m: Manifest): Promise<void> {
  await mkdir(p.dir, { recursive: true });
  await writeFileAtomic(p.manifest, JSON.stringify(m));
}

export async function clearCache(p: CachePaths): Promise<void> {
  await rm(p.days, { recursive: true, force: true });
  await rm(p.users, { recursive: true, force: true });
}

/** A cache file that cannot be read back: the builder drops the cache and builds in full. */
export class CacheError extends Error {
  constructor(file: string, reason: string) {
    super(`${file}: damaged cache file (${reason})`);
    this.name = 'CacheError';
  }
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

async function loadSessions(file: string): Promise<Session[]> {
  const raw = readSmall(file);
  if (raw === null) return [];
  const rows = parseCached<string[][]>(file, raw, (v) => Array.isArray(v) && v.every(Array.isArray));
  try {
    return rows.map((r, i) => {
      const record: Record<string, string | undefined> = {};
      for (let j = 0; j < HISTORY_COLUMNS.length; j++) record[HISTORY_COLUMNS[j] as string] = r[j];
      return sessionFromRecord(record, file, i + 1);
    });
  } catch (e) {
    if (e instanceof InputError) throw new CacheError(file, e.reason);
    throw e;
  }
}

async function saveSessions(dir: string, file: string, sessions: Session[]): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFileAtomic(join(dir, file), JSON.stringify(sessions.map(sessionToRecord)), { durable: false });
}

export const loadDay = (p: CachePaths, day: string): Promise<Session[]> => loadSessions(join(p.days, `${day}.json`));
export const saveDay = (p: CachePaths, day: string, sessions: Session[]): Promise<void> => saveSessions(p.days, `${day}.json`, sessions);
export const loadUserMonth = (p: CachePaths, slug: string, month: string): Promise<Session[]> =>
  loadSessions(join(p.users, slug, `${month}.json`));
export const saveUserMonth = (p: CachePaths, slug: string, month: string, sessions: Session[]): Promise<void> =>
  saveSessions(join(p.users, slug), `${month}.json`, sessions);

export async function listCachedDays(p: CachePaths): Promise<string[]> {
  const names = await readdir(p.days).catch(ifMissing([] as string[]));
  return names.filter((n) => n.endsWith('.json')).map((n) => n.slice(0, -5));
}

/** month → that month's per-day totals and first/last activity, of ended sessions. */
export type UserTotals = Record<string, { days: Record<string, Totals>; first: string; last: string }>;

export async function loadUserTotals(p: CachePaths, slug: string): Promise<UserTotals> {
  const file = join(p.users, `${slug}.json`);
  const raw = readSmall(file);
  return raw === null ? {} : parseCached<UserTotals>(file, raw, (v) => typeof v === 'object' && v !== null && !Array.isArray(v));
}

export async function saveUserTotals(p: CachePaths, slug: string, totals: UserTotals): Promise<void> {
  await mkdir(p.users, { recursive: true });
  await writeFileAtomic(join(p.users, `${slug}.json`), JSON.stringify(totals), { durable: false });
}
