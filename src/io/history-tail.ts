import { open } from 'node:fs/promises';
import { parse as parseSync } from 'csv-parse/sync';
import { InputError } from '../core/errors.js';
import { sessionFromRecord } from '../core/history-rows.js';
import type { Session } from '../core/session.js';
import { ifMissing } from './fs-errors.js';
import { bytesFrom, readAllHistory, readHistoryHeader } from './history-store.js';

/**
 * The sessions appended to the CSV after byte `from`, and the CSV's size: the builder
 * reads only what is new since its last run. From 0 it streams the whole file.
 */
export async function readHistorySince(path: string, from: number): Promise<{ sessions: Session[]; size: number }> {
  const fh = await open(path, 'r').catch(ifMissing(null));
  if (!fh) return { sessions: [], size: 0 };
  let size: number;
  let tail: Buffer;
  try {
    size = (await fh.stat()).size;
    tail = from === 0 ? Buffer.alloc(0) : await bytesFrom(fh, from);
  } finally {
    await fh.close();
  }
  if (from === 0) return { sessions: await readAllHistory(path), size };
  if (tail.length === 0) return { sessions: [], size };
  const header = await readHistoryHeader(path);
  if (!header) return { sessions: [], size };
  let rows: Record<string, string>[];
  try {
    rows = parseSync(tail, { columns: header, skip_empty_lines: true }) as Record<string, string>[];
  } catch (e) {
    throw new InputError(path, null, `after byte ${from}: ${(e as Error).message}`);
  }
  return { sessions: rows.map((r, i) => sessionFromRecord(r, path, i + 1)), size };
}
