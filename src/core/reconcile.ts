/**
 * Reconciles what the status files show with the collector's state. Pure: the caller
 * passes the observations and `now`, and persists what comes back.
 *
 * Rules (see docs/ARCHITECTURE.md, "Facts about the status file"):
 * - a session is ended only when two fresh snapshots with different update times both
 *   lack it: a spliced read (new head over old tail) can parse fine and list nobody;
 * - its end is the update time of the last snapshot that listed it (`lastSeenAt`);
 * - a file whose own update time is older than `staleAfterS`, or that is missing that
 *   long, means the server stopped: its sessions end with reason `server-stopped`, but are
 *   held in the state (not yet written to the CSV) until a fresh snapshot confirms it,
 *   so a session that shows up again is re-opened, never duplicated;
 * - a held session is written to the CSV after HOLD_MAX_S even if its file never turns
 *   fresh again (the server was retired, or its instance removed from the configuration);
 *   it is still remembered (`stoppedWritten`) until its instance's file is fresh again: listed
 *   there with the same identity, it re-opens and its server-stopped row is withdrawn from the
 *   CSV (`withdrawn`), so a clock a day ahead for one run, or a status file that was missing
 *   for days while OpenVPN ran on, ends no live session for good and writes none twice;
 * - an update time older than the last one accepted is ignored, unless STEP_BACK_FOLLOW
 *   updates in a row run on from it: then OpenVPN's clock was set back, and it is followed;
 * - with OpenVPN's hooks (hook-events.ts, applied before this): a session a client-disconnect
 *   ended is closed with its exact end; a status file that still lists it was written before
 *   that end and changes nothing; a session the hooks opened is the same session as the
 *   status file's row for that connection (matched even where the ids differ), and a status
 *   file written before its connect time says nothing about it.
 */
import { own, setOwn } from './dict.js';
import type { ChainHead } from './chain.js';
import type { HistoryRewrite } from './history-rewrite.js';
import {
  ConnectionIndex,
  hookEndedKey,
  isEndedByHook,
  MATCH_TOLERANCE_S,
  pruneHookEnded,
  type HookEndedKey,
} from './hook-events.js';
import type { StatusSnapshot } from './parse-status.js';
import type { Warn } from './result.js';
import { endNotBeforeStart, endSession, sessionFromClient, sessionId, userOf, type Session } from './session.js';
import { msFromIso, pickConnectInstant, pickUpdateInstant } from './time.js';

export interface TrackedSession extends Session {
  /** Update time of the first fresh snapshot that lacked this session, else null. */
  missingSince: string | null;
}

/** The hook spool's parts (src/io/hook-spool.ts): what was consumed of each, for idempotent ingestion. */
export interface HookSpoolState {
  /** The highest part number used so far: a part's name is never used twice. */
  seq: number;
  /** Parts still on disk: bytes consumed (whole lines) and when this collector first saw the part. */
  parts: Record<string, { offset: number; seenAt: string }>;
}

export interface InstanceState {
  /** Update time of the last snapshot accepted from this instance. */
  lastUpdatedAt: string | null;
  /** Consecutive fresh updates older than `lastUpdatedAt`, each newer than the one before (absent otherwise). */
  steppedBack?: { count: number; lastAt: string };
  /**
   * The status file is missing (since the first run that missed it) or stale (since its own
   * update time): for the warning on every run and the dashboard. Absent while it is fresh.
   */
  down?: StatusDown;
}

export interface StatusDown {
  kind: 'missing' | 'stale';
  since: string;
}

export interface CollectorState {
  schemaVersion: 1;
  /** Size of the history CSV after the last committed append: a larger file means a crash came between append and state write. */
  historyBytes: number;
  /** Bumped whenever the CSV is rewritten rather than appended to (delete, restore, retention). */
  historyGeneration: number;
  instances: Record<string, InstanceState>;
  /** Open sessions, and server-stopped ones held until their instance is fresh again. */
  tracked: TrackedSession[];
  /** id → when it was written to the CSV; kept a day so a closed session is never written twice. */
  recentlyClosed: Record<string, string>;
  /** The last rewrites of the CSV, for incremental builds (src/core/history-rewrite.ts). */
  rewrites: HistoryRewrite[];
  /** Sessions a client-disconnect hook ended that a status file may still list (absent before the hooks were used). */
  hookEnded?: HookEndedKey[];
  /** Progress through the hook spool (absent before the hooks were used). */
  hookSpool?: HookSpoolState;
  /**
   * Server-stopped sessions written to the CSV after HOLD_MAX_S, kept until their instance's
   * file is fresh again: listed there, they re-open (absent in older states).
   */
  stoppedWritten?: TrackedSession[];
  /**
   * Ids whose CSV rows a run was withdrawing when it stopped (set just before the CSV is
   * replaced, cleared after): the next run checks which rows are gone (settleWithdrawn).
   */
  withdrawing?: string[];
  /**
   * The history's chain head and row count (src/core/chain.ts); absent until the chain was
   * built (the upgrade of an older history runs while it is absent).
   */
  chain?: ChainHead;
}

export type Observation =
  | { instance: string; kind: 'snapshot'; snapshot: StatusSnapshot; fileModifiedAt: string }
  | { instance: string; kind: 'missing' }
  | { instance: string; kind: 'unreadable'; reason: string };

export interface ReconcileOptions {
  now: string;
  staleAfterS: number;
  /** Instances currently configured; tracked sessions of any other instance are treated as missing. */
  instances: string[];
  /** Where a status file's odd news goes (a time in the future, a clock set back, a session listed after its end). */
  warn: Warn;
}

export interface ReconcileResult {
  state: CollectorState;
  /** Ended sessions to append to the CSV, in end order. */
  closed: Session[];
  opened: Session[];
  /** Sessions ended this run (disconnected, or held as server-stopped). */
  ended: Session[];
  reopened: Session[];
  /** Ids of written server-stopped rows whose session re-opened: the caller takes them out of the CSV. */
  withdrawn: string[];
}

export const RECENTLY_CLOSED_KEEP_S = 24 * 3600;
/**
 * How long a server-stopped session waits for its instance to come back. A restarted server
 * gives its clients new connect times (new sessions), so after a day nothing can re-open it.
 */
export const HOLD_MAX_S = 24 * 3600;
/** Tolerated clock skew before a status file's update time counts as "in the future". */
export const FUTURE_TOLERANCE_S = 300;
/** Older update times in a row, each newer than the one before, after which OpenVPN's clock was set back and is followed. */
export const STEP_BACK_FOLLOW = 3;

export function emptyState(): CollectorState {
  return {
    schemaVersion: 1,
    historyBytes: 0,
    historyGeneration: 0,
    instances: {},
    tracked: [],
    recentlyClosed: {},
    rewrites: [],
  };
}

const isHeld = (s: TrackedSession): boolean => s.endedAt !== null;

/** A tracked session as the rest of the program sees it (without the collector's bookkeeping). */
export function untrack(s: TrackedSession): Session {
  const { missingSince: _m, ...session } = s;
  return session;
}

export function reconcile(prev: CollectorState, observations: Observation[], opts: ReconcileOptions): ReconcileResult {
  const nowMs = msFromIso(opts.now);
  const result: ReconcileResult = {
    state: { ...prev, instances: { ...prev.instances }, tracked: [], recentlyClosed: {} },
    closed: [],
    opened: [],
    ended: [],
    reopened: [],
    withdrawn: [],
  };
  for (const [id, at] of Object.entries(prev.recentlyClosed)) {
    if (nowMs - msFromIso(at) <= RECENTLY_CLOSED_KEEP_S * 1000) result.state.recentlyClosed[id] = at;
  }
  const byInstance = new Map<string, TrackedSession[]>();
  // Written server-stopped sessions go through the same rules as held ones; `written` tells them apart.
  const written = new Set<string>();
  for (const s of [...prev.tracked, ...(prev.stoppedWritten ?? [])]) {
    const list = byInstance.get(s.instance) ?? [];
    list.push({ ...s, endExact: s.endExact === true }); // absent in states written before the hooks
    byInstance.set(s.instance, list);
  }
  for (const s of prev.stoppedWritten ?? []) written.add(s.id);
  const seen = new Set<string>();
  for (const obs of observations) {
    seen.add(obs.instance);
    const tracked = byInstance.get(obs.instance) ?? [];
    byInstance.set(obs.instance, reconcileInstance(obs, tracked, result, opts, nowMs, written));
  }
  // Instances no longer configured: their file is as good as missing.
  for (const [instance, tracked] of byInstance) {
    if (seen.has(instance) || opts.instances.includes(instance)) continue;
    byInstance.set(instance, reconcileInstance({ instance, kind: 'missing' }, tracked, result, opts, nowMs, written));
  }
  sortOut(byInstance, written, result, opts, nowMs);
  if (prev.hookEnded !== undefined) {
    result.state.hookEnded = pruneHookEnded(
      prev.hookEnded,
      (i) => own(result.state.instances, i)?.lastUpdatedAt ?? null,
      nowMs,
      RECENTLY_CLOSED_KEEP_S,
    );
  }
  // Never write what the history would refuse to read: no end before its start.
  result.closed = result.closed.map(endNotBeforeStart);
  // In end order across instances too, as the CSV promises (a stable sort keeps ties in file order).
  result.closed.sort((a, b) =>
    (a.endedAt ?? '') < (b.endedAt ?? '') ? -1 : (a.endedAt ?? '') > (b.endedAt ?? '') ? 1 : 0,
  );
  for (const s of result.closed) result.state.recentlyClosed[s.id] = opts.now;
  return result;
}

/** Each instance's sessions after this run: to the CSV, still tracked, or remembered as written. */
function sortOut(
  byInstance: Map<string, TrackedSession[]>,
  written: Set<string>,
  result: ReconcileResult,
  opts: ReconcileOptions,
  nowMs: number,
): void {
  const stoppedWritten: TrackedSession[] = [];
  for (const list of byInstance.values()) {
    for (const s of list) {
      // An instance no longer configured was retired: nothing of it will be listed again.
      const configured = opts.instances.includes(s.instance);
      if (written.has(s.id)) {
        if (configured) stoppedWritten.push(s);
      } else if (isEndedByHook(s)) {
        result.closed.push(untrack(s));
      } else if (isHeld(s) && nowMs - msFromIso(s.endedAt as string) > HOLD_MAX_S * 1000) {
        result.closed.push(untrack(s));
        if (configured) stoppedWritten.push(s);
      } else {
        result.state.tracked.push(s);
      }
    }
  }
  if (stoppedWritten.length > 0 || result.state.stoppedWritten !== undefined)
    result.state.stoppedWritten = stoppedWritten;
}

/**
 * After a run stopped while withdrawing rows (`withdrawing` set): the sessions whose rows are
 * no longer in the CSV (`present` lacks them) were withdrawn, so they are held, not written.
 */
export function settleWithdrawn(state: CollectorState, present: ReadonlySet<string>): CollectorState {
  const pending = new Set(state.withdrawing ?? []);
  const { withdrawing: _w, ...rest } = state;
  const gone = (s: TrackedSession): boolean => pending.has(s.id) && !present.has(s.id);
  const stopped = state.stoppedWritten ?? [];
  return {
    ...rest,
    tracked: [...state.tracked, ...stopped.filter(gone)],
    stoppedWritten: stopped.filter((s) => !gone(s)),
  };
}

/**
 * An update time older than the last one accepted: true once STEP_BACK_FOLLOW of them ran on,
 * each newer than the one before (OpenVPN's clock was set back: follow it, saying so once).
 */
function followsStepBack(inst: InstanceState, instance: string, updatedAt: string, last: string, warn: Warn): boolean {
  const prev = inst.steppedBack;
  if (prev !== undefined && updatedAt === prev.lastAt) return false; // not updated since the last run
  const count = prev !== undefined && updatedAt > prev.lastAt ? prev.count + 1 : 1;
  if (count < STEP_BACK_FOLLOW) {
    inst.steppedBack = { count, lastAt: updatedAt };
    return false;
  }
  delete inst.steppedBack;
  warn(
    `${instance}: status file time went back from ${last} to ${updatedAt} (the server's clock was set back?); ` +
      `${count} consistent updates since, following the new clock`,
  );
  return true;
}

/**
 * Wall times that happened twice (status-version 1 in the repeated hour of a DST change), each
 * read as one instant by the order of updates, not by a guess: the update time after the
 * previous update, a connect time not after the file's (time.ts); a client already recorded
 * keeps the connect time, and so the identity, it was recorded with.
 */
export function resolveRepeatedHour(
  snap: StatusSnapshot,
  instance: string,
  previous: string | null,
  nowMs: number,
  tracked: readonly Session[],
  recentlyClosed: Record<string, string>,
): StatusSnapshot {
  if (snap.updatedAtLater === undefined && !snap.clients.some((c) => c.connectedAtLater !== undefined)) return snap;
  const { updatedAtLater, ...rest } = snap;
  const updatedAt =
    rest.updatedAt === null
      ? null
      : pickUpdateInstant(rest.updatedAt, updatedAtLater, previous, nowMs + FUTURE_TOLERANCE_S * 1000);
  const known = new Set(tracked.map((s) => s.id));
  const clients = rest.clients.map((c) => {
    const { connectedAtLater, ...client } = c;
    if (connectedAtLater === undefined) return c;
    const isKnown = (at: string): boolean => {
      const id = sessionId(instance, c.commonName, at, c.realAddress, c.realPort);
      return known.has(id) || recentlyClosed[id] !== undefined;
    };
    const connectedAt =
      [c.connectedAt, connectedAtLater].find(isKnown) ??
      pickConnectInstant(c.connectedAt, connectedAtLater, previous, updatedAt ?? connectedAtLater);
    return { ...client, connectedAt };
  });
  return { ...rest, updatedAt, clients };
}

function holdAsStopped(tracked: TrackedSession[], result: ReconcileResult): TrackedSession[] {
  return tracked.map((s) => {
    if (isHeld(s)) return s;
    const held = { ...endSession(s, 'server-stopped'), missingSince: null };
    result.ended.push(untrack(held));
    return held;
  });
}

/** One instance's sessions after this run's observation of its status file. */
function reconcileInstance(
  obs: Observation,
  tracked: TrackedSession[],
  result: ReconcileResult,
  opts: ReconcileOptions,
  nowMs: number,
  written: Set<string>,
): TrackedSession[] {
  // A copy: the caller's state must not change (its instances map was copied shallowly).
  const inst: InstanceState = { ...(own(result.state.instances, obs.instance) ?? { lastUpdatedAt: null }) };
  setOwn(result.state.instances, obs.instance, inst);

  if (obs.kind === 'unreadable') return tracked;
  if (obs.kind === 'missing') {
    // A retired instance's file is not looked for: nothing to say about it.
    if (!opts.instances.includes(obs.instance)) delete inst.down;
    else if (inst.down?.kind !== 'missing') inst.down = { kind: 'missing', since: opts.now };
    const last = inst.lastUpdatedAt === null ? Number.NEGATIVE_INFINITY : msFromIso(inst.lastUpdatedAt);
    return nowMs - last > opts.staleAfterS * 1000 ? holdAsStopped(tracked, result) : tracked;
  }
  const accepted = acceptSnapshot(obs, inst, tracked, result.state.recentlyClosed, opts, nowMs);
  if (accepted === null) return tracked;
  const { snap, updatedAt, stale } = accepted;
  tracked = accepted.tracked;

  // Sessions a client-disconnect ended wait here only to be closed: no status file changes them.
  const listing: Listing = {
    instance: obs.instance,
    updatedAt,
    stale,
    endedByHook: tracked.filter(isEndedByHook),
    byId: new Map(tracked.filter((s) => !isEndedByHook(s)).map((s) => [s.id, s])),
    listed: new Set<string>(),
  };
  matchListed(snap, listing, result, opts.warn, written);
  if (stale) return [...listing.endedByHook, ...holdAsStopped([...listing.byId.values()], result)];
  return endMissing(listing, result, written);
}

/** A snapshot that is news: its time, whether it is stale, and the tracked sessions to judge against it. */
interface Accepted {
  snap: StatusSnapshot;
  updatedAt: string;
  stale: boolean;
  tracked: TrackedSession[];
}

/**
 * The clock step: null for a snapshot that brings no news (a time in the future, one older
 * than the last accepted and not yet followed, or the same time as the last run); else the
 * instance's last update time moves on unless the file is stale.
 */
function acceptSnapshot(
  obs: Extract<Observation, { kind: 'snapshot' }>,
  inst: InstanceState,
  tracked: TrackedSession[],
  recentlyClosed: Record<string, string>,
  opts: ReconcileOptions,
  nowMs: number,
): Accepted | null {
  const snap = resolveRepeatedHour(obs.snapshot, obs.instance, inst.lastUpdatedAt, nowMs, tracked, recentlyClosed);
  const updatedAt = snap.updatedAt ?? obs.fileModifiedAt;
  const updatedMs = msFromIso(updatedAt);
  if (updatedMs - nowMs > FUTURE_TOLERANCE_S * 1000) {
    opts.warn(
      `${obs.instance}: status file time ${updatedAt} is in the future; if the file has no time_t (status-version 1), check --tz`,
    );
    return null;
  }
  const stale = nowMs - updatedMs > opts.staleAfterS * 1000;
  if (stale) inst.down = { kind: 'stale', since: updatedAt };
  else delete inst.down;
  const last = inst.lastUpdatedAt;
  if (!stale && last !== null && updatedAt < last) {
    if (!followsStepBack(inst, obs.instance, updatedAt, last, opts.warn)) return null;
    // What went missing on the old clock is judged afresh on the new one.
    tracked = tracked.map((s) =>
      s.missingSince !== null && s.missingSince > updatedAt ? { ...s, missingSince: null } : s,
    );
  } else if (!stale && last !== null && updatedAt === last) {
    return null; // nothing new since the last run
  } else if (!stale) {
    delete inst.steppedBack;
  }
  if (!stale) inst.lastUpdatedAt = updatedAt;
  return { snap, updatedAt, stale, tracked };
}

/** One instance's sessions while a snapshot's rows are matched to them. */
interface Listing {
  instance: string;
  /** The snapshot's update time. */
  updatedAt: string;
  stale: boolean;
  /** Ended by a client-disconnect: kept apart, only to be closed. */
  endedByHook: TrackedSession[];
  /** The other sessions, with those the snapshot opens or refreshes. */
  byId: Map<string, TrackedSession>;
  /** Ids of the sessions the snapshot lists. */
  listed: Set<string>;
}

/** Matches every listed client to a tracked session (refreshing it), to a recorded end (news only), or opens a session. */
function matchListed(
  snap: StatusSnapshot,
  l: Listing,
  result: ReconcileResult,
  warn: Warn,
  written: Set<string>,
): void {
  const hasRoute = new Set(snap.routes.map((r) => `${r.commonName}\u0000${r.realAddress}\u0000${r.realPort}`));
  // Built on first need: most rows find their session by id.
  let byConnection: ConnectionIndex<TrackedSession> | null = null;
  let hookEnds: ConnectionIndex<HookEndedKey> | null = null;
  for (const client of snap.clients) {
    const fresh = sessionFromClient(l.instance, client, l.updatedAt);
    let known = l.byId.get(fresh.id);
    if (!known && !l.listed.has(fresh.id)) {
      // A session the hooks opened has the id of their data (an IPv6 port the file lacks, say).
      byConnection ??= new ConnectionIndex(l.byId.values());
      const found = byConnection.closest(fresh, (s) => !l.listed.has(s.id));
      known = found ? l.byId.get(found.id) : undefined;
    }
    const id = known?.id ?? fresh.id;
    if (l.listed.has(id)) continue; // the same row twice in one file
    l.listed.add(id);
    if (known) {
      // A stale file brings no news about a session we know.
      if (!l.stale) refreshListed(l, known, fresh, result, written);
      continue;
    }
    hookEnds ??= new ConnectionIndex<HookEndedKey>([
      ...(result.state.hookEnded ?? []),
      ...l.endedByHook.map(hookEndedKey),
    ]);
    if (alreadyRecorded(l, fresh, hookEnds, result.state.recentlyClosed, warn)) continue;
    // Listed before it is fully connected (authentication pending): no address, no route yet.
    const pending =
      client.virtualAddress === null &&
      client.virtualIpv6 === null &&
      !hasRoute.has(`${client.commonName}\u0000${client.realAddress}\u0000${client.realPort}`);
    if (pending) continue;
    const opened: TrackedSession = { ...fresh, missingSince: null };
    l.byId.set(fresh.id, opened);
    result.opened.push(untrack(opened));
  }
}

/** A known session the snapshot lists: the file's counters and details; re-opened (and its written row withdrawn) if it was held. */
function refreshListed(
  l: Listing,
  known: TrackedSession,
  fresh: Session,
  result: ReconcileResult,
  written: Set<string>,
): void {
  const username = known.username ?? fresh.username;
  const updated: TrackedSession = {
    ...known,
    username,
    user: userOf(known.commonName, username),
    realPort: known.realPort ?? fresh.realPort,
    protocol: fresh.protocol ?? known.protocol,
    lastSeenAt: l.updatedAt > known.lastSeenAt ? l.updatedAt : known.lastSeenAt,
    bytesReceived: fresh.bytesReceived,
    bytesSent: fresh.bytesSent,
    virtualAddress: fresh.virtualAddress ?? known.virtualAddress,
    virtualIpv6: fresh.virtualIpv6 ?? known.virtualIpv6,
    clientId: fresh.clientId,
    peerId: fresh.peerId,
    cipher: fresh.cipher ?? known.cipher,
    endedAt: null,
    durationS: null,
    endReason: null,
    endExact: false,
    source: known.source === 'hook' ? 'status' : known.source,
    missingSince: null,
  };
  l.byId.set(known.id, updated);
  if (isHeld(known)) result.reopened.push(untrack(updated));
  if (written.delete(known.id)) {
    result.withdrawn.push(known.id);
    delete result.state.recentlyClosed[known.id];
  }
}

/** True for a row of a session already ended (by a client-disconnect, or in the CSV); a fresh file listing it gets a warning. */
function alreadyRecorded(
  l: Listing,
  fresh: Session,
  hookEnds: ConnectionIndex<HookEndedKey>,
  recentlyClosed: Record<string, string>,
  warn: Warn,
): boolean {
  const hookEnd = hookEnds.closest(fresh);
  if (hookEnd) {
    // Normally a file written before OpenVPN reported the end: old news.
    if (!l.stale && msFromIso(l.updatedAt) > msFromIso(hookEnd.endedAt) + MATCH_TOLERANCE_S * 1000) {
      warn(
        `${l.instance}: session ${hookEnd.id} (${fresh.commonName}) is listed at ${l.updatedAt}, ` +
          `after its client-disconnect at ${hookEnd.endedAt}; not recorded twice`,
      );
    }
    return true;
  }
  if (recentlyClosed[fresh.id] === undefined) return false;
  // An old file still lists what we already closed: no news.
  if (!l.stale) {
    warn(
      `${l.instance}: session ${fresh.id} (${fresh.commonName}) is listed again after it was recorded as ended; not recorded twice`,
    );
  }
  return true;
}

/** After a fresh snapshot: a session it lacks is marked missing, and ended once a second, later snapshot lacks it too. */
function endMissing(l: Listing, result: ReconcileResult, written: Set<string>): TrackedSession[] {
  const next: TrackedSession[] = [...l.endedByHook];
  for (const s of l.byId.values()) {
    if (l.listed.has(s.id)) {
      next.push(s);
    } else if (s.missingSince === null) {
      // A file written before a session the hooks reported began says nothing about it. (Not
      // for one a file listed: its connect time may be "after" the file's on a clock set back.)
      next.push(s.source === 'hook' && l.updatedAt <= s.connectedAt ? s : { ...s, missingSince: l.updatedAt });
    } else if (s.missingSince < l.updatedAt) {
      // Lacking from two snapshots with different update times: gone for real.
      if (written.delete(s.id)) continue; // already in the CSV: forgotten
      const done = isHeld(s) ? untrack(s) : endSession(untrack(s), 'disconnected');
      if (!isHeld(s)) result.ended.push(done);
      result.closed.push(done);
    } else {
      next.push(s);
    }
  }
  return next;
}
