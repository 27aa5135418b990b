/** What a build redoes (src/core/build-plan.ts): tables of cases. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  emptyDirty,
  groupSessions,
  isRebuilt,
  markGroups,
  monthsToRender,
  neighbours,
  neighboursMoved,
  planTracked,
  trackedSignature,
  userListChanged,
  type UserScope,
} from '../../src/core/build-plan.js';
import type { Session } from '../../src/core/session.js';
import { sampleSession } from '../helpers/sessions.js';

const s = (id: string, user: string, connectedAt: string, over: Partial<Session> = {}): Session =>
  sampleSession({ id, user, connectedAt, ...over });
/** Dirty days and user → months, as plain arrays. */
const plain = (d: ReturnType<typeof emptyDirty>) => ({
  days: [...d.days],
  userMonths: Object.fromEntries([...d.userMonths].map(([u, ms]) => [u, [...ms]])),
});

describe('groupSessions and markGroups', () => {
  const a1 = s('a1', 'alice', '2026-03-02T10:00:00Z');
  const a2 = s('a2', 'alice', '2026-04-01T10:00:00Z');
  const b1 = s('b1', 'bob', '2026-03-02T23:30:00Z');
  const cases: {
    name: string;
    input: { added: Session[]; removed?: Session[]; tz: string };
    expected: {
      byDay: Record<string, string[]>;
      byUserMonth: Record<string, string[]>;
      dirty: ReturnType<typeof plain>;
    };
  }[] = [
    {
      name: 'nothing',
      input: { added: [], tz: 'UTC' },
      expected: { byDay: {}, byUserMonth: {}, dirty: { days: [], userMonths: {} } },
    },
    {
      name: 'by day and by user-month, in the order first seen',
      input: { added: [a1, b1, a2], tz: 'UTC' },
      expected: {
        byDay: { '2026-03-02': ['a1', 'b1'], '2026-04-01': ['a2'] },
        byUserMonth: { 'alice 2026-03': ['a1'], 'bob 2026-03': ['b1'], 'alice 2026-04': ['a2'] },
        dirty: { days: ['2026-03-02', '2026-04-01'], userMonths: { alice: ['2026-03', '2026-04'], bob: ['2026-03'] } },
      },
    },
    {
      name: 'days in the zone: 23:30 UTC is the next day in Berlin',
      input: { added: [a1, b1], tz: 'Europe/Berlin' },
      expected: {
        byDay: { '2026-03-02': ['a1'], '2026-03-03': ['b1'] },
        byUserMonth: { 'alice 2026-03': ['a1'], 'bob 2026-03': ['b1'] },
        dirty: { days: ['2026-03-02', '2026-03-03'], userMonths: { alice: ['2026-03'], bob: ['2026-03'] } },
      },
    },
    {
      name: 'a removed session opens its (empty) groups and dirties them: its files are rewritten without it',
      input: { added: [a2], removed: [b1], tz: 'UTC' },
      expected: {
        byDay: { '2026-03-02': [], '2026-04-01': ['a2'] },
        byUserMonth: { 'bob 2026-03': [], 'alice 2026-04': ['a2'] },
        dirty: { days: ['2026-03-02', '2026-04-01'], userMonths: { bob: ['2026-03'], alice: ['2026-04'] } },
      },
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const g = groupSessions(c.input.added, c.input.tz, c.input.removed);
      const dirty = emptyDirty();
      markGroups(dirty, g);
      assert.deepEqual(
        {
          byDay: Object.fromEntries([...g.byDay].map(([d, l]) => [d, l.map((x) => x.id)])),
          byUserMonth: Object.fromEntries(
            [...g.byUserMonth.values()].map((e) => [`${e.user} ${e.month}`, e.sessions.map((x) => x.id)]),
          ),
          dirty: plain(dirty),
        },
        c.expected,
      );
    });
  }
});

describe('planTracked', () => {
  const open = s('o', 'alice', '2026-03-02T10:00:00Z', { endedAt: null, bytesReceived: 10 });
  const held = s('h', 'bob', '2026-03-01T10:00:00Z');
  const sig = (x: Session) => trackedSignature(x, 'UTC');
  const cases: {
    name: string;
    input: { tracked: Session[]; previous: Record<string, string> };
    expected: { dirty: ReturnType<typeof plain>; previousUsers: string[] };
  }[] = [
    {
      name: 'nothing tracked, then or now',
      input: { tracked: [], previous: {} },
      expected: { dirty: { days: [], userMonths: {} }, previousUsers: [] },
    },
    {
      name: 'a new open session dirties its day and user-month',
      input: { tracked: [open], previous: {} },
      expected: { dirty: { days: ['2026-03-02'], userMonths: { alice: ['2026-03'] } }, previousUsers: [] },
    },
    {
      name: 'an unchanged one does not',
      input: { tracked: [open, held], previous: { o: sig(open), h: sig(held) } },
      expected: { dirty: { days: [], userMonths: {} }, previousUsers: ['alice', 'bob'] },
    },
    {
      name: 'an open session’s bytes are not on history pages: more bytes change nothing',
      input: { tracked: [{ ...open, bytesReceived: 99 }], previous: { o: sig(open) } },
      expected: { dirty: { days: [], userMonths: {} }, previousUsers: ['alice'] },
    },
    {
      name: 'a held (ended) session’s bytes are: a change dirties it',
      input: { tracked: [{ ...held, bytesSent: 1 }], previous: { h: sig(held) } },
      expected: { dirty: { days: ['2026-03-01'], userMonths: { bob: ['2026-03'] } }, previousUsers: ['bob'] },
    },
    {
      name: 'an open session that got its country (seen before countries were recorded) is shown anew',
      input: { tracked: [{ ...open, country: 'DE' }], previous: { o: sig({ ...open, country: undefined }) } },
      expected: { dirty: { days: ['2026-03-02'], userMonths: { alice: ['2026-03'] } }, previousUsers: ['alice'] },
    },
    {
      name: 'a session no longer tracked dirties the day and user it was on',
      input: { tracked: [], previous: { h: sig(held) } },
      expected: { dirty: { days: ['2026-03-01'], userMonths: { bob: ['2026-03'] } }, previousUsers: ['bob'] },
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const dirty = emptyDirty();
      const { signatures, previousUsers } = planTracked(c.input.tracked, c.input.previous, 'UTC', dirty);
      assert.deepEqual({ dirty: plain(dirty), previousUsers: [...previousUsers] }, c.expected);
      assert.deepEqual(
        Object.keys(signatures),
        c.input.tracked.map((x) => x.id),
      );
    });
  }
});

describe('neighbours', () => {
  const days = ['2026-03-03', '2026-03-02', '2026-03-01'];
  const cases: { name: string; i: number; expected: unknown }[] = [
    { name: 'the newest has no newer', i: 0, expected: { newer: null, older: '2026-03-02' } },
    { name: 'a middle one has both', i: 1, expected: { newer: '2026-03-03', older: '2026-03-01' } },
    { name: 'the oldest has no older', i: 2, expected: { newer: '2026-03-02', older: null } },
  ];
  for (const c of cases) test(c.name, () => assert.deepEqual(neighbours(days, c.i), c.expected));
  test('alone: neither', () => assert.deepEqual(neighbours(['2026-03-01'], 0), { newer: null, older: null }));
});

describe('neighboursMoved', () => {
  const [d4, d3, d2, d1] = ['2026-03-04', '2026-03-03', '2026-03-02', '2026-03-01'];
  const cases: { name: string; before: string[]; after: string[]; expected: string[] }[] = [
    { name: 'nothing came or went: none', before: [d3, d2, d1], after: [d3, d2, d1], expected: [] },
    { name: 'a new middle day: it and both beside it', before: [d3, d1], after: [d3, d2, d1], expected: [d3, d2, d1] },
    { name: 'a new newest day: it and the one after it', before: [d2, d1], after: [d3, d2, d1], expected: [d3, d2] },
    { name: 'two new: each and its neighbours', before: [d2], after: [d3, d2, d1], expected: [d3, d2, d1] },
    { name: 'a middle day gone: both that stood beside it', before: [d3, d2, d1], after: [d3, d1], expected: [d3, d1] },
    { name: 'the oldest day gone: the one before it', before: [d3, d2, d1], after: [d3, d2], expected: [d2] },
    {
      name: 'two days gone side by side: the days around both',
      before: [d4, d3, d2, d1],
      after: [d4, d1],
      expected: [d4, d1],
    },
    { name: 'every day gone: none left to change', before: [d2, d1], after: [], expected: [] },
  ];
  for (const c of cases) test(c.name, () => assert.deepEqual(neighboursMoved(c.before, c.after), c.expected));
});

describe('monthsToRender', () => {
  const months = ['2026-05', '2026-04', '2026-03'];
  const cases: {
    name: string;
    input: { dirty: string[]; known: string[] | undefined; before: string[] | undefined; now?: string[] };
    expected: string[];
  }[] = [
    { name: 'the dirty months', input: { dirty: ['2026-04'], known: months, before: months }, expected: ['2026-04'] },
    {
      name: 'a month not in the summary: the months beside it too',
      input: { dirty: ['2026-04'], known: ['2026-05', '2026-03'], before: ['2026-05', '2026-03'] },
      expected: ['2026-04', '2026-05', '2026-03'],
    },
    {
      name: 'no summary: a dirty month may be new, the months beside it too',
      input: { dirty: ['2026-04'], known: undefined, before: undefined },
      expected: ['2026-04', '2026-05', '2026-03'],
    },
    {
      name: 'a dirty month the user no longer has is still listed (its page is removed), and those beside it',
      input: { dirty: ['2026-02'], known: months, before: [...months, '2026-02'] },
      expected: ['2026-02', '2026-03'],
    },
    {
      name: 'a month that went (a delete): those that stood beside it',
      input: { dirty: ['2026-04'], known: ['2026-05', '2026-03'], before: months, now: ['2026-05', '2026-03'] },
      expected: ['2026-04', '2026-05', '2026-03'],
    },
    {
      name: 'a month left with a running session only: its links stay',
      input: { dirty: ['2026-04'], known: ['2026-05', '2026-03'], before: months },
      expected: ['2026-04'],
    },
    {
      name: 'a month that came into the summary (a restore): those beside it',
      input: { dirty: ['2026-04'], known: months, before: ['2026-05', '2026-03'] },
      expected: ['2026-04', '2026-05', '2026-03'],
    },
    {
      name: 'none dirty (the user list changed): none',
      input: { dirty: [], known: months, before: months },
      expected: [],
    },
  ];
  for (const c of cases)
    test(c.name, () =>
      assert.deepEqual(
        [...monthsToRender(c.input.now ?? months, new Set(c.input.dirty), c.input.known, c.input.before)],
        c.expected,
      ),
    );
});

describe('userListChanged', () => {
  const cases: {
    name: string;
    input: { now: string[]; before: string[]; trackedBefore: string[] };
    expected: boolean;
  }[] = [
    { name: 'the same users', input: { now: ['a', 'b'], before: ['a', 'b'], trackedBefore: [] }, expected: false },
    { name: 'a new user', input: { now: ['a', 'b'], before: ['a'], trackedBefore: [] }, expected: true },
    {
      name: 'a user connected last time already was listed',
      input: { now: ['a', 'b'], before: ['a'], trackedBefore: ['b'] },
      expected: false,
    },
    { name: 'a user with history gone', input: { now: ['a'], before: ['a', 'b'], trackedBefore: [] }, expected: true },
  ];
  for (const c of cases) {
    test(c.name, () =>
      assert.equal(
        userListChanged(new Set(c.input.now), new Set(c.input.before), new Set(c.input.trackedBefore)),
        c.expected,
      ),
    );
  }
});

describe('isRebuilt', () => {
  const alice: UserScope = { prefix: '/u/alice/', months: new Set(['2026-03']) };
  const gone: UserScope = { prefix: '/u/bob/', months: null };
  const run = { full: false, dirtyDays: new Set(['2026-03-02']), userScopes: [alice, gone] };
  const cases: { name: string; input: { url: string; full?: boolean }; expected: boolean }[] = [
    { name: 'a full build rebuilds every page', input: { url: '/d/2026-01-01/', full: true }, expected: true },
    { name: 'live parts: always', input: { url: '/live/2/' }, expected: true },
    { name: 'users-index parts: always', input: { url: '/users/3/' }, expected: true },
    { name: 'a dirty day', input: { url: '/d/2026-03-02/' }, expected: true },
    { name: 'a dirty day’s later part', input: { url: '/d/2026-03-02/2/' }, expected: true },
    { name: 'another day', input: { url: '/d/2026-03-01/' }, expected: false },
    { name: 'a rebuilt user’s root', input: { url: '/u/alice/' }, expected: true },
    { name: 'a rebuilt user’s view root', input: { url: '/u/alice/ended/' }, expected: true },
    { name: 'a rebuilt user’s rendered month', input: { url: '/u/alice/m/2026-03/' }, expected: true },
    { name: 'a rebuilt user’s other month', input: { url: '/u/alice/m/2026-02/' }, expected: false },
    { name: 'every page of a user that is gone', input: { url: '/u/bob/m/2025-12/' }, expected: true },
    { name: 'a user not rebuilt', input: { url: '/u/carol/' }, expected: false },
    { name: 'the dashboard (produced every run)', input: { url: '/' }, expected: false },
  ];
  for (const c of cases)
    test(c.name, () => assert.equal(isRebuilt(c.input.url, { ...run, full: c.input.full ?? false }), c.expected));
});
