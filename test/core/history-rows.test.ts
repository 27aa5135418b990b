import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { InputError } from '../../src/core/errors.js';
import {
  HISTORY_COLUMNS,
  missingRequiredColumns,
  sessionFromRecord,
  sessionToRecord,
} from '../../src/core/history-rows.js';
import type { Session } from '../../src/core/session.js';
import { sampleSession } from '../helpers/sessions.js';

const asRecord = (s: Session): Record<string, string> =>
  Object.fromEntries(HISTORY_COLUMNS.map((c, i) => [c, sessionToRecord(s)[i] ?? '']));

function inputError(fn: () => unknown, line: number, re: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof InputError, String(e));
    assert.equal(e.file, 'h.csv');
    assert.equal(e.line, line);
    assert.match(e.message, re);
    return true;
  });
}

describe('history rows', () => {
  test('a record has one value per column, nulls as empty text', () => {
    const open = sampleSession({
      endedAt: null,
      durationS: null,
      endReason: null,
      username: null,
      virtualIpv6: null,
      clientId: null,
    });
    const rec = sessionToRecord(open);
    assert.equal(rec.length, HISTORY_COLUMNS.length);
    const byName = asRecord(open);
    assert.equal(byName.endedAt, '');
    assert.equal(byName.username, '');
    assert.equal(byName.clientId, '');
    assert.equal(byName.realPort, '42001');
    assert.equal(byName.bytesSent, '3049');
  });

  test('session → record → session keeps every field, nulls included', () => {
    const cases: Session[] = [
      sampleSession(),
      sampleSession({ endReason: 'server-stopped', clientId: 17, peerId: 3 }),
      sampleSession({
        username: null,
        user: 'Dave Lee',
        commonName: 'Dave Lee',
        realPort: null,
        protocol: null,
        virtualAddress: null,
        virtualIpv6: null,
        clientId: null,
        peerId: null,
        cipher: null,
        endedAt: null,
        durationS: null,
        bytesReceived: null,
        bytesSent: null,
        endReason: null,
        source: 'legacy',
      }),
    ];
    for (const s of cases) assert.deepEqual(sessionFromRecord(asRecord(s), 'h.csv', 2), s);
  });

  test('a record written by an older version (fewer columns) gets sensible defaults', () => {
    const s = sessionFromRecord(
      {
        id: 'abc',
        commonName: 'bob_jones',
        username: 'bjones',
        realAddress: '127.0.0.13',
        connectedAt: '2026-11-26T16:00:00Z',
        endedAt: '2026-11-26T17:00:00Z',
      },
      'h.csv',
      5,
    );
    assert.equal(s.instance, 'default');
    assert.equal(s.user, 'bjones', 'user falls back to the username');
    assert.equal(s.lastSeenAt, '2026-11-26T17:00:00Z', 'lastSeenAt falls back to endedAt');
    assert.equal(s.source, 'status');
    assert.equal(s.realPort, null);
    assert.equal(s.bytesReceived, null);
    assert.equal(s.endReason, null);
    const open = sessionFromRecord(
      { id: 'x', commonName: 'cn', realAddress: '1.2.3.4', connectedAt: '2026-11-26T16:00:00Z', endedAt: '' },
      'h.csv',
      6,
    );
    assert.equal(open.user, 'cn', 'then the common name');
    assert.equal(open.lastSeenAt, '2026-11-26T16:00:00Z', 'then connectedAt');
  });

  test('a bad value names the file, the line and the column', () => {
    const good = asRecord(sampleSession());
    inputError(() => sessionFromRecord({ ...good, id: '' }, 'h.csv', 7), 7, /column id: is empty/);
    inputError(
      () => sessionFromRecord({ ...good, connectedAt: '2026-11-26 16:14:55' }, 'h.csv', 8),
      8,
      /column connectedAt: .*not an ISO UTC time/,
    );
    inputError(() => sessionFromRecord({ ...good, connectedAt: '' }, 'h.csv', 8), 8, /column connectedAt: is empty/);
    inputError(() => sessionFromRecord({ ...good, endedAt: 'yesterday' }, 'h.csv', 9), 9, /column endedAt/);
    inputError(
      () => sessionFromRecord({ ...good, realPort: '42001.5' }, 'h.csv', 10),
      10,
      /column realPort: "42001.5" is not a whole number/,
    );
    inputError(() => sessionFromRecord({ ...good, bytesSent: '=1+2' }, 'h.csv', 11), 11, /column bytesSent/);
    inputError(
      () => sessionFromRecord({ ...good, endReason: 'kicked' }, 'h.csv', 12),
      12,
      /column endReason: "kicked"/,
    );
    inputError(
      () => sessionFromRecord({ ...good, source: 'pigeon' }, 'h.csv', 13),
      13,
      /column source: "pigeon" is unknown/,
    );
    inputError(
      () => sessionFromRecord({ ...good, endExact: 'yes' }, 'h.csv', 15),
      15,
      /column endExact: "yes" is not true or false/,
    );
    inputError(() => sessionFromRecord({ ...good, realAddress: '' }, 'h.csv', 14), 14, /column realAddress: is empty/);
  });

  test('an end before the start (written by older versions) reads back as ending when it started, and is told', () => {
    // Issue 17, item 1: the server's clock stepped back after the client connected.
    const row = {
      ...asRecord(sampleSession()),
      connectedAt: '2026-11-26T16:19:35Z',
      endedAt: '2026-11-26T16:09:35Z',
      lastSeenAt: '2026-11-26T16:09:35Z',
      durationS: '',
    };
    const told: string[] = [];
    const s = sessionFromRecord(row, 'h.csv', 2, (why) => told.push(why));
    assert.equal(s.endedAt, '2026-11-26T16:19:35Z');
    assert.equal(s.durationS, 0);
    assert.equal(s.lastSeenAt, '2026-11-26T16:19:35Z', 'never before the start either');
    assert.equal(s.connectedAt, '2026-11-26T16:19:35Z');
    assert.deepEqual(told, [
      'column endedAt: 2026-11-26T16:09:35Z is before connectedAt 2026-11-26T16:19:35Z; read as ending when it started (0 s)',
    ]);
    // Without a way to tell it (the trash), it is refused as before.
    inputError(() => sessionFromRecord(row, 'h.csv', 2), 2, /column endedAt: .* is before connectedAt/);
    // A good row is not told about.
    sessionFromRecord(asRecord(sampleSession()), 'h.csv', 3, (why) => told.push(why));
    assert.equal(told.length, 1);
  });

  test('the country is the last column; a file written before it reads as null; a bad code names its line', () => {
    assert.equal(HISTORY_COLUMNS.at(-1), 'country');
    const de = sampleSession({ country: 'DE' });
    assert.equal(sessionToRecord(de).at(-1), 'DE');
    assert.deepEqual(sessionFromRecord(asRecord(de), 'h.csv', 2), de);
    assert.equal(sessionToRecord(sampleSession({ country: undefined })).at(-1), '', 'absent is written empty');
    const old: Record<string, string> = asRecord(de);
    delete old.country;
    assert.equal(sessionFromRecord(old, 'h.csv', 3).country, null);
    assert.equal(sessionFromRecord({ ...old, country: '' }, 'h.csv', 4).country, null);
    for (const bad of ['de', 'DEU', 'D1'])
      inputError(
        () => sessionFromRecord({ ...old, country: bad }, 'h.csv', 5),
        5,
        /column country: .* not a two-letter/,
      );
  });

  test('missingRequiredColumns names what a history must have', () => {
    assert.deepEqual(missingRequiredColumns([...HISTORY_COLUMNS]), []);
    assert.deepEqual(missingRequiredColumns(['id', 'commonName', 'realAddress', 'connectedAt', 'endedAt']), []);
    assert.deepEqual(missingRequiredColumns(['user', 'public_ip', 'tunnel_ip', 'start', 'end', 'duration_s']), [
      'id',
      'commonName',
      'realAddress',
      'connectedAt',
      'endedAt',
    ]);
  });
});
