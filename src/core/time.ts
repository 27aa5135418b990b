/**
 * Instants are whole-second ISO 8601 UTC strings (`2026-11-26T16:14:33Z`) everywhere:
 * they sort as text and read well in a CSV. Wall-clock text from status files and
 * legacy CSVs is read in an explicit IANA zone.
 */

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

/** True when `zone` is an IANA time zone this runtime knows. */
export function isValidTimeZone(zone: string): boolean {
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

/** The wall-clock reading in `timeZone` at epoch milliseconds `ms`. */
export function wallTimeAt(ms: number, timeZone: string): WallTime {
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

function offsetMs(ms: number, timeZone: string): number {
  const w = wallTimeAt(ms, timeZone);
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  return asUtc - Math.floor(ms / 1000) * 1000;
}

/**
 * Epoch milliseconds of a wall-clock time in `timeZone`. In the repeated hour of a DST
 * change the earlier instant is taken; a time inside the skipped hour maps forward.
 */
export function zonedToEpochMs(w: WallTime, timeZone: string): number {
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

const daysInMonth = (year: number, month: number): number => new Date(Date.UTC(year, month, 0)).getUTCDate();

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
const CTIME = /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) +(\d{1,2}) (\d{2}):(\d{2}):(\d{2}) (\d{4})$/;
const ISO_LOCAL = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})$/;

/**
 * Reads OpenVPN's time text: ctime (`Wed Feb  1 16:01:42 2023`, day space-padded or not)
 * before 2.5, `YYYY-MM-DD HH:MM:SS` from 2.5. Returns null when it is neither or not a
 * real calendar time.
 */
export function parseWallTime(text: string): WallTime | null {
  let m = CTIME.exec(text);
  let w: WallTime | null = null;
  if (m) {
    w = {
      year: Number(m[6]),
      month: MONTHS.indexOf(m[1] ?? '') + 1,
      day: Number(m[2]),
      hour: Number(m[3]),
      minute: Number(m[4]),
      second: Number(m[5]),
    };
  } else if ((m = ISO_LOCAL.exec(text))) {
    w = {
      year: Number(m[1]),
      month: Number(m[2]),
      day: Number(m[3]),
      hour: Number(m[4]),
      minute: Number(m[5]),
      second: Number(m[6]),
    };
  }
  return w && isValidWallTime(w) ? w : null;
}

/** `2026-11-26T16:14:33Z` for epoch milliseconds (sub-second part dropped). */
export function isoFromMs(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

export function isoFromEpochSeconds(s: number): string {
  return isoFromMs(s * 1000);
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
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/.test(text) || !isRealDay(text)) return null;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? null : isoFromMs(ms);
}

/** Whole seconds between two ISO instants. */
export function secondsBetween(fromIso: string, toIso: string): number {
  return Math.round((msFromIso(toIso) - msFromIso(fromIso)) / 1000);
}
