/**
 * OpenVPN's client-connect / client-disconnect events merged into the collector's state.
 * Pure: `collect` reads the spool, calls applyHookEvents, commits the state, and then runs
 * reconcile() over the status files, which closes what the hooks ended (see reconcile.ts).
 *
 * Rules:
 * - a session seen by the hooks and by the status file is one session: same instance,
 *   common name and real address (`::ffff:a.b.c.d` = `a.b.c.d`), the same port where both
 *   know one (OpenVPN 2.4–2.6 print IPv6 addresses without it), and connect times within
 *   MATCH_TOLERANCE_S (both are OpenVPN's `created`, so normally equal);
 * - the hooks' times are exact and win: connectedAt = time_unix, endedAt = time_unix +
 *   time_duration, with endExact set; the bytes at disconnect are OpenVPN's final counters;
 * - a session only the hooks saw (shorter than the status interval) is recorded, source `hook`;
 * - the id of a session stays the one it got first, so pages and links keep working;
 * - an event for a session the history already holds is not applied twice (warning).
 */
import type { HookEvent } from './hook-line.js';
import type { CollectorState, TrackedSession } from './reconcile.js';
import { isIpv4 } from './remote-address.js';
import type { Warn } from './result.js';
import { sessionId, userOf, type Session } from './session.js';
import { isoFromEpochSeconds, msFromIso } from './time.js';

/** Connect times further apart than this are different sessions. */
export const MATCH_TOLERANCE_S = 2;

/** What the state remembers of a session a hook ended, so a status file written before its end does not open it again. */
export interface HookEndedKey {
  id: string;
  instance: string;
  commonName: string;
  realAddress: string;
  realPort: number | null;
  connectedAt: string;
  endedAt: string;
}

/** The key of a session a hook ended (its endedAt is set). */
export const hookEndedKey = (s: Session): HookEndedKey => ({
  id: s.id,
  instance: s.instance,
  commonName: s.commonName,
  realAddress: s.realAddress,
  realPort: s.realPort,
  connectedAt: s.connectedAt,
  endedAt: s.endedAt as string,
});

type Identity = Pick<Session, 'instance' | 'commonName' | 'realAddress' | 'realPort' | 'connectedAt'>;

/** A v4-mapped IPv6 address as the IPv4 address it is (OpenVPN's env unmaps it, some status files do not). */
export function plainAddress(a: string): string {
  const m = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(a);
  return m ? (m[1] as string) : a.toLowerCase();
}

const keyOf = (x: Pick<Identity, 'instance' | 'commonName' | 'realAddress'>): string =>
  `${x.instance}\u0000${x.commonName}\u0000${plainAddress(x.realAddress)}`;

/** How far apart two connect times of the same connection are (seconds), or null when they are not the same connection. */
export function connectionDistance(a: Identity, b: Identity): number | null {
  if (keyOf(a) !== keyOf(b)) return null;
  if (a.realPort !== null && b.realPort !== null && a.realPort !== b.realPort) return null;
  const d = Math.abs(msFromIso(a.connectedAt) - msFromIso(b.connectedAt)) / 1000;
  return d <= MATCH_TOLERANCE_S ? d : null;
}

/** The closest of `list` (that `accept` accepts) that is the same connection as `x`; ties: the same port first. */
export function closestConnection<T extends Identity>(
  x: Identity,
  list: Iterable<T>,
  accept: (c: T) => boolean = () => true,
): T | null {
  let best: T | null = null;
  let bestScore = Number.POSITIVE_INFINITY;
  for (const c of list) {
    if (!accept(c)) continue;
    const d = connectionDistance(x, c);
    if (d === null) continue;
    const score = d * 2 + (c.realPort === x.realPort ? 0 : 1);
    if (score < bestScore) {
      best = c;
      bestScore = score;
    }
  }
  return best;
}

/** Sessions by instance, common name and address: the candidates closestConnection looks at. */
export class ConnectionIndex<T extends Identity> {
  private readonly map = new Map<string, T[]>();

  constructor(items: Iterable<T> = []) {
    for (const s of items) this.add(s);
  }

  add(s: T): void {
    const k = keyOf(s);
    const list = this.map.get(k);
    if (list) list.push(s);
    else this.map.set(k, [s]);
  }

  remove(s: T): void {
    const list = this.map.get(keyOf(s));
    const i = list?.indexOf(s) ?? -1;
    if (list && i >= 0) list.splice(i, 1);
  }

  closest(x: Identity, accept?: (c: T) => boolean): T | null {
    return closestConnection(x, this.map.get(keyOf(x)) ?? [], accept);
  }
}

/** True for a tracked session that a client-disconnect hook ended: reconcile closes it. */
export const isEndedByHook = (s: Session): boolean => s.endExact && s.endedAt !== null;

/**
 * Ids the same connection may have been recorded under by the status file: its port
 * missing (IPv6 in OpenVPN 2.4–2.6), its address v4-mapped, its connect time a second or two off.
 */
export function candidateIds(x: Identity): string[] {
  const plain = plainAddress(x.realAddress);
  const addresses = isIpv4(plain) ? [plain, `::ffff:${plain}`] : [x.realAddress];
  const ports = x.realPort === null ? [null] : [x.realPort, null];
  const start = msFromIso(x.connectedAt) / 1000;
  const ids: string[] = [];
  for (let dt = -MATCH_TOLERANCE_S; dt <= MATCH_TOLERANCE_S; dt++) {
    const at = isoFromEpochSeconds(start + dt);
    for (const a of addresses) for (const p of ports) ids.push(sessionId(x.instance, x.commonName, at, a, p));
  }
  return ids;
}

/** A new session from a hook event (open; closed by endByHook for a disconnect). */
export function sessionFromEvent(ev: HookEvent): TrackedSession {
  return {
    id: sessionId(ev.instance, ev.commonName, ev.connectedAt, ev.realAddress, ev.realPort),
    instance: ev.instance,
    user: userOf(ev.commonName, ev.username),
    commonName: ev.commonName,
    username: ev.username,
    realAddress: ev.realAddress,
    realPort: ev.realPort,
    protocol: ev.protocol,
    virtualAddress: ev.virtualAddress,
    virtualIpv6: ev.virtualIpv6,
    clientId: null,
    peerId: null,
    cipher: null,
    connectedAt: ev.connectedAt,
    // No status file has listed it: "seen" at its start, the only moment known so far.
    lastSeenAt: ev.connectedAt,
    endedAt: null,
    durationS: null,
    bytesReceived: null,
    bytesSent: null,
    endReason: null,
    endExact: false,
    source: 'hook',
    missingSince: null,
  };
}

/** What the hook knows and the session lacks; the hook's connect time is exact and wins. */
function completed(s: TrackedSession, ev: HookEvent): TrackedSession {
  const username = s.username ?? ev.username;
  return {
    ...s,
    connectedAt: ev.connectedAt,
    username,
    user: userOf(s.commonName, username),
    realPort: s.realPort ?? ev.realPort,
    protocol: s.protocol ?? ev.protocol,
    virtualAddress: s.virtualAddress ?? ev.virtualAddress,
    virtualIpv6: s.virtualIpv6 ?? ev.virtualIpv6,
  };
}

/** Ends a session at OpenVPN's own end: time_unix + time_duration, with its final byte counts. */
function endByHook(s: TrackedSession, ev: HookEvent): TrackedSession {
  const durationS = ev.durationS ?? 0;
  const endedAt = isoFromEpochSeconds(msFromIso(ev.connectedAt) / 1000 + durationS);
  return {
    ...completed(s, ev),
    lastSeenAt: endedAt,
    endedAt,
    durationS,
    bytesReceived: ev.bytesReceived ?? s.bytesReceived,
    bytesSent: ev.bytesSent ?? s.bytesSent,
    endReason: 'disconnected',
    endExact: true,
    missingSince: null,
  };
}

export interface HookApplyOptions {
  /** Instances the status files are configured for; events of others are applied with a warning. */
  instances: string[];
  /** Where events not applied (and instances no status file names) are reported. */
  warn: Warn;
}

export interface HookApplyResult {
  state: CollectorState;
  /** Sessions the hooks saw first (a lone disconnect's session is in `opened` and in `ended`). */
  opened: Session[];
  /** Sessions a disconnect ended that were open until now. */
  ended: Session[];
}

const describe = (ev: HookEvent): string =>
  `${ev.instance}: client-${ev.kind} of ${ev.commonName} (${ev.realAddress}${ev.realPort === null ? '' : `:${ev.realPort}`}, connected ${ev.connectedAt})`;

/**
 * Applies the events in spool order. Sessions a disconnect ended stay in `tracked` (with
 * endExact) until reconcile closes them into the CSV: committing this state before the CSV
 * append lets the history's crash recovery treat them like any other tracked session.
 */
export function applyHookEvents(
  prev: CollectorState,
  events: readonly HookEvent[],
  opts: HookApplyOptions,
): HookApplyResult {
  const result: HookApplyResult = { state: prev, opened: [], ended: [] };
  if (events.length === 0) return result;
  const tracked = new Map<string, TrackedSession>();
  for (const s of prev.tracked) tracked.set(s.id, { ...s, endExact: s.endExact === true });
  const hookEnded = [...(prev.hookEnded ?? [])];
  const a: Applying = {
    prev,
    result,
    warn: opts.warn,
    tracked,
    index: new ConnectionIndex(tracked.values()),
    hookEnded,
    endedIndex: new ConnectionIndex(hookEnded),
  };
  const unknownInstances = new Set<string>();
  for (const ev of events) {
    if (!opts.instances.includes(ev.instance)) unknownInstances.add(ev.instance);
    const match = a.index.closest(ev, (s) => !isEndedByHook(s));
    if (ev.kind === 'connect') applyConnect(a, ev, match);
    else applyDisconnect(a, ev, match);
  }
  for (const instance of unknownInstances) {
    opts.warn(
      `hook events for instance "${instance}", which no --status names: "hook --instance" must match a status instance`,
    );
  }
  result.state = { ...prev, tracked: [...tracked.values()], hookEnded };
  return result;
}

/** What applying the events works on: the tracked sessions and hook ends so far, indexed by connection. */
interface Applying {
  readonly prev: CollectorState;
  readonly result: HookApplyResult;
  readonly warn: Warn;
  readonly tracked: Map<string, TrackedSession>;
  readonly index: ConnectionIndex<TrackedSession>;
  readonly hookEnded: HookEndedKey[];
  readonly endedIndex: ConnectionIndex<HookEndedKey>;
}

/** A connect: completes the session the status file already tracks, else opens one (unless recorded). */
function applyConnect(a: Applying, ev: HookEvent, match: TrackedSession | null): void {
  const why = match ? null : recorded(a, ev);
  if (match) {
    replace(a, match, completed(match, ev));
  } else if (why !== null) {
    a.warn(`${describe(ev)}: ${why}`);
  } else {
    const s = sessionFromEvent(ev);
    replace(a, null, s);
    a.result.opened.push(untracked(s));
  }
}

/** A disconnect: ends the tracked session at OpenVPN's own end, else records the whole session (unless recorded). */
function applyDisconnect(a: Applying, ev: HookEvent, match: TrackedSession | null): void {
  const why = match ? null : recorded(a, ev);
  if (match) {
    const done = endByHook(match, ev);
    replace(a, match, done);
    remember(a, done);
    // A held (server-stopped) session was counted as ended when it was held.
    if (match.endedAt === null) a.result.ended.push(untracked(done));
  } else if (why !== null) {
    a.warn(`${describe(ev)}: ${why}`);
  } else {
    // Connect and disconnect between two status updates, or a connect this collector never saw.
    const done = endByHook(sessionFromEvent(ev), ev);
    replace(a, null, done);
    remember(a, done);
    a.result.opened.push(untracked(done));
    a.result.ended.push(untracked(done));
  }
}

function replace(a: Applying, old: TrackedSession | null, next: TrackedSession): void {
  if (old) a.index.remove(old);
  a.index.add(next);
  a.tracked.set(next.id, next);
}

function remember(a: Applying, s: TrackedSession): void {
  const key = hookEndedKey(s);
  a.hookEnded.push(key);
  a.endedIndex.add(key);
}

/** Why an event without a tracked session is ignored: ended by a disconnect (this run or one whose close is still pending), or already in the CSV. */
function recorded(a: Applying, ev: HookEvent): string | null {
  if (a.index.closest(ev, isEndedByHook) !== null || a.endedIndex.closest(ev) !== null)
    return 'a client-disconnect already ended this session; ignored';
  if (candidateIds(ev).some((id) => a.prev.recentlyClosed[id] !== undefined)) {
    return ev.kind === 'connect'
      ? 'the history already holds this session; ignored'
      : 'the history already holds this session with an estimated end; kept as it is';
  }
  return null;
}

function untracked(s: TrackedSession): Session {
  const { missingSince: _m, ...session } = s;
  return session;
}

/**
 * Drops what no status file can list any more: ends older than `keepS`, and ends before
 * the instance's newest accepted status update (a file written after the end lacks it).
 */
export function pruneHookEnded(
  list: readonly HookEndedKey[],
  lastUpdatedAt: (instance: string) => string | null,
  nowMs: number,
  keepS: number,
): HookEndedKey[] {
  return list.filter((k) => {
    const endMs = msFromIso(k.endedAt);
    if (nowMs - endMs > keepS * 1000) return false;
    const last = lastUpdatedAt(k.instance);
    return last === null || msFromIso(last) <= endMs + MATCH_TOLERANCE_S * 1000;
  });
}
