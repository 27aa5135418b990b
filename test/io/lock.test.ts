import assert from 'node:assert/strict';
import { mkdir, readFile, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { acquireLock, LockBusyError, withLock } from '../../src/io/lock.js';
import { processStartTime } from '../../src/io/process-alive.js';
import { distPath, ensureBuilt } from '../helpers/build.js';
import { killChild, startChild } from '../helpers/cli.js';
import { killChildRounds } from '../helpers/crash.js';
import { listDir, tempDir } from '../helpers/tmp.js';

const HOLD = new URL('../helpers/child/hold-lock.mjs', import.meta.url).pathname;
const COUNTER = new URL('../helpers/child/lock-counter.mjs', import.meta.url).pathname;
const CHURN = new URL('../helpers/child/lock-churn.mjs', import.meta.url).pathname;

const ownerOf = async (lock: string): Promise<{ pid: number; host: string; start: string | null }> =>
  JSON.parse(await readFile(lock, 'utf8'));

async function busy(lock: string, timeoutMs: number, owner: RegExp): Promise<void> {
  await assert.rejects(acquireLock(lock, timeoutMs), (e: unknown) => {
    assert.ok(e instanceof LockBusyError, String(e));
    assert.equal(e.code, 'ELOCKED');
    assert.equal(e.path, lock);
    assert.match(e.owner, owner);
    return true;
  });
}

describe('lock', () => {
  test('two processes never hold it at once: concurrent increments under the lock are never lost', async (t) => {
    ensureBuilt();
    const dir = await tempDir(t);
    const lock = join(dir, 'h.csv.lock');
    const counter = join(dir, 'counter');
    await writeFile(counter, '0');
    const children = 4;
    const each = 30;
    const go = join(dir, 'go');
    const procs = await Promise.all(
      Array.from({ length: children }, () =>
        startChild(t, [COUNTER, distPath('io/lock.js'), lock, counter, String(each), go], 'ready'),
      ),
    );
    const exits = procs.map((p) => new Promise<number | null>((resolve) => p.once('exit', (code) => resolve(code))));
    await writeFile(go, '');
    assert.deepEqual(
      await Promise.all(exits),
      procs.map(() => 0),
    );
    assert.equal(await readFile(counter, 'utf8'), String(children * each));
    const values = (await readFile(`${counter}.log`, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => Number(l.split(' ')[1]));
    assert.deepEqual(
      values,
      Array.from({ length: children * each }, (_, i) => i + 1),
      'each value written once, in order',
    );
    const pids = new Set(
      (await readFile(`${counter}.log`, 'utf8'))
        .trim()
        .split('\n')
        .map((l) => l.split(' ')[0]),
    );
    assert.equal(pids.size, children, 'every child got the lock');
    const order = (await readFile(`${counter}.log`, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => l.split(' ')[0]);
    const switches = order.filter((pid, i) => i > 0 && pid !== order[i - 1]).length;
    t.diagnostic(`the lock changed hands ${switches} times`);
    assert.deepEqual(await listDir(dir), ['counter', 'counter.log', 'go'], 'the lock is gone');
  });

  test('a lock left by a SIGKILLed process is taken over', async (t) => {
    ensureBuilt();
    const dir = await tempDir(t);
    const lock = join(dir, 'h.csv.lock');
    const holder = await startChild(t, [HOLD, distPath('io/lock.js'), lock], 'locked');
    assert.equal((await ownerOf(lock)).pid, holder.pid);
    await killChild(holder);
    const mine = await acquireLock(lock, 5_000);
    const owner = await ownerOf(lock);
    assert.equal(owner.pid, process.pid);
    assert.equal(owner.host, hostname());
    assert.equal(owner.start, processStartTime(process.pid));
    await mine.release();
    await mine.release(); // twice is harmless
    assert.deepEqual(await listDir(dir), []);
  });

  test('LockBusyError after the timeout while a live process holds it', async (t) => {
    ensureBuilt();
    const dir = await tempDir(t);
    const lock = join(dir, 'h.csv.lock');
    const holder = await startChild(t, [HOLD, distPath('io/lock.js'), lock], 'locked');
    await busy(lock, 300, new RegExp(`^pid ${holder.pid} on ${hostname()}$`));
    await busy(lock, 0, /pid/);
    assert.equal((await ownerOf(lock)).pid, holder.pid, 'the holder keeps it');
    await killChild(holder);
  });

  test('a live pid with another start time (a reused pid) is a dead owner', async (t) => {
    const dir = await tempDir(t);
    const lock = join(dir, 'h.csv.lock');
    await writeFile(lock, JSON.stringify({ pid: process.pid, host: hostname(), start: 'not-its-start-time' }));
    const l = await acquireLock(lock, 1_000);
    assert.equal((await ownerOf(lock)).start, processStartTime(process.pid));
    await l.release();
  });

  test('the takeover folder of a process killed while taking over is cleared once old', async (t) => {
    const dir = await tempDir(t);
    const lock = join(dir, 'h.csv.lock');
    await writeFile(lock, JSON.stringify({ pid: 4194305, host: hostname(), start: null }));
    await mkdir(`${lock}.takeover`);
    // Just under the 10 s after which such debris counts as orphaned.
    const old = new Date(Date.now() - 9_800);
    await utimes(`${lock}.takeover`, old, old);
    const l = await acquireLock(lock, 0);
    assert.equal((await ownerOf(lock)).pid, process.pid);
    await l.release();
    assert.deepEqual(await listDir(dir), []);
  });

  test('a lock held on another host is never taken over', async (t) => {
    const dir = await tempDir(t);
    const lock = join(dir, 'h.csv.lock');
    await writeFile(lock, JSON.stringify({ pid: 4194305, host: 'some-other-host', start: null }));
    await busy(lock, 100, /^pid 4194305 on some-other-host$/);
  });

  test('an empty lock file: busy while young (its owner may be writing it), taken over once old', async (t) => {
    const dir = await tempDir(t);
    const lock = join(dir, 'h.csv.lock');
    await writeFile(lock, '');
    await busy(lock, 100, /an unknown process/);
    const old = new Date(Date.now() - 60_000);
    await utimes(lock, old, old);
    const l = await acquireLock(lock, 1_000);
    assert.equal((await ownerOf(lock)).pid, process.pid);
    await l.release();
  });

  test('a process killed at any instant of taking the lock leaves none, or one naming it: taken over at once', async (t) => {
    ensureBuilt();
    const dir = await tempDir(t);
    const lock = join(dir, 'h.csv.lock');
    let leftHeld = 0;
    await killChildRounds(t, {
      rounds: 15,
      args: [CHURN, distPath('io/lock.js'), lock],
      ready: 'churning',
      meanwhile: () => new Promise((r) => setTimeout(r, 5 + Math.floor(Math.random() * 40))),
      check: async (child, i) => {
        const raw = await readFile(lock, 'utf8').catch(() => null);
        if (raw !== null) {
          leftHeld++;
          assert.equal(
            JSON.parse(raw).pid,
            child.pid,
            `kill ${i}: the lock names its owner (was ${JSON.stringify(raw)})`,
          );
        }
        // Far below the 10 s after which an unreadable lock would be taken over.
        const started = Date.now();
        const mine = await acquireLock(lock, 2_000);
        assert.ok(Date.now() - started < 2_000, `kill ${i}: lock taken in ${Date.now() - started} ms`);
        await mine.release();
        assert.deepEqual(await listDir(dir), [], `kill ${i}: no lock and no temp record left`);
      },
    });
    t.diagnostic(`${leftHeld} of 15 kills left a held lock behind`);
  });

  test('a record left by a process killed before it linked it is removed; the lock is taken at once', async (t) => {
    const dir = await tempDir(t);
    const lock = join(dir, 'h.csv.lock');
    // 4194305 is above Linux's pid_max: no such process exists.
    await writeFile(`${lock}.tmp-4194305-1`, JSON.stringify({ pid: 4194305, host: hostname(), start: null }));
    const l = await acquireLock(lock, 100);
    assert.equal((await ownerOf(lock)).pid, process.pid);
    await l.release();
    assert.deepEqual(await listDir(dir), []);
  });

  test('several waiters in one process (the endpoint) take turns', async (t) => {
    const dir = await tempDir(t);
    const lock = join(dir, 'h.csv.lock');
    let inside = 0;
    let most = 0;
    const turns = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        withLock(lock, 5_000, async () => {
          most = Math.max(most, ++inside);
          await new Promise((r) => setTimeout(r, 20));
          inside--;
          return i;
        }),
      ),
    );
    assert.deepEqual(turns, [0, 1, 2, 3, 4]);
    assert.equal(most, 1, 'one holder at a time');
    assert.deepEqual(await listDir(dir), []);
  });

  test('release leaves a lock that is no longer ours; withLock releases after a throw', async (t) => {
    const dir = await tempDir(t);
    const lock = join(dir, 'h.csv.lock');
    const l = await acquireLock(lock, 1_000);
    const other = JSON.stringify({ pid: 4194305, host: 'some-other-host', start: null });
    await writeFile(lock, other);
    await l.release();
    assert.equal(await readFile(lock, 'utf8'), other);

    const lock2 = join(dir, 'b.lock');
    await assert.rejects(
      withLock(lock2, 1_000, async () => {
        throw new Error('boom');
      }),
      /boom/,
    );
    assert.equal(await withLock(lock2, 1_000, async () => 42), 42);
    assert.deepEqual(await listDir(dir), ['h.csv.lock']);
  });
});
