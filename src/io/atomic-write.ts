/**
 * Atomic file replacement: write a temp file beside the target, fsync it, rename it over
 * the target, fsync the folder. A reader (nginx, another run) sees the old file or the new
 * one, never a half-written one; a crash at any instant leaves one of the two.
 */
import { open, readdir, readFile, rename, unlink } from 'node:fs/promises';
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

export async function writeFileAtomic(path: string, data: string | Uint8Array, opts: WriteOptions = {}): Promise<void> {
  const durable = opts.durable ?? true;
  const tmp = `${path}${TMP_MARK}${process.pid}`;
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
  const next = typeof data === 'string' ? Buffer.from(data) : Buffer.from(data);
  try {
    const current = await readFile(path);
    if (current.equals(next)) return false;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  await writeFileAtomic(path, next, opts);
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
    const pid = Number(name.slice(prefix.length));
    if (Number.isInteger(pid) && !isProcessAlive(pid)) {
      await unlink(join(dir, name)).catch(ifMissing(undefined));
    }
  }
}
