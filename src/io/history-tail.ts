import { open, type FileHandle } from 'node:fs/promises';
import type { Session } from '../core/session.js';
import { ifMissing } from './fs-errors.js';
import type { Warn } from '../core/result.js';
import type { QuarantineMode } from './history-quarantine.js';
import { readHistory } from './history-store.js';

export interface HistoryChunks {
  /** The CSV's size when opened, up to its last line end: the builder's next start. */
  size: number;
  /** The sessions after byte `from`, in file order, at most `chunk` at a time. */
  chunks: AsyncIterable<Session[]>;
}

export interface TailOptions {
  /** Where bad rows (set aside) and corrected ones are told; without it a bad row is an InputError. */
  warn?: Warn;
  /** 'off' for a copy from another host, which is never written. */
  quarantine?: QuarantineMode;
}

/** Byte 0x0a before `at`? */
async function lineEndBefore(fh: FileHandle, at: number): Promise<boolean> {
  const b = Buffer.alloc(1);
  await fh.read(b, 0, 1, at - 1);
  return b[0] === 0x0a;
}

/** The end of the last whole line within the first `size` bytes (0 when there is none). */
async function wholeLinesEnd(fh: FileHandle, size: number): Promise<number> {
  if (size === 0 || (await lineEndBefore(fh, size))) return size;
  const buf = Buffer.alloc(65536);
  for (let end = size; end > 0; ) {
    const from = Math.max(0, end - buf.length);
    const { bytesRead } = await fh.read(buf, 0, end - from, from);
    const nl = buf.subarray(0, bytesRead).lastIndexOf(0x0a);
    if (nl >= 0) return from + nl + 1;
    end = from;
  }
  return 0;
}

/**
 * The sessions appended to the CSV after byte `from`: the builder reads only what is new
 * since its last run. A full build streams the whole file in chunks, so a large history is
 * never held. Nothing past `limit` is read, nor a last line without its line end (an append
 * in progress or cut short: the collector completes or cuts it, and the next build reads it).
 * Bad rows are set aside, never a stop; when `from` is no longer a line start (the file was
 * edited by hand), the whole file is read again (the builder merges by id).
 */
export async function historyChunks(
  path: string,
  from: number,
  chunk: number,
  limit = Number.POSITIVE_INFINITY,
  opts: TailOptions = {},
): Promise<HistoryChunks> {
  const fh = await open(path, 'r').catch(ifMissing(null));
  if (!fh) return { size: 0, chunks: none() };
  let size: number;
  let start = from;
  try {
    // `limit`: a copied history is read only as far as its state says it was written.
    size = await wholeLinesEnd(fh, Math.min((await fh.stat()).size, limit));
    if (from > 0 && from < size && !(await lineEndBefore(fh, from))) {
      opts.warn?.(
        `${path}: byte ${from}, where the last build stopped reading, is no longer a line start (edited by hand?): reading the whole file`,
      );
      start = 0;
    }
  } finally {
    await fh.close();
  }
  if (start >= size) return { size, chunks: none() };
  return { size, chunks: streamed(path, start, size, chunk, opts) };
}

async function* none(): AsyncGenerator<Session[]> {}

async function* streamed(
  path: string,
  start: number,
  size: number,
  chunk: number,
  opts: TailOptions,
): AsyncGenerator<Session[]> {
  let list: Session[] = [];
  for await (const s of readHistory(path, { start, end: size, warn: opts.warn, quarantine: opts.quarantine })) {
    list.push(s);
    if (list.length >= chunk) {
      yield list;
      list = [];
    }
  }
  if (list.length > 0) yield list;
}
