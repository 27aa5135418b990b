/**
 * `watch` for real: the compiled CLI as a child process on temp files; the status file is
 * rewritten in place, replaced by a rename, truncated, deleted and recreated, and the
 * dashboard in the output folder must show each new client within about a second or two.
 * Nothing sleeps for a fixed time: every wait polls for an outcome, up to a timeout.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, truncate, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { syntheticClients, syntheticStatusV3 } from '../../src/demo/synthetic.js';
import { spawnCli, type Running } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

/** How soon after a change the dashboard must show it: the product aims at 1 s; this is for a busy 2-core machine. */
const BUDGET_MS = 2500;
const TIMEOUT_MS = 15_000;

/**
 * Update times a second apart, starting a little in the past: OpenVPN's update time changes
 * with every rewrite, and the collector takes a file with an unchanged one for the same update.
 */
let updatedS = Math.floor(Date.now() / 1000) - 30;

/** A status file listing one client named `name`, one update after the previous file. */
function statusWith(name: string): string {
  updatedS += 1;
  const updatedAt = new Date(updatedS * 1000).toISOString().replace('.000Z', 'Z');
  const [c] = syntheticClients({ count: 1, updatedAt });
  assert.ok(c, 'one synthetic client');
  return syntheticStatusV3({ clients: [{ ...c, commonName: name, username: name }], updatedAt });
}

type Watcher = Running;

const startWatch = (t: TestContext, args: string[]): Watcher => spawnCli(t, ['watch', ...args]);

/** Polls `cond` every 20 ms; the time it took, or a failure naming `what` after the timeout. */
async function waitFor(
  what: string,
  cond: () => Promise<boolean> | boolean,
  w: Watcher,
  timeoutMs = TIMEOUT_MS,
): Promise<number> {
  const started = Date.now();
  while (!(await cond())) {
    if (w.child.exitCode !== null || w.child.signalCode !== null)
      assert.fail(`watch exited while waiting for ${what}:\n${w.stderr()}`);
    if (Date.now() - started > timeoutMs)
      assert.fail(`no ${what} within ${timeoutMs} ms; watch's stderr:\n${w.stderr()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return Date.now() - started;
}

const dashboardShows = (out: string, name: string) => async (): Promise<boolean> => {
  const html = await readFile(join(out, 'index.html'), 'utf8').catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return '';
    throw e;
  });
  return html.includes(name);
};

const runLines = (w: Watcher) => (w.stderr().match(/^collect: .*; build: .*; run: \d+ ms$/gm) ?? []).length;

test('rebuilds within a second or two of each change: rewrite in place, rename over, truncate, delete and recreate; SIGTERM stops it cleanly', async (t) => {
  const dir = await tempDir(t, 'ovsw-watch-');
  const status = join(dir, 'openvpn-status.log');
  const history = join(dir, 'sessions.csv');
  const out = join(dir, 'www');
  await writeFile(status, statusWith('probe-0'));
  const w = startWatch(t, [
    '--status',
    status,
    '--history',
    history,
    '--out',
    out,
    '--aliases',
    join(dir, 'aliases.json'),
    '--tz',
    'UTC',
  ]);
  await waitFor('first build showing probe-0', dashboardShows(out, 'probe-0'), w);
  assert.match(w.stderr(), /^watch: watching 1 status file\(s\) in /m);

  await waitFor('the first run to finish', () => runLines(w) >= 1, w);

  const timings: Record<string, number> = {};
  /** The change was just made: the dashboard shows `name` in time, then the run finishes (its line printed). */
  const expectShown = async (step: string, name: string, runsBefore: number): Promise<void> => {
    const ms = await waitFor(`${name} on the dashboard (${step})`, dashboardShows(out, name), w);
    timings[step] = ms;
    assert.ok(ms <= BUDGET_MS, `${step}: the dashboard showed ${name} after ${ms} ms (budget ${BUDGET_MS} ms)`);
    await waitFor(`the run of "${step}" to finish`, () => runLines(w) > runsBefore, w);
  };

  // 1. OpenVPN's way: truncate and rewrite the same file.
  let runs = runLines(w);
  await writeFile(status, statusWith('probe-1'));
  await expectShown('rewrite in place', 'probe-1', runs);

  // 2. Replaced by a rename (editors, config management, copies from another host).
  runs = runLines(w);
  await writeFile(`${status}.new`, statusWith('probe-2'));
  await rename(`${status}.new`, status);
  await expectShown('rename over', 'probe-2', runs);

  // 3. Truncated and left empty: the run skips it with a warning and the watch goes on.
  const warned = (w.stderr().match(/skipped this run/g) ?? []).length;
  runs = runLines(w);
  await truncate(status, 0);
  await waitFor(
    'the warning about the empty status file',
    () => (w.stderr().match(/skipped this run/g) ?? []).length > warned,
    w,
  );
  await waitFor('the run that skipped it to finish', () => runLines(w) > runs, w);
  runs = runLines(w);
  await writeFile(status, statusWith('probe-3'));
  await expectShown('filled again after truncation', 'probe-3', runs);

  // 4. Deleted: a run notices (nothing ends: missing for less than staleAfter), then recreated.
  runs = runLines(w);
  await unlink(status);
  await waitFor('a run after the delete', () => runLines(w) > runs, w);
  assert.match(
    w
      .stderr()
      .split('\n')
      .filter((l) => l.startsWith('collect: '))
      .at(-1) ?? '',
    /^collect: 0 new, 0 ended, 0 server-stopped, 0 re-opened, /,
    'a missing file ends nothing',
  );
  runs = runLines(w);
  await writeFile(status, statusWith('probe-4'));
  await expectShown('recreated after delete', 'probe-4', runs);

  t.diagnostic(`ms from change to dashboard: ${JSON.stringify(timings)}`);
  w.child.kill('SIGTERM');
  const exit = await Promise.race([w.exited, new Promise<null>((r) => setTimeout(() => r(null), TIMEOUT_MS))]);
  assert.ok(exit !== null, `watch did not stop within ${TIMEOUT_MS} ms of SIGTERM:\n${w.stderr()}`);
  assert.deepEqual(exit, { code: 0, signal: null }, `exit 0 on SIGTERM:\n${w.stderr()}`);
  assert.match(w.stderr(), /^watch: SIGTERM, stopping after the run in progress$/m);
  assert.ok(w.stderr().endsWith('watch: stopped\n'), `"watch: stopped" is the last line:\n${w.stderr()}`);
  assert.ok(!existsSync(`${history}.lock`), 'the lock is released');
  assert.doesNotMatch(w.stderr(), /unexpected error/);
});

test('a status folder that is missing at the start is watched once it exists; SIGINT stops it', async (t) => {
  const dir = await tempDir(t, 'ovsw-watch-');
  const folder = join(dir, 'openvpn');
  const status = join(folder, 'status.log');
  const out = join(dir, 'www');
  const w = startWatch(t, [
    '--status',
    status,
    '--history',
    join(dir, 'sessions.csv'),
    '--out',
    out,
    '--aliases',
    join(dir, 'aliases.json'),
    '--tz',
    'UTC',
    '--fallback',
    '1',
  ]);
  await waitFor('the warning about the missing folder', () => /cannot watch .*openvpn \(ENOENT\)/.test(w.stderr()), w);
  await waitFor('the first run', () => runLines(w) >= 1, w);
  // The folder appears: the next fallback run (every second here) watches it and records the file.
  await mkdir(folder);
  await writeFile(status, statusWith('late-1'));
  await waitFor('late-1 on the dashboard', dashboardShows(out, 'late-1'), w);
  await waitFor('the folder being watched', () => /watch: watching .*openvpn again/.test(w.stderr()), w);
  // From now on a change is seen by the watch itself, well before the next fallback would matter.
  await writeFile(status, statusWith('late-2'));
  const ms = await waitFor('late-2 on the dashboard', dashboardShows(out, 'late-2'), w);
  assert.ok(ms <= BUDGET_MS, `late-2 shown after ${ms} ms`);
  w.child.kill('SIGINT');
  const exit = await w.exited;
  assert.deepEqual(exit, { code: 0, signal: null }, `exit 0 on SIGINT:\n${w.stderr()}`);
  assert.match(w.stderr(), /watch: SIGINT, stopping/);
});

test('bad usage: --now and a bad --fallback are refused (exit 2)', async (t) => {
  const dir = await tempDir(t, 'ovsw-watch-');
  for (const [args, expected] of [
    [['--now', '2026-01-01T00:00:00Z'], /watch: --now cannot be used/],
    [['--fallback', '0'], /--fallback: must be a number of seconds, at least 1/],
  ] as const) {
    const w = startWatch(t, ['--history', join(dir, 'h.csv'), '--out', join(dir, 'www'), ...args]);
    const exit = await w.exited;
    assert.equal(exit.code, 2, w.stderr());
    assert.match(w.stderr(), expected);
  }
});
