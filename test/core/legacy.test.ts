import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { InputError } from '../../src/core/errors.js';
import { checkLegacyHeader, LEGACY_COLUMNS, sessionFromLegacy } from '../../src/core/legacy.js';
import { sessionId } from '../../src/core/session.js';

const row = (user: string, publicIp: string, tunnel: string, start: string, end: string, duration = '') => ({
  user,
  public_ip: publicIp,
  tunnel_ip: tunnel,
  start,
  end,
  duration_s: duration,
});
const BERLIN = 'Europe/Berlin';
const from = (r: Record<string, string>, line = 2, tz = BERLIN) => sessionFromLegacy(r, 'old.csv', line, tz, 'default');

describe('legacy CSV rows', () => {
  test('a closed row becomes an ended session in UTC (winter, CET = UTC+1)', () => {
    const s = from(row('alice', '203.0.113.5', '10.8.0.2', '2026-01-15 09:00:00', '2026-01-15 10:30:00', '5400'));
    assert.ok(s);
    assert.equal(s.connectedAt, '2026-01-15T08:00:00Z');
    assert.equal(s.endedAt, '2026-01-15T09:30:00Z');
    assert.equal(s.lastSeenAt, '2026-01-15T09:30:00Z');
    assert.equal(s.durationS, 5400);
    assert.equal(s.user, 'alice');
    assert.equal(s.commonName, 'alice');
    assert.equal(s.username, null);
    assert.equal(s.realAddress, '203.0.113.5');
    assert.equal(s.realPort, null);
    assert.equal(s.virtualAddress, '10.8.0.2');
    assert.equal(s.virtualIpv6, null);
    assert.equal(s.bytesReceived, null);
    assert.equal(s.bytesSent, null);
    assert.equal(s.endReason, 'disconnected');
    assert.equal(s.source, 'legacy');
    assert.equal(s.instance, 'default');
    assert.equal(s.id, sessionId('default', 'alice', '2026-01-15T08:00:00Z', '203.0.113.5', null));
  });

  test('summer time (CEST = UTC+2)', () => {
    const s = from(row('bob', '198.51.100.7', '10.8.0.3', '2026-07-01 12:00:00', '2026-07-01 12:00:05'));
    assert.equal(s?.connectedAt, '2026-07-01T10:00:00Z');
    assert.equal(s?.durationS, 5);
  });

  test('across the spring DST change the duration is the real one, not the wall-clock difference', () => {
    // 01:30 CET → 03:30 CEST is one hour; the old tool wrote 7200.
    const s = from(row('carol', '192.0.2.9', '10.8.0.4', '2026-03-29 01:30:00', '2026-03-29 03:30:00', '7200'));
    assert.equal(s?.connectedAt, '2026-03-29T00:30:00Z');
    assert.equal(s?.endedAt, '2026-03-29T01:30:00Z');
    assert.equal(s?.durationS, 3600);
  });

  test('across the autumn DST change too; the repeated hour is read as its first occurrence', () => {
    // 00:30 CEST → 03:30 CET is four hours.
    const s = from(row('dave', '192.0.2.10', '10.8.0.5', '2026-10-25 00:30:00', '2026-10-25 03:30:00'));
    assert.equal(s?.connectedAt, '2026-10-24T22:30:00Z');
    assert.equal(s?.endedAt, '2026-10-25T02:30:00Z');
    assert.equal(s?.durationS, 4 * 3600);
    const ambiguous = from(row('dave', '192.0.2.10', '', '2026-10-25 02:30:00', '2026-10-25 02:45:00'));
    assert.equal(ambiguous?.connectedAt, '2026-10-25T00:30:00Z');
    assert.equal(ambiguous?.durationS, 900);
  });

  test('the hour before the autumn change (01:30 CEST, not ambiguous) is read as CEST', () => {
    const s = from(row('dave', '192.0.2.10', '10.8.0.5', '2026-10-25 01:30:00', '2026-10-25 03:30:00'));
    assert.equal(s?.connectedAt, '2026-10-24T23:30:00Z');
    assert.equal(s?.durationS, 3 * 3600);
  });

  test('the time zone is the one given', () => {
    const s = from(row('erin', '192.0.2.11', '', '2026-01-15 09:00:00', '2026-01-15 10:00:00'), 2, 'UTC');
    assert.equal(s?.connectedAt, '2026-01-15T09:00:00Z');
  });

  test('an IPv6 tunnel address goes to virtualIpv6; none is null', () => {
    assert.equal(
      from(row('f', '192.0.2.12', 'fd00:8::1001', '2026-01-15 09:00:00', '2026-01-15 10:00:00'))?.virtualIpv6,
      'fd00:8::1001',
    );
    const none = from(row('f', '192.0.2.12', '', '2026-01-15 09:00:00', '2026-01-15 10:00:00'));
    assert.equal(none?.virtualAddress, null);
    assert.equal(none?.virtualIpv6, null);
  });

  test('a row without an end (open when the old tool last ran) is null', () => {
    assert.equal(from(row('gina', '192.0.2.13', '10.8.0.6', '2026-11-20 08:00:00', '')), null);
    assert.equal(from(row('gina', '192.0.2.13', '10.8.0.6', '2026-11-20 08:00:00', '   ')), null);
  });

  test('bad rows are InputErrors naming the file and line', () => {
    const bad = (r: Record<string, string>, re: RegExp) =>
      assert.throws(
        () => from(r, 7),
        (e: unknown) => e instanceof InputError && e.file === 'old.csv' && e.line === 7 && re.test(e.message),
      );
    bad(row('', '192.0.2.1', '', '2026-01-15 09:00:00', '2026-01-15 10:00:00'), /user is empty/);
    bad(
      row('h', '192.0.2.1', '', 'yesterday', '2026-01-15 10:00:00'),
      /start "yesterday" is not a YYYY-MM-DD HH:MM:SS time/,
    );
    bad(row('h', '192.0.2.1', '', '2026-02-30 09:00:00', '2026-03-01 10:00:00'), /start/);
    bad(row('h', '192.0.2.1', '', '', '2026-01-15 10:00:00'), /start is empty/);
    bad(row('h', '192.0.2.1', '', '2026-01-15 09:00:00', '2026-01-15 08:00:00'), /end .* is before start/);
    bad(row('h', '', '', '2026-01-15 09:00:00', '2026-01-15 10:00:00'), /public_ip is empty/);
  });

  test('the header must be the predecessor one', () => {
    checkLegacyHeader([...LEGACY_COLUMNS], 'old.csv');
    checkLegacyHeader(['user', 'public_ip', 'start', 'end'], 'old.csv');
    assert.throws(
      () => checkLegacyHeader(['id', 'commonName', 'connectedAt'], 'old.csv'),
      (e: unknown) =>
        e instanceof InputError && e.line === 1 && /no column user, public_ip, start, end/.test(e.message),
    );
  });
});
