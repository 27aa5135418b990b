/**
 * Atomic file replacement: write a temp file beside the target, fsync it, rename it over
 * the target, fsync the folder. A reader (nginx, another run) sees the old file or the new
 * one, never a half-written one; a crash at any instant leaves one of the two.
 */
import { chmod, open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { ifMissing } from './fs-errors.js';
import { isProcessAlive } from './process-alive.js';

const TMP_MARK = '.tmp-';

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

export async function writeFileAtomic(path: string, data: string | Uint8Array, opts: WriteOptions = {}): Promise<void> {
  const durable = opts.durable ?? true;
  const tmp = tempPathFor(path);
  const fh = await open(tmp, 'w', opts.mode ?? 0o644);
  try {
    await fh.writeFile(data);
    if (durable) await fh.sync();
  } catch (e) {
    await fh.close();
    await unlink(tmp);
    throw e;
  }
  await fh.close();
  await rename(tmp, path);
  if (durable) await fsyncDir(dirname(path));
}

/** Writes only when the bytes differ, so unchanged files keep their mtime. Returns true when written. */
export async function writeFileIfChanged(path: string, data: string | Uint8Array, opts: WriteOptions = {}): Promise<boolean> {
  // Bytes given are compared and written as they are (a view, not a copy).
  const next = typeof data === 'string' ? Buffer.from(data) : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
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

/** Removes temp files that a killed writer left beside `path` (only those of dead processes). */
export async function removeStaleTemps(path: string): Promise<void> {
  const dir = dirname(path);
  const prefix = `${basename(path)}${TMP_MARK}`;
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    // `<pid>`, or `<pid>-<n>` where one process has several at once (lock.ts).
    const m = /^(\d+)(?:-\d+)?$/.exec(name.slice(prefix.length));
    if (m && !isProcessAlive(Number(m[1]))) {
      await unlink(join(dir, name)).catch(ifMissing(undefined));
    }
  }
}
