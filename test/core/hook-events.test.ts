/**
 * The hooks' events merged with what the status files show: applyHookEvents then
 * reconcile, as `collect` runs them (without the files).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import {
  applyHookEvents,
  candidateIds,
  connectionDistance,
  plainAddress,
  type HookApplyResult,
} from '../../src/core/hook-events.js';
import type { HookEvent } from '../../src/core/hook-line.js';
import { parseStatus, type StatusClient } from '../../src/core/parse-status.js';
import {
  emptyState,
  reconcile,
  RECENTLY_CLOSED_KEEP_S,
  type CollectorState,
  type Observation,
  type ReconcileResult,
} from '../../src/core/reconcile.js';
import { sessionId, type Session } from '../../src/core/session.js';
import { connectEnv, disconnectEnv, eventOf, HOOK_FIXTURES, hookEnv } from '../helpers/hooks.js';
import { deepFreeze, seen, snap } from '../helpers/snapshots.js';
import { isoPlus } from '../helpers/status.js';

const T0 = '2026-11-26T16:00:00Z';
const at = (s: number): string => isoPlus(T0, s);
const epoch = (s: number): string => String(Date.parse(at(s)) / 1000);
const STALE = 300;

/** alice from 198.51.100.7:51234, connected at T0+`start` s (the hook's view). */
const connect = (start: number, over: Record<string, string | undefined> = {}): HookEvent =>
  eventOf(connectEnv({ time_unix: epoch(start), ...over }), 'default');
const disconnect = (start: number, durationS: number, over: Record<string, string | undefined> = {}): HookEvent =>
  eventOf(disconnectEnv(durationS, { time_unix: epoch(start), ...over }), 'default');

/** alice as the status file lists her: the same connection. */
function client(start: number, over: Partial<StatusClient> = {}): StatusClient {
  return {
    commonName: 'alice',
    username: 'alice.login',
    realAddress: '198.51.100.7',
    realPort: 51234,
    protocol: null,
    virtualAddress: '10.8.0.2',
    virtualIpv6: null,
    bytesReceived: 100,
    bytesSent: 200,
    connectedAt: at(start),
    clientId: 4,
    peerId: 4,
    cipher: 'AES-256-GCM',
    extra: {},
    ...over,
  };
}

interface Cycle extends ReconcileResult {
  hooked: HookApplyResult;
  /** Both steps' warnings, in the order given. */
  warnings: string[];
}

/** One collect: the events, then the status files (inputs frozen: both must be pure). */
function cycle(
  prev: CollectorState,
  events: HookEvent[],
  observations: Observation[],
  now: string,
  instances = ['default'],
): Cycle {
  const warnings: string[] = [];
  const warn = (m: string): number => warnings.push(m);
  const hooked = applyHookEvents(deepFreeze(structuredClone(prev)), events, { instances, warn });
  const r = reconcile(deepFreeze(structuredClone(hooked.state)), observations, {
    now,
    staleAfterS: STALE,
    instances,
    warn,
  });
  // As collect reports them: the hooks' new and ended sessions first.
  return { ...r, hooked, opened: [...hooked.opened, ...r.opened], ended: [...hooked.ended, ...r.ended], warnings };
}

const only = (list: Session[], what: string): Session => {
  assert.equal(
    list.length,
    1,
    `${what}: exactly one, got ${list.length}: ${JSON.stringify(list.map((s) => [s.commonName, s.connectedAt, s.endedAt]))}`,
  );
  return list[0] as Session;
};

describe('hook events: matching a connection', () => {
  test('same connection: instance, common name, address (v4-mapped = IPv4), port where both have one, start within 2 s', () => {
    const a = { instance: 'u', commonName: 'alice', realAddress: '198.51.100.7', realPort: 5, connectedAt: at(0) };
    assert.equal(connectionDistance(a, { ...a }), 0);
    assert.equal(connectionDistance(a, { ...a, realAddress: '::FFFF:198.51.100.7' }), 0);
    assert.equal(connectionDistance(a, { ...a, realPort: null }), 0);
    assert.equal(connectionDistance(a, { ...a, connectedAt: at(2) }), 2);
    assert.equal(connectionDistance(a, { ...a, connectedAt: at(3) }), null);
    assert.equal(connectionDistance(a, { ...a, realPort: 6 }), null);
    assert.equal(connectionDistance(a, { ...a, commonName: 'Alice' }), null);
    assert.equal(connectionDistance(a, { ...a, instance: 'tcp' }), null);
    assert.equal(plainAddress('2001:DB8::1'), '2001:db8::1');
  });

  test('the ids a status file may have given the same connection', () => {
    const x = { instance: 'u', commonName: 'bob', realAddress: '2001:db8::7', realPort: 4000, connectedAt: at(0) };
    const ids = candidateIds(x);
    assert.ok(ids.includes(sessionId('u', 'bob', at(0), '2001:db8::7', null)), 'IPv6 without its port');
    assert.ok(ids.includes(sessionId('u', 'bob', at(-2), '2001:db8::7', 4000)), 'two seconds earlier');
    assert.ok(
      candidateIds({ ...x, realAddress: '192.0.2.1' }).includes(sessionId('u', 'bob', at(1), '::ffff:192.0.2.1', 4000)),
      'v4-mapped',
    );
    assert.equal(new Set(ids).size, ids.length, 'no duplicates');
  });
});

describe('hook events: merged with the status files', () => {
  test('a session shorter than the status interval is recorded from the hooks alone, exactly', () => {
    const r = cycle(emptyState(), [connect(5), disconnect(5, 3)], [seen(snap(at(10), []))], at(11));
    const s = only(r.closed, 'closed');
    assert.equal(s.source, 'hook');
    assert.equal(s.endExact, true);
    assert.equal(s.endReason, 'disconnected');
    assert.equal(s.connectedAt, at(5));
    assert.equal(s.endedAt, at(8));
    assert.equal(s.lastSeenAt, at(8));
    assert.equal(s.durationS, 3);
    assert.equal(s.bytesReceived, 2498);
    assert.equal(s.bytesSent, 2708);
    assert.equal(s.user, 'alice.login');
    assert.equal(s.virtualAddress, '10.8.0.2');
    assert.equal(s.id, sessionId('default', 'alice', at(5), '198.51.100.7', 51234));
    assert.equal(only(r.hooked.opened, 'opened').id, s.id);
    assert.equal(only(r.hooked.ended, 'ended').id, s.id);
    assert.deepEqual(r.state.tracked, []);
    assert.deepEqual(r.warnings, []);
    assert.ok(r.state.recentlyClosed[s.id], 'remembered as written');
  });

  test('a lone disconnect (its connect was never seen) is recorded too', () => {
    const r = cycle(emptyState(), [disconnect(-4000, 3700)], [], at(0));
    const s = only(r.closed, 'closed');
    assert.equal(s.connectedAt, at(-4000));
    assert.equal(s.endedAt, at(-300));
    assert.equal(s.source, 'hook');
  });

  test('listed by the status file, ended by the hook: one session, its id kept, exact end and final bytes win', () => {
    const first = cycle(emptyState(), [], [seen(snap(at(10), [client(0)]))], at(11));
    const id = only(first.opened, 'opened').id;
    // OpenVPN's end: 125 s after the connect, between two status updates.
    const r = cycle(first.state, [disconnect(0, 125)], [seen(snap(at(130), []))], at(131));
    const s = only(r.closed, 'closed');
    assert.equal(s.id, id);
    assert.equal(s.source, 'status');
    assert.equal(s.endExact, true);
    assert.equal(s.endedAt, at(125));
    assert.equal(s.durationS, 125);
    assert.equal(s.bytesReceived, 2498, 'the final count, not the last status file');
    assert.equal(s.cipher, 'AES-256-GCM', 'what only the status file knows stays');
    assert.equal(s.clientId, 4);
    assert.equal(only(r.ended, 'ended').id, id);
    assert.deepEqual(r.warnings, []);
    assert.deepEqual(r.state.tracked, []);
  });

  test('the hook connect first, then the status file: one session, no longer "hook" once listed', () => {
    const a = cycle(emptyState(), [connect(5)], [seen(snap(at(3), []))], at(6));
    const opened = only(a.opened, 'opened');
    assert.equal(opened.source, 'hook');
    const b = cycle(a.state, [], [seen(snap(at(13), [client(5, { bytesReceived: 5000 })]))], at(14));
    assert.deepEqual(b.opened, []);
    const s = only(b.state.tracked, 'tracked');
    assert.equal(s.id, opened.id);
    assert.equal(s.source, 'status');
    assert.equal(s.bytesReceived, 5000);
    assert.equal(s.cipher, 'AES-256-GCM');
    assert.equal(s.lastSeenAt, at(13));
  });

  test('the real dual-stack server: IPv6 listed without a port, IPv4 unmapped; hooks and status file agree', () => {
    const file = readFileSync(`${HOOK_FIXTURES}udp6-status.log`, 'utf8');
    const snapshot = parseStatus(file, { file: 'udp6-status.log', timeZone: 'UTC' });
    const events = [
      eventOf(hookEnv('udp6-connect-ipv6'), 'udp6'),
      eventOf(hookEnv('udp6-connect-mapped-ipv4'), 'udp6'),
    ];
    const a = cycle(emptyState(), events, [seen(snapshot, 'udp6')], isoPlus(snapshot.updatedAt as string, 1), ['udp6']);
    assert.equal(a.opened.length, 2, 'two sessions, each opened once');
    assert.equal(a.state.tracked.length, 2);
    const bob = a.state.tracked.find((s) => s.commonName === 'bob');
    assert.ok(bob, 'bob tracked');
    assert.equal(bob.realAddress, '::1');
    assert.equal(bob.realPort, 42822, "the hook's port, which the status file lacks");
    assert.equal(bob.source, 'status');
    assert.equal(bob.cipher, 'AES-256-GCM');
    const ends = [
      eventOf(hookEnv('udp6-disconnect-ipv6'), 'udp6'),
      eventOf(hookEnv('udp6-disconnect-mapped-ipv4'), 'udp6'),
    ];
    const b = cycle(a.state, ends, [], '2026-11-26T19:12:29Z', ['udp6']);
    assert.equal(b.closed.length, 2);
    for (const s of b.closed) {
      assert.equal(s.endExact, true);
      assert.equal(s.endedAt, '2026-11-26T19:12:28Z', `${s.commonName}: time_unix + time_duration`);
    }
    assert.deepEqual(b.state.tracked, []);
    // The status file, read again after the ends, opens nothing.
    const c = cycle(
      b.state,
      [],
      [seen({ ...snapshot, updatedAt: '2026-11-26T19:12:28Z' }, 'udp6')],
      '2026-11-26T19:12:30Z',
      ['udp6'],
    );
    assert.deepEqual(c.opened, []);
    assert.deepEqual(c.warnings, []);
  });

  test('a status file written before the disconnect but read after it changes nothing, silently', () => {
    const first = cycle(emptyState(), [], [seen(snap(at(10), [client(0)]))], at(11));
    // Same run: the disconnect at 25 s, and a status file of 20 s that still lists her.
    const r = cycle(first.state, [disconnect(0, 25)], [seen(snap(at(20), [client(0)]))], at(26));
    assert.equal(only(r.closed, 'closed').endedAt, at(25));
    assert.deepEqual(r.opened, []);
    assert.deepEqual(r.reopened, []);
    assert.deepEqual(r.warnings, []);
    // A later run reads another file written before the end (the one of 24 s).
    const again = cycle(r.state, [], [seen(snap(at(24), [client(0)]))], at(30));
    assert.deepEqual(again.opened, []);
    assert.deepEqual(again.closed, []);
    assert.deepEqual(again.warnings, []);
    // A file written well after the end that still lists her is odd: a warning, still no second session.
    const odd = cycle(again.state, [], [seen(snap(at(60), [client(0)]))], at(61));
    assert.deepEqual(odd.opened, []);
    assert.match(
      odd.warnings.join('\n'),
      /listed at .* after its client-disconnect at 2026-11-26T16:00:25Z; not recorded twice/,
    );
  });

  test('without the hooks nothing changes: ends are estimated', () => {
    const a = cycle(emptyState(), [], [seen(snap(at(10), [client(0)]))], at(11));
    const b = cycle(a.state, [], [seen(snap(at(20), []))], at(21));
    const c = cycle(b.state, [], [seen(snap(at(30), []))], at(31));
    const s = only(c.closed, 'closed');
    assert.equal(s.endExact, false);
    assert.equal(s.endedAt, at(10));
    assert.equal(s.source, 'status');
    assert.equal(c.state.hookEnded, undefined, 'no hook state appears without hooks');
  });

  test('a server stop: sessions with a client-disconnect end exactly, the rest as server-stopped', () => {
    const bob = client(2, { commonName: 'bob', username: null, realPort: 40000, virtualAddress: '10.8.0.3' });
    const a = cycle(emptyState(), [], [seen(snap(at(10), [client(0), bob]))], at(11));
    const stop = at(10 + STALE + 5);
    const r = cycle(a.state, [disconnect(0, 12)], [{ instance: 'default', kind: 'missing' }], stop);
    const alice = only(r.closed, 'closed');
    assert.equal(alice.commonName, 'alice');
    assert.equal(alice.endReason, 'disconnected');
    assert.equal(alice.endExact, true);
    const held = only(r.state.tracked, 'held');
    assert.equal(held.commonName, 'bob');
    assert.equal(held.endReason, 'server-stopped');
    assert.equal(held.endExact, false);
    // Its disconnect arrives later (the spool was read late): the exact end replaces the estimate.
    const late = cycle(
      r.state,
      [
        eventOf(
          disconnectEnv(20, { common_name: 'bob', username: '', trusted_port: '40000', time_unix: epoch(2) }),
          'default',
        ),
      ],
      [],
      isoPlus(stop, 60),
    );
    const b = only(late.closed, 'closed');
    assert.equal(b.endReason, 'disconnected');
    assert.equal(b.endExact, true);
    assert.equal(b.endedAt, at(22));
    assert.deepEqual(late.hooked.ended, [], 'counted once, when it was held');
  });

  test('a disconnect for a session the status file already ended is not recorded twice', () => {
    for (const port of [51234, null]) {
      const a = cycle(emptyState(), [], [seen(snap(at(10), [client(0, { realPort: port })]))], at(11));
      const b = cycle(a.state, [], [seen(snap(at(20), []))], at(21));
      const c = cycle(b.state, [], [seen(snap(at(30), []))], at(31));
      assert.equal(only(c.closed, 'closed by the status path').endExact, false);
      const late = cycle(c.state, [disconnect(0, 15)], [], at(40));
      assert.deepEqual(late.closed, [], `port ${port}: nothing closed again`);
      assert.deepEqual(late.state.tracked, []);
      assert.match(late.warnings.join('\n'), /already holds this session with an estimated end/);
    }
  });

  test('a duplicate event is ignored with a warning', () => {
    const r = cycle(emptyState(), [connect(5), disconnect(5, 3), disconnect(5, 3), connect(5)], [], at(11));
    assert.equal(r.closed.length, 1);
    assert.equal(r.warnings.filter((w) => /a client-disconnect already ended this session/.test(w)).length, 2);
    const later = cycle(r.state, [disconnect(5, 3)], [], at(12));
    assert.deepEqual(later.closed, []);
    assert.match(later.warnings.join('\n'), /already ended this session/);
  });

  test('a reconnect from the same address and port is a new session', () => {
    const r = cycle(emptyState(), [connect(0), disconnect(0, 5), connect(10), disconnect(10, 5)], [], at(20));
    assert.equal(r.closed.length, 2);
    assert.deepEqual(
      r.closed.map((s) => [s.connectedAt, s.endedAt]),
      [
        [at(0), at(5)],
        [at(10), at(15)],
      ],
    );
  });

  test('a status file older than a session the hooks opened says nothing about it', () => {
    const a = cycle(emptyState(), [connect(30)], [seen(snap(at(10), []))], at(31));
    const b = cycle(a.state, [], [seen(snap(at(20), []))], at(32));
    assert.deepEqual(b.closed, [], 'two older files lacking it end nothing');
    assert.equal(b.state.tracked.length, 1, 'still open');
    assert.equal(b.state.tracked[0]?.missingSince, null);
    // Later files that lack it: its client-disconnect never came (the hook failed); ended as estimated.
    const c = cycle(b.state, [], [seen(snap(at(40), []))], at(41));
    const d = cycle(c.state, [], [seen(snap(at(50), []))], at(51));
    const s = only(d.closed, 'closed');
    assert.equal(s.endExact, false);
    assert.equal(s.source, 'hook');
    assert.equal(s.endedAt, at(30), 'the only moment known');
  });

  test('what a hook ended is remembered until a status file written after the end, or a day', () => {
    const r = cycle(emptyState(), [connect(5), disconnect(5, 3)], [seen(snap(at(6), []))], at(9));
    assert.equal(r.state.hookEnded?.length, 1, 'kept: the status file of 6 s predates the end');
    const later = cycle(r.state, [], [seen(snap(at(30), []))], at(31));
    assert.deepEqual(later.state.hookEnded, []);
    const noStatus = cycle(r.state, [], [], isoPlus(at(8), RECENTLY_CLOSED_KEEP_S + 1));
    assert.deepEqual(noStatus.state.hookEnded, []);
  });

  test('events of an instance no status file names are applied, with a warning', () => {
    const r = cycle(emptyState(), [eventOf(connectEnv(), 'tcp'), eventOf(disconnectEnv(4), 'tcp')], [], at(0), ['udp']);
    assert.equal(only(r.closed, 'closed').instance, 'tcp');
    assert.match(r.warnings.join('\n'), /instance "tcp", which no --status names/);
  });

  test('a state written before the hooks (no endExact on tracked sessions) reads as estimated', () => {
    const a = cycle(emptyState(), [], [seen(snap(at(10), [client(0)]))], at(11));
    const old = {
      ...a.state,
      tracked: a.state.tracked.map(({ endExact: _e, ...s }) => s as typeof s & { endExact: boolean }),
    };
    const r = cycle(old, [connect(0)], [seen(snap(at(20), [client(0)]))], at(21));
    assert.equal(only(r.state.tracked, 'tracked').endExact, false);
  });
});
