/**
 * The one formatter for durations, dates and byte counts, shared by the pages, the xlsx
 * files and the JSON snapshots.
 */
import { setBounded } from './memo.js';
import type { Lang } from './settings.js';
import { msFromIso, wallTimeAt } from './time.js';

const UNITS: Record<Lang, [string, string, string, string]> = {
  de: ['Tg', 'Std', 'Min', 'Sek'],
  en: ['d', 'h', 'min', 's'],
};

/** "1 Std, 2 Min, 30 Sek" (de) / "1 h 2 min 30 s" (en); days only past 24 h; zero parts dropped. */
export function formatDuration(seconds: number, lang: Lang): string {
  if (!Number.isFinite(seconds) || seconds < 0)
    throw new RangeError(`duration ${seconds} is not a non-negative number`);
  let s = Math.floor(seconds);
  const parts: [number, string][] = [];
  const [d, h, m, sec] = UNITS[lang];
  const days = Math.floor(s / 86400);
  s -= days * 86400;
  const hours = Math.floor(s / 3600);
  s -= hours * 3600;
  const minutes = Math.floor(s / 60);
  s -= minutes * 60;
  if (days) parts.push([days, d]);
  if (hours) parts.push([hours, h]);
  if (minutes) parts.push([minutes, m]);
  if (s || parts.length === 0) parts.push([s, sec]);
  return parts.map(([n, u]) => `${n} ${u}`).join(lang === 'de' ? ', ' : ' ');
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/**
 * Readings already made, per zone and kind: a run shows each instant many times (a session
 * is on several pages and in several files, and is grouped by its day again and again).
 * Bounded: a full build of a large history just starts over now and then.
 */
const MEMO_MAX = 50_000;
type Memo = Map<string, Map<string, string>>;
const timeMemo: Memo = new Map();
const dayMemo: Memo = new Map();

function remembered(memos: Memo, timeZone: string, iso: string, read: () => string): string {
  let memo = memos.get(timeZone);
  if (memo === undefined) {
    memo = new Map();
    memos.set(timeZone, memo);
  }
  return memo.get(iso) ?? setBounded(memo, iso, read(), MEMO_MAX);
}

/** "2026-11-20 23:55:51" in the zone (the seed's format, which both languages keep). */
export function formatDateTime(iso: string, timeZone: string): string {
  return remembered(timeMemo, timeZone, iso, () => {
    const w = wallTimeAt(msFromIso(iso), timeZone);
    return `${w.year}-${pad(w.month)}-${pad(w.day)} ${pad(w.hour)}:${pad(w.minute)}:${pad(w.second)}`;
  });
}

/** "2026-11-20": the calendar day of an instant in the zone (also the grouping key). */
export function dayOf(iso: string, timeZone: string): string {
  return remembered(dayMemo, timeZone, iso, () => {
    const w = wallTimeAt(msFromIso(iso), timeZone);
    return `${w.year}-${pad(w.month)}-${pad(w.day)}`;
  });
}

/** "HH:MM" in the zone, for chart axes. */
export function formatClock(ms: number, timeZone: string): string {
  const w = wallTimeAt(ms, timeZone);
  return `${pad(w.hour)}:${pad(w.minute)}`;
}

const BYTE_UNITS = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'];

/** Decimal units with one decimal: "1,2 MB" (de) / "1.2 MB" (en); null (unknown) as "–". */
export function formatBytes(bytes: number | null, lang: Lang): string {
  if (bytes === null) return '–';
  if (!Number.isFinite(bytes) || bytes < 0) throw new RangeError(`byte count ${bytes} is not a non-negative number`);
  let v = bytes;
  let i = 0;
  // 999.95 and up would show as "1000.0" with one decimal: that is the next unit's "1.0".
  while (v >= (i === 0 ? 1000 : 999.95) && i < BYTE_UNITS.length - 1) {
    v /= 1000;
    i++;
  }
  const text = i === 0 ? String(v) : v.toFixed(1);
  return `${lang === 'de' ? text.replace('.', ',') : text} ${BYTE_UNITS[i]}`;
}
