/**
 * Writes export rows as an .xlsx file with exceljs' streaming writer (rows go to the zip as
 * they are added; the plain Workbook holds every cell and needs gigabytes at 100,000 rows).
 *
 * - Header row bold and frozen, autofilter over it, a width per column.
 * - Start and end are date cells showing the zone's wall time (`yyyy-mm-dd hh:mm:ss`):
 *   Excel has no zones, so the cell holds the wall time read as if it were UTC.
 * - Durations and byte counts are numbers; text is always a string cell, so a common name
 *   `=1+2` stays the text `=1+2`: a shared string in a small workbook, an inline one in a
 *   streamed workbook, whose table of every distinct text would otherwise stay in memory
 *   until the end and then be written as one string (xlsx-sheet.ts, rowXml).
 * - The same rows give the same bytes: the workbook's created/modified time and the zip
 *   entries' times are fixed (see `timestamp`), so publishTempFile can leave an unchanged
 *   file alone (same mtime).
 * - Written to a temp file beside the target, then renamed over it (atomic-write.ts); a
 *   small file is built in memory first and written only when its bytes differ.
 * - Data rows bypass exceljs' Row/Cell objects for speed (see WorkbookInternals).
 */
import { createWriteStream, existsSync, readFileSync, statSync } from 'node:fs';
import { open, stat, unlink } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Writable } from 'node:stream';
import type ExcelJS from 'exceljs';
import { EXPORT_COLUMNS, exportHeaders, exportSheetName, type ExportRow } from '../core/export-rows.js';
import type { Lang } from '../core/settings.js';
import { publishTempFile, tempPathFor, writeFileIfChanged, type WriteOptions } from './atomic-write.js';
import { fileError, ifMissing } from './fs-errors.js';
import { dosDateTime, MemorySink, MemoryZip, zipParts, type ZipPart } from './memory-zip.js';
import { rowXml, templateFromParts, templateWorkbook, xlsxText, type XlsxTemplate } from './xlsx-sheet.js';

export interface XlsxWriteOptions extends WriteOptions {
  lang: Lang;
  /**
   * ISO UTC instant stored as the workbook's created and modified time and as every zip
   * entry's time. Default 1980-01-01T00:00:00Z (the earliest time a zip can hold): a clock
   * reading here would make every build's bytes differ.
   */
  timestamp?: string;
}

export interface ExportWriteResult {
  /** False when the file already held these bytes and was left alone (mtime unchanged). */
  written: boolean;
  /** Size of the file now at the path. */
  bytes: number;
  /** Data rows written (without the header). */
  rows: number;
}

const DEFAULT_TIMESTAMP = '1980-01-01T00:00:00Z';
const DATE_FORMAT = 'yyyy-mm-dd hh:mm:ss';

/** The end record (22 bytes plus a comment of up to 65,535) closes a zip: where it starts in `tail`. */
function endRecordAt(tail: Buffer, name: string): number {
  for (let i = tail.length - 22; i >= 0; i--) if (tail.readUInt32LE(i) === 0x06054b50) return i;
  throw new Error(`${name}: no zip end record`);
}

/** The central directory's entry count, size and offset, from the end record at `eocd` in `tail`. */
function centralDirectory(tail: Buffer, eocd: number, name: string): { entries: number; size: number; offset: number } {
  const entries = tail.readUInt16LE(eocd + 10);
  const size = tail.readUInt32LE(eocd + 12);
  const offset = tail.readUInt32LE(eocd + 16);
  if (entries === 0xffff || size === 0xffffffff || offset === 0xffffffff)
    throw new Error(`${name}: zip64 archive, entry times not fixed`);
  return { entries, size, offset };
}

/** Stamps every entry of the central directory `cd`; returns where each entry's local header is. */
function stampCentralDirectory(cd: Buffer, entries: number, stamp: Buffer, name: string): number[] {
  const locals: number[] = [];
  let at = 0;
  for (let n = 0; n < entries; n++) {
    if (cd.readUInt32LE(at) !== 0x02014b50) throw new Error(`${name}: bad central directory entry ${n}`);
    stamp.copy(cd, at + 12);
    locals.push(cd.readUInt32LE(at + 42));
    at += 46 + cd.readUInt16LE(at + 28) + cd.readUInt16LE(at + 30) + cd.readUInt16LE(at + 32);
  }
  return locals;
}

/** A zip entry's time and date as its headers hold them (4 bytes). */
function zipStamp(ms: number): Buffer {
  const { date, time } = dosDateTime(ms);
  const stamp = Buffer.alloc(4);
  stamp.writeUInt16LE(time, 0);
  stamp.writeUInt16LE(date, 2);
  return stamp;
}

/**
 * Sets every entry's time in a finished zip file (local headers and central directory) to
 * one value, patched in place a piece at a time. Archiver stamps entries with the clock and
 * has no option for it; the times are outside the compressed data and the CRCs, so patching
 * them is safe.
 */
export async function fixZipTimes(path: string, ms: number): Promise<void> {
  const fh = await open(path, 'r+');
  try {
    const size = (await fh.stat()).size;
    const tail = Buffer.alloc(Math.min(size, 22 + 0xffff));
    await fh.read(tail, 0, tail.length, size - tail.length);
    const { entries, size: cdSize, offset } = centralDirectory(tail, endRecordAt(tail, path), path);
    const cd = Buffer.alloc(cdSize);
    await fh.read(cd, 0, cdSize, offset);
    const stamp = zipStamp(ms);
    const local = Buffer.alloc(4);
    for (const [n, localAt] of stampCentralDirectory(cd, entries, stamp, path).entries()) {
      await fh.read(local, 0, 4, localAt);
      if (local.readUInt32LE(0) !== 0x04034b50) throw new Error(`${path}: bad local header for entry ${n}`);
      await fh.write(stamp, 0, 4, localAt + 10);
    }
    await fh.write(cd, 0, cdSize, offset);
  } finally {
    await fh.close();
  }
}

/** Rejects when the stream fails: exceljs listens for errors only once it finalizes. */
function failureOf(stream: Writable): Promise<never> {
  return new Promise((_, reject) => stream.once('error', reject));
}

/** Resolves on the next turn of the event loop, or once `w` has drained when too much is queued in it. */
function drained(w: Writable): Promise<void> {
  if (w.writableLength <= MAX_QUEUED_BYTES) return new Promise((resolve) => setImmediate(resolve));
  return new Promise((resolve) => w.once('drain', resolve));
}

/**
 * Parts of exceljs 4's streaming writer that its typings leave out. Data rows are written as
 * XML straight into the sheet's stream, with the workbook's own style ids (and, for the
 * template of a small workbook, its shared-string table): exceljs' Row and Cell objects
 * cost too much per cell for the export goal (bench X). The XML is the <row>/<c> exceljs
 * writes itself. Everything else (zip, workbook, styles, shared
 * strings, views, autofilter, columns, header row) is exceljs' own. writeXlsx checks that
 * these members exist before it relies on them, and the tests read every file back.
 */
interface WorkbookInternals {
  sharedStrings: { add(text: string): number };
  styles: { addStyleModel(style: object, cellType: number): number };
}
interface SheetInternals {
  /** True once <cols> and <sheetData> are written (by the first committed row). */
  startedData: boolean;
  /** exceljs' StreamBuf: it never pushes back, so writeXlsx watches the stream it feeds (`pipes`). */
  stream: { write(chunk: string): unknown; pipes: Writable[] };
}

function internals(wb: object, ws: object): { wb: WorkbookInternals; ws: SheetInternals } {
  const w = wb as Partial<WorkbookInternals>;
  const s = ws as Partial<SheetInternals>;
  if (
    typeof w.sharedStrings?.add !== 'function' ||
    typeof w.styles?.addStyleModel !== 'function' ||
    s.startedData !== true ||
    typeof s.stream?.write !== 'function' ||
    !Array.isArray(s.stream.pipes) ||
    s.stream.pipes.length !== 1
  ) {
    throw new Error(
      'exceljs streaming writer internals changed (sharedStrings, styles, startedData, stream.pipes): xlsx-export.ts needs updating',
    );
  }
  return { wb: w as WorkbookInternals, ws: s as SheetInternals };
}

/** The zip entries that grow with the rows: the only ones worth compressing. */
const DEFLATED = /^\/?xl\/(worksheets\/sheet\d+|sharedStrings)\.xml$/;

/**
 * The workbook's zip stores its entries by default (`store: true`) and compresses only the
 * sheet and its strings. The fixed parts (styles, theme, relations, properties: about
 * a few KB) are stored as they are: each compressed entry starts its own zlib stream, and for
 * the many small files of a run those streams were a large part of the time.
 */
function deflateRowParts(wb: object): void {
  const zip = (wb as { zip?: { append?: unknown } }).zip;
  if (typeof zip?.append !== 'function')
    throw new Error('exceljs streaming writer internals changed (zip.append): xlsx-export.ts needs updating');
  const append = zip.append.bind(zip) as (source: unknown, data: { name: string; store?: boolean }) => unknown;
  zip.append = (source: unknown, data: { name: string; store?: boolean }) =>
    append(source, DEFLATED.test(data.name) ? { ...data, store: false } : data);
}

/** Rows per write into the sheet stream, and between yields to the event loop (so the zip can compress what is queued). */
const BATCH_ROWS = 1_000;
/**
 * Sheet XML allowed to wait for the compressor. Nothing in exceljs pushes back, so without a
 * limit the whole sheet would queue up in memory.
 */
const MAX_QUEUED_BYTES = 4 * 1024 * 1024;

type WorkbookWriterClass = typeof ExcelJS.stream.xlsx.WorkbookWriter;
let writerClass: WorkbookWriterClass | null = null;

/** The bundle of exceljs' WorkbookWriter that `npm run build` writes (scripts/bundle-xlsx-writer.mjs), beside dist/io/. */
const BUNDLED_WRITER = fileURLToPath(new URL('../vendor/exceljs-workbook-writer.cjs', import.meta.url));
const PACKAGE_WRITER = 'exceljs/lib/stream/xlsx/workbook-writer.js';

/** Where the WorkbookWriter comes from: the build's bundle when there is one, else the package. */
export const xlsxWriterSource = (): string => (existsSync(BUNDLED_WRITER) ? BUNDLED_WRITER : PACKAGE_WRITER);

/**
 * exceljs' streaming WorkbookWriter (the class the package exports as
 * ExcelJS.stream.xlsx.WorkbookWriter), loaded from its own file: the package's entry loads
 * the whole library (reader, plain Workbook, CSV), which a cron job that may run every minute
 * should not pay for. Compiled, it comes from the build's one-file bundle of it (one file to
 * load instead of the package's few hundred); run from the sources, from the package. Loaded on first
 * use, so builds that write no workbook never pay for it.
 */
function workbookWriter(): WorkbookWriterClass {
  if (writerClass === null) {
    const file = xlsxWriterSource();
    const loaded: unknown = createRequire(import.meta.url)(file);
    if (typeof loaded !== 'function')
      throw new Error(`${file} is not exceljs' WorkbookWriter class: xlsx-export.ts needs updating`);
    writerClass = loaded as WorkbookWriterClass;
  }
  return writerClass;
}

/** What exceljs' WorkbookWriter sets up in its constructor, which MemoryWorkbookWriter redoes. */
interface WriterInternals {
  zip: unknown;
  stream: unknown;
  promise: Promise<unknown>;
  addThemes(): Promise<void>;
  addOfficeRels(): Promise<void>;
}

let memoryWriterClass: WorkbookWriterClass | null = null;

/**
 * exceljs' WorkbookWriter with a MemoryZip in place of its archiver (its option
 * `memoryZipStampMs` is the entries' time). The constructor makes the archiver, pipes it
 * to the stream and at once appends the theme and relations to it: the subclass holds those
 * two appends back until its MemoryZip is in place, and unpipes the archiver, left unused
 * (in the build's bundle a stand-in: archiver is not loaded at all).
 */
function memoryWorkbookWriter(): WorkbookWriterClass {
  if (memoryWriterClass === null) {
    const Base = workbookWriter() as unknown as new (options: object) => WriterInternals;
    for (const member of ['addThemes', 'addOfficeRels'] as const) {
      if (typeof Base.prototype[member] !== 'function')
        throw new Error(`exceljs streaming writer internals changed (${member}): xlsx-export.ts needs updating`);
    }
    class MemoryWorkbookWriter extends Base {
      constructor(options: { memoryZipStampMs: number }) {
        super(options);
        const archiver = this.zip as { unpipe?: unknown } | undefined;
        if (typeof archiver?.unpipe !== 'function' || !(this.stream instanceof Writable)) {
          throw new Error('exceljs streaming writer internals changed (zip, stream): xlsx-export.ts needs updating');
        }
        archiver.unpipe(this.stream);
        this.zip = new MemoryZip(this.stream, options.memoryZipStampMs, DEFLATED);
        this.promise = Promise.all([this.addThemes(), this.addOfficeRels()]);
      }
      override addThemes(): Promise<void> {
        return this.zip instanceof MemoryZip ? super.addThemes() : Promise.resolve();
      }
      override addOfficeRels(): Promise<void> {
        return this.zip instanceof MemoryZip ? super.addOfficeRels() : Promise.resolve();
      }
    }
    memoryWriterClass = MemoryWorkbookWriter as unknown as WorkbookWriterClass;
  }
  return memoryWriterClass;
}

/** exceljs' ValueType.Date (lib/doc/enums.js), for the date style's id. */
const VALUE_TYPE_DATE = 4;

/** Up to this many rows (given as an array) a workbook is built in memory and written at once: for small files the temp file's many writes, re-reads and comparison cost more than the rows. */
const IN_MEMORY_ROWS = 20_000;

/**
 * Writes `rows` to `path` (an .xlsx file) unless it already holds exactly these bytes.
 * `rows` may be an (async) generator: rows are consumed one at a time. One write per path at a time:
 * the temp file's name is the path plus this process's id. A small file (an array of up to
 * IN_MEMORY_ROWS) comes from exceljs' template of its fixed parts (xlsx-sheet.ts), a larger
 * one from exceljs' streaming writer.
 */
export async function writeXlsx(
  path: string,
  rows: Iterable<ExportRow> | AsyncIterable<ExportRow>,
  opts: XlsxWriteOptions,
): Promise<ExportWriteResult> {
  const stampMs = stampOf(opts);
  if (Array.isArray(rows) && rows.length <= IN_MEMORY_ROWS) {
    const list = rows as ExportRow[];
    const zip = templateWorkbook(await xlsxTemplate(opts.lang, stampMs), list, stampMs);
    const written = await writeFileIfChanged(path, zip, opts);
    return { written, bytes: zip.length, rows: list.length };
  }
  const tmp = tempPathFor(path);
  const out = createWriteStream(tmp, { mode: opts.mode ?? 0o644 });
  let count = 0;
  try {
    count = (await writeWorkbook(out, rows, opts.lang, stampMs, false)).count;
    await fixZipTimes(tmp, stampMs);
  } catch (e) {
    // Closed before the unlink: a stream still opening would create the file after it.
    if (!out.closed) {
      const closed = new Promise<void>((resolve) => out.once('close', () => resolve()));
      out.destroy();
      await closed;
    }
    await unlink(tmp).catch(ifMissing(undefined));
    throw fileError(e, path, 'write');
  }
  const written = await publishTempFile(tmp, path, opts);
  const { size } = await stat(path);
  return { written, bytes: size, rows: count };
}

function stampOf(opts: { timestamp?: string }): number {
  const stampMs = Date.parse(opts.timestamp ?? DEFAULT_TIMESTAMP);
  if (Number.isNaN(stampMs)) throw new RangeError(`timestamp ${JSON.stringify(opts.timestamp)} is not an ISO instant`);
  return stampMs;
}

/** The workbook of `rows` as exceljs alone writes it in memory (zip bytes): what templateWorkbook must equal. */
export async function exceljsWorkbook(rows: ExportRow[], opts: { lang: Lang; timestamp?: string }): Promise<Buffer> {
  const stampMs = stampOf(opts);
  return zipParts((await exceljsParts(rows, opts.lang, stampMs)).parts, stampMs);
}

async function exceljsParts(
  rows: ExportRow[],
  lang: Lang,
  stampMs: number,
): Promise<{ parts: ZipPart[]; dateStyleId: number }> {
  const { zip, dateStyleId } = await writeWorkbook(new MemorySink(), rows, lang, stampMs, true);
  if (!(zip instanceof MemoryZip))
    throw new Error('exceljs streaming writer internals changed (zip): xlsx-export.ts needs updating');
  return { parts: await zip.parts(), dateStyleId };
}

/** The template of the workbook's fixed parts, made by exceljs now (the build stores them: templatesFile). */
async function deriveTemplate(lang: Lang, stampMs: number): Promise<XlsxTemplate> {
  const { parts, dateStyleId } = await exceljsParts([], lang, stampMs);
  return templateFromParts(parts, exportHeaders(lang).map(xlsxText), dateStyleId);
}

/** The templates that `npm run build` stores (scripts/xlsx-templates.mjs), beside the writer's bundle. */
const STORED_TEMPLATES = fileURLToPath(new URL('../vendor/xlsx-templates.json', import.meta.url));
/** What makes them (the compiled modules, also from dist/bundle/): stored templates older than these (a build that skipped the script) are not used. */
const TEMPLATE_MAKERS = ['../io/xlsx-export.js', '../io/xlsx-sheet.js'].map((f) =>
  fileURLToPath(new URL(f, import.meta.url)),
);

interface StoredTemplate extends Omit<XlsxTemplate, 'parts'> {
  lang: Lang;
  stampMs: number;
  parts: { name: string; deflate: boolean; data: string }[];
}

/** The JSON of the stored templates: both languages at the default timestamp. */
export async function templatesFile(): Promise<string> {
  const stampMs = stampOf({});
  const stored: StoredTemplate[] = [];
  for (const lang of ['de', 'en'] as const) {
    const t = await deriveTemplate(lang, stampMs);
    stored.push({ ...t, lang, stampMs, parts: t.parts.map((p) => ({ ...p, data: p.data.toString('utf8') })) });
  }
  return `${JSON.stringify(stored)}\n`;
}

let stored: StoredTemplate[] | null = null;
const templates = new Map<string, Promise<XlsxTemplate>>();

/**
 * The template for `lang` and `stampMs`: the stored one when there is one as new as its
 * maker and for the same header, else exceljs makes it (once per process).
 */
function xlsxTemplate(lang: Lang, stampMs: number): Promise<XlsxTemplate> {
  const key = `${lang} ${stampMs}`;
  let t = templates.get(key);
  if (t === undefined) {
    stored ??= storedTemplates();
    const header = exportHeaders(lang).map(xlsxText);
    const hit = stored.find(
      (s) => s.lang === lang && s.stampMs === stampMs && JSON.stringify(s.header) === JSON.stringify(header),
    );
    t = hit
      ? Promise.resolve({ ...hit, parts: hit.parts.map((p) => ({ ...p, data: Buffer.from(p.data, 'utf8') })) })
      : deriveTemplate(lang, stampMs);
    templates.set(key, t);
  }
  return t;
}

function storedTemplates(): StoredTemplate[] {
  const file = statSync(STORED_TEMPLATES, { throwIfNoEntry: false });
  const makers = TEMPLATE_MAKERS.map((f) => statSync(f, { throwIfNoEntry: false })?.mtimeMs ?? Number.NaN);
  if (file === undefined || !makers.every((ms) => file.mtimeMs >= ms)) return [];
  return JSON.parse(readFileSync(STORED_TEMPLATES, 'utf8')) as StoredTemplate[];
}

/**
 * Writes the workbook of `rows` to `out` (the zip's bytes); returns the number of data rows.
 * In memory the zip is MemoryZip's, its entry times `stampMs`; else archiver's, its entry
 * times still the clock's (fixZipTimes).
 */
async function writeWorkbook(
  out: Writable,
  rows: Iterable<ExportRow> | AsyncIterable<ExportRow>,
  lang: Lang,
  stampMs: number,
  inMemory: boolean,
): Promise<{ count: number; dateStyleId: number; zip: unknown }> {
  const WorkbookWriter = inMemory ? memoryWorkbookWriter() : workbookWriter();
  const columns = EXPORT_COLUMNS.length;
  const failed = failureOf(out);
  // Marks the rejection handled: every await in the write races `failed`, which rethrows it.
  failed.catch(() => undefined);
  let count = 0;
  // Stored by default, the sheet and its strings compressed (deflateRowParts, MemoryZip).
  // zlib level 1: compression runs beside the row loop on a 2-core machine; level 6 takes
  // about three times as long for files a fifth smaller. `memoryZip`: the build's bundle of
  // the writer then does not even load archiver (scripts/bundle-xlsx-writer.mjs).
  const zip = { store: true, zlib: { level: 1 }, memoryZip: inMemory };
  const options = { stream: out, useSharedStrings: true, useStyles: true, zip, memoryZipStampMs: stampMs };
  const wb = new WorkbookWriter(options);
  if (!inMemory) deflateRowParts(wb);
  wb.created = new Date(stampMs);
  wb.modified = new Date(stampMs);
  wb.creator = 'openvpn-status-web';
  wb.lastModifiedBy = 'openvpn-status-web';
  const ws = wb.addWorksheet(exportSheetName(lang), {
    views: [{ state: 'frozen', xSplit: 0, ySplit: 1, topLeftCell: 'A2', activeCell: 'A2' }],
  });
  ws.autoFilter = { from: { row: 1, column: 1 }, to: { row: 1, column: columns } };
  ws.columns = EXPORT_COLUMNS.map((c) => ({ width: c.width }));
  const header = ws.addRow(exportHeaders(lang).map(xlsxText));
  header.eachCell((cell) => {
    cell.style = { font: { bold: true } };
  });
  header.commit();
  const raw = internals(wb, ws);
  const zipInput = raw.ws.stream.pipes[0] as Writable;
  const dateStyleId = raw.wb.styles.addStyleModel({ numFmt: DATE_FORMAT }, VALUE_TYPE_DATE);
  let batch = '';
  for await (const r of rows) {
    batch += rowXml(r, count + 2, inMemory ? raw.wb.sharedStrings : 'inline', dateStyleId); // row 1 is the header
    if (++count % BATCH_ROWS === 0) {
      raw.ws.stream.write(batch);
      batch = '';
      await Promise.race([drained(zipInput), failed]);
    }
  }
  if (batch !== '') raw.ws.stream.write(batch);
  ws.commit();
  await Promise.race([wb.commit(), failed]);
  return { count, dateStyleId, zip: (wb as { zip?: unknown }).zip };
}
