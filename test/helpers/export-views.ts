/**
 * The export files of a site against the views they stand for, for tests: the sessions from
 * `sessions --json` (the store's own listing), each view's rows as the files must hold them,
 * and the rows the files do hold (xlsx read by xlsx-cells.ts, CSV parsed), both reduced to
 * the same plain columns, found by the files' own header row.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { dayFileName, exportFileName, type ExportStatus } from '../../src/core/export-names.js';
import { exportHeaders, EXPORT_COLUMNS, type ExportRow } from '../../src/core/export-rows.js';
import type { SessionJson } from './cli.js';
import { dayIn, listFiles, TZ } from './site.js';
import { sheetRows, wallOfSerial } from './xlsx-cells.js';

/** `YYYY-MM-DD HH:MM:SS` of an instant in `timeZone`, computed apart from src/core. */
export function wallIn(iso: string, timeZone = TZ): string {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(new Date(iso));
  const get = (type: string): string => parts.find((p) => p.type === type)?.value ?? '??';
  return `${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')}:${get('second')}`;
}

/** The columns compared, each computed here from the JSON (German labels: the tests' sites are German). */
const COMPARED: [keyof ExportRow, (s: SessionJson) => string][] = [
  ['user', (s) => s.user],
  ['commonName', (s) => s.commonName],
  ['username', (s) => s.username ?? ''],
  ['instance', (s) => s.instance],
  ['publicIp', (s) => s.realAddress],
  ['tunnelIpv4', (s) => s.virtualAddress ?? ''],
  ['tunnelIpv6', (s) => s.virtualIpv6 ?? ''],
  ['start', (s) => wallIn(s.connectedAt)],
  ['end', (s) => (s.endedAt === null ? '' : wallIn(s.endedAt))],
  ['durationS', (s) => (s.endedAt === null ? '' : String(s.durationS))],
  // Open sessions' traffic changes every minute: the files leave it out.
  ['bytesReceived', (s) => (s.endedAt === null || s.bytesReceived === null ? '' : String(s.bytesReceived))],
  ['bytesSent', (s) => (s.endedAt === null || s.bytesSent === null ? '' : String(s.bytesSent))],
  ['status', (s) => (s.endedAt === null ? 'aktiv' : 'beendet')],
];

const HEADERS = exportHeaders('de');
const headerOf = (key: keyof ExportRow): string => HEADERS[EXPORT_COLUMNS.findIndex((c) => c.key === key)] as string;

/** A view's expected rows: its sessions in the listing's order, the compared columns as text. */
export function expectedRows(sessions: SessionJson[]): string[][] {
  return sessions.map((s) => COMPARED.map(([, f]) => f(s)));
}

/** The compared columns of a file's rows, found by its header row. */
function pick(rows: string[][], file: string): string[][] {
  const [head, ...body] = rows;
  if (head === undefined) throw new Error(`${file}: no header row`);
  const at = COMPARED.map(([key]) => {
    const i = head.indexOf(headerOf(key));
    if (i < 0) throw new Error(`${file}: no column "${headerOf(key)}" in ${JSON.stringify(head)}`);
    return i;
  });
  return body.map((r) => at.map((i) => r[i] ?? ''));
}

const FORMULA_ESCAPED = /^'[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20]/;

/** The rows of an export file (.xlsx or .csv) below `out`, compared columns as text. */
export async function fileRows(out: string, file: string): Promise<string[][]> {
  const data = await readFile(join(out, file));
  if (file.endsWith('.csv')) {
    const records = parse(data, { bom: true, delimiter: ';', relax_column_count: false }) as string[][];
    return pick(
      records.map((r) => r.map((v) => (FORMULA_ESCAPED.test(v) ? v.slice(1) : v))),
      file,
    );
  }
  const rows = sheetRows(data);
  const head = (rows[0] ?? []).map((v) => String(v ?? ''));
  const dates = new Set([headerOf('start'), headerOf('end')].map((h) => head.indexOf(h)));
  return pick(
    rows.map((r, n) =>
      r.map((v, i) => (v === null ? '' : n > 0 && dates.has(i) && typeof v === 'number' ? wallOfSerial(v) : String(v))),
    ),
    file,
  );
}

export interface ViewFile {
  file: string;
  /** A file over the whole history of all users (`…_all_all`, `…_all_ended`). */
  wholeHistory: boolean;
  expected: string[][];
}

const STATUSES: readonly ExportStatus[] = ['all', 'active', 'ended'];
const inStatus = (s: SessionJson, status: ExportStatus): boolean => status === 'all' || s.status === status;

/** Every export file the site must hold for these sessions, with the rows of its view. */
export function expectedFiles(sessions: SessionJson[]): ViewFile[] {
  const files: ViewFile[] = [];
  const view = (user: string | null, status: ExportStatus): void => {
    const rows = expectedRows(sessions.filter((s) => (user === null || s.user === user) && inStatus(s, status)));
    for (const ext of ['xlsx', 'csv'] as const)
      files.push({
        file: `exports/${exportFileName(user, status, ext)}`,
        wholeHistory: user === null && status !== 'active',
        expected: rows,
      });
  };
  for (const status of STATUSES) view(null, status);
  for (const user of new Set(sessions.map((s) => s.user))) for (const status of STATUSES) view(user, status);
  for (const day of new Set(sessions.map((s) => dayIn(s.connectedAt))))
    for (const ext of ['xlsx', 'csv'] as const)
      files.push({
        file: `exports/days/${dayFileName(day, ext)}`,
        wholeHistory: false,
        expected: expectedRows(sessions.filter((s) => dayIn(s.connectedAt) === day)),
      });
  return files;
}

/**
 * Where the site's export files differ from their views: a line per missing or unexpected
 * file and per file whose rows differ (the first differing row shown). Split by whether the
 * file is one of the whole-history files of all users.
 */
export async function exportMismatches(
  out: string,
  sessions: SessionJson[],
): Promise<{ other: string[]; wholeHistory: string[] }> {
  const want = expectedFiles(sessions);
  // The monthly reports are no view's file: test/cli/reports.test.ts and the purge test check them;
  // nor are the sums files (helpers/export-sums.ts, assertSumsCurrent).
  const found = new Set(
    (await listFiles(out)).filter(
      (f) => f.startsWith('exports/') && !f.startsWith('exports/reports/') && !/\/SHA256SUMS$/.test(f),
    ),
  );
  const result = { other: [] as string[], wholeHistory: [] as string[] };
  for (const v of want) {
    const list = v.wholeHistory ? result.wholeHistory : result.other;
    if (!found.delete(v.file)) {
      list.push(`${v.file}: missing`);
      continue;
    }
    const got = await fileRows(out, v.file);
    const n = Math.max(got.length, v.expected.length);
    for (let i = 0; i < n; i++) {
      if (JSON.stringify(got[i]) === JSON.stringify(v.expected[i])) continue;
      list.push(
        `${v.file}: ${got.length} row(s), its view ${v.expected.length}; first difference at row ${i + 1}: ` +
          `file ${JSON.stringify(got[i] ?? null)}, view ${JSON.stringify(v.expected[i] ?? null)}`,
      );
      break;
    }
  }
  for (const extra of found) result.other.push(`${extra}: a file of no view`);
  return result;
}
