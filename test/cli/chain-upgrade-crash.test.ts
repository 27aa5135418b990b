/**
 * Issue 22, the upgrade: a history (and a yearly archive) written before the chain get their
 * chain values once. `collect` killed with SIGKILL at random moments of the upgrade leaves the
 * old files or the new ones, never a row lost; the next run finishes the job, verify is 0
 * and the change log says it once.
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { test } from 'node:test';
import { stringify } from 'csv-stringify/sync';
import { HISTORY_COLUMNS, sessionToRecord } from '../../src/core/history-rows.js';
import { readAllHistory } from '../../src/io/history-store.js';
import { trashPaths } from '../../src/io/trash.js';
import { typicalRunMs } from '../helpers/crash.js';
import { cliOk, runCli } from '../helpers/cli.js';
import { randomInt, seededRng } from '../helpers/random.js';
import { siteArgs, T0, writeSyntheticSite } from '../helpers/site.js';
import { tempDir } from '../helpers/tmp.js';

const KILLS = 12;

test('the chain upgrade killed at random moments: old or new files, then finished once', {
  timeout: 240_000,
}, async (t) => {
  const dir = await tempDir(t);
  const site = await writeSyntheticSite(dir, { sessions: 4000, users: 30, spanDays: 20, live: 2, seed: 6 });
  const p = site.paths;
  // Yesterday's format: no chainSha256 column; the oldest rows in an archive.
  const old = (rows: typeof site.history): string =>
    stringify([[...HISTORY_COLUMNS], ...rows.map((s) => sessionToRecord(s))]);
  const archive = `${p.history}.archive-2025.csv`;
  const oldHistory = old(site.history.slice(500));
  const oldArchive = old(site.history.slice(0, 500));
  const reset = async (): Promise<void> => {
    await writeFile(p.history, oldHistory);
    await writeFile(archive, oldArchive);
    await writeFile(
      p.state,
      JSON.stringify({ ...site.state, chain: undefined, historyBytes: Buffer.byteLength(oldHistory) }),
    );
  };
  await reset();
  const args = ['collect', ...siteArgs(p, T0)];
  const typical = await typicalRunMs(args);
  await reset();
  const chaos = seededRng(2222);
  let killed = 0;
  for (let i = 0; i < KILLS; i++) {
    const r = await runCli(args, { killAfterMs: randomInt(chaos, 0, typical) });
    if (r.signal === 'SIGKILL') killed++;
    // Whatever the moment: every row is readable, in the old or the new columns.
    assert.equal((await readAllHistory(p.history)).length, 3500, `after kill ${i}`);
    assert.equal((await readAllHistory(archive)).length, 500, `after kill ${i}`);
    if (r.signal !== 'SIGKILL') await reset(); // it finished: start the upgrade again
  }
  assert.ok(killed >= KILLS / 2, `only ${killed} run(s) were killed`);
  await cliOk(['run', ...siteArgs(p, T0)]);
  const verified = await runCli(['verify', '--history', p.history]);
  assert.equal(verified.code, 0, verified.stdout + verified.stderr);
  const log = (await readFile(trashPaths(p.history).audit, 'utf8')).trim().split('\n');
  assert.equal(log.filter((l) => JSON.parse(l).action === 'upgrade').length >= 1, true);
  assert.equal(JSON.parse(log.at(-1) as string).action, 'upgrade');
  assert.equal(JSON.parse(log.at(-1) as string).after.rows, 3500);
});
