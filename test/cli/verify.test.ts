/**
 * Issue 22: the history's hash chain. Edits through the tool keep `verify` at 0; each case of
 * the tamper table is caught and named (file and line); an anchor (an older ledger.json)
 * catches what leaves no break (a cut tail, a whole forged chain).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmod, copyFile, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { test } from 'node:test';
import { historyOps } from '../../src/app/history-edit.js';
import { chainHash, GENESIS } from '../../src/core/chain.js';
import { readAllHistory } from '../../src/io/history-store.js';
import { trashPaths } from '../../src/io/trash.js';
import { memoryLog, siteSettings } from '../helpers/api.js';
import { distPath } from '../helpers/build.js';
import { cliOk, killChild, runCli, startChild } from '../helpers/cli.js';
import { plus, siteArgs, T0, writeSyntheticSite, type SitePaths } from '../helpers/site.js';
import { tempDir } from '../helpers/tmp.js';

const HOLD = new URL('../helpers/child/hold-lock.mjs', import.meta.url).pathname;
const isRoot = process.getuid?.() === 0;

interface Report {
  schemaVersion: 1;
  ok: boolean;
  rows: number;
  head: string;
  problems: { file: string; line: number | null; reason: string }[];
}

async function verify(p: SitePaths, extra: string[] = []): Promise<{ code: number | null; report: Report }> {
  const r = await runCli(['verify', '--history', p.history, '--json', ...extra]);
  assert.ok(r.code === 0 || r.code === 1, `exit ${r.code}: ${r.stderr}`);
  return { code: r.code, report: JSON.parse(r.stdout) as Report };
}

/** A history of `sessions` rows, chained by a run, with one delete and one restore through the tool. */
async function chainedSite(t: Parameters<typeof tempDir>[0], sessions = 30): Promise<SitePaths> {
  const dir = await tempDir(t);
  const site = await writeSyntheticSite(dir, { sessions, users: 4, spanDays: 3, live: 2, seed: 22 });
  await cliOk(['run', ...siteArgs(site.paths, T0)]);
  const ops = historyOps({ settings: siteSettings(site.paths), log: memoryLog(), now: () => plus(T0, 5) });
  const ids = site.history.map((s) => s.id);
  const actor = { user: 'alice', client: '127.0.0.1', reason: 'test data' };
  assert.ok((await ops.deleteSessions([ids[3] as string, ids[4] as string, ids[9] as string], actor)).ok);
  assert.ok((await ops.restoreSessions([ids[4] as string], actor)).ok);
  return site.paths;
}

const lines = async (path: string): Promise<string[]> => (await readFile(path, 'utf8')).split('\n');

test('deletes and restores through the tool keep verify at 0; the change log names who, why and the heads', async (t) => {
  const p = await chainedSite(t);
  const { code, report } = await verify(p);
  assert.deepEqual(report.problems, []);
  assert.equal(code, 0);
  assert.equal(report.rows, 28);
  const log = (await lines(trashPaths(p.history).audit)).filter(Boolean).map((l) => JSON.parse(l));
  assert.deepEqual(
    log.map((e) => [e.action, e.reason ?? null]),
    [
      ['delete', 'test data'],
      ['restore', 'test data'],
    ],
  );
  assert.equal(log[0].before.rows, 30);
  assert.equal(log[0].after.rows, 27);
  assert.equal(log[1].before.head, log[0].after.head);
  assert.equal(log[1].after.rows, 28);
  // Sessions read as before: the chain column is not a session field.
  assert.equal((await readAllHistory(p.history)).length, 28);
});

/**
 * Takes the history's row `pick` chooses out and hides it with a link forged into the change
 * log's restore entry (its second line), the state's row count made to agree; `claim` also
 * lists the row's id among the entry's. Returns where verify must point: that entry.
 */
async function forgeLinkOver(
  p: SitePaths,
  pick: (restore: { ids: string[] }, rows: string[]) => number,
  claim: boolean,
): Promise<{ file: string; line: number }> {
  const path = trashPaths(p.history).audit;
  const log = await lines(path);
  const restore = JSON.parse(log[1] as string);
  const l = await lines(p.history);
  const i = pick(restore, l);
  const row = l[i] as string;
  const id = row.slice(0, row.indexOf(','));
  const prev = (l[i - 1] as string).slice(-64);
  if (claim) restore.ids.push(id);
  restore.links = [{ id, prev, sha: row.slice(-64), after: prev }];
  log[1] = JSON.stringify(restore);
  await writeFile(path, log.join('\n'));
  l.splice(i, 1);
  await writeFile(p.history, l.join('\n'));
  const state = JSON.parse(await readFile(p.state, 'utf8'));
  state.chain.rows--;
  await writeFile(p.state, JSON.stringify(state));
  return { file: path, line: 2 };
}

/** Each tamper case: what it does to the files, and which file and line verify must name. */
const CASES: {
  name: string;
  tamper: (p: SitePaths) => Promise<{ file: string; line: number | null }>;
}[] = [
  {
    name: 'one byte of a row changed',
    async tamper(p) {
      const l = await lines(p.history);
      l[6] = (l[6] as string).replace(/,(\d)/, (_m, d: string) => `,${(Number(d) + 1) % 10}`);
      await writeFile(p.history, l.join('\n'));
      return { file: p.history, line: 7 };
    },
  },
  {
    name: 'a row removed',
    async tamper(p) {
      const l = await lines(p.history);
      l.splice(10, 1);
      await writeFile(p.history, l.join('\n'));
      return { file: p.history, line: 11 };
    },
  },
  {
    name: 'a row inserted (a copy of another, chained on from the row before)',
    async tamper(p) {
      const l = await lines(p.history);
      const prev = (l[11] as string).slice(-64);
      const canonical = (l[20] as string).slice(0, -65);
      l.splice(12, 0, `${canonical},${chainHash(prev, canonical)}`);
      await writeFile(p.history, l.join('\n'));
      return { file: p.history, line: 14 };
    },
  },
  {
    name: 'two rows swapped',
    async tamper(p) {
      const l = await lines(p.history);
      [l[15], l[16]] = [l[16] as string, l[15] as string];
      await writeFile(p.history, l.join('\n'));
      return { file: p.history, line: 16 };
    },
  },
  {
    name: 'the change log edited',
    async tamper(p) {
      const path = trashPaths(p.history).audit;
      const l = await lines(path);
      l[0] = (l[0] as string).replace('"alice"', '"mallory"');
      await writeFile(path, l.join('\n'));
      return { file: path, line: 1 };
    },
  },
  {
    name: 'the trash edited',
    async tamper(p) {
      const path = trashPaths(p.history).trash;
      const l = await lines(path);
      l[0] = (l[0] as string).replace(/"bytesSent":\d+/, '"bytesSent":1');
      await writeFile(path, l.join('\n'));
      return { file: path, line: 1 };
    },
  },
  {
    name: 'a restored row removed, hidden by a link forged into the change log, the state made to agree',
    async tamper(p) {
      // The restore entry (the log's last line: no entry after it whose prev would change) gets a
      // link as if the row had gone back out of its place; the state counts a row less.
      return forgeLinkOver(p, (restore, rows) => rows.findIndex((row) => row.startsWith(`${restore.ids[0]},`)), false);
    },
  },
  {
    name: 'a row removed, hidden by a link forged into the change log for a row no delete took out',
    async tamper(p) {
      return forgeLinkOver(p, () => 10, true);
    },
  },
];

for (const c of CASES) {
  test(`tamper: ${c.name} is caught and named`, async (t) => {
    const p = await chainedSite(t);
    const where = await c.tamper(p);
    const { code, report } = await verify(p);
    assert.equal(code, 1, JSON.stringify(report));
    assert.equal(report.ok, false);
    assert.deepEqual(
      { file: report.problems[0]?.file, line: report.problems[0]?.line },
      where,
      JSON.stringify(report.problems),
    );
  });
}

test('tamper: the tail cut (state and all) is caught with an anchor; a whole forged chain too', async (t) => {
  const p = await chainedSite(t);
  await cliOk(['run', ...siteArgs(p, plus(T0, 10))]);
  const anchor = join(p.dir, 'anchor.json');
  await copyFile(join(p.out, 'ledger.json'), anchor);
  const ledger = JSON.parse(await readFile(anchor, 'utf8'));
  assert.equal(ledger.rows, 28);
  assert.equal((await verify(p, ['--anchor', anchor])).code, 0, 'the anchor is on the chain');

  // Cut the last three rows and make the state agree: no break left to find without the anchor.
  const l = await lines(p.history);
  const kept = l.slice(0, l.length - 4);
  await writeFile(p.history, `${kept.join('\n')}\n`);
  const state = JSON.parse(await readFile(p.state, 'utf8'));
  state.chain = { head: (kept.at(-1) as string).slice(-64), rows: kept.length - 1 };
  state.historyBytes = Buffer.byteLength(`${kept.join('\n')}\n`);
  await writeFile(p.state, JSON.stringify(state));
  assert.equal((await verify(p)).code, 0, 'consistent without the anchor');
  const cut = await verify(p, ['--anchor', anchor]);
  assert.equal(cut.code, 1);
  assert.equal(cut.report.problems[0]?.file, anchor);
  assert.match(cut.report.problems[0]?.reason ?? '', /removed or rewritten after the anchor without a record/);

  // A whole forged chain over every row: one changed and every value recomputed from the start.
  const rows = l.slice(1, -1).map((r) => r.slice(0, -65));
  rows[2] = (rows[2] as string).replace(/,(\d)/, ',9');
  let head = GENESIS;
  const forged: string[] = [];
  for (const r of rows) {
    head = chainHash(head, r);
    forged.push(`${r},${head}`);
  }
  await writeFile(p.history, `${[l[0], ...forged].join('\n')}\n`);
  state.chain = { head, rows: forged.length };
  await writeFile(p.state, JSON.stringify(state));
  const quiet = await verify(p);
  assert.equal(quiet.code, 0, `consistent without the anchor: ${JSON.stringify(quiet.report.problems)}`);
  const forgedReport = await verify(p, ['--anchor', anchor]);
  assert.equal(forgedReport.code, 1);
  assert.equal(forgedReport.report.problems.at(-1)?.file, anchor);
});

test('every change-log entry names the chain head before and after, a clear of an empty history too', async (t) => {
  const p = await chainedSite(t);
  const ops = historyOps({ settings: siteSettings(p), log: memoryLog(), now: () => plus(T0, 6) });
  const actor = { user: 'alice', client: '127.0.0.1' };
  const count = await ops.countSessions();
  assert.ok(count.ok);
  assert.ok((await ops.clearHistory(count.value, actor)).ok);
  assert.ok((await ops.clearHistory(0, actor)).ok, 'nothing left to clear');
  const log = (await lines(trashPaths(p.history).audit)).filter(Boolean).map((l) => JSON.parse(l));
  assert.deepEqual(
    log.map((e) => e.action),
    ['delete', 'restore', 'clear', 'clear'],
  );
  for (const e of log) assert.ok(e.before && e.after, `${e.action} names both heads`);
  assert.deepEqual(log[3].before, log[2].after);
  assert.deepEqual(log[3].after, log[2].after);
  assert.equal((await verify(p)).code, 0);
});

test('verify: a bad anchor file is bad input (exit 2)', async (t) => {
  const p = await chainedSite(t);
  const anchor = join(p.dir, 'anchor.json');
  await writeFile(anchor, '{"schemaVersion":1,"head":"xyz","rows":1}');
  const r = await runCli(['verify', '--history', p.history, '--anchor', anchor]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /anchor\.json: not a ledger\.json of schemaVersion 1: head is not 64 hex digits/);
});

test('retention, a clear, an import and appends after them through the tool keep verify at 0', async (t) => {
  const dir = await tempDir(t);
  const site = await writeSyntheticSite(dir, { sessions: 120, users: 5, spanDays: 12, live: 2, seed: 23 });
  const p = site.paths;
  const config = join(dir, 'config.json');
  await writeFile(config, JSON.stringify({ retentionDays: 5 }));
  await cliOk(['run', ...siteArgs(p, plus(T0, 1), ['--config', config])]);
  const afterRetention = await verify(p);
  assert.deepEqual(afterRetention.report.problems, []);
  const log = async (): Promise<string[]> =>
    (await lines(trashPaths(p.history).audit)).filter(Boolean).map((l) => JSON.parse(l).action);
  assert.deepEqual(await log(), ['retention']);
  assert.ok(afterRetention.report.rows < 120, 'rows moved to the archives');

  const ops = historyOps({ settings: siteSettings(p), log: memoryLog(), now: () => plus(T0, 5) });
  const count = await ops.countSessions();
  assert.ok(count.ok);
  assert.ok((await ops.clearHistory(count.value, { user: 'alice', client: '127.0.0.1' })).ok);
  const legacy = join(dir, 'old.csv');
  await writeFile(
    legacy,
    'user,public_ip,tunnel_ip,start,end,duration_s\nbob,192.0.2.7,10.8.0.9,2026-03-01 10:00:00,2026-03-01 11:00:00,3600\n',
  );
  await cliOk(['import-legacy', legacy, '--tz', 'Europe/Berlin', '--history', p.history, '--now', plus(T0, 6)]);
  assert.deepEqual(await log(), ['retention', 'clear', 'import']);
  const { code, report } = await verify(p);
  assert.deepEqual(report.problems, []);
  assert.equal(code, 0);
  assert.equal(report.rows, 1);
});

test('a restore after retention archived the row before the deleted one keeps verify at 0', async (t) => {
  const dir = await tempDir(t);
  const site = await writeSyntheticSite(dir, { sessions: 120, users: 5, spanDays: 12, live: 2, seed: 24 });
  const p = site.paths;
  await cliOk(['run', ...siteArgs(p, T0)]);
  // The first row that stays after a 5-day retention, whose row before it goes to the archive.
  const cutoff = Date.parse(plus(T0, 1)) - 5 * 86_400_000;
  const rows = await readAllHistory(p.history);
  const k = rows.findIndex(
    (s, i) =>
      i > 0 &&
      Date.parse(s.endedAt as string) > cutoff + 10_000 &&
      Date.parse(rows[i - 1]?.endedAt as string) < cutoff - 10_000,
  );
  assert.ok(k > 0, 'such a row exists');
  const id = (rows[k] as { id: string }).id;
  const ops = historyOps({ settings: siteSettings(p), log: memoryLog(), now: () => plus(T0, 1) });
  const actor = { user: 'alice', client: '127.0.0.1' };
  assert.ok((await ops.deleteSessions([id], actor)).ok);
  const config = join(dir, 'config.json');
  await writeFile(config, JSON.stringify({ retentionDays: 5 }));
  await cliOk(['run', ...siteArgs(p, plus(T0, 1), ['--config', config])]);
  assert.ok((await ops.restoreSessions([id], actor)).ok);
  const { code, report } = await verify(p);
  assert.deepEqual(report.problems, []);
  assert.equal(code, 0);
  assert.ok(
    (await readAllHistory(p.history)).some((s) => s.id === id),
    'the row is back',
  );
});

test('verify reads under the history lock: it waits for a writer, and says so when the lock stays busy (exit 2)', async (t) => {
  const p = await chainedSite(t);
  const config = join(p.dir, 'verify-config.json');
  await writeFile(config, JSON.stringify({ lockTimeout: 1 }));
  const holder = await startChild(t, [HOLD, distPath('io/lock.js'), `${p.history}.lock`], 'locked');
  const busy = await runCli(['verify', '--history', p.history, '--config', config, '--json']);
  assert.equal(busy.code, 2, busy.stderr);
  assert.equal(busy.stdout, '', 'no verdict without the lock');
  assert.match(busy.stderr, new RegExp(`warning: verify skipped: the history is locked by pid ${holder.pid} on `));
  await killChild(holder);
  // The holder died: its lock is taken over, and the verdict is given.
  const after = await runCli(['verify', '--history', p.history, '--config', config, '--json']);
  assert.equal(after.code, 0, after.stderr);
  assert.equal((JSON.parse(after.stdout) as Report).ok, true);
  await assert.rejects(stat(`${p.history}.lock`), { code: 'ENOENT' }, 'the lock is released');
});

test('a copy on a file system this user may not write is verified as it is, without the lock', async (t) => {
  const p = await chainedSite(t);
  const copy = join(p.dir, 'auditor-copy');
  await mkdir(copy);
  // The history, its state, trash and change log (not the build cache's folder).
  const names = (await readdir(p.dir, { withFileTypes: true }))
    .filter((e) => e.isFile() && e.name.startsWith(basename(p.history)))
    .map((e) => e.name);
  const args = ['verify', '--history', join(copy, basename(p.history)), '--json', '--verbose'];
  const copyAll = async () => {
    for (const n of names) await copyFile(join(p.dir, n), join(copy, n));
  };
  let r: Awaited<ReturnType<typeof runCli>>;
  if (isRoot) {
    // Root writes any folder: a tmpfs remounted read-only (EROFS) stands for an auditor's read-only copy.
    assert.equal(spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', copy]).status, 0, 'mount a tmpfs');
    try {
      await copyAll();
      assert.equal(spawnSync('mount', ['-o', 'remount,ro', copy]).status, 0, 'remount it read-only');
      r = await runCli(args);
      assert.deepEqual((await readdir(copy)).sort(), names.sort(), 'nothing written beside the copy');
    } finally {
      spawnSync('umount', ['-l', copy]);
    }
  } else {
    await copyAll();
    await chmod(copy, 0o500);
    t.after(() => chmod(copy, 0o755));
    r = await runCli(args);
    assert.deepEqual((await readdir(copy)).sort(), names.sort(), 'nothing written beside the copy');
  }
  assert.equal(r.code, 0, r.stderr);
  assert.equal((JSON.parse(r.stdout) as Report).ok, true);
  assert.match(
    r.stderr,
    /verify: no lock \(.*cannot create the lock: (read-only file system \(EROFS\)|permission denied \(EACCES\))/,
  );
});
