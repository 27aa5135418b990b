/**
 * Writes export rows as an .xlsx file. Every workbook is exceljs' template of its fixed
 * parts (xlsx-sheet.ts: styles, theme, relations, the sheet's frame and header row, made by
 * exceljs once per language and stored by `npm run build`) with the data rows filled in:
 *
 * - Header row bold and frozen, autofilter over it, a width per column.
 * - Start and end are date cells showing the zone's wall time (`yyyy-mm-dd hh:mm:ss`):
 *   Excel has no zones, so the cell holds the wall time read as if it were UTC.
 * - Durations and byte counts are numbers; text is always a string cell, so a common name
 *   `=1+2` stays the text `=1+2`: a shared string in a small workbook (the bytes exceljs
 *   writes itself), an inline one in a large workbook, whose table of every distinct text
 *   would otherwise stay in memory until the end (xlsx-sheet.ts, rowXml).
 * - The same rows give the same bytes: the workbook's and the zip entries' times are fixed
 *   (see `timestamp`), so an unchanged file is left alone (same mtime).
 * - A small file is built in memory and written only when its bytes differ; a large one
 *   streams its sheet as deflate pieces (piece-file.ts) to a temp file beside the target,
 *   which is then renamed over it (atomic-write.ts).
 */
import { readFileSync, statSync } from 'node:fs';
import { stat, unlink } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Writable } from 'node:stream';
import type ExcelJS from 'exceljs';
import { type ChainHead, sha256Hex } from '../core/chain.js';
import { EXPORT_COLUMNS, exportHeaders, exportSheetName, type ExportRow } from '../core/export-rows.js';
import type { Lang } from '../core/settings.js';
import { publishTempFile, tempPathFor, writeFileIfChanged, type WriteOptions } from './atomic-write.js';
import { fileError, ifMissing } from './fs-errors.js';
import { MemorySink, MemoryZip, zipParts, type ZipPart } from './memory-zip.js';
import { deflatePiece, openZipPieces, type ZipFrame } from './piece-file.js';
import {
  rowXml,
  SHEET,
  sharedStringsXml,
  stampedTemplate,
  STRINGS,
  templateFromParts,
  templateWorkbook,
  xlsxText,
  type XlsxTemplate,
} from './xlsx-sheet.js';

export interface XlsxWriteOptions extends WriteOptions {
  lang: Lang;
  /**
   * ISO UTC instant stored as the workbook's created and modified time and as every zip
   * entry's time. Default 1980-01-01T00:00:00Z (the earliest time a zip can hold): a clock
   * reading here would make every build's bytes differ.
   */
  timestamp?: string;
  /** The chain head the file is built at, in the workbook's custom properties (none: no custom properties, as exceljs writes it). */
  stamp?: ChainHead;
}

export interface ExportWriteResult {
  /** False when the file already held these bytes and was left alone (mtime unchanged). */
  written: boolean;
  /** Size of the file now at the path. */
  bytes: number;
  /** Data rows written (without the header). */
  rows: number;
  /** SHA-256 (hex) of the file's bytes, taken as they were made. */
  sha256: string;
}

const DEFAULT_TIMESTAMP = '1980-01-01T00:00:00Z';
const DATE_FORMAT = 'yyyy-mm-dd hh:mm:ss';

/**
 * Parts of exceljs 4's streaming writer that its typings leave out, used where exceljs
 * writes a workbook itself (the templates, and the tests' reference): data rows are written
 * as XML straight into the sheet's stream with the workbook's own style ids and
 * shared-string table, the <row>/<c> exceljs writes itself (rowXml). Everything else (zip
 * parts, workbook, styles, shared strings, views, autofilter, columns, header row) is
 * exceljs' own. writeWorkbook checks that these members exist before it relies on them.
 */
interface WorkbookInternals {
  sharedStrings: { add(text: string): number };
  styles: { addStyleModel(style: object, cellType: number): number };
}
interface SheetInternals {
  /** True once <cols> and <sheetData> are written (by the first committed row). */
  startedData: boolean;
  stream: { write(chunk: string): unknown };
}

function internals(wb: object, ws: object): { wb: WorkbookInternals; ws: SheetInternals } {
  const w = wb as Partial<WorkbookInternals>;
  const s = ws as Partial<SheetInternals>;
  if (
    typeof w.sharedStrings?.add !== 'function' ||
    typeof w.styles?.addStyleModel !== 'function' ||
    s.startedData !== true ||
    typeof s.stream?.write !== 'function'
  ) {
    throw new Error(
      'exceljs streaming writer internals changed (sharedStrings, styles, startedData, stream): xlsx-export.ts needs updating',
    );
  }
  return { wb: w as WorkbookInternals, ws: s as SheetInternals };
}

type WorkbookWriterClass = typeof ExcelJS.stream.xlsx.WorkbookWriter;
let writerClass: WorkbookWriterClass | null = null;

const PACKAGE_WRITER = 'exceljs/lib/stream/xlsx/workbook-writer.js';

/**
 * exceljs' streaming WorkbookWriter (the class the package exports as
 * ExcelJS.stream.xlsx.WorkbookWriter), loaded from its own file, on first use: only a
 * template that was not stored needs it (the package's entry loads the whole library).
 */
function workbookWriter(): WorkbookWriterClass {
  if (writerClass === null) {
    const file = PACKAGE_WRITER;
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

/** The parts exceljs compresses in an export workbook: the sheet and its strings (the rest is stored). */
const DEFLATED = /^\/?xl\/(worksheets\/sheet\d+|sharedStrings)\.xml$/;

/**
 * exceljs' WorkbookWriter with a MemoryZip in place of its archiver (its option
 * `memoryZipStampMs` is the entries' time), so the parts can be taken as they are. The
 * constructor makes the archiver, pipes it to the stream and at once appends the theme and
 * relations to it: the subclass holds those two appends back until its MemoryZip is in
 * place, and unpipes the archiver, left unused.
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
/** Rows per deflate piece of a large workbook's sheet. */
const PIECE_ROWS = 5_000;

/**
 * Writes `rows` to `path` (an .xlsx file) unless it already holds exactly these bytes.
 * `rows` may be an (async) generator: rows are consumed as the file is written. One write
 * per path at a time: the temp file's name is the path plus this process's id. A small file
 * (an array of up to IN_MEMORY_ROWS) is built in memory with shared strings, as exceljs
 * writes it; a larger one streams its rows as deflate pieces, text inline.
 */
export async function writeXlsx(
  path: string,
  rows: Iterable<ExportRow> | AsyncIterable<ExportRow>,
  opts: XlsxWriteOptions,
): Promise<ExportWriteResult> {
  const stampMs = stampOf(opts);
  if (Array.isArray(rows) && rows.length <= IN_MEMORY_ROWS) {
    const list = rows as ExportRow[];
    const t = await xlsxTemplate(opts.lang, stampMs);
    const zip = templateWorkbook(opts.stamp ? stampedTemplate(t, opts.stamp) : t, list, stampMs);
    const written = await writeFileIfChanged(path, zip, opts);
    return { written, bytes: zip.length, rows: list.length, sha256: sha256Hex(zip) };
  }
  const frame = await xlsxFrame(opts.lang, opts.timestamp, opts.stamp);
  const tmp = tempPathFor(path);
  let count = 0;
  let sha256 = '';
  try {
    const w = await openZipPieces(tmp, frame.zip, opts.mode ?? 0o644);
    try {
      let xml = '';
      for await (const r of rows) {
        xml += rowXml(r, count + 2, 'inline', frame.dateStyleId); // row 1 is the header
        if (++count % PIECE_ROWS === 0) {
          await w.add(deflatePiece(xml));
          xml = '';
        }
      }
      if (xml !== '') await w.add(deflatePiece(xml));
    } catch (e) {
      await w.abort();
      throw e;
    }
    sha256 = await w.finish();
  } catch (e) {
    await unlink(tmp).catch(ifMissing(undefined));
    throw fileError(e, path, 'write');
  }
  const written = await publishTempFile(tmp, path, opts);
  const { size } = await stat(path);
  return { written, bytes: size, rows: count, sha256 };
}

/** A workbook whose sheet rows come as deflate pieces (large files, and the whole-history ones). */
export interface XlsxFrame {
  zip: ZipFrame;
  dateStyleId: number;
}

/** The frame of a workbook in `lang`, from its template; every entry stamped `timestamp` (default 1980-01-01); with `stamp`, its custom properties. */
export async function xlsxFrame(lang: Lang, timestamp?: string, stamp?: ChainHead): Promise<XlsxFrame> {
  const stampMs = stampOf({ timestamp });
  const plain = await xlsxTemplate(lang, stampMs);
  const t = stamp ? stampedTemplate(plain, stamp) : plain;
  const at = t.parts.findIndex((p) => p.name === SHEET);
  const whole = (p: ZipPart): ZipPart =>
    p.name === STRINGS ? { ...p, data: Buffer.from(sharedStringsXml(t.header)) } : p;
  const pieces = { name: SHEET, head: deflatePiece(t.sheetHead), tail: deflatePiece(t.sheetTail, true) };
  return {
    dateStyleId: t.dateStyleId,
    zip: { before: t.parts.slice(0, at).map(whole), pieces, after: t.parts.slice(at + 1).map(whole), stampMs },
  };
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
  const { zip, dateStyleId } = await writeWorkbook(rows, lang, stampMs);
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
 * Has exceljs write the workbook of `rows` in memory (MemoryZip, entry times `stampMs`);
 * returns its zip and the date style's id.
 */
async function writeWorkbook(
  rows: readonly ExportRow[],
  lang: Lang,
  stampMs: number,
): Promise<{ dateStyleId: number; zip: unknown }> {
  const WorkbookWriter = memoryWorkbookWriter();
  const columns = EXPORT_COLUMNS.length;
  // Stored by default, the sheet and its strings compressed (MemoryZip's DEFLATED).
  const zip = { store: true, zlib: { level: 1 } };
  const options = { stream: new MemorySink(), useSharedStrings: true, useStyles: true, zip, memoryZipStampMs: stampMs };
  const wb = new WorkbookWriter(options);
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
  const dateStyleId = raw.wb.styles.addStyleModel({ numFmt: DATE_FORMAT }, VALUE_TYPE_DATE);
  let xml = '';
  rows.forEach((r, i) => {
    xml += rowXml(r, i + 2, raw.wb.sharedStrings, dateStyleId); // row 1 is the header
  });
  if (xml !== '') raw.ws.stream.write(xml);
  ws.commit();
  await wb.commit();
  return { dateStyleId, zip: (wb as { zip?: unknown }).zip };
}
