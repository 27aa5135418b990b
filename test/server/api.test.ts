/**
 * The delete endpoint (src/server/api.ts + src/app/history-edit.ts) on a real HTTP server on
 * port 0, over a synthetic history on disk: every attack is refused and leaves the history
 * byte-identical; delete, clear and restore do what they say, log it, and rebuild the pages
 * before they answer.
 */
import assert from 'node:assert/strict';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { buildLocked } from '../../src/app/build.js';
import { historyPaths, readAllHistory, readState } from '../../src/io/history-store.js';
import { acquireLock } from '../../src/io/lock.js';
import { appendTrash, readAudit, readTrash, trashPaths } from '../../src/io/trash.js';
import { crossSiteProblem, FailedAttempts, parseBasicAuth } from '../../src/server/api.js';
import {
  basic,
  memoryLog,
  PASSWORD,
  send,
  siteSettings,
  startApi,
  USER,
  writePasswd,
  type Reply,
} from '../helpers/api.js';
import { listFiles, T0, writeSyntheticSite, type SyntheticSite } from '../helpers/site.js';
import { tempDir } from '../helpers/tmp.js';

const AUTH = { Authorization: basic(USER, PASSWORD) };
const JSON_TYPE = { 'Content-Type': 'application/json' };

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

function expectRefusal(r: Reply, status: number, re?: RegExp): void {
  assert.equal(r.status, status, `expected ${status}, got ${r.status}: ${r.text}`);
  assert.equal(r.headers['content-type'], 'application/json; charset=utf-8');
  assert.equal(r.headers['cache-control'], 'no-store');
  assert.equal(typeof r.json?.error, 'string', `an error message: ${r.text}`);
  if (re) assert.match(String(r.json?.error), re);
}

/** Which session ids the published HTML shows (data-session-id on history rows). */
async function idsOnPages(out: string): Promise<Set<string>> {
  const ids = new Set<string>();
  for (const rel of await listFiles(out, '.html')) {
    for (const m of (await readFile(join(out, rel), 'utf8')).matchAll(/data-session-id="([^"]+)"/g))
      ids.add(m[1] as string);
  }
  return ids;
}

describe('attacks: each refused, the history byte-identical afterwards', () => {
  let site: SyntheticSite;
  let port: number;
  let origin: string;
  let csv: Buffer;
  let state: Buffer;
  let endedIds: string[];
  let liveId: string;

  test('setup and the full list of attacks', async (t) => {
    const dir = await tempDir(t);
    site = await writeSyntheticSite(dir, { sessions: 40, users: 4, spanDays: 3, live: 2 });
    const log = memoryLog();
    const passwd = await writePasswd(dir);
    ({ port, origin } = await startApi(t, {
      settings: siteSettings(site.paths),
      log,
      passwd,
      ops: {
        rebuild: () => {
          throw new Error('an attack must never get as far as a rebuild');
        },
      },
      // Far more attempts than the suite makes: the slowdown has its own test.
      api: { slowdown: { free: 1000, baseMs: 1, maxMs: 1, forgetMs: 60_000, maxClients: 10 } },
    }));
    csv = await readFile(site.paths.history);
    state = await readFile(site.paths.state);
    endedIds = site.history.map((s) => s.id);
    liveId = site.state.tracked[0]!.id;
    const good = { ids: [endedIds[0]] };
    const post = (
      path: string,
      headers: Record<string, string>,
      body?: string | object,
      extra: { chunked?: boolean } = {},
    ) => send(port, { method: 'POST', path, headers, ...(body === undefined ? {} : { body }), ...extra });
    const same = { Origin: origin };

    const attacks: [string, () => Promise<Reply>, number, RegExp?][] = [
      [
        'no credentials',
        () => post('/api/sessions/delete', { ...same, ...JSON_TYPE }, good),
        401,
        /authentication required/,
      ],
      [
        'wrong password',
        () => post('/api/sessions/delete', { ...same, ...JSON_TYPE, Authorization: basic(USER, 'wrong') }, good),
        401,
        /wrong user or password/,
      ],
      [
        'unknown user',
        () => post('/api/sessions/delete', { ...same, ...JSON_TYPE, Authorization: basic('mallory', PASSWORD) }, good),
        401,
      ],
      [
        'password with a different case',
        () =>
          post(
            '/api/sessions/delete',
            { ...same, ...JSON_TYPE, Authorization: basic(USER, PASSWORD.toUpperCase()) },
            good,
          ),
        401,
      ],
      [
        'malformed Authorization',
        () => post('/api/sessions/delete', { ...same, ...JSON_TYPE, Authorization: 'Basic !!!' }, good),
        401,
      ],
      [
        'Bearer instead of Basic',
        () => post('/api/sessions/delete', { ...same, ...JSON_TYPE, Authorization: 'Bearer abc' }, good),
        401,
      ],
      [
        'cross-origin Origin',
        () => post('/api/sessions/delete', { ...AUTH, ...JSON_TYPE, Origin: 'https://evil.example' }, good),
        403,
        /origin https:\/\/evil\.example/,
      ],
      [
        'Origin null (sandboxed frame)',
        () => post('/api/sessions/delete', { ...AUTH, ...JSON_TYPE, Origin: 'null' }, good),
        403,
      ],
      [
        'same host, other port',
        () => post('/api/sessions/delete', { ...AUTH, ...JSON_TYPE, Origin: 'http://127.0.0.1:1' }, good),
        403,
      ],
      [
        'Sec-Fetch-Site cross-site without Origin',
        () => post('/api/sessions/delete', { ...AUTH, ...JSON_TYPE, 'Sec-Fetch-Site': 'cross-site' }, good),
        403,
      ],
      [
        'Sec-Fetch-Site same-site without Origin',
        () => post('/api/sessions/delete', { ...AUTH, ...JSON_TYPE, 'Sec-Fetch-Site': 'same-site' }, good),
        403,
      ],
      [
        'cross-origin clear',
        () =>
          post(
            '/api/sessions/clear',
            { ...AUTH, ...JSON_TYPE, Origin: 'https://evil.example' },
            { confirm: 'DELETE ALL', expectedCount: 40 },
          ),
        403,
      ],
      [
        'form-encoded body',
        () =>
          post(
            '/api/sessions/delete',
            { ...same, ...AUTH, 'Content-Type': 'application/x-www-form-urlencoded' },
            `ids=${endedIds[0]}`,
          ),
        415,
      ],
      [
        'text/plain JSON (what a form can send)',
        () => post('/api/sessions/delete', { ...same, ...AUTH, 'Content-Type': 'text/plain' }, JSON.stringify(good)),
        415,
      ],
      [
        'multipart form',
        () =>
          post(
            '/api/sessions/delete',
            { ...same, ...AUTH, 'Content-Type': 'multipart/form-data; boundary=x' },
            '--x\r\n\r\n--x--',
          ),
        415,
      ],
      ['no content type', () => post('/api/sessions/delete', { ...same, ...AUTH }, JSON.stringify(good)), 415],
      [
        'JSON in Latin-1',
        () =>
          post(
            '/api/sessions/delete',
            { ...same, ...AUTH, 'Content-Type': 'application/json; charset=iso-8859-1' },
            good,
          ),
        415,
      ],
      [
        'oversized body',
        () =>
          post(
            '/api/sessions/delete',
            { ...same, ...AUTH, ...JSON_TYPE },
            { ids: endedIds.slice(0, 1), pad: 'x'.repeat(70_000) },
          ),
        413,
      ],
      [
        'oversized body, chunked',
        () =>
          post(
            '/api/sessions/delete',
            { ...same, ...AUTH, ...JSON_TYPE },
            { ids: endedIds.slice(0, 1), pad: 'x'.repeat(70_000) },
            { chunked: true },
          ),
        413,
      ],
      [
        'malformed JSON',
        () => post('/api/sessions/delete', { ...same, ...AUTH, ...JSON_TYPE }, '{"ids": ["a"'),
        400,
        /not valid JSON/,
      ],
      [
        'JSON list instead of object',
        () => post('/api/sessions/delete', { ...same, ...AUTH, ...JSON_TYPE }, endedIds.slice(0, 2)),
        400,
      ],
      [
        'ids with path characters',
        () => post('/api/sessions/delete', { ...same, ...AUTH, ...JSON_TYPE }, { ids: ['../../etc/passwd'] }),
        400,
        /not a session id/,
      ],
      [
        'ids with a slash',
        () => post('/api/sessions/restore', { ...same, ...AUTH, ...JSON_TYPE }, { ids: ['a/b'] }),
        400,
      ],
      [
        'ids with a NUL',
        () => post('/api/sessions/delete', { ...same, ...AUTH, ...JSON_TYPE }, { ids: ['a\u0000'] }),
        400,
      ],
      [
        '__proto__ body',
        () => post('/api/sessions/delete', { ...same, ...AUTH, ...JSON_TYPE }, '{"__proto__": {"ids": ["x"]}}'),
        400,
      ],
      ['empty POST to clear', () => post('/api/sessions/clear', { ...same, ...AUTH }), 415],
      ['empty JSON POST to clear', () => post('/api/sessions/clear', { ...same, ...AUTH, ...JSON_TYPE }, ''), 400],
      [
        'clear without confirmation',
        () => post('/api/sessions/clear', { ...same, ...AUTH, ...JSON_TYPE }, { expectedCount: 40 }),
        400,
        /DELETE ALL/,
      ],
      [
        'clear without count',
        () => post('/api/sessions/clear', { ...same, ...AUTH, ...JSON_TYPE }, { confirm: 'DELETE ALL' }),
        400,
        /expectedCount/,
      ],
      [
        'clear with a wrong count',
        () =>
          post('/api/sessions/clear', { ...same, ...AUTH, ...JSON_TYPE }, { confirm: 'DELETE ALL', expectedCount: 39 }),
        409,
        /holds 40 ended/,
      ],
      [
        'clear without auth',
        () => post('/api/sessions/clear', { ...same, ...JSON_TYPE }, { confirm: 'DELETE ALL', expectedCount: 40 }),
        401,
      ],
      [
        'unknown id',
        () => post('/api/sessions/delete', { ...same, ...AUTH, ...JSON_TYPE }, { ids: [endedIds[1], 'deadbeef0000'] }),
        404,
        /deadbeef0000/,
      ],
      [
        'live session',
        () => post('/api/sessions/delete', { ...same, ...AUTH, ...JSON_TYPE }, { ids: [endedIds[1], liveId] }),
        409,
        /still connected.*reappear/,
      ],
      [
        'restore of something never deleted',
        () => post('/api/sessions/restore', { ...same, ...AUTH, ...JSON_TYPE }, { ids: [endedIds[1]] }),
        404,
        /not in the trash/,
      ],
      ['GET on delete', () => send(port, { path: '/api/sessions/delete', headers: AUTH }), 405],
      [
        'PUT on delete',
        () =>
          send(port, { method: 'PUT', path: '/api/sessions/delete', headers: { ...AUTH, ...JSON_TYPE }, body: good }),
        405,
      ],
      ['DELETE on clear', () => send(port, { method: 'DELETE', path: '/api/sessions/clear', headers: AUTH }), 405],
      [
        'CORS preflight',
        () =>
          send(port, {
            method: 'OPTIONS',
            path: '/api/sessions/delete',
            headers: { Origin: 'https://evil.example', 'Access-Control-Request-Method': 'POST' },
          }),
        405,
      ],
      ['trailing slash', () => post('/api/sessions/delete/', { ...same, ...AUTH, ...JSON_TYPE }, good), 404],
      [
        'dot segments',
        () => post('/api/x/../sessions/../../state.json', { ...same, ...AUTH, ...JSON_TYPE }, good),
        404,
      ],
      ['trash without auth', () => send(port, { path: '/api/trash' }), 401],
      ['count without auth', () => send(port, { path: '/api/sessions/count' }), 401],
      ['trash with a bad limit', () => send(port, { path: '/api/trash?limit=-1', headers: AUTH }), 400],
    ];
    for (const [name, attack, status, re] of attacks) {
      const r = await attack();
      expectRefusal(r, status, re);
      if (status === 401)
        assert.match(String(r.headers['www-authenticate']), /^Basic realm="openvpn-status-web"/, name);
      if (status === 405) assert.ok(r.headers.allow, `${name}: Allow names the method`);
      assert.equal(r.headers['access-control-allow-origin'], undefined, `${name}: no CORS`);
      assert.deepEqual(await readFile(site.paths.history), csv, `${name}: history unchanged`);
      assert.deepEqual(await readFile(site.paths.state), state, `${name}: state unchanged`);
    }
    const tp = trashPaths(site.paths.history);
    await assert.rejects(stat(tp.trash), /ENOENT/, 'no trash was written');
    await assert.rejects(stat(tp.audit), /ENOENT/, 'no audit line was written');
    assert.ok(
      log.lines.some((l) => /failed login as "alice" from 127\.0\.0\.1/.test(l)),
      `failed logins are reported: ${log.lines.join('\n')}`,
    );
    assert.ok(!log.lines.some((l) => l.includes(PASSWORD)), 'no password in the log');
  });
});

describe('failed logins slow a client down', () => {
  test('after the free attempts a client must wait, even with the right password; others are not affected', async (t) => {
    const dir = await tempDir(t);
    const site = await writeSyntheticSite(dir, { sessions: 5, users: 2, spanDays: 1, live: 0 });
    const { port } = await startApi(t, {
      settings: siteSettings(site.paths),
      log: memoryLog(),
      passwd: await writePasswd(dir),
      api: { slowdown: { free: 2, baseMs: 400, maxMs: 5000, forgetMs: 60_000, maxClients: 100 } },
    });
    // Behind nginx (a loopback peer) the client is X-Real-IP.
    const count = (client: string, password: string | null) =>
      send(port, {
        path: '/api/sessions/count',
        headers: { 'X-Real-IP': client, ...(password === null ? {} : { Authorization: basic(USER, password) }) },
      });
    for (let i = 0; i < 5; i++)
      assert.equal((await count('198.51.100.1', null)).status, 401, 'asking without credentials is not a failure');
    assert.equal((await count('198.51.100.1', 'x')).status, 401);
    assert.equal((await count('198.51.100.1', 'y')).status, 401);
    assert.equal((await count('198.51.100.1', 'z')).status, 401, 'the third failure starts the slowdown');
    const slowed = await count('198.51.100.1', PASSWORD);
    expectRefusal(slowed, 429, /too many failed logins/);
    assert.equal(slowed.headers['retry-after'], '1');
    assert.equal((await count('198.51.100.2', PASSWORD)).status, 200, 'another client logs in at once');
    await new Promise((r) => setTimeout(r, 450));
    const ok = await count('198.51.100.1', PASSWORD);
    assert.equal(ok.status, 200, ok.text);
    assert.deepEqual(ok.json, { count: 5 });
    assert.equal((await count('198.51.100.1', 'w')).status, 401, 'a success forgives the earlier failures');
  });

  test('the wait doubles with each failure, up to the maximum, and is forgotten after a while', () => {
    let now = 0;
    const a = new FailedAttempts({ free: 1, baseMs: 100, maxMs: 350, forgetMs: 10_000, maxClients: 2 }, () => now);
    a.fail('c');
    assert.equal(a.waitMs('c'), 0, 'one free failure');
    a.fail('c');
    assert.equal(a.waitMs('c'), 100);
    a.fail('c');
    assert.equal(a.waitMs('c'), 200);
    a.fail('c');
    assert.equal(a.waitMs('c'), 350, 'capped');
    now = 300;
    assert.equal(a.waitMs('c'), 50);
    now = 20_000;
    assert.equal(a.waitMs('c'), 0, 'forgotten');
    // Bounded memory: the oldest clients are forgotten first.
    for (const c of ['x', 'y', 'z']) {
      a.fail(c);
      a.fail(c);
    }
    assert.equal(a.waitMs('x'), 0, 'x was pushed out');
    assert.equal(a.waitMs('z'), 100);
  });
});

describe('delete, trash, restore and clear', () => {
  test('each change is done once, rebuilt before the answer, trashed, audited and undoable', async (t) => {
    const dir = await tempDir(t);
    const site = await writeSyntheticSite(dir, { sessions: 60, users: 4, spanDays: 3, live: 2 });
    const settings = siteSettings(site.paths);
    const log = memoryLog();
    await buildLocked(settings, T0, log);
    const api = await startApi(t, {
      settings,
      log,
      passwd: await writePasswd(dir),
      publicOrigin: 'https://vpn.example.org',
      ops: { now: () => T0 },
    });
    const original = await readFile(site.paths.history);
    const tp = trashPaths(site.paths.history);
    const post = (path: string, body: object, origin = api.origin) =>
      send(api.port, {
        method: 'POST',
        path,
        headers: { ...AUTH, ...JSON_TYPE, Origin: origin, 'X-Real-IP': '203.0.113.5' },
        body,
      });
    const all = site.history.map((s) => s.id);
    assert.ok(
      [...(await idsOnPages(site.paths.out))].filter((id) => all.includes(id)).length === all.length,
      'every ended session is on some page',
    );

    const health = await send(api.port, { path: '/api/health' });
    assert.equal(health.status, 200);
    assert.deepEqual(health.json, { ok: true });
    assert.equal(health.headers['content-type'], 'application/json; charset=utf-8');
    assert.match(String(health.headers['content-security-policy']), /default-src 'self'/);
    assert.equal(health.headers['x-content-type-options'], 'nosniff');
    assert.deepEqual((await send(api.port, { path: '/api/sessions/count', headers: AUTH })).json, { count: 60 });

    // Delete three (one twice in the list), from the public origin.
    const gone = [all[3]!, all[17]!, all[42]!];
    const del = await post('/api/sessions/delete', { ids: [...gone, gone[0]] }, 'https://vpn.example.org');
    assert.equal(del.status, 200, del.text);
    assert.deepEqual(del.json, { ok: true, count: 3, ids: gone, rebuilt: true });
    const left = await readAllHistory(site.paths.history);
    assert.deepEqual(
      left.map((s) => s.id),
      all.filter((id) => !gone.includes(id)),
    );
    const st = await readState(site.paths.state);
    assert.equal(st.historyGeneration, site.state.historyGeneration + 1, 'generation bumped');
    assert.deepEqual(
      st.rewrites.at(-1)?.removed?.map((r) => r.id),
      all.filter((id) => gone.includes(id)),
      'the rewrite is journaled, so the build updates only the days and users it touched',
    );
    assert.equal(st.historyBytes, (await stat(site.paths.history)).size, 'the state knows the new size');
    assert.deepEqual(st.tracked, site.state.tracked, 'live sessions untouched');
    const onPages = await idsOnPages(site.paths.out);
    for (const id of gone) assert.ok(!onPages.has(id), `${id} is gone from the pages when the answer comes`);
    const trash = await collect(readTrash(tp.trash));
    assert.deepEqual(
      trash.map((e) => [e.session, e.deletedBy, e.deletedAt]),
      // A session recorded without a country reads back with country null.
      site.history.filter((s) => gone.includes(s.id)).map((s) => [{ ...s, country: s.country ?? null }, USER, T0]),
    );
    const listing = await send(api.port, { path: '/api/trash?limit=2', headers: AUTH });
    assert.equal(listing.json?.total, 3);
    assert.deepEqual(
      ((listing.json?.entries ?? []) as { id: string; deletedBy: string }[]).map((e) => [e.id, e.deletedBy]),
      [
        [all[42], USER],
        [all[17], USER],
      ],
      'newest first',
    );

    // Restore brings the rows back exactly.
    const back = await post('/api/sessions/restore', { ids: gone });
    assert.equal(back.status, 200, back.text);
    assert.deepEqual(await readFile(site.paths.history), original, 'byte-identical to before the delete');
    assert.deepEqual(await collect(readTrash(tp.trash)), [], 'the trash is empty again');
    for (const id of gone) assert.ok((await idsOnPages(site.paths.out)).has(id), `${id} is back on the pages`);
    expectRefusal(await post('/api/sessions/restore', { ids: [gone[0]!] }), 404, /not in the trash/);

    // Clear: the count must match; live sessions stay.
    expectRefusal(await post('/api/sessions/clear', { confirm: 'DELETE ALL', expectedCount: 59 }), 409, /holds 60/);
    const clear = await post('/api/sessions/clear', { confirm: 'DELETE ALL', expectedCount: 60 });
    assert.equal(clear.status, 200, clear.text);
    assert.equal(clear.json?.count, 60);
    assert.deepEqual(await readAllHistory(site.paths.history), []);
    assert.deepEqual((await readState(site.paths.state)).tracked, site.state.tracked, 'live sessions stay');
    assert.equal((await collect(readTrash(tp.trash))).length, 60);
    const pagesAfterClear = await idsOnPages(site.paths.out);
    assert.deepEqual(
      all.filter((id) => pagesAfterClear.has(id)),
      [],
      'no ended session on any page',
    );
    assert.deepEqual((await send(api.port, { path: '/api/sessions/count', headers: AUTH })).json, { count: 0 });
    const restoreAll = await post('/api/sessions/restore', { ids: all });
    assert.equal(restoreAll.status, 200, restoreAll.text);
    assert.deepEqual(await readFile(site.paths.history), original, 'the whole history is back, byte for byte');

    const audit = await readAudit(tp.audit);
    assert.deepEqual(
      audit.map((a) => [a.action, a.user, a.client, a.count, a.at]),
      [
        ['delete', USER, '203.0.113.5', 3, T0],
        ['restore', USER, '203.0.113.5', 3, T0],
        ['clear', USER, '203.0.113.5', 60, T0],
        ['restore', USER, '203.0.113.5', 60, T0],
      ],
      'every change, and only changes, in the audit log',
    );
    assert.deepEqual(audit[0]!.ids, gone);
    assert.deepEqual(new Set(audit[2]!.ids), new Set(all));
  });

  test('without a password file (the demo) no credentials are asked for; the audit names no user', async (t) => {
    const dir = await tempDir(t);
    const site = await writeSyntheticSite(dir, { sessions: 6, users: 2, spanDays: 1, live: 1 });
    const settings = siteSettings(site.paths);
    const log = memoryLog();
    await buildLocked(settings, T0, log);
    const api = await startApi(t, { settings, log, passwd: null });
    const r = await send(api.port, {
      method: 'POST',
      path: '/api/sessions/delete',
      headers: { ...JSON_TYPE, Origin: api.origin },
      body: { ids: [site.history[0]!.id] },
    });
    assert.equal(r.status, 200, r.text);
    // The cross-site check still holds.
    expectRefusal(
      await send(api.port, {
        method: 'POST',
        path: '/api/sessions/delete',
        headers: { ...JSON_TYPE, Origin: 'https://evil.example' },
        body: { ids: [site.history[1]!.id] },
      }),
      403,
    );
    const audit = await readAudit(trashPaths(site.paths.history).audit);
    assert.deepEqual(
      audit.map((a) => [a.action, a.user, a.count]),
      [['delete', null, 1]],
    );
    assert.equal((await readAllHistory(site.paths.history)).length, 5);
  });

  test('while another process holds the history lock: 503 with a retry hint, the history untouched', async (t) => {
    const dir = await tempDir(t);
    const site = await writeSyntheticSite(dir, { sessions: 6, users: 2, spanDays: 1, live: 1 });
    const settings = siteSettings(site.paths, { lockTimeout: 0 });
    const log = memoryLog();
    const api = await startApi(t, { settings, log, passwd: null });
    const csv = await readFile(site.paths.history);
    const held = await acquireLock(historyPaths(site.paths.history).lock, 0);
    try {
      const count = await send(api.port, { path: '/api/sessions/count' });
      expectRefusal(count, 503, /^the history is locked by another run; try again in a minute$/);
      const del = await send(api.port, {
        method: 'POST',
        path: '/api/sessions/delete',
        headers: { ...JSON_TYPE, Origin: api.origin },
        body: { ids: [site.history[0]!.id] },
      });
      expectRefusal(del, 503, /^the history is locked by another run; try again in a minute$/);
      assert.deepEqual(del.json, { error: 'the history is locked by another run; try again in a minute' });
    } finally {
      await held.release();
    }
    assert.deepEqual(await readFile(site.paths.history), csv);
    assert.match(log.lines.join('\n'), /warning: delete skipped: the history is locked by /);
    assert.deepEqual((await send(api.port, { path: '/api/sessions/count' })).json, { count: 6 });
  });
});

describe('request checks', () => {
  test('crossSiteProblem: same host or the public origin; browsers without Origin by Sec-Fetch-Site; scripts pass', () => {
    const host = 'vpn.example.org';
    assert.equal(crossSiteProblem({ host, origin: 'https://vpn.example.org' }, null), null);
    assert.equal(crossSiteProblem({ host, origin: 'http://vpn.example.org' }, null), null);
    assert.equal(
      crossSiteProblem({ host: '127.0.0.1:8051', origin: 'https://vpn.example.org' }, 'https://vpn.example.org'),
      null,
      'behind a proxy that rewrites Host',
    );
    assert.match(
      String(crossSiteProblem({ host, origin: 'https://vpn.example.org.evil.example' }, null)),
      /not accepted/,
    );
    assert.match(
      String(crossSiteProblem({ host, origin: 'https://evil.example' }, 'https://vpn.example.org')),
      /not accepted/,
    );
    assert.match(String(crossSiteProblem({ host, origin: 'null' }, null)), /not accepted/);
    assert.equal(crossSiteProblem({ host, 'sec-fetch-site': 'same-origin' }, null), null);
    assert.equal(crossSiteProblem({ host, 'sec-fetch-site': 'none' }, null), null, 'typed into the address bar');
    assert.match(String(crossSiteProblem({ host, 'sec-fetch-site': 'cross-site' }, null)), /cross-site/);
    assert.equal(crossSiteProblem({ host }, null), null, 'curl with the password: no browser, no forgery');
  });

  test('parseBasicAuth: the password may hold colons; anything else is null', () => {
    assert.deepEqual(parseBasicAuth(basic('alice', 'a:b:c')), { user: 'alice', password: 'a:b:c' });
    assert.deepEqual(parseBasicAuth(`basic  ${Buffer.from('ü:p').toString('base64')}`), { user: 'ü', password: 'p' });
    for (const bad of [
      undefined,
      '',
      'Basic',
      'Basic !!',
      `Basic ${Buffer.from('nocolon').toString('base64')}`,
      `Basic ${Buffer.from(':pw').toString('base64')}`,
      'Digest x',
    ]) {
      assert.equal(parseBasicAuth(bad), null, String(bad));
    }
  });
});

describe('after a crash', () => {
  test('rows left both in the trash and the CSV (killed between the two) are restored without duplicates', async (t) => {
    const dir = await tempDir(t);
    const site = await writeSyntheticSite(dir, { sessions: 10, users: 2, spanDays: 1, live: 0 });
    const settings = siteSettings(site.paths);
    const api = await startApi(t, { settings, log: memoryLog(), passwd: null });
    const original = await readFile(site.paths.history);
    const tp = trashPaths(site.paths.history);
    // What a delete killed after step 1 leaves: the rows in the trash, the CSV not yet replaced.
    await appendTrash(
      tp.trash,
      site.history.slice(0, 2).map((session) => ({ deletedAt: T0, deletedBy: 'alice', session })),
    );
    const r = await send(api.port, {
      method: 'POST',
      path: '/api/sessions/restore',
      headers: { ...JSON_TYPE, Origin: api.origin },
      body: { ids: site.history.slice(0, 2).map((s) => s.id) },
    });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json?.rebuilt, false, 'nothing to write back, nothing to rebuild');
    assert.deepEqual(await readFile(site.paths.history), original, 'no row twice');
    assert.deepEqual(await collect(readTrash(tp.trash)), []);
  });

  test('a damaged trash file: the restore is refused naming the file and line, the history untouched', async (t) => {
    const dir = await tempDir(t);
    const site = await writeSyntheticSite(dir, { sessions: 4, users: 1, spanDays: 1, live: 0 });
    const log = memoryLog();
    const api = await startApi(t, { settings: siteSettings(site.paths), log, passwd: null });
    const original = await readFile(site.paths.history);
    const tp = trashPaths(site.paths.history);
    await writeFile(tp.trash, 'garbage\n{}\n');
    const r = await send(api.port, {
      method: 'POST',
      path: '/api/sessions/restore',
      headers: { ...JSON_TYPE, Origin: api.origin },
      body: { ids: ['abc'] },
    });
    expectRefusal(r, 500, /openvpn-sessions\.csv\.trash\.jsonl:1: not a JSON line/);
    assert.deepEqual(await readFile(site.paths.history), original);
    assert.ok(
      log.lines.some((l) => l.includes('trash.jsonl:1')),
      'reported in the server log',
    );
  });
});
