import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { dayOf, formatBytes, formatClock, formatDateTime, formatDuration } from '../../src/core/format.js';

describe('formatDuration', () => {
  const cases: [number, string, string][] = [
    [0, '0 Sek', '0 s'],
    [1, '1 Sek', '1 s'],
    [59, '59 Sek', '59 s'],
    [60, '1 Min', '1 min'],
    [61, '1 Min, 1 Sek', '1 min 1 s'],
    [3599, '59 Min, 59 Sek', '59 min 59 s'],
    [3600, '1 Std', '1 h'],
    [3601, '1 Std, 1 Sek', '1 h 1 s'],
    [3750, '1 Std, 2 Min, 30 Sek', '1 h 2 min 30 s'],
    [86_399, '23 Std, 59 Min, 59 Sek', '23 h 59 min 59 s'],
    [86_400, '1 Tg', '1 d'],
    [90_061, '1 Tg, 1 Std, 1 Min, 1 Sek', '1 d 1 h 1 min 1 s'],
    [3 * 86_400 + 30, '3 Tg, 30 Sek', '3 d 30 s'],
    [400 * 86_400 + 7200, '400 Tg, 2 Std', '400 d 2 h'],
  ];
  for (const [seconds, de, en] of cases) {
    test(`${seconds} s → "${de}" / "${en}"`, () => {
      assert.equal(formatDuration(seconds, 'de'), de);
      assert.equal(formatDuration(seconds, 'en'), en);
    });
  }

  test('fractional input is floored, never rounded up', () => {
    assert.equal(formatDuration(0.999, 'de'), '0 Sek');
    assert.equal(formatDuration(59.9, 'en'), '59 s');
    assert.equal(formatDuration(3749.99, 'de'), '1 Std, 2 Min, 29 Sek');
    assert.equal(formatDuration(86_399.5, 'en'), '23 h 59 min 59 s');
  });

  test('negative, NaN and infinite durations throw RangeError', () => {
    for (const bad of [-1, -0.5, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      for (const lang of ['de', 'en'] as const) {
        assert.throws(() => formatDuration(bad, lang), RangeError, `${bad} (${lang})`);
      }
    }
  });
});

describe('formatBytes', () => {
  const cases: [number | null, string, string][] = [
    [null, '–', '–'],
    [0, '0 B', '0 B'],
    [1, '1 B', '1 B'],
    [999, '999 B', '999 B'],
    [1000, '1,0 KB', '1.0 KB'],
    [1500, '1,5 KB', '1.5 KB'],
    [3032, '3,0 KB', '3.0 KB'],
    [999_949, '999,9 KB', '999.9 KB'],
    // One decimal would show 1000.0 KB: the next unit's 1.0 instead.
    [999_950, '1,0 MB', '1.0 MB'],
    [999_999, '1,0 MB', '1.0 MB'],
    [1_000_000, '1,0 MB', '1.0 MB'],
    [1_234_567, '1,2 MB', '1.2 MB'],
    [12_300_000, '12,3 MB', '12.3 MB'],
    [4_500_000_000, '4,5 GB', '4.5 GB'],
    [999_999_999_999, '1,0 TB', '1.0 TB'],
    [2_000_000_000_000_000, '2,0 PB', '2.0 PB'],
    // Past the largest unit the number just grows.
    [1e18, '1000,0 PB', '1000.0 PB'],
  ];
  for (const [bytes, de, en] of cases) {
    test(`${bytes} → "${de}" / "${en}"`, () => {
      assert.equal(formatBytes(bytes, 'de'), de);
      assert.equal(formatBytes(bytes, 'en'), en);
    });
  }

  test('decimal units: 1024 bytes are 1.0 KB, not 1 KiB', () => {
    assert.equal(formatBytes(1024, 'en'), '1.0 KB');
    assert.equal(formatBytes(1_048_576, 'en'), '1.0 MB');
  });

  test('German never shows a decimal point, English never a decimal comma', () => {
    for (let b = 1; b < 1e16; b = Math.floor(b * 3.7) + 1) {
      assert.doesNotMatch(formatBytes(b, 'de'), /\./, String(b));
      assert.doesNotMatch(formatBytes(b, 'en'), /,/, String(b));
      assert.match(formatBytes(b, 'en'), /^\d+(\.\d)? (B|KB|MB|GB|TB|PB)$/, String(b));
      // Below the largest unit the number never reaches 1000.
      assert.ok(Number.parseFloat(formatBytes(b, 'en')) < 1000, formatBytes(b, 'en'));
    }
  });

  test('negative, NaN and infinite counts throw RangeError', () => {
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.throws(() => formatBytes(bad, 'de'), RangeError, String(bad));
    }
  });
});

describe('formatDateTime and dayOf in a zone', () => {
  const B = 'Europe/Berlin';
  const U = 'UTC';
  // [instant, Berlin wall time, UTC wall time]
  const cases: [string, string, string, string][] = [
    ['winter afternoon', '2026-11-26T16:14:55Z', '2026-11-26 17:14:55', '2026-11-26 16:14:55'],
    ['Berlin midnight in winter (UTC+1)', '2026-11-25T23:00:00Z', '2026-11-26 00:00:00', '2026-11-25 23:00:00'],
    [
      'one second before Berlin midnight in winter',
      '2026-11-25T22:59:59Z',
      '2026-11-25 23:59:59',
      '2026-11-25 22:59:59',
    ],
    ['UTC midnight', '2026-11-26T00:00:00Z', '2026-11-26 01:00:00', '2026-11-26 00:00:00'],
    ['Berlin midnight in summer (UTC+2)', '2026-07-01T22:00:00Z', '2026-07-02 00:00:00', '2026-07-01 22:00:00'],
    [
      'one second before Berlin midnight in summer',
      '2026-07-01T21:59:59Z',
      '2026-07-01 23:59:59',
      '2026-07-01 21:59:59',
    ],
    ['new year in Berlin, old year in UTC', '2026-12-31T23:30:00Z', '2027-01-01 00:30:00', '2026-12-31 23:30:00'],
    ['last second of CET before spring forward', '2026-03-29T00:59:59Z', '2026-03-29 01:59:59', '2026-03-29 00:59:59'],
    ['first second of CEST (02:00 is skipped)', '2026-03-29T01:00:00Z', '2026-03-29 03:00:00', '2026-03-29 01:00:00'],
    ['last second of CEST before fall back', '2026-10-25T00:59:59Z', '2026-10-25 02:59:59', '2026-10-25 00:59:59'],
    [
      'first second of CET after fall back (02:00 again)',
      '2026-10-25T01:00:00Z',
      '2026-10-25 02:00:00',
      '2026-10-25 01:00:00',
    ],
    ['Berlin midnight after fall back is UTC+1', '2026-10-25T23:00:00Z', '2026-10-26 00:00:00', '2026-10-25 23:00:00'],
    ['leap day', '2028-02-29T12:00:00Z', '2028-02-29 13:00:00', '2028-02-29 12:00:00'],
  ];
  for (const [name, iso, berlin, utc] of cases) {
    test(name, () => {
      assert.equal(formatDateTime(iso, B), berlin);
      assert.equal(formatDateTime(iso, U), utc);
      assert.equal(dayOf(iso, B), berlin.slice(0, 10));
      assert.equal(dayOf(iso, U), utc.slice(0, 10));
    });
  }

  test('the same instant is on different days in Berlin and UTC around midnight', () => {
    assert.equal(dayOf('2026-11-25T23:30:00Z', B), '2026-11-26');
    assert.equal(dayOf('2026-11-25T23:30:00Z', U), '2026-11-25');
    assert.equal(dayOf('2026-07-01T22:30:00Z', B), '2026-07-02');
    assert.equal(dayOf('2026-07-01T22:30:00Z', U), '2026-07-01');
  });

  test('the repeated hour of the fall-back change reads the same wall time twice', () => {
    assert.equal(formatDateTime('2026-10-25T00:30:00Z', B), '2026-10-25 02:30:00');
    assert.equal(formatDateTime('2026-10-25T01:30:00Z', B), '2026-10-25 02:30:00');
  });

  test('a zone east of UTC by more than a day boundary: Pacific/Kiritimati (UTC+14)', () => {
    assert.equal(formatDateTime('2026-11-26T10:00:00Z', 'Pacific/Kiritimati'), '2026-11-27 00:00:00');
    assert.equal(dayOf('2026-11-26T09:59:59Z', 'Pacific/Kiritimati'), '2026-11-26');
  });

  test('text that is not an ISO UTC instant throws RangeError', () => {
    for (const bad of ['', 'yesterday', '2026-11-26 16:14:55', '2026-02-30T00:00:00Z']) {
      assert.throws(() => formatDateTime(bad, B), RangeError, JSON.stringify(bad));
      assert.throws(() => dayOf(bad, B), RangeError, JSON.stringify(bad));
    }
  });
});

describe('formatClock', () => {
  const ms = (iso: string): number => Date.parse(iso);
  const cases: [string, string, string][] = [
    ['2026-11-26T16:14:55Z', '17:14', '16:14'],
    ['2026-11-25T23:00:00Z', '00:00', '23:00'],
    ['2026-07-01T21:59:59Z', '23:59', '21:59'],
    ['2026-03-29T00:59:00Z', '01:59', '00:59'],
    ['2026-03-29T01:00:00Z', '03:00', '01:00'],
    ['2026-10-25T00:15:00Z', '02:15', '00:15'],
    ['2026-10-25T01:15:00Z', '02:15', '01:15'],
  ];
  for (const [iso, berlin, utc] of cases) {
    test(`${iso} → ${berlin} Berlin, ${utc} UTC`, () => {
      assert.equal(formatClock(ms(iso), 'Europe/Berlin'), berlin);
      assert.equal(formatClock(ms(iso), 'UTC'), utc);
    });
  }

  test('seconds are cut, not rounded', () => {
    assert.equal(formatClock(ms('2026-11-26T16:14:59.999Z'), 'UTC'), '16:14');
  });
});
