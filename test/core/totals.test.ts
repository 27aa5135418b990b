/** A user's totals by month and day (src/core/totals.ts): tables of cases. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Session } from '../../src/core/session.js';
import {
  fromStored,
  monthTotals,
  toStored,
  totalsPerDay,
  userCountries,
  userSummary,
  type StoredUserTotals,
  type UserMonthTotals,
} from '../../src/core/totals.js';
import { sampleSession } from '../helpers/sessions.js';

const s = (id: string, over: Partial<Session>): Session => sampleSession({ id, ...over });
const day = (sessions: number, seconds: number, bytesIn: number, bytesOut: number) => ({
  sessions,
  seconds,
  bytesIn,
  bytesOut,
});

describe('monthTotals', () => {
  const cases: {
    name: string;
    input: { sessions: Session[]; tz: string };
    expected: ReturnType<typeof monthTotals>;
  }[] = [
    { name: 'no sessions: none', input: { sessions: [], tz: 'UTC' }, expected: null },
    {
      name: 'one session: its day, duration and bytes; first is its start, last its end',
      input: {
        sessions: [
          s('a', {
            connectedAt: '2026-03-02T10:00:00Z',
            endedAt: '2026-03-02T10:10:00Z',
            lastSeenAt: '2026-03-02T10:10:00Z',
            durationS: 600,
            bytesReceived: 5,
            bytesSent: 7,
          }),
        ],
        tz: 'UTC',
      },
      expected: {
        days: { '2026-03-02': day(1, 600, 5, 7) },
        first: '2026-03-02T10:00:00Z',
        last: '2026-03-02T10:10:00Z',
      },
    },
    {
      name: 'two sessions of a day are summed; the earliest start and the latest end win',
      input: {
        sessions: [
          s('a', {
            connectedAt: '2026-03-02T12:00:00Z',
            endedAt: '2026-03-02T12:01:00Z',
            lastSeenAt: '2026-03-02T12:01:00Z',
            durationS: 60,
            bytesReceived: 1,
            bytesSent: 2,
          }),
          s('b', {
            connectedAt: '2026-03-02T08:00:00Z',
            endedAt: '2026-03-02T13:00:00Z',
            lastSeenAt: '2026-03-02T13:00:00Z',
            durationS: 18000,
            bytesReceived: 10,
            bytesSent: 20,
          }),
        ],
        tz: 'UTC',
      },
      expected: {
        days: { '2026-03-02': day(2, 18060, 11, 22) },
        first: '2026-03-02T08:00:00Z',
        last: '2026-03-02T13:00:00Z',
      },
    },
    {
      name: 'no recorded duration: start to end; unknown bytes count as 0',
      input: {
        sessions: [
          s('a', {
            connectedAt: '2026-03-02T10:00:00Z',
            endedAt: '2026-03-02T10:02:00Z',
            lastSeenAt: '2026-03-02T10:02:00Z',
            durationS: null,
            bytesReceived: null,
            bytesSent: null,
          }),
        ],
        tz: 'UTC',
      },
      expected: {
        days: { '2026-03-02': day(1, 120, 0, 0) },
        first: '2026-03-02T10:00:00Z',
        last: '2026-03-02T10:02:00Z',
      },
    },
    {
      name: 'no end: up to the last sighting',
      input: {
        sessions: [
          s('a', {
            connectedAt: '2026-03-02T10:00:00Z',
            endedAt: null,
            lastSeenAt: '2026-03-02T10:05:00Z',
            durationS: null,
          }),
        ],
        tz: 'UTC',
      },
      expected: {
        days: { '2026-03-02': day(1, 300, 3032, 3049) },
        first: '2026-03-02T10:00:00Z',
        last: '2026-03-02T10:05:00Z',
      },
    },
    {
      name: 'the day is the zone’s: 23:30 UTC is the next day in Berlin',
      input: {
        sessions: [
          s('a', {
            connectedAt: '2026-03-02T23:30:00Z',
            endedAt: '2026-03-02T23:40:00Z',
            lastSeenAt: '2026-03-02T23:40:00Z',
            durationS: 600,
          }),
        ],
        tz: 'Europe/Berlin',
      },
      expected: {
        days: { '2026-03-03': day(1, 600, 3032, 3049) },
        first: '2026-03-02T23:30:00Z',
        last: '2026-03-02T23:40:00Z',
      },
    },
  ];
  for (const c of cases) test(c.name, () => assert.deepEqual(monthTotals(c.input.sessions, c.input.tz), c.expected));
});

const march: UserMonthTotals[string] = {
  days: { '2026-03-02': day(2, 100, 1, 2), '2026-03-09': day(1, 50, 3, 4) },
  first: '2026-03-02T08:00:00Z',
  last: '2026-03-09T09:00:00Z',
};
const may: UserMonthTotals[string] = {
  days: { '2026-05-01': day(4, 10, 0, 0) },
  first: '2026-05-01T00:10:00Z',
  last: '2026-05-01T23:00:00Z',
};

describe('userSummary', () => {
  const cases: { name: string; input: UserMonthTotals; expected: ReturnType<typeof userSummary> }[] = [
    { name: 'no months: none', input: {}, expected: null },
    {
      name: 'one month',
      input: { '2026-03': march },
      expected: { first: march.first, last: march.last, sessions: 3, months: ['2026-03'] },
    },
    {
      name: 'months newest first whatever the stored order; sessions summed over every day',
      input: { '2026-03': march, '2026-05': may },
      expected: { first: march.first, last: may.last, sessions: 7, months: ['2026-05', '2026-03'] },
    },
  ];
  for (const c of cases) test(c.name, () => assert.deepEqual(userSummary(c.input), c.expected));
});

describe('totalsPerDay', () => {
  const cases: { name: string; input: UserMonthTotals; expected: ReturnType<typeof totalsPerDay> }[] = [
    { name: 'none', input: {}, expected: [] },
    {
      name: 'every day of every month, newest first',
      input: { '2026-03': march, '2026-05': may },
      expected: [
        { day: '2026-05-01', ...day(4, 10, 0, 0) },
        { day: '2026-03-09', ...day(1, 50, 3, 4) },
        { day: '2026-03-02', ...day(2, 100, 1, 2) },
      ],
    },
  ];
  for (const c of cases) test(c.name, () => assert.deepEqual(totalsPerDay(c.input), c.expected));
});

describe('fromStored and toStored', () => {
  const cases: { name: string; input: StoredUserTotals; expected: UserMonthTotals }[] = [
    { name: 'empty', input: {}, expected: {} },
    {
      name: 'a tuple is sessions, seconds, bytes received, bytes sent',
      input: {
        '2026-03': {
          days: { '2026-03-09': [1, 50, 3, 4], '2026-03-02': [2, 100, 1, 2] },
          first: march.first,
          last: march.last,
        },
      },
      expected: {
        '2026-03': {
          days: { '2026-03-09': day(1, 50, 3, 4), '2026-03-02': day(2, 100, 1, 2) },
          first: march.first,
          last: march.last,
        },
      },
    },
    {
      name: 'months in stored order (not sorted)',
      input: {
        '2026-05': { days: { '2026-05-01': [4, 10, 0, 0] }, first: may.first, last: may.last },
        '2026-03': { days: {}, first: march.first, last: march.last },
      },
      expected: { '2026-05': may, '2026-03': { days: {}, first: march.first, last: march.last } },
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      assert.deepEqual(fromStored(c.input), c.expected);
      // Back to the same bytes: the cache file does not change by being read and written.
      assert.equal(JSON.stringify(toStored(fromStored(c.input))), JSON.stringify(c.input));
    });
  }
});

describe('countries per user', () => {
  const at = (id: string, country: string | null | undefined, from: string, to: string | null): Session =>
    s(id, { country, connectedAt: from, endedAt: to, lastSeenAt: to ?? from, durationS: to === null ? null : 60 });

  test('a month keeps each country with its earliest start and latest end; none recorded: no entry', () => {
    const totals = monthTotals(
      [
        at('a', 'DE', '2026-03-02T10:00:00Z', '2026-03-02T11:00:00Z'),
        at('b', 'NL', '2026-03-05T08:00:00Z', '2026-03-05T09:00:00Z'),
        at('c', 'DE', '2026-03-01T07:00:00Z', '2026-03-01T07:30:00Z'),
        at('d', null, '2026-03-09T07:00:00Z', '2026-03-09T07:30:00Z'),
        at('e', undefined, '2026-03-10T07:00:00Z', '2026-03-10T07:30:00Z'),
      ],
      'UTC',
    );
    assert.deepEqual(totals?.countries, {
      DE: { first: '2026-03-01T07:00:00Z', last: '2026-03-02T11:00:00Z' },
      NL: { first: '2026-03-05T08:00:00Z', last: '2026-03-05T09:00:00Z' },
    });
    assert.equal(
      monthTotals([at('x', null, '2026-03-09T07:00:00Z', '2026-03-09T07:30:00Z')], 'UTC')?.countries,
      undefined,
    );
    const stored = toStored({ '2026-03': totals as NonNullable<typeof totals> });
    assert.deepEqual(stored['2026-03']?.countries, {
      DE: ['2026-03-01T07:00:00Z', '2026-03-02T11:00:00Z'],
      NL: ['2026-03-05T08:00:00Z', '2026-03-05T09:00:00Z'],
    });
    assert.deepEqual(fromStored(stored), { '2026-03': totals });
  });

  test('over the months and the open sessions, most recent first; stored totals without countries read as none', () => {
    const totals: UserMonthTotals = {
      ...fromStored({ '2026-01': { days: {}, first: '2026-01-01T00:00:00Z', last: '2026-01-02T00:00:00Z' } }),
      '2026-02': {
        days: {},
        first: '2026-02-01T00:00:00Z',
        last: '2026-02-20T00:00:00Z',
        countries: {
          DE: { first: '2026-02-01T00:00:00Z', last: '2026-02-03T00:00:00Z' },
          US: { first: '2026-02-10T00:00:00Z', last: '2026-02-20T00:00:00Z' },
        },
      },
      '2026-03': {
        days: {},
        first: '2026-03-01T00:00:00Z',
        last: '2026-03-02T00:00:00Z',
        countries: { DE: { first: '2026-03-01T00:00:00Z', last: '2026-03-02T00:00:00Z' } },
      },
    };
    const open = [
      at('o', 'FR', '2026-03-05T00:00:00Z', null),
      at('p', null, '2026-03-06T00:00:00Z', null),
      at('h', 'IT', '2026-03-04T00:00:00Z', '2026-03-04T05:00:00Z'), // held as server-stopped
    ];
    assert.deepEqual(userCountries(totals, open), [
      { country: 'FR', first: '2026-03-05T00:00:00Z', last: '2026-03-05T00:00:00Z', connected: true },
      { country: 'IT', first: '2026-03-04T00:00:00Z', last: '2026-03-04T05:00:00Z', connected: false },
      { country: 'DE', first: '2026-02-01T00:00:00Z', last: '2026-03-02T00:00:00Z', connected: false },
      { country: 'US', first: '2026-02-10T00:00:00Z', last: '2026-02-20T00:00:00Z', connected: false },
    ]);
    const usNow = [at('q', 'US', '2026-01-05T00:00:00Z', null)];
    assert.deepEqual(
      userCountries(totals, usNow).map((c) => [c.country, c.first, c.connected]),
      [
        ['US', '2026-01-05T00:00:00Z', true],
        ['DE', '2026-02-01T00:00:00Z', false],
      ],
      'connected now comes first; an open session widens the first time',
    );
    assert.deepEqual(userCountries({}, []), []);
  });
});
