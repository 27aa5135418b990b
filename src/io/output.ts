/**
 * Publishes the site into the output folder nginx serves: each file written to a temp
 * name and renamed (never half-written), unchanged files left alone (same mtime).
 */
import { mkdir, rm } from 'node:fs/promises';
import { dirname, relative, resolve } from 'node:path';
import { writeFileIfChanged } from './atomic-write.js';

function inside(out: string, path: string): string {
  const full = resolve(out, path);
  const rel = relative(resolve(out), full);
  if (rel === '' || rel.startsWith('..') || resolve(out, rel) !== full) throw new Error(`refusing to write outside ${out}: ${path}`);
  return full;
}

/** Returns how many files were actually (re)written. */
export async function publishFiles(out: string, files: { path: string; content: string | Buffer }[]): Promise<number> {
  let written = 0;
  const dirs = new Set<string>();
  for (const f of files) dirs.add(dirname(inside(out, f.path)));
  for (const d of dirs) await mkdir(d, { recursive: true });
  for (const f of files) {
    if (await writeFileIfChanged(inside(out, f.path), f.content, { durable: false })) written++;
  }
  return written;
}

export async function removeFiles(out: string, paths: string[]): Promise<void> {
  for (const p of paths) await rm(inside(out, p), { force: true });
}

