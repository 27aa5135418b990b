/**
 * Deletes purge every copy: once the endpoint (a real HTTP server on port 0) has answered a
 * delete, clear or restore, and once a run has moved sessions to the retention archive, no
 * file under the output folder — page, JSON snapshot, xlsx (unzipped), CSV, day file — holds
 * a trace of the sessions that left: their ids, start and end times (ISO UTC, the zone's wall
 * time, which the pages show too, and the Excel serial) and, for sessions planted with
 * addresses nobody else has, their public and tunnel addresses. A restored session is back in
 * every file it belongs in. After each step the pages, snapshots and monthly reports are what
 * a full build of the same history gives.
 */
import assert from 'node:assert/strict';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join, relative } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { historyOps } from '../../src/app/history-edit.js';
import { archivePath } from '../../src/app/retention.js';
import { reportFileName } from '../../src/core/export-names.js';
import { sessionId, type Session } from '../../src/core/session.js';
import { apiHandler, serveApi } from '../../src/server/api.js';
import { memoryLog, send, siteSettings } from '../helpers/api.js';
import { cliOk } from '../helpers/cli.js';
import { sessionsJson, type SessionJson } from '../helpers/cli.js';
import { assertSumsCurrent, withoutStamp } from '../helpers/export-sums.js';
import { exportMismatches } from '../helpers/export-views.js';
import { findTraces, isWholeHistoryFile, traces, uniqueAmong, type Needle } from '../helpers/leaks.js';
import {
  dayIn,
  listFiles,
  plus,
  siteArgs,
  sitePaths,
  T0,
  writeSyntheticSite,
  type SyntheticSite,
} from '../helpers/site.js';
import { tempDir } from '../helpers/tmp.js';

const NOW = plus(T0, 1);
const DAY_S = 86_400;
const LONE_USER = 'purge-lone-user';

/** Gives session `s` addresses no other session has (k = 1…9) and, optionally, other times and user. */
function plant(s: Session, k: number, over: Partial<Session> = {}): Session {
  const p: Session = {
    ...s,
    realAddress: `203.0.113.${200 + k}`,
    realPort: 40_000 + 111 * k,
    virtualAddress: `10.77.${k}.${200 + k}`,
    virtualIpv6: `fd00:77::${(0xa00 + k).toString(16)}`,
    ...over,
  };
  return { ...p, id: sessionId(p.instance, p.commonName, p.connectedAt, p.realAddress, p.realPort) };
}

const shift = (s: Session, seconds: number): Partial<Session> => ({
  connectedAt: plus(s.connectedAt, seconds),
  lastSeenAt: plus(s.lastSeenAt, seconds),
  endedAt: plus(s.endedAt as string, seconds),
});

/**
 * The sessions deleted later: the newest ended one (dashboard, recent list, chart), the first
 * session of a user (the "first seen" of the user page), the only session of a user (its
 * pages and files must go), the only session of its day and of its user's month, a month
 * before the rest (its pages and day file must go, and the pages beside them link elsewhere).
 */
function plantTargets(history: Session[]): Session[] {
  const h = [...history];
  const newest = h.length - 1;
  const lone = 40;
  // Each planted session's user has no other planted session: each user's pages change for one of them only.
  const loneDay = h.findIndex((s) => s.user !== h[newest]!.user && s.user !== h[lone]!.user);
  const taken = new Set([h[newest]!.user, h[lone]!.user, h[loneDay]!.user]);
  const user = h.find((s) => !taken.has(s.user))!.user;
  const first = h.findIndex((s) => s.user === user && !h.some((o) => o.user === user && o.connectedAt < s.connectedAt));
  h[newest] = plant(h[newest]!, 1);
  h[first] = plant(h[first]!, 2);
  h[lone] = plant(h[lone]!, 3, { user: LONE_USER, commonName: LONE_USER, username: null });
  h[loneDay] = plant(h[loneDay]!, 4, shift(h[loneDay]!, -30 * DAY_S));
  return h.sort((a, b) => ((a.endedAt as string) < (b.endedAt as string) ? -1 : 1));
}

/** Copies what a build reads into a fresh folder and builds it in full there: the reference site. */
async function referenceBuild(site: SyntheticSite, dir: string, now: string): Promise<string> {
  const ref = sitePaths(dir);
  await mkdir(ref.dir, { recursive: true });
  for (const k of ['history', 'state', 'status'] as const) await copyFile(site.paths[k], ref[k]);
  await cliOk(['build', ...siteArgs(ref, now)]);
  return ref.out;
}

/**
 * A page without what an incremental build leaves as it was by design: the time a page was
 * rendered ("Stand"), the time data/anomalies.json was last written (only when its list
 * changes), and the chart's drawing, which is drawn again only when its series changes or a
 * 5-minute bucket completes (its series is compared in data/chart-24h.json).
 */
const comparable = (text: string): string =>
  text
    .replace(/<p class="stamp">[^<]*<\/p>/g, '<p class="stamp"></p>')
    .replace(/^ "generatedAt": "[^"]*",$/m, ' "generatedAt": "",')
    .replace(/<svg [^\n]*? class="chart"[^\n]*?<\/svg>/g, '<svg class="chart"></svg>');

/**
 * The files compared with a full build's: all but the export files of the views and days
 * (exportMismatches checks those), ledger.json, the history's anchor, and /ledger/, its
 * page: not views of the history (the reference has no change log); nor the sums files,
 * which name the heads the files were built at (assertSumsCurrent checks them).
 */
const compared = (f: string): boolean =>
  (!f.startsWith('exports/') || (f.startsWith('exports/reports/') && !f.includes('SHA256SUMS'))) &&
  f !== 'ledger.json' &&
  f !== 'ledger/index.html';

/** A file's text to compare; a workbook's entries without its chain stamp (a report left alone keeps its older one). */
async function comparableFile(path: string): Promise<string> {
  const data = await readFile(path);
  return path.endsWith('.xlsx') ? JSON.stringify([...withoutStamp(data)]) : comparable(data.toString('utf8'));
}

/** Pages, snapshots and monthly reports that differ from a full build's. */
async function differencesFromFullBuild(site: SyntheticSite, dir: string, now: string): Promise<string[]> {
  await assertSumsCurrent(site.paths.out, 'the edited site');
  const refOut = await referenceBuild(site, dir, now);
  const ours = (await listFiles(site.paths.out)).filter(compared);
  const theirs = (await listFiles(refOut)).filter(compared);
  const diff: string[] = [];
  for (const f of ours.filter((x) => !theirs.includes(x))) diff.push(`${f}: only in the edited site`);
  for (const f of theirs.filter((x) => !ours.includes(x))) diff.push(`${f}: only in the full build`);
  for (const f of ours.filter((x) => theirs.includes(x))) {
    const [a, b] = [await comparableFile(join(site.paths.out, f)), await comparableFile(join(refOut, f))];
    if (a === b) continue;
    const [la, lb] = [a.split('\n'), b.split('\n')];
    const i = la.findIndex((line, n) => line !== lb[n]);
    diff.push(
      `${f}: line ${i + 1} is ${JSON.stringify(la[i]?.slice(0, 200))}, a full build's ${JSON.stringify(lb[i]?.slice(0, 200))}`,
    );
  }
  return diff;
}

/**
 * Hits split: the whole-history files of all users, and everything else. The ids on
 * /ledger/ are left out: the change log records which sessions left, and the page shows it
 * (their other traces there still count).
 */
function split(hits: string[]): { other: string[]; wholeHistory: string[] } {
  const kept = hits.filter((h) => !h.startsWith('ledger/index.html: id of '));
  return { other: kept.filter((h) => !isWholeHistoryFile(h)), wholeHistory: kept.filter(isWholeHistoryFile) };
}

describe('deletes purge every copy under the output folder', () => {
  let dir: string;
  let site: SyntheticSite;
  let port: number;
  let server: Server;
  let clock = NOW;
  let targets: { newest: SessionJson; first: SessionJson; lone: SessionJson; loneDay: SessionJson };
  const log = memoryLog();
  const post = (path: string, body: object) =>
    send(port, {
      method: 'POST',
      path,
      headers: { 'Content-Type': 'application/json', Origin: `http://127.0.0.1:${port}` },
      body,
    });
  /** The planted sessions' traces (addresses included: nobody else has them). */
  const plantedTraces = (list: [string, SessionJson][]): Needle[] => [
    ...list.flatMap(([name, s]) => traces(s, name, true)),
    ...(list.some(([, s]) => s.user === LONE_USER) ? [{ what: 'the lone user', text: LONE_USER }] : []),
  ];

  before(async () => {
    dir = await tempDir('ovsw-purge-');
    await mkdir(join(dir, 'site'));
    site = await writeSyntheticSite(join(dir, 'site'), {
      sessions: 120,
      users: 5,
      spanDays: 6,
      live: 2,
      mapHistory: plantTargets,
    });
    await cliOk(['run', ...siteArgs(site.paths, NOW)]);
    const all = await sessionsJson(site.paths.history);
    const byAddress = (k: number): SessionJson => all.find((s) => s.realAddress === `203.0.113.${200 + k}`)!;
    targets = { newest: byAddress(1), first: byAddress(2), lone: byAddress(3), loneDay: byAddress(4) };
    // The endpoint without authentication (as the demo runs it), its clock pinned to the runs'.
    const ops = historyOps({ settings: siteSettings(site.paths), log, now: () => clock });
    server = await serveApi(apiHandler({ ops, passwd: null, publicOrigin: null, warn: log.warn }), '127.0.0.1', 0);
    port = (server.address() as AddressInfo).port;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  test('before any change, every trace of the planted sessions is found, and nobody else leaves them', async () => {
    const all = await sessionsJson(site.paths.history);
    const planted = Object.entries(targets);
    const others = all.filter((s) => !planted.some(([, p]) => p.id === s.id));
    const needles = plantedTraces(planted);
    for (const n of needles) assert.ok(uniqueAmong(n, others), `${n.what} (${n.text}) is the planted session's own`);
    const found = await findTraces(site.paths.out, needles);
    // ISO times are in the snapshots, which list the newest sessions only.
    for (const n of needles.filter((x) => !x.what.endsWith('(ISO)') || x.what.includes(' of newest ')))
      assert.ok(
        found.some((h) => !isWholeHistoryFile(h) && h.includes(`: ${n.what} (`)),
        `${n.what} (${n.text}) is found in the site: the search sees it`,
      );
    assert.ok(
      found.some((h) => h.startsWith('exports/days/') && h.includes('!xl/')),
      'the search reads inside xlsx',
    );
    // The monthly reports: each planted session in its month's report of all users and of its user.
    for (const [name, s] of planted) {
      const month = dayIn(s.connectedAt).slice(0, 7);
      for (const file of [reportFileName(null, month, 'xlsx'), reportFileName(s.user, month, 'xlsx')])
        assert.ok(
          found.some((h) => h.startsWith(`exports/reports/${file}!xl/worksheets/`) && h.includes(`of ${name} (Excel`)),
          `${name} is found in ${file}`,
        );
    }
    assert.ok(found.some((h) => h.startsWith('exports/reports/') && h.endsWith(`the lone user (${LONE_USER})`)));
    const month = (s: SessionJson): string => dayIn(s.connectedAt).slice(0, 7);
    assert.ok(
      others.every((s) => month(s) > month(targets.loneDay)),
      'the lone day is a month before the rest',
    );
  });

  test('a delete: once the endpoint answered, no file holds a trace of the deleted sessions', async () => {
    const gone = Object.entries(targets);
    const r = await post('/api/sessions/delete', { ids: gone.map(([, s]) => s.id) });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json, { ok: true, count: 4, ids: gone.map(([, s]) => s.id), rebuilt: true });
    const hits = split(await findTraces(site.paths.out, plantedTraces(gone)));
    assert.deepEqual(hits.other, [], 'pages, snapshots, per-user, day and report files');
    const reports = await listFiles(join(site.paths.out, 'exports/reports'));
    assert.deepEqual(
      reports.filter((f) => f.includes(LONE_USER)),
      [],
      "the lone user's reports are gone",
    );
    assert.deepEqual(await differencesFromFullBuild(site, join(dir, 'ref-delete'), clock), []);
    assert.deepEqual(hits.wholeHistory, [], 'the whole-history files of all users');
  });

  test('a restore: the restored sessions are back in every file of their views; the others stay gone', async () => {
    const back = [targets.newest, targets.loneDay];
    const r = await post('/api/sessions/restore', { ids: back.map((s) => s.id) });
    assert.equal(r.status, 200, r.text);
    const stillGone = plantedTraces([
      ['first', targets.first],
      ['lone', targets.lone],
    ]);
    const hits = split(await findTraces(site.paths.out, stillGone));
    assert.deepEqual(hits.other, []);
    const sessions = await sessionsJson(site.paths.history);
    for (const s of back)
      assert.ok(
        sessions.some((x) => x.id === s.id),
        'restored into the history',
      );
    const present = await findTraces(
      site.paths.out,
      back.flatMap((s) => traces(s, s.id, true)),
    );
    for (const s of back) {
      const day = dayIn(s.connectedAt);
      assert.ok(present.includes(`d/${day}/index.html: id of ${s.id} (${s.id})`), `${s.id} on its day's page`);
      assert.ok(
        present.some((h) => h.startsWith(`exports/days/openvpn-history_${day}.xlsx!`) && h.includes('(Excel serial)')),
        `${s.id} in its day file`,
      );
    }
    const exports = await exportMismatches(site.paths.out, sessions);
    assert.deepEqual(exports.other, [], 'every export file holds its view');
    assert.deepEqual(await differencesFromFullBuild(site, join(dir, 'ref-restore'), clock), []);
    assert.deepEqual([...hits.wholeHistory, ...exports.wholeHistory], [], 'the whole-history files of all users');
  });

  test('a retention move: archived sessions leave every served file; the archive lies beside the history', async () => {
    clock = plus(NOW, 60);
    const config = join(dir, 'config.json');
    await writeFile(config, JSON.stringify({ retentionDays: 5 }));
    const before = await sessionsJson(site.paths.history);
    const r = await cliOk(['run', '--config', config, ...siteArgs(site.paths, clock)]);
    assert.match(r.stderr, /retention: \d+ session\(s\)/);
    const kept = await sessionsJson(site.paths.history);
    const archived = before.filter((s) => !kept.some((k) => k.id === s.id));
    assert.ok(archived.length > 3 && archived.some((s) => s.id === targets.loneDay.id), `${archived.length} archived`);
    const archive = archivePath(site.paths.history, '2026');
    assert.equal(dirname(archive), dirname(site.paths.history));
    assert.ok(relative(site.paths.out, archive).startsWith('..'), 'not under the output folder');
    assert.ok((await readFile(archive, 'utf8')).includes(targets.loneDay.id));
    const needles = [
      ...plantedTraces([['loneDay', targets.loneDay]]),
      ...archived.flatMap((s) => traces(s, s.id, false)).filter((n) => uniqueAmong(n, kept)),
    ];
    assert.ok(needles.length > archived.length * 3, `${needles.length} traces`);
    const hits = split(await findTraces(site.paths.out, needles));
    assert.deepEqual(hits.other, []);
    assert.deepEqual(await differencesFromFullBuild(site, join(dir, 'ref-retention'), clock), []);
    assert.deepEqual(hits.wholeHistory, [], 'the whole-history files of all users');
  });

  test('a clear: once the endpoint answered, no file holds a trace of any ended session', async () => {
    const before = await sessionsJson(site.paths.history);
    const ended = before.filter((s) => s.status === 'ended');
    const live = before.filter((s) => s.status === 'active');
    assert.ok(live.length > 0 && ended.length > 50);
    const r = await post('/api/sessions/clear', { confirm: 'DELETE ALL', expectedCount: ended.length });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json?.count, ended.length);
    const needles = [
      ...plantedTraces([['newest', targets.newest]]),
      ...ended.flatMap((s) => traces(s, s.id, false)).filter((n) => uniqueAmong(n, live)),
    ];
    const hits = split(await findTraces(site.paths.out, needles));
    assert.deepEqual(hits.other, []);
    assert.deepEqual(await differencesFromFullBuild(site, join(dir, 'ref-clear'), clock), []);
    assert.deepEqual(hits.wholeHistory, [], 'the whole-history files of all users');
  });
});
