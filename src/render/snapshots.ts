/**
 * The JSON snapshots in `data/` for other tools (and, if it wants, the client script): what
 * the pages show, as data. Pure. Documented in docs/CONTRACTS.md ("JSON snapshots in the output folder"); bump
 * SNAPSHOT_SCHEMA when a field changes meaning or goes away (adding fields does not).
 */
import type { SeriesPoint } from '../core/chart-series.js';
import { compareNewestFirst, type Session } from '../core/session.js';
import { isoFromMs, secondsBetween } from '../core/time.js';
import { aliasOf } from './models.js';

export const SNAPSHOT_SCHEMA = 1;

interface Common {
  schemaVersion: number;
  /** ISO UTC instant of the build. */
  generatedAt: string;
  /** The zone the pages show times in (instants here are UTC). */
  timeZone: string;
}

function sessionJson(s: Session, aliases: Record<string, string>, now: string) {
  return {
    id: s.id,
    user: s.user,
    alias: aliasOf(s, aliases),
    commonName: s.commonName,
    username: s.username,
    instance: s.instance,
    realAddress: s.realAddress,
    realPort: s.realPort,
    virtualAddress: s.virtualAddress,
    virtualIpv6: s.virtualIpv6,
    connectedAt: s.connectedAt,
    lastSeenAt: s.lastSeenAt,
    endedAt: s.endedAt,
    /** Recorded duration, or for a running session the seconds up to `generatedAt`. */
    durationS: s.endedAt === null ? Math.max(0, secondsBetween(s.connectedAt, now)) : s.durationS,
    bytesReceived: s.bytesReceived,
    bytesSent: s.bytesSent,
    endReason: s.endReason,
    country: s.country ?? null,
  };
}

export interface SnapshotInput {
  now: string;
  timeZone: string;
  aliases: Record<string, string>;
  live: Session[];
  /** The newest sessions of every status: history-recent.json keeps the newest RECENT_SESSIONS. */
  recent: Session[];
  series: readonly SeriesPoint[];
  /** Days with history, newest first, with their archive file (relative to the site root). */
  days: { day: string; sessions: number; users: number; xlsx: string }[];
}

/** Sessions in history-recent.json (its contract since schema 1; the dashboard shows fewer). */
export const RECENT_SESSIONS = 100;

/** File (relative to the output folder) → JSON text. */
export function snapshotFiles(input: SnapshotInput): { path: string; content: string }[] {
  const common: Common = { schemaVersion: SNAPSHOT_SCHEMA, generatedAt: input.now, timeZone: input.timeZone };
  const json = (value: object): string => `${JSON.stringify({ ...common, ...value }, null, 1)}\n`;
  const sessions = (list: Session[], max = list.length) =>
    [...list]
      .sort(compareNewestFirst)
      .slice(0, max)
      .map((s) => sessionJson(s, input.aliases, input.now));
  return [
    { path: 'data/live.json', content: json({ sessions: sessions(input.live) }) },
    { path: 'data/history-recent.json', content: json({ sessions: sessions(input.recent, RECENT_SESSIONS) }) },
    {
      path: 'data/chart-24h.json',
      content: json({
        bucketSeconds: 300,
        points: input.series.map((p) => ({ start: isoFromMs(p.bucketStartMs), max: p.max })),
      }),
    },
    { path: 'data/days.json', content: json({ days: input.days }) },
  ];
}
