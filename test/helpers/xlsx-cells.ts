/**
 * The cells of an xlsx sheet read straight from its XML, for tests: rows in document order,
 * cells by their `r` reference where they have one, else one after the other (ECMA-376 lets
 * a writer leave out `r` on <row> and <c>; exceljs' reader cannot read such files). Shared
 * strings (`t="s"`), inline strings (`t="inlineStr"`), formula strings (`t="str"`),
 * booleans and numbers; XML entities and `_xHHHH_` escapes decoded. Dates stay serials.
 */
import { unzip } from './zip.js';

export type CellValue = string | number | boolean | null;

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** XML character data: entities and character references. */
function xmlText(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#\d+|[a-z]+);/g, (whole, name: string) => {
    if (name.startsWith('#x')) return String.fromCodePoint(parseInt(name.slice(2), 16));
    if (name.startsWith('#')) return String.fromCodePoint(Number(name.slice(1)));
    const e = ENTITIES[name];
    if (e === undefined) throw new Error(`unknown XML entity ${whole}`);
    return e;
  });
}

/** ST_Xstring: `_xHHHH_` is the UTF-16 unit HHHH (so `_x005F_` is an underscore). */
function unescapeXstring(s: string): string {
  return s.replace(/_x([0-9A-Fa-f]{4})_/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/** The text of a string item (<si> or <is>): its <t> elements, rich-text runs included, phonetic runs left out. */
function itemText(xml: string): string {
  const plain = xml.replace(/<rPh\b[\s\S]*?<\/rPh>/g, '');
  let text = '';
  for (const m of plain.matchAll(/<t(?:\s[^>]*)?>([\s\S]*?)<\/t>|<t(?:\s[^>]*)?\/>/g))
    text += unescapeXstring(xmlText(m[1] ?? ''));
  return text;
}

const attr = (tag: string, name: string): string | undefined => new RegExp(`\\s${name}="([^"]*)"`).exec(tag)?.[1];

/** "C12" → column index 2 (0-based); null for a reference without letters. */
function columnOf(ref: string): number | null {
  const letters = /^([A-Z]+)\d*$/.exec(ref)?.[1];
  if (letters === undefined) return null;
  let n = 0;
  for (const ch of letters) n = n * 26 + (ch.charCodeAt(0) - 64);
  return n - 1;
}

function sharedStrings(xml: string | undefined): string[] {
  if (xml === undefined) return [];
  return [...xml.matchAll(/<si>([\s\S]*?)<\/si>|<si\/>/g)].map((m) => itemText(m[1] ?? ''));
}

/** The path of the workbook's first sheet (xl/workbook.xml and its relations). */
function firstSheetPath(parts: Map<string, { data: Buffer }>): string {
  const workbook = parts.get('xl/workbook.xml')?.data.toString('utf8');
  const rels = parts.get('xl/_rels/workbook.xml.rels')?.data.toString('utf8');
  if (workbook === undefined || rels === undefined)
    throw new Error('not a workbook: xl/workbook.xml or its relations missing');
  const sheet = /<sheet\b[^>]*>/.exec(workbook)?.[0];
  const id = sheet === undefined ? undefined : attr(sheet, 'r:id');
  const rel = [...rels.matchAll(/<Relationship\b[^>]*>/g)].map((m) => m[0]).find((r) => attr(r, 'Id') === id);
  const target = rel === undefined ? undefined : attr(rel, 'Target');
  if (target === undefined) throw new Error('the workbook names no first sheet');
  return target.startsWith('/') ? target.slice(1) : `xl/${target}`;
}

function cellValue(open: string, body: string, strings: string[]): CellValue {
  const type = attr(open, 't') ?? 'n';
  if (type === 'inlineStr') return itemText(/<is>([\s\S]*?)<\/is>/.exec(body)?.[1] ?? '');
  const v = /<v>([\s\S]*?)<\/v>/.exec(body)?.[1];
  if (v === undefined) return null;
  const text = xmlText(v);
  if (type === 's') {
    const s = strings[Number(text)];
    if (s === undefined) throw new Error(`shared string ${text} does not exist`);
    return s;
  }
  if (type === 'str' || type === 'e') return unescapeXstring(text);
  if (type === 'b') return text === '1';
  return Number(text);
}

/** The first sheet's rows (index 0 = sheet row 1); a missing cell is null. */
export function sheetRows(xlsx: Buffer): CellValue[][] {
  const parts = unzip(xlsx);
  const sheetXml = parts.get(firstSheetPath(parts))?.data.toString('utf8');
  if (sheetXml === undefined) throw new Error('the first sheet is missing');
  const strings = sharedStrings(parts.get('xl/sharedStrings.xml')?.data.toString('utf8'));
  const data = /<sheetData\b[^>]*>([\s\S]*?)<\/sheetData>|<sheetData\b[^>]*\/>/.exec(sheetXml)?.[1] ?? '';
  const rows: CellValue[][] = [];
  for (const rm of data.matchAll(/<row\b([^>]*?)(?:\/>|>([\s\S]*?)<\/row>)/g)) {
    const r = attr(rm[1] ?? '', 'r');
    const index = r === undefined ? rows.length : Number(r) - 1;
    while (rows.length < index) rows.push([]);
    const cells: CellValue[] = [];
    for (const cm of (rm[2] ?? '').matchAll(/<c\b([^>]*?)(?:\/>|>([\s\S]*?)<\/c>)/g)) {
      const open = cm[1] ?? '';
      const ref = attr(open, 'r');
      const col = ref === undefined ? cells.length : columnOf(ref);
      if (col === null) throw new Error(`cell reference ${ref} has no column`);
      while (cells.length < col) cells.push(null);
      cells[col] = cellValue(open, cm[2] ?? '', strings);
    }
    rows[index] = cells;
  }
  return rows;
}

/** An Excel serial (days since 1899-12-30, no zone) as the wall time it shows: `YYYY-MM-DD HH:MM:SS`. */
export function wallOfSerial(serial: number): string {
  const ms = Math.round((serial - 25569) * 86_400) * 1000;
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}
