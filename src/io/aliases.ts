import { readFile } from 'node:fs/promises';
import type { Warn } from '../core/result.js';
import { ifMissing } from './fs-errors.js';

/**
 * The alias file: a JSON object user → alias. Missing means no aliases. A broken file must
 * not stop the dashboard: the problem goes to `warn` and no aliases are used.
 */
export async function loadAliases(path: string, warn: Warn): Promise<Record<string, string>> {
  const none = (problem: string): Record<string, string> => {
    warn(`${path}: ${problem}; building without aliases`);
    return {};
  };
  let raw: string | null;
  try {
    raw = await readFile(path, 'utf8').catch(ifMissing(null));
  } catch (e) {
    return none(`cannot be read (${(e as Error).message})`);
  }
  if (raw === null) return {};
  let data: unknown;
  try {
    data = JSON.parse(raw.replace(/^\uFEFF/, '')); // editors on Windows save a BOM
  } catch (e) {
    return none(`not valid JSON (${(e as Error).message})`);
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    return none(`expected a JSON object {"user": "alias"}`);
  }
  const entries = Object.entries(data);
  for (const [user, alias] of entries) {
    if (typeof alias !== 'string') {
      return none(`the alias of "${user}" is not a string`);
    }
  }
  // fromEntries keeps a user literally named "__proto__", which assignment would drop.
  return Object.fromEntries(entries) as Record<string, string>;
}
