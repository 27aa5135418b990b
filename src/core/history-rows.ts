/**
 * The history CSV's columns and the conversion between a CSV record and a Session.
 * Records are read by the file's own header, so files written by an older version
 * (fewer columns) still load; every value is checked and a bad one names its line.
 */
import { CHAIN_COLUMN } from './chain.js';
import { COUNTRY_CODE } from './country.js';
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
  // Added with countries (issue 21); files written before lack it and read as null.
  'country',
] as const;

export type HistoryColumn = (typeof HISTORY_COLUMNS)[number];
/**
 * The header written today: the session columns, then the row's chain value (src/core/chain.ts),
 * always last, so a spreadsheet shows it as one extra column at the right.
 */
export const HISTORY_HEADER: readonly string[] = [...HISTORY_COLUMNS, CHAIN_COLUMN];
/** Columns every history file must have; the others may be missing in older files. */
const REQUIRED: HistoryColumn[] = ['id', 'commonName', 'realAddress', 'connectedAt', 'endedAt'];

export function missingRequiredColumns(header: string[]): string[] {
  return REQUIRED.filter((c) => !header.includes(c));
}

const str = (v: string | number | boolean | null | undefined): string => (v == null ? '' : String(v));

export function sessionToRecord(s: Session): string[] {
  return HISTORY_COLUMNS.map((c) => str(s[c]));
}

/** One record's values by column, each checked as it is read; a bad one names its file, line and column. */
class RecordFields {
  constructor(
    private readonly r: Record<string, string | undefined>,
    private readonly file: string,
    private readonly line: number,
  ) {}

  bad(column: string, why: string): never {
    throw new InputError(this.file, this.line, `column ${column}: ${why}`);
  }

  text(c: HistoryColumn): string | null {
    const v = this.r[c];
    return v === undefined || v === '' ? null : v;
  }

  required(c: HistoryColumn): string {
    return this.text(c) ?? this.bad(c, 'is empty');
  }

  instant(c: HistoryColumn): string | null {
    const v = this.text(c);
    if (v !== null && Number.isNaN(msFromIso(v))) this.bad(c, `"${v}" is not an ISO UTC time`);
    return v;
  }

  int(c: HistoryColumn): number | null {
    const v = this.text(c);
    if (v === null) return null;
    if (!/^\d{1,16}$/.test(v) || !Number.isSafeInteger(Number(v))) this.bad(c, `"${v}" is not a whole number ≥ 0`);
    return Number(v);
  }
}

/** The columns with a fixed set of values. */
function kinds(f: RecordFields): { endReason: EndReason | null; source: SessionSource; endExact: boolean } {
  const endReason = f.text('endReason');
  if (endReason !== null && endReason !== 'disconnected' && endReason !== 'server-stopped') {
    f.bad('endReason', `"${endReason}" is not disconnected or server-stopped`);
  }
  const source = f.text('source') ?? 'status';
  if (source !== 'status' && source !== 'legacy' && source !== 'hook') f.bad('source', `"${source}" is unknown`);
  const endExact = f.text('endExact') ?? 'false';
  if (endExact !== 'true' && endExact !== 'false') f.bad('endExact', `"${endExact}" is not true or false`);
  return { endReason: endReason as EndReason | null, source: source as SessionSource, endExact: endExact === 'true' };
}

type Times = Pick<Session, 'connectedAt' | 'lastSeenAt' | 'endedAt' | 'durationS'>;

/** Start, end, duration and last sighting; an end before the start is refused or, with `onFix`, read as 0 s. */
function times(f: RecordFields, onFix: ((reason: string) => void) | undefined): Times {
  const connectedAt = f.instant('connectedAt') ?? f.bad('connectedAt', 'is empty');
  let endedAt = f.instant('endedAt');
  let durationS = f.int('durationS');
  let lastSeenAt = f.instant('lastSeenAt') ?? endedAt ?? connectedAt;
  if (endedAt !== null && msFromIso(endedAt) < msFromIso(connectedAt)) {
    const why = `${endedAt} is before connectedAt ${connectedAt}`;
    if (!onFix) f.bad('endedAt', why);
    // Older versions wrote such rows when the server's clock stepped back: read as ending
    // when it started, so one old row never stops every run.
    onFix?.(`column endedAt: ${why}; read as ending when it started (0 s)`);
    endedAt = connectedAt;
    durationS = 0;
    if (msFromIso(lastSeenAt) < msFromIso(connectedAt)) lastSeenAt = connectedAt;
  }
  return { connectedAt, lastSeenAt, endedAt, durationS };
}

/**
 * A Session from a CSV record. `onFix`, where given, hears of a row read back corrected rather
 * than refused (an end before its start, written by older versions); without it such a row
 * is an error like any other bad value.
 */
export function sessionFromRecord(
  r: Record<string, string | undefined>,
  file: string,
  line: number,
  onFix?: (reason: string) => void,
): Session {
  const f = new RecordFields(r, file, line);
  const { endReason, source, endExact } = kinds(f);
  const { connectedAt, lastSeenAt, endedAt, durationS } = times(f, onFix);
  const commonName = f.required('commonName');
  const username = f.text('username');
  return {
    id: f.required('id'),
    instance: f.text('instance') ?? 'default',
    user: f.text('user') ?? username ?? commonName,
    commonName,
    username,
    realAddress: f.required('realAddress'),
    realPort: f.int('realPort'),
    protocol: f.text('protocol'),
    virtualAddress: f.text('virtualAddress'),
    virtualIpv6: f.text('virtualIpv6'),
    clientId: f.int('clientId'),
    peerId: f.int('peerId'),
    cipher: f.text('cipher'),
    connectedAt,
    lastSeenAt,
    endedAt,
    durationS,
    bytesReceived: f.int('bytesReceived'),
    bytesSent: f.int('bytesSent'),
    endReason,
    endExact,
    source,
    country: country(f),
  };
}

function country(f: RecordFields): string | null {
  const v = f.text('country');
  if (v !== null && !COUNTRY_CODE.test(v)) f.bad('country', `"${v}" is not a two-letter country code`);
  return v;
}
