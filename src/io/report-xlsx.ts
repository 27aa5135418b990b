/**
 * Writes a monthly report (src/core/report.ts) as an .xlsx workbook of several sheets: the
 * summary first, then a sheet of sessions per user. The export workbooks' template
 * (xlsx-sheet.ts) has one sheet by design, so this writer lays out the few parts SpreadsheetML
 * needs itself: content types, relations, workbook, a style sheet with a bold header and the
 * exports' date format, and each sheet (header bold and frozen, autofilter, column widths).
 * A sheet's session rows are the export workbooks' own (rowXml, text as inline strings), so
 * text stays text: a user `=1+2` is a string cell. Entries are stamped 1980-01-01, so the
 * same report gives the same bytes and an unchanged file is left alone. The chain head the
 * report was built at goes in its custom properties (xlsx-sheet.ts, stampedParts).
 */
import type { ChainHead } from '../core/chain.js';
import { EXPORT_COLUMNS, exportHeaders, type ExportRow } from '../core/export-rows.js';
import { REPORT_COLUMNS, type ReportCell } from '../core/report.js';
import type { Lang } from '../core/settings.js';
import { zipParts, type ZipPart } from './memory-zip.js';
import { rowXml, stampedParts, textXml, xlsxText } from './xlsx-sheet.js';

/** The zip entries' time: the earliest a zip holds (a clock reading would change every file's bytes). */
const STAMP_MS = Date.parse('1980-01-01T00:00:00Z');
const MAIN = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main';
const REL = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships';
const PKG_REL = 'http://schemas.openxmlformats.org/package/2006/relationships';
const XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n';
/** Style ids of styles.xml below: the default, the bold header, the date cells. */
const BOLD = 1;
const DATE = 2;

const STYLES = `${XML_HEAD}<styleSheet xmlns="${MAIN}"><numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm-dd hh:mm:ss"/></numFmts><fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font><font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts><fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/><xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>`;

/** A sheet: its name (already valid for Excel: core/report.ts sheetNames), header, widths and data rows' XML. */
interface Sheet {
  name: string;
  header: string[];
  widths: number[];
  rows: string;
}

export interface ReportSheet {
  name: string;
  /** The user's sessions as export rows (the export files' columns). */
  rows: readonly ExportRow[];
}

export interface ReportWorkbook {
  lang: Lang;
  summaryName: string;
  /** The summary's headers: REPORT_COLUMNS' in the language, then any extra text columns. */
  summaryHeader: string[];
  /** One record per user, REPORT_COLUMNS' cells then the extra ones (text). */
  summary: readonly ReportCell[][];
  sheets: readonly ReportSheet[];
}

const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const escapeAttr = (text: string): string =>
  text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');

function textCell(ref: string, text: string, style = ''): string {
  return `<c r="${ref}"${style} t="inlineStr"><is>${textXml(xlsxText(text))}</is></c>`;
}

/** A summary record as sheet row `n`: numbers as numbers, text as inline strings, null as no cell. */
function recordXml(cells: readonly ReportCell[], n: number): string {
  let xml = `<row r="${n}">`;
  cells.forEach((v, i) => {
    if (v === null) return;
    const ref = `${LETTERS[i]}${n}`;
    const kind = REPORT_COLUMNS[i]?.kind ?? 'text';
    if (kind === 'number') {
      if (typeof v !== 'number' || !Number.isFinite(v))
        throw new RangeError(`report column ${i + 1} holds ${JSON.stringify(v)}, not a number`);
      xml += `<c r="${ref}"><v>${v}</v></c>`;
    } else xml += textCell(ref, String(v));
  });
  return `${xml}</row>`;
}

function sheetXml(s: Sheet, first: boolean): string {
  const last = LETTERS[s.header.length - 1];
  const cols = s.widths.map((w, i) => `<col min="${i + 1}" max="${i + 1}" width="${w}" customWidth="1"/>`).join('');
  const header = s.header.map((h, i) => textCell(`${LETTERS[i]}1`, h, ` s="${BOLD}"`)).join('');
  return (
    `${XML_HEAD}<worksheet xmlns="${MAIN}" xmlns:r="${REL}"><sheetViews><sheetView workbookViewId="0"${first ? ' tabSelected="1"' : ''}>` +
    '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/><selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>' +
    `<sheetFormatPr defaultRowHeight="15"/><cols>${cols}</cols><sheetData><row r="1">${header}</row>${s.rows}</sheetData>` +
    `<autoFilter ref="A1:${last}1"/></worksheet>`
  );
}

/** The workbook's zip bytes; with `stamp`, the chain head it was built at in its custom properties. */
export function reportWorkbook(w: ReportWorkbook, stamp?: ChainHead): Buffer {
  const widths = REPORT_COLUMNS.map((c) => c.width);
  while (widths.length < w.summaryHeader.length) widths.push(32);
  const sheets: Sheet[] = [
    {
      name: w.summaryName,
      header: w.summaryHeader,
      widths,
      rows: w.summary.map((cells, i) => recordXml(cells, i + 2)).join(''),
    },
    ...w.sheets.map((s) => ({
      name: s.name,
      header: exportHeaders(w.lang),
      widths: EXPORT_COLUMNS.map((c) => c.width),
      rows: s.rows.map((r, i) => rowXml(r, i + 2, 'inline', DATE)).join(''),
    })),
  ];
  const n = sheets.length;
  const ids = sheets.map((_, i) => i + 1);
  const parts: ZipPart[] = [
    {
      name: '[Content_Types].xml',
      deflate: false,
      data: Buffer.from(
        `${XML_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>${ids.map((i) => `<Override PartName="/xl/worksheets/sheet${i}.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>`).join('')}<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>`,
      ),
    },
    {
      name: '_rels/.rels',
      deflate: false,
      data: Buffer.from(
        `${XML_HEAD}<Relationships xmlns="${PKG_REL}"><Relationship Id="rId1" Type="${REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>`,
      ),
    },
    {
      name: 'xl/workbook.xml',
      deflate: false,
      data: Buffer.from(
        `${XML_HEAD}<workbook xmlns="${MAIN}" xmlns:r="${REL}"><bookViews><workbookView/></bookViews><sheets>${sheets.map((s, i) => `<sheet name="${escapeAttr(s.name)}" sheetId="${i + 1}" r:id="rId${i + 1}"/>`).join('')}</sheets></workbook>`,
      ),
    },
    {
      name: 'xl/_rels/workbook.xml.rels',
      deflate: false,
      data: Buffer.from(
        `${XML_HEAD}<Relationships xmlns="${PKG_REL}">${ids.map((i) => `<Relationship Id="rId${i}" Type="${REL}/worksheet" Target="worksheets/sheet${i}.xml"/>`).join('')}<Relationship Id="rId${n + 1}" Type="${REL}/styles" Target="styles.xml"/></Relationships>`,
      ),
    },
    { name: 'xl/styles.xml', deflate: false, data: Buffer.from(STYLES) },
    ...sheets.map((s, i) => ({
      name: `xl/worksheets/sheet${i + 1}.xml`,
      deflate: true,
      data: Buffer.from(sheetXml(s, i === 0)),
    })),
  ];
  return zipParts(stamp ? stampedParts(parts, stamp) : parts, STAMP_MS);
}
