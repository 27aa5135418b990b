/** The lookup index and its bucket files as published in the output folder (data/lookup/). */
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ifMissing } from './fs-errors.js';

export const LOOKUP_DIR = 'data/lookup';

const MONTH = /^\d{4}-\d{2}$/;
const BUCKET_FILE = /^([0-9a-f]{2})\.json$/;

/** The published index's text and when it was written, or null when there is none. */
export async function readLookupIndex(out: string): Promise<{ text: string; mtimeMs: number } | null> {
  const path = join(out, LOOKUP_DIR, 'index.json');
  const st = await stat(path).catch(ifMissing(null));
  if (st === null) return null;
  const text = await readFile(path, 'utf8').catch(ifMissing(null));
  return text === null ? null : { text, mtimeMs: st.mtimeMs };
}

/** What data/lookup/ holds besides the index: month folders, and anything else (the old layout's YYYY-MM.json). */
export async function publishedLookupEntries(out: string): Promise<{ months: string[]; others: string[] }> {
  const names = (await readdir(join(out, LOOKUP_DIR)).catch(ifMissing(null))) ?? [];
  const months = names.filter((n) => MONTH.test(n));
  const others = names.filter((n) => !MONTH.test(n) && n !== 'index.json' && !n.startsWith('index.json.tmp-'));
  return { months: months.sort(), others: others.sort() };
}

/**
 * A month folder's bucket files (their names without .json), and whether the folder changed
 * after `sinceMs` (a file written there after the index: a run killed between the two).
 */
export async function monthBucketFiles(
  out: string,
  month: string,
  sinceMs: number,
): Promise<{ buckets: string[]; changedSince: boolean }> {
  const dir = join(out, LOOKUP_DIR, month);
  const st = await stat(dir).catch(ifMissing(null));
  if (st === null) return { buckets: [], changedSince: false };
  const buckets = (await readdir(dir)).flatMap((n) => BUCKET_FILE.exec(n)?.[1] ?? []);
  return { buckets, changedSince: st.mtimeMs > sinceMs };
}

/** Removes month folders and stray entries of data/lookup/ (names as publishedLookupEntries gives them). */
export async function removeLookupEntries(out: string, names: string[]): Promise<void> {
  for (const n of names) {
    if (n === '' || n.includes('/') || n.includes('\\') || n === '.' || n === '..')
      throw new Error(`refusing to remove ${n} from ${LOOKUP_DIR}`);
    await rm(join(out, LOOKUP_DIR, n), { recursive: true, force: true });
  }
}
