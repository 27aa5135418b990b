import { open } from 'node:fs/promises';
import { InputError } from '../core/errors.js';
import { sessionFromRecord } from '../core/history-rows.js';
import type { Session } from '../core/session.js';
import { ifMissing } from './fs-errors.js';
import { bytesFrom, csv, readHistory, readHistoryHeader } from './history-store.js';

export interface HistoryChunks {
  /** The CSV's size when opened: the builder's next start. */
  size: number;
  /** The sessions after byte `from`, in file order, at most `chunk` at a time. */
  chunks: AsyncIterable<Session[]>;
}

/**
 * The sessions appended to the CSV after byte `from`: the builder reads only what is new
 * since its last run (a small tail, parsed at once). From 0 it streams the whole file in
 * chunks, so a full build of a large history never holds it all. Nothing past `limit` is read.
 */
export async function historyChunks(path: string, from: number, chunk: number, limit = Number.POSITIVE_INFINITY): Promise<HistoryChunks> {
  const fh = await open(path, 'r').catch(ifMissing(null));
  if (!fh) return { size: 0, chunks: none() };
  let size: number;
  let tail: Buffer;
  try {
    // `limit`: a copied history is read only as far as its state says it was written.
    size = Math.min((await fh.stat()).size, limit);
    tail = from === 0 || from >= size ? Buffer.alloc(0) : (await bytesFrom(fh, from)).subarray(0, size - from);
  } finally {
    await fh.close();
  }
  if (from === 0) return { size, chunks: streamed(path, size, chunk) };
  if (tail.length === 0) return { size, chunks: none() };
  const header = await readHistoryHeader(path);
  if (!header) return { size, chunks: none() };
  const { parseSync } = await csv();
  let rows: Record<string, string>[];
  try {
    rows = parseSync(tail, { columns: header, skip_empty_lines: true }) as Record<string, string>[];
  } catch (e) {
    throw new InputError(path, null, `after byte ${from}: ${(e as Error).message}`);
  }
  const sessions = rows.map((r, i) => sessionFromRecord(r, path, i + 1));
  return { size, chunks: once(sessions) };
}

async function* none(): AsyncGenerator<Session[]> {}

async function* once(sessions: Session[]): AsyncGenerator<Session[]> {
  yield sessions;
}

/** The whole file, in chunks; rows past `size` (none while the caller holds the lock) are left for the next build. */
async function* streamed(path: string, size: number, chunk: number): AsyncGenerator<Session[]> {
  let list: Session[] = [];
  for await (const s of readHistory(path, size)) {
    list.push(s);
    if (list.length >= chunk) {
      yield list;
      list = [];
    }
  }
  if (list.length > 0) yield list;
}
