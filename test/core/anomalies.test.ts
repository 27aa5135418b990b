/** Anomalies: a table of cases per kind, edges included, and the whole-store detection's order. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  anomalyReason,
  anomalyRules,
  detectAnomalies,
  dormantAnomaly,
  lastSessionOf,
  parseWorkingHours,
  userAnomalies,
  type AnomalyRules,
  type AnomalySettings,
} from '../../src/core/anomalies.js';
import { LABELS } from '../../src/core/i18n.js';
import type { Session } from '../../src/core/session.js';
import { sampleSession } from '../helpers/sessions.js';

/** A session of `user` from `from` to `to` (null: open) at `address`, with an id naming it. */
function s(
  id: string,
  from: string,
  to: string | null,
  address = '198.51.100.1',
  over: Partial<Session> = {},
): Session {
  return sampleSession({
    id,
    user: 'alice',
    connectedAt: from,
    lastSeenAt: to ?? from,
    endedAt: to,
    realAddress: address,
    country: null,
    ...over,
  });
}

const rules = (over: Partial<AnomalySettings> = {}): AnomalyRules => anomalyRules({ tz: 'Europe/Berlin', ...over });
const kinds = (list: Session[], r: AnomalyRules, first = '2020-01-01T00:00:00Z') =>
  userAnomalies('alice', list, first, r).map((a) => `${a.kind} ${a.sessionIds.join('+')}`);

describe('overlap', () => {
  const cases: [string, Session[], string[]][] = [
    [
      'two addresses at once',
      [
        s('a', '2026-03-02T08:00:00Z', '2026-03-02T10:00:00Z'),
        s('b', '2026-03-02T09:00:00Z', '2026-03-02T11:00:00Z', '203.0.113.9'),
      ],
      ['overlap a+b'],
    ],
    [
      'touching at one instant is no overlap',
      [
        s('a', '2026-03-02T08:00:00Z', '2026-03-02T10:00:00Z'),
        s('b', '2026-03-02T10:00:00Z', '2026-03-02T11:00:00Z', '203.0.113.9'),
      ],
      [],
    ],
    [
      'the same address at once is a reconnect',
      [s('a', '2026-03-02T08:00:00Z', '2026-03-02T10:00:00Z'), s('b', '2026-03-02T09:00:00Z', '2026-03-02T11:00:00Z')],
      [],
    ],
    [
      'the same address in another spelling (v4-mapped) is a reconnect too',
      [
        s('a', '2026-03-02T08:00:00Z', '2026-03-02T10:00:00Z'),
        s('b', '2026-03-02T09:00:00Z', null, '::ffff:198.51.100.1'),
      ],
      [],
    ],
    [
      'an open session overlaps whatever starts after it',
      [s('a', '2026-03-02T08:00:00Z', null), s('b', '2026-03-05T09:00:00Z', '2026-03-05T09:30:00Z', '2001:db8::1')],
      ['overlap a+b'],
    ],
    [
      'a session of no length overlaps nothing',
      [
        s('a', '2026-03-02T08:00:00Z', '2026-03-02T10:00:00Z'),
        s('b', '2026-03-02T09:00:00Z', '2026-03-02T09:00:00Z', '203.0.113.9'),
      ],
      [],
    ],
    [
      'three at once: each pair, earlier start first',
      [
        s('c', '2026-03-02T08:30:00Z', '2026-03-02T12:00:00Z', '203.0.113.7'),
        s('a', '2026-03-02T08:00:00Z', '2026-03-02T12:00:00Z'),
        s('b', '2026-03-02T09:00:00Z', '2026-03-02T12:00:00Z', '203.0.113.9'),
      ],
      ['overlap a+c', 'overlap a+b', 'overlap c+b'],
    ],
  ];
  for (const [why, list, expected] of cases) test(why, () => assert.deepEqual(kinds(list, rules()), expected));

  test('a shared account is not flagged', () => {
    const list = cases[0]?.[1] as Session[];
    assert.deepEqual(kinds(list, rules({ sharedAccounts: ['alice'] })), []);
    assert.deepEqual(kinds(list, rules({ sharedAccounts: ['bob'] })), ['overlap a+b']);
  });

  test('the later start is the time, the reason names both addresses', () => {
    const [a] = userAnomalies('alice', cases[0]?.[1] as Session[], '2020-01-01T00:00:00Z', rules());
    assert.equal(a?.at, '2026-03-02T09:00:00Z');
    const r = rules();
    assert.equal(
      anomalyReason(a as never, LABELS.en, 'en', r, (x) => x),
      'connected at once from 198.51.100.1 and 203.0.113.9',
    );
  });
});

describe('new-country', () => {
  const de = (id: string, day: string) =>
    s(id, `${day}T08:00:00Z`, `${day}T09:00:00Z`, '198.51.100.1', { country: 'DE' });
  const fr = (id: string, day: string) =>
    s(id, `${day}T08:00:00Z`, `${day}T09:00:00Z`, '203.0.113.1', { country: 'FR' });
  const first = '2026-01-01T08:00:00Z';
  // 2026-01-01 + 90 days = 2026-04-01.
  const cases: [string, Session[], string[]][] = [
    ['a country once the history is 90 days long', [de('a', '2026-01-01'), fr('b', '2026-04-01')], ['new-country b']],
    ['not before the history is 90 days long', [de('a', '2026-01-01'), fr('b', '2026-03-31')], []],
    [
      "the first session's country, seen within the 90 days, is no news",
      [de('a', '2026-01-01'), de('b', '2026-04-01')],
      [],
    ],
    [
      "the first session's country, last seen more than 90 days before, is",
      [de('a', '2026-01-01'), de('b', '2026-04-02')],
      ['new-country b'],
    ],
    [
      'a country seen within the 90 days is not new',
      [de('a', '2026-01-01'), fr('b', '2026-02-01'), fr('c', '2026-05-01')],
      [],
    ],
    [
      'a country last seen more than 90 days ago is new again',
      [de('a', '2026-01-01'), fr('b', '2026-02-01'), fr('c', '2026-05-03')],
      ['new-country c'],
    ],
    [
      'a country whose last session ended exactly 90 days before still counts as seen',
      [
        de('a', '2026-01-01'),
        s('b', '2026-02-01T08:00:00Z', '2026-02-01T09:00:00Z', '203.0.113.1', { country: 'FR' }),
        s('c', '2026-05-02T09:00:00Z', '2026-05-02T10:00:00Z', '203.0.113.1', { country: 'FR' }),
      ],
      [],
    ],
    [
      'sessions without a country are neither flagged nor seen',
      [de('a', '2026-01-01'), s('b', '2026-05-01T08:00:00Z', '2026-05-01T09:00:00Z', '10.1.1.1')],
      [],
    ],
  ];
  for (const [why, list, expected] of cases) test(why, () => assert.deepEqual(kinds(list, rules(), first), expected));

  test('N is configurable', () => {
    const list = [de('a', '2026-01-01'), fr('b', '2026-01-11')];
    assert.deepEqual(kinds(list, rules({ newCountryDays: 10 }), first), ['new-country b']);
    assert.deepEqual(kinds(list, rules({ newCountryDays: 11 }), first), []);
  });

  test('the history counts from the first session given, even one outside the window', () => {
    // Only the FR session is given, but the user's history started 2026-01-01.
    assert.deepEqual(kinds([fr('b', '2026-04-01')], rules(), first), ['new-country b']);
    assert.deepEqual(kinds([fr('b', '2026-04-01')], rules(), '2026-03-01T00:00:00Z'), []);
  });

  test('the reason names the country and N', () => {
    const [a] = userAnomalies('alice', [de('a', '2026-01-01'), fr('b', '2026-04-01')], first, rules());
    assert.equal(
      anomalyReason(a as never, LABELS.de, 'de', rules(), (x) => x),
      'erste Verbindung aus FR (Frankreich) seit mehr als 90 Tagen',
    );
  });
});

describe('off-hours', () => {
  const hours = { days: 'Mon-Fri', from: '06:00', to: '20:00' };
  const at = (id: string, iso: string) => s(id, iso, null);
  // Europe/Berlin: UTC+1 in winter, UTC+2 from 2026-03-29 01:00Z.
  const cases: [string, string, boolean][] = [
    ['Monday 05:59:59 Berlin', '2026-03-02T04:59:59Z', true],
    ['Monday 06:00 Berlin (from is included)', '2026-03-02T05:00:00Z', false],
    ['Monday 19:59:59 Berlin', '2026-03-02T18:59:59Z', false],
    ['Monday 20:00 Berlin (to is excluded)', '2026-03-02T19:00:00Z', true],
    ['Friday 23:30 Berlin (before midnight)', '2026-03-06T22:30:00Z', true],
    ['Saturday 00:10 Berlin, Friday 23:10 UTC (across midnight: the zone decides)', '2026-03-06T23:10:00Z', true],
    ['Saturday noon (weekend)', '2026-03-07T11:00:00Z', true],
    ['Sunday noon (weekend)', '2026-03-08T11:00:00Z', true],
    ['Monday 06:30 Berlin after DST began (04:30 UTC)', '2026-03-30T04:30:00Z', false],
    ['Monday 05:30 Berlin after DST began (03:30 UTC, 06:30 in winter time)', '2026-03-30T03:30:00Z', true],
    ['Monday 20:30 Berlin after DST ended (19:30 UTC)', '2026-10-26T19:30:00Z', true],
    ['Monday 19:30 Berlin after DST ended (18:30 UTC)', '2026-10-26T18:30:00Z', false],
  ];
  for (const [why, iso, flagged] of cases) {
    test(why, () => {
      assert.deepEqual(kinds([at('x', iso)], rules({ workingHours: hours })), flagged ? ['off-hours x'] : []);
    });
  }

  test('off until configured', () => {
    assert.deepEqual(kinds([at('x', '2026-03-07T11:00:00Z')], rules()), []);
  });

  test('the reason gives the wall time in the zone and the hours', () => {
    const r = rules({ workingHours: hours });
    const [a] = userAnomalies('alice', [at('x', '2026-03-06T23:10:00Z')], '2020-01-01T00:00:00Z', r);
    assert.equal(
      anomalyReason(a as never, LABELS.en, 'en', r, (x) => x),
      'started Sat 2026-03-07 00:10, outside working hours (Mon-Fri 06:00–20:00)',
    );
  });

  const parse: [unknown, string][] = [
    [{ days: 'Mon-Fri', from: '06:00', to: '20:00' }, '1,2,3,4,5 360-1200'],
    [{ days: 'Sat-Sun', from: '00:00', to: '24:00' }, '0,6 0-1440'],
    [{ days: 'Fri-Mon', from: '08:00', to: '09:30' }, '0,1,5,6 480-570'],
    [{ days: 'mon, wed,FRI', from: '08:00', to: '17:00' }, '1,3,5 480-1020'],
    [{ days: 'Mon-Fri', from: '20:00', to: '06:00' }, 'bad'],
    [{ days: 'Mon-Fri', from: '6:00', to: '20:00' }, 'bad'],
    [{ days: 'Mon-Fri', from: '06:00', to: '24:01' }, 'bad'],
    [{ days: 'Mo-Fr', from: '06:00', to: '20:00' }, 'bad'],
    [{ days: 'Mon-Fri', from: '06:00' }, 'bad'],
    [{ days: 'Mon-Fri', from: '06:00', to: '20:00', tz: 'UTC' }, 'bad'],
    ['Mon-Fri 06-20', 'bad'],
    [null, 'bad'],
  ];
  for (const [value, expected] of parse) {
    test(`parseWorkingHours ${JSON.stringify(value)}`, () => {
      const h = parseWorkingHours(value);
      const got = typeof h === 'string' ? 'bad' : `${[...h.days].sort().join(',')} ${h.from}-${h.to}`;
      assert.equal(got, expected);
    });
  }
});

describe('dormant', () => {
  const r = rules();
  const last = (end: string | null) => ({ id: 'z', connectedAt: '2026-01-01T08:00:00Z', endedAt: end });
  const cases: [string, string | null, string, string | null][] = [
    ['exactly 90 days after the last end', '2026-01-01T09:00:00Z', '2026-04-01T09:00:00Z', '2026-04-01T09:00:00.000Z'],
    ['a second short of 90 days', '2026-01-01T09:00:00Z', '2026-04-01T08:59:59Z', null],
    ['long after', '2026-01-01T09:00:00Z', '2026-12-01T00:00:00Z', '2026-04-01T09:00:00.000Z'],
    ['a session still open', null, '2027-01-01T00:00:00Z', null],
  ];
  for (const [why, end, now, at] of cases) {
    test(why, () => {
      const a = dormantAnomaly('alice', last(end), now, r);
      assert.equal(a === null ? null : a.at.replace(/(\d\d)Z$/, '$1.000Z'), at);
      if (a !== null) assert.deepEqual(a.sessionIds, ['z']);
    });
  }

  test('the last session: the latest end, an open one over any', () => {
    const list = [
      s('a', '2026-01-01T08:00:00Z', '2026-01-05T00:00:00Z'),
      s('b', '2026-01-02T08:00:00Z', '2026-01-03T00:00:00Z'),
    ];
    assert.equal(lastSessionOf(list)?.id, 'a');
    assert.equal(lastSessionOf([...list, s('c', '2025-01-01T00:00:00Z', null)])?.id, 'c');
    assert.equal(lastSessionOf([]), null);
  });
});

describe('detectAnomalies', () => {
  test('every kind of every user, oldest first, the same for the same sessions in any order', () => {
    const list = [
      s('a1', '2026-03-02T08:00:00Z', '2026-03-02T10:00:00Z'),
      s('a2', '2026-03-02T09:00:00Z', '2026-03-02T11:00:00Z', '203.0.113.9'),
      s('b1', '2026-01-01T03:00:00Z', '2026-01-01T04:00:00Z', '198.51.100.1', { user: 'bob' }),
    ];
    const r = rules({ workingHours: { days: 'Mon-Fri', from: '06:00', to: '20:00' } });
    const one = detectAnomalies(list, r, '2026-04-02T00:00:00Z');
    assert.deepEqual(
      one.map((a) => `${a.kind} ${a.user} ${a.sessionIds.join('+')}`),
      ['off-hours bob b1', 'overlap alice a1+a2', 'dormant bob b1'],
    );
    assert.deepEqual(detectAnomalies([...list].reverse(), r, '2026-04-02T00:00:00Z'), one);
  });
});

test('reasons with a count of one use the singular', () => {
  const one = rules({ newCountryDays: 1, dormantDays: 1 });
  const list = [
    s('a', '2026-01-01T08:00:00Z', '2026-01-01T09:00:00Z', '198.51.100.1', { country: 'DE' }),
    s('b', '2026-01-03T08:00:00Z', '2026-01-03T09:00:00Z', '203.0.113.1', { country: 'FR' }),
  ];
  const found = detectAnomalies(list, one, '2026-01-04T09:30:00Z');
  const reasons = found.map((a) => anomalyReason(a, LABELS.en, 'en', one, (x) => x));
  assert.deepEqual(reasons, [
    'first session from FR (France) in more than 1 day',
    'not seen for 1 day (last session ended 2026-01-03T09:00:00Z)',
  ]);
});
