/**
 * A one-shot run writes the whole-history export files of an incremental build in a worker
 * thread, beside its other stages (src/app/build/whole-history.ts): the same bytes as in
 * the build's own thread, minute by minute; its warnings reach the log once; its failure
 * fails the build before the manifest is committed; a build that starts over in full (a
 * damaged cache found beside the worker) ends with the files of a full build.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFile, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildLocked } from '../../src/app/build.js';
import { run } from '../../src/app/run.js';
import { cachePaths, lookupDaysDir, wholeHistoryIndex } from '../../src/io/build-cache.js';
import { exportFileName } from '../../src/core/export-names.js';
import { advanceClients } from '../../src/demo/synthetic.js';
import { memoryLog, siteSettings } from '../helpers/api.js';
import { plus, T0, writeStatusFile, writeSyntheticSite, type SyntheticSite } from '../helpers/site.js';
import { tempDir } from '../helpers/tmp.js';

const WHOLE = ['all', 'ended'].flatMap((status) =>
  (['csv', 'xlsx'] as const).map((ext) => `exports/${exportFileName(null, status as 'all' | 'ended', ext)}`),
);

/** Each whole-history file's SHA-256. */
async function wholeFiles(out: string): Promise<string[]> {
  return Promise.all(
    WHOLE.map(async (f) =>
      createHash('sha256')
        .update(await readFile(join(out, f)))
        .digest('hex'),
    ),
  );
}

/** Runs a full build, then `minutes` cron minutes with reconnects; the whole-history files after each. */
async function minutes(site: SyntheticSite, wholeHistoryWorker: boolean, reconnects: number[]): Promise<string[][]> {
  const settings = siteSettings(site.paths);
  const seen: string[][] = [];
  const first = await run(settings, plus(T0, 1), memoryLog(), { wholeHistoryWorker });
  assert.ok(first.ok);
  let clients = site.clients;
  let at = T0;
  for (const [i, reconnect] of reconnects.entries()) {
    const next = plus(T0, (i + 1) * 60);
    clients = advanceClients(clients, { from: at, to: next, reconnect, seed: i + 1 });
    at = next;
    await writeStatusFile(site.paths.status, clients, at, site.seed);
    const done = await run(settings, plus(at, 1), memoryLog(), { wholeHistoryWorker });
    assert.ok(done.ok);
    seen.push(await wholeFiles(site.paths.out));
  }
  return seen;
}

test('minute by minute, the worker writes the bytes the build thread writes', async (t) => {
  const reconnects = [2, 0, 0, 1, 0];
  const steps: string[][][] = [];
  for (const inWorker of [true, false]) {
    const site = await writeSyntheticSite(await tempDir(t), {
      sessions: 300,
      users: 6,
      spanDays: 20,
      live: 4,
      seed: 5,
    });
    steps.push(await minutes(site, inWorker, reconnects));
  }
  const [worker, thread] = steps as [string[][], string[][]];
  assert.deepEqual(worker, thread);
  // The reconnects' starts and ends rewrote them: the comparison saw the files change.
  assert.ok(new Set(worker.map((files) => files.join())).size >= 3, 'the files changed at least twice');
});

test("the worker's warning reaches the log once, and its failure fails the build", async (t) => {
  const site = await writeSyntheticSite(await tempDir(t), { sessions: 120, users: 3, spanDays: 6, live: 2, seed: 9 });
  const settings = siteSettings(site.paths);
  assert.ok((await run(settings, plus(T0, 1), memoryLog(), { wholeHistoryWorker: true })).ok);
  const step = async (minute: number): Promise<{ log: ReturnType<typeof memoryLog>; done: Promise<unknown> }> => {
    const at = plus(T0, minute * 60);
    const clients = advanceClients(site.clients, { from: T0, to: at, reconnect: 1, seed: minute });
    await writeStatusFile(site.paths.status, clients, at, site.seed);
    const log = memoryLog();
    return { log, done: run(settings, plus(at, 1), log, { wholeHistoryWorker: true }) };
  };

  await writeFile(wholeHistoryIndex(cachePaths(site.paths.history)), '{ damaged');
  const warned = await step(1);
  assert.ok(((await warned.done) as { ok: boolean }).ok);
  const warnings = warned.log.lines.filter((l) => l.startsWith('warning:'));
  assert.equal(warnings.length, 1, warnings.join('\n'));
  assert.match(warnings[0] as string, /whole-history\.json: .*the whole-history export files are made again/);

  // A folder where the file must go: the rename fails in the worker.
  const target = join(site.paths.out, WHOLE[0] as string);
  await rm(target);
  await mkdir(join(target, 'in-the-way'), { recursive: true });
  const manifest = await readFile(cachePaths(site.paths.history).manifest, 'utf8');
  const failed = await step(2);
  await assert.rejects(failed.done, (e: NodeJS.ErrnoException) => {
    assert.equal(e.code, 'EISDIR');
    assert.ok(e.message.includes(target), e.message);
    return true;
  });
  assert.equal(await readFile(cachePaths(site.paths.history).manifest, 'utf8'), manifest, 'manifest not committed');
});

test('a damaged cache found while the worker writes: the build starts over in full and ends with the files of a full build', async (t) => {
  const site = await writeSyntheticSite(await tempDir(t), { sessions: 200, users: 4, spanDays: 8, live: 3, seed: 13 });
  const settings = siteSettings(site.paths);
  assert.ok((await run(settings, plus(T0, 1), memoryLog(), { wholeHistoryWorker: true })).ok);
  const at = plus(T0, 60);
  await writeStatusFile(
    site.paths.status,
    advanceClients(site.clients, { from: T0, to: at, reconnect: 2, seed: 3 }),
    at,
    site.seed,
  );
  // The lookup stage, after the worker started, finds a cached day of this month torn: the build starts over in full.
  const lookupDays = lookupDaysDir(cachePaths(site.paths.history));
  const torn = (await readdir(lookupDays)).sort()[0] as string;
  assert.ok(torn < `${T0.slice(0, 10)}.json`, `${torn} is a day before the run's`);
  await writeFile(join(lookupDays, torn), '{ torn');
  const log = memoryLog();
  assert.ok((await run(settings, plus(at, 1), log, { wholeHistoryWorker: true })).ok);
  assert.ok(log.lines.some((l) => new RegExp(`${torn}: damaged cache file .*rebuilding the site in full`).test(l)));
  const exports = await readdir(join(site.paths.out, 'exports'));
  assert.deepEqual(
    exports.filter((n) => n.includes('.tmp-')),
    [],
  );
  const afterRecovery = await wholeFiles(site.paths.out);
  // A full build of the same state writes the same whole-history files.
  const ref = await writeSyntheticSite(await tempDir(t), { sessions: 200, users: 4, spanDays: 8, live: 3, seed: 13 });
  for (const k of ['history', 'state', 'status'] as const) await copyFile(site.paths[k], ref.paths[k]);
  const full = memoryLog();
  assert.equal((await buildLocked(siteSettings(ref.paths), plus(at, 1), full, {})).full, true);
  assert.deepEqual(await wholeFiles(ref.paths.out), afterRecovery);
});
