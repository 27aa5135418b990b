/** The lookup index and month shards as published in the output folder (data/lookup/). */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ifMissing } from './fs-errors.js';

export const LOOKUP_DIR = 'data/lookup';

/** The published index's text, or null when there is none. */
export async function readLookupIndex(out: string): Promise<string | null> {
  return readFile(join(out, LOOKUP_DIR, 'index.json'), 'utf8').catch(ifMissing(null));
}

/** The months whose shards are published (YYYY-MM.json). */
export async function publishedLookupMonths(out: string): Promise<string[]> {
  const names = (await readdir(join(out, LOOKUP_DIR)).catch(ifMissing(null))) ?? [];
  return names.flatMap((n) => {
    const m = /^(\d{4}-\d{2})\.json$/.exec(n);
    return m ? [m[1] as string] : [];
  });
}
