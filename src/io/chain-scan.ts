/**
 * What `verify` reads, as raw bytes: the history's (and archives') records one at a time with
 * their line numbers, never parsed into fields (the chain is over the bytes as written), and
 * the yearly archives beside the history. Streamed: a million rows are never held.
 */
import { createReadStream } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { ifMissing } from './fs-errors.js';

export interface RawRow {
  /** Line number of the record's first line (the header is line 1). */
  line: number;
  /** The record's bytes without its line end (a quoted line break kept). */
  text: Buffer;
}

/** Quotes in b[from, to): searched within the row only, not to the chunk's end. */
const countQuotes = (b: Buffer, from: number, to: number): number => {
  const row = b.subarray(from, to);
  let n = 0;
  for (let i = row.indexOf(0x22); i >= 0; i = row.indexOf(0x22, i + 1)) n++;
  return n;
};

/**
 * The records after the header, in file order, a chunk's worth at a time (one await per
 * row would cost more than hashing it). A record ends at a line end outside quotes; a last
 * line without its line end (an append in progress) is left out, like the builder does.
 */
export async function* rawRows(path: string): AsyncGenerator<RawRow[]> {
  let carry: Buffer[] = [];
  let quotes = 0;
  let line = 1;
  let first = 0; // line of the record being gathered
  let header = true;
  const stream = createReadStream(path, { highWaterMark: 1 << 20 });
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      const out: RawRow[] = [];
      let pos = 0;
      for (let nl = chunk.indexOf(0x0a); nl >= 0; nl = chunk.indexOf(0x0a, pos)) {
        quotes += countQuotes(chunk, pos, nl);
        if (first === 0) first = line;
        line++;
        if (quotes % 2 === 0) {
          const piece = chunk.subarray(pos, nl);
          const text = carry.length === 0 ? piece : Buffer.concat([...carry, piece]);
          carry = [];
          quotes = 0;
          const at = first;
          first = 0;
          if (header) header = false;
          else if (text.length > 0 && !(text.length === 1 && text[0] === 0x0d)) out.push({ line: at, text });
        } else carry.push(chunk.subarray(pos, nl + 1));
        pos = nl + 1;
      }
      if (pos < chunk.length) {
        quotes += countQuotes(chunk, pos, chunk.length);
        if (first === 0) first = line;
        carry.push(Buffer.from(chunk.subarray(pos)));
      }
      if (out.length > 0) yield out;
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
}

/** HISTORY.archive-YYYY.csv beside the history, oldest year first. */
export async function listArchives(history: string): Promise<string[]> {
  const dir = dirname(history);
  const prefix = `${basename(history)}.archive-`;
  const names = (await readdir(dir).catch(ifMissing([] as string[]))).filter(
    (n) => n.startsWith(prefix) && /^\d{4}\.csv$/.test(n.slice(prefix.length)),
  );
  return names.sort().map((n) => join(dir, n));
}
