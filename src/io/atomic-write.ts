/**
 * Atomic file replacement: write a temp file beside the target, fsync it, rename it over
 * the target, fsync the folder. A reader (nginx, another run) sees the old file or the new
 * one, never a half-written one; a crash at any instant leaves one of the two.
 */
import { chmod, lstat, open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { ifMissing, onFile } from './fs-errors.js';
import { isProcessAlive, processStartedAtMs } from './process-alive.js';

const TMP_MARK = '.tmp-';

/**
 * Modes of what holds personal data (user names, public addresses): the history, its state
 * and the build cache. Owner and group only, like the trash and the audit log (0600); the
 * published site keeps 0644/0755, as nginx must read it.
 */
export const PRIVATE_FILE_MODE = 0o640;
export const PRIVATE_DIR_MODE = 0o750;

export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export interface WriteOptions {
  mode?: number;
  /**
   * fsync file and folder (default). Off for the published site: rename alone keeps readers
   * from seeing half a file, and after a power loss the next build writes the pages again
   * from the history, which is durable.
   */
  durable?: boolean;
}

/** The temp file beside `path` that this process writes before renaming it (removeStaleTemps knows the name). */
export function tempPathFor(path: string): string {
  return `${path}${TMP_MARK}${process.pid}`;
}

/** Removes the temp file of a write that failed, then rethrows its error. */
const dropTemp =
  (tmp: string) =>
  async (e: unknown): Promise<never> => {
    await unlink(tmp).catch(ifMissing(undefined));
    throw e;
  };

/**
 * A new file gets `mode` (default 0644); a file replaced gets it too, whatever it had. A disk
 * full, a permission or a read-only file system comes out as a FileSystemError naming `path`.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, opts: WriteOptions = {}): Promise<void> {
  const durable = opts.durable ?? true;
  const tmp = tempPathFor(path);
  await onFile(path, 'write', async () => {
    const fh = await open(tmp, 'w', opts.mode ?? 0o644);
    try {
      await fh.writeFile(data);
      if (durable) await fh.sync();
    } catch (e) {
      await fh.close();
      await dropTemp(tmp)(e);
    }
    await fh.close();
    await rename(tmp, path).catch(dropTemp(tmp));
    if (durable) await fsyncDir(dirname(path));
  });
}

/** Writes only when the bytes differ, so unchanged files keep their mtime. Returns true when written. */
export async function writeFileIfChanged(
  path: string,
  data: string | Uint8Array,
  opts: WriteOptions = {},
): Promise<boolean> {
  // Bytes given are compared and written as they are (a view, not a copy).
  const next =
    typeof data === 'string' ? Buffer.from(data) : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  try {
    const current = await readFile(path);
    if (current.equals(next)) return false;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  await writeFileAtomic(path, next, opts);
  return true;
}

/** True when `b` exists and holds the same bytes as `a`; compared in chunks, so large files cost no memory. */
async function sameBytes(a: string, b: string): Promise<boolean> {
  const fa = await open(a, 'r');
  try {
    const fb = await open(b, 'r').catch(ifMissing(null));
    if (fb === null) return false;
    try {
      const size = (await fa.stat()).size;
      if ((await fb.stat()).size !== size) return false;
      const CHUNK = 1 << 20;
      const ba = Buffer.alloc(Math.min(CHUNK, size));
      const bb = Buffer.alloc(ba.length);
      for (let at = 0; at < size; at += CHUNK) {
        const n = Math.min(CHUNK, size - at);
        await fa.read(ba, 0, n, at);
        await fb.read(bb, 0, n, at);
        if (!ba.subarray(0, n).equals(bb.subarray(0, n))) return false;
      }
      return true;
    } finally {
      await fb.close();
    }
  } finally {
    await fa.close();
  }
}

/**
 * Puts a finished temp file (from a streaming writer, at tempPathFor(path)) in place of
 * `path` the way writeFileAtomic does. When `path` already holds the same bytes, the temp
 * file is removed instead and `path` keeps its mtime. Returns true when `path` was replaced.
 * On any failure the temp file is removed and the error rethrown.
 */
export async function publishTempFile(tmp: string, path: string, opts: WriteOptions = {}): Promise<boolean> {
  return onFile(path, 'write', () => publishTemp(tmp, path, opts));
}

async function publishTemp(tmp: string, path: string, opts: WriteOptions): Promise<boolean> {
  const durable = opts.durable ?? true;
  try {
    if (await sameBytes(tmp, path)) {
      await unlink(tmp);
      return false;
    }
    if (opts.mode !== undefined) await chmod(tmp, opts.mode);
    if (durable) {
      const fh = await open(tmp, 'r+');
      try {
        await fh.sync();
      } finally {
        await fh.close();
      }
    }
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(ifMissing(undefined));
    throw e;
  }
  if (durable) await fsyncDir(dirname(path));
  return true;
}

/** `<pid>`, or `<pid>-<n>` where one process has several at once (lock.ts). */
const TEMP_SUFFIX = /\.tmp-(\d+)(?:-\d+)?$/;

/**
 * True when the process that wrote a temp file is gone: dead, or its pid is now a process that
 * started after the file was last written (reused). Never this process's own.
 */
function writerGone(pid: number, mtimeMs: number): boolean {
  if (pid === process.pid) return false;
  if (!isProcessAlive(pid)) return true;
  const started = processStartedAtMs(pid);
  // The start time is known to about a second (see processStartedAtMs).
  return started !== null && started > mtimeMs + 2000;
}

/**
 * Removes the temp files (see tempPathFor) that killed writers left in `dir`: names starting
 * with `prefix`, in the whole tree below `dir` when `recursive`. A live writer's stay. Returns
 * the paths removed.
 */
export async function removeLeftoverTemps(
  dir: string,
  opts: { prefix?: string; recursive?: boolean } = {},
): Promise<string[]> {
  const names = await onFile(dir, 'list', () => readdir(dir, { recursive: opts.recursive ?? false })).catch(
    ifMissing([] as string[]),
  );
  const removed: string[] = [];
  for (const name of names) {
    const m = TEMP_SUFFIX.exec(name);
    if (!m || !basename(name).startsWith(opts.prefix ?? '')) continue;
    const path = join(dir, name);
    const st = await lstat(path).catch(ifMissing(null));
    if (st === null || !st.isFile() || !writerGone(Number(m[1]), st.mtimeMs)) continue;
    await onFile(path, 'remove', () => unlink(path)).catch(ifMissing(undefined));
    removed.push(path);
  }
  return removed;
}

/** Removes temp files that a killed writer left beside `path` (only those of gone processes). */
export async function removeStaleTemps(path: string): Promise<void> {
  const prefix = `${basename(path)}${TMP_MARK}`;
  await removeLeftoverTemps(dirname(path), { prefix });
}
