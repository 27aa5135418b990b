import assert from 'node:assert/strict';
import { readFile, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { InputError } from '../../src/core/errors.js';
import { parseStatus } from '../../src/core/parse-status.js';
import { isoFromMs } from '../../src/core/time.js';
import { readStatusFile } from '../../src/io/status-reader.js';
import { killChild, startChild } from '../helpers/cli.js';
import { randomInt, seededRng } from '../helpers/random.js';
import { fixture, MOMENTS, renderV3, writeStatus, type GenClient, type Version } from '../helpers/status.js';
import { tempDir } from '../helpers/tmp.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const REWRITER = new URL('../helpers/child/rewrite-in-place.mjs', import.meta.url).pathname;
/** Quick retries for files that can never be read. */
const FAST = { timeZone: 'UTC', attempts: 3, retryDelayMs: 5, settleMs: 20 };

describe('status reader', () => {
  test('a missing file is missing', async (t) => {
    const dir = await tempDir(t);
    assert.deepEqual(await readStatusFile(join(dir, 'nope.log'), FAST), { ok: false, error: { kind: 'missing' } });
  });

  test('every real fixture reads as the snapshot its text parses to', async (t) => {
    const dir = await tempDir(t);
    const path = join(dir, 'status.log');
    for (const v of ['v1', 'v2', 'v3'] as Version[]) {
      for (const m of MOMENTS) {
        const data = fixture(v, m);
        await writeStatus(path, data);
        const read = await readStatusFile(path, { timeZone: 'UTC' });
        assert.equal(read.ok, true, `${v}-${m}`);
        if (!read.ok) continue;
        assert.deepEqual(read.value.snapshot, parseStatus(data.toString(), { file: path, timeZone: 'UTC' }));
        assert.equal(read.value.fileModifiedAt, isoFromMs((await stat(path)).mtimeMs));
      }
    }
  });

  test('a file modified a moment ago is read once it has settled', async (t) => {
    const dir = await tempDir(t);
    const path = join(dir, 'status.log');
    await writeFile(path, fixture('v3', 'connected'));
    const read = await readStatusFile(path, { timeZone: 'UTC' });
    assert.equal(read.ok, true);
  });

  const unreadable: [string, string | Buffer, RegExp][] = [
    ['an empty file', '', /empty file/],
    ['a file cut before END', fixture('v3', 'connected').subarray(0, 900), /no END line/],
    ['a v1 file cut before END', fixture('v1', 'connected').subarray(0, 700), /no END line/],
    ['garbage', 'hello world\n', /not an OpenVPN server status file/],
    ['client-mode statistics', 'OpenVPN STATISTICS\nUpdated,2026-11-26 16:00:00\nEND\n', /client-mode/],
  ];
  for (const [what, data, reason] of unreadable) {
    test(`${what} is unreadable after retries, with the reason`, async (t) => {
      const dir = await tempDir(t);
      const path = join(dir, 'status.log');
      await writeStatus(path, data);
      const read = await readStatusFile(path, FAST);
      assert.equal(read.ok ? 'snapshot' : read.error.kind, 'unreadable');
      assert.match(!read.ok && read.error.kind === 'unreadable' ? read.error.reason : '', reason);
      assert.match(
        !read.ok && read.error.kind === 'unreadable' ? read.error.reason : '',
        /status\.log/,
        'the reason names the file',
      );
    });
  }

  test('a file with a future mtime does not make the reader wait for ever', async (t) => {
    const dir = await tempDir(t);
    const path = join(dir, 'status.log');
    await writeFile(path, fixture('v3', 'connected'));
    const future = new Date(Date.now() + 3600_000);
    await utimes(path, future, future);
    const read = await readStatusFile(path, FAST);
    assert.deepEqual(read, {
      ok: false,
      error: { kind: 'unreadable', reason: 'its modification time is in the future' },
    });
  });

  test('a folder is unreadable, not a crash', async (t) => {
    const dir = await tempDir(t);
    const past = new Date(Date.now() - 60_000);
    await utimes(dir, past, past);
    const read = await readStatusFile(dir, FAST);
    assert.equal(read.ok ? 'snapshot' : read.error.kind, 'unreadable');
  });

  test('a file rewritten in place in a tight loop never yields a torn snapshot', async (t) => {
    const dir = await tempDir(t);
    const path = join(dir, 'status.log');
    // Versions with the same line lengths: any mix of a new head and an old tail parses
    // fine (the sneaky "spliced" read), and one shorter version with no clients.
    const client = (i: number, v: number): GenClient => ({
      commonName: `client-${i}`,
      username: i % 2 ? `user${i}` : null,
      ip: `10.0.0.${10 + i}`,
      port: 40000 + i,
      virtualAddress: `10.8.0.${10 + i}`,
      bytesReceived: 10000 + v * 1111 + i,
      bytesSent: 20000 + v * 1111 + i,
      connectedAt: 1795709000 + i,
      clientId: i,
      peerId: i,
    });
    const versions = [0, 1, 2, 3].map((v) =>
      renderV3(
        1795709700 + v,
        [1, 2, 3, 4, 5, 6].map((i) => client(i, v)),
      ),
    );
    versions.push(renderV3(1795709799, []));
    const expected = new Set(versions.map((v) => JSON.stringify(parseStatus(v, { file: path, timeZone: 'UTC' }))));
    await writeFile(path, versions[0] as string);
    await writeFile(join(dir, 'versions.json'), JSON.stringify(versions));

    const writer = await startChild(t, [REWRITER, path, join(dir, 'versions.json'), '7'], 'writing');
    let accepted = 0;
    let rejected = 0;
    const seen = new Set<string>();
    const rng = seededRng(11);
    for (let i = 0; i < 40; i++) {
      // Spread the reads over the writer's bursts and quiet spells.
      await sleep(randomInt(rng, 0, 200));
      const read = await readStatusFile(path, { timeZone: 'UTC', attempts: 3, retryDelayMs: 10 });
      if (!read.ok) {
        assert.equal(read.error.kind, 'unreadable');
        rejected++;
        continue;
      }
      const json = JSON.stringify(read.value.snapshot);
      if (!expected.has(json)) {
        const slowest = await readFile(`${path}.slowest`, 'utf8');
        assert.fail(
          `read ${i}: a snapshot that is none of the complete versions was accepted (the writer's slowest rewrite took ${slowest} ms)`,
        );
      }
      accepted++;
      seen.add(read.value.snapshot.updatedAt ?? '');
    }
    // Without the checks, plain reads of the same file do come back torn.
    let torn = 0;
    let naive = 0;
    for (let i = 0; i < 3000; i++) {
      const text = (await readFile(path)).toString();
      naive++;
      try {
        if (!expected.has(JSON.stringify(parseStatus(text, { file: path, timeZone: 'UTC' })))) torn++;
      } catch (e) {
        if (!(e instanceof InputError)) throw e;
        torn++;
      }
    }
    await killChild(writer);
    const slowest = await readFile(`${path}.slowest`, 'utf8');
    t.diagnostic(
      `${accepted} reads accepted (${seen.size} versions), ${rejected} unreadable; plain reads: ${torn} of ${naive} torn; slowest rewrite ${slowest} ms`,
    );
    assert.ok(accepted >= 10, `only ${accepted} of 40 reads were accepted`);
  });
});
