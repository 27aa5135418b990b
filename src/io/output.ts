/**
 * Publishes the site into the output folder nginx serves: each file written to a temp
 * name and renamed (never half-written), unchanged files left alone (same mtime).
 */
import { mkdir, readdir, rm } from 'node:fs/promises';
import { dirname, relative, resolve } from 'node:path';
import { writeFileAtomic, writeFileIfChanged } from './atomic-write.js';
import { ifMissing } from './fs-errors.js';
import { isProcessAlive } from './process-alive.js';

function inside(out: string, path: string): string {
  const full = resolve(out, path);
  const rel = relative(resolve(out), full);
  if (rel === '' || rel.startsWith('..') || resolve(out, rel) !== full)
    throw new Error(`refusing to write outside ${out}: ${path}`);
  return full;
}

/**
 * Files written at once. Each write is a handful of trips through libuv's thread pool
 * (read the old file, open, write, close, rename); one at a time, a run waited on each in turn.
 */
const PARALLEL_WRITES = 8;

/**
 * Returns how many files were actually (re)written. `compare: false` is for files the caller
 * already knows to differ (by a hash it keeps): they are written without reading the old ones.
 */
export async function publishFiles(
  out: string,
  files: { path: string; content: string | Buffer }[],
  opts: { compare?: boolean } = {},
): Promise<number> {
  const write =
    opts.compare === false
      ? (path: string, content: string | Buffer) => writeFileAtomic(path, content, { durable: false }).then(() => true)
      : (path: string, content: string | Buffer) => writeFileIfChanged(path, content, { durable: false });
  let written = 0;
  const dirs = new Set<string>();
  for (const f of files) dirs.add(dirname(inside(out, f.path)));
  for (const d of dirs) await mkdir(d, { recursive: true });
  for (let i = 0; i < files.length; i += PARALLEL_WRITES) {
    const batch = files.slice(i, i + PARALLEL_WRITES);
    const done = await Promise.all(batch.map((f) => write(inside(out, f.path), f.content)));
    written += done.filter(Boolean).length;
  }
  return written;
}

export async function removeFiles(out: string, paths: string[]): Promise<void> {
  for (const p of paths) await rm(inside(out, p), { force: true });
}

/**
 * The page URLs published in the folder (every `…/index.html` outside assets/), for a full
 * build to find pages that no longer exist. Removes temp files a killed run left behind.
 */
export async function publishedPages(out: string): Promise<string[]> {
  const entries = await readdir(out, { recursive: true }).catch(ifMissing([] as string[]));
  const urls: string[] = [];
  for (const entry of entries) {
    const path = entry.split('\\').join('/');
    const temp = /\.tmp-(\d+)$/.exec(path);
    if (temp && !isProcessAlive(Number(temp[1]))) await rm(inside(out, path), { force: true });
    if (path.startsWith('assets/') || !(path === 'index.html' || path.endsWith('/index.html'))) continue;
    urls.push(`/${path.slice(0, -'index.html'.length)}`);
  }
  return urls;
}
