/**
 * The history CSV's columns and the conversion between a CSV record and a Session.
 * Records are read by the file's own header, so files written by an older version
 * (fewer columns) still load; every value is checked and a bad one names its line.
 */
import { InputError } from './errors.js';
import type { EndReason, Session, SessionSource } from './session.js';
import { msFromIso } from './time.js';

export const HISTORY_COLUMNS = [
  'id',
  'instance',
  'user',
  'commonName',
  'username',
  'realAddress',
  'realPort',
  'protocol',
  'virtualAddress',
  'virtualIpv6',
  'clientId',
  'peerId',
  'cipher',
  'connectedAt',
  'endedAt',
  'durationS',
  'bytesReceived',
  'bytesSent',
  'endReason',
  'lastSeenAt',
  'source',
  // Added with the hooks (issue 8); files written before lack it and read as estimated ends.
  'endExact',
] as const;

export type HistoryColumn = (typeof HISTORY_COLUMNS)[number];
/** Columns every history file must have; the others may be missing in older files. */
const REQUIRED: HistoryColumn[] = ['id', 'commonName', 'realAddress', 'connectedAt', 'endedAt'];

export function missingRequiredColumns(header: string[]): string[] {
  return REQUIRED.filter((c) => !header.includes(c));
}

const str = (v: string | number | boolean | null): string => (v === null ? '' : String(v));

export function sessionToRecord(s: Session): string[] {
  return HISTORY_COLUMNS.map((c) => str(s[c]));
}

/**
 * A Session from a CSV record. `onFix`, where given, hears of a row read back corrected rather
 * than refused (an end before its start, written by older versions); without it such a row
 * is an error like any other bad value.
 */
export function sessionFromRecord(r: Record<string, string | undefined>, file: string, line: number, onFix?: (reason: string) => void): Session {
  const bad = (column: string, why: string): never => {
    throw new InputError(file, line, `column ${column}: ${why}`);
  };
  const text = (c: HistoryColumn): string | null => {
    const v = r[c];
    return v === undefined || v === '' ? null : v;
  };
  const required = (c: HistoryColumn): string => text(c) ?? bad(c, 'is empty');
  const instant = (c: HistoryColumn): string | null => {
    const v = text(c);
    if (v !== null && Number.isNaN(msFromIso(v))) bad(c, `"${v}" is not an ISO UTC time`);
    return v;
  };
  const int = (c: HistoryColumn): number | null => {
    const v = text(c);
    if (v === null) return null;
    if (!/^\d{1,16}$/.test(v) || !Number.isSafeInteger(Number(v))) bad(c, `"${v}" is not a whole number ≥ 0`);
    return Number(v);
  };
  const endReason = text('endReason');
  if (endReason !== null && endReason !== 'disconnected' && endReason !== 'server-stopped') {
    bad('endReason', `"${endReason}" is not disconnected or server-stopped`);
  }
  const source = text('source') ?? 'status';
  if (source !== 'status' && source !== 'legacy' && source !== 'hook') bad('source', `"${source}" is unknown`);
  const endExact = text('endExact') ?? 'false';
  if (endExact !== 'true' && endExact !== 'false') bad('endExact', `"${endExact}" is not true or false`);
  const connectedAt = instant('connectedAt') ?? bad('connectedAt', 'is empty');
  let endedAt = instant('endedAt');
  let durationS = int('durationS');
  let lastSeenAt = instant('lastSeenAt') ?? endedAt ?? connectedAt;
  if (endedAt !== null && msFromIso(endedAt) < msFromIso(connectedAt)) {
    const why = `${endedAt} is before connectedAt ${connectedAt}`;
    if (!onFix) bad('endedAt', why);
    // Older versions wrote such rows when the server's clock stepped back: read as ending
    // when it started, so one old row never stops every run.
    onFix?.(`column endedAt: ${why}; read as ending when it started (0 s)`);
    endedAt = connectedAt;
    durationS = 0;
    if (msFromIso(lastSeenAt) < msFromIso(connectedAt)) lastSeenAt = connectedAt;
  }
  const commonName = required('commonName');
  const username = text('username');
  return {
    id: required('id'),
    instance: text('instance') ?? 'default',
    user: text('user') ?? username ?? commonName,
    commonName,
    username,
    realAddress: required('realAddress'),
    realPort: int('realPort'),
    protocol: text('protocol'),
    virtualAddress: text('virtualAddress'),
    virtualIpv6: text('virtualIpv6'),
    clientId: int('clientId'),
    peerId: int('peerId'),
    cipher: text('cipher'),
    connectedAt,
    lastSeenAt,
    endedAt,
    durationS,
    bytesReceived: int('bytesReceived'),
    bytesSent: int('bytesSent'),
    endReason: endReason as EndReason | null,
    endExact: endExact === 'true',
    source: source as SessionSource,
  };
}
