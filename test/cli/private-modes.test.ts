/**
 * The history, its state and the build cache hold user names and public addresses: other
 * local users must not read them (like the trash and audit log, 0600). The published site
 * stays readable for nginx.
 */
import assert from 'node:assert/strict';
import { chmod, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { collectArgs } from '../helpers/collector.js';
import { fixture, isoPlus, updatedAtOf, writeStatus, type Moment } from '../helpers/status.js';
import { tempDir } from '../helpers/tmp.js';

// The modes asserted are those asked for under the usual umask (the children inherit it).
process.umask(0o022);

const mode = async (p: string): Promise<string> => `0${((await stat(p)).mode & 0o777).toString(8)}`;

/** Every folder and file below `dir` (itself included) with its mode. */
async function modes(dir: string): Promise<Map<string, string>> {
  const all = new Map([[dir, await mode(dir)]]);
  for (const name of await readdir(dir, { recursive: true })) all.set(join(dir, name), await mode(join(dir, name)));
  return all;
}

test('history, state and build cache are created 0640 (folders 0750); the output folder stays 0644/0755', async (t) => {
  const dir = await tempDir(t);
  const folder = join(dir, 'var', 'lib');
  const history = join(folder, 'h.csv');
  const out = join(dir, 'out');
  const run = async (m: Moment): Promise<void> => {
    const data = fixture('v3', m);
    await writeStatus(join(dir, 'status.log'), data);
    const r = await runCli([
      'run',
      ...collectArgs([join(dir, 'status.log')], history, isoPlus(updatedAtOf(data), 1), ['--out', out]).slice(1),
    ]);
    assert.equal(r.code, 0, r.stderr);
  };
  await run('connected');
  await run('after-disconnect');
  await run('after-reconnect');

  assert.equal(await mode(folder), '0750', 'the history folder, created by the run');
  assert.equal(await mode(history), '0640', 'the history CSV');
  assert.equal(await mode(`${history}.state.json`), '0640', 'the state');
  const cache = await modes(`${history}.cache`);
  assert.ok(cache.size > 5, `the cache has files: ${[...cache.keys()].join(', ')}`);
  for (const [p, m] of cache) assert.equal(m, (await stat(p)).isDirectory() ? '0750' : '0640', p);
  for (const [p, m] of await modes(out)) assert.equal(m, (await stat(p)).isDirectory() ? '0755' : '0644', p);

  // A state written by an older version (0644) is tightened by the next run's rewrite.
  await chmod(`${history}.state.json`, 0o644);
  await run('auth-pending');
  assert.equal(await mode(`${history}.state.json`), '0640', 'the state after a rewrite');
});
