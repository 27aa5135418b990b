/** The static files under site/assets/ that every published site carries (CSS, the client script). */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { SITE_DIR } from './site-files.js';

const ASSETS_DIR = join(SITE_DIR, 'assets');

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await listFiles(full)));
    else if (entry.isFile()) out.push(full);
  }
  return out;
}

/** Each file under site/assets/ with its output path ("assets/style.css"), sorted by path. */
export async function siteAssets(): Promise<{ path: string; content: Buffer }[]> {
  const files = (await listFiles(ASSETS_DIR)).sort();
  return Promise.all(
    files.map(async (file) => ({
      path: relative(SITE_DIR, file).split(sep).join('/'),
      content: await readFile(file),
    })),
  );
}

/**
 * A hash of everything under site/ (templates and assets): a new version of either means
 * every page must be rendered again, and asset URLs change so browsers fetch the new ones.
 */
export async function siteFingerprint(): Promise<string> {
  const hash = createHash('sha256');
  for (const file of (await listFiles(SITE_DIR)).sort()) {
    hash
      .update(relative(SITE_DIR, file))
      .update('\u0000')
      .update(await readFile(file))
      .update('\u0000');
  }
  return hash.digest('hex').slice(0, 12);
}
