/** The static files under site/assets/ that every published site carries (CSS, the client script). */
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { SITE_DIR } from './eleventy.js';

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
