/**
 * The rows of the export files (xlsx and CSV): one row per session, the issue's columns in
 * their order, already formatted for the configured language and zone. Both writers take
 * these rows, so the two files of a view always hold the same data.
 *
 * Times are wall-clock text in the zone (`2026-11-26 17:14:55`, the pages' format): the CSV
 * writes it as is, the xlsx writer turns it into a date cell showing that wall time.
 */
import { createHash } from 'node:crypto';
import { formatDateTime, formatDuration } from './format.js';
import { LABELS, type Labels } from './i18n.js';
import type { Session } from './session.js';
import type { Lang } from './settings.js';
import { msFromIso, secondsBetween } from './time.js';

export interface ExportRow {
  user: string;
  alias: string | null;
  commonName: string;
  username: string | null;
  instance: string;
  publicIp: string;
  tunnelIpv4: string | null;
  tunnelIpv6: string | null;
  /** Connect time, wall clock in the zone: `YYYY-MM-DD HH:MM:SS`. */
  start: string;
  /** End time, same form; null while the session is open. */
  end: string | null;
  /** "ja"/"nein" ("yes"/"no"): the end came from OpenVPN's disconnect hook (exact) or from polling (estimated); null while open. */
  endExact: string | null;
  /** Whole seconds; null while the session runs. */
  durationS: number | null;
  /** formatDuration in the language: "1 Std, 2 Min, 30 Sek" / "1 h 2 min 30 s"; "läuft…"/"running…" while open. */
  durationText: string;
  /**
   * Null where unknown (sessions imported from the predecessor) and while the session runs:
   * a pre-built file cannot keep up with a running session, and leaving out what changes
   * every minute means a file changes only when sessions start, end or are deleted.
   */
  bytesReceived: number | null;
  bytesSent: number | null;
  /** "aktiv"/"beendet" (de), "active"/"ended" (en). */
  status: string;
  /** The end reason's label; null while open. */
  endReason: string | null;
  /** ISO 3166-1 alpha-2 of the real address, as recorded; null where none was (reserved ranges, older rows). */
  country: string | null;
}

export type ExportColumnKind = 'text' | 'number' | 'datetime';

export interface ExportColumn {
  key: keyof ExportRow;
  kind: ExportColumnKind;
  header: (t: Labels) => string;
  /** Column width in characters, for the xlsx sheet. */
  width: number;
}

/** The columns, in order. Every writer iterates this list, never its own. */
export const EXPORT_COLUMNS: readonly ExportColumn[] = [
  { key: 'user', kind: 'text', header: (t) => t.filterUser, width: 24 },
  { key: 'alias', kind: 'text', header: (t) => t.alias, width: 20 },
  { key: 'commonName', kind: 'text', header: (t) => t.commonName, width: 24 },
  { key: 'username', kind: 'text', header: (t) => t.username, width: 18 },
  { key: 'instance', kind: 'text', header: (t) => t.instance, width: 10 },
  { key: 'publicIp', kind: 'text', header: (t) => t.publicIp, width: 18 },
  { key: 'tunnelIpv4', kind: 'text', header: (t) => t.virtualIpv4, width: 14 },
  { key: 'tunnelIpv6', kind: 'text', header: (t) => t.virtualIpv6, width: 22 },
  { key: 'start', kind: 'datetime', header: (t) => t.start, width: 20 },
  { key: 'end', kind: 'datetime', header: (t) => t.end, width: 20 },
  { key: 'endExact', kind: 'text', header: (t) => t.exportEndExact, width: 12 },
  { key: 'durationS', kind: 'number', header: (t) => t.exportDurationS, width: 16 },
  { key: 'durationText', kind: 'text', header: (t) => t.duration, width: 24 },
  { key: 'bytesReceived', kind: 'number', header: (t) => t.exportBytesIn, width: 18 },
  { key: 'bytesSent', kind: 'number', header: (t) => t.exportBytesOut, width: 18 },
  { key: 'status', kind: 'text', header: (t) => t.status, width: 10 },
  { key: 'endReason', kind: 'text', header: (t) => t.endReason, width: 16 },
  { key: 'country', kind: 'text', header: (t) => t.country, width: 8 },
];

export function exportHeaders(lang: Lang): string[] {
  const t = LABELS[lang];
  return EXPORT_COLUMNS.map((c) => c.header(t));
}

/** The sheet's name (Excel allows 31 characters and none of `[]:*?/\`; both labels fit). */
export function exportSheetName(lang: Lang): string {
  return LABELS[lang].exportSheet;
}

export interface ExportContext {
  lang: Lang;
  /** IANA zone for the start and end columns. */
  timeZone: string;
  /**
   * The alias shown for a session's user. A function, not the alias map: the lookup rule
   * (user, then common name, then username) is render/models.ts's aliasOf, and core must not
   * import render. The CLI passes `(s) => aliasOf(s, aliases)`.
   */
  aliasOf: (s: Pick<Session, 'user' | 'commonName' | 'username'>) => string | null;
  /** ISO UTC instant of the build. */
  now: string;
}

export function exportRow(s: Session, ctx: ExportContext): ExportRow {
  const t = LABELS[ctx.lang];
  const endedAt = s.endedAt;
  // Ended: the recorded duration (endedAt − connectedAt). Open: none yet (see ExportRow).
  const durationS = endedAt === null ? null : (s.durationS ?? Math.max(0, secondsBetween(s.connectedAt, endedAt)));
  return {
    user: s.user,
    alias: ctx.aliasOf(s),
    commonName: s.commonName,
    username: s.username,
    instance: s.instance,
    publicIp: s.realAddress,
    tunnelIpv4: s.virtualAddress,
    tunnelIpv6: s.virtualIpv6,
    start: formatDateTime(s.connectedAt, ctx.timeZone),
    end: endedAt === null ? null : formatDateTime(endedAt, ctx.timeZone),
    endExact: endedAt === null ? null : s.endExact ? t.exportYes : t.exportNo,
    durationS,
    durationText: durationS === null ? t.running : formatDuration(durationS, ctx.lang),
    bytesReceived: endedAt === null ? null : s.bytesReceived,
    bytesSent: endedAt === null ? null : s.bytesSent,
    status: endedAt === null ? t.active : t.ended,
    endReason:
      s.endReason === 'disconnected'
        ? t.reasonDisconnected
        : s.endReason === 'server-stopped'
          ? t.reasonServerStopped
          : null,
    country: s.country ?? null,
  };
}

/** The rows of a view, in the order given (the caller sorts; the pages show newest first). */
export function exportRows(sessions: readonly Session[], ctx: ExportContext): ExportRow[] {
  if (Number.isNaN(msFromIso(ctx.now)))
    throw new RangeError(`now ${JSON.stringify(ctx.now)} is not an ISO UTC instant`);
  return sessions.map((s) => exportRow(s, ctx));
}

/**
 * Text that a spreadsheet could take for a formula (OWASP's list: = + - @ TAB CR, plus the
 * full-width = + - @ that some East Asian Excel versions accept too) gets a leading
 * apostrophe, which Excel and LibreOffice show as text and do not display. For CSV only:
 * xlsx cells are typed, so their text is stored as it is.
 */
const FORMULA_START = /^[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20]/;

export function escapeFormula(text: string): string {
  return FORMULA_START.test(text) ? `'${text}` : text;
}

/** Bumped when the files' layout changes, so digests of unchanged rows differ then too. */
export const EXPORT_FORMAT_VERSION = 2;

/** Text handed to the hash at once: one update per row (a call into C++ each) cost more than the rows' JSON. */
const DIGEST_CHUNK = 256 * 1024;
const COLUMN_KEYS = EXPORT_COLUMNS.map((c) => c.key);

/**
 * A hex digest of everything an export file holds (format version, language, rows): equal
 * digests mean equal files, so the build can skip a view whose digest it has stored without
 * writing it at all. Writer options outside the rows (the xlsx `timestamp`, the CSV
 * delimiter) are not in it: keep them fixed, or add them to the stored key.
 */
export function exportDigest(rows: readonly ExportRow[], lang: Lang): string {
  const h = createHash('sha256');
  let pending = JSON.stringify([EXPORT_FORMAT_VERSION, lang, exportHeaders(lang), exportSheetName(lang)]);
  for (const r of rows) {
    // Positional, in column order: a row's keys are fixed, the names would only cost time.
    pending += `\n${JSON.stringify(COLUMN_KEYS.map((k) => r[k]))}`;
    if (pending.length >= DIGEST_CHUNK) {
      h.update(pending);
      pending = '';
    }
  }
  return h.update(pending).digest('hex');
}
