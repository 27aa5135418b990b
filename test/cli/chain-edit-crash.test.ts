/**
 * Issue 22: deletes and restores (the endpoint's operations) killed with SIGKILL at random
 * moments: nothing is lost (every session is in the history or the trash), and after the
 * next run verify accepts the chain, the trash and the change log.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readAllHistory } from '../../src/io/history-store.js';
import { readTrash, trashPaths } from '../../src/io/trash.js';
import { siteSettings } from '../helpers/api.js';
import { cliOk, runNode, runCli } from '../helpers/cli.js';
import { randomInt, seededRng } from '../helpers/random.js';
import { siteArgs, T0, writeSyntheticSite } from '../helpers/site.js';
import { tempDir } from '../helpers/tmp.js';

const KILLS = 8;

test('deletes and restores killed at random moments: nothing lost, verify 0 after the next run', {
  timeout: 300_000,
}, async (t) => {
  const dir = await tempDir(t);
  const site = await writeSyntheticSite(dir, { sessions: 600, users: 8, spanDays: 6, live: 2, seed: 9 });
  const p = site.paths;
  await cliOk(['run', ...siteArgs(p, T0)]);
  const ids = site.history.filter((_, i) => i % 37 === 5).map((s) => s.id);
  const script = new URL('../helpers/child/history-edits.ts', import.meta.url).pathname;
  const chaos = seededRng(3131);
  let killed = 0;
  for (let i = 0; i < KILLS; i++) {
    const r = await runNode(['--import', 'tsx', script, JSON.stringify(siteSettings(p)), ...ids], {
      killAfterMs: randomInt(chaos, 800, 4000),
    });
    if (r.signal === 'SIGKILL') killed++;
    // Every session is in the history or in the trash (a crash between the two may leave it in both).
    const present = new Set((await readAllHistory(p.history)).map((s) => s.id));
    for await (const e of readTrash(trashPaths(p.history).trash)) present.add(e.session.id);
    assert.deepEqual(
      site.history.filter((s) => !present.has(s.id)).map((s) => s.id),
      [],
      `lost after kill ${i}: ${r.stderr}`,
    );
  }
  assert.equal(killed, KILLS);
  await cliOk(['run', ...siteArgs(p, T0)]);
  const verified = await runCli(['verify', '--history', p.history]);
  assert.equal(verified.code, 0, verified.stdout + verified.stderr);
});
