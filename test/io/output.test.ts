/** Publishing into the folder nginx serves (src/io/output.ts): inside it only, atomically, unchanged files untouched. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdir, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { publishFiles, removeFiles } from '../../src/io/output.js';
import { listFiles } from '../helpers/site.js';
import { listDir, tempDir } from '../helpers/tmp.js';

describe('publishFiles', () => {
  test('writes nested files, creating their folders, readable by the web server (0644 files, 0755 folders)', async (t) => {
    const out = join(await tempDir(t), 'site');
    const n = await publishFiles(out, [
      { path: 'index.html', content: '<!doctype html>home' },
      { path: 'u/alice/m/2026-03/index.html', content: 'alice' },
      { path: 'assets/app.js', content: Buffer.from('/* js */') },
    ]);
    assert.equal(n, 3);
    assert.deepEqual(await listFiles(out), ['assets/app.js', 'index.html', 'u/alice/m/2026-03/index.html']);
    assert.equal(await readFile(join(out, 'u/alice/m/2026-03/index.html'), 'utf8'), 'alice');
    assert.equal(await readFile(join(out, 'assets/app.js'), 'utf8'), '/* js */');
    const mask = process.umask();
    assert.equal((await stat(join(out, 'index.html'))).mode & 0o777, 0o644 & ~mask);
    assert.equal((await stat(join(out, 'u/alice'))).mode & 0o777, 0o777 & ~mask);
  });

  test('refuses every path outside the folder, before writing anything', async (t) => {
    const dir = await tempDir(t);
    const out = join(dir, 'site');
    await mkdir(out);
    for (const path of [
      '../escape.html',
      '../../escape.html',
      'a/../../escape.html',
      '/tmp/escape.html',
      join(dir, 'escape.html'),
      '',
      '.',
      'a/..',
      '..',
    ]) {
      await assert.rejects(
        publishFiles(out, [
          { path: 'ok.html', content: 'fine' },
          { path, content: 'evil' },
        ]),
        /refusing to write outside/,
        JSON.stringify(path),
      );
    }
    assert.deepEqual(await listDir(dir), ['site'], 'nothing beside the folder');
    assert.deepEqual(await listDir(out), [], 'not even the good file of a refused batch');
    await assert.rejects(removeFiles(out, ['../site']), /refusing to write outside/);
    assert.deepEqual(await listDir(dir), ['site']);
  });

  test('a path that climbs and comes back in is fine', async (t) => {
    const out = join(await tempDir(t), 'site');
    assert.equal(await publishFiles(out, [{ path: 'a/../b/index.html', content: 'b' }]), 1);
    assert.deepEqual(await listFiles(out), ['b/index.html']);
  });

  test('unchanged files are not rewritten: same mtime, same inode, not counted', async (t) => {
    const out = join(await tempDir(t), 'site');
    const files = [
      { path: 'index.html', content: 'one' },
      { path: 'd/2026-03-18/index.html', content: 'two' },
    ];
    await publishFiles(out, files);
    const past = new Date('2020-01-01T00:00:00Z');
    for (const f of files) await utimes(join(out, f.path), past, past);
    const before = await Promise.all(files.map((f) => stat(join(out, f.path))));
    assert.equal(await publishFiles(out, files), 0);
    assert.equal(
      await publishFiles(out, [{ path: 'index.html', content: 'one!' }, files[1] as { path: string; content: string }]),
      1,
    );
    const after = await Promise.all(files.map((f) => stat(join(out, f.path))));
    assert.equal(after[1]?.mtimeMs, before[1]?.mtimeMs, 'the unchanged page keeps its mtime');
    assert.equal(after[1]?.ino, before[1]?.ino, 'and its inode');
    assert.notEqual(after[0]?.mtimeMs, before[0]?.mtimeMs, 'the changed one is new');
    assert.equal(await readFile(join(out, 'index.html'), 'utf8'), 'one!');
  });

  test('replaces files atomically: a reader sees the old page or the new one, never a part', async (t) => {
    const out = join(await tempDir(t), 'site');
    const pages = [
      `<!doctype html>${'A'.repeat(2 * 1024 * 1024)}</html>`,
      `<!doctype html>${'B'.repeat(700 * 1024 + 3)}</html>`,
    ];
    await publishFiles(out, [{ path: 'index.html', content: pages[0] as string }]);
    let stop = false;
    let reads = 0;
    const bad: number[] = [];
    const reader = (async () => {
      while (!stop) {
        const body = readFileSync(join(out, 'index.html'), 'utf8');
        reads++;
        if (body !== pages[0] && body !== pages[1]) bad.push(body.length);
        await new Promise((r) => setImmediate(r));
      }
    })();
    let written = 0;
    for (let i = 1; i <= 60; i++)
      written += await publishFiles(out, [{ path: 'index.html', content: pages[i % 2] as string }]);
    stop = true;
    await reader;
    assert.equal(written, 60);
    assert.deepEqual(bad, [], 'only whole pages were read');
    assert.ok(reads > 30, `${reads} reads`);
    assert.deepEqual(await listDir(out), ['index.html'], 'no temp file is left');
  });

  test('removeFiles removes pages and ignores those already gone', async (t) => {
    const out = join(await tempDir(t), 'site');
    await publishFiles(out, [
      { path: 'live/index.html', content: 'x' },
      { path: 'live/p2/index.html', content: 'y' },
    ]);
    await writeFile(join(out, 'keep.html'), 'k');
    await removeFiles(out, ['live/p2/index.html', 'live/p3/index.html']);
    assert.deepEqual(await listFiles(out), ['keep.html', 'live/index.html']);
  });
});
