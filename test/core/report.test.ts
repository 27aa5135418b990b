/** The monthly reports' model (src/core/report.ts): tables of cases. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  anomalyCounts,
  carrySpan,
  monthSpan,
  monthsAfter,
  nextMonth,
  reportCells,
  reportUserRow,
  sheetNameOf,
  sheetNames,
  withUserSheets,
  type ReportUserRow,
} from '../../src/core/report.js';
import type { Session } from '../../src/core/session.js';
import { sampleSession } from '../helpers/sessions.js';

const BERLIN = 'Europe/Berlin';

/** An ended session from `start` lasting `seconds`. */
function ended(id: string, start: string, seconds: number, over: Partial<Session> = {}): Session {
  const end = new Date(Date.parse(start) + seconds * 1000).toISOString().replace('.000Z', 'Z');
  return sampleSession({ id, connectedAt: start, lastSeenAt: end, endedAt: end, durationS: seconds, ...over });
}
const open = (id: string, start: string, over: Partial<Session> = {}): Session =>
  sampleSession({ id, connectedAt: start, lastSeenAt: start, endedAt: null, durationS: null, ...over });

describe('months', () => {
  test('nextMonth and monthsAfter', () => {
    assert.equal(nextMonth('2026-12'), '2027-01');
    assert.equal(nextMonth('2026-01'), '2026-02');
    assert.deepEqual(monthsAfter('2026-11', '2027-02'), ['2026-12', '2027-01', '2027-02']);
    assert.deepEqual(monthsAfter('2026-11', '2026-11'), []);
    assert.deepEqual(monthsAfter('2026-11', '2026-10'), []);
    assert.throws(() => nextMonth('2026-13'), RangeError);
  });

  test("monthSpan: midnight of the 1st in the zone, to the next month's (DST months are an hour short or long)", () => {
    const cases: [string, string, string, string][] = [
      ['2026-03', BERLIN, '2026-02-28T23:00:00.000Z', '2026-03-31T22:00:00.000Z'],
      ['2026-10', BERLIN, '2026-09-30T22:00:00.000Z', '2026-10-31T23:00:00.000Z'],
      ['2026-12', 'UTC', '2026-12-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z'],
    ];
    for (const [month, tz, start, end] of cases) {
      const span = monthSpan(month, tz);
      assert.deepEqual([new Date(span.startMs).toISOString(), new Date(span.endMs).toISOString()], [start, end], month);
    }
  });
});

describe('reportUserRow', () => {
  const row = (over: Partial<ReportUserRow>): ReportUserRow => ({
    user: 'jdoe',
    alias: null,
    sessions: 1,
    seconds: 0,
    bytesIn: 0,
    bytesOut: 0,
    countries: [],
    addresses: 1,
    anomalies: 0,
    ...over,
  });
  const cases: {
    name: string;
    month: string;
    tz: string;
    started: Session[];
    earlier?: Session[];
    anomalies?: number;
    expected: ReportUserRow | null;
  }[] = [
    { name: 'nothing: no row', month: '2026-11', tz: 'UTC', started: [], expected: null },
    {
      name: 'one session inside the month: its time and bytes',
      month: '2026-11',
      tz: 'UTC',
      started: [ended('a', '2026-11-10T08:00:00Z', 5400, { bytesReceived: 10, bytesSent: 20 })],
      expected: row({ seconds: 5400, bytesIn: 10, bytesOut: 20 }),
    },
    {
      name: "over midnight of the month's last day (Berlin): only the hour before midnight counts in the month it started",
      month: '2026-11',
      tz: BERLIN,
      // 22:30 on 30 November in Berlin (UTC+1) until 00:30 on 1 December.
      started: [ended('a', '2026-11-30T21:30:00Z', 7200, { bytesReceived: 10, bytesSent: 20 })],
      expected: row({ seconds: 5400, bytesIn: 10, bytesOut: 20 }),
    },
    {
      name: '… and its last half hour in the next month, which lists no session of its own and no bytes',
      month: '2026-12',
      tz: BERLIN,
      started: [],
      earlier: [ended('a', '2026-11-30T21:30:00Z', 7200, { bytesReceived: 10, bytesSent: 20 })],
      expected: row({ sessions: 0, seconds: 1800, addresses: 0 }),
    },
    {
      name: 'the same session in UTC ends in November: all of it counts there',
      month: '2026-11',
      tz: 'UTC',
      started: [ended('a', '2026-11-30T21:30:00Z', 7200)],
      expected: row({ seconds: 7200, bytesIn: 3032, bytesOut: 3049 }),
    },
    {
      name: 'a session over a whole month counts every second of it there',
      month: '2026-12',
      tz: 'UTC',
      started: [],
      earlier: [ended('a', '2026-11-30T00:00:00Z', 40 * 86_400)],
      expected: row({ sessions: 0, seconds: 31 * 86_400, addresses: 0 }),
    },
    {
      name: 'an earlier session that ended before the month: no row',
      month: '2026-12',
      tz: 'UTC',
      started: [],
      earlier: [ended('a', '2026-11-30T00:00:00Z', 600)],
      expected: null,
    },
    {
      name: 'a running session: counted, with its country and address, but no hours or bytes yet',
      month: '2026-11',
      tz: 'UTC',
      started: [open('a', '2026-11-30T23:00:00Z', { country: 'NL', bytesReceived: 99, bytesSent: 99 })],
      expected: row({ countries: ['NL'] }),
    },
    {
      name: 'countries sorted and distinct, addresses counted once, the anomalies given',
      month: '2026-11',
      tz: 'UTC',
      started: [
        ended('a', '2026-11-01T08:00:00Z', 60, { country: 'NL', realAddress: '192.0.2.1' }),
        ended('b', '2026-11-02T08:00:00Z', 60, { country: 'DE', realAddress: '192.0.2.1' }),
        ended('c', '2026-11-03T08:00:00Z', 60, { country: 'NL', realAddress: '2001:db8::1' }),
        ended('d', '2026-11-04T08:00:00Z', 60, { country: null, realAddress: '198.51.100.7' }),
      ],
      anomalies: 2,
      expected: row({
        sessions: 4,
        seconds: 240,
        bytesIn: 4 * 3032,
        bytesOut: 4 * 3049,
        countries: ['DE', 'NL'],
        addresses: 3,
        anomalies: 2,
      }),
    },
    {
      name: 'an old row that ended before it started (no duration recorded) counts 0 s',
      month: '2026-11',
      tz: 'UTC',
      started: [
        sampleSession({
          id: 'a',
          connectedAt: '2026-11-10T08:00:00Z',
          endedAt: '2026-11-10T07:00:00Z',
          durationS: null,
        }),
      ],
      expected: row({ seconds: 0, bytesIn: 3032, bytesOut: 3049 }),
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const input = {
        user: 'jdoe',
        alias: null,
        started: c.started,
        earlier: c.earlier ?? [],
        anomalies: c.anomalies ?? 0,
      };
      assert.deepEqual(reportUserRow(input, c.month, c.tz), c.expected);
    });
  }

  test('hours in the cells: to the hundredth', () => {
    assert.deepEqual(reportCells(row({ seconds: 5400 })).slice(2, 4), [1, 1.5]);
    assert.deepEqual(reportCells(row({ seconds: 100 })).slice(2, 4), [1, 0.03]);
  });
});

describe('carrySpan: the last later month sessions reach into', () => {
  const cases: [string, Session[], string, string | null][] = [
    ['inside the month', [ended('a', '2026-11-10T08:00:00Z', 60)], 'UTC', null],
    ['ends exactly at midnight: not the next month', [ended('a', '2026-11-30T23:00:00Z', 3600)], 'UTC', null],
    ['a second past midnight', [ended('a', '2026-11-30T23:00:00Z', 3601)], 'UTC', '2026-12'],
    ['over midnight in Berlin', [ended('a', '2026-11-30T22:30:00Z', 3600)], BERLIN, '2026-12'],
    ['40 days', [ended('a', '2026-11-30T00:00:00Z', 40 * 86_400)], 'UTC', '2027-01'],
    ['running: no end yet', [open('a', '2026-11-30T23:00:00Z')], 'UTC', null],
  ];
  for (const [name, sessions, tz, expected] of cases) {
    test(name, () => assert.equal(carrySpan(sessions, '2026-11', tz), expected));
  }
});

test('anomalyCounts: per user and month of their instant in the zone', () => {
  const counts = anomalyCounts(
    [
      { kind: 'overlap', user: 'a', sessionIds: ['1', '2'], at: '2026-11-30T23:30:00Z' },
      { kind: 'new-country', user: 'a', sessionIds: ['3'], at: '2026-11-15T10:00:00Z' },
      { kind: 'off-hours', user: 'b', sessionIds: ['4'], at: '2026-11-15T10:00:00Z' },
    ],
    BERLIN,
  );
  assert.deepEqual([...counts].sort(), [
    ['2026-11\u0000a', 1],
    ['2026-11\u0000b', 1],
    ['2026-12\u0000a', 1],
  ]);
});

describe('sheet names: what Excel allows, from untrusted user names', () => {
  const cases: [string, string][] = [
    ['plain', 'plain'],
    ['a/b\\c[d]e:f*g?h', 'a_b_c_d_e_f_g_h'],
    ["'quoted'", 'quoted'],
    ["  ' spaced '  ", 'spaced'],
    ['', '_'],
    ['\u0000\u0001', '__'],
    ['x'.repeat(40), 'x'.repeat(31)],
    // A surrogate pair is not cut in half at the limit.
    [`${'x'.repeat(30)}😀`, 'x'.repeat(30)],
    ['lone \uD800 surrogate', 'lone _ surrogate'],
    ['=1+2', '=1+2'],
  ];
  for (const [user, expected] of cases) {
    test(JSON.stringify(user), () => {
      const name = sheetNameOf(user);
      assert.equal(name, expected);
      assert.ok(name.length >= 1 && name.length <= 31);
      assert.doesNotMatch(name, /[[\]:*?/\\]|^'|'$/);
    });
  }

  test('unique case-insensitively, against the summary and "History" too; the same input gives the same names', () => {
    const users = ['Übersicht', 'anna', 'ANNA', 'Anna', 'history', 'a/b', 'a:b', 'y'.repeat(40), `${'y'.repeat(31)}Z`];
    const names = sheetNames(users, ['Übersicht']);
    assert.deepEqual(names, [
      'Übersicht~2',
      'anna',
      'ANNA~2',
      'Anna~3',
      'history~2',
      'a_b',
      'a_b~2',
      'y'.repeat(31),
      `${'y'.repeat(29)}~2`,
    ]);
    assert.equal(new Set(names.map((n) => n.toUpperCase())).size, names.length);
    assert.ok(names.every((n) => n.length <= 31));
    assert.deepEqual(sheetNames(users, ['Übersicht']), names);
  });
});

test('a sheet per user only for months with at most 100 users and 50,000 sessions', () => {
  const rows = (n: number, sessions: number): ReportUserRow[] =>
    Array.from({ length: n }, (_, i) => ({
      user: `u${i}`,
      alias: null,
      sessions,
      seconds: 0,
      bytesIn: 0,
      bytesOut: 0,
      countries: [],
      addresses: 0,
      anomalies: 0,
    }));
  assert.equal(withUserSheets(rows(100, 500)), true);
  assert.equal(withUserSheets(rows(101, 1)), false);
  assert.equal(withUserSheets(rows(100, 501)), false);
});
