/**
 * The monthly reports (src/app/reports.ts writes them): per month in the zone, a summary row
 * per user (sessions, hours online, traffic, countries, distinct public addresses,
 * anomalies) and the user's sessions of the month as export rows.
 *
 * A session belongs to the month it started in (its connect day in the zone, as on the
 * pages): it is listed there, and its traffic, country and address count there. Its time
 * online is split at month ends: the hours of a month are the time its ended sessions were
 * connected within it, so a session over midnight of the month's last day counts the part
 * before in that month and the rest in the next (bytes carry no time, so they cannot be
 * split). A running session counts with its start only, like the exports: its hours and
 * traffic count once it has ended, so a report changes when sessions start, end or go.
 */
import { dayOf } from './format.js';
import { LABELS, type Labels } from './i18n.js';
import type { Session } from './session.js';
import type { Lang } from './settings.js';
import { msFromIso, zonedToEpochMs } from './time.js';

/** What the anomalies (issue 21, item 3) give the report: a flag on a user at an instant. */
export interface ReportAnomaly {
  kind: string;
  user: string;
  sessionIds: readonly string[];
  /** ISO UTC instant; counts in the month it falls in, in the zone. */
  at: string;
}

/** One user's summary of a month. */
export interface ReportUserRow {
  user: string;
  alias: string | null;
  /** Sessions that started in the month (running ones included). */
  sessions: number;
  /** Seconds online within the month, of ended sessions (those from earlier months included). */
  seconds: number;
  bytesIn: number;
  bytesOut: number;
  /** ISO 3166-1 alpha-2 codes of the month's sessions, sorted. */
  countries: string[];
  /** Distinct public addresses of the month's sessions. */
  addresses: number;
  anomalies: number;
}

const MONTH = /^(\d{4})-(\d{2})$/;

function parseMonth(month: string): { year: number; month: number } {
  const m = MONTH.exec(month);
  const mo = Number(m?.[2]);
  if (m === null || mo < 1 || mo > 12) throw new RangeError(`month ${JSON.stringify(month)} is not YYYY-MM`);
  return { year: Number(m[1]), month: mo };
}

/** "2026-12" → "2027-01". */
export function nextMonth(month: string): string {
  const { year, month: mo } = parseMonth(month);
  return mo === 12 ? `${year + 1}-01` : `${year}-${String(mo + 1).padStart(2, '0')}`;
}

/** The months after `from` up to and including `to` (none when `to` is not after `from`). */
export function monthsAfter(from: string, to: string): string[] {
  const out: string[] = [];
  for (let m = nextMonth(from); m <= to; m = nextMonth(m)) out.push(m);
  return out;
}

/** The month's instants in the zone: from midnight of its first day up to (not including) the next month's. */
export function monthSpan(month: string, timeZone: string): { startMs: number; endMs: number } {
  const at = (m: string): number => {
    const { year, month: mo } = parseMonth(m);
    return zonedToEpochMs({ year, month: mo, day: 1, hour: 0, minute: 0, second: 0 }, timeZone);
  };
  return { startMs: at(month), endMs: at(nextMonth(month)) };
}

/** The month ("YYYY-MM") of an instant in the zone. */
export const monthOfInstant = (iso: string, timeZone: string): string => dayOf(iso, timeZone).slice(0, 7);

/** An ended session's connected instants [start, end) in ms; null while it runs. */
function connectedMs(s: Session): [number, number] | null {
  if (s.endedAt === null) return null;
  const start = msFromIso(s.connectedAt);
  // The recorded duration, as the exports show it (an old row ending before its start is 0 s).
  const seconds = s.durationS ?? Math.max(0, (msFromIso(s.endedAt) - start) / 1000);
  return [start, start + seconds * 1000];
}

/** Seconds of `s` inside [startMs, endMs). */
export function secondsWithin(s: Session, span: { startMs: number; endMs: number }): number {
  const c = connectedMs(s);
  if (c === null) return 0;
  return Math.max(0, Math.round((Math.min(c[1], span.endMs) - Math.max(c[0], span.startMs)) / 1000));
}

/**
 * The latest month an ended session of `sessions` reaches into after `month` (so that
 * month's report counts part of it), or null when none reaches past `month`.
 */
export function carrySpan(sessions: readonly Session[], month: string, timeZone: string): string | null {
  const { endMs } = monthSpan(month, timeZone);
  let last = 0;
  for (const s of sessions) {
    const c = connectedMs(s);
    if (c !== null && c[1] > endMs && c[1] > last) last = c[1];
  }
  return last === 0 ? null : monthOfInstant(new Date(last - 1).toISOString(), timeZone);
}

/** Anomalies by user and month: key `${month}\0${user}`. */
export function anomalyCounts(anomalies: readonly ReportAnomaly[], timeZone: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const a of anomalies) {
    const key = `${monthOfInstant(a.at, timeZone)}\u0000${a.user}`;
    out.set(key, (out.get(key) ?? 0) + 1);
  }
  return out;
}

export interface UserMonthInput {
  user: string;
  alias: string | null;
  /** The user's sessions that started in the month. */
  started: readonly Session[];
  /** The user's ended sessions that started before the month (only their time within it counts). */
  earlier: readonly Session[];
  anomalies: number;
}

/** A user's summary of `month`; null when the user has nothing in it. */
export function reportUserRow(input: UserMonthInput, month: string, timeZone: string): ReportUserRow | null {
  const span = monthSpan(month, timeZone);
  let seconds = 0;
  let bytesIn = 0;
  let bytesOut = 0;
  const countries = new Set<string>();
  const addresses = new Set<string>();
  for (const s of input.started) {
    seconds += secondsWithin(s, span);
    if (s.endedAt !== null) {
      bytesIn += s.bytesReceived ?? 0;
      bytesOut += s.bytesSent ?? 0;
    }
    if (s.country != null) countries.add(s.country);
    if (s.realAddress !== '') addresses.add(s.realAddress);
  }
  for (const s of input.earlier) seconds += secondsWithin(s, span);
  if (input.started.length === 0 && seconds === 0 && input.anomalies === 0) return null;
  return {
    user: input.user,
    alias: input.alias,
    sessions: input.started.length,
    seconds,
    bytesIn,
    bytesOut,
    countries: [...countries].sort(),
    addresses: addresses.size,
    anomalies: input.anomalies,
  };
}

export type ReportCell = string | number | null;

interface ReportColumn {
  kind: 'text' | 'number';
  header: (t: Labels) => string;
  value: (r: ReportUserRow) => ReportCell;
  width: number;
}

/** The summary's columns, in order: the CSV's and the summary sheet's. */
export const REPORT_COLUMNS: readonly ReportColumn[] = [
  { kind: 'text', header: (t) => t.filterUser, value: (r) => r.user, width: 24 },
  { kind: 'text', header: (t) => t.alias, value: (r) => r.alias, width: 20 },
  { kind: 'number', header: (t) => t.sessions, value: (r) => r.sessions, width: 12 },
  // Hours to the hundredth (36 s): the seconds are exact, a report is read in hours.
  { kind: 'number', header: (t) => t.reportHours, value: (r) => Math.round(r.seconds / 36) / 100, width: 14 },
  { kind: 'number', header: (t) => t.exportBytesIn, value: (r) => r.bytesIn, width: 18 },
  { kind: 'number', header: (t) => t.exportBytesOut, value: (r) => r.bytesOut, width: 18 },
  { kind: 'text', header: (t) => t.countries, value: (r) => r.countries.join(' '), width: 14 },
  { kind: 'number', header: (t) => t.reportAddresses, value: (r) => r.addresses, width: 14 },
  { kind: 'number', header: (t) => t.reportAnomalies, value: (r) => r.anomalies, width: 14 },
];

export function reportHeaders(lang: Lang): string[] {
  const t = LABELS[lang];
  return REPORT_COLUMNS.map((c) => c.header(t));
}

export const reportCells = (r: ReportUserRow): ReportCell[] => REPORT_COLUMNS.map((c) => c.value(r));

/** Summary rows in a fixed order (by user, code unit order), so the same rows give the same bytes. */
export function sortedRows(rows: Iterable<ReportUserRow>): ReportUserRow[] {
  return [...rows].sort((a, b) => (a.user < b.user ? -1 : a.user > b.user ? 1 : 0));
}

/**
 * The all-users workbook has a sheet per user only while the month has at most this many
 * users and their sheets at most REPORT_SHEET_ROWS rows: it is made in memory on every run
 * that changes the month. Past either, it holds the (complete) summary alone, and each
 * user's own report holds their sheet.
 */
export const REPORT_SHEETS_MAX = 100;
export const REPORT_SHEET_ROWS = 50_000;

export function withUserSheets(rows: readonly ReportUserRow[]): boolean {
  return rows.length <= REPORT_SHEETS_MAX && rows.reduce((n, r) => n + r.sessions, 0) <= REPORT_SHEET_ROWS;
}

/** Excel's limit on a sheet name's length (UTF-16 code units). */
const SHEET_NAME_MAX = 31;
// Characters Excel refuses in a sheet name, and what XML cannot hold (controls, lone surrogates, U+FFFE/F).
// biome-ignore lint/suspicious/noControlCharactersInRegex: XML 1.0 and Excel forbid these in a sheet name
const SHEET_BAD = /[[\]:*?/\\\x00-\x1F\x7F\uFFFE\uFFFF]|\p{Cs}/gu;

/** `text` cut to `max` code units without splitting a surrogate pair. */
function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  const end = /[\uD800-\uDBFF]/.test(text.charAt(max - 1)) ? max - 1 : max;
  return text.slice(0, end);
}

/** A name as Excel may hold it: forbidden characters as `_`, no apostrophe at either end, at most 31 code units, never empty. */
export function sheetNameOf(user: string): string {
  const name = cut(user.replace(SHEET_BAD, '_'), SHEET_NAME_MAX).replace(/^[\s']+|[\s']+$/g, '');
  return name === '' ? '_' : name;
}

/**
 * A sheet name for each user, in order: sheetNameOf, made unique case-insensitively against
 * each other and `reserved` (the summary's name; Excel reserves "History") by a suffix
 * `~2`, `~3`, … in place of the name's end. The same users in the same order get the same names.
 */
export function sheetNames(users: readonly string[], reserved: readonly string[]): string[] {
  const taken = new Set([...reserved, 'History'].map((n) => n.toUpperCase()));
  return users.map((user) => {
    const base = sheetNameOf(user);
    let name = base;
    for (let n = 2; taken.has(name.toUpperCase()); n++) {
      const suffix = `~${n}`;
      name = `${cut(base, SHEET_NAME_MAX - suffix.length)}${suffix}`;
    }
    taken.add(name.toUpperCase());
    return name;
  });
}
