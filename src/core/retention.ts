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
