import assert from 'node:assert/strict';
import { basename } from 'node:path';
import { describe, test } from 'node:test';
import {
  dayFileName,
  exportFileName,
  exportFileNames,
  exportNameOwner,
  fileUserPart,
  type ExportExt,
  type ExportStatus,
} from '../../src/core/export-names.js';

const STATUSES: ExportStatus[] = ['all', 'active', 'ended'];
const EXTS: ExportExt[] = ['xlsx', 'csv'];
const NAME = /^openvpn-history_[A-Za-z0-9._~-]+_(all|active|ended)\.(xlsx|csv)$/;

/** What every file name must be: one safe path segment, printable ASCII, bounded. */
function assertSafe(user: string | null, name: string): void {
  const what = `${JSON.stringify(user)} → ${JSON.stringify(name)}`;
  assert.match(name, NAME, what);
  assert.equal(basename(name), name, `${what}: one path segment`);
  assert.ok(!name.includes('/') && !name.includes('\\'), `${what}: no path separator`);
  assert.ok(!/[\x00-\x1f\x7f]/.test(name), `${what}: no control character`);
  assert.ok(!name.startsWith('.'), `${what}: no leading dot`);
  assert.ok(Buffer.byteLength(name, 'utf8') <= 120, `${what}: at most 120 bytes`);
  // As a link in a page it stays in its folder.
  assert.equal(new URL(`x/${encodeURIComponent(name)}`, 'http://h/').pathname, `/x/${name}`, `${what}: URL-safe`);
}

const HOSTILE: string[] = [
  '../../etc/passwd',
  '..',
  '.',
  '.hidden',
  '/',
  'a/b',
  'a\\b',
  '',
  ' ',
  'a\u0000b',
  '\u001b[31mred',
  'line\nbreak',
  'tab\there',
  'del\u007f',
  'x'.repeat(300),
  'ü'.repeat(300),
  '😀'.repeat(100),
  '\uD800',
  '<script>alert(1)</script>',
  '=1+2',
  '@SUM(A1)',
  "+cmd|' /C calc'!A0",
  '-2+3',
  'Jürgen Müller',
  'Straße',
  'CON',
  'all',
  'ALL',
  '~',
  'a~b',
  '-leading',
  '_leading',
  'trailing.',
];

describe('exportFileName', () => {
  test('plain names are kept; null is the view over all users', () => {
    assert.equal(exportFileName('alice', 'all', 'xlsx'), 'openvpn-history_alice_all.xlsx');
    assert.equal(exportFileName('flex-RN13P', 'active', 'csv'), 'openvpn-history_flex-RN13P_active.csv');
    assert.equal(exportFileName('first.last', 'ended', 'xlsx'), 'openvpn-history_first.last_ended.xlsx');
    assert.equal(exportFileName(null, 'all', 'xlsx'), 'openvpn-history_all_all.xlsx');
    assert.equal(exportFileName(null, 'ended', 'csv'), 'openvpn-history_all_ended.csv');
  });

  test('hostile common names give safe names', () => {
    for (const user of HOSTILE) {
      for (const status of STATUSES) for (const ext of EXTS) assertSafe(user, exportFileName(user, status, ext));
    }
  });

  test('names that need sanitising get a readable base and a hash', () => {
    assert.match(fileUserPart('Jürgen Müller'), /^Jurgen-Muller~[0-9a-f]{12}$/);
    assert.match(fileUserPart('Straße'), /^Strasse~[0-9a-f]{12}$/);
    assert.match(fileUserPart('../../etc/passwd'), /^etc-passwd~[0-9a-f]{12}$/);
    assert.match(fileUserPart('.hidden'), /^hidden~[0-9a-f]{12}$/);
    assert.match(fileUserPart('<script>alert(1)</script>'), /^script-alert-1-script~[0-9a-f]{12}$/);
    assert.match(fileUserPart(''), /^user~[0-9a-f]{12}$/);
    assert.match(fileUserPart('x'.repeat(300)), /^x{48}~[0-9a-f]{12}$/);
  });

  test('a user named "all" cannot take the all-users view\'s name', () => {
    for (const user of ['all', 'ALL', 'All']) {
      assert.notEqual(exportFileName(user, 'all', 'xlsx'), exportFileName(null, 'all', 'xlsx'), user);
    }
  });

  test('names that sanitise alike still get different file names', () => {
    const alike = [
      'Jürgen',
      'Jurgen',
      'Jürgen ',
      ' Jürgen',
      'jürgen',
      'Ju\u0308rgen',
      'a/b',
      'a\\b',
      'a b',
      'a-b',
      'a:b',
      'a\u0000b',
      'x'.repeat(300),
      'x'.repeat(301),
      `${'x'.repeat(48)}y`,
      `${'x'.repeat(48)}z`,
      '\uD800',
      '\uD801',
      '\uFFFD',
      '',
      ' ',
      '.',
      '..',
      '...',
      '../../etc/passwd',
      '..\\..\\etc\\passwd',
      'etc-passwd',
      'etc/passwd',
    ];
    const names = alike.map((u) => exportFileName(u, 'all', 'xlsx'));
    assert.equal(new Set(names).size, alike.length, `collision among ${JSON.stringify(names)}`);
    assert.doesNotThrow(
      () => exportFileNames([null, ...alike], STATUSES, 'xlsx'),
      'exportFileNames finds no collision',
    );
  });

  test('deterministic: the same user gets the same name in every call', () => {
    for (const user of HOSTILE) {
      assert.equal(exportFileName(user, 'ended', 'csv'), exportFileName(user, 'ended', 'csv'), JSON.stringify(user));
    }
    // Pinned: a change would move every published file and break links and bookmarks.
    assert.equal(exportFileName('Jürgen Müller', 'all', 'xlsx'), 'openvpn-history_Jurgen-Muller~b5ed57f7fc16_all.xlsx');
  });

  test('the status is always the last part, so (user, status) pairs never share a name', () => {
    const users = [null, 'x', 'x_active', 'x_all', 'x_ended', 'all_active', 'active', 'ended'];
    const names = new Set<string>();
    for (const u of users) for (const s of STATUSES) names.add(exportFileName(u, s, 'xlsx'));
    assert.equal(names.size, users.length * STATUSES.length, 'every (user, status) has its own name');
  });
});

describe('exportFileNames', () => {
  test('maps each user and status to its name', () => {
    const m = exportFileNames([null, 'alice', 'alice'], STATUSES, 'csv');
    assert.equal(m.size, 2);
    assert.equal(m.get(null)?.get('active'), 'openvpn-history_all_active.csv');
    assert.equal(m.get('alice')?.get('ended'), 'openvpn-history_alice_ended.csv');
  });
});

describe('exportNameOwner', () => {
  test('gives back the user part and the day of every name the two functions make, hostile users too', () => {
    for (const user of [null, 'alice', 'kaethe_neumann', 'x_all', '2026-11-25', ...HOSTILE]) {
      for (const status of STATUSES) {
        for (const ext of EXTS)
          assert.deepEqual(
            exportNameOwner(exportFileName(user, status, ext)),
            { userPart: fileUserPart(user) },
            JSON.stringify(user),
          );
      }
    }
    assert.deepEqual(exportNameOwner(dayFileName('2026-11-25')), { day: '2026-11-25' });
    assert.deepEqual(exportNameOwner(dayFileName('2026-11-25', 'csv')), { day: '2026-11-25' });
  });

  test('any other name: null', () => {
    for (const name of [
      'left-by-an-admin.csv',
      'openvpn-history_all_active.txt',
      'openvpn-history_.._all.csv',
      'openvpn-history__all.csv',
      'openvpn-history_alice.xlsx',
      'x-openvpn-history_alice_all.csv',
      '',
    ]) {
      assert.equal(exportNameOwner(name), null, JSON.stringify(name));
    }
  });
});

describe('dayFileName', () => {
  test('one file per day', () => {
    assert.equal(dayFileName('2026-11-25'), 'openvpn-history_2026-11-25.xlsx');
    assert.equal(dayFileName('2026-11-25', 'csv'), 'openvpn-history_2026-11-25.csv');
  });

  test('anything but YYYY-MM-DD is a RangeError', () => {
    for (const bad of [
      '',
      '2026-11-5',
      '2026-13-01',
      '2026-00-10',
      '2026-11-32',
      '../2026-11-25',
      '2026-11-25/..',
      '2026-11-25\n',
      'today',
    ]) {
      assert.throws(() => dayFileName(bad), RangeError, JSON.stringify(bad));
    }
  });

  test("a day file never has a user file's name", () => {
    assert.notEqual(dayFileName('2026-11-25'), exportFileName('2026-11-25', 'all', 'xlsx'));
    assert.ok(
      !STATUSES.some((s) => exportFileName('2026-11', s, 'xlsx') === dayFileName('2026-11-25')),
      'no user file is named like a day',
    );
  });
});
