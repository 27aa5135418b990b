import assert from 'node:assert/strict';
import { readFile, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { removeStaleTemps, writeFileAtomic, writeFileIfChanged } from '../../src/io/atomic-write.js';
import { distPath, ensureBuilt } from '../helpers/build.js';
import { killChildRounds } from '../helpers/crash.js';
import { randomInt, seededRng } from '../helpers/random.js';
import { listDir, tempDir } from '../helpers/tmp.js';

const WRITER = new URL('../helpers/child/atomic-writer.mjs', import.meta.url).pathname;
/** The two contents the writer child alternates between (see atomic-writer.mjs). */
const CONTENTS = [Buffer.alloc(1024 * 1024, 'A'), Buffer.alloc(300 * 1024 + 7, 'B')];
const isOldOrNew = (b: Buffer): boolean => CONTENTS.some((c) => c.equals(b));

describe('atomic write', () => {
  test('writes the content with the mode, leaves no temp file, replaces an existing file', async (t) => {
    const dir = await tempDir(t);
    const target = join(dir, 'out.json');
    await writeFileAtomic(target, '{"a":1}\n', { mode: 0o600 });
    assert.equal(await readFile(target, 'utf8'), '{"a":1}\n');
    assert.equal((await stat(target)).mode & 0o777, 0o600);
    await writeFileAtomic(target, new Uint8Array([1, 2, 3]));
    assert.deepEqual([...(await readFile(target))], [1, 2, 3]);
    assert.deepEqual(await listDir(dir), ['out.json']);
  });

  test('a failed write rejects and leaves the target alone', async (t) => {
    const dir = await tempDir(t);
    await assert.rejects(writeFileAtomic(join(dir, 'no-such-folder', 'x'), 'data'), { code: 'ENOENT' });
    assert.deepEqual(await listDir(dir), []);
  });

  test('writeFileIfChanged keeps the mtime when the bytes are equal', async (t) => {
    const dir = await tempDir(t);
    const target = join(dir, 'page.html');
    assert.equal(await writeFileIfChanged(target, '<p>1</p>'), true, 'a missing file is written');
    const past = new Date('2020-01-01T00:00:00Z');
    await utimes(target, past, past);
    assert.equal(await writeFileIfChanged(target, '<p>1</p>'), false);
    assert.equal(await writeFileIfChanged(target, Buffer.from('<p>1</p>')), false);
    assert.equal((await stat(target)).mtimeMs, past.getTime());
    assert.equal(await writeFileIfChanged(target, '<p>2</p>'), true);
    assert.notEqual((await stat(target)).mtimeMs, past.getTime());
    assert.equal(await readFile(target, 'utf8'), '<p>2</p>');
  });

  test('removeStaleTemps removes the temp files of dead processes only', async (t) => {
    const dir = await tempDir(t);
    const target = join(dir, 'h.csv');
    const mine = `h.csv.tmp-${process.pid}`;
    // 4194304 is above Linux's pid_max limit: no such process can exist.
    const mineNumbered = `h.csv.tmp-${process.pid}-2`;
    for (const name of [
      'h.csv',
      mine,
      mineNumbered,
      'h.csv.tmp-4194305',
      'h.csv.tmp-4194305-3',
      'h.csv.tmp-x',
      'h.csv.state.json.tmp-4194305',
      'other.tmp-4194305',
    ]) {
      await writeFile(join(dir, name), 'x');
    }
    await removeStaleTemps(target);
    assert.deepEqual(
      await listDir(dir),
      ['h.csv', mine, mineNumbered, 'h.csv.tmp-x', 'h.csv.state.json.tmp-4194305', 'other.tmp-4194305'].sort(),
    );
    await removeStaleTemps(join(dir, 'missing-dir', 'h.csv'));
  });

  test('a writer killed with SIGKILL at random moments never leaves a half-written target', async (t) => {
    ensureBuilt();
    const dir = await tempDir(t);
    const target = join(dir, 'big.bin');
    const rng = seededRng(20261126);
    let reads = 0;
    let tempsLeft = 0;
    await killChildRounds(t, {
      rounds: 12,
      args: [WRITER, distPath('io/atomic-write.js'), target],
      ready: 'writing',
      // Read the target over and over while the child replaces it, then kill the child.
      meanwhile: async () => {
        const deadline = Date.now() + randomInt(rng, 0, 150);
        do {
          const data = await readFile(target);
          reads++;
          assert.ok(isOldOrNew(data), `read ${reads}: ${data.length} bytes, neither the old nor the new content`);
        } while (Date.now() < deadline);
      },
      check: async (_child, round) => {
        assert.ok(isOldOrNew(await readFile(target)), `after kill ${round + 1}: the target is half-written`);
        tempsLeft += (await listDir(dir)).filter((n) => n.includes('.tmp-')).length;
        await removeStaleTemps(target);
        assert.deepEqual(await listDir(dir), ['big.bin']);
      },
    });
    t.diagnostic(`${reads} reads during writes; ${tempsLeft} temp file(s) left by killed writers were removed`);
  });
});
