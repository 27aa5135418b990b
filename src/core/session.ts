/**
 * A VPN session as the history records it. One shape for the CSV, the state file,
 * the `sessions --json` output and the pages.
 */
import { createHash } from 'node:crypto';
import type { StatusClient } from './parse-status.js';
import { secondsBetween } from './time.js';

export type EndReason = 'disconnected' | 'server-stopped';
/**
 * Where the record came from: the status file (possibly completed by OpenVPN's hooks), the
 * predecessor's CSV, or OpenVPN's client-connect/-disconnect hooks alone (a session the
 * status file never listed, e.g. one shorter than its update interval).
 */
export type SessionSource = 'status' | 'legacy' | 'hook';

export interface Session {
  id: string;
  instance: string;
  /** The username where OpenVPN reports one, else the common name. */
  user: string;
  commonName: string;
  username: string | null;
  realAddress: string;
  realPort: number | null;
  protocol: string | null;
  virtualAddress: string | null;
  virtualIpv6: string | null;
  clientId: number | null;
  peerId: number | null;
  cipher: string | null;
  connectedAt: string;
  /** Update time of the last status file that listed the session. */
  lastSeenAt: string;
  endedAt: string | null;
  durationS: number | null;
  /** Last value seen; null where unknown (imported from the predecessor, which had none). */
  bytesReceived: number | null;
  bytesSent: number | null;
  endReason: EndReason | null;
  /**
   * True when `endedAt` is OpenVPN's own (client-disconnect hook: time_unix + time_duration);
   * false while open and when it is estimated (the last status file that listed the session).
   */
  endExact: boolean;
  source: SessionSource;
  /**
   * Country of the real address (ISO 3166-1 alpha-2) as the shipped database said when collect
   * first saw the session; null when it has none (a reserved range, or unknown); absent on
   * sessions recorded before countries were (read as null) and until collect looks it up.
   */
  country?: string | null;
}

/**
 * Identity: instance, common name, connect time and real address:port. Two clients sharing
 * a CN differ by address or port; the same session seen again maps to the same id.
 * The id is hex, so it is safe in file names, URLs and HTML attributes.
 */
export function sessionId(
  instance: string,
  commonName: string,
  connectedAt: string,
  realAddress: string,
  realPort: number | null,
): string {
  const key = JSON.stringify([instance, commonName, connectedAt, realAddress, realPort]);
  return createHash('sha256').update(key).digest('hex').slice(0, 20);
}

export function userOf(commonName: string, username: string | null): string {
  return username ?? commonName;
}

export function sessionFromClient(instance: string, c: StatusClient, seenAt: string): Session {
  return {
    id: sessionId(instance, c.commonName, c.connectedAt, c.realAddress, c.realPort),
    instance,
    user: userOf(c.commonName, c.username),
    commonName: c.commonName,
    username: c.username,
    realAddress: c.realAddress,
    realPort: c.realPort,
    protocol: c.protocol,
    virtualAddress: c.virtualAddress,
    virtualIpv6: c.virtualIpv6,
    clientId: c.clientId,
    peerId: c.peerId,
    cipher: c.cipher,
    connectedAt: c.connectedAt,
    lastSeenAt: seenAt,
    endedAt: null,
    durationS: null,
    bytesReceived: c.bytesReceived,
    bytesSent: c.bytesSent,
    endReason: null,
    endExact: false,
    source: 'status',
  };
}

/**
 * Ends a session at the last moment it was seen (an estimate: it ended before the next status
 * update), never before its start: a server whose clock stepped back lists a client "connected"
 * after the file's own time, and a row ending before it starts is one the history refuses to read.
 */
export function endSession(s: Session, reason: EndReason): Session {
  const endedAt = s.lastSeenAt < s.connectedAt ? s.connectedAt : s.lastSeenAt;
  return {
    ...s,
    endedAt,
    durationS: Math.max(0, secondsBetween(s.connectedAt, endedAt)),
    endReason: reason,
    endExact: false,
  };
}

/** An ended session as it may be written: an end before the start (clocks that jumped) moves to the start. */
export function endNotBeforeStart(s: Session): Session {
  return s.endedAt === null || s.endedAt >= s.connectedAt ? s : { ...s, endedAt: s.connectedAt, durationS: 0 };
}

export function statusOf(s: Session): 'active' | 'ended' {
  return s.endedAt === null ? 'active' : 'ended';
}

/** Newest first: by connect time, then id for a stable order. */
export function compareNewestFirst(a: Session, b: Session): number {
  if (a.connectedAt !== b.connectedAt) return a.connectedAt < b.connectedAt ? 1 : -1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
