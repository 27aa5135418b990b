import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { dayOf } from '../../src/core/format.js';
import { groupByUserDay, paginateGroups, type Group } from '../../src/core/grouping.js';
import { sessionId, type Session } from '../../src/core/session.js';
import { isoFromMs } from '../../src/core/time.js';
import { randomInt, seededRng } from '../helpers/random.js';
import { sampleSession } from '../helpers/sessions.js';

const B = 'Europe/Berlin';

let port = 1000;
/** An ended session of `user` starting at `connectedAt`, lasting `seconds`; a unique id. */
function session(user: string, connectedAt: string, seconds = 600): Session {
  const p = port++;
  const endedAt = isoFromMs(Date.parse(connectedAt) + seconds * 1000);
  return sampleSession({
    id: sessionId('udp', user, connectedAt, '198.51.100.1', p),
    user,
    commonName: user,
    username: null,
    realPort: p,
    connectedAt,
    lastSeenAt: endedAt,
    endedAt,
    durationS: seconds,
  });
}

const ids = (ss: Session[]): string[] => ss.map((s) => s.id);

describe('groupByUserDay', () => {
  test('one user on one day is one group, newest session first as head', () => {
    const a1 = session('alice', '2026-11-25T08:00:00Z');
    const a2 = session('alice', '2026-11-25T15:00:00Z');
    const a3 = session('alice', '2026-11-25T11:00:00Z');
    const groups = groupByUserDay([a1, a2, a3], B);
    assert.equal(groups.length, 1);
    assert.deepEqual(groups[0], { user: 'alice', day: '2026-11-25', sessions: [a2, a3, a1] });
  });

  test('other users and other days form separate groups, newest day first', () => {
    const sessions = [
      session('alice', '2026-11-24T10:00:00Z'),
      session('bob', '2026-11-25T09:00:00Z'),
      session('alice', '2026-11-25T08:00:00Z'),
      session('alice', '2026-11-25T12:00:00Z'),
      session('bob', '2026-11-24T20:00:00Z'),
    ];
    const groups = groupByUserDay(sessions, B);
    assert.deepEqual(
      groups.map((g) => [g.day, g.user, g.sessions.length]),
      [
        // Same day: the group with the newer head first.
        ['2026-11-25', 'alice', 2],
        ['2026-11-25', 'bob', 1],
        ['2026-11-24', 'bob', 1],
        ['2026-11-24', 'alice', 1],
      ],
    );
  });

  test('users that differ only in case or by a separator character stay apart', () => {
    const groups = groupByUserDay(
      [
        session('alice', '2026-11-25T08:00:00Z'),
        session('Alice', '2026-11-25T09:00:00Z'),
        session('alice\u0000x', '2026-11-25T10:00:00Z'),
      ],
      B,
    );
    assert.deepEqual(groups.map((g) => g.user).sort(), ['Alice', 'alice', 'alice\u0000x']);
  });

  test('a session crossing midnight belongs to the day it started, in the zone', () => {
    // 23:30 Berlin on the 25th, ends 01:30 on the 26th.
    const late = session('alice', '2026-11-25T22:30:00Z', 7200);
    const next = session('alice', '2026-11-26T07:00:00Z');
    const groups = groupByUserDay([late, next], B);
    assert.deepEqual(
      groups.map((g) => [g.day, ids(g.sessions)]),
      [
        ['2026-11-26', [next.id]],
        ['2026-11-25', [late.id]],
      ],
    );
  });

  test('the same instant falls on different days in Berlin and in UTC', () => {
    // 23:30 UTC on the 25th is 00:30 on the 26th in Berlin.
    const s = session('alice', '2026-11-25T23:30:00Z');
    const t = session('alice', '2026-11-25T12:00:00Z');
    assert.deepEqual(
      groupByUserDay([s, t], B).map((g) => [g.day, g.sessions.length]),
      [
        ['2026-11-26', 1],
        ['2026-11-25', 1],
      ],
    );
    assert.deepEqual(
      groupByUserDay([s, t], 'UTC').map((g) => [g.day, ids(g.sessions)]),
      [['2026-11-25', [s.id, t.id]]],
    );
  });

  test('the DST change day is one day in Berlin', () => {
    const before = session('alice', '2026-10-24T22:30:00Z'); // 00:30 CEST on the 25th
    const after = session('alice', '2026-10-25T22:30:00Z'); // 23:30 CET on the 25th
    const groups = groupByUserDay([before, after], B);
    assert.deepEqual(
      groups.map((g) => [g.day, ids(g.sessions)]),
      [['2026-10-25', [after.id, before.id]]],
    );
  });

  test('no sessions, no groups', () => {
    assert.deepEqual(groupByUserDay([], B), []);
  });

  test('random data: groups partition the input, heads are latest, order is newest first', () => {
    const rng = seededRng(20261126);
    const users = ['alice', 'bob', 'carol', 'dave', 'Erika Mustermann'];
    const start = Date.parse('2026-10-20T00:00:00Z');
    const sessions = Array.from({ length: 500 }, () =>
      session(
        users[randomInt(rng, 0, users.length - 1)] as string,
        isoFromMs(start + randomInt(rng, 0, 14 * 86_400) * 1000),
      ),
    );
    const groups = groupByUserDay(sessions, B);
    assert.deepEqual(ids(groups.flatMap((g) => g.sessions)).sort(), ids(sessions).sort());
    const keys = new Set<string>();
    for (const g of groups) {
      const key = `${g.day} ${g.user}`;
      assert.ok(!keys.has(key), `one group per user and day: ${key}`);
      keys.add(key);
      for (const s of g.sessions) {
        assert.equal(s.user, g.user);
        assert.equal(dayOf(s.connectedAt, B), g.day);
      }
      const starts = g.sessions.map((s) => s.connectedAt);
      assert.deepEqual(starts, [...starts].sort().reverse(), 'newest first within a group');
    }
    for (let i = 1; i < groups.length; i++) {
      const a = groups[i - 1] as Group;
      const b = groups[i] as Group;
      assert.ok(
        a.day > b.day ||
          (a.day === b.day && (a.sessions[0] as Session).connectedAt >= (b.sessions[0] as Session).connectedAt),
        `order at ${i}`,
      );
    }
  });
});

/** A group of `n` sessions of `user` on one day. */
function group(user: string, n: number): Group {
  const sessions = Array.from({ length: n }, (_, i) =>
    session(user, isoFromMs(Date.parse('2026-11-25T20:00:00Z') - i * 60_000)),
  );
  return { user, day: '2026-11-25', sessions };
}

/** Each page as [user, rows, continued] triples. */
const shape = (pages: ReturnType<typeof paginateGroups>) =>
  pages.map((page) => page.map((p) => [p.group.user, p.sessions.length, p.continued]));

describe('paginateGroups', () => {
  test('no groups: one empty page', () => {
    assert.deepEqual(paginateGroups([], 10), [[]]);
  });

  test('maxRows below 1 throws RangeError', () => {
    assert.throws(() => paginateGroups([group('a', 1)], 0), RangeError);
    assert.throws(() => paginateGroups([group('a', 1)], -5), RangeError);
  });

  test('groups that fit share a page', () => {
    assert.deepEqual(shape(paginateGroups([group('a', 3), group('b', 4), group('c', 3)], 10)), [
      [
        ['a', 3, false],
        ['b', 4, false],
        ['c', 3, false],
      ],
    ]);
  });

  test('a group that fits on a fresh page is moved there, not split', () => {
    assert.deepEqual(shape(paginateGroups([group('a', 6), group('b', 5), group('c', 4)], 10)), [
      [['a', 6, false]],
      [
        ['b', 5, false],
        ['c', 4, false],
      ],
    ]);
  });

  test('a group of exactly a page on a fresh page is not split', () => {
    assert.deepEqual(shape(paginateGroups([group('a', 1), group('b', 10), group('c', 1)], 10)), [
      [['a', 1, false]],
      [['b', 10, false]],
      [['c', 1, false]],
    ]);
  });

  test('a group larger than a page fills the current page and continues with continued: true', () => {
    const big = group('big', 23);
    const pages = paginateGroups([group('a', 4), big, group('z', 2)], 10);
    assert.deepEqual(shape(pages), [
      [
        ['a', 4, false],
        ['big', 6, false],
      ],
      [['big', 10, true]],
      [
        ['big', 7, true],
        ['z', 2, false],
      ],
    ]);
    // The parts keep the group's order: the head (newest) on the first part.
    const parts = pages.flat().filter((p) => p.group === big);
    assert.deepEqual(ids(parts.flatMap((p) => p.sessions)), ids(big.sessions));
    assert.equal(parts[0]?.sessions[0], big.sessions[0]);
  });

  test('maxRows 1: one row per page', () => {
    const pages = paginateGroups([group('a', 2), group('b', 1)], 1);
    assert.deepEqual(shape(pages), [[['a', 1, false]], [['a', 1, true]], [['b', 1, false]]]);
  });

  test('property: seeded random groups and page sizes', () => {
    const rng = seededRng(42);
    for (let round = 0; round < 300; round++) {
      const maxRows = randomInt(rng, 1, 30);
      const groups = Array.from({ length: randomInt(rng, 0, 25) }, (_, i) =>
        group(`u${i}`, randomInt(rng, 1, randomInt(rng, 0, 3) === 0 ? 70 : 12)),
      );
      const pages = paginateGroups(groups, maxRows);
      const where = `round ${round}, maxRows ${maxRows}, sizes ${groups.map((g) => g.sessions.length).join(',')}`;

      assert.ok(pages.length >= 1, `at least one page: ${where}`);
      for (const [i, page] of pages.entries()) {
        const rows = page.reduce((n, p) => n + p.sessions.length, 0);
        assert.ok(rows <= maxRows, `page ${i} has ${rows} rows: ${where}`);
        if (groups.length > 0) assert.ok(rows > 0, `page ${i} is empty: ${where}`);
        for (const p of page) assert.ok(p.sessions.length > 0, `empty part: ${where}`);
      }

      // Every session exactly once, in the groups' order.
      const all = ids(pages.flat().flatMap((p) => p.sessions));
      assert.deepEqual(all, ids(groups.flatMap((g) => g.sessions)), `each session once, in order: ${where}`);
      assert.equal(new Set(all).size, all.length);

      for (const g of groups) {
        const parts = pages.flat().filter((p) => p.group === g);
        assert.deepEqual(
          parts.map((p) => p.continued),
          parts.map((_, i) => i > 0),
          `only later parts are continued: ${where}`,
        );
        if (g.sessions.length <= maxRows)
          assert.equal(parts.length, 1, `a group that fits a page is not split: ${where}`);
        else assert.equal(parts.length >= 2, true);
      }

      // Greedy: a page is cut only when it is full or the next group does not fit in what is left.
      for (let i = 0; i + 1 < pages.length; i++) {
        const rows = (pages[i] ?? []).reduce((n, p) => n + p.sessions.length, 0);
        const first = pages[i + 1]?.[0];
        assert.ok(first, where);
        const full = rows === maxRows;
        assert.ok(
          full || (!first.continued && rows + first.group.sessions.length > maxRows),
          `page ${i} cut early: ${where}`,
        );
      }
    }
  });
});
