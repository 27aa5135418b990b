/**
 * The endpoint against what an adversarial review found (issue 17): parallel password
 * guesses, clients that change address within their IPv6 /64, forged Host headers (DNS
 * rebinding), control characters in logged text, a damaged password file, deeply nested
 * JSON and user names in another Unicode normal form. A real HTTP server on port 0 each.
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { DEFAULT_SCRYPT, setPassword } from '../../src/io/passwd.js';
import { attemptKey, DEFAULT_SLOWDOWN } from '../../src/server/api.js';
import {
  basic,
  FAST_SCRYPT,
  memoryLog,
  PASSWORD,
  send,
  siteSettings,
  startApi,
  USER,
  writePasswd,
} from '../helpers/api.js';
import { writeSyntheticSite } from '../helpers/site.js';
import { tempDir } from '../helpers/tmp.js';

const JSON_TYPE = { 'Content-Type': 'application/json' };

async function smallSite(t: Parameters<typeof tempDir>[0]) {
  const dir = await tempDir(t);
  const site = await writeSyntheticSite(dir, { sessions: 6, users: 2, spanDays: 1, live: 0 });
  return { dir, site };
}

describe('failed-login slowdown under parallel guesses', () => {
  test('100 parallel wrong passwords from one client: only the free attempts are checked, the rest refused with 429', {
    timeout: 60_000,
  }, async (t) => {
    const { dir, site } = await smallSite(t);
    const log = memoryLog();
    // The shipped scrypt cost: each check takes as long as it will in production.
    const passwd = join(dir, 'passwd');
    await setPassword(passwd, USER, PASSWORD, DEFAULT_SCRYPT);
    const { port } = await startApi(t, {
      settings: siteSettings(site.paths),
      log,
      passwd,
      api: { slowdown: DEFAULT_SLOWDOWN },
    });
    const guesses = Array.from({ length: 100 }, (_, i) =>
      send(port, {
        path: '/api/sessions/count',
        headers: { 'X-Real-IP': '198.51.100.7', Authorization: basic(USER, `guess-${i}`) },
      }),
    );
    const statuses = (await Promise.all(guesses)).map((r) => r.status);
    const by = (s: number) => statuses.filter((x) => x === s).length;
    assert.equal(by(401) + by(429), 100, `only 401 and 429: ${statuses.join(',')}`);
    // One request after the free failures is checked (and starts the wait), as one at a time would.
    assert.ok(
      by(401) <= DEFAULT_SLOWDOWN.free + 1,
      `at most ${DEFAULT_SLOWDOWN.free + 1} passwords checked, not ${by(401)}`,
    );
    const failed = log.lines.filter((l) => /failed login/.test(l)).length;
    assert.equal(failed, by(401), 'each checked guess is logged once');
    const next = await send(port, {
      path: '/api/sessions/count',
      headers: { 'X-Real-IP': '198.51.100.7', Authorization: basic(USER, PASSWORD) },
    });
    assert.equal(next.status, 429, 'the client waits, even with the right password');
    assert.equal(
      (
        await send(port, {
          path: '/api/sessions/count',
          headers: { 'X-Real-IP': '198.51.100.8', Authorization: basic(USER, PASSWORD) },
        })
      ).status,
      200,
      'another client is not affected',
    );
  });

  test('parallel requests with the right password all pass: they wait for each other, not for the slowdown', async (t) => {
    const { dir, site } = await smallSite(t);
    const { port } = await startApi(t, {
      settings: siteSettings(site.paths),
      log: memoryLog(),
      passwd: await writePasswd(dir),
      api: { slowdown: DEFAULT_SLOWDOWN },
    });
    const replies = await Promise.all(
      Array.from({ length: 30 }, () =>
        send(port, { path: '/api/sessions/count', headers: { Authorization: basic(USER, PASSWORD) } }),
      ),
    );
    assert.deepEqual(
      replies.map((r) => r.status),
      replies.map(() => 200),
    );
  });

  test('clients are counted per IPv4 address (IPv4-mapped IPv6 too) and per IPv6 /64', async (t) => {
    const { dir, site } = await smallSite(t);
    const { port } = await startApi(t, {
      settings: siteSettings(site.paths),
      log: memoryLog(),
      passwd: await writePasswd(dir),
      api: { slowdown: { free: 0, baseMs: 60_000, maxMs: 60_000, forgetMs: 60_000, maxClients: 100 } },
    });
    const count = (client: string, password: string) =>
      send(port, {
        path: '/api/sessions/count',
        headers: { 'X-Real-IP': client, Authorization: basic(USER, password) },
      });
    assert.equal((await count('2001:db8:1:2::1', 'wrong')).status, 401);
    assert.equal(
      (await count('2001:db8:1:2:ffff:ffff:ffff:9', PASSWORD)).status,
      429,
      'another address of the same /64 waits',
    );
    assert.equal(
      (await count('2001:DB8:1:2:0:0:0:77', PASSWORD)).status,
      429,
      'written differently, still the same /64',
    );
    assert.equal((await count('2001:db8:1:3::1', PASSWORD)).status, 200, 'the next /64 is another client');
    assert.equal((await count('::ffff:198.51.100.9', 'wrong')).status, 401);
    assert.equal((await count('198.51.100.9', PASSWORD)).status, 429, 'an IPv4-mapped address is the IPv4 address');
    assert.equal((await count('198.51.100.10', PASSWORD)).status, 200, 'IPv4 addresses are counted one by one');
  });

  test('attemptKey', () => {
    assert.equal(attemptKey('198.51.100.1'), '198.51.100.1');
    assert.equal(attemptKey('::ffff:198.51.100.1'), '198.51.100.1');
    assert.equal(attemptKey('::ffff:c633:6401'), '198.51.100.1');
    assert.equal(attemptKey('2001:db8::1'), '2001:db8:0:0::/64');
    assert.equal(attemptKey('2001:0db8:0000:0000:abcd::1'), '2001:db8:0:0::/64');
    assert.equal(attemptKey('fe80::1%eth0'), 'fe80:0:0:0::/64');
    assert.equal(attemptKey('::1'), '0:0:0:0::/64');
    assert.equal(attemptKey('unknown'), 'unknown');
  });
});

describe('Host header (DNS rebinding)', () => {
  test('a forged Host is refused with 421 before anything else, a POST with a matching Origin too', async (t) => {
    const { site } = await smallSite(t);
    const { port } = await startApi(t, {
      settings: siteSettings(site.paths),
      log: memoryLog(),
      passwd: null,
      publicOrigin: 'https://vpn.example.org',
    });
    const before = await readFile(site.paths.history);
    const evil = `rebind.attacker.example:${port}`;
    const health = await send(port, { path: '/api/health', headers: { Host: evil } });
    assert.equal(health.status, 421, health.text);
    assert.match(String(health.json?.error), /host/i);
    assert.equal((await send(port, { path: '/api/sessions/count', headers: { Host: evil } })).status, 421);
    const clear = await send(port, {
      method: 'POST',
      path: '/api/sessions/clear',
      headers: { ...JSON_TYPE, Host: evil, Origin: `http://${evil}` },
      body: { confirm: 'DELETE ALL', expectedCount: 6 },
    });
    assert.equal(clear.status, 421, clear.text);
    assert.deepEqual(await readFile(site.paths.history), before, 'nothing was deleted');
    for (const host of [
      `127.0.0.1:${port}`,
      `localhost:${port}`,
      `[::1]:${port}`,
      'vpn.example.org',
      'VPN.example.org',
    ]) {
      assert.equal((await send(port, { path: '/api/sessions/count', headers: { Host: host } })).status, 200, host);
    }
    for (const host of [
      'vpn.example.org.attacker.example',
      'vpn.example.org:8443',
      'localhost.attacker.example',
      'localhost:80:80',
    ]) {
      assert.equal(
        (await send(port, { path: '/api/health', headers: { Host: host } })).status,
        421,
        JSON.stringify(host),
      );
    }
  });

  test('with a list of hosts (the demo), only those', async (t) => {
    const { site } = await smallSite(t);
    const { port } = await startApi(t, {
      settings: siteSettings(site.paths),
      log: memoryLog(),
      passwd: null,
      api: { hosts: ['127.0.0.1:8050', 'localhost:8050'] },
    });
    assert.equal((await send(port, { path: '/api/health', headers: { Host: 'localhost:8050' } })).status, 200);
    assert.equal((await send(port, { path: '/api/health', headers: { Host: '127.0.0.1:8050' } })).status, 200);
    assert.equal((await send(port, { path: '/api/health', headers: { Host: '127.0.0.1:8051' } })).status, 421);
  });
});

describe('what is logged', () => {
  test('control characters in a user name or URL never reach the log raw: no forged line, no terminal escape', async (t) => {
    const { dir, site } = await smallSite(t);
    const log = memoryLog();
    const { port } = await startApi(t, { settings: siteSettings(site.paths), log, passwd: await writePasswd(dir) });
    const forged = 'x"\nforged delete by admin\r\u001b[2J\u0085\u2028\u009b31m\u007f';
    const r = await send(port, { path: '/api/sessions/count', headers: { Authorization: basic(forged, 'pw') } });
    assert.equal(r.status, 401);
    const line = log.lines.find((l) => l.includes('failed login'));
    assert.ok(line !== undefined, log.lines.join('\n'));
    for (const l of log.lines)
      assert.doesNotMatch(
        l,
        /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/,
        `raw control character in ${JSON.stringify(l)}`,
      );
    assert.match(line, /x"\\nforged delete by admin/, 'the newline is shown escaped');
    assert.match(line, /\\r\\x1b\[2J\\u0085\\u2028\\u009b31m\\x7f/, 'CR, ESC, C1, U+2028 and DEL escaped');
  });
});

describe('a damaged password file', () => {
  test('answers 500 without naming the file, logged once per version of the file', async (t) => {
    const { dir, site } = await smallSite(t);
    const log = memoryLog();
    const passwd = await writePasswd(dir);
    const good = await readFile(passwd, 'utf8');
    await writeFile(passwd, `${good}bob:not-a-hash\n`);
    const { port } = await startApi(t, { settings: siteSettings(site.paths), log, passwd });
    const ask = (password: string) =>
      send(port, { path: '/api/sessions/count', headers: { Authorization: basic(USER, password) } });
    for (const pw of [PASSWORD, 'wrong', PASSWORD]) {
      const r = await ask(pw);
      assert.equal(r.status, 500, r.text);
      assert.doesNotMatch(r.text, /passwd|not-a-hash|:2/, `no detail for an anonymous client: ${r.text}`);
    }
    const reports = () => log.lines.filter((l) => l.includes(`${passwd}:2`));
    assert.equal(reports().length, 1, `reported once, naming file and line: ${log.lines.join('\n')}`);
    await writeFile(passwd, `${good}bob:still-not-a-hash\n`);
    assert.equal((await ask(PASSWORD)).status, 500);
    assert.equal((await ask(PASSWORD)).status, 500);
    assert.equal(reports().length, 2, 'a new version of the file is reported again');
    await writeFile(passwd, good);
    assert.equal((await ask(PASSWORD)).status, 200, 'repaired: works at once');
  });
});

describe('request bodies', () => {
  test('JSON nested 10,000 deep is a 400, not a 500', async (t) => {
    const { site } = await smallSite(t);
    const log = memoryLog();
    const { port, origin } = await startApi(t, { settings: siteSettings(site.paths), log, passwd: null });
    const deep = `{"ids":[${'['.repeat(10_000)}${']'.repeat(10_000)}]}`;
    const r = await send(port, {
      method: 'POST',
      path: '/api/sessions/delete',
      headers: { ...JSON_TYPE, Origin: origin },
      body: deep,
    });
    assert.equal(r.status, 400, r.text);
    assert.match(String(r.json?.error), /nested/);
    assert.ok(!log.lines.some((l) => /RangeError/.test(l)), log.lines.join('\n'));
  });
});

describe('user names in another Unicode normal form', () => {
  test('a user added in NFD logs in with NFC and NFD', async (t) => {
    const { dir, site } = await smallSite(t);
    const passwd = join(dir, 'passwd');
    const nfd = 'Ju\u0308rgen';
    await setPassword(passwd, nfd, PASSWORD, FAST_SCRYPT);
    assert.match(await readFile(passwd, 'utf8'), /^J\u00fcrgen:/, 'stored in NFC');
    const { port } = await startApi(t, { settings: siteSettings(site.paths), log: memoryLog(), passwd });
    for (const name of [nfd, 'J\u00fcrgen']) {
      const r = await send(port, { path: '/api/sessions/count', headers: { Authorization: basic(name, PASSWORD) } });
      assert.equal(r.status, 200, `${JSON.stringify(name)}: ${r.text}`);
    }
  });
});
