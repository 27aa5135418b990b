import { readFile } from 'node:fs/promises';
import { ifMissing } from './fs-errors.js';

/**
 * The alias file: a JSON object user → alias. Missing means no aliases. A broken file must
 * not stop the dashboard: the problem is returned (the caller warns) and no aliases are used.
 */
export async function loadAliases(path: string): Promise<{ aliases: Record<string, string>; problem: string | null }> {
  let raw: string | null;
  try {
    raw = await readFile(path, 'utf8').catch(ifMissing(null));
  } catch (e) {
    return { aliases: {}, problem: `${path}: cannot be read (${(e as Error).message}); building without aliases` };
  }
  if (raw === null) return { aliases: {}, problem: null };
  let data: unknown;
  try {
    data = JSON.parse(raw.replace(/^\uFEFF/, '')); // editors on Windows save a BOM
  } catch (e) {
    return { aliases: {}, problem: `${path}: not valid JSON (${(e as Error).message}); building without aliases` };
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    return { aliases: {}, problem: `${path}: expected a JSON object {"user": "alias"}; building without aliases` };
  }
  const entries = Object.entries(data);
  for (const [user, alias] of entries) {
    if (typeof alias !== 'string') {
      return { aliases: {}, problem: `${path}: the alias of "${user}" is not a string; building without aliases` };
    }
  }
  // fromEntries keeps a user literally named "__proto__", which assignment would drop.
  return { aliases: Object.fromEntries(entries) as Record<string, string>, problem: null };
}
