/**
 * The record of the export files' SHA-256 (build cache, `sums/`, one JSON file per sums file:
 * `exports.json`, `days.json`, `reports/YYYY-MM.json`; each file → [sha256, head, rows]) and
 * the SHA256SUMS files published from it (src/core/export-sums.ts). A build sets the entries
 * of the files it writes and drops those of the files it removes; publish() then writes the
 * sums files whose entries changed, before the manifest is committed, and save() the record.
 * A full build starts from an empty record (the cache is cleared) and so lists every file anew.
 */
import { readFileSync } from 'node:fs';
import { mkdir, readdir, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { ChainHead } from '../core/chain.js';
import { type SumEntry, sumsFileOf, sumsFileOfKey, sumsText } from '../core/export-sums.js';
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE, writeFileAtomic, writeFileIfChanged } from './atomic-write.js';
import { CacheError } from './build-cache.js';
import { ifMissing } from './fs-errors.js';

type Stored = Record<string, [string, string, number]>;

const isStored = (v: unknown): boolean =>
  typeof v === 'object' &&
  v !== null &&
  !Array.isArray(v) &&
  Object.values(v).every(
    (e) =>
      Array.isArray(e) &&
      e.length === 3 &&
      typeof e[0] === 'string' &&
      typeof e[1] === 'string' &&
      Number.isSafeInteger(e[2]),
  );

export class ExportSums {
  private readonly groups = new Map<string, Map<string, SumEntry>>();
  private readonly changed = new Set<string>();

  /** `dir`: the record's folder in the build cache; `stamp`: the chain head this build writes files at. */
  constructor(
    private readonly dir: string,
    readonly stamp: ChainHead,
  ) {}

  /** A sums file's entries, read on first use (synchronously, like the hash shards: small files, read between writes). */
  private group(key: string): Map<string, SumEntry> {
    let map = this.groups.get(key);
    if (map === undefined) {
      const stored = readStored(join(this.dir, `${key}.json`));
      map = new Map(Object.entries(stored).map(([f, [sha256, head, rows]]) => [f, { sha256, head, rows }]));
      this.groups.set(key, map);
    }
    return map;
  }

  private static keyOf(file: string): string {
    const sums = sumsFileOf(file);
    if (sums === null) throw new RangeError(`${file} is not in an export folder with a sums file`);
    return sums.key;
  }

  /** What the record holds of `file` (relative to the output folder). */
  get(file: string): SumEntry | undefined {
    return this.group(ExportSums.keyOf(file)).get(file);
  }

  /** `file` now holds bytes of SHA-256 `sha256`, built at `stamp` (default: this build's). */
  set(file: string, sha256: string, stamp: ChainHead = this.stamp): void {
    const key = ExportSums.keyOf(file);
    const map = this.group(key);
    const was = map.get(file);
    if (was?.sha256 === sha256 && was.head === stamp.head && was.rows === stamp.rows) return;
    map.set(file, { sha256, head: stamp.head, rows: stamp.rows });
    this.changed.add(key);
  }

  /** `file` is gone. */
  delete(file: string): void {
    const key = ExportSums.keyOf(file);
    if (this.group(key).delete(file)) this.changed.add(key);
  }

  /**
   * Writes the sums files whose entries changed (atomically, and only when their text
   * differs; one left without entries is removed). `full`: a full build's record is complete, so every sums file it does not
   * stand for (a month whose reports are gone) is removed too.
   */
  async publish(out: string, full: boolean): Promise<void> {
    const keys = new Set(this.changed);
    if (full) for (const key of await publishedKeys(out)) keys.add(key);
    for (const key of keys) {
      const sums = sumsFileOfKey(key);
      const path = join(out, sums.path);
      const text = sumsText(sums.dir, this.group(key).entries());
      if (text === '') await unlink(path).catch(ifMissing(undefined));
      else await writeFileIfChanged(path, text, { durable: false });
    }
  }

  /** Writes the record's changed files (before the manifest, like the other hash shards). */
  async save(): Promise<void> {
    for (const key of this.changed) {
      const file = join(this.dir, `${key}.json`);
      const map = this.groups.get(key) as Map<string, SumEntry>;
      if (map.size === 0) {
        await unlink(file).catch(ifMissing(undefined));
        continue;
      }
      const stored: Stored = {};
      for (const [f, e] of map) stored[f] = [e.sha256, e.head, e.rows];
      await mkdir(dirname(file), { recursive: true, mode: PRIVATE_DIR_MODE });
      await writeFileAtomic(file, JSON.stringify(stored), { durable: false, mode: PRIVATE_FILE_MODE });
    }
    this.changed.clear();
  }
}

/** A record file's entries (none when it does not exist); a CacheError when it cannot be read back. */
function readStored(file: string): Stored {
  let raw: string;
  try {
    raw = readFileSync(file, 'utf8');
  } catch (e) {
    return ifMissing({} as Stored)(e);
  }
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch (e) {
    throw new CacheError(file, (e as Error).message);
  }
  if (!isStored(data)) throw new CacheError(file, 'unexpected content');
  return data as Stored;
}

/** The keys of the sums files in the output folder now. */
async function publishedKeys(out: string): Promise<string[]> {
  const keys: string[] = [];
  for (const [dir, key] of [
    ['exports', 'exports'],
    ['exports/days', 'days'],
  ] as const) {
    const names = await readdir(join(out, dir)).catch(ifMissing([] as string[]));
    if (names.includes('SHA256SUMS')) keys.push(key);
  }
  for (const name of await readdir(join(out, 'exports/reports')).catch(ifMissing([] as string[]))) {
    const month = /^SHA256SUMS_(\d{4}-\d{2})$/.exec(name)?.[1];
    if (month !== undefined) keys.push(`reports/${month}`);
  }
  return keys;
}
