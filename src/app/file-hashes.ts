/**
 * The SHA-256 of the whole-history export files, for the sums beside the exports
 * (io/export-sums.ts). These files are hundreds of megabytes: hashing them on the build's
 * thread cost a busy cron run a quarter of a second. So a worker thread (sha256-worker.ts)
 * reads each one from disk once it is published, while the build goes on with the other
 * exports and the reports (the machine has two cores); the build waits for the digests only
 * where the sums are written, before the manifest and the lock's release.
 *
 * A record beside the sums record keeps, per file, the identity on disk it was hashed at
 * (inode, size, mtime, as the whole-history index keeps them) and its digest. A file the
 * record does not name as it is now is hashed again: one written this run, or one a run
 * killed before saving the record wrote. A run writing no whole-history file starts no worker.
 */
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { ChainHead } from '../core/chain.js';
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE, writeFileAtomic } from '../io/atomic-write.js';
import { isObject, readCacheJson } from '../io/build-cache.js';
import { runWorker } from './worker.js';

/** A published file as the whole-history index keeps it, and the chain head it was built at. */
export interface PublishedFile {
  ino: number;
  size: number;
  mtimeMs: number;
  stamp: ChainHead;
}

/** File (relative to the output folder) → [ino, size, mtimeMs, SHA-256 base64]. */
type HashRecord = Record<string, [number, number, number, string]>;

const isRecord = (v: unknown): boolean =>
  isObject(v) &&
  !Array.isArray(v) &&
  Object.values(v).every(
    (e) =>
      Array.isArray(e) &&
      e.length === 4 &&
      e.slice(0, 3).every((n) => typeof n === 'number') &&
      typeof e[3] === 'string',
  );

/** The worker's answer, kept so that a failure surfaces where it is awaited (not as an unhandled rejection). */
type Settled = { ok: true; digests: string[] } | { ok: false; error: unknown };

export class WholeHistoryHashes {
  private constructor(
    private readonly record: string,
    private readonly files: ReadonlyMap<string, PublishedFile>,
    private readonly known: Map<string, string>,
    private readonly hashing: { files: string[]; done: Promise<Settled> } | null,
    /** Whether the record is to be written: a file was hashed, or one it names is gone. */
    private readonly changed: boolean,
  ) {}

  /**
   * Starts hashing, in one worker, each of `files` (every whole-history file now, relative
   * to `out`) that `record` does not hold as it is now; none such: no worker.
   */
  static async start(
    record: string,
    out: string,
    files: ReadonlyMap<string, PublishedFile>,
  ): Promise<WholeHistoryHashes> {
    const was = (await readCacheJson<HashRecord>(record, isRecord)) ?? {};
    const known = new Map<string, string>();
    const todo: string[] = [];
    for (const [file, f] of files) {
      const r = was[file];
      if (r !== undefined && r[0] === f.ino && r[1] === f.size && r[2] === f.mtimeMs) known.set(file, r[3]);
      else todo.push(file);
    }
    const hashing =
      todo.length === 0
        ? null
        : {
            files: todo,
            done: runWorker<string[]>(
              'sha256',
              todo.map((f) => join(out, f)),
            ).then(
              (digests): Settled => ({ ok: true, digests }),
              (error: unknown): Settled => ({ ok: false, error }),
            ),
          };
    const changed = hashing !== null || Object.keys(was).length !== known.size;
    return new WholeHistoryHashes(record, files, known, hashing, changed);
  }

  /** The files the worker hashes in this run (none: no worker). */
  get hashedNow(): readonly string[] {
    return this.hashing?.files ?? [];
  }

  /** Every file's SHA-256 (hex) and the head it was built at; waits for the worker. */
  async digests(): Promise<Map<string, { sha256: string; stamp: ChainHead }>> {
    if (this.hashing !== null) {
      const r = await this.hashing.done;
      if (!r.ok) throw r.error;
      for (const [i, file] of this.hashing.files.entries()) this.known.set(file, r.digests[i] as string);
    }
    const out = new Map<string, { sha256: string; stamp: ChainHead }>();
    for (const [file, f] of this.files) {
      const b64 = this.known.get(file) as string;
      out.set(file, { sha256: Buffer.from(b64, 'base64').toString('hex'), stamp: f.stamp });
    }
    return out;
  }

  /** Saves the record (after `digests`), when a file was hashed or is gone. */
  async save(): Promise<void> {
    if (!this.changed) return;
    const record: HashRecord = {};
    for (const [file, f] of this.files) record[file] = [f.ino, f.size, f.mtimeMs, this.known.get(file) as string];
    await mkdir(dirname(this.record), { recursive: true, mode: PRIVATE_DIR_MODE });
    await writeFileAtomic(this.record, JSON.stringify(record), { durable: false, mode: PRIVATE_FILE_MODE });
  }
}
