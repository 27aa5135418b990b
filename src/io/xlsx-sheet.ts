/**
 * What an export workbook holds that changes with its rows, written as exceljs writes it:
 * the sheet's <row> elements and the shared-string table. And a template of the rest, so a
 * small workbook needs no exceljs at run time:
 *
 * Every other part of a workbook (styles, theme, workbook, relations, properties, the sheet's
 * views, columns, header row and autofilter) depends only on the language and the fixed
 * timestamp. exceljs writes them once for a workbook without data rows (templateFromParts
 * takes them apart); templateWorkbook then fills in the sheet's rows and the strings and
 * zips the whole with MemoryZip's zipParts. `npm run build` stores the templates beside the
 * writer's bundle (scripts/xlsx-templates.mjs); a test holds templateWorkbook's files to the
 * bytes exceljs writes for the same rows, hostile text included.
 */
import { createRequire } from 'node:module';
import type { ChainHead } from '../core/chain.js';
import { EXPORT_COLUMNS, type ExportRow } from '../core/export-rows.js';
import { hasIsoWallShape, twoDigits } from '../core/time.js';
import { zipParts, type ZipPart } from './memory-zip.js';

/** Days from Excel's epoch (1899-12-30) to 1970-01-01. */
const EXCEL_EPOCH_DAYS = 25569;

/**
 * `YYYY-MM-DD HH:MM:SS` (a wall time) → the Excel serial (days since 1899-12-30) that shows
 * that wall time. Excel has no zones: the cell holds the zone's wall time as it is. Read by
 * character codes, without a regex or a Date: it runs for two cells of every row.
 */
export function excelSerial(text: string): number {
  const century = twoDigits(text, 0);
  const year = twoDigits(text, 2);
  const mo = twoDigits(text, 5);
  const d = twoDigits(text, 8);
  const h = twoDigits(text, 11);
  const mi = twoDigits(text, 14);
  const s = twoDigits(text, 17);
  if (
    !hasIsoWallShape(text) ||
    century < 0 ||
    year < 0 ||
    mo < 1 ||
    mo > 12 ||
    d < 1 ||
    d > 31 ||
    h < 0 ||
    h > 23 ||
    mi < 0 ||
    mi > 59 ||
    s < 0 ||
    s > 59
  ) {
    throw new RangeError(`export time ${JSON.stringify(text)} is not YYYY-MM-DD HH:MM:SS`);
  }
  const y = century * 100 + year;
  // Howard Hinnant's days_from_civil: days since 1970-01-01.
  const yy = mo <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  const days = era * 146097 + doe - 719468;
  return EXCEL_EPOCH_DAYS + days + (h * 3600 + mi * 60 + s) / 86_400;
}

// Characters an XML file cannot hold (C0 controls but TAB and LF, CR which XML turns into LF,
// DEL which exceljs drops, U+FFFE/U+FFFF, lone surrogates) and text that already looks like
// an escape. Excel reads `_xHHHH_` in a string as that UTF-16 unit (so does exceljs), which
// lets every common name survive exactly instead of losing characters.
// biome-ignore lint/suspicious/noControlCharactersInRegex: XML 1.0 forbids these characters; exceljs escapes them
const ESCAPE_ALL = /[\x00-\x08\x0B-\x1F\x7F\uFFFE\uFFFF]|\p{Cs}|_(?=x[0-9A-Fa-f]{4}_)/gu;

/** True when `text` may need escaping: a quick scan of its code units, cheaper than a regex on short text. */
function mayNeedEscape(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (
      (c < 0x20 && c !== 0x09 && c !== 0x0a) ||
      c === 0x5f ||
      c === 0x7f ||
      (c >= 0xd800 && c <= 0xdfff) ||
      c >= 0xfffe
    )
      return true;
  }
  return false;
}

/** Text as Excel's shared strings store it (ECMA-376 ST_Xstring escapes). */
export function xlsxText(text: string): string {
  if (!mayNeedEscape(text)) return text;
  return text.replace(ESCAPE_ALL, (c) => `_x${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}_`);
}

/** A shared-string table as exceljs keeps it (lib/utils/shared-strings.js): each distinct text numbered in order of first use. */
export class SharedStrings {
  private readonly index = new Map<string, number>();
  readonly values: string[] = [];

  add(text: string): number {
    let i = this.index.get(text);
    if (i === undefined) {
      i = this.values.length;
      this.index.set(text, i);
      this.values.push(text);
    }
    return i;
  }
}

/** A1-style column letters for the export's columns (at most 26). */
const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const KEYS = EXPORT_COLUMNS.map((c) => c.key);
const KINDS = EXPORT_COLUMNS.map((c) => c.kind);
if (KEYS.length > LETTERS.length)
  throw new Error(`${KEYS.length} export columns: column letters past Z are not implemented`);

/**
 * Where a row's text cells go: a shared-string table (small workbooks, as exceljs writes
 * them), or `inline` in the sheet (streamed workbooks: a table of every distinct text of up
 * to a million rows, held until the end and written as one string, took most of their
 * memory).
 */
export type TextCells = { add(text: string): number } | 'inline';

/**
 * The <row> of export row `r` as sheet row `n`, the XML exceljs writes for such cells: dates
 * as serials in style `dateStyleId`, numbers as they are, text always a string cell (t="s",
 * or t="inlineStr"), so a common name `=1+2` stays text; null makes no cell (an empty one).
 * With `n` null the row and its cells carry no reference (ECMA-376 makes `r` optional: a row
 * is then the one after the row before it, a cell the one after its neighbour, so an empty
 * cell is written as `<c/>`): the whole-history files reuse a day's rows wherever it lands.
 */
export function rowXml(r: ExportRow, n: number | null, strings: TextCells, dateStyleId: number): string {
  let xml = n === null ? '<row>' : `<row r="${n}">`;
  for (let i = 0; i < KEYS.length; i++) {
    const key = KEYS[i] as keyof ExportRow;
    const v = r[key];
    if (v === null) {
      if (n === null) xml += '<c/>';
      continue;
    }
    const ref = n === null ? '' : ` r="${LETTERS[i]}${n}"`;
    const kind = KINDS[i];
    if (kind === 'datetime') {
      xml += `<c${ref} s="${dateStyleId}"><v>${excelSerial(String(v))}</v></c>`;
    } else if (kind === 'number') {
      if (typeof v !== 'number' || !Number.isFinite(v))
        throw new RangeError(`export column ${key} holds ${JSON.stringify(v)}, not a number`);
      xml += `<c${ref}><v>${v}</v></c>`;
    } else if (strings === 'inline') {
      xml += `<c${ref} t="inlineStr"><is>${textXml(xlsxText(String(v)))}</is></c>`;
    } else {
      xml += `<c${ref} t="s"><v>${strings.add(xlsxText(String(v)))}</v></c>`;
    }
  }
  return `${xml}</row>`;
}

let xmlEncode: ((text: string) => string) | null = null;

/**
 * A <t> element as exceljs' TextXform renders it: xml:space="preserve" on text that starts
 * or ends with white space or holds a line feed, the text escaped by exceljs' own xmlEncode
 * (one small file of the package, not its writer).
 */
export function textXml(text: string): string {
  xmlEncode ??= (createRequire(import.meta.url)('exceljs/lib/utils/utils.js') as { xmlEncode(text: string): string })
    .xmlEncode;
  return `<t${/^\s|\n|\s$/.test(text) ? ' xml:space="preserve"' : ''}>${xmlEncode(text)}</t>`;
}

/** xl/sharedStrings.xml as exceljs' SharedStringsXform renders it: both counts are the number of distinct strings, each a <si><t>. */
export function sharedStringsXml(values: readonly string[]): string {
  let xml = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="${values.length}" uniqueCount="${values.length}">`;
  for (const v of values) xml += `<si>${textXml(v)}</si>`;
  return `${xml}</sst>`;
}

/** The zip entries of the sheet and of its shared strings. */
export const SHEET = 'xl/worksheets/sheet1.xml';
export const STRINGS = 'xl/sharedStrings.xml';

/** The fixed parts of a workbook and the frame of its sheet, from exceljs (see the top of this file). */
export interface XlsxTemplate {
  /** Every zip entry in exceljs' order; the sheet's and the strings' data are placeholders. */
  parts: ZipPart[];
  /** The sheet's XML up to its last row (the header), and from `</sheetData>` on. */
  sheetHead: string;
  sheetTail: string;
  /** The header's texts, the first shared strings. */
  header: string[];
  dateStyleId: number;
}

/**
 * The template in the parts of a workbook exceljs wrote without data rows (header texts
 * `header`, its date style `dateStyleId`). Throws when exceljs' output is not what
 * rowXml and sharedStringsXml reproduce: then this file needs updating.
 */
export function templateFromParts(parts: readonly ZipPart[], header: string[], dateStyleId: number): XlsxTemplate {
  const part = (name: string): string => {
    const found = parts.filter((p) => p.name === name);
    if (found.length !== 1) throw new Error(`exceljs wrote ${found.length} ${name}: xlsx-sheet.ts needs updating`);
    return (found[0] as ZipPart).data.toString('utf8');
  };
  const sheet = part(SHEET);
  const at = sheet.indexOf('</sheetData>');
  if (at < 0 || sheet.indexOf('</sheetData>', at + 1) >= 0 || !sheet.slice(0, at).endsWith('</row>')) {
    throw new Error('exceljs wrote an unexpected sheet frame: xlsx-sheet.ts needs updating');
  }
  const strings = new SharedStrings();
  for (const h of header) strings.add(h);
  if (part(STRINGS) !== sharedStringsXml(strings.values))
    throw new Error('exceljs wrote unexpected shared strings: xlsx-sheet.ts needs updating');
  const placeholder = Buffer.alloc(0);
  return {
    parts: parts.map((p) => (p.name === SHEET || p.name === STRINGS ? { ...p, data: placeholder } : p)),
    sheetHead: sheet.slice(0, at),
    sheetTail: sheet.slice(at),
    header,
    dateStyleId,
  };
}

/** The workbook (zip bytes) of `rows` from template `t`, every entry stamped `stampMs`. */
export function templateWorkbook(t: XlsxTemplate, rows: readonly ExportRow[], stampMs: number): Buffer {
  const strings = new SharedStrings();
  for (const h of t.header) strings.add(h);
  let sheet = t.sheetHead;
  let n = 2; // row 1 is the header
  for (const r of rows) sheet += rowXml(r, n++, strings, t.dateStyleId);
  sheet += t.sheetTail;
  const data = (p: ZipPart): Buffer =>
    p.name === SHEET ? Buffer.from(sheet) : p.name === STRINGS ? Buffer.from(sharedStringsXml(strings.values)) : p.data;
  return zipParts(
    t.parts.map((p) => ({ ...p, data: data(p) })),
    stampMs,
  );
}

/** The custom document properties part that names the chain head a workbook was built at. */
export const CUSTOM_PROPS = 'docProps/custom.xml';
const CUSTOM_PROPS_TYPE = 'application/vnd.openxmlformats-officedocument.custom-properties+xml';
const CUSTOM_PROPS_REL = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships/custom-properties';
/** The format id every user-defined property carries (ECMA-376 part 1, 22.3.2.2). */
const USER_DEFINED = '{D5CDD505-2E9C-101B-9397-08002B2CF9AE}';

/** docProps/custom.xml with `ChainHead` (text) and `ChainRows` (a number), shown by Excel and LibreOffice under Properties > Custom. */
export function customPropsXml(stamp: ChainHead): string {
  if (!/^[0-9a-f]{64}$/.test(stamp.head))
    throw new RangeError(`chain head ${JSON.stringify(stamp.head)} is not 64 hex digits`);
  if (!Number.isSafeInteger(stamp.rows) || stamp.rows < 0 || stamp.rows > 0x7fffffff)
    throw new RangeError(`chain rows ${stamp.rows} do not fit a workbook property (vt:i4)`);
  return (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' +
    '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties" xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">' +
    `<property fmtid="${USER_DEFINED}" pid="2" name="ChainHead"><vt:lpwstr>${stamp.head}</vt:lpwstr></property>` +
    `<property fmtid="${USER_DEFINED}" pid="3" name="ChainRows"><vt:i4>${stamp.rows}</vt:i4></property></Properties>`
  );
}

/**
 * `parts` with the custom properties of `stamp` added: the part itself (after
 * docProps/core.xml, else last), its content type and the package's relation to it.
 */
export function stampedParts(parts: readonly ZipPart[], stamp: ChainHead): ZipPart[] {
  const edit = (name: string, close: string, add: (xml: string) => string): ZipPart => {
    const p = parts.find((x) => x.name === name);
    const xml = p?.data.toString('utf8') ?? '';
    if (p === undefined || !xml.endsWith(close) || xml.includes(CUSTOM_PROPS))
      throw new Error(`unexpected ${name} in a workbook to stamp: xlsx-sheet.ts needs updating`);
    return { ...p, data: Buffer.from(`${xml.slice(0, -close.length)}${add(xml)}${close}`) };
  };
  const types = edit(
    '[Content_Types].xml',
    '</Types>',
    () => `<Override PartName="/${CUSTOM_PROPS}" ContentType="${CUSTOM_PROPS_TYPE}"/>`,
  );
  const rels = edit(
    '_rels/.rels',
    '</Relationships>',
    (xml) =>
      `<Relationship Id="rId${xml.split('<Relationship ').length}" Type="${CUSTOM_PROPS_REL}" Target="${CUSTOM_PROPS}"/>`,
  );
  const custom: ZipPart = { name: CUSTOM_PROPS, deflate: false, data: Buffer.from(customPropsXml(stamp)) };
  const out = parts.map((p) => (p.name === types.name ? types : p.name === rels.name ? rels : p));
  const core = out.findIndex((p) => p.name === 'docProps/core.xml');
  out.splice(core < 0 ? out.length : core + 1, 0, custom);
  return out;
}

const stampedTemplates = new WeakMap<XlsxTemplate, { key: string; t: XlsxTemplate }>();

/** Template `t` with the custom properties of `stamp`; the last one made per template is kept, so its parts' CRCs are computed once a run. */
export function stampedTemplate(t: XlsxTemplate, stamp: ChainHead): XlsxTemplate {
  const key = `${stamp.head} ${stamp.rows}`;
  const kept = stampedTemplates.get(t);
  if (kept?.key === key) return kept.t;
  const stamped = { ...t, parts: stampedParts(t.parts, stamp) };
  stampedTemplates.set(t, { key, t: stamped });
  return stamped;
}
