/**
 * The collector's state as read from disk, checked field by field: a hand-edited or damaged
 * entry is an InputError naming the state file and the entry, not a TypeError later on.
 * Fields added in later versions may be absent; fields this version does not know are kept.
 */
import { HEX64 } from './chain.js';
import { COUNTRY_CODE } from './country.js';
import { InputError } from './errors.js';
import { emptyState, type CollectorState } from './reconcile.js';
import { msFromIso } from './time.js';

type Check = (v: unknown) => string | null;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const text: Check = (v) => (typeof v === 'string' ? null : 'is not a string');
const nonEmpty: Check = (v) => (typeof v === 'string' && v !== '' ? null : 'is not a non-empty string');
const count: Check = (v) =>
  typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? null : 'is not a whole number ≥ 0';
const instant: Check = (v) => (typeof v === 'string' && !Number.isNaN(msFromIso(v)) ? null : 'is not an ISO UTC time');
const countryCode: Check = (v) =>
  typeof v === 'string' && COUNTRY_CODE.test(v) ? null : 'is not a two-letter country code';
const flag: Check = (v) => (typeof v === 'boolean' ? null : 'is not true or false');
const oneOf =
  (...values: string[]): Check =>
  (v) =>
    typeof v === 'string' && values.includes(v) ? null : `is not one of ${values.join(', ')}`;
const orNull =
  (check: Check): Check =>
  (v) =>
    v === null ? null : check(v) === null ? null : `${check(v)} or null`;
/** Absent in files written by older versions. */
const optional =
  (check: Check): Check =>
  (v) =>
    v === undefined ? null : check(v);

const SESSION: Record<string, Check> = {
  id: nonEmpty,
  instance: nonEmpty,
  user: text,
  commonName: text,
  username: orNull(text),
  realAddress: text,
  realPort: orNull(count),
  protocol: orNull(text),
  virtualAddress: orNull(text),
  virtualIpv6: orNull(text),
  clientId: orNull(count),
  peerId: orNull(count),
  cipher: orNull(text),
  connectedAt: instant,
  lastSeenAt: instant,
  endedAt: orNull(instant),
  durationS: orNull(count),
  bytesReceived: orNull(count),
  bytesSent: orNull(count),
  endReason: orNull(oneOf('disconnected', 'server-stopped')),
  endExact: optional(flag),
  source: oneOf('status', 'legacy', 'hook'),
  country: optional(orNull(countryCode)),
};
const TRACKED: Record<string, Check> = { ...SESSION, missingSince: orNull(instant) };
const REWRITTEN_ROW: Record<string, Check> = { id: nonEmpty, connectedAt: instant, user: text };
const HOOK_ENDED: Record<string, Check> = {
  id: nonEmpty,
  instance: nonEmpty,
  commonName: text,
  realAddress: text,
  realPort: orNull(count),
  connectedAt: instant,
  endedAt: instant,
};

/** Throws naming `where` (e.g. `tracked[3].connectedAt`) and what is wrong. */
type Fail = (where: string, why: string) => never;

function fields(v: unknown, spec: Record<string, Check>, where: string, fail: Fail): void {
  if (!isObject(v)) fail(where, 'is not an object');
  for (const [key, check] of Object.entries(spec)) {
    const why = check(v[key]);
    if (why !== null) fail(`${where}.${key}`, v[key] === undefined ? 'is missing' : why);
  }
}

function list(v: unknown, where: string, fail: Fail, each: (item: unknown, at: string) => void): void {
  if (!Array.isArray(v)) fail(where, 'is not a list');
  v.forEach((item, i) => {
    each(item, `${where}[${i}]`);
  });
}

function record(v: unknown, where: string, fail: Fail, each: (item: unknown, at: string) => void): void {
  if (!isObject(v)) fail(where, 'is not an object');
  for (const [key, item] of Object.entries(v)) each(item, `${where}[${JSON.stringify(key)}]`);
}

function checkValue(v: unknown, check: Check, where: string, fail: Fail): void {
  const why = check(v);
  if (why !== null) fail(where, why);
}

/** States written before the hooks lack endExact: such sessions' ends are estimates. */
const withEndExact = (s: Record<string, unknown>): Record<string, unknown> => ({ ...s, endExact: s.endExact === true });

/** `data` (parsed JSON) as a CollectorState, or an InputError naming `file` and the bad entry. */
export function collectorStateFrom(data: unknown, file: string): CollectorState {
  const fail: Fail = (where, why) => {
    throw new InputError(
      file,
      null,
      `${where} ${why}; not a valid collector state (restore it from a backup; removing it starts afresh but loses the open sessions)`,
    );
  };
  if (!isObject(data) || data.schemaVersion !== 1) {
    throw new InputError(file, null, 'not a collector state file of schemaVersion 1');
  }
  checkValue(data.historyBytes, count, 'historyBytes', fail);
  checkValue(data.historyGeneration, optional(count), 'historyGeneration', fail);
  record(data.instances, 'instances', fail, (item, at) => {
    fields(item, { lastUpdatedAt: orNull(instant) }, at, fail);
    const steppedBack = (item as Record<string, unknown>).steppedBack;
    if (steppedBack !== undefined) fields(steppedBack, { count, lastAt: instant }, `${at}.steppedBack`, fail);
    const down = (item as Record<string, unknown>).down;
    if (down !== undefined) fields(down, { kind: oneOf('missing', 'stale'), since: instant }, `${at}.down`, fail);
  });
  list(data.tracked, 'tracked', fail, (item, at) => fields(item, TRACKED, at, fail));
  if (data.stoppedWritten !== undefined) {
    list(data.stoppedWritten, 'stoppedWritten', fail, (item, at) => fields(item, TRACKED, at, fail));
  }
  if (data.withdrawing !== undefined)
    list(data.withdrawing, 'withdrawing', fail, (item, at) => checkValue(item, nonEmpty, at, fail));
  if (data.recentlyClosed !== undefined)
    record(data.recentlyClosed, 'recentlyClosed', fail, (item, at) => checkValue(item, instant, at, fail));
  if (data.rewrites !== undefined) {
    list(data.rewrites, 'rewrites', fail, (item, at) => {
      fields(item, { generation: count, bytesBefore: count, bytesAfter: count }, at, fail);
      const r = item as Record<string, unknown>;
      if (r.removed !== null)
        list(r.removed, `${at}.removed`, fail, (row, rat) => fields(row, REWRITTEN_ROW, rat, fail));
      if (r.added !== null) list(r.added, `${at}.added`, fail, (row, rat) => fields(row, SESSION, rat, fail));
    });
  }
  if (data.chain !== undefined) {
    const hex: Check = (v) => (typeof v === 'string' && HEX64.test(v) ? null : 'is not 64 hex digits');
    fields(data.chain, { head: hex, rows: count }, 'chain', fail);
  }
  if (data.hookEnded !== undefined)
    list(data.hookEnded, 'hookEnded', fail, (item, at) => fields(item, HOOK_ENDED, at, fail));
  if (data.hookSpool !== undefined) {
    fields(data.hookSpool, { seq: count }, 'hookSpool', fail);
    const parts = (data.hookSpool as Record<string, unknown>).parts;
    record(parts, 'hookSpool.parts', fail, (item, at) => fields(item, { offset: count, seenAt: instant }, at, fail));
  }
  return {
    ...emptyState(),
    ...data,
    tracked: (data.tracked as Record<string, unknown>[]).map(withEndExact),
    ...(data.stoppedWritten === undefined
      ? {}
      : { stoppedWritten: (data.stoppedWritten as Record<string, unknown>[]).map(withEndExact) }),
  } as unknown as CollectorState;
}
