/**
 * The lines of the history CSV that hold one of some texts, found by a byte search
 * (a million-row CSV is searched in a fraction of the time parsing it takes). The lines
 * found are then read as rows by readHistory from their offsets.
 */
import { open } from 'node:fs/promises';
import { InputError } from '../core/errors.js';
import { missingRequiredColumns, sessionFromRecord } from '../core/history-rows.js';
import type { Warn } from '../core/result.js';
import type { Session } from '../core/session.js';
import { ifMissing } from './fs-errors.js';
import { isCsvError, linesBefore } from './history-records.js';
import { csv, readHistoryHeader } from './history-store.js';

/** Bytes searched at a time. */
const CHUNK = 1 << 23;
/** Lines closer than this are read in one go (one read instead of two, the same rows). */
const JOIN_GAP = 4096;

export interface Span {
  /** Byte offset of a line start (never 0: the header line is not data). */
  start: number;
  /** Byte offset just past a line end. */
  end: number;
}

/**
 * Spans of whole lines holding one of the texts `needles` for which `keep` (given the line's
 * text) holds, in file order, or null when the CSV has a
 * row over several lines (a quoted line break): a line alone may then be part of a row, so
 * only a full read is right. An empty list when the file is missing.
 */
export async function linesHolding(
  path: string,
  needles: string[],
  keep: (line: string) => boolean,
): Promise<Span[] | null> {
  const fh = await open(path, 'r').catch(ifMissing(null));
  if (fh === null) return [];
  const wanted = needles.map((n) => Buffer.from(n));
  const holds = (line: Buffer): boolean => keep(line.toString('utf8'));
  const buf = Buffer.allocUnsafe(CHUNK);
  const spans: Span[] = [];
  try {
    let pos = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, CHUNK, pos);
      if (bytesRead === 0) break;
      const full = bytesRead === CHUNK;
      // Whole lines only; the rest is read again with the next chunk.
      const last = full ? buf.lastIndexOf(0x0a, bytesRead - 1) : bytesRead - 1;
      if (last < 0) return null; // a line longer than a chunk: not a history row
      const region = buf.subarray(0, last + 1);
      if (splitsRows(region)) return null;
      for (const w of wanted) collect(region, w, pos, holds, spans);
      pos += last + 1;
      if (!full) break;
    }
  } finally {
    await fh.close();
  }
  return joined(spans);
}

/** Whether a line of `region` has an odd number of quotes (a quoted field goes on past it). */
function splitsRows(region: Buffer): boolean {
  for (let q = region.indexOf(0x22); q >= 0; ) {
    const start = region.lastIndexOf(0x0a, q) + 1;
    let end = region.indexOf(0x0a, q);
    if (end < 0) end = region.length;
    let n = 0;
    for (let i = region.indexOf(0x22, start); i >= 0 && i < end; i = region.indexOf(0x22, i + 1)) n++;
    if (n % 2 === 1) return true;
    q = region.indexOf(0x22, end);
  }
  return false;
}

function collect(region: Buffer, needle: Buffer, base: number, holds: (line: Buffer) => boolean, spans: Span[]): void {
  for (let hit = region.indexOf(needle); hit >= 0; ) {
    const start = hit === 0 ? 0 : region.lastIndexOf(0x0a, hit - 1) + 1;
    let end = region.indexOf(0x0a, hit + needle.length);
    end = end < 0 ? region.length : end + 1;
    if (base + start > 0 && holds(region.subarray(start, end))) spans.push({ start: base + start, end: base + end });
    hit = region.indexOf(needle, end);
  }
}

function joined(spans: Span[]): Span[] {
  spans.sort((a, b) => a.start - b.start);
  const out: Span[] = [];
  for (const s of spans) {
    const prev = out.at(-1);
    if (prev !== undefined && s.start - prev.end <= JOIN_GAP) prev.end = Math.max(prev.end, s.end);
    else out.push({ ...s });
  }
  return out;
}

/** The lines of the spans with their byte offsets (a span holds whole lines). */
async function spanLines(path: string, spans: Span[]): Promise<{ text: string; at: number }[]> {
  const lines: { text: string; at: number }[] = [];
  const fh = await open(path, 'r');
  try {
    for (const span of spans) {
      const bytes = Buffer.allocUnsafe(span.end - span.start);
      const { bytesRead } = await fh.read(bytes, 0, bytes.length, span.start);
      let at = span.start;
      for (const text of bytes.subarray(0, bytesRead).toString('utf8').split('\n')) {
        if (text !== '' && text !== '\r') lines.push({ text, at });
        at += Buffer.byteLength(text) + 1;
      }
    }
  } finally {
    await fh.close();
  }
  return lines;
}

/**
 * The sessions of the rows in `spans` (from linesHolding), read by the CSV's own header. A
 * row that cannot be read is told to `warn` with its line and skipped (a lookup writes
 * nothing: the next collect or build sets it aside).
 */
export async function* sessionsInSpans(path: string, spans: Span[], warn: Warn): AsyncGenerator<Session> {
  const header = await readHistoryHeader(path);
  if (header === null || spans.length === 0) return;
  const missing = missingRequiredColumns(header);
  if (missing.length > 0) throw new InputError(path, 1, `not a session history: no column ${missing.join(', ')}`);
  const { parseSync } = await csv();
  const parse = (text: string) => parseSync(text, { relax_column_count: true }) as string[][];
  const lines = await spanLines(path, spans);
  let rows: (string[] | Error)[];
  try {
    // Each line is a row of its own (linesHolding saw no row over several lines): one parse for all.
    rows = parse(lines.map((l) => l.text).join('\n'));
  } catch (e) {
    if (!isCsvError(e)) throw e;
    rows = lines.map((l) => {
      try {
        return parse(l.text)[0] ?? [];
      } catch (e2) {
        if (!isCsvError(e2)) throw e2;
        return e2 as Error;
      }
    });
  }
  for (let k = 0; k < lines.length; k++) {
    const fields = rows[k] ?? [];
    const bad = async (reason: string) =>
      warn(`${path}:${(await linesBefore(path, (lines[k] as { at: number }).at)) + 1}: ${reason}; skipped`);
    if (fields instanceof Error) {
      await bad(fields.message.replace(/ at line \d+/g, ''));
      continue;
    }
    if (fields.length !== header.length) {
      await bad(`${fields.length} fields, the header has ${header.length}`);
      continue;
    }
    const record: Record<string, string> = {};
    for (let i = 0; i < header.length; i++) record[header[i] as string] = fields[i] as string;
    try {
      yield sessionFromRecord(record, path, 0, () => undefined);
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      await bad(e.reason);
    }
  }
}
