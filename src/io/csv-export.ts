/**
 * Writes export rows as CSV (csv-stringify): UTF-8 with a byte order mark (so Excel reads
 * umlauts right), a header row, CRLF line ends (RFC 4180, what Excel writes), `;` between
 * fields in German and `,` in English (see csvDelimiter), numbers as digits, times as
 * `YYYY-MM-DD HH:MM:SS` in the zone, empty cells for nulls.
 *
 * Text that a spreadsheet would take for a formula gets a leading apostrophe (escapeFormula:
 * csv-stringify's own `escape_formulas` misses the full-width characters). CSV cannot hold
 * lone UTF-16 surrogates: UTF-8 writes them as U+FFFD.
 *
 * A large file (or rows from a generator) is streamed through csv-stringify to a temp file
 * beside the target, then renamed over it; a small one is made in memory with the same
 * quoting (csvText). A target that already holds the same bytes is left alone (same mtime).
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { stat, unlink } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { sha256Hex } from '../core/chain.js';
import { EXPORT_COLUMNS, escapeFormula, exportHeaders, type ExportRow } from '../core/export-rows.js';
import type { Lang } from '../core/settings.js';
import { publishTempFile, tempPathFor, writeFileIfChanged, type WriteOptions } from './atomic-write.js';
import { fileError, ifMissing } from './fs-errors.js';
import type { ExportWriteResult } from './xlsx-export.js';

export interface CsvWriteOptions extends WriteOptions {
  lang: Lang;
  /**
   * Field separator. Default by language: `;` for German (German Excel splits a CSV it opens
   * by double-click at its list separator, `;`, and would show one column), `,` for English.
   */
  delimiter?: ',' | ';';
}

export function csvDelimiter(opts: Pick<CsvWriteOptions, 'lang' | 'delimiter'>): ',' | ';' {
  return opts.delimiter ?? (opts.lang === 'de' ? ';' : ',');
}

/** One row as CSV fields, in column order. */
export function csvFields(r: ExportRow): string[] {
  return EXPORT_COLUMNS.map((c) => {
    const v = r[c.key];
    if (v === null) return '';
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) throw new RangeError(`export column ${c.key} holds ${v}, not a number`);
      return String(v);
    }
    return c.kind === 'text' ? escapeFormula(v) : v;
  });
}

/** Up to this many rows a file is built in memory and written at once: streams cost more than the rows for small files. */
const IN_MEMORY_ROWS = 20_000;

/**
 * The CSV text of `records` as csv-stringify writes it with the options writeCsv gives it:
 * a field quoted when it holds a quote, the delimiter, CR or LF, quotes doubled; CRLF after
 * every record; a byte order mark first. A small file's text is made here: csv-stringify
 * is slow on its first calls in a fresh process, and a cron run writes a dozen small files
 * (a test holds both to the same bytes).
 */
function csvText(records: readonly (readonly string[])[], delimiter: string): string {
  return `\uFEFF${csvRecords(records, delimiter)}`;
}

/** Records as csvText writes them, without the byte order mark. */
function csvRecords(records: readonly (readonly string[])[], delimiter: string): string {
  let text = '';
  for (const record of records) {
    for (let i = 0; i < record.length; i++) {
      const v = record[i] as string;
      if (i > 0) text += delimiter;
      text +=
        v.includes('"') || v.includes(delimiter) || v.includes('\r') || v.includes('\n')
          ? `"${v.replaceAll('"', '""')}"`
          : v;
    }
    text += '\r\n';
  }
  return text;
}

/** The start of a CSV file: the byte order mark and the header. */
export function csvHead(opts: Pick<CsvWriteOptions, 'lang' | 'delimiter'>): string {
  return csvText([exportHeaders(opts.lang).map(escapeFormula)], csvDelimiter(opts));
}

/** `rows` as CSV records, for the text after csvHead (the whole-history files' pieces). */
export function csvRows(rows: readonly ExportRow[], opts: Pick<CsvWriteOptions, 'lang' | 'delimiter'>): string {
  return csvRecords(rows.map(csvFields), csvDelimiter(opts));
}

/**
 * Writes `rows` to `path` (a .csv file) unless it already holds exactly these bytes.
 * `rows` may be an (async) generator: rows are consumed as the file is written. One write
 * per path at a time: the temp file's name is the path plus this process's id.
 */
export async function writeCsv(
  path: string,
  rows: Iterable<ExportRow> | AsyncIterable<ExportRow>,
  opts: CsvWriteOptions,
): Promise<ExportWriteResult> {
  // quote_record_delimiter: with a record_delimiter given it defaults to false, and a CN
  // holding a lone CR or LF would then split its row when read back.
  const options = {
    bom: true,
    delimiter: csvDelimiter(opts),
    record_delimiter: 'windows',
    quote_record_delimiter: true,
  } as const;
  // The header is a record, not csv-stringify's `header`: that needs `columns`, and the labels are escaped too.
  const header = exportHeaders(opts.lang).map(escapeFormula);
  if (Array.isArray(rows) && rows.length <= IN_MEMORY_ROWS) {
    const list = rows as ExportRow[];
    const bytes = Buffer.from(csvText([header, ...list.map(csvFields)], options.delimiter));
    const written = await writeFileIfChanged(path, bytes, opts);
    return { written, bytes: bytes.length, rows: list.length, sha256: sha256Hex(bytes) };
  }
  const tmp = tempPathFor(path);
  let count = 0;
  async function* records(): AsyncGenerator<string[]> {
    yield header;
    for await (const r of rows) {
      count++;
      yield csvFields(r);
    }
  }
  // Loaded here: only large files stream, and most cron runs need not load it.
  const { stringify } = await import('csv-stringify');
  // The sums of the exports take the bytes as they go to the file, not read back.
  const hash = createHash('sha256');
  const hashing = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      done(null, chunk);
    },
  });
  try {
    const file = createWriteStream(tmp, { mode: opts.mode ?? 0o644 });
    await pipeline(Readable.from(records()), stringify(options), hashing, file);
  } catch (e) {
    await unlink(tmp).catch(ifMissing(undefined));
    throw fileError(e, path, 'write');
  }
  const written = await publishTempFile(tmp, path, opts);
  const { size } = await stat(path);
  return { written, bytes: size, rows: count, sha256: hash.digest('hex') };
}

/**
 * A table of text and number cells (the monthly reports' summary, src/core/report.ts) as CSV
 * bytes, quoted and escaped like the export files. A fraction is written with the decimal
 * separator of the language's spreadsheets (`1,5` in German, whose CSV splits at `;`).
 */
export function csvTable(
  header: readonly string[],
  records: readonly (readonly (string | number | null)[])[],
  opts: Pick<CsvWriteOptions, 'lang' | 'delimiter'>,
): Buffer {
  const field = (v: string | number | null): string => {
    if (v === null) return '';
    if (typeof v === 'string') return escapeFormula(v);
    if (!Number.isFinite(v)) throw new RangeError(`report cell holds ${v}, not a number`);
    return opts.lang === 'de' ? String(v).replace('.', ',') : String(v);
  };
  return Buffer.from(csvText([header.map(escapeFormula), ...records.map((r) => r.map(field))], csvDelimiter(opts)));
}
