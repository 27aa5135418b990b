/**
 * What the monthly reports keep in the build cache (HISTORY.cache/reports/, cleared with it):
 * per month its users' summary rows (MONTH.json), so a run that changes a few users rewrites
 * the month's summary without reading every user's sessions; and carry.json, the months each
 * user-month's sessions reach into (a session over a month's end counts hours there), so a
 * change or a deletion of such a session rebuilds those months too. A file that cannot be
 * read back is a CacheError: the build starts over in full.
 */
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ReportUserRow } from '../core/report.js';
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE, writeFileAtomic } from './atomic-write.js';
import { isObject, readCacheJson } from './build-cache.js';
import { ifMissing } from './fs-errors.js';

const CARRY = 'carry.json';
const MONTH_FILE = /^(\d{4}-\d{2})\.json$/;

function isRow(v: unknown): v is ReportUserRow {
  if (!isObject(v)) return false;
  const numbers = ['sessions', 'seconds', 'bytesIn', 'bytesOut', 'addresses', 'anomalies'];
  return (
    typeof v.user === 'string' &&
    (v.alias === null || typeof v.alias === 'string') &&
    numbers.every((k) => typeof v[k] === 'number') &&
    Array.isArray(v.countries) &&
    v.countries.every((c) => typeof c === 'string')
  );
}

/** A month's summary rows by user (empty when the month has none stored). */
export async function loadReportRows(dir: string, month: string): Promise<Map<string, ReportUserRow>> {
  const data = await readCacheJson(
    join(dir, `${month}.json`),
    (v) => isObject(v) && v.schemaVersion === 1 && Array.isArray(v.rows) && v.rows.every(isRow),
  );
  const rows = data === null ? [] : ((data as { rows: ReportUserRow[] }).rows ?? []);
  return new Map(rows.map((r) => [r.user, r]));
}

/** Stores a month's rows; a month without any loses its file. */
export async function saveReportRows(dir: string, month: string, rows: readonly ReportUserRow[]): Promise<void> {
  const file = join(dir, `${month}.json`);
  if (rows.length === 0) {
    await rm(file, { force: true });
    return;
  }
  await mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  await writeFileAtomic(file, JSON.stringify({ schemaVersion: 1, rows }), {
    durable: false,
    mode: PRIVATE_FILE_MODE,
  });
}

/** The months with stored rows. */
export async function reportMonths(dir: string): Promise<string[]> {
  const names = await readdir(dir).catch(ifMissing([] as string[]));
  return names.flatMap((n) => MONTH_FILE.exec(n)?.[1] ?? []);
}

/** user → (month → the latest later month its sessions reach into). */
export type Carry = Map<string, Map<string, string>>;

export async function loadCarry(dir: string): Promise<Carry> {
  const isEntry = (e: unknown): boolean => Array.isArray(e) && e.length === 3 && e.every((x) => typeof x === 'string');
  const data = await readCacheJson(
    join(dir, CARRY),
    (v) => isObject(v) && v.schemaVersion === 1 && Array.isArray(v.carry) && v.carry.every(isEntry),
  );
  const carry: Carry = new Map();
  for (const [user, month, last] of data === null ? [] : (data as { carry: [string, string, string][] }).carry) {
    const months = carry.get(user) ?? new Map<string, string>();
    months.set(month, last);
    carry.set(user, months);
  }
  return carry;
}

export async function saveCarry(dir: string, carry: Carry): Promise<void> {
  const entries: [string, string, string][] = [];
  for (const [user, months] of carry) for (const [month, last] of months) entries.push([user, month, last]);
  entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : 1));
  await mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  await writeFileAtomic(join(dir, CARRY), JSON.stringify({ schemaVersion: 1, carry: entries }), {
    durable: false,
    mode: PRIVATE_FILE_MODE,
  });
}
