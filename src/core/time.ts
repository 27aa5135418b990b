/**
 * Instants are whole-second ISO 8601 UTC strings (`2026-11-26T16:14:33Z`) everywhere:
 * they sort as text and read well in a CSV. Wall-clock text from status files and
 * legacy CSVs is read in an explicit IANA zone.
 */
import { setBounded } from './memo.js';

const formatters = new Map<string, Intl.DateTimeFormat>();

function partsFormatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/**
 * UTC by its two usual names: offset 0 at every instant, so reading it needs no Intl. The
 * first Intl object of a process loads ICU's data, a cost every cron run would pay.
 */
const isUtc = (zone: string): boolean => zone === 'UTC' || zone === 'Etc/UTC';

/** True when `zone` is an IANA time zone this runtime knows. */
export function isValidTimeZone(zone: string): boolean {
  if (isUtc(zone)) return true;
  try {
    partsFormatter(zone);
    return true;
  } catch (e) {
    if (e instanceof RangeError) return false;
    throw e;
  }
}

export interface WallTime {
  year: number;
  month: number; // 1-12
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** Intl's reading of the wall clock: exact, but slow (microseconds per call). */
function intlWallTime(ms: number, timeZone: string): WallTime {
  const p: Record<string, number> = {};
  for (const part of partsFormatter(timeZone).formatToParts(new Date(ms))) {
    if (part.type !== 'literal') p[part.type] = Number(part.value);
  }
  return {
    year: p.year ?? 0,
    month: p.month ?? 0,
    day: p.day ?? 0,
    hour: p.hour ?? 0,
    minute: p.minute ?? 0,
    second: p.second ?? 0,
  };
}

const QUARTER_MS = 900_000;
const DAY_MS = 86_400_000;
/** Zone → quarter hour of UTC → offset (no string keys: this runs for every time shown). */
const offsetCache = new Map<string, Map<number, number>>();
let cachedOffsets = 0;

/** The zone's offset at the start of a quarter hour of UTC (Intl, cached). */
function quarterOffset(bucket: number, timeZone: string): number {
  let zone = offsetCache.get(timeZone);
  if (zone === undefined) {
    zone = new Map();
    offsetCache.set(timeZone, zone);
  }
  let offset = zone.get(bucket);
  if (offset === undefined) {
    const w = intlWallTime(bucket, timeZone);
    offset = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second) - bucket;
    if (cachedOffsets >= 200_000) {
      offsetCache.clear();
      cachedOffsets = 0;
      zone = new Map();
      offsetCache.set(timeZone, zone);
    }
    zone.set(bucket, offset);
    cachedOffsets++;
  }
  return offset;
}

/** The last UTC day found to have one offset throughout: most readings in a row fall on the same day. */
let lastDay = { zone: '', day: Number.NaN, offset: 0 };

/**
 * The zone's UTC offset at `ms`. Zones change their offset only on whole quarter hours of
 * UTC, and at most once a day: when the offsets at the start of a UTC day and of the next
 * one agree, the whole day has that offset (two Intl look-ups serve a day); otherwise the
 * day has a change, found by quarter hour.
 */
function offsetMs(ms: number, timeZone: string): number {
  if (isUtc(timeZone)) return 0;
  const day = Math.floor(ms / DAY_MS) * DAY_MS;
  if (day === lastDay.day && timeZone === lastDay.zone) return lastDay.offset;
  const start = quarterOffset(day, timeZone);
  if (start === quarterOffset(day + DAY_MS, timeZone)) {
    lastDay = { zone: timeZone, day, offset: start };
    return start;
  }
  return quarterOffset(Math.floor(ms / QUARTER_MS) * QUARTER_MS, timeZone);
}

/** The wall-clock reading in `timeZone` at epoch milliseconds `ms`. */
export function wallTimeAt(ms: number, timeZone: string): WallTime {
  const d = new Date(Math.floor(ms / 1000) * 1000 + offsetMs(ms, timeZone));
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
  };
}

/**
 * Epoch milliseconds of a wall-clock time in `timeZone`. In the repeated hour of a DST
 * change the earlier instant is taken; a time inside the skipped hour maps forward.
 */
const minuteCache = new Map<string, number>();

export function zonedToEpochMs(w: WallTime, timeZone: string): number {
  // Zones change offset on whole minutes: one Intl look-up per zone and wall minute.
  const key = `${timeZone} ${w.year} ${w.month} ${w.day} ${w.hour} ${w.minute}`;
  const base =
    minuteCache.get(key) ??
    setBounded(minuteCache, key, zonedToEpochMsUncached({ ...w, second: 0 }, timeZone), 100_000);
  return base + w.second * 1000;
}

function zonedToEpochMsUncached(w: WallTime, timeZone: string): number {
  const guess = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  // The offsets a day either side: between them a zone changes its offset at most once.
  const before = offsetMs(guess - 86_400_000, timeZone);
  const after = offsetMs(guess + 86_400_000, timeZone);
  // An instant fits when the zone's offset at that instant leads back to the same wall time.
  const fits = [guess - before, guess - after].filter((t) => offsetMs(t, timeZone) === guess - t);
  // Two fits: the repeated hour, take the earlier. None: the skipped hour, read it with the
  // offset from before the change, which moves it forward (02:30 becomes 03:30).
  return fits.length > 0 ? Math.min(...fits) : guess - before;
}

/**
 * The later reading of a wall time in the repeated hour of a DST change (`earlierMs` is the
 * one zonedToEpochMs gives), or null when the wall time happened once.
 */
export function laterZonedEpochMs(earlierMs: number, timeZone: string): number | null {
  if (isUtc(timeZone)) return null;
  const before = offsetMs(earlierMs, timeZone);
  // A zone changes its offset at most once a day: the offset a day on is the one after any change.
  const after = offsetMs(earlierMs + DAY_MS, timeZone);
  if (after >= before) return null;
  const later = earlierMs + (before - after);
  return offsetMs(later, timeZone) === after ? later : null;
}

/**
 * A status file's update time where its wall text happened twice (`later` set), by the order
 * of updates rather than a guess: of the readings not in the future (after `maxMs`), the
 * earliest not before the previous update (the same file read again stays where it was); with
 * no previous update the latest; when both are before it, the earlier (an older file).
 */
export function pickUpdateInstant(
  earlier: string,
  later: string | undefined,
  previous: string | null,
  maxMs: number,
): string {
  if (later === undefined) return earlier;
  const candidates = [earlier, later].filter((c) => msFromIso(c) <= maxMs);
  if (candidates.length === 0) return earlier;
  if (previous === null) return candidates[candidates.length - 1] as string;
  return candidates.find((c) => c >= previous) ?? (candidates[0] as string);
}

/**
 * A client's connect time where its wall text happened twice: never after the file's own
 * update time; the earliest reading after the previous update (a client connected since);
 * when none is after it, the latest (connected before it, in the hour it happened twice).
 */
export function pickConnectInstant(
  earlier: string,
  later: string | undefined,
  previous: string | null,
  updatedAt: string,
): string {
  if (later === undefined) return earlier;
  const candidates = [earlier, later].filter((c) => c <= updatedAt);
  if (candidates.length === 0) return earlier;
  return candidates.find((c) => previous === null || c > previous) ?? (candidates[candidates.length - 1] as string);
}

const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const daysInMonth = (year: number, month: number): number =>
  month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : (DAYS[month - 1] ?? 0);

export function isValidWallTime(w: WallTime): boolean {
  return (
    w.year >= 1970 &&
    w.year <= 9999 &&
    w.month >= 1 &&
    w.month <= 12 &&
    w.day >= 1 &&
    w.day <= daysInMonth(w.year, w.month) &&
    w.hour <= 23 &&
    w.minute <= 59 &&
    w.second <= 59
  );
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const CTIME =
  /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) +(\d{1,2}) (\d{2}):(\d{2}):(\d{2}) (\d{4})$/;
const ISO_LOCAL = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})$/;

/** 19 characters with `-`, `-`, space, `:`, `:` where `YYYY-MM-DD HH:MM:SS` has them (digits checked by the caller). */
export function hasIsoWallShape(text: string): boolean {
  return (
    text.length === 19 &&
    text.charCodeAt(4) === 45 &&
    text.charCodeAt(7) === 45 &&
    text.charCodeAt(10) === 32 &&
    text.charCodeAt(13) === 58 &&
    text.charCodeAt(16) === 58
  );
}

/** The two decimal digits at `at` as a number, -1 when they are not two digits. */
export function twoDigits(text: string, at: number): number {
  const a = text.charCodeAt(at) - 48;
  const b = text.charCodeAt(at + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

/**
 * A quick check, without allocating, that `text` is a `YYYY-MM-DD HH:MM:SS` time with fields
 * in range (days up to 28; anything it does not accept goes through parseWallTime).
 */
export function isPlausibleIsoText(text: string): boolean {
  if (!hasIsoWallShape(text)) return false;
  const century = twoDigits(text, 0);
  const year = twoDigits(text, 2);
  const month = twoDigits(text, 5);
  const day = twoDigits(text, 8);
  const hour = twoDigits(text, 11);
  const minute = twoDigits(text, 14);
  const second = twoDigits(text, 17);
  return (
    century >= 19 &&
    year >= 0 &&
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= 28 &&
    hour >= 0 &&
    hour <= 23 &&
    minute >= 0 &&
    minute <= 59 &&
    second >= 0 &&
    second <= 59 &&
    century * 100 + year >= 1970
  );
}

/**
 * Reads OpenVPN's time text: ctime (`Wed Feb  1 16:01:42 2023`, day space-padded or not)
 * before 2.5, `YYYY-MM-DD HH:MM:SS` from 2.5. Returns null when it is neither or not a
 * real calendar time.
 */
export function parseWallTime(text: string): WallTime | null {
  // 2.5+ text first: it is what current servers write.
  const m = ISO_LOCAL.exec(text);
  const c = m ? null : CTIME.exec(text);
  let w: WallTime | null = null;
  if (m) {
    w = {
      year: Number(m[1]),
      month: Number(m[2]),
      day: Number(m[3]),
      hour: Number(m[4]),
      minute: Number(m[5]),
      second: Number(m[6]),
    };
  } else if (c) {
    w = {
      year: Number(c[6]),
      month: MONTHS.indexOf(c[1] ?? '') + 1,
      day: Number(c[2]),
      hour: Number(c[3]),
      minute: Number(c[4]),
      second: Number(c[5]),
    };
  }
  return w && isValidWallTime(w) ? w : null;
}

/** `2026-11-26T16:14:33Z` for epoch milliseconds (sub-second part dropped). */
export function isoFromMs(ms: number): string {
  return isoFromEpochSeconds(Math.floor(ms / 1000));
}

/** Date's own formatting, for instants outside 1970–9999 where the arithmetic below does not apply. */
const isoByDate = (s: number): string => `${new Date(s * 1000).toISOString().slice(0, 19)}Z`;

const pad2 = (n: number): string => (n < 10 ? `0${n}` : `${n}`);

/** Whole seconds to ISO by calendar arithmetic (days → civil date), ~10× faster than Date#toISOString. */
export function isoFromEpochSeconds(s: number): string {
  if (!Number.isSafeInteger(s) || s < 0 || s > 253402300799) return isoByDate(s);
  const days = Math.floor(s / 86400);
  const sod = s - days * 86400;
  // Howard Hinnant's civil_from_days.
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  const hh = Math.floor(sod / 3600);
  const mm = Math.floor((sod % 3600) / 60);
  return `${String(y).padStart(4, '0')}-${pad2(m)}-${pad2(d)}T${pad2(hh)}:${pad2(mm)}:${pad2(sod % 60)}Z`;
}

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z$/;

/**
 * For text that starts `YYYY-MM-DDTHH`: a real calendar day and hour. Date.parse does not
 * check this: it rolls `02-30` over to March 2 and reads hour 24 as the next midnight.
 */
function isRealDay(text: string): boolean {
  const month = Number(text.slice(5, 7));
  const day = Number(text.slice(8, 10));
  const hour = Number(text.slice(11, 13));
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(Number(text.slice(0, 4)), month) && hour <= 23;
}

/** Epoch ms of an ISO UTC instant, or NaN when it is not one. */
export function msFromIso(iso: string): number {
  return ISO_UTC.test(iso) && isRealDay(iso) ? Date.parse(iso) : Number.NaN;
}

/** Normalises any ISO 8601 instant with an offset or Z to our whole-second UTC form. */
export function normaliseInstant(text: string): string | null {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/.test(text) || !isRealDay(text))
    return null;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? null : isoFromMs(ms);
}

/** Whole seconds between two ISO instants. */
export function secondsBetween(fromIso: string, toIso: string): number {
  return Math.round((msFromIso(toIso) - msFromIso(fromIso)) / 1000);
}
