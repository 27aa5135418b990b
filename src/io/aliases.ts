import { readFile } from 'node:fs/promises';
import { ifMissing } from './fs-errors.js';

/**
 * The alias file: a JSON object user → alias. Missing means no aliases. A broken file must
 * not stop the dashboard: the problem is returned (the caller warns) and no aliases are used.
 */
export async function loadAliases(path: string): Promise<{ aliases: Record<string, string>; problem: string | null }> {
  const raw = await readFile(path, 'utf8').catch(ifMissing(null));
  if (raw === null) return { aliases: {}, problem: null };
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch (e) {
    return { aliases: {}, problem: `${path}: not valid JSON (${(e as Error).message}); building without aliases` };
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    return { aliases: {}, problem: `${path}: expected a JSON object {"user": "alias"}; building without aliases` };
  }
  const aliases: Record<string, string> = {};
  for (const [user, alias] of Object.entries(data)) {
    if (typeof alias !== 'string') {
      return { aliases: {}, problem: `${path}: the alias of "${user}" is not a string; building without aliases` };
    }
    aliases[user] = alias;
  }
  return { aliases, problem: null };
}
