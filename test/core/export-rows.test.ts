import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import {
  EXPORT_COLUMNS,
  EXPORT_FORMAT_VERSION,
  escapeFormula,
  exportDigest,
  exportHeaders,
  exportRows,
  exportSheetName,
  type ExportContext,
  type ExportRow,
} from '../../src/core/export-rows.js';
import { sampleSession } from '../helpers/sessions.js';

const ctx = (over: Partial<ExportContext> = {}): ExportContext => ({
  lang: 'de',
  timeZone: 'Europe/Berlin',
  aliasOf: () => null,
  now: '2026-11-26T17:00:00Z',
  ...over,
});

describe('export columns', () => {
  test("the issue's columns, in order, with German and English headers", () => {
    assert.deepEqual(
      EXPORT_COLUMNS.map((c) => c.key),
      [
        'user',
        'alias',
        'commonName',
        'username',
        'instance',
        'publicIp',
        'tunnelIpv4',
        'tunnelIpv6',
        'start',
        'end',
        'endExact',
        'durationS',
        'durationText',
        'bytesReceived',
        'bytesSent',
        'status',
        'endReason',
        'country',
      ],
    );
    assert.deepEqual(exportHeaders('de'), [
      'Benutzer',
      'Alias',
      'Common Name',
      'Username',
      'Instanz',
      'Öffentliche IP',
      'Tunnel IPv4',
      'Tunnel IPv6',
      'Start',
      'Ende',
      'Ende exakt',
      'Dauer (Sekunden)',
      'Dauer',
      'Empfangen (Bytes)',
      'Gesendet (Bytes)',
      'Status',
      'Endegrund',
      'Land',
    ]);
    assert.deepEqual(exportHeaders('en'), [
      'User',
      'Alias',
      'Common name',
      'Username',
      'Instance',
      'Public IP',
      'Tunnel IPv4',
      'Tunnel IPv6',
      'Start',
      'End',
      'End exact',
      'Duration (seconds)',
      'Duration',
      'Received (bytes)',
      'Sent (bytes)',
      'Status',
      'End reason',
      'Country',
    ]);
  });

  test('sheet names are valid Excel sheet names', () => {
    for (const lang of ['de', 'en'] as const) {
      const name = exportSheetName(lang);
      assert.ok(
        name.length >= 1 && name.length <= 31 && !/[[\]:*?/\\]/.test(name),
        `sheet name ${JSON.stringify(name)} (${lang})`,
      );
    }
  });
});

describe('exportRows', () => {
  test('an ended session: every column, times as wall clock in the zone', () => {
    const s = sampleSession({
      connectedAt: '2026-11-26T15:00:00Z',
      lastSeenAt: '2026-11-26T16:02:30Z',
      endedAt: '2026-11-26T16:02:30Z',
      durationS: 3750,
      country: 'NL',
    });
    const [row] = exportRows([s], ctx({ aliasOf: (x) => (x.user === 'jdoe' ? 'Handy Flex' : null) }));
    const want: ExportRow = {
      user: 'jdoe',
      alias: 'Handy Flex',
      commonName: 'flex-RN13P',
      username: 'jdoe',
      instance: 'udp',
      publicIp: '127.0.0.11',
      tunnelIpv4: '10.8.0.3',
      tunnelIpv6: 'fd00:8::1001',
      start: '2026-11-26 16:00:00',
      end: '2026-11-26 17:02:30',
      endExact: 'nein',
      durationS: 3750,
      durationText: '1 Std, 2 Min, 30 Sek',
      bytesReceived: 3032,
      bytesSent: 3049,
      status: 'beendet',
      endReason: 'getrennt',
      country: 'NL',
    };
    assert.deepEqual(row, want);
    assert.equal(exportRows([{ ...s, country: undefined }], ctx())[0]?.country, null, 'none recorded: empty');
  });

  test('English labels and durations', () => {
    const s = sampleSession({
      connectedAt: '2026-11-26T15:00:00Z',
      endedAt: '2026-11-26T16:02:30Z',
      durationS: 3750,
      endReason: 'server-stopped',
    });
    const [row] = exportRows([s], ctx({ lang: 'en', timeZone: 'UTC' }));
    assert.equal(row?.durationText, '1 h 2 min 30 s');
    assert.equal(row?.status, 'ended');
    assert.equal(row?.endReason, 'server stopped');
    assert.equal(row?.start, '2026-11-26 15:00:00');
  });

  test('an open session: start only, no end, duration or traffic (they change every minute), status active', () => {
    const s = sampleSession({
      connectedAt: '2026-11-26T16:00:00Z',
      lastSeenAt: '2026-11-26T16:59:00Z',
      endedAt: null,
      durationS: null,
      endReason: null,
    });
    const [de] = exportRows([s], ctx());
    assert.equal(de?.start, '2026-11-26 17:00:00');
    assert.equal(de?.end, null);
    assert.equal(de?.durationS, null);
    assert.equal(de?.durationText, 'läuft…');
    assert.equal(de?.bytesReceived, null);
    assert.equal(de?.bytesSent, null);
    assert.equal(de?.status, 'aktiv');
    assert.equal(de?.endReason, null);
    const [en] = exportRows([s], ctx({ lang: 'en' }));
    assert.equal(en?.status, 'active');
    assert.equal(
      exportDigest(exportRows([s], ctx({ now: '2026-11-26T18:00:00Z' })), 'de'),
      exportDigest([de as ExportRow], 'de'),
      'the row does not depend on now',
    );
  });

  test('an imported legacy session: unknown bytes and username stay null', () => {
    const s = sampleSession({
      source: 'legacy',
      bytesReceived: null,
      bytesSent: null,
      username: null,
      virtualIpv6: null,
    });
    const [row] = exportRows([s], ctx());
    assert.equal(row?.bytesReceived, null);
    assert.equal(row?.bytesSent, null);
    assert.equal(row?.username, null);
    assert.equal(row?.tunnelIpv6, null);
  });

  test('a session without a stored duration gets end − start', () => {
    const s = sampleSession({ connectedAt: '2026-11-26T15:00:00Z', endedAt: '2026-11-26T15:00:42Z', durationS: null });
    assert.equal(exportRows([s], ctx())[0]?.durationS, 42);
  });

  test("summer time: the wall clock moves with the zone's offset", () => {
    const s = sampleSession({ connectedAt: '2026-07-01T10:00:00Z', endedAt: '2026-07-01T10:00:16Z' });
    assert.equal(exportRows([s], ctx())[0]?.start, '2026-07-01 12:00:00');
  });

  test("text is passed through as it is (escaping is the CSV writer's job)", () => {
    const s = sampleSession({ user: '=1+2', commonName: '@SUM(A1)' });
    const [row] = exportRows([s], ctx({ aliasOf: () => "+cmd|' /C calc'!A0" }));
    assert.equal(row?.user, '=1+2');
    assert.equal(row?.commonName, '@SUM(A1)');
    assert.equal(row?.alias, "+cmd|' /C calc'!A0");
  });

  test('keeps the order given', () => {
    const a = sampleSession({ id: 'a', user: 'a' });
    const b = sampleSession({ id: 'b', user: 'b' });
    assert.deepEqual(
      exportRows([b, a], ctx()).map((r) => r.user),
      ['b', 'a'],
    );
  });

  test('a `now` that is not an ISO instant is a RangeError', () => {
    assert.throws(() => exportRows([], ctx({ now: 'yesterday' })), RangeError);
  });
});

describe('escapeFormula', () => {
  test('text a spreadsheet would read as a formula gets a leading apostrophe', () => {
    for (const text of [
      '=1+2',
      '@SUM(A1)',
      "+cmd|' /C calc'!A0",
      '-2+3',
      '\t=1',
      '\r=1',
      '＝1+2',
      '＋1',
      '－1',
      '＠SUM(A1)',
    ]) {
      assert.equal(escapeFormula(text), `'${text}`, JSON.stringify(text));
    }
  });

  test('other text is unchanged', () => {
    for (const text of [
      '',
      'alice',
      'a=b',
      ' =1',
      "'=1",
      '<script>alert(1)</script>',
      'Jürgen Müller',
      '10.8.0.3',
      'fd00::1',
      '2026-11-26 16:00:00',
      '1 Std, 2 Min',
    ]) {
      assert.equal(escapeFormula(text), text, JSON.stringify(text));
    }
  });
});

describe('exportDigest', () => {
  const rows = exportRows([sampleSession(), sampleSession({ id: 'x', user: 'other' })], ctx());

  test('the same rows give the same digest', () => {
    assert.equal(exportDigest(rows, 'de'), exportDigest(structuredClone(rows), 'de'));
  });

  test('any change, the language or the order changes it', () => {
    const base = exportDigest(rows, 'de');
    const changed = rows.map((r, i) => (i === 1 ? { ...r, bytesSent: (r.bytesSent ?? 0) + 1 } : r));
    assert.notEqual(exportDigest(changed, 'de'), base, 'a changed byte count');
    assert.notEqual(exportDigest(rows, 'en'), base, 'another language');
    assert.notEqual(exportDigest([...rows].reverse(), 'de'), base, 'another order');
    assert.notEqual(exportDigest(rows.slice(0, 1), 'de'), base, 'a row fewer');
    // null and "" are different cells.
    const emptyAlias = rows.map((r) => ({ ...r, alias: '' }));
    assert.notEqual(exportDigest(emptyAlias, 'de'), base, 'empty alias vs none');
  });

  test('the digest of a fixed text, however many rows (digests stored by earlier builds stay valid)', () => {
    const many = Array.from({ length: 3000 }, (_, i) => ({ ...(rows[i % 2] as ExportRow), durationS: i }));
    const text = [
      JSON.stringify([EXPORT_FORMAT_VERSION, 'de', exportHeaders('de'), exportSheetName('de')]),
      ...many.map((r) => JSON.stringify(EXPORT_COLUMNS.map((c) => r[c.key]))),
    ].join('\n');
    assert.ok(text.length > 512 * 1024, 'more than one chunk of hashed text');
    assert.equal(exportDigest(many, 'de'), createHash('sha256').update(text).digest('hex'));
  });
});
