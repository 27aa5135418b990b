/**
 * `doctor` on real files: a status file rewritten every second the way OpenVPN rewrites it,
 * a missing one, one its user may not read, folders it cannot write, a held lock.
 */
import assert from 'node:assert/strict';
import { chmod, mkdir, readFile, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { syntheticStatusV1, syntheticStatusV3 } from '../../src/demo/synthetic.js';
import { processStartTime } from '../../src/io/process-alive.js';
import { ensureBuilt } from '../helpers/build.js';
import { runCli, type RunResult } from '../helpers/cli.js';
import { runCliAsNobody } from '../helpers/reachable.js';
import { tempDir } from '../helpers/tmp.js';

const nowIso = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

interface Setup {
  dir: string;
  status: string;
  args: string[];
}

async function setup(t: TestContext): Promise<Setup> {
  const dir = await tempDir(t, 'ovsw-doctor-');
  const status = join(dir, 'status.log');
  await writeFile(status, syntheticStatusV3({ clients: 3, updatedAt: nowIso() }));
  const args = [
    '--status',
    `vpn=${status}`,
    '--history',
    join(dir, 'h', 'sessions.csv'),
    '--out',
    join(dir, 'www'),
    '--aliases',
    join(dir, 'aliases.json'),
    '--tz',
    'UTC',
  ];
  return { dir, status, args };
}

/** The line of a check (`OK    status vpn: …`), by level and subject. */
function lineOf(r: RunResult, subject: string, pattern: RegExp): string {
  const found = r.stdout.split('\n').find((l) => l.includes(`  ${subject}: `) && pattern.test(l));
  assert.ok(found, `no "${subject}" line matching ${pattern} in:\n${r.stdout}\nstderr:\n${r.stderr}`);
  return found;
}

test('a healthy setup, its status file rewritten every second: all OK, the interval measured, exit 0', async (t) => {
  const s = await setup(t);
  // OpenVPN's way: truncate and rewrite in place, every second, with a fresh update time.
  const writer = setInterval(() => {
    void writeFile(s.status, syntheticStatusV3({ clients: 3, updatedAt: nowIso() }));
  }, 1000);
  t.after(() => clearInterval(writer));
  const r = await runCli(['doctor', ...s.args, '--wait', '8']);
  clearInterval(writer);
  assert.equal(r.code, 0, `exit 0 expected:\n${r.stdout}\n${r.stderr}`);
  lineOf(r, 'status vpn', /^OK +status vpn: .*status\.log \(owner root/);
  lineOf(r, 'status vpn', /^OK +status vpn: status-version 3, 3 clients listed$/);
  lineOf(r, 'status vpn', /^OK +status vpn: updated \d s ago \(staleAfter 300 s\)$/);
  lineOf(r, 'status vpn', /^OK +status vpn: OpenVPN rewrites it every 1 s \(2 updates seen: 1 s, 1 s\)$/);
  lineOf(r, 'history folder', /^OK .*does not exist yet; the first run creates it/);
  lineOf(r, 'output folder', /^OK .*www does not exist yet; the first run creates it/);
  lineOf(r, 'lock', /^OK .*: free$/);
  lineOf(
    r,
    'country database',
    /^OK +country database: @ip-location-db\/geo-whois-asn-country-mmdb 2\.3\.\d{10} \(built .*20\d\d-\d\d-\d\dT\d\d:\d\d:\d\dZ; CC BY 4\.0, NRO \(nro\.net\)\)$/,
  );
  assert.match(r.stdout, /^doctor: \d+ OK, 0 WARN, 0 FAIL$/m);
  assert.match(r.stderr, /watching the status file\(s\) for up to 8 s/);
});

test('--no-wait: no interval check, no waiting; version 1 and a stale file are reported with their fixes, exit 1', async (t) => {
  const s = await setup(t);
  await writeFile(s.status, syntheticStatusV1({ clients: 2, updatedAt: '2026-01-01T00:00:00Z' }));
  const started = Date.now();
  const r = await runCli(['doctor', ...s.args, '--no-wait']);
  assert.ok(Date.now() - started < 15_000, 'no watch with --no-wait');
  assert.equal(r.code, 1, `exit 1 on a FAIL:\n${r.stdout}`);
  lineOf(r, 'status vpn', /^WARN +status vpn: status-version 1, 2 clients listed/);
  lineOf(r, 'status vpn', /^FAIL +status vpn: last updated .* ago/);
  assert.ok(!/rewrites it|not rewritten/.test(r.stdout), `no interval line:\n${r.stdout}`);
  assert.match(r.stdout, /\n {6}fix: add "status-version 3"/);
  assert.doesNotMatch(r.stderr, /watching/);
});

test('a missing status file, an output path that is a file and an unwritable history folder: FAIL each, exit 1', async (t) => {
  const s = await setup(t);
  await writeFile(join(s.dir, 'www'), 'not a folder');
  const r = await runCli([
    'doctor',
    '--status',
    join(s.dir, 'nope.log'),
    '--history',
    join(s.dir, 'www', 'sessions.csv'),
    '--out',
    join(s.dir, 'www'),
    '--no-wait',
  ]);
  assert.equal(r.code, 1);
  lineOf(r, 'status default', /^FAIL .*nope\.log does not exist/);
  lineOf(r, 'output folder', /^FAIL .*www is not a folder/);
  lineOf(r, 'history folder', /^FAIL /);
  assert.match(
    r.stdout,
    /doctor: \d+ OK, \d+ WARN, 3 FAIL/,
    'only those three fail: the history and its state inside the misplaced folder are not failed again',
  );
});

test('a 0600 status file another user owns: FAIL with the 0600 explanation and the fixes', async (t) => {
  const s = await setup(t);
  const uid = process.getuid?.() ?? -1;
  await chmod(s.status, 0o600);
  let r: RunResult;
  if (uid === 0) {
    // As root, run the doctor as nobody: the case of a cron job under the wrong user.
    ensureBuilt();
    await chmod(s.dir, 0o755);
    r = await runCliAsNobody(['doctor', ...s.args, '--no-wait']);
  } else {
    // Not root: a file this user may not read stands in for root's 0600 file.
    await chmod(s.status, 0o000);
    r = await runCli(['doctor', ...s.args, '--no-wait']);
  }
  assert.equal(r.code, 1, `exit 1 expected:\n${r.stdout}\n${r.stderr}`);
  const l = lineOf(r, 'status vpn', /^FAIL +status vpn: not readable as /);
  assert.match(l, /\(EACCES; owner \S+, mode 0[06]00\)/);
  assert.match(
    r.stdout,
    /fix: OpenVPN creates the status file with mode 0600.*Run openvpn-status-web as root: the shipped scripts\/systemd\/openvpn-status-web\.service does, sandboxed/,
  );
  assert.match(r.stdout, /chmod 0640/);
  if (uid === 0) {
    // nobody may not write the temp folder either: the history and output lines say so.
    lineOf(r, 'history folder', /^FAIL .*cannot be created in .* as nobody \(uid 65534\) \(EACCES\)/);
  }
});

test('a lock held by a live process: OK while short, WARN naming the process once past lockTimeout', async (t) => {
  const s = await setup(t);
  const history = join(s.dir, 'h', 'sessions.csv');
  await mkdir(join(s.dir, 'h'));
  const lock = `${history}.lock`;
  // This test process is the holder: alive, on this host, with its real start time.
  await writeFile(lock, JSON.stringify({ pid: process.pid, host: hostname(), start: processStartTime(process.pid) }));
  const fresh = await runCli(['doctor', ...s.args, '--no-wait']);
  lineOf(fresh, 'lock', new RegExp(`^OK .*held by a run in progress, pid ${process.pid} on `));
  const old = new Date(Date.now() - 120_000);
  await utimes(lock, old, old);
  const stuck = await runCli(['doctor', ...s.args, '--no-wait']);
  lineOf(
    stuck,
    'lock',
    new RegExp(`^WARN .*held by pid ${process.pid} on .*\\(.*node.*\\) for 2 min, longer than lockTimeout = 10 s`),
  );
  assert.match(stuck.stdout, new RegExp(`fix: .*ps -p ${process.pid}`));
  assert.equal(stuck.code, 0, 'a WARN alone exits 0');
  // A dead owner (a pid that is not running) is taken over by the next run.
  await writeFile(lock, JSON.stringify({ pid: 2 ** 22 + 12345, host: hostname(), start: null }));
  const dead = await runCli(['doctor', ...s.args, '--no-wait']);
  lineOf(dead, 'lock', /^WARN .*which is gone/);
  assert.equal(await readFile(lock, 'utf8').then((x) => x.length > 0), true, 'doctor leaves the lock alone');
});

test('--quiet prints only problems; a bad --wait is a usage error', async (t) => {
  const s = await setup(t);
  const q = await runCli(['doctor', ...s.args, '--no-wait', '--quiet']);
  assert.equal(q.code, 0, q.stdout);
  assert.equal(q.stdout, '', 'nothing to say when all is well');
  const bad = await runCli(['doctor', ...s.args, '--wait', 'long']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--wait: must be a number of seconds/);
});
