/**
 * `serve` and `passwd` as an admin runs them: the compiled CLI, real files, a real HTTP
 * server on a port the system picks, a real terminal (pty) for the hidden password prompt.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmod, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { readAllHistory } from '../../src/io/history-store.js';
import { readPasswd, verifyUser } from '../../src/io/passwd.js';
import { readAudit, trashPaths } from '../../src/io/trash.js';
import { basic, send } from '../helpers/api.js';
import { CLI, ensureBuilt } from '../helpers/build.js';
import { runCli, spawnCli, waitForOutput } from '../helpers/cli.js';
import { siteArgs, T0, writeSyntheticSite } from '../helpers/site.js';
import { tempDir } from '../helpers/tmp.js';

const PW = 'längeres Passwort: 42!';

describe('passwd', () => {
  test('--password-stdin adds a user (file mode 0600), a second call changes the password', async (t) => {
    const dir = await tempDir(t);
    const file = join(dir, 'passwd');
    const added = await runCli(['passwd', file, 'alice', '--password-stdin'], { input: `${PW}\n` });
    assert.equal(added.code, 0, added.stderr);
    assert.match(added.stderr, /added alice/);
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    assert.ok(!(await readFile(file, 'utf8')).includes(PW), 'only the hash is stored');
    assert.equal(await verifyUser((await readPasswd(file))!, 'alice', PW), true);
    const changed = await runCli(['passwd', file, 'alice', '--password-stdin'], {
      input: 'new one\r\nignored second line\n',
    });
    assert.equal(changed.code, 0, changed.stderr);
    assert.match(changed.stderr, /changed the password of alice/);
    const users = (await readPasswd(file))!;
    assert.equal(users.size, 1);
    assert.equal(await verifyUser(users, 'alice', 'new one'), true);
    assert.equal(await verifyUser(users, 'alice', PW), false);
  });

  test('refuses a non-terminal stdin without --password-stdin, an empty password and a bad user name', async (t) => {
    const dir = await tempDir(t);
    const file = join(dir, 'passwd');
    const cases: [string[], string, RegExp][] = [
      [['passwd', file, 'alice'], 'pw\n', /not a terminal; pass --password-stdin/],
      [['passwd', file, 'alice', '--password-stdin'], '\n', /password is empty/],
      [['passwd', file, 'a:b', '--password-stdin'], 'pw\n', /must be 1–64 characters without ':'/],
      [['passwd', file, '#admin', '--password-stdin'], 'pw\n', /must not start with '#'/],
      [['passwd', file], 'pw\n', /expected FILE and USER/],
      [
        ['passwd', join(dir, 'no', 'such', 'passwd'), 'alice', '--password-stdin'],
        'pw\n',
        /folder of .* does not exist/,
      ],
    ];
    for (const [args, input, re] of cases) {
      const r = await runCli(args, { input });
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, re);
    }
    await assert.rejects(stat(file), /ENOENT/, 'no file was created');
  });

  test('on a terminal it asks twice and never shows the password', async (t) => {
    const python = spawnSync('python3', ['-c', 'import pty'], { encoding: 'utf8' });
    if (python.status !== 0) {
      t.skip('python3 with pty is not available');
      return;
    }
    ensureBuilt();
    const dir = await tempDir(t);
    const file = join(dir, 'passwd');
    // A pseudo-terminal: the child sees a TTY, types arrive as a person's would (Enter = CR).
    const script = `
import os, pty, sys
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], [sys.argv[1], sys.argv[2], 'passwd', sys.argv[3], 'bob'])
out = b''
def until(token):
    global out
    while token not in out:
        chunk = os.read(fd, 1024)
        if not chunk:
            raise SystemExit('EOF before ' + token.decode())
        out += chunk
until(b'Password for bob: ')
os.write(fd, b'pty-secret\\x7fT\\r')
until(b'Once more: ')
os.write(fd, b'pty-secreT\\r')
try:
    while True:
        chunk = os.read(fd, 1024)
        if not chunk:
            break
        out += chunk
except OSError:
    pass
_, status = os.waitpid(pid, 0)
sys.stdout.write(out.decode('utf8', 'replace'))
sys.exit(os.waitstatus_to_exitcode(status))
`;
    const r = spawnSync('python3', ['-c', script, process.execPath, CLI, file], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    assert.ok(!r.stdout.includes('secre'), `the password is never echoed:\n${r.stdout}`);
    assert.match(r.stdout, /added bob/);
    assert.equal(
      await verifyUser((await readPasswd(file))!, 'bob', 'pty-secreT'),
      true,
      'backspace edits the typed password',
    );
  });
});

describe('serve', () => {
  test('refuses to start without a password file, saying how to make one', async (t) => {
    const dir = await tempDir(t);
    await writeFile(join(dir, 'empty'), '# nobody yet\n');
    for (const extra of [[], ['--passwd', join(dir, 'missing')], ['--passwd', join(dir, 'empty')]]) {
      const r = await runCli(['serve', '--history', join(dir, 'h.csv'), '--listen', '127.0.0.1:0', ...extra]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(
        r.stderr,
        /never runs without authentication: create a password file with "openvpn-status-web passwd FILE USER"/,
      );
      assert.equal(r.stdout, '', 'it did not start');
    }
    const bad = await runCli(['serve', '--passwd', join(dir, 'empty'), '--public-origin', 'https://x.example/path']);
    assert.equal(bad.code, 2);
  });

  test('serves the API on the given address, deletes with a password, and stops on SIGTERM', {
    timeout: 120_000,
  }, async (t) => {
    ensureBuilt();
    const dir = await tempDir(t);
    const site = await writeSyntheticSite(dir, { sessions: 20, users: 3, spanDays: 2, live: 1 });
    const file = join(dir, 'passwd');
    assert.equal((await runCli(['passwd', file, 'admin', '--password-stdin'], { input: `${PW}\n` })).code, 0);
    // Readable by group and others, as a hand-made file often is: serve starts, but warns.
    await chmod(file, 0o644);
    const config = join(dir, 'config.json');
    await writeFile(config, JSON.stringify({ passwd: file, publicOrigin: 'https://vpn.example.org' }));
    const serve = spawnCli(t, ['serve', '--config', config, '--listen', '127.0.0.1:0', ...siteArgs(site.paths, T0)]);
    const out = serve.output;
    const listening = await waitForOutput(
      serve,
      (text) => /API: http:\/\/127\.0\.0\.1:(\d+)\/api\/ {2}\(1 user\(s\); Ctrl-C stops\)/.exec(text)?.[1],
    );
    if (!listening) assert.fail(`serve exited (${(await serve.exited).code}) before listening:\n${out()}`);
    const port = Number(listening);
    assert.equal((await send(port, { path: '/api/health' })).status, 200);
    // stderr and stdout are two pipes: the warning, written first, may be read after the API line.
    const warned = /warning: .*passwd is readable by group or others \(mode 0644\); chmod 600/;
    for (let i = 0; i < 100 && !warned.test(out()); i++) await new Promise((r) => setTimeout(r, 20));
    assert.match(out(), warned);
    // DNS rebinding: only loopback and the public origin's host are answered.
    assert.equal(
      (await send(port, { path: '/api/health', headers: { Host: `rebind.attacker.example:${port}` } })).status,
      421,
    );
    assert.equal((await send(port, { path: '/api/health', headers: { Host: 'vpn.example.org' } })).status, 200);
    const id = site.history[0]!.id;
    const headers = { 'Content-Type': 'application/json', Authorization: basic('admin', PW) };
    // From the configured public origin (as through nginx), and not from elsewhere.
    assert.equal(
      (
        await send(port, {
          method: 'POST',
          path: '/api/sessions/delete',
          headers: { ...headers, Origin: 'https://evil.example' },
          body: { ids: [id] },
        })
      ).status,
      403,
    );
    const r = await send(port, {
      method: 'POST',
      path: '/api/sessions/delete',
      headers: { ...headers, Origin: 'https://vpn.example.org' },
      body: { ids: [id] },
    });
    assert.equal(r.status, 200, `${r.text}\n${out()}`);
    assert.equal(r.json?.rebuilt, true);
    assert.ok(!(await readAllHistory(site.paths.history)).some((s) => s.id === id), 'deleted from the CSV');
    const audit = await readAudit(trashPaths(site.paths.history).audit);
    assert.deepEqual(
      audit.map((a) => [a.action, a.user, a.ids, a.at]),
      [['delete', 'admin', [id], T0]],
      'stamped with the pinned --now',
    );
    await stat(join(site.paths.out, 'index.html'));
    serve.child.kill('SIGTERM');
    assert.equal((await serve.exited).code, 0, out());
    assert.match(out(), /delete: 1 session\(s\) by admin from 127\.0\.0\.1/);
  });
});
