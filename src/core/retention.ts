/**
 * Retention: sessions that ended more than `retentionDays` ago leave the history for a
 * yearly archive CSV (never dropped). Pure rules; src/app/retention.ts applies them.
 */
import type { Session } from './session.js';
import { isoFromMs, msFromIso } from './time.js';
import { dayOf } from './format.js';

const DAY_MS = 86_400_000;

/** Sessions that ended before this instant are due for the archive. */
export function retentionCutoff(now: string, days: number): string {
  return isoFromMs(msFromIso(now) - days * DAY_MS);
}

/**
 * Whether to archive now, given the oldest end in the history (its first row: the CSV is in
 * end order). Only once the oldest row is a day past the cutoff: then everything past the
 * cutoff goes in one rewrite, so the CSV is rewritten about once a day, not every minute.
 */
export function retentionDue(oldestEndedAt: string | null, now: string, days: number): boolean {
  return oldestEndedAt !== null && oldestEndedAt < retentionCutoff(now, days + 1);
}

/** The archive year of a session: the year of its end in the configured zone. */
export function archiveYear(s: Pick<Session, 'endedAt' | 'lastSeenAt'>, timeZone: string): string {
  return dayOf(s.endedAt ?? s.lastSeenAt, timeZone).slice(0, 4);
}

/**
 * The drop rule of one retention move: the rows due, in the history's own order, up to the
 * first that is not. A row written after a newer one (a server-stopped session held until its
 * server came back, an import, a restore) waits for the rows before it, so the archives stay a
 * prefix of the hash chain and verify needs no record of where each row went.
 */
export function dueInOrder(cutoff: string): (s: Pick<Session, 'endedAt' | 'lastSeenAt'>) => boolean {
  let open = true;
  return (s) => {
    if (open && (s.endedAt ?? s.lastSeenAt) >= cutoff) open = false;
    return open;
  };
}

/**
 * The archive year of each row moved, in the history's order: the year of its end, or the
 * year of a row before it when that is later (a session of Dec 31 written after one of
 * Jan 1), so that the yearly files, oldest first, hold the rows in the chain's order.
 */
export function archiveYears(rows: Pick<Session, 'endedAt' | 'lastSeenAt'>[], timeZone: string): string[] {
  let year = '';
  return rows.map((s) => {
    const own = archiveYear(s, timeZone);
    if (own > year) year = own;
    return year;
  });
}
