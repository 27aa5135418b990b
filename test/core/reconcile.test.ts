import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { StatusClient, StatusRoute, StatusSnapshot } from '../../src/core/parse-status.js';
import {
  emptyState,
  HOLD_MAX_S,
  reconcile,
  RECENTLY_CLOSED_KEEP_S,
  settleWithdrawn,
  type CollectorState,
  type Observation,
  type ReconcileResult,
} from '../../src/core/reconcile.js';
import { sessionId } from '../../src/core/session.js';
import { deepFreeze, seen, snap } from '../helpers/snapshots.js';
import { isoPlus } from '../helpers/status.js';

const T0 = '2026-11-26T16:00:00Z';
/** T0 plus `s` seconds. */
const at = (s: number): string => isoPlus(T0, s);
const STALE = 300;

function client(commonName: string, over: Partial<StatusClient> = {}): StatusClient {
  return {
    commonName,
    username: null,
    realAddress: '203.0.113.10',
    realPort: 40000,
    protocol: null,
    virtualAddress: '10.8.0.2',
    virtualIpv6: null,
    bytesReceived: 100,
    bytesSent: 200,
    connectedAt: at(-60),
    clientId: 1,
    peerId: 1,
    cipher: 'AES-256-GCM',
    extra: {},
    ...over,
  };
}

/** A run's result with the warnings it gave. */
type Run = ReconcileResult & { warnings: string[] };

/** One run; `prev` is frozen, so a reconcile that mutates its input throws. */
function run(prev: CollectorState, observations: Observation[], now: string, instances = ['default']): Run {
  const warnings: string[] = [];
  const r = reconcile(deepFreeze(structuredClone(prev)), observations, {
    now,
    staleAfterS: STALE,
    instances,
    warn: (m) => warnings.push(m),
  });
  return { ...r, warnings };
}

/** Runs the snapshots one after another, each with `now` a second after its update time. */
function runAll(snapshots: StatusSnapshot[], prev = emptyState()): Run[] {
  const results: Run[] = [];
  let state = prev;
  for (const s of snapshots) {
    const r = run(state, [seen(s)], isoPlus(s.updatedAt as string, 1));
    results.push(r);
    state = r.state;
  }
  return results;
}

const last = <T>(list: T[]): T => {
  const v = list[list.length - 1];
  assert.ok(v !== undefined, 'empty list');
  return v;
};
const ids = (list: { id: string }[]): string[] => list.map((s) => s.id).sort();
const idOf = (c: StatusClient, instance = 'default'): string =>
  sessionId(instance, c.commonName, c.connectedAt, c.realAddress, c.realPort);

const alice = client('alice', { realPort: 40001, virtualAddress: '10.8.0.2' });
const bob = client('bob', {
  username: 'bjones',
  realAddress: '198.51.100.7',
  realPort: 40002,
  virtualAddress: '10.8.0.3',
});
const carol = client('carol', {
  realAddress: '192.0.2.5',
  realPort: 40003,
  virtualAddress: '10.8.0.4',
  connectedAt: at(-30),
});

describe('reconcile: opening and updating', () => {
  test('session ids are stable hex and differ by port, address, connect time and instance', () => {
    const a = sessionId('default', 'alice', '2026-11-26T16:14:55Z', '1.2.3.4', 1194);
    assert.match(a, /^[0-9a-f]{20}$/);
    assert.equal(a, sessionId('default', 'alice', '2026-11-26T16:14:55Z', '1.2.3.4', 1194));
    for (const other of [
      sessionId('default', 'alice', '2026-11-26T16:14:55Z', '1.2.3.4', 1195),
      sessionId('default', 'alice', '2026-11-26T16:14:55Z', '1.2.3.5', 1194),
      sessionId('default', 'alice', '2026-11-26T16:14:56Z', '1.2.3.4', 1194),
      sessionId('udp', 'alice', '2026-11-26T16:14:55Z', '1.2.3.4', 1194),
      sessionId('default', 'alice', '2026-11-26T16:14:55Z', '1.2.3.4', null),
    ]) {
      assert.notEqual(a, other);
    }
  });

  test('a client in a fresh snapshot opens an active session', () => {
    const r = run(emptyState(), [seen(snap(at(0), [bob]))], at(1));
    assert.equal(r.opened.length, 1);
    const s = r.opened[0];
    assert.ok(s);
    assert.equal(s.id, idOf(bob));
    assert.equal(s.user, 'bjones', 'user is the username where OpenVPN reports one');
    assert.equal(s.commonName, 'bob');
    assert.equal(s.connectedAt, bob.connectedAt);
    assert.equal(s.lastSeenAt, at(0));
    assert.equal(s.endedAt, null);
    assert.equal(s.endReason, null);
    assert.equal(s.source, 'status');
    assert.deepEqual(r.closed, []);
    assert.deepEqual(r.ended, []);
    assert.deepEqual(ids(r.state.tracked), [s.id]);
    assert.equal(r.state.tracked[0]?.missingSince, null);
    assert.deepEqual(r.state.instances, { default: { lastUpdatedAt: at(0) } });
  });

  test('the same identity seen again is the same session, with bytes and lastSeenAt updated', () => {
    const later = { ...alice, bytesReceived: 5000, bytesSent: 7000, clientId: 9, cipher: 'CHACHA20-POLY1305' };
    const [first, second] = runAll([snap(at(0), [alice]), snap(at(60), [later])]);
    assert.ok(first && second);
    assert.deepEqual(second.opened, []);
    assert.deepEqual(second.reopened, []);
    assert.equal(second.state.tracked.length, 1);
    const s = second.state.tracked[0];
    assert.ok(s);
    assert.equal(s.id, first.opened[0]?.id);
    assert.equal(s.connectedAt, alice.connectedAt);
    assert.equal(s.lastSeenAt, at(60));
    assert.equal(s.bytesReceived, 5000);
    assert.equal(s.bytesSent, 7000);
    assert.equal(s.clientId, 9);
    assert.equal(s.cipher, 'CHACHA20-POLY1305');
  });

  test('two clients sharing a common name are two sessions', () => {
    const kiosk1 = client('shared-dup', {
      username: 'kiosk1',
      realAddress: '127.0.0.14',
      realPort: 42004,
      virtualAddress: '10.8.0.5',
    });
    const kiosk2 = client('shared-dup', { realAddress: '127.0.0.15', realPort: 42005, virtualAddress: '10.8.0.6' });
    const r = run(emptyState(), [seen(snap(at(0), [kiosk1, kiosk2]))], at(1));
    assert.equal(r.opened.length, 2);
    assert.notEqual(r.opened[0]?.id, r.opened[1]?.id);
    assert.deepEqual(r.opened.map((s) => s.user).sort(), ['kiosk1', 'shared-dup']);
  });

  test('the same client from two ports of one address is two sessions', () => {
    const other = { ...alice, realPort: 40999, virtualAddress: '10.8.0.9' };
    const r = run(emptyState(), [seen(snap(at(0), [alice, other]))], at(1));
    assert.equal(r.opened.length, 2);
  });

  test('identical duplicate rows are one session', () => {
    const r = run(emptyState(), [seen(snap(at(0), [alice, { ...alice }, bob]))], at(1));
    assert.deepEqual(ids(r.opened), ids([{ id: idOf(alice) }, { id: idOf(bob) }]));
    assert.equal(r.state.tracked.length, 2);
  });

  test('a client listed before it is fully connected (no address, no route) is recorded only once it has an address', () => {
    const pending = client('client-07', {
      username: 'user07',
      realPort: 42207,
      virtualAddress: null,
      cipher: 'BF-CBC',
      connectedAt: at(-1),
    });
    const [r1, r2] = runAll([
      snap(at(0), [alice, pending]),
      snap(at(5), [alice, { ...pending, virtualAddress: '10.8.0.8', cipher: 'AES-256-GCM' }]),
    ]);
    assert.ok(r1 && r2);
    assert.deepEqual(ids(r1.opened), [idOf(alice)]);
    assert.equal(r1.state.tracked.length, 1);
    assert.equal(r2.opened.length, 1);
    const s = r2.opened[0];
    assert.equal(s?.id, idOf(pending), 'the session keeps the identity it had while pending');
    assert.equal(s?.connectedAt, at(-1));
    assert.equal(s?.virtualAddress, '10.8.0.8');
    assert.equal(s?.cipher, 'AES-256-GCM');
  });

  test('a client without a virtual IP but with its own route (a TAP client, MAC route) is recorded', () => {
    const tap = client('tap-client', { virtualAddress: null, realPort: 41000 });
    const route: StatusRoute = {
      virtualAddress: '52:54:00:12:34:56',
      kind: 'mac',
      commonName: 'tap-client',
      realAddress: tap.realAddress,
      realPort: tap.realPort,
      protocol: null,
      lastRefAt: at(0),
    };
    const r = run(emptyState(), [seen(snap(at(0), [tap], [route]))], at(1));
    assert.deepEqual(ids(r.opened), [idOf(tap)]);
  });

  test('reconcile does not change the state it is given', () => {
    const prev = runAll([snap(at(0), [alice, bob])])[0]?.state;
    assert.ok(prev);
    const copy = structuredClone(prev);
    // run() freezes its input: any mutation would throw.
    run(prev, [seen(snap(at(60), [bob]))], at(61));
    run(prev, [seen(snap(at(60), []))], at(1000));
    assert.deepEqual(prev, copy);
  });
});

describe('reconcile: ending', () => {
  test('gone from one fresh snapshot: still open, missingSince set', () => {
    const [, r] = runAll([snap(at(0), [alice, bob]), snap(at(60), [bob])]);
    assert.ok(r);
    assert.deepEqual(r.closed, []);
    assert.deepEqual(r.ended, []);
    const a = r.state.tracked.find((s) => s.id === idOf(alice));
    assert.ok(a, 'alice is still tracked');
    assert.equal(a.endedAt, null);
    assert.equal(a.missingSince, at(60));
    assert.equal(a.lastSeenAt, at(0));
    assert.equal(r.state.tracked.find((s) => s.id === idOf(bob))?.missingSince, null);
  });

  test('gone from two snapshots with different update times: ended at the last time it was listed, not at now', () => {
    const results = runAll([
      snap(at(0), [alice, bob]),
      snap(at(60), [alice, bob]),
      snap(at(120), [bob]),
      snap(at(180), [bob]),
    ]);
    const r = last(results);
    assert.equal(r.closed.length, 1);
    const s = r.closed[0];
    assert.ok(s);
    assert.equal(s.id, idOf(alice));
    assert.equal(s.endedAt, at(60), 'endedAt = update time of the last file that listed it');
    assert.equal(s.lastSeenAt, at(60));
    assert.equal(s.durationS, 120, 'connected at -60, last seen at +60');
    assert.equal(s.endReason, 'disconnected');
    assert.ok(!('missingSince' in s), 'closed sessions are plain sessions');
    assert.deepEqual(ids(r.ended), [idOf(alice)]);
    assert.deepEqual(ids(r.state.tracked), [idOf(bob)]);
    assert.equal(r.state.recentlyClosed[idOf(alice)], at(181));
  });

  test('a session missing once and then listed again stays open (missingSince cleared)', () => {
    const r = last(runAll([snap(at(0), [alice]), snap(at(60), []), snap(at(120), [alice]), snap(at(180), [alice])]));
    assert.deepEqual(r.closed, []);
    assert.equal(r.state.tracked[0]?.missingSince, null);
    assert.equal(r.state.tracked[0]?.lastSeenAt, at(180));
  });

  test('a spliced read (fresh TIME, zero clients) followed by a normal snapshot ends nobody', () => {
    const all = [alice, bob, carol];
    const [, spliced, normal] = runAll([snap(at(0), all), snap(at(1), []), snap(at(2), all)]);
    assert.ok(spliced && normal);
    assert.deepEqual(spliced.closed, []);
    assert.deepEqual(spliced.ended, []);
    assert.ok(spliced.state.tracked.every((s) => s.missingSince === at(1)));
    assert.deepEqual(normal.closed, []);
    assert.deepEqual(normal.ended, []);
    assert.equal(normal.state.tracked.length, 3);
    assert.ok(
      normal.state.tracked.every((s) => s.missingSince === null && s.endedAt === null && s.lastSeenAt === at(2)),
    );
  });

  test('the same update time twice changes nothing, even when the second read lists nobody', () => {
    const prev = runAll([snap(at(0), [alice, bob])])[0]?.state;
    assert.ok(prev);
    for (const again of [snap(at(0), []), snap(at(0), [{ ...alice, bytesReceived: 1 }])]) {
      const r = run(prev, [seen(again)], at(30));
      assert.deepEqual(r.state, prev);
      assert.deepEqual([r.opened, r.closed, r.ended, r.reopened, r.warnings], [[], [], [], [], []]);
    }
  });

  test('an unreadable file changes nothing', () => {
    const prev = last(runAll([snap(at(0), [alice, bob]), snap(at(60), [bob])])).state;
    const r = run(prev, [{ instance: 'default', kind: 'unreadable', reason: 'no END line' }], at(120));
    assert.deepEqual(r.state, prev);
    assert.deepEqual([r.opened, r.closed, r.ended, r.reopened], [[], [], [], []]);
    // Even long after: an unreadable file is no evidence that the server stopped.
    assert.deepEqual(run(prev, [{ instance: 'default', kind: 'unreadable', reason: 'x' }], at(3600)).state, prev);
  });

  test('closed sessions come out in end order, across instances too', () => {
    const both = ['tcp', 'udp'];
    const r1 = run(
      emptyState(),
      [seen(snap(at(30), [bob, carol]), 'tcp'), seen(snap(at(0), [alice]), 'udp')],
      at(31),
      both,
    );
    const r2 = run(r1.state, [seen(snap(at(90), [carol]), 'tcp'), seen(snap(at(60), []), 'udp')], at(91), both);
    const r3 = run(r2.state, [seen(snap(at(150), []), 'tcp'), seen(snap(at(120), []), 'udp')], at(151), both);
    assert.deepEqual(
      r3.closed.map((s) => [s.instance, s.commonName, s.endedAt]),
      [
        ['udp', 'alice', at(0)],
        ['tcp', 'bob', at(30)],
      ],
    );
    const r4 = run(r3.state, [seen(snap(at(210), []), 'tcp'), seen(snap(at(180), []), 'udp')], at(211), both);
    assert.deepEqual(
      r4.closed.map((s) => [s.commonName, s.endedAt]),
      [['carol', at(90)]],
    );
  });
});

describe('reconcile: stale and missing files (server stopped)', () => {
  const open = (): CollectorState => last(runAll([snap(at(0), [alice, bob])])).state;

  test('a file whose update time is older than staleAfter ends its sessions as server-stopped, held in the state', () => {
    const r = run(open(), [seen(snap(at(0), [alice, bob]))], at(STALE + 1));
    assert.deepEqual(r.closed, [], 'held, not yet written to the CSV');
    assert.deepEqual(ids(r.ended), ids([{ id: idOf(alice) }, { id: idOf(bob) }]));
    assert.equal(r.state.tracked.length, 2);
    for (const s of r.state.tracked) {
      assert.equal(s.endReason, 'server-stopped');
      assert.equal(s.endedAt, at(0));
      assert.equal(s.durationS, 60);
    }
    // Seeing the same stale file again ends nothing twice.
    const again = run(r.state, [seen(snap(at(0), [alice, bob]))], at(STALE + 61));
    assert.deepEqual(again.ended, []);
    assert.deepEqual(again.state.tracked, r.state.tracked);
  });

  test('a file exactly staleAfter old is still fresh', () => {
    const r = run(open(), [seen(snap(at(0), [alice, bob]))], at(STALE));
    assert.deepEqual(r.ended, []);
  });

  test('a missing file: nothing within staleAfter, server-stopped after it', () => {
    const missing: Observation = { instance: 'default', kind: 'missing' };
    const soon = run(open(), [missing], at(STALE));
    assert.deepEqual(soon.ended, []);
    const { down, ...inst } = soon.state.instances.default ?? {};
    assert.deepEqual(down, { kind: 'missing', since: at(STALE) }, 'missing since the first run that missed it');
    assert.deepEqual({ ...soon.state, instances: { default: inst } }, open());
    const again = run(soon.state, [missing], at(STALE + 60));
    assert.deepEqual(again.state.instances.default?.down, down, 'still since then');
    const later = run(open(), [missing], at(STALE + 1));
    assert.equal(later.ended.length, 2);
    assert.ok(later.ended.every((s) => s.endReason === 'server-stopped' && s.endedAt === at(0)));
    assert.deepEqual(later.closed, []);
  });

  test('the same identity in a fresh file re-opens a held session: no duplicate', () => {
    const held = run(open(), [{ instance: 'default', kind: 'missing' }], at(1000)).state;
    const fresh = { ...alice, bytesReceived: 999 };
    const r = run(held, [seen(snap(at(1000), [fresh]))], at(1001));
    assert.deepEqual(ids(r.reopened), [idOf(alice)]);
    assert.deepEqual(r.opened, []);
    assert.deepEqual(r.closed, []);
    const a = r.state.tracked.filter((s) => s.id === idOf(alice));
    assert.equal(a.length, 1);
    assert.equal(a[0]?.endedAt, null);
    assert.equal(a[0]?.endReason, null);
    assert.equal(a[0]?.durationS, null);
    assert.equal(a[0]?.lastSeenAt, at(1000));
    assert.equal(a[0]?.bytesReceived, 999);
    // bob is still held, now missing once.
    const b = r.state.tracked.find((s) => s.id === idOf(bob));
    assert.equal(b?.endReason, 'server-stopped');
    assert.equal(b?.missingSince, at(1000));
  });

  test('a held session is written to closed only after two fresh snapshots lack it', () => {
    const held = run(open(), [seen(snap(at(0), [alice, bob]))], at(1000)).state;
    const first = run(held, [seen(snap(at(1000), []))], at(1001));
    assert.deepEqual(first.closed, []);
    assert.equal(first.state.tracked.length, 2);
    const second = run(first.state, [seen(snap(at(1060), []))], at(1061));
    assert.deepEqual(second.ended, [], 'they ended when the server stopped, not now');
    assert.equal(second.closed.length, 2);
    for (const s of second.closed) {
      assert.equal(s.endReason, 'server-stopped');
      assert.equal(s.endedAt, at(0));
    }
    assert.deepEqual(second.state.tracked, []);
    assert.deepEqual(Object.keys(second.state.recentlyClosed).sort(), ids(second.closed));
  });

  test('a new client in a stale file is recorded, and held as server-stopped at once', () => {
    const r = run(emptyState(), [seen(snap(at(0), [alice]))], at(1000));
    assert.deepEqual(ids(r.opened), [idOf(alice)]);
    assert.deepEqual(ids(r.ended), [idOf(alice)]);
    assert.equal(r.state.tracked[0]?.endReason, 'server-stopped');
    assert.deepEqual(
      r.state.instances.default,
      { lastUpdatedAt: null, down: { kind: 'stale', since: at(0) } },
      'a stale file is not progress; it is stale since its own update time',
    );
    const fresh = run(r.state, [seen(snap(at(1000), [alice]))], at(1001));
    assert.deepEqual(fresh.state.instances.default, { lastUpdatedAt: at(1000) }, 'fresh again: no longer down');
  });

  test('a future-dated file is ignored with a warning', () => {
    const prev = open();
    const r = run(prev, [seen(snap(at(3600), []))], at(60));
    assert.equal(r.warnings.length, 1);
    assert.match(r.warnings[0] ?? '', /default: .*in the future.*--tz/);
    assert.deepEqual(r.state, prev);
    // A little clock skew is tolerated.
    const skew = run(prev, [seen(snap(at(120), [alice, bob]))], at(61));
    assert.deepEqual(skew.warnings, []);
    assert.equal(skew.state.instances.default?.lastUpdatedAt, at(120));
  });

  test('a file older than the last one seen (but not stale) is ignored, quietly unless its clock is followed', () => {
    const prev = last(runAll([snap(at(0), [alice, bob]), snap(at(60), [alice, bob])])).state;
    const r = run(prev, [seen(snap(at(30), []))], at(61));
    assert.deepEqual(r.warnings, []);
    assert.deepEqual(r.state, {
      ...prev,
      instances: { default: { lastUpdatedAt: at(60), steppedBack: { count: 1, lastAt: at(30) } } },
    });
  });

  test('an instance no longer configured is treated as missing', () => {
    const prev = open();
    const others: Observation[] = [seen(snap(at(100), []), 'udp')];
    const soon = run(prev, others, at(101), ['udp']);
    assert.deepEqual(soon.ended, []);
    assert.deepEqual(soon.state.tracked, prev.tracked);
    const later = run(prev, [seen(snap(at(400), []), 'udp')], at(401), ['udp']);
    assert.equal(later.ended.length, 2);
    assert.ok(later.state.tracked.every((s) => s.instance === 'default' && s.endReason === 'server-stopped'));
    // Still configured but not observed this run: left alone.
    const configured = run(prev, [seen(snap(at(400), []), 'udp')], at(401), ['udp', 'default']);
    assert.deepEqual(configured.ended, []);
  });

  test('held sessions are written to the CSV a day after they ended, even if their instance never returns', () => {
    const held = run(open(), [seen(snap(at(400), []), 'udp')], at(401), ['udp']).state;
    assert.equal(held.tracked.length, 2, 'both sessions held as server-stopped');
    const endedAt = held.tracked[0]?.endedAt as string;
    const dayLater = (extra: number): string => isoPlus(endedAt, HOLD_MAX_S + extra);
    const before = run(held, [seen(snap(dayLater(0), []), 'udp')], dayLater(0), ['udp']);
    assert.deepEqual(before.closed, [], 'not before a day has passed');
    const after = run(before.state, [seen(snap(dayLater(60), []), 'udp')], dayLater(60), ['udp']);
    assert.deepEqual(ids(after.closed), ids(held.tracked));
    assert.ok(
      after.closed.every((s) => s.endReason === 'server-stopped' && s.endedAt === s.lastSeenAt),
      'ended at their last sighting',
    );
    assert.deepEqual(after.state.tracked, []);
    assert.deepEqual(Object.keys(after.state.recentlyClosed).sort(), ids(held.tracked));
    // Also when the file is still configured but stays stale.
    const stale = run(held, [], dayLater(60), ['udp', 'default']);
    assert.deepEqual(ids(stale.closed), ids(held.tracked));
  });
});

describe('reconcile: written once', () => {
  const closedState = (): { state: CollectorState; closedAt: string } => {
    const r = last(runAll([snap(at(0), [alice]), snap(at(60), []), snap(at(120), [])]));
    assert.equal(r.closed.length, 1);
    return { state: r.state, closedAt: at(121) };
  };

  test('recentlyClosed prevents writing a session twice', () => {
    const { state } = closedState();
    const r = run(state, [seen(snap(at(180), [alice]))], at(181));
    assert.deepEqual(r.opened, []);
    assert.deepEqual(r.state.tracked, []);
    assert.match(r.warnings[0] ?? '', /listed again after it was recorded as ended; not recorded twice/);
    // A stale file that still lists it is no news: no warning either.
    const stale = run(state, [seen(snap(at(0), [alice]))], at(1000));
    assert.deepEqual([stale.opened, stale.warnings, stale.state.tracked], [[], [], []]);
  });

  test('recentlyClosed is pruned after 24 h', () => {
    const { state, closedAt } = closedState();
    const kept = run(
      state,
      [{ instance: 'default', kind: 'unreadable', reason: 'x' }],
      isoPlus(closedAt, RECENTLY_CLOSED_KEEP_S),
    );
    assert.deepEqual(Object.keys(kept.state.recentlyClosed), [idOf(alice)]);
    const pruned = run(
      state,
      [{ instance: 'default', kind: 'unreadable', reason: 'x' }],
      isoPlus(closedAt, RECENTLY_CLOSED_KEEP_S + 1),
    );
    assert.deepEqual(pruned.state.recentlyClosed, {});
  });
});

describe('reconcile: several instances', () => {
  const both = ['udp', 'tcp'];

  test('instances are independent: same client on both is two sessions, each ends on its own', () => {
    const r0 = run(
      emptyState(),
      [seen(snap(at(0), [alice]), 'udp'), seen(snap(at(0), [alice, bob]), 'tcp')],
      at(1),
      both,
    );
    assert.equal(r0.opened.length, 3);
    assert.notEqual(idOf(alice, 'udp'), idOf(alice, 'tcp'));
    assert.deepEqual(
      ids(r0.opened),
      ids([{ id: idOf(alice, 'udp') }, { id: idOf(alice, 'tcp') }, { id: idOf(bob, 'tcp') }]),
    );
    assert.deepEqual(r0.state.instances, { udp: { lastUpdatedAt: at(0) }, tcp: { lastUpdatedAt: at(0) } });

    // udp loses alice twice while tcp is unreadable, then lists alice again.
    const r1 = run(
      r0.state,
      [seen(snap(at(60), []), 'udp'), { instance: 'tcp', kind: 'unreadable', reason: 'torn' }],
      at(61),
      both,
    );
    const r2 = run(r1.state, [seen(snap(at(120), []), 'udp'), seen(snap(at(120), [alice, bob]), 'tcp')], at(121), both);
    assert.deepEqual(ids(r2.closed), [idOf(alice, 'udp')]);
    assert.equal(r2.closed[0]?.instance, 'udp');
    assert.deepEqual(ids(r2.state.tracked), ids([{ id: idOf(alice, 'tcp') }, { id: idOf(bob, 'tcp') }]));
    assert.ok(r2.state.tracked.every((s) => s.missingSince === null && s.lastSeenAt === at(120)));
    assert.deepEqual(r2.state.instances, { udp: { lastUpdatedAt: at(120) }, tcp: { lastUpdatedAt: at(120) } });

    // tcp goes stale: only its sessions are held.
    const r3 = run(r2.state, [seen(snap(at(500), []), 'udp'), seen(snap(at(120), [alice, bob]), 'tcp')], at(501), both);
    assert.equal(r3.ended.length, 2);
    assert.ok(r3.ended.every((s) => s.instance === 'tcp' && s.endReason === 'server-stopped'));
  });
});

describe('reconcile: clocks that jump (issue 17)', () => {
  test('an end is never before its start: a client connected after the file time (clock stepped back)', () => {
    const late = client('late', { realPort: 41000, connectedAt: at(600) });
    const rs = runAll([snap(at(0), [late]), snap(at(10), []), snap(at(610), []), snap(at(620), [])]);
    const closed = rs.flatMap((r) => r.closed);
    assert.equal(closed.length, 1);
    assert.equal(closed[0]?.endedAt, at(600), 'clamped to its start');
    assert.equal(closed[0]?.durationS, 0);
    // Held as server-stopped from a stale file: the same.
    const held = run(emptyState(), [seen(snap(at(0), [late]))], at(1000));
    assert.equal(held.ended[0]?.endedAt, at(600));
  });

  const open = (): CollectorState => last(runAll([snap(at(0), [alice, bob])])).state;
  const dayAhead = at(HOLD_MAX_S + 120);

  test('a server-stopped session already written to the CSV reopens when listed again, whatever the gap; its row is withdrawn', () => {
    const ahead = run(open(), [seen(snap(at(0), [alice, bob]))], dayAhead);
    assert.deepEqual(ids(ahead.closed), ids([{ id: idOf(alice) }, { id: idOf(bob) }]), 'written server-stopped');
    assert.deepEqual(ahead.state.tracked, []);
    // Back at the right time (or days later): alice is listed with the same identity.
    for (const when of [60, 3 * 86400]) {
      const back = run(ahead.state, [seen(snap(at(when), [alice]))], at(when + 1));
      assert.deepEqual(ids(back.reopened), [idOf(alice)]);
      assert.deepEqual(back.withdrawn, [idOf(alice)], 'its server-stopped row leaves the CSV');
      assert.deepEqual(back.opened, []);
      assert.deepEqual(back.warnings, []);
      const a = back.state.tracked.find((s) => s.id === idOf(alice));
      assert.equal(a?.endedAt, null);
      assert.equal(back.state.recentlyClosed[idOf(alice)], undefined);
      // bob, still written, is lacking: forgotten after a second snapshot lacks him, never written twice.
      const next = run(back.state, [seen(snap(at(when + 60), [alice]))], at(when + 61));
      const after = run(next.state, [seen(snap(at(when + 120), []))], at(when + 121));
      assert.deepEqual(next.closed, []);
      assert.deepEqual(next.state.stoppedWritten, []);
      assert.deepEqual(after.closed, []);
      const gone = run(after.state, [seen(snap(at(when + 180), []))], at(when + 181));
      assert.deepEqual(ids(gone.closed), [idOf(alice)], 'alice written once, when she ends');
      assert.equal(gone.closed[0]?.endReason, 'disconnected');
    }
  });

  test('after a run stopped while withdrawing rows: a session whose row is gone is held, one whose row is there stays written', () => {
    const ahead = run(open(), [seen(snap(at(0), [alice, bob]))], dayAhead).state;
    const stopped: CollectorState = { ...ahead, withdrawing: [idOf(alice), idOf(bob)] };
    const settled = settleWithdrawn(stopped, new Set([idOf(bob)]));
    assert.equal(settled.withdrawing, undefined);
    assert.deepEqual(ids(settled.tracked), [idOf(alice)]);
    assert.equal(settled.tracked[0]?.endReason, 'server-stopped', 'held: written again only when it ends');
    assert.deepEqual(ids(settled.stoppedWritten ?? []), [idOf(bob)]);
    // Held alice re-opens without a row to withdraw; bob's row is withdrawn as usual.
    const back = run(settled, [seen(snap(at(60), [alice, bob]))], at(61));
    assert.deepEqual(ids(back.reopened), ids([{ id: idOf(alice) }, { id: idOf(bob) }]));
    assert.deepEqual(back.withdrawn, [idOf(bob)]);
  });

  test('a different identity (a new connect time) is a new session, not a reopen', () => {
    const ahead = run(open(), [seen(snap(at(0), [alice, bob]))], dayAhead);
    const again = { ...alice, connectedAt: at(50) };
    const back = run(ahead.state, [seen(snap(at(60), [again]))], at(61));
    assert.deepEqual(back.reopened, []);
    assert.deepEqual(back.withdrawn, []);
    assert.deepEqual(ids(back.opened), [idOf(again)]);
  });

  test('a stale file brings no news about a written server-stopped session', () => {
    const ahead = run(open(), [seen(snap(at(0), [alice, bob]))], dayAhead);
    const stale = run(ahead.state, [seen(snap(at(0), [alice, bob]))], isoPlus(dayAhead, 60));
    assert.deepEqual([stale.reopened, stale.withdrawn, stale.closed, stale.opened], [[], [], [], []]);
    assert.equal(stale.state.stoppedWritten?.length, 2);
  });

  test('written server-stopped sessions of an instance no longer configured are not kept', () => {
    const r = run(open(), [seen(snap(at(HOLD_MAX_S + 120), []), 'udp')], dayAhead, ['udp']);
    assert.equal(r.closed.length, 2);
    assert.deepEqual(r.state.stoppedWritten ?? [], []);
  });

  test("OpenVPN's clock set back: followed after three consistent updates, with one warning", () => {
    const prev = last(runAll([snap(at(3600), [alice, bob])])).state;
    const dora = client('dora', { realPort: 40009, virtualAddress: '10.8.0.9', connectedAt: at(30) });
    const rs: Run[] = [];
    let state = prev;
    for (const t of [60, 120, 180, 240]) {
      const r = run(state, [seen(snap(at(t), [bob, dora]))], at(t + 1));
      rs.push(r);
      state = r.state;
    }
    const [r1, r2, r3, r4] = rs as [Run, Run, Run, Run];
    assert.deepEqual(
      [r1.warnings, r2.warnings, r1.opened, r2.opened],
      [[], [], [], []],
      'two older updates ignored quietly',
    );
    assert.equal(r2.state.instances.default?.lastUpdatedAt, at(3600));
    assert.equal(r3.warnings.length, 1);
    assert.match(
      r3.warnings[0] ?? '',
      /default: status file time went back from 2026-11-26T17:00:00Z to 2026-11-26T16:03:00Z.*following/,
    );
    assert.equal(r3.state.instances.default?.lastUpdatedAt, at(180));
    assert.equal(r3.state.instances.default?.steppedBack, undefined);
    assert.deepEqual(ids(r3.opened), [idOf(dora)]);
    assert.deepEqual(r4.warnings, []);
    assert.deepEqual(ids(r4.closed), [idOf(alice)], 'alice, lacking from two updates on the new clock, ends');
    assert.ok((r4.closed[0]?.endedAt ?? '') >= (r4.closed[0]?.connectedAt ?? ''));
  });

  test('older updates that are not consistent among themselves are not followed', () => {
    let state = last(runAll([snap(at(3600), [alice])])).state;
    const warnings: string[] = [];
    // Each older update goes back again (not one clock running on): the count starts over.
    for (const t of [300, 200, 100, 50, 10]) {
      const r = run(state, [seen(snap(at(t), []))], at(t + 1));
      warnings.push(...r.warnings);
      state = r.state;
    }
    assert.deepEqual(warnings, []);
    assert.equal(state.instances.default?.lastUpdatedAt, at(3600));
    // A normal update in between clears the count.
    const a = run(state, [seen(snap(at(20), []))], at(21)).state;
    const b = run(a, [seen(snap(at(3660), [alice]))], at(3661)).state;
    assert.equal(b.instances.default?.steppedBack, undefined);
  });
});

describe('reconcile: the repeated hour of a DST change (status-version 1, issue 17)', () => {
  // Europe/Berlin, 2026-10-25: 02:00–02:59:59 happens at 00:00Z (CEST) and again at 01:00Z (CET).
  const z = (hms: string): string => `2026-10-25T${hms}Z`;
  /** A snapshot of wall text read as the parser does: the earlier reading, and the later one where there are two. */
  const v1 = (updated: [string, string?], clients: StatusClient[]): StatusSnapshot => {
    const s = snap(updated[0], clients);
    return updated[1] === undefined ? s : { ...s, updatedAtLater: updated[1] };
  };
  const x = client('xaver', { realPort: 1001, connectedAt: z('00:30:00'), connectedAtLater: z('01:30:00') });
  const y = client('yvonne', { realPort: 1002, connectedAt: z('00:59:59'), connectedAtLater: z('01:59:59') });

  test('after 02:59:30 CEST, "02:00:00" is CET: fresh, no server-stopped, the client that connected at 02:59:59 CEST kept', () => {
    const first = run(emptyState(), [seen(v1([z('00:59:30')], [x]))], z('00:59:31'));
    const r = run(first.state, [seen(v1([z('00:00:00'), z('01:00:00')], [x, y]))], z('01:00:01'));
    assert.deepEqual([r.ended, r.warnings], [[], []]);
    assert.equal(r.state.instances.default?.lastUpdatedAt, z('01:00:00'));
    const yy = r.state.tracked.find((s) => s.commonName === 'yvonne');
    assert.deepEqual([yy?.connectedAt, yy?.lastSeenAt], [z('00:59:59'), z('01:00:00')]);
  });

  test('a client already recorded keeps its connect time, and so its identity, in the second pass of the hour', () => {
    const a = run(emptyState(), [seen(v1([z('00:40:00')], [x]))], z('00:40:01'));
    assert.equal(a.state.tracked[0]?.connectedAt, z('00:30:00'));
    // 02:40 CET: both readings of 02:30 are before the file and before the previous update.
    const b = run(a.state, [seen(v1([z('00:39:00'), z('01:39:00')], [x]))], z('01:39:01'));
    const c = run(b.state, [seen(v1([z('00:40:00'), z('01:40:00')], [x]))], z('01:40:01'));
    assert.deepEqual([b.opened, c.opened, c.closed], [[], [], []]);
    assert.deepEqual(ids(c.state.tracked), [idOf(x)]);
    assert.equal(c.state.tracked[0]?.lastSeenAt, z('01:40:00'));
  });

  test('a client first seen in the second pass connected after the previous update: the CET reading', () => {
    const a = run(emptyState(), [seen(v1([z('00:59:00'), z('01:59:00')], []))], z('00:59:01'));
    assert.equal(a.state.instances.default?.lastUpdatedAt, z('00:59:00'), 'the later reading would be in the future');
    const b = run(a.state, [seen(v1([z('00:29:00'), z('01:29:00')], []))], z('01:29:01'));
    const c = run(b.state, [seen(v1([z('00:31:00'), z('01:31:00')], [x]))], z('01:31:01'));
    assert.deepEqual([b.warnings, c.warnings], [[], []]);
    assert.equal(c.opened[0]?.connectedAt, z('01:30:00'));
  });
});
