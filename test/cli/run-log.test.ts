/**
 * What `run` says on stderr, as cron mails it and journald stores it: one line per run
 * (new, ended and active sessions, pages, run time); --quiet nothing but warnings;
 * --verbose more detail. No colours or progress bars when stderr is not a terminal.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { syntheticStatusV3 } from '../../src/demo/synthetic.js';
import { cliOk } from '../helpers/cli.js';
import { writeStatus } from '../helpers/status.js';
import { tempDir } from '../helpers/tmp.js';

const RUN_LINE =
  /^collect: (\d+) new, (\d+) ended, \d+ server-stopped, \d+ re-opened, (\d+) active, \d+ ms; build: (full|incremental), \d+ page\(s\) rendered, \d+ file\(s\) written, \d+ ms; run: \d+ ms$/;

test('run: one line per run on stderr; --quiet silences it, keeping warnings; --verbose adds detail', async (t) => {
  const dir = await tempDir(t, 'ovsw-runlog-');
  const status = join(dir, 'status.log');
  const args = (now: string, ...extra: string[]) => [
    'run',
    '--status',
    status,
    '--history',
    join(dir, 'h.csv'),
    '--out',
    join(dir, 'www'),
    '--aliases',
    join(dir, 'a.json'),
    '--tz',
    'UTC',
    '--now',
    now,
    ...extra,
  ];

  await writeStatus(status, syntheticStatusV3({ clients: 3, updatedAt: '2026-03-18T14:00:00Z' }));
  const first = await cliOk(args('2026-03-18T14:00:05Z'));
  const lines = first.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `exactly one line:\n${first.stderr}`);
  const m = RUN_LINE.exec(lines[0] ?? '');
  assert.ok(m, `the run line: ${lines[0]}`);
  assert.deepEqual([m[1], m[2], m[3], m[4]], ['3', '0', '3', 'full'], 'new, ended, active, build kind');
  assert.equal(first.stdout, '', 'nothing on stdout');
  assert.doesNotMatch(first.stderr, /\u001b\[/, 'no terminal escapes in a log');

  await writeStatus(status, syntheticStatusV3({ clients: 3, updatedAt: '2026-03-18T14:01:00Z' }));
  const quiet = await cliOk(args('2026-03-18T14:01:05Z', '--quiet'));
  assert.equal(quiet.stderr, '', '--quiet: nothing when all is well');

  await writeStatus(status, syntheticStatusV3({ clients: 3, updatedAt: '2026-03-18T14:02:00Z' }));
  const verbose = await cliOk(args('2026-03-18T14:02:05Z', '--verbose'));
  const vlines = verbose.stderr.trimEnd().split('\n');
  assert.ok(vlines.length > 1, `--verbose prints detail besides the run line:\n${verbose.stderr}`);
  assert.ok(
    vlines.some((l) => RUN_LINE.test(l)),
    'the run line is still there',
  );
  assert.ok(
    vlines.some((l) => /^build: \d+ new ended, \d+ dirty day/.test(l)),
    `the builder's detail:\n${verbose.stderr}`,
  );

  // A warning gets through --quiet: an unreadable (torn, here empty) status file.
  await writeStatus(status, '');
  const warned = await cliOk(args('2026-03-18T14:03:05Z', '--quiet'));
  assert.match(warned.stderr, /^openvpn-status-web: warning: default: .* skipped this run: .*empty file\n$/);
});

test('run: a missing or stale status file warns on every run, through --quiet, and the dashboard says since when', async (t) => {
  const dir = await tempDir(t, 'ovsw-runlog-');
  const status = join(dir, 'status.log');
  const out = join(dir, 'www');
  const args = (now: string) => [
    'run',
    '--status',
    status,
    '--history',
    join(dir, 'h.csv'),
    '--out',
    out,
    '--aliases',
    join(dir, 'a.json'),
    '--tz',
    'UTC',
    '--lang',
    'en',
    '--now',
    now,
    '--quiet',
  ];
  const dashboard = () => readFile(join(out, 'index.html'), 'utf8');

  // A typo in the path: said on the first run and on every run after, since the first run that missed it.
  for (const now of ['2026-03-18T14:00:05Z', '2026-03-18T14:01:05Z']) {
    const missing = await cliOk(args(now));
    assert.match(
      missing.stderr,
      new RegExp(
        `^openvpn-status-web: warning: default: status file ${status} does not exist \\(since 2026-03-18T14:00:05Z\\).*\\n$`,
      ),
    );
    assert.match(await dashboard(), /Status file missing since 2026-03-18 14:00:05/);
  }

  // Written again: all is well, nothing said, nothing shown.
  await writeStatus(status, syntheticStatusV3({ clients: 2, updatedAt: '2026-03-18T14:02:00Z' }));
  const fresh = await cliOk(args('2026-03-18T14:02:05Z'));
  assert.equal(fresh.stderr, '');
  assert.doesNotMatch(await dashboard(), /Status file/);

  // OpenVPN stopped writing it: stale once stale-after (300 s) has passed, on every run.
  for (const now of ['2026-03-18T14:08:00Z', '2026-03-18T14:09:00Z']) {
    const stale = await cliOk(args(now));
    assert.match(
      stale.stderr,
      new RegExp(
        `^openvpn-status-web: warning: default: status file ${status} was last updated at 2026-03-18T14:02:00Z, more than 300 s ago.*\\n$`,
      ),
    );
    assert.match(await dashboard(), /Status file not updated since 2026-03-18 14:02:00/);
  }
});
