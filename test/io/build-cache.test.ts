/** The site builder's cache (src/io/build-cache.ts): round trips, and a broken manifest is a problem, never a throw. */
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { dict } from '../../src/core/dict.js';
import { sessionId, type Session } from '../../src/core/session.js';
import { userSlug } from '../../src/core/slug.js';
import {
  cachePaths,
  clearCache,
  emptyManifest,
  listCachedDays,
  loadDay,
  loadManifest as loadManifestWarning,
  loadUserTotals,
  exportShard,
  pageShard,
  ShardedHashes,
  saveDay,
  saveManifest,
  saveUserTotals,
  type CachePaths,
  type Manifest,
  type UserTotals,
} from '../../src/io/build-cache.js';
import { sampleSession } from '../helpers/sessions.js';
import { listDir, tempDir } from '../helpers/tmp.js';

/** loadManifest with its warning kept: the manifest and the problem it reported (null: none). */
async function loadManifest(p: CachePaths): Promise<{ manifest: Manifest | null; problem: string | null }> {
  const said: string[] = [];
  const manifest = await loadManifestWarning(p, (m) => said.push(m));
  return { manifest, problem: said.length > 0 ? said.join('\n') : null };
}

const ODD_NAMES = [
  'Surname, Given',
  'O\'Brien "x"',
  '<script>alert(1)</script>',
  '=1+2',
  'line\nbreak\r\nand\ttab',
  'Jürgen Groß 🙂',
  'lone \ud800 surrogate',
  ' padded ',
  '\\back\\slash\\',
  'a'.repeat(300),
];

function oddSession(cn: string, i: number): Session {
  const connectedAt = `2026-03-18T0${i % 10}:00:00Z`;
  return sampleSession({
    id: sessionId('udp', cn, connectedAt, '2001:db8::1', null),
    commonName: cn,
    username: i % 2 === 0 ? null : `${cn}-login`,
    user: i % 2 === 0 ? cn : `${cn}-login`,
    realAddress: '2001:db8::1',
    realPort: null,
    protocol: i % 3 === 0 ? null : 'tcp6-server',
    virtualIpv6: null,
    connectedAt,
    lastSeenAt: '2026-03-18T12:00:00Z',
    endedAt: '2026-03-18T12:00:00Z',
    durationS: 43200 - (i % 10) * 3600,
    bytesReceived: i === 3 ? null : 2 ** 40 + i,
    bytesSent: i === 3 ? null : 7,
    endReason: i % 2 === 0 ? 'disconnected' : 'server-stopped',
    source: i === 3 ? 'legacy' : 'status',
  });
}

describe('build cache', () => {
  test('paths live beside the history', () => {
    assert.deepEqual(cachePaths('/var/log/openvpn-sessions.csv'), {
      dir: '/var/log/openvpn-sessions.csv.cache',
      manifest: '/var/log/openvpn-sessions.csv.cache/manifest.json',
      days: '/var/log/openvpn-sessions.csv.cache/days',
      users: '/var/log/openvpn-sessions.csv.cache/users',
      pages: '/var/log/openvpn-sessions.csv.cache/pages',
      exports: '/var/log/openvpn-sessions.csv.cache/exports',
    });
  });

  test('saveDay/loadDay give back the same sessions, whatever their names', async (t) => {
    const p = cachePaths(join(await tempDir(t), 'h.csv'));
    const sessions = ODD_NAMES.map(oddSession);
    await saveDay(p, '2026-03-18', sessions);
    assert.deepEqual(await loadDay(p, '2026-03-18'), sessions);
    await saveDay(p, '2026-03-17', []);
    assert.deepEqual(await loadDay(p, '2026-03-17'), []);
    assert.deepEqual(await loadDay(p, '2026-01-01'), [], 'a day never saved is empty');
    assert.deepEqual((await listCachedDays(p)).sort(), ['2026-03-17', '2026-03-18']);
    assert.deepEqual(await listDir(p.days), ['2026-03-17.json', '2026-03-18.json'], 'no temp file is left');
  });

  test('saveDay replaces a day; a leftover temp file is not a day', async (t) => {
    const p = cachePaths(join(await tempDir(t), 'h.csv'));
    await saveDay(p, '2026-03-18', [oddSession('a', 1), oddSession('b', 2)]);
    await saveDay(p, '2026-03-18', [oddSession('c', 3)]);
    assert.deepEqual(await loadDay(p, '2026-03-18'), [oddSession('c', 3)]);
    await writeFile(join(p.days, '2026-03-19.json.tmp-999999'), '[');
    assert.deepEqual(await listCachedDays(p), ['2026-03-18']);
  });

  test('every field of a session round trips with its type: nulls, numbers, flags, hook sessions', async (t) => {
    const p = cachePaths(join(await tempDir(t), 'h.csv'));
    const open = sampleSession({
      id: 'open',
      endedAt: null,
      durationS: null,
      endReason: null,
      endExact: false,
      realPort: 1194,
      clientId: 0,
      peerId: 7,
    });
    const hook = sampleSession({
      id: 'hook',
      source: 'hook',
      endExact: true,
      cipher: null,
      virtualAddress: null,
      username: null,
    });
    await saveDay(p, '2026-03-18', [open, hook]);
    const back = await loadDay(p, '2026-03-18');
    assert.deepEqual(back, [open, hook]);
    assert.deepEqual(
      back.map((x) => Object.keys(x)),
      [Object.keys(open), Object.keys(hook)],
      'every field, in the same order',
    );
  });

  test('a cached session of the wrong shape is a CacheError naming the file and the session', async (t) => {
    const p = cachePaths(join(await tempDir(t), 'h.csv'));
    await saveDay(p, '2026-03-18', [sampleSession({ id: 'a' }), sampleSession({ id: 'b' })]);
    const file = join(p.days, '2026-03-18.json');
    const rows = JSON.parse(await readFile(file, 'utf8')) as unknown[][];
    const damaged: [string, (r: unknown[]) => unknown[], RegExp][] = [
      ['a field missing', (r) => r.slice(1), /session 2 has 22 fields, not 23/],
      ['a count as text', (r) => r.map((v, i) => (i === 6 ? '1194' : v)), /session 2: realPort is "1194"/],
      ['a negative count', (r) => r.map((v, i) => (i === 17 ? -1 : v)), /session 2: bytesReceived is -1/],
      ['an unknown source', (r) => r.map((v, i) => (i === 21 ? 'csv' : v)), /session 2: source is "csv"/],
      ['a flag as text', (r) => r.map((v, i) => (i === 20 ? 'true' : v)), /session 2: endExact is "true"/],
      ['no id', (r) => r.map((v, i) => (i === 0 ? null : v)), /session 2: id is null/],
      ['a country in lower case', (r) => r.map((v, i) => (i === 22 ? 'de' : v)), /session 2: country is "de"/],
    ];
    for (const [what, change, message] of damaged) {
      await writeFile(file, JSON.stringify([rows[0], change(rows[1] as unknown[])]));
      await assert.rejects(
        loadDay(p, '2026-03-18'),
        (e: Error) => e.name === 'CacheError' && e.message.includes(file) && message.test(e.message),
        what,
      );
    }
  });

  test('listCachedDays of a cache that does not exist is empty', async (t) => {
    assert.deepEqual(await listCachedDays(cachePaths(join(await tempDir(t), 'h.csv'))), []);
  });

  test('user totals round trip under any slug', async (t) => {
    const p = cachePaths(join(await tempDir(t), 'h.csv'));
    const totals: UserTotals = {
      '2026-03': {
        days: { '2026-03-18': [3, 5400, 2 ** 40, 12], '2026-03-17': [1, 60, 0, 0] },
        first: '2026-03-17T08:00:00Z',
        last: '2026-03-18T17:00:00Z',
      },
      '2026-02': { days: {}, first: '2026-02-01T00:00:00Z', last: '2026-02-01T00:00:00Z' },
    };
    for (const name of ODD_NAMES) {
      const slug = userSlug(name);
      await saveUserTotals(p, slug, totals);
      assert.deepEqual(await loadUserTotals(p, slug), totals, name);
    }
    assert.deepEqual(await loadUserTotals(p, 'nobody'), {});
    assert.equal((await readdir(p.users)).length, ODD_NAMES.length, 'one file per user, no two names share one');
  });

  test('the manifest round trips; clearCache drops days, users, page hashes and export digests', async (t) => {
    const p = cachePaths(join(await tempDir(t), 'h.csv'));
    assert.deepEqual(await loadManifest(p), { manifest: null, problem: null }, 'no cache yet: no manifest, no problem');
    const m: Manifest = {
      ...emptyManifest('key-1', 3),
      csvBytes: 12345,
      days: { '2026-03-18': { sessions: 4, users: 2 } },
      // By user name: a map without a prototype, so a user named "constructor" is not Object's.
      users: dict({
        'O\'Brien "x"': {
          first: '2026-03-18T08:00:00Z',
          last: '2026-03-18T09:00:00Z',
          sessions: 4,
          months: ['2026-03'],
        },
      }),
      tracked: { abc: '["2026-03-18","alice",null]' },
      recent: [['abc', '2026-03-18T08:00:00Z', '2026-03-18T09:00:00Z']],
      chart: { key: 'k', svg: '<svg xmlns="http://www.w3.org/2000/svg"><title>t</title></svg>' },
    };
    await saveManifest(p, m);
    assert.deepEqual(await loadManifest(p), { manifest: m, problem: null });
    await saveDay(p, '2026-03-18', [oddSession('a', 1)]);
    await saveUserTotals(p, 'alice', {});
    const hashes = new ShardedHashes(p.pages, pageShard);
    hashes.set('/', 'h1');
    await hashes.save();
    const digests = new ShardedHashes(p.exports, exportShard);
    digests.set('exports/openvpn-history_all_all.csv', 'd1');
    await digests.save();
    await clearCache(p);
    assert.deepEqual(await listDir(p.dir), ['manifest.json']);
    assert.deepEqual(await loadDay(p, '2026-03-18'), []);
    await clearCache(p); // twice is fine
  });

  test('shards: of page hashes a user, a month of days, the rest; of export digests a view owner, a month of days', () => {
    assert.equal(pageShard('/'), 'root');
    assert.equal(pageShard('/ended/p2/'), 'root');
    assert.equal(pageShard('/live/p3/'), 'root');
    assert.equal(pageShard('/d/2026-03-18/p2/'), 'd/2026-03');
    assert.equal(pageShard('/u/o-brien-x~12345678/m/2026-03/'), 'u/o-brien-x~12345678');
    assert.equal(pageShard('/u/alice/'), 'u/alice');
    assert.equal(exportShard('exports/days/openvpn-history_2026-03-18.xlsx'), 'days/2026-03');
    assert.equal(exportShard('exports/openvpn-history_all_active.xlsx'), 'views/all');
    assert.equal(exportShard('exports/openvpn-history_kaethe_neumann_ended.csv'), 'views/kaethe_neumann');
    assert.equal(exportShard('exports/openvpn-history_x_all_all.csv'), 'views/x_all', 'a user named x_all');
    assert.equal(
      exportShard('exports/openvpn-history_O-Brien-x~0123456789ab_all.xlsx'),
      'views/O-Brien-x~0123456789ab',
    );
    assert.equal(exportShard('exports/left-by-an-admin.csv'), 'other');
    assert.equal(exportShard('exports/openvpn-history_../x_all.csv'), 'other', 'never a path out of the shard folder');
  });

  test('sharded hashes: read on first use, only changed shards written, an emptied one removed', async (t) => {
    const p = cachePaths(join(await tempDir(t), 'h.csv'));
    const a = new ShardedHashes(p.pages, pageShard);
    assert.equal(a.get('/'), undefined, 'no cache yet: no hashes');
    const first: [string, string][] = [
      ['/', 'h1'],
      ['/d/2026-03-18/', 'h2'],
      ['/d/2026-03-19/p2/', 'h3'],
      ['/u/alice/', 'h4'],
      ['/u/alice/m/2026-03/', 'h5'],
      ['/u/bob/', 'h6'],
    ];
    for (const [url, h] of first) a.set(url, h);
    await a.save();
    assert.deepEqual(await listDir(p.pages), ['d', 'root.json', 'u']);
    assert.deepEqual(await listDir(join(p.pages, 'u')), ['alice.json', 'bob.json']);
    assert.deepEqual(JSON.parse(await readFile(join(p.pages, 'd', '2026-03.json'), 'utf8')), {
      '/d/2026-03-18/': 'h2',
      '/d/2026-03-19/p2/': 'h3',
    });

    const b = new ShardedHashes(p.pages, pageShard);
    assert.equal(b.get('/u/alice/m/2026-03/'), 'h5');
    assert.deepEqual(b.keysOf(['u/alice', 'root', 'u/alice']).sort(), ['/', '/u/alice/', '/u/alice/m/2026-03/']);
    // Only a changed shard is written again (root.json, altered behind its back, stays as it is).
    await writeFile(join(p.pages, 'root.json'), '{"/":"h1","/archive/":"hx"}');
    b.set('/u/alice/', 'h4'); // same hash: nothing changes
    b.set('/u/bob/', 'h7');
    b.delete('/d/2026-03-18/');
    b.delete('/d/2026-03-19/p2/');
    await b.save();
    assert.deepEqual(JSON.parse(await readFile(join(p.pages, 'u', 'bob.json'), 'utf8')), { '/u/bob/': 'h7' });
    assert.deepEqual(await listDir(join(p.pages, 'd')), [], 'an emptied shard is removed');
    assert.equal(
      await readFile(join(p.pages, 'root.json'), 'utf8'),
      '{"/":"h1","/archive/":"hx"}',
      'a shard not changed is not written',
    );
    assert.equal(new ShardedHashes(p.pages, pageShard).get('/archive/'), 'hx');
  });

  test('a damaged shard is a CacheError naming it (the build then starts over in full)', async (t) => {
    const p = cachePaths(join(await tempDir(t), 'h.csv'));
    await mkdir(join(p.pages, 'u'), { recursive: true });
    await writeFile(join(p.pages, 'u', 'alice.json'), '{"/u/alice/":');
    assert.throws(
      () => new ShardedHashes(p.pages, pageShard).get('/u/alice/'),
      (e: Error) => e.name === 'CacheError' && e.message.startsWith(join(p.pages, 'u', 'alice.json')),
    );
    await writeFile(join(p.pages, 'root.json'), '{"/":1}');
    assert.throws(() => new ShardedHashes(p.pages, pageShard).get('/'), /unexpected content/);
  });

  for (const [what, content] of [
    ['cut short', '{"schemaVersion":1,"key":"abc","gener'],
    ['not JSON at all', 'garbage\u0000\u0001'],
    ['empty', ''],
    ['null', 'null'],
    ['an array', '[1,2,3]'],
    ['another schema version', '{"schemaVersion":2,"key":"abc"}'],
  ] as const) {
    test(`a manifest that is ${what}: no manifest and a problem naming it, never a throw`, async (t) => {
      const p = cachePaths(join(await tempDir(t), 'h.csv'));
      await mkdir(p.dir, { recursive: true });
      await writeFile(p.manifest, content);
      const r = await loadManifest(p);
      assert.equal(r.manifest, null);
      assert.ok(r.problem?.startsWith(`${p.manifest}: `), `the problem names the file: ${r.problem}`);
      assert.match(r.problem ?? '', /rebuilding/);
    });
  }
});
