/**
 * The monthly reports (src/core/report.ts) in `exports/reports/`: per month an .xlsx and a
 * .csv for all users (`openvpn-report_<YYYY-MM>`: the summary, and a sheet per user while
 * the month has few enough: core/report.ts withUserSheets), and per user and month an .xlsx
 * (`openvpn-report_<user>_<YYYY-MM>`: the user's row and sessions).
 *
 * A build redoes the user-months whose sessions changed (new, ended, started, deleted,
 * restored, archived: the build's dirty user-months; every one on a full build) and the
 * later months their sessions reach into (hours are split at month ends), month by month
 * from the oldest, and each of those months' all-users files from the stored summary rows
 * (report-cache.ts). A closed month is so built once and again only when its sessions
 * change; the current month follows every run that changes it. Files hold the same bytes
 * for the same rows, and are written only when their content differs: a workbook names the
 * chain head it was built at, and one whose content is the same keeps its older head.
 */
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { type ChainHead, sha256Hex } from '../core/chain.js';
import { reportFileName } from '../core/export-names.js';
import { exportRows, type ExportContext } from '../core/export-rows.js';
import {
  anomalyCounts,
  carrySpan,
  monthsAfter,
  reportCells,
  reportHeaders,
  reportUserRow,
  sheetNames,
  sortedRows,
  withUserSheets,
  type ReportAnomaly,
  type ReportUserRow,
} from '../core/report.js';
import { LABELS } from '../core/i18n.js';
import { compareNewestFirst, type Session } from '../core/session.js';
import { writeFileIfChanged } from '../io/atomic-write.js';
import { csvTable } from '../io/csv-export.js';
import type { ExportSums } from '../io/export-sums.js';
import { ifMissing } from '../io/fs-errors.js';
import { type Carry, loadCarry, loadReportRows, saveCarry, saveReportRows } from '../io/report-cache.js';
import { reportWorkbook, type ReportSheet } from '../io/report-xlsx.js';
import { EXPORT_ROWS_MAX } from './exports.js';

/** The reports' folder, relative to the output folder. */
export const REPORTS_DIR = 'exports/reports';

export interface ReportInput {
  out: string;
  /** The reports' part of the build cache (io/build-cache.ts reportsCacheDir). */
  cacheDir: string;
  ctx: ExportContext;
  full: boolean;
  /** Every user's months with sessions, ended or tracked (a full build builds them all). */
  userMonths(): Iterable<[string, Iterable<string>]>;
  /** Per user, the months whose sessions changed since the last build. */
  dirty: ReadonlyMap<string, ReadonlySet<string>>;
  /** A user's sessions that started in a month (in the zone), ended and tracked. */
  sessionsOf(user: string, month: string): Promise<Session[]>;
  /** Flags to count per user and month (issue 21, item 3). */
  anomalies: readonly ReportAnomaly[];
  /** The record of the files' SHA-256 and chain heads; its stamp is this build's head. */
  sums: ExportSums;
}

/** The build's state while it works through the months. */
interface Work {
  readonly input: ReportInput;
  readonly carry: Carry;
  /** Month → users to redo there. */
  readonly todo: Map<string, Set<string>>;
  readonly anomalies: Map<string, number>;
  readonly keep: Set<string>;
  written: number;
  removed: number;
}

function add(w: Work, month: string, user: string): void {
  const users = w.todo.get(month) ?? new Set<string>();
  users.add(user);
  w.todo.set(month, users);
}

/** Brings the reports up to date; returns the files written and removed. */
export async function updateReports(input: ReportInput): Promise<{ written: number; removed: number }> {
  await mkdir(join(input.out, REPORTS_DIR), { recursive: true });
  const w: Work = {
    input,
    carry: input.full ? new Map() : await loadCarry(input.cacheDir),
    todo: new Map(),
    anomalies: anomalyCounts(input.anomalies, input.ctx.timeZone),
    keep: new Set(),
    written: 0,
    removed: 0,
  };
  if (input.full) {
    for (const [user, months] of input.userMonths()) for (const month of months) add(w, month, user);
  } else {
    // The later months a user-month's sessions reach (before or now) are queued when it is built (updateCarry).
    for (const [user, months] of input.dirty) for (const month of months) add(w, month, user);
  }
  // Oldest first: a month's users may add later months (where their sessions reach), never earlier ones.
  while (w.todo.size > 0) {
    const month = [...w.todo.keys()].sort()[0] as string;
    const users = w.todo.get(month) as Set<string>;
    w.todo.delete(month);
    await buildMonth(w, month, [...users].sort());
    // Later months never add to an earlier one: its sums go out now, and its entries from memory.
    await input.sums.settleMonth(month);
  }
  await saveCarry(input.cacheDir, w.carry);
  if (input.full) await removeUnkept(w);
  return { written: w.written, removed: w.removed };
}

/** The ended sessions of a user that started before `month` and reach into it (carry.json says which months hold them). */
async function earlierSessions(w: Work, user: string, month: string): Promise<Session[]> {
  const out: Session[] = [];
  for (const [from, last] of w.carry.get(user) ?? []) {
    if (from < month && last >= month) out.push(...(await w.input.sessionsOf(user, from)));
  }
  return out;
}

/** Records how far a user-month's sessions reach, and queues the later months they reach (now or before). */
function updateCarry(w: Work, user: string, month: string, started: readonly Session[]): void {
  const span = carrySpan(started, month, w.input.ctx.timeZone);
  const months = w.carry.get(user) ?? new Map<string, string>();
  const before = months.get(month);
  if (span === null) months.delete(month);
  else months.set(month, span);
  if (months.size === 0) w.carry.delete(user);
  else w.carry.set(user, months);
  const reach = [before, span].filter((m): m is string => m != null).sort();
  const last = reach[reach.length - 1];
  if (last !== undefined) for (const later of monthsAfter(month, last)) add(w, later, user);
}

const filesOf = (month: string) => ({
  xlsx: `${REPORTS_DIR}/${reportFileName(null, month, 'xlsx')}`,
  csv: `${REPORTS_DIR}/${reportFileName(null, month, 'csv')}`,
});
const userFileOf = (user: string, month: string): string => `${REPORTS_DIR}/${reportFileName(user, month, 'xlsx')}`;

/** A month: the users' rows and own files, then the all-users files from every user's row. */
async function buildMonth(w: Work, month: string, users: string[]): Promise<void> {
  const { input } = w;
  const tz = input.ctx.timeZone;
  const rows = input.full ? new Map<string, ReportUserRow>() : await loadReportRows(input.cacheDir, month);
  for (const user of users) {
    const started = await input.sessionsOf(user, month);
    const earlier = await earlierSessions(w, user, month);
    const sample = started[0] ?? earlier[0] ?? { user, commonName: user, username: null };
    const anomalies = w.anomalies.get(`${month}\u0000${user}`) ?? 0;
    const row = reportUserRow({ user, alias: input.ctx.aliasOf(sample), started, earlier, anomalies }, month, tz);
    updateCarry(w, user, month, started);
    const file = userFileOf(user, month);
    if (row === null) {
      rows.delete(user);
      await remove(w, file);
      continue;
    }
    rows.set(user, row);
    w.keep.add(file);
    await writeWorkbook(w, file, [row], [{ user, sessions: started }]);
  }
  const sorted = sortedRows(rows.values());
  const files = filesOf(month);
  if (sorted.length === 0) {
    await remove(w, files.xlsx);
    await remove(w, files.csv);
  } else {
    w.keep.add(files.xlsx);
    w.keep.add(files.csv);
    const sheets = withUserSheets(sorted)
      ? await Promise.all(sorted.map(async (r) => ({ user: r.user, sessions: await input.sessionsOf(r.user, month) })))
      : [];
    await writeWorkbook(w, files.xlsx, sorted, sheets);
    const csv = csvTable(reportHeaders(input.ctx.lang), sorted.map(reportCells), { lang: input.ctx.lang });
    await writeFile(w, files.csv, () => csv);
  }
  await saveReportRows(input.cacheDir, month, sorted);
}

/**
 * A report workbook: the summary of `rows`, and a sheet of each user's sessions of `sheets`
 * (newest first, as a sheet holds them); with several sheets the summary names each user's.
 */
async function writeWorkbook(
  w: Work,
  file: string,
  rows: readonly ReportUserRow[],
  sheets: readonly { user: string; sessions: readonly Session[] }[],
): Promise<void> {
  const { lang } = w.input.ctx;
  const summaryName = LABELS[lang].reportSummary;
  const names = sheetNames(
    sheets.map((s) => s.user),
    [summaryName],
  );
  const sheetOf = new Map(sheets.map((s, i) => [s.user, names[i] as string]));
  const named = sheets.length > 1;
  const header = reportHeaders(lang);
  if (named) header.push(LABELS[lang].reportSheet);
  const summary = rows.map((r) => (named ? [...reportCells(r), sheetOf.get(r.user) ?? null] : reportCells(r)));
  const userSheets: ReportSheet[] = sheets.map((s, i) => ({
    name: names[i] as string,
    rows: exportRows([...s.sessions].sort(compareNewestFirst).slice(0, EXPORT_ROWS_MAX), w.input.ctx),
  }));
  const book = { lang, summaryName, summaryHeader: header, summary, sheets: userSheets };
  await writeFile(w, file, (stamp) => reportWorkbook(book, stamp));
}

/**
 * Writes a report file made by `make` at this build's chain head, unless the file holds
 * what `make` gives at the head it was last recorded at (its content is the same: it keeps
 * that older head, still on the chain); records its SHA-256 and head.
 */
async function writeFile(w: Work, file: string, make: (stamp: ChainHead) => Buffer): Promise<void> {
  const { out, sums, full } = w.input;
  const path = join(out, file);
  const was = full ? undefined : sums.get(file);
  if (was !== undefined) {
    const same = make(was);
    if (sha256Hex(same) === was.sha256 && (await readFile(path).catch(ifMissing(null)))?.equals(same)) return;
  }
  const bytes = make(sums.stamp);
  if (await writeFileIfChanged(path, bytes, { durable: false })) w.written++;
  sums.set(file, sha256Hex(bytes));
}

async function remove(w: Work, file: string): Promise<void> {
  const path = join(w.input.out, file);
  const gone = await rm(path).then(() => true, ifMissing(false));
  if (gone) w.removed++;
  w.input.sums.delete(file);
}

/** A full build's last step: report files it did not stand for (left by an older history) go. */
async function removeUnkept(w: Work): Promise<void> {
  const names = await readdir(join(w.input.out, REPORTS_DIR)).catch(ifMissing([] as string[]));
  for (const name of names) {
    const file = `${REPORTS_DIR}/${name}`;
    if ((name.endsWith('.xlsx') || name.endsWith('.csv')) && !w.keep.has(file)) await remove(w, file);
  }
}
