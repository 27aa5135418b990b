/**
 * Errors the machine causes, with the compiled CLI on real file systems: a full disk (a tiny
 * tmpfs), a read-only one (the same, remounted), a folder the user may not write (run as
 * nobody, or a 0500 folder when not root). Each is one line naming the file and the fix,
 * exit 2. And the temp files that killed writers leave are removed by the next run.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmod, mkdir, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { processStartTime } from '../../src/io/process-alive.js';
import { runCli, type RunResult } from '../helpers/cli.js';
import { collectArgs } from '../helpers/collector.js';
import { runCliAsNobody } from '../helpers/reachable.js';
import { fixture, isoPlus, updatedAtOf, writeStatus, type Moment } from '../helpers/status.js';
import { tempDir } from '../helpers/tmp.js';

const isRoot = process.getuid?.() === 0;

/** Writes the v3 fixture of `moment` to `status`; the collect arguments a second after its update. */
async function statusAt(status: string, history: string, moment: Moment, extra: string[] = []): Promise<string[]> {
  const data = fixture('v3', moment);
  await writeStatus(status, data);
  return collectArgs([status], history, isoPlus(updatedAtOf(data), 1), extra);
}

/** Mounts a tmpfs of `size` at `dir` (root only); `fn` runs, then it is unmounted whatever happened. */
async function withTmpfs(dir: string, size: string, fn: () => Promise<void>): Promise<void> {
  await mkdir(dir);
  const m = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { encoding: 'utf8' });
  assert.equal(m.status, 0, `mount: ${m.stderr}`);
  try {
    await fn();
  } finally {
    spawnSync('umount', ['-l', dir]);
  }
}

/** Fills the file system holding `dir` until the kernel says ENOSPC. */
async function fill(dir: string): Promise<void> {
  const chunk = Buffer.alloc(4096, 1);
  for (let i = 0; ; i++) {
    try {
      await writeFile(join(dir, `filler-${i}`), chunk);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOSPC') return;
      throw e;
    }
  }
}

/** Exit 2 and exactly one line on stderr (no stack), matching `re`. */
function oneLine(r: RunResult, re: RegExp): void {
  assert.equal(r.code, 2, `exit 2 expected, got ${r.code}:\n${r.stderr}`);
  assert.equal(r.stderr.split('\n').length, 2, `one line:\n${r.stderr}`);
  assert.match(r.stderr, re);
}

const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('errors the machine causes: one line naming the file and the fix, exit 2', () => {
  test('disk full (a 64 KiB tmpfs) while the history is written; once there is space again, nothing was lost', async (t) => {
    if (!isRoot) return t.skip('needs root to mount a small tmpfs (ENOSPC)');
    const dir = await tempDir(t);
    const small = join(dir, 'small');
    const status = join(dir, 'status.log');
    const history = join(small, 'h.csv');
    await withTmpfs(small, '64k', async () => {
      assert.equal((await runCli(await statusAt(status, history, 'connected'))).code, 0);
      await fill(small);
      // Two clients left: writing the lock fails (no room at all), or, with one page free for
      // it, writing the state that records them (where the system's error names no file).
      const args = await statusAt(status, history, 'after-disconnect');
      for (const [freed, file] of [
        [0, 'h.csv.lock'],
        [1, 'h.csv.state.json'],
      ] as const) {
        if (freed > 0) await rm(join(small, 'filler-0'));
        const full = await runCli(args);
        t.diagnostic(full.stderr.trimEnd());
        oneLine(
          full,
          new RegExp(
            `^openvpn-status-web: ${esc(small)}/${esc(file)}: cannot \\w[^:]*: no space left on device \\(ENOSPC\\); free disk space on the file system holding ${esc(small)} \\(df -h ${esc(small)}\\)\\n$`,
          ),
        );
      }
      assert.deepEqual(
        (await readdir(small)).filter((n) => n.includes('.tmp-')),
        [],
        'no temp file left behind',
      );
      for (const name of await readdir(small)) if (name.startsWith('filler-')) await rm(join(small, name));
      assert.equal((await runCli(args)).code, 0, 'with space again the same update is recorded');
      const sessions = await runCli(['sessions', '--history', history, '--json', '--tz', 'UTC']);
      assert.equal(sessions.code, 0, sessions.stderr);
      assert.equal(
        (JSON.parse(sessions.stdout) as { sessions: unknown[] }).sessions.length,
        6,
        'all six sessions are known',
      );
    });
  });

  test('a read-only file system (the tmpfs remounted read-only)', async (t) => {
    if (!isRoot) return t.skip('needs root to mount and remount a tmpfs (EROFS)');
    const dir = await tempDir(t);
    const small = join(dir, 'ro');
    const status = join(dir, 'status.log');
    const history = join(small, 'h.csv');
    await withTmpfs(small, '1m', async () => {
      assert.equal((await runCli(await statusAt(status, history, 'connected'))).code, 0);
      assert.equal(spawnSync('mount', ['-o', 'remount,ro', small]).status, 0, 'remount read-only');
      const r = await runCli(await statusAt(status, history, 'after-disconnect'));
      t.diagnostic(r.stderr.trimEnd());
      oneLine(
        r,
        new RegExp(
          `^openvpn-status-web: ${esc(small)}/h\\.csv\\S*: cannot [^:]+: read-only file system \\(EROFS\\); remount the file system holding ${esc(small)} read-write`,
        ),
      );
    });
  });

  test('a history folder the user may not write (nobody as root, a 0500 folder otherwise)', async (t) => {
    const dir = await tempDir(t);
    await chmod(dir, 0o755);
    const folder = join(dir, 'history');
    await mkdir(folder, { mode: 0o755 });
    const history = join(folder, 'h.csv');
    const args = await statusAt(join(dir, 'status.log'), history, 'connected');
    await chmod(join(dir, 'status.log'), 0o644);
    let r: RunResult;
    if (isRoot) {
      // As root, the folder stays root's 0755 and the CLI runs as nobody: a cron job under the wrong user.
      r = await runCliAsNobody(args);
    } else {
      await chmod(folder, 0o500);
      t.after(() => chmod(folder, 0o755));
      r = await runCli(args);
    }
    t.diagnostic(r.stderr.trimEnd());
    oneLine(
      r,
      new RegExp(
        `^openvpn-status-web: ${esc(folder)}/h\\.csv\\S*: cannot [^:]+: permission denied \\(EACCES\\); check the owner and mode of \\S+ and its folder: .* runs this and must be able to write it\\n$`,
      ),
    );
  });
});

/** A pid that was just used and is gone. */
function deadPid(): number {
  const r = spawnSync('true');
  assert.ok(r.pid !== undefined && r.pid > 0);
  return r.pid;
}

async function plant(path: string, ageS = 0): Promise<string> {
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, 'half a file');
  if (ageS > 0) {
    const past = new Date(Date.now() - ageS * 1000);
    await utimes(path, past, past);
  }
  return path;
}

const exists = (p: string): Promise<boolean> =>
  stat(p).then(
    () => true,
    (e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return false;
      throw e;
    },
  );

async function site(
  t: TestContext,
): Promise<{ dir: string; history: string; out: string; args: (m: Moment) => Promise<string[]> }> {
  const dir = await tempDir(t);
  const history = join(dir, 'var', 'h.csv');
  const out = join(dir, 'out');
  const args = async (m: Moment): Promise<string[]> => [
    'run',
    ...(await statusAt(join(dir, 'status.log'), history, m, ['--out', out])).slice(1),
  ];
  assert.equal((await runCli(await args('connected'))).code, 0);
  return { dir, history, out, args };
}

describe('temp files of killed writers (FILE.tmp-PID)', () => {
  test('every run removes those of gone writers in the folders it writes; a live writer keeps its own', async (t) => {
    const s = await site(t);
    const dead = deadPid();
    // A pid alive now that started after the file was written: the writer's pid, reused.
    const reused = spawn('sleep', ['30']);
    t.after(() => reused.kill('SIGKILL'));
    const gone = [
      await plant(join(s.out, 'data', `live.json.tmp-${dead}`)),
      await plant(join(s.out, 'data', `days.json.tmp-${reused.pid}`), 3600),
      await plant(join(s.out, `index.html.tmp-${dead}`)),
      await plant(`${s.history}.state.json.tmp-${dead}`),
      await plant(`${s.history}.tmp-${dead}`),
      await plant(join(`${s.history}.cache`, `manifest.json.tmp-${dead}`)),
    ];
    const kept = [
      // This test's own process is alive and wrote it just now.
      await plant(join(s.out, 'data', `chart-24h.json.tmp-${process.pid}`)),
      // Not the history's: another program's file beside it.
      await plant(join(s.dir, 'var', `other.txt.tmp-${dead}`)),
    ];
    assert.equal((await runCli(await s.args('after-disconnect'))).code, 0);
    for (const p of gone) assert.equal(await exists(p), false, `${p} removed`);
    for (const p of kept) assert.equal(await exists(p), true, `${p} kept`);
  });

  test('after a run was killed (its lock names a dead process), the next run removes them from the whole output folder and cache', async (t) => {
    const s = await site(t);
    const dead = deadPid();
    await writeFile(
      `${s.history}.lock`,
      JSON.stringify({ pid: dead, host: hostname(), start: processStartTime(dead) }),
    );
    const dayPage = (await readdir(join(s.out, 'd')))[0] as string;
    const gone = [
      await plant(join(s.out, 'd', dayPage, `index.html.tmp-${dead}`)),
      await plant(join(`${s.history}.cache`, 'days', `2026-11-26.json.tmp-${dead}`)),
      await plant(join(s.out, 'exports', 'days', `x.xlsx.tmp-${dead}`)),
    ];
    const r = await runCli(await s.args('after-disconnect'));
    assert.equal(r.code, 0, r.stderr);
    for (const p of gone) assert.equal(await exists(p), false, `${p} removed`);
  });
});
