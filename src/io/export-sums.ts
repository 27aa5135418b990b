/**
 * The record of the export files' SHA-256 (build cache, `sums/`, one JSON file per sums
 * file: `exports.json`, `days.json`, `reports/YYYY-MM.json`) and the SHA256SUMS files
 * published from it (src/core/export-sums.ts). A build sets the entries of the files it
 * writes and drops those of the files it removes; the sums files whose entries changed are
 * then written before the manifest is committed, and the record saved. A full build starts
 * from an empty record (the cache is cleared) and so lists every file anew.
 *
 * A site has a file per user and month: the record is compact. Each record file holds the
 * distinct chain heads once and, per file, its name in the folder, its SHA-256 (base64) and
 * the index of its head: `{"heads": [[hex, rows], …], "files": [[name, base64, i], …]}`.
 * A month's reports are published and let go as soon as the build is done with the month
 * (settleMonth), so a full build holds one month's entries at a time; a busy run reads and
 * writes only the folders and months it touches.
 */
import { mkdir, readdir, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { type ChainHead, HEX64 } from '../core/chain.js';
import { type SumEntry, sumsFileOf, sumsFileOfKey, sumsText } from '../core/export-sums.js';
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE, writeFileAtomic, writeFileIfChanged } from './atomic-write.js';
import { isObject, readSmallCacheJson } from './build-cache.js';
import { ifMissing } from './fs-errors.js';

interface Stored {
  heads: [string, number][];
  files: [string, string, number][];
}

/** A SHA-256 in base64: 43 characters and one `=`. */
const B64_LENGTH = 44;
const B64 = /^[A-Za-z0-9+/]{43}=$/;

const isStored = (v: unknown): v is Stored => {
  if (!isObject(v)) return false;
  const { heads, files } = v as Partial<Stored>;
  return (
    Array.isArray(heads) &&
    Array.isArray(files) &&
    heads.every(
      (h) => Array.isArray(h) && typeof h[0] === 'string' && HEX64.test(h[0]) && Number.isSafeInteger(h[1]),
    ) &&
    files.every(
      (f) =>
        Array.isArray(f) &&
        typeof f[0] === 'string' &&
        typeof f[1] === 'string' &&
        B64.test(f[1]) &&
        Number.isInteger(f[2]) &&
        f[2] >= 0 &&
        f[2] < heads.length,
    )
  );
};

const headKey = (h: ChainHead): string => `${h.rows} ${h.head}`;

/** One sums file's entries: name in its folder → SHA-256 (base64) followed by its head's index (one string: little memory a file). */
class Group {
  private readonly heads: ChainHead[] = [];
  private readonly headAt = new Map<string, number>();
  private readonly files = new Map<string, string>();

  static from(stored: Stored): Group {
    const g = new Group();
    for (const [head, rows] of stored.heads) g.headIndex({ head, rows });
    for (const [name, b64, i] of stored.files) g.files.set(name, b64 + i);
    return g;
  }

  private headIndex(stamp: ChainHead): number {
    let i = this.headAt.get(headKey(stamp));
    if (i === undefined) {
      i = this.heads.push({ head: stamp.head, rows: stamp.rows }) - 1;
      this.headAt.set(headKey(stamp), i);
    }
    return i;
  }

  get size(): number {
    return this.files.size;
  }

  private entry(value: string): SumEntry {
    const head = this.heads[Number(value.slice(B64_LENGTH))] as ChainHead;
    return { sha256: Buffer.from(value.slice(0, B64_LENGTH), 'base64').toString('hex'), ...head };
  }

  get(name: string): SumEntry | undefined {
    const value = this.files.get(name);
    return value === undefined ? undefined : this.entry(value);
  }

  /** Sets an entry (SHA-256 in hex); false when it was so already. */
  set(name: string, sha256: string, stamp: ChainHead): boolean {
    if (!HEX64.test(sha256)) throw new RangeError(`${name}: ${JSON.stringify(sha256)} is not a SHA-256`);
    const value = Buffer.from(sha256, 'hex').toString('base64') + this.headIndex(stamp);
    if (this.files.get(name) === value) return false;
    this.files.set(name, value);
    return true;
  }

  delete(name: string): boolean {
    return this.files.delete(name);
  }

  /** The entries as the sums text takes them (file relative to the output folder). */
  *entries(dir: string): Generator<[string, SumEntry]> {
    for (const [name, value] of this.files) yield [`${dir}/${name}`, this.entry(value)];
  }

  /** What the record file holds: only the heads some file is at. */
  stored(): Stored {
    const used = new Map<number, number>();
    const out: Stored = { heads: [], files: [] };
    for (const [name, value] of this.files) {
      const i = Number(value.slice(B64_LENGTH));
      let j = used.get(i);
      if (j === undefined) {
        const h = this.heads[i] as ChainHead;
        j = out.heads.push([h.head, h.rows]) - 1;
        used.set(i, j);
      }
      out.files.push([name, value.slice(0, B64_LENGTH), j]);
    }
    return out;
  }
}

export class ExportSums {
  private readonly groups = new Map<string, Group>();
  private readonly changed = new Set<string>();
  /** Months published and let go in this build (settleMonth). */
  private readonly settled = new Set<string>();

  /** `dir`: the record's folder in the build cache; `out`: the output folder; `stamp`: the chain head this build writes files at. */
  constructor(
    private readonly dir: string,
    private readonly out: string,
    readonly stamp: ChainHead,
  ) {}

  /** A sums file's entries, read on first use (synchronously, like the hash shards: small files, read between writes). */
  private group(key: string): Group {
    let g = this.groups.get(key);
    if (g === undefined) {
      const stored = readSmallCacheJson<Stored>(join(this.dir, `${key}.json`), isStored);
      g = stored === null ? new Group() : Group.from(stored);
      this.groups.set(key, g);
    }
    return g;
  }

  private static place(file: string): { key: string; name: string } {
    const sums = sumsFileOf(file);
    if (sums === null) throw new RangeError(`${file} is not in an export folder with a sums file`);
    return { key: sums.key, name: file.slice(sums.dir.length + 1) };
  }

  /** What the record holds of `file` (relative to the output folder). */
  get(file: string): SumEntry | undefined {
    const { key, name } = ExportSums.place(file);
    return this.group(key).get(name);
  }

  /** `file` now holds bytes of SHA-256 `sha256` (hex), built at `stamp` (default: this build's). */
  set(file: string, sha256: string, stamp: ChainHead = this.stamp): void {
    const { key, name } = ExportSums.place(file);
    if (this.group(key).set(name, sha256, stamp)) this.changed.add(key);
  }

  /** `file` is gone. */
  delete(file: string): void {
    const { key, name } = ExportSums.place(file);
    if (this.group(key).delete(name)) this.changed.add(key);
  }

  /**
   * The build is done with `month`'s reports: their sums file is written and the record
   * saved now (when they changed), and the entries let go. The build's later steps may
   * still change them (they are then read again).
   */
  async settleMonth(month: string): Promise<void> {
    const key = `reports/${month}`;
    if (this.changed.has(key)) {
      await this.publishKey(key);
      await this.saveKey(key);
      this.changed.delete(key);
    }
    this.groups.delete(key);
    this.settled.add(key);
  }

  /**
   * Writes the sums files whose entries changed (atomically, and only when their text
   * differs; one left without entries is removed). `full`: a full build's record is
   * complete, so every sums file it does not stand for (a month whose reports are gone) is
   * removed too.
   */
  async publish(full: boolean): Promise<void> {
    const keys = new Set(this.changed);
    if (full) for (const key of await publishedKeys(this.out)) if (!this.settled.has(key)) keys.add(key);
    for (const key of keys) await this.publishKey(key);
  }

  private async publishKey(key: string): Promise<void> {
    const sums = sumsFileOfKey(key);
    const path = join(this.out, sums.path);
    const text = sumsText(sums.dir, this.group(key).entries(sums.dir));
    if (text === '') await unlink(path).catch(ifMissing(undefined));
    else await writeFileIfChanged(path, text, { durable: false });
  }

  /** Writes the record's changed files (before the manifest, like the other hash shards). */
  async save(): Promise<void> {
    for (const key of this.changed) await this.saveKey(key);
    this.changed.clear();
  }

  private async saveKey(key: string): Promise<void> {
    const file = join(this.dir, `${key}.json`);
    const g = this.group(key);
    if (g.size === 0) {
      await unlink(file).catch(ifMissing(undefined));
      return;
    }
    await mkdir(dirname(file), { recursive: true, mode: PRIVATE_DIR_MODE });
    await writeFileAtomic(file, JSON.stringify(g.stored()), { durable: false, mode: PRIVATE_FILE_MODE });
  }
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
