/**
 * The build's anomalies, beside its cache (HISTORY.cache/anomalies.json): per user, the
 * start of its history, its last session and its anomalies by the month they belong to,
 * so a run recomputes only the users whose sessions changed. Written after the pages that
 * show them, so a run killed before that finds the old flags and marks their pages again.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Anomaly, LastSession } from '../core/anomalies.js';
import { dict } from '../core/dict.js';
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE, writeFileAtomic } from './atomic-write.js';
import { type CachePaths, isObject, readCacheJson } from './build-cache.js';

/** An anomaly as the build keeps it: with the day (in the zone) of each of its sessions, whose pages show it. */
export interface CachedAnomaly extends Anomaly {
  days: string[];
}

export interface UserAnomalies {
  first: string;
  last: LastSession | null;
  /** "YYYY-MM" → the anomalies of that month (their `at`, in the zone). */
  months: Record<string, CachedAnomaly[]>;
}

export interface AnomalyCache {
  schemaVersion: 1;
  /** By user name, own keys only (src/core/dict.ts). */
  users: Record<string, UserAnomalies>;
  /** The users that were dormant at the last build, sorted (absent in caches written before it). */
  dormant?: string[];
}

export const anomalyCacheFile = (p: CachePaths): string => join(p.dir, 'anomalies.json');

export const emptyAnomalyCache = (): AnomalyCache => ({ schemaVersion: 1, users: dict() });

/** Null when there is none; a CacheError (the build starts over in full) when it cannot be read. */
export async function loadAnomalyCache(p: CachePaths): Promise<AnomalyCache | null> {
  const c = await readCacheJson<Partial<AnomalyCache>>(
    anomalyCacheFile(p),
    (v) => isObject(v) && v.schemaVersion === 1 && isObject(v.users),
  );
  if (c === null) return null;
  const dormant = Array.isArray(c.dormant) && c.dormant.every((u) => typeof u === 'string') ? c.dormant : undefined;
  return { schemaVersion: 1, users: dict(c.users), ...(dormant !== undefined ? { dormant } : {}) };
}

export async function saveAnomalyCache(p: CachePaths, cache: AnomalyCache): Promise<void> {
  await mkdir(p.dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  await writeFileAtomic(anomalyCacheFile(p), JSON.stringify(cache), { mode: PRIVATE_FILE_MODE });
}
