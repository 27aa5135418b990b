/** Sessions for the history tests. */
import { sessionId, type Session } from '../../src/core/session.js';

export function sampleSession(over: Partial<Session> = {}): Session {
  const base: Session = {
    id: sessionId('udp', 'flex-RN13P', '2026-11-26T16:14:55Z', '127.0.0.11', 42001),
    instance: 'udp',
    user: 'jdoe',
    commonName: 'flex-RN13P',
    username: 'jdoe',
    realAddress: '127.0.0.11',
    realPort: 42001,
    protocol: 'udp4',
    virtualAddress: '10.8.0.3',
    virtualIpv6: 'fd00:8::1001',
    clientId: 0,
    peerId: 0,
    cipher: 'AES-256-GCM',
    connectedAt: '2026-11-26T16:14:55Z',
    lastSeenAt: '2026-11-26T16:15:11Z',
    endedAt: '2026-11-26T16:15:11Z',
    durationS: 16,
    bytesReceived: 3032,
    bytesSent: 3049,
    endReason: 'disconnected',
    endExact: false,
    source: 'status',
    country: null,
  };
  return { ...base, ...over };
}

/** An ended session of `user` from `from` to `to` at a public `address` (a 20-character id from `id`). */
export function endedSession(
  id: string,
  user: string,
  from: string,
  to: string,
  address: string,
  country: string | null = null,
): Session {
  return sampleSession({
    id: id.padEnd(20, '0'),
    user,
    commonName: user,
    username: null,
    connectedAt: from,
    lastSeenAt: to,
    endedAt: to,
    durationS: (Date.parse(to) - Date.parse(from)) / 1000,
    realAddress: address,
    country,
  });
}

/** An ended hour-long session of `user` from `at` with these addresses (port 40000), as the lookup tests use. */
export function hourSession(
  id: string,
  user: string,
  real: string,
  tun4: string,
  tun6: string | null,
  at: string,
): Session {
  const end = new Date(Date.parse(at) + 3_600_000).toISOString().replace('.000Z', 'Z');
  return sampleSession({
    id,
    user,
    commonName: user,
    username: null,
    realAddress: real,
    realPort: 40_000,
    virtualAddress: tun4,
    virtualIpv6: tun6,
    connectedAt: at,
    lastSeenAt: end,
    endedAt: end,
    durationS: 3600,
  });
}
