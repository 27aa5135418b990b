import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  isoFromEpochSeconds,
  isoFromMs,
  isPlausibleIsoText,
  isValidTimeZone,
  isValidWallTime,
  laterZonedEpochMs,
  msFromIso,
  pickConnectInstant,
  pickUpdateInstant,
  normaliseInstant,
  parseWallTime,
  secondsBetween,
  wallTimeAt,
  zonedToEpochMs,
  type WallTime,
} from '../../src/core/time.js';

const wall = (year: number, month: number, day: number, hour: number, minute: number, second: number): WallTime => ({
  year,
  month,
  day,
  hour,
  minute,
  second,
});

describe('parseWallTime', () => {
  const good: [string, WallTime, string][] = [
    ['Wed Feb  1 16:01:42 2023', wall(2023, 2, 1, 16, 1, 42), 'ctime, day padded with a space (OpenVPN before 2.5)'],
    ['Sun Jan 1 23:42:00 2012', wall(2012, 1, 1, 23, 42, 0), 'ctime, day not padded (cmur2 fixture)'],
    ['Thu Jun 18 04:23:03 2015', wall(2015, 6, 18, 4, 23, 3), 'ctime, two-digit day'],
    ['Thu Jul  4 14:37:00 2019', wall(2019, 7, 4, 14, 37, 0), 'ctime from the AntLer fixture'],
    ['Mon Dec 31 23:59:59 2029', wall(2029, 12, 31, 23, 59, 59), 'last second of a year'],
    ['2026-11-26 16:14:33', wall(2026, 11, 26, 16, 14, 33), 'ISO local (OpenVPN 2.5 and later)'],
    ['2026-11-26T16:14:33', wall(2026, 11, 26, 16, 14, 33), 'ISO local with T'],
    ['2024-02-29 12:00:00', wall(2024, 2, 29, 12, 0, 0), 'Feb 29 in a leap year'],
    ['Thu Feb 29 12:00:00 2024', wall(2024, 2, 29, 12, 0, 0), 'Feb 29 in a leap year, ctime'],
    ['1970-01-01 00:00:00', wall(1970, 1, 1, 0, 0, 0), 'the first accepted instant'],
  ];
  for (const [text, expected, why] of good) {
    test(`reads ${JSON.stringify(text)}: ${why}`, () => {
      assert.deepEqual(parseWallTime(text), expected);
    });
  }

  const bad: [string, string][] = [
    ['Thu Jul 11 13:40:60 2019', 'second 60 (AntLer fixture)'],
    ['2019-07-11 13:40:60', 'second 60, ISO'],
    ['Thu Feb 30 12:00:00 2023', 'Feb 30'],
    ['2023-02-29 12:00:00', 'Feb 29 in a year that is not a leap year'],
    ['2023-04-31 00:00:00', 'Apr 31'],
    ['2023-13-01 00:00:00', 'month 13'],
    ['2023-00-10 00:00:00', 'month 0'],
    ['2023-01-00 00:00:00', 'day 0'],
    ['2023-01-01 24:00:00', 'hour 24'],
    ['2023-01-01 23:60:00', 'minute 60'],
    ['Thu Aug 16 12::27 2012', 'time with a missing field (ojarva broken_6)'],
    ['Thu Aug 16 12:30:29', 'ctime without a year'],
    ['12:30:29 2012', 'ctime without day and month'],
    ['thu aug 16 12:30:29 2012', 'lower-case names'],
    ['Thu Foo 16 12:30:29 2012', 'unknown month'],
    ['Thu Aug 16 12:30:29 2012 ', 'trailing blank'],
    ['1969-12-31 23:59:59', 'before 1970'],
    ['10000-01-01 00:00:00', 'five-digit year'],
    ['2026-11-26 16:14:33Z', 'with a zone: not wall-clock text'],
    ['1795709699', 'a time_t'],
    ['', 'empty'],
    ['Yo,Hoo', 'garbage (tonyseek broken 4)'],
  ];
  for (const [text, why] of bad) {
    test(`rejects ${JSON.stringify(text)}: ${why}`, () => {
      assert.equal(parseWallTime(text), null);
    });
  }

  test('isValidWallTime bounds the year to 1970..9999', () => {
    assert.equal(isValidWallTime(wall(9999, 12, 31, 23, 59, 59)), true);
    assert.equal(isValidWallTime(wall(10000, 1, 1, 0, 0, 0)), false);
    assert.equal(isValidWallTime(wall(1969, 12, 31, 23, 59, 59)), false);
  });
});

describe('zonedToEpochMs', () => {
  // Expected instants worked out from the zone rules: Berlin is UTC+1 (CET) / UTC+2 (CEST),
  // switching at 01:00 UTC on the last Sunday of March and October; New York is UTC-5 / UTC-4,
  // switching at 02:00 local on the second Sunday of March and the first Sunday of November.
  const cases: [string, string, string, string][] = [
    ['UTC', '2026-11-26 16:14:33', '2026-11-26T16:14:33Z', 'UTC is the identity'],
    ['Europe/Berlin', '2026-01-15 12:00:00', '2026-01-15T11:00:00Z', 'winter, CET'],
    ['Europe/Berlin', '2026-07-15 12:00:00', '2026-07-15T10:00:00Z', 'summer, CEST'],
    ['Europe/Berlin', '2026-01-01 00:30:00', '2025-12-31T23:30:00Z', 'the UTC date is the day before'],
    ['Europe/Berlin', '2026-03-29 01:59:59', '2026-03-29T00:59:59Z', 'last second before the spring change'],
    ['Europe/Berlin', '2026-03-29 03:00:00', '2026-03-29T01:00:00Z', 'first second after the spring change'],
    ['Europe/Berlin', '2026-03-29 02:30:00', '2026-03-29T01:30:00Z', 'skipped hour: maps forward (03:30 CEST)'],
    // These two were an hour off before the fix in zonedToEpochMs (it took the later offset).
    ['Europe/Berlin', '2026-10-25 01:59:59', '2026-10-24T23:59:59Z', 'before the repeated hour, CEST'],
    ['Europe/Berlin', '2026-10-25 02:00:00', '2026-10-25T00:00:00Z', 'repeated hour: the earlier instant (CEST)'],
    ['Europe/Berlin', '2026-10-25 02:59:59', '2026-10-25T00:59:59Z', 'end of the repeated hour: still the earlier one'],
    ['Europe/Berlin', '2026-10-25 03:00:00', '2026-10-25T02:00:00Z', 'after the repeated hour, CET'],
    ['America/New_York', '2026-03-08 01:59:59', '2026-03-08T06:59:59Z', 'before the spring change, EST'],
    ['America/New_York', '2026-03-08 02:30:00', '2026-03-08T07:30:00Z', 'skipped hour: maps forward (03:30 EDT)'],
    ['America/New_York', '2026-03-08 03:00:00', '2026-03-08T07:00:00Z', 'after the spring change, EDT (fixed)'],
    ['America/New_York', '2026-11-01 01:30:00', '2026-11-01T05:30:00Z', 'repeated hour: the earlier instant (EDT)'],
    ['America/New_York', '2026-11-01 02:00:00', '2026-11-01T07:00:00Z', 'after the repeated hour, EST'],
    ['Asia/Kolkata', '2026-01-01 00:00:00', '2025-12-31T18:30:00Z', 'half-hour offset'],
  ];
  for (const [zone, text, iso, why] of cases) {
    test(`${text} in ${zone} is ${iso}: ${why}`, () => {
      const w = parseWallTime(text);
      assert.ok(w, `${text} should parse`);
      assert.equal(isoFromMs(zonedToEpochMs(w, zone)), iso);
    });
  }

  test('round trip: every hour of 2026 read back in Berlin and New York', () => {
    // wallTimeAt and zonedToEpochMs are inverses, except in the repeated hour, where the
    // earlier of the two instants comes back (exactly one hour earlier).
    let repeated = 0;
    for (const zone of ['Europe/Berlin', 'America/New_York']) {
      for (let ms = Date.UTC(2026, 0, 1); ms < Date.UTC(2027, 0, 1); ms += 3_600_000) {
        const back = zonedToEpochMs(wallTimeAt(ms, zone), zone);
        if (back !== ms) {
          assert.equal(back, ms - 3_600_000, `${zone} ${isoFromMs(ms)} came back as ${isoFromMs(back)}`);
          repeated++;
        }
      }
    }
    // The second pass through each zone's one repeated hour.
    assert.equal(repeated, 2);
  });
});

describe('wallTimeAt', () => {
  test('reads the wall clock of a zone, midnight as hour 0', () => {
    assert.deepEqual(wallTimeAt(Date.UTC(2026, 9, 24, 22, 0, 0), 'Europe/Berlin'), wall(2026, 10, 25, 0, 0, 0));
    assert.deepEqual(wallTimeAt(Date.UTC(2026, 10, 26, 16, 14, 33), 'UTC'), wall(2026, 11, 26, 16, 14, 33));
  });

  test('agrees with Intl every 7½ minutes through the days of offset changes (the offset is cached per day)', () => {
    const intl = (ms: number, timeZone: string): WallTime => {
      const f = new Intl.DateTimeFormat('en-US', {
        timeZone,
        hourCycle: 'h23',
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
        hour: '2-digit',
        minute: '2-digit',
        second: '2-digit',
      });
      const p = Object.fromEntries(f.formatToParts(new Date(ms)).map((x) => [x.type, Number(x.value)]));
      return wall(p.year ?? 0, p.month ?? 0, p.day ?? 0, p.hour ?? 0, p.minute ?? 0, p.second ?? 0);
    };
    // Spring and autumn changes, a 30-minute change (Lord Howe), a :45 offset (Kathmandu, no change)
    // and Samoa skipping 30 December 2011 (a whole day's change).
    const cases: [string, number][] = [
      ['Europe/Berlin', Date.UTC(2026, 2, 28)],
      ['Europe/Berlin', Date.UTC(2026, 9, 24)],
      ['America/New_York', Date.UTC(2026, 2, 7)],
      ['America/New_York', Date.UTC(2026, 9, 31)],
      ['Australia/Lord_Howe', Date.UTC(2026, 3, 4)],
      ['Australia/Lord_Howe', Date.UTC(2026, 9, 3)],
      ['Asia/Kathmandu', Date.UTC(2026, 5, 1)],
      ['Pacific/Apia', Date.UTC(2011, 11, 29)],
    ];
    let checked = 0;
    for (const [zone, from] of cases) {
      for (let ms = from; ms < from + 3 * 86_400_000; ms += 450_000 + 1_000) {
        assert.deepEqual(wallTimeAt(ms, zone), intl(ms, zone), `${zone} at ${new Date(ms).toISOString()}`);
        checked++;
      }
    }
    assert.ok(checked > 4000, `only ${checked} instants checked`);
  });

  test('UTC and Etc/UTC (read without Intl) agree with Etc/GMT (read through Intl), both ways', () => {
    let checked = 0;
    for (let ms = Date.UTC(2024, 1, 28); ms < Date.UTC(2024, 2, 2); ms += 3_600_000 + 61_000) {
      const w = wallTimeAt(ms, 'Etc/GMT');
      assert.deepEqual(wallTimeAt(ms, 'UTC'), w, new Date(ms).toISOString());
      assert.deepEqual(wallTimeAt(ms, 'Etc/UTC'), w, new Date(ms).toISOString());
      const whole = Math.floor(ms / 1000) * 1000;
      assert.equal(zonedToEpochMs(w, 'UTC'), whole);
      assert.equal(zonedToEpochMs(w, 'Etc/UTC'), zonedToEpochMs(w, 'Etc/GMT'));
      checked++;
    }
    assert.ok(checked > 60, `only ${checked} instants checked`);
  });
});

describe('isoFromMs and isoFromEpochSeconds', () => {
  const cases: [number, string, string][] = [
    [0, '1970-01-01T00:00:00Z', 'the epoch'],
    [1795709699000, '2026-11-26T16:14:59Z', 'whole seconds, no fraction'],
    [1795709699999, '2026-11-26T16:14:59Z', 'milliseconds are dropped, not rounded'],
    [-1, '1969-12-31T23:59:59Z', 'dropping goes towards the past'],
    [253402300799000, '9999-12-31T23:59:59Z', 'last four-digit year'],
  ];
  for (const [ms, iso, why] of cases) {
    test(`${ms} ms is ${iso}: ${why}`, () => {
      assert.equal(isoFromMs(ms), iso);
      assert.match(isoFromMs(ms), /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    });
  }
  test('time_t seconds', () => {
    assert.equal(isoFromEpochSeconds(1795709695), '2026-11-26T16:14:55Z');
    assert.equal(isoFromEpochSeconds(1238702330), '2009-04-02T19:58:50Z');
  });
});

describe('instants as text', () => {
  test('msFromIso takes only ISO UTC with Z', () => {
    assert.equal(msFromIso('2026-11-26T16:14:55Z'), 1795709695000);
    assert.equal(msFromIso('2026-11-26T16:14:55.250Z'), 1795709695250);
    assert.ok(Number.isNaN(msFromIso('2026-11-26T16:14:55+01:00')));
    assert.ok(Number.isNaN(msFromIso('2026-11-26 16:14:55')));
    // Date.parse alone would roll these over to March 2 and to the next midnight.
    assert.ok(Number.isNaN(msFromIso('2026-02-30T00:00:00Z')));
    assert.ok(Number.isNaN(msFromIso('2026-01-01T24:00:00Z')));
    assert.equal(msFromIso('2024-02-29T00:00:00Z'), Date.UTC(2024, 1, 29));
  });
  test('normaliseInstant turns any offset into whole-second UTC', () => {
    assert.equal(normaliseInstant('2026-11-26T17:14:55+01:00'), '2026-11-26T16:14:55Z');
    assert.equal(normaliseInstant('2026-11-26T16:14:55.900Z'), '2026-11-26T16:14:55Z');
    assert.equal(normaliseInstant('2026-11-26T16:14Z'), '2026-11-26T16:14:00Z');
    assert.equal(normaliseInstant('2026-11-26T16:14:55'), null, 'no offset: ambiguous');
    assert.equal(normaliseInstant('2026-02-30T16:14:55Z'), null, 'not a date (Date.parse would say March 2)');
    assert.equal(normaliseInstant('2026-01-01T24:00:00Z'), null, 'hour 24');
  });
  test('secondsBetween', () => {
    assert.equal(secondsBetween('2026-11-26T16:14:55Z', '2026-11-26T16:15:11Z'), 16);
    assert.equal(secondsBetween('2026-11-26T16:15:11Z', '2026-11-26T16:14:55Z'), -16);
  });
  test('isValidTimeZone', () => {
    assert.equal(isValidTimeZone('Europe/Berlin'), true);
    assert.equal(isValidTimeZone('UTC'), true);
    assert.equal(isValidTimeZone('Etc/UTC'), true);
    assert.equal(isValidTimeZone('Mars/Olympus_Mons'), false);
  });
});

describe("isPlausibleIsoText (the parser's allocation-free fast path)", () => {
  const cases: [string, boolean][] = [
    ['2026-11-26 16:14:33', true],
    ['1970-01-01 00:00:00', true],
    ['2026-02-28 23:59:59', true],
    ['2026-02-29 00:00:00', false], // day > 28: left to parseWallTime, which knows leap years
    ['2026-12-31 12:00:00', false],
    ['1969-12-31 23:59:59', false],
    ['2026-13-01 00:00:00', false],
    ['2026-00-10 00:00:00', false],
    ['2026-11-26 24:00:00', false],
    ['2026-11-26 23:60:00', false],
    ['2026-11-26 23:59:60', false],
    ['2026-11-26T16:14:33', false],
    ['2026-11-26 16:14:3', false],
    ['Thu Nov 26 16:14:33 2026', false],
    ['2026-1a-26 16:14:33', false],
  ];
  for (const [text, want] of cases) {
    test(`${JSON.stringify(text)} → ${want}`, () => {
      assert.equal(isPlausibleIsoText(text), want);
      // Whatever it accepts, the full parser accepts too.
      if (want) assert.notEqual(parseWallTime(text), null, `parseWallTime rejects ${text}`);
    });
  }
});

describe('the repeated hour of a DST change, resolved by the update order (issue 17)', () => {
  const later = (zone: string, text: string): string | null => {
    const w = parseWallTime(text);
    assert.ok(w);
    const ms = laterZonedEpochMs(zonedToEpochMs(w, zone), zone);
    return ms === null ? null : isoFromMs(ms);
  };
  const cases: [string, string, string | null][] = [
    ['Europe/Berlin', '2026-10-25 02:00:00', '2026-10-25T01:00:00Z'],
    ['Europe/Berlin', '2026-10-25 02:59:59', '2026-10-25T01:59:59Z'],
    ['Europe/Berlin', '2026-10-25 01:59:59', null],
    ['Europe/Berlin', '2026-10-25 03:00:00', null],
    ['Europe/Berlin', '2026-10-24 12:00:00', null],
    ['Europe/Berlin', '2026-03-29 02:30:00', null],
    ['America/New_York', '2026-11-01 01:30:00', '2026-11-01T06:30:00Z'],
    ['UTC', '2026-10-25 02:30:00', null],
  ];
  for (const [zone, text, iso] of cases) {
    test(`${text} in ${zone}: the later reading is ${iso ?? 'none'}`, () => assert.equal(later(zone, text), iso));
  }

  const NOW = Date.parse('2026-10-25T01:00:30Z');
  const updates: [string, string, string | undefined, string | null, string][] = [
    [
      'after 02:59:50 CEST, "02:00:00" is CET',
      '2026-10-25T00:00:00Z',
      '2026-10-25T01:00:00Z',
      '2026-10-25T00:59:50Z',
      '2026-10-25T01:00:00Z',
    ],
    [
      'the same file read again stays where it was',
      '2026-10-25T00:59:50Z',
      '2026-10-25T01:59:50Z',
      '2026-10-25T00:59:50Z',
      '2026-10-25T00:59:50Z',
    ],
    [
      'the later reading in the future is no candidate',
      '2026-10-25T00:30:00Z',
      '2026-10-25T01:30:00Z',
      '2026-10-25T00:29:00Z',
      '2026-10-25T00:30:00Z',
    ],
    [
      'no previous update: the latest that is not in the future',
      '2026-10-25T00:00:00Z',
      '2026-10-25T01:00:00Z',
      null,
      '2026-10-25T01:00:00Z',
    ],
    [
      'both before the previous: the earlier (an older file)',
      '2026-10-25T00:00:00Z',
      '2026-10-25T01:00:00Z',
      '2026-10-25T01:00:10Z',
      '2026-10-25T00:00:00Z',
    ],
    ['not ambiguous', '2026-10-25T02:00:00Z', undefined, '2026-10-25T00:59:50Z', '2026-10-25T02:00:00Z'],
  ];
  for (const [why, earlier, laterIso, previous, expected] of updates) {
    test(`update time: ${why}`, () =>
      assert.equal(pickUpdateInstant(earlier, laterIso, previous, NOW + 300_000), expected));
  }

  const connects: [string, string, string | undefined, string | null, string, string][] = [
    [
      'never after the file time',
      '2026-10-25T00:59:59Z',
      '2026-10-25T01:59:59Z',
      '2026-10-25T00:59:50Z',
      '2026-10-25T01:00:00Z',
      '2026-10-25T00:59:59Z',
    ],
    [
      'the first after the previous update',
      '2026-10-25T00:30:00Z',
      '2026-10-25T01:30:00Z',
      '2026-10-25T01:29:30Z',
      '2026-10-25T01:31:00Z',
      '2026-10-25T01:30:00Z',
    ],
    [
      'both after the previous update: the earlier',
      '2026-10-25T00:30:00Z',
      '2026-10-25T01:30:00Z',
      '2026-10-25T00:10:00Z',
      '2026-10-25T01:31:00Z',
      '2026-10-25T00:30:00Z',
    ],
    [
      'both before the previous update: the latest not after the file',
      '2026-10-25T00:30:00Z',
      '2026-10-25T01:30:00Z',
      '2026-10-25T01:40:00Z',
      '2026-10-25T01:41:00Z',
      '2026-10-25T01:30:00Z',
    ],
    [
      'no previous update: the earlier',
      '2026-10-25T00:30:00Z',
      '2026-10-25T01:30:00Z',
      null,
      '2026-10-25T01:41:00Z',
      '2026-10-25T00:30:00Z',
    ],
    [
      'not ambiguous',
      '2026-10-25T02:30:00Z',
      undefined,
      '2026-10-25T02:40:00Z',
      '2026-10-25T02:41:00Z',
      '2026-10-25T02:30:00Z',
    ],
  ];
  for (const [why, earlier, laterIso, previous, updatedAt, expected] of connects) {
    test(`connect time: ${why}`, () =>
      assert.equal(pickConnectInstant(earlier, laterIso, previous, updatedAt), expected));
  }
});
