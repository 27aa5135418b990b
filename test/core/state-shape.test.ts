import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { InputError } from '../../src/core/errors.js';
import { emptyState } from '../../src/core/reconcile.js';
import { collectorStateFrom } from '../../src/core/state-shape.js';

const SESSION = {
  id: 'a1',
  instance: 'default',
  user: 'alice',
  commonName: 'alice',
  username: null,
  realAddress: '198.51.100.7',
  realPort: 51234,
  protocol: null,
  virtualAddress: '10.8.0.2',
  virtualIpv6: null,
  clientId: 3,
  peerId: 0,
  cipher: null,
  connectedAt: '2026-11-26T16:00:00Z',
  lastSeenAt: '2026-11-26T16:09:35Z',
  endedAt: '2026-11-26T16:09:35Z',
  durationS: 575,
  bytesReceived: 10,
  bytesSent: 20,
  endReason: 'server-stopped',
  source: 'status',
  missingSince: null,
};
const base = (over: Record<string, unknown>): unknown => ({ ...emptyState(), ...over });

describe('collectorStateFrom: the clock fields of a state (stoppedWritten, withdrawing, steppedBack)', () => {
  const bad: { name: string; state: unknown; where: RegExp }[] = [
    {
      name: 'a remembered session without its connect time',
      state: base({ stoppedWritten: [{ ...SESSION, connectedAt: undefined }] }),
      where: /stoppedWritten\[0\]\.connectedAt is missing/,
    },
    {
      name: 'stoppedWritten that is not a list',
      state: base({ stoppedWritten: {} }),
      where: /stoppedWritten is not a list/,
    },
    {
      name: 'an empty id being withdrawn',
      state: base({ withdrawing: [''] }),
      where: /withdrawing\[0\] is not a non-empty string/,
    },
    {
      name: 'a step-back count that is text',
      state: base({
        instances: { udp: { lastUpdatedAt: null, steppedBack: { count: 'x', lastAt: '2026-11-26T16:00:00Z' } } },
      }),
      where: /instances\["udp"\]\.steppedBack\.count/,
    },
    {
      name: 'a status file down for an unknown reason',
      state: base({
        instances: { udp: { lastUpdatedAt: null, down: { kind: 'gone', since: '2026-11-26T16:00:00Z' } } },
      }),
      where: /instances\["udp"\]\.down\.kind is not one of missing, stale/,
    },
  ];
  for (const c of bad) {
    test(`refused, naming the entry: ${c.name}`, () => {
      assert.throws(
        () => collectorStateFrom(c.state, '/h.csv.state.json'),
        (e: unknown) => e instanceof InputError && c.where.test(e.message) && e.message.includes('/h.csv.state.json'),
      );
    });
  }
  test('well-formed fields are read, and remembered sessions get endExact like tracked ones', () => {
    const state = collectorStateFrom(
      base({
        stoppedWritten: [SESSION],
        withdrawing: ['a1'],
        instances: { udp: { lastUpdatedAt: null, steppedBack: { count: 2, lastAt: '2026-11-26T16:00:00Z' } } },
      }),
      '/h.csv.state.json',
    );
    assert.equal(state.stoppedWritten?.[0]?.endExact, false);
    assert.deepEqual(state.withdrawing, ['a1']);
    assert.deepEqual(state.instances.udp?.steppedBack, { count: 2, lastAt: '2026-11-26T16:00:00Z' });
  });
});

describe('collectorStateFrom: the country of a tracked session', () => {
  test('absent (a state written before countries), null, or two capital letters; anything else names the entry', () => {
    for (const country of [undefined, null, 'DE']) {
      const state = collectorStateFrom(base({ tracked: [{ ...SESSION, country }] }), 's.json');
      assert.equal(state.tracked[0]?.country, country);
    }
    for (const country of ['de', 'DEU', 49, '']) {
      assert.throws(
        () => collectorStateFrom(base({ tracked: [{ ...SESSION, country }] }), 's.json'),
        (e: unknown) =>
          e instanceof InputError && /tracked\[0\]\.country is not a two-letter country code/.test(e.message),
      );
    }
  });
});
