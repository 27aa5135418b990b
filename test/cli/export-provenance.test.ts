/**
 * Exports prove where they come from (issue 22, item 5): every workbook names the chain head
 * and row count it was written at (its custom properties), and a SHA256SUMS beside the
 * exports (per folder; the reports' per month) lists every file's SHA-256 under the head it
 * was built at, so a downloaded file can be matched to the ledger. Through runs that start
 * and end sessions, a delete through the endpoint's edit path and a full build.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cp, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { historyOps } from '../../src/app/history-edit.js';
import { run } from '../../src/app/run.js';
import type { ChainHead } from '../../src/core/chain.js';
import { exportRows } from '../../src/core/export-rows.js';
import { writeCsv } from '../../src/io/csv-export.js';
import { readState } from '../../src/io/history-store.js';
import { writeXlsx } from '../../src/io/xlsx-export.js';
import { memoryLog, siteSettings } from '../helpers/api.js';
import { assertSameButStamp, assertSumsCurrent, sha256, withoutStamp, workbookStamp } from '../helpers/export-sums.js';
import {
  dayIn,
  listFiles,
  plus,
  snapshotFiles,
  T0,
  cronMinutes,
  TZ,
  writeSyntheticSite,
  type FileState,
} from '../helpers/site.js';
import { tempDir } from '../helpers/tmp.js';
import { syntheticSessions } from '../../src/demo/synthetic.js';

/** Every kind of workbook the site has: a user's three views, the live view, the whole history, a day, the reports. */
const KINDS: [string, RegExp][] = [
  ['a user, all', /^openvpn-history_(?!all_)[^/]+_all\.xlsx$/],
  ['a user, active', /^openvpn-history_(?!all_)[^/]+_active\.xlsx$/],
  ['a user, ended', /^openvpn-history_(?!all_)[^/]+_ended\.xlsx$/],
  ['all users, active', /^openvpn-history_all_active\.xlsx$/],
  ['whole history, all', /^openvpn-history_all_all\.xlsx$/],
  ['whole history, ended', /^openvpn-history_all_ended\.xlsx$/],
  ['a day', /^days\/openvpn-history_\d{4}-\d{2}-\d{2}\.xlsx$/],
  ['a month, all users', /^reports\/openvpn-report_\d{4}-\d{2}\.xlsx$/],
  ['a month, one user', /^reports\/openvpn-report_.+_\d{4}-\d{2}\.xlsx$/],
];

const chainNow = async (state: string): Promise<ChainHead> => {
  const chain = (await readState(state)).chain;
  assert.ok(chain, 'the state holds the chain');
  return { head: chain.head, rows: chain.rows };
};

/**
 * After a step: a workbook whose bytes changed holds other rows than before (never rewritten
 * for its stamp alone) and names the head now; one left alone keeps its bytes and older
 * stamp. Returns the workbooks left alone whose stamp is older than the head now.
 */
function checkStamps(
  step: string,
  before: Map<string, FileState>,
  after: Map<string, FileState>,
  chain: ChainHead,
): string[] {
  const older: string[] = [];
  for (const [rel, now] of after) {
    if (!rel.endsWith('.xlsx')) continue;
    const stamp = workbookStamp(now.data);
    const was = before.get(rel);
    if (was === undefined || !was.data.equals(now.data)) {
      assert.deepEqual(stamp, chain, `${step}: ${rel}, written now, names the head now`);
      if (was !== undefined)
        assert.notDeepEqual(
          withoutStamp(was.data),
          withoutStamp(now.data),
          `${step}: ${rel} not rewritten for its stamp`,
        );
    } else {
      assert.equal(now.mtimeMs, was.mtimeMs, `${step}: ${rel} left alone`);
      if (stamp?.head !== chain.head) older.push(rel);
    }
  }
  return older;
}

test('workbooks name the head they were written at; SHA256SUMS list every export file, through runs, a delete and a full build', async (t) => {
  const dir = await tempDir(t, 'ovsw-provenance-');
  const site = await writeSyntheticSite(dir, { sessions: 90, users: 4, spanDays: 50, live: 3, seed: 9 });
  const p = site.paths;
  const settings = siteSettings(p);
  const log = memoryLog();
  const exportsDir = join(p.out, 'exports');
  const runAt = async (at: string): Promise<void> => {
    const r = await run(settings, at, log);
    assert.ok(r.ok, `run at ${at}: ${log.lines.join('\n')}`);
  };

  await runAt(plus(T0, 1));
  let chain = await chainNow(p.state);
  let snap = await snapshotFiles(exportsDir);
  checkStamps('first run', new Map(), snap, chain);
  for (const [kind, re] of KINDS)
    assert.ok(
      [...snap.keys()].some((f) => re.test(f)),
      `a workbook of the kind "${kind}" (${[...snap.keys()]})`,
    );
  await assertSumsCurrent(p.out, 'first run');

  // Minute 1: a client reconnects (a session starts); minute 2: its old session ends (rows appended).
  const older = new Set<string>();
  const at = await cronMinutes(site, [1, 0], async (minuteAt, minute) => {
    await runAt(plus(minuteAt, 1));
    const now = await snapshotFiles(exportsDir);
    chain = await chainNow(p.state);
    for (const f of checkStamps(`minute ${minute}`, snap, now, chain)) older.add(f);
    await assertSumsCurrent(p.out, `minute ${minute}`);
    snap = now;
  });
  assert.ok(chain.rows > (site.state.chain?.rows ?? 0), 'the runs appended rows: the head moved');
  for (const kind of ['a day', 'a month, one user', 'a user, all'])
    assert.ok(
      [...older].some((f) => new Map(KINDS).get(kind)?.test(f) === true),
      `an untouched workbook of the kind "${kind}" keeps its older stamp (${[...older]})`,
    );
  const groups = await assertSumsCurrent(p.out, 'after the runs');
  assert.ok((groups.get('exports/SHA256SUMS')?.length ?? 0) >= 2, 'exports/SHA256SUMS groups files by head');

  // A delete through the endpoint's edit path: every session of the oldest day goes, so its files go too.
  const oldest = [...new Set(site.history.map((s) => dayIn(s.connectedAt, TZ)))].sort()[0] as string;
  const ids = site.history.filter((s) => dayIn(s.connectedAt, TZ) === oldest).map((s) => s.id);
  const ops = historyOps({ settings, log, now: () => plus(at, 30) });
  const done = await ops.deleteSessions(ids, { user: 'auditor-test', client: '127.0.0.1' });
  assert.ok(done.ok, JSON.stringify(done));
  const afterDelete = await snapshotFiles(exportsDir);
  assert.ok(![...afterDelete.keys()].some((f) => f.includes(oldest)), `the files of ${oldest} are gone`);
  chain = await chainNow(p.state);
  checkStamps('delete', snap, afterDelete, chain);
  await assertSumsCurrent(p.out, 'as the delete returns');

  // A full build (no cache) stamps every file it writes with the head now, and lists them all anew.
  await rm(p.cache, { recursive: true, force: true });
  await runAt(plus(at, 60));
  const full = await snapshotFiles(exportsDir);
  assert.deepEqual([...full.keys()], [...afterDelete.keys()], 'the same files as the incremental builds');
  for (const [rel, f] of full) {
    const inc = afterDelete.get(rel) as FileState;
    if (rel.endsWith('.xlsx')) {
      assert.deepEqual(workbookStamp(f.data), chain, `full build: ${rel} names the head now`);
      assertSameButStamp(inc.data, f.data, `${rel}: the incremental builds' file but for its stamp`);
    } else if (!rel.includes('SHA256SUMS')) assert.ok(inc.data.equals(f.data), `${rel}: the same bytes`);
  }
  const fullGroups = await assertSumsCurrent(p.out, 'after a full build');
  for (const [sums, g] of fullGroups) assert.equal(g.length, 1, `${sums}: one head after a full build`);

  // sha256sum -c, as an auditor runs it (GNU coreutils skips the # lines).
  const probe = spawnSync('sha256sum', ['--version']);
  if (probe.error !== undefined) {
    t.diagnostic('sha256sum (coreutils) is not installed: `sha256sum -c` not run');
    return;
  }
  for (const sums of fullGroups.keys()) {
    const folder = join(p.out, sums.slice(0, sums.lastIndexOf('/')));
    const name = sums.slice(sums.lastIndexOf('/') + 1);
    const check = spawnSync('sha256sum', ['-c', '--strict', name], { cwd: folder, encoding: 'utf8' });
    assert.equal(check.status, 0, `cd ${folder} && sha256sum -c ${name}:\n${check.stdout}${check.stderr}`);
    assert.doesNotMatch(check.stdout, /FAILED/);
  }
});

test('a streamed workbook and CSV carry the stamp and give the SHA-256 of the bytes written', async (t) => {
  const dir = await tempDir(t, 'ovsw-provenance-stream-');
  const sessions = syntheticSessions({ count: 30, users: 3, endAt: T0, spanDays: 3, seed: 3 });
  const rows = exportRows(sessions, { lang: 'en', timeZone: TZ, aliasOf: () => '', now: T0 });
  // A generator takes the streaming path (the large files'), an array the in-memory one.
  async function* stream() {
    yield* rows;
  }
  const stamp = { head: 'ab'.repeat(32), rows: 1234 };
  for (const [name, source] of [
    ['streamed', () => stream()],
    ['in memory', () => rows],
  ] as const) {
    const xlsx = join(dir, `${name}.xlsx`);
    const done = await writeXlsx(xlsx, source(), { lang: 'en', stamp });
    const bytes = await readFile(xlsx);
    assert.equal(done.sha256, sha256(bytes), `${name} xlsx: the SHA-256 of its bytes`);
    assert.deepEqual(workbookStamp(bytes), stamp, `${name} xlsx: the stamp in its custom properties`);
    const csv = join(dir, `${name}.csv`);
    const c = await writeCsv(csv, source(), { lang: 'en' });
    assert.equal(c.sha256, sha256(await readFile(csv)), `${name} csv: the SHA-256 of its bytes`);
    assert.equal((await stat(csv)).size, c.bytes);
  }
});

test('a run killed after the exports were written but before the sums were saved: the next run lists the files as they are', async (t) => {
  const dir = await tempDir(t, 'ovsw-provenance-crash-');
  const site = await writeSyntheticSite(dir, { sessions: 60, users: 3, spanDays: 5, live: 2, seed: 4 });
  const p = site.paths;
  const settings = siteSettings(p);
  const log = memoryLog();
  const runAt = async (at: string): Promise<void> => {
    const r = await run(settings, at, log);
    assert.ok(r.ok, `run at ${at}: ${log.lines.join('\n')}`);
  };
  await runAt(plus(T0, 1));
  // What a run writes only at its end (the sums, the digests, the manifest), as the first run left it.
  const saved = ['manifest.json', 'exports', 'sums'].map((f) => join(p.cache, f));
  const sums = ['exports/SHA256SUMS', 'exports/days/SHA256SUMS'].map((f) => join(p.out, f));
  const keep = join(dir, 'kept');
  for (const [i, f] of [...saved, ...sums].entries()) await cp(f, join(keep, String(i)), { recursive: true });

  // Two minutes: a reconnect, then the old session ends (the whole-history files change).
  const at = await cronMinutes(site, [1, 0], (now) => runAt(plus(now, 1)));
  // "Killed" before its end: what the runs wrote at the end is as it was.
  for (const [i, f] of [...saved, ...sums].entries()) {
    await rm(f, { recursive: true, force: true });
    await cp(join(keep, String(i)), f, { recursive: true });
  }
  await runAt(plus(at, 30));
  await assertSumsCurrent(p.out, 'the run after');
});

test('the sums record is compact: per sums file, each chain head once and a [name, SHA-256 base64, head] per file', async (t) => {
  const dir = await tempDir(t, 'ovsw-provenance-record-');
  const site = await writeSyntheticSite(dir, { sessions: 120, users: 5, spanDays: 70, live: 3, seed: 5 });
  const p = site.paths;
  const log = memoryLog();
  const r = await run(siteSettings(p), plus(T0, 1), log);
  assert.ok(r.ok, log.lines.join('\n'));
  const record = join(p.cache, 'sums');
  const files = (await listFiles(record)).filter((f) => f !== 'whole-history.json');
  assert.ok(files.includes('exports.json') && files.includes('days.json'), `${files}`);
  assert.ok(files.filter((f) => f.startsWith('reports/')).length >= 2, `a record file per month: ${files}`);
  for (const f of files) {
    const data = JSON.parse(await readFile(join(record, f), 'utf8'));
    assert.deepEqual(Object.keys(data), ['heads', 'files'], `${f}: heads and files only`);
    const heads = (data.heads as [string, number][]).map(([h, n]) => `${h} ${n}`);
    assert.equal(new Set(heads).size, heads.length, `${f}: each head once`);
    const folder = f === 'exports.json' ? 'exports' : f === 'days.json' ? 'exports/days' : 'exports/reports';
    for (const [name, b64, i] of data.files as [string, string, number][]) {
      assert.ok(!name.includes('/'), `${f}: ${name} named in its folder`);
      assert.equal(Buffer.from(b64, 'base64').toString('hex'), sha256(await readFile(join(p.out, folder, name))));
      assert.ok(heads[i] !== undefined, `${f}: ${name} refers to a head`);
    }
  }
});
