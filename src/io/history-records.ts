/**
 * The history CSV split into records so that one bad line costs only itself: a record is one
 * line, or several while a quoted field holds line breaks. One-line records are parsed in
 * batches (as fast as a streaming parse); a record that does not parse, or has the wrong
 * number of fields, comes back as 'bad' with its place in the file, and reading goes on.
 */
import { createReadStream } from 'node:fs';

export interface RawLine {
  /** The line without its line end (at most LINE_KEEP bytes of it). */
  bytes: Buffer;
  /** Byte offset of its start in the file. */
  offset: number;
  /** 0 for the first line read (not necessarily the file's first). */
  index: number;
  /** False for a last line without a line end. */
  ended: boolean;
  /** Bytes of the line beyond LINE_KEEP, not held. */
  dropped: number;
}

export type RawRecord =
  | { kind: 'row'; fields: string[]; lines: RawLine[] }
  | { kind: 'bad'; reason: string; lines: RawLine[] };

type Pending = RawRecord | { kind: 'single'; lines: [RawLine] };
type ParseSync = typeof import('csv-parse/sync').parse;

/** Bytes of one line kept: a longer line (garbage) is counted, not held. */
export const LINE_KEEP = 65536;
/** Lines one record may span: OpenVPN's names hold no line breaks, so more means a stray quote. */
const RECORD_LINES_MAX = 8;
const NL = Buffer.from('\n');
// A lone CR inside a field is data, not a record end.
const PARSE_OPTIONS = { relax_column_count: true, record_delimiter: ['\r\n', '\n'] };

const quotes = (b: Buffer): number => {
  let n = 0;
  for (let i = b.indexOf(0x22); i >= 0; i = b.indexOf(0x22, i + 1)) n++;
  return n;
};
const isEmpty = (l: RawLine): boolean =>
  l.dropped === 0 && (l.bytes.length === 0 || (l.bytes.length === 1 && l.bytes[0] === 0x0d));
/** csv-parse counts lines from the text it was given: drop that, the caller knows the real line. */
const csvReason = (e: Error): string => e.message.replace(/ at line \d+/g, '');
/** csv-parse's own errors (one of its codes lacks the CSV_ prefix). */
export const isCsvError = (e: unknown): e is Error =>
  e instanceof Error && 'code' in e && /^(CSV_|INVALID_OPENING_QUOTE$)/.test(String((e as { code: unknown }).code));

class Splitter {
  private carry: Buffer[] = [];
  private carryLength = 0;
  private dropped = 0;
  private offset: number;
  private index = 0;
  /** Lines of a record whose quoted field goes on past a line end. */
  private open: RawLine[] = [];
  private openQuotes = 0;

  constructor(
    start: number,
    private readonly columns: number,
    private readonly skipFirst: boolean,
    private readonly parse: ParseSync,
  ) {
    this.offset = start;
  }

  push(chunk: Buffer): RawRecord[] {
    const out: Pending[] = [];
    for (let pos = 0; ; ) {
      const nl = chunk.indexOf(0x0a, pos);
      this.keep(chunk.subarray(pos, nl < 0 ? chunk.length : nl));
      if (nl < 0) break;
      this.line(this.takeLine(true), out);
      pos = nl + 1;
    }
    return this.settle(out);
  }

  end(): RawRecord[] {
    const out: Pending[] = [];
    if (this.carryLength + this.dropped > 0) this.line(this.takeLine(false), out);
    if (this.open.length > 0) this.close(out);
    return this.settle(out);
  }

  private keep(piece: Buffer): void {
    const room = Math.max(0, LINE_KEEP - this.carryLength);
    if (piece.length > room) {
      this.dropped += piece.length - room;
      piece = piece.subarray(0, room);
    }
    if (piece.length > 0) {
      this.carry.push(piece);
      this.carryLength += piece.length;
    }
  }

  private takeLine(ended: boolean): RawLine {
    const bytes = this.carry.length === 1 ? (this.carry[0] as Buffer) : Buffer.concat(this.carry, this.carryLength);
    const line: RawLine = { bytes, offset: this.offset, index: this.index++, ended, dropped: this.dropped };
    this.offset += this.carryLength + this.dropped + 1;
    this.carry = [];
    this.carryLength = 0;
    this.dropped = 0;
    return line;
  }

  private line(l: RawLine, out: Pending[]): void {
    if (this.skipFirst && l.index === 0) return; // the header, checked on its own
    if (this.open.length > 0) {
      this.open.push(l);
      this.openQuotes += quotes(l.bytes);
      if (this.openQuotes % 2 === 0 || this.open.length >= RECORD_LINES_MAX || l.dropped > 0 || !l.ended)
        this.close(out);
      return;
    }
    if (isEmpty(l)) return;
    if (l.dropped > 0) {
      out.push({
        kind: 'bad',
        reason: `line is longer than ${LINE_KEEP} bytes (${l.bytes.length + l.dropped})`,
        lines: [l],
      });
      return;
    }
    const q = quotes(l.bytes);
    if (q % 2 === 0) {
      out.push({ kind: 'single', lines: [l] });
      return;
    }
    this.open = [l];
    this.openQuotes = q;
    if (!l.ended) this.close(out);
  }

  /** Judges a record of several lines at once; a bad one costs only its first line, the others are read again. */
  private close(out: Pending[]): void {
    const lines = this.open;
    this.open = [];
    this.openQuotes = 0;
    const fields = lines.some((l) => l.dropped > 0)
      ? 'line too long'
      : this.fieldsOf(Buffer.concat(lines.flatMap((l) => [l.bytes, NL])));
    if (typeof fields !== 'string') {
      out.push({ kind: 'row', fields, lines });
      return;
    }
    out.push({
      kind: 'bad',
      reason: `a quote opened on this line does not close into a row (${fields})`,
      lines: [lines[0] as RawLine],
    });
    for (const l of lines.slice(1)) this.line(l, out);
  }

  /** The fields of one record, or why it is not one. */
  private fieldsOf(text: Buffer): string[] | string {
    let rows: string[][];
    try {
      rows = this.parse(text, PARSE_OPTIONS) as string[][];
    } catch (e) {
      if (isCsvError(e)) return csvReason(e);
      throw e;
    }
    if (rows.length !== 1) return `holds ${rows.length} records`;
    const fields = rows[0] as string[];
    return fields.length === this.columns ? fields : `has ${fields.length} field(s); the header has ${this.columns}`;
  }

  /** Parses the one-line records in one go; only when that fails, one by one. */
  private settle(out: Pending[]): RawRecord[] {
    const singles = out.filter((p) => p.kind === 'single');
    if (singles.length === 0) return out as RawRecord[];
    let rows: string[][] | null = null;
    try {
      rows = this.parse(Buffer.concat(singles.flatMap((p) => [p.lines[0].bytes, NL])), PARSE_OPTIONS) as string[][];
    } catch (e) {
      if (!isCsvError(e)) throw e;
    }
    if (rows !== null && rows.length !== singles.length) rows = null;
    let i = 0;
    return out.map((p): RawRecord => {
      if (p.kind !== 'single') return p;
      const row = rows?.[i++];
      const fields = row === undefined ? this.fieldsOf(Buffer.concat([p.lines[0].bytes, NL])) : row;
      if (typeof fields === 'string') return { kind: 'bad', reason: fields, lines: p.lines };
      if (fields.length !== this.columns)
        return { kind: 'bad', reason: `has ${fields.length} field(s); the header has ${this.columns}`, lines: p.lines };
      return { kind: 'row', fields, lines: p.lines };
    });
  }
}

/**
 * The records from byte `start` (a line start; 0 skips the header line) to `end`, in file
 * order, a chunk's worth at a time.
 */
export async function* historyRecords(
  path: string,
  columns: number,
  start: number,
  end?: number,
): AsyncGenerator<RawRecord[]> {
  if (end !== undefined && end <= start) return;
  const { parse } = await import('csv-parse/sync');
  const splitter = new Splitter(start, columns, start === 0, parse);
  const stream = createReadStream(path, {
    start,
    ...(end === undefined ? {} : { end: end - 1 }),
    highWaterMark: 1 << 16,
  });
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    const records = splitter.push(chunk);
    if (records.length > 0) yield records;
  }
  const rest = splitter.end();
  if (rest.length > 0) yield rest;
}

/** Lines before byte `end` (line ends counted), for the real line number of a tail's rows. */
export async function linesBefore(path: string, end: number): Promise<number> {
  if (end <= 0) return 0;
  let n = 0;
  for await (const chunk of createReadStream(path, {
    start: 0,
    end: end - 1,
    highWaterMark: 1 << 16,
  }) as AsyncIterable<Buffer>) {
    for (let i = chunk.indexOf(0x0a); i >= 0; i = chunk.indexOf(0x0a, i + 1)) n++;
  }
  return n;
}
