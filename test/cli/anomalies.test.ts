/**
 * `anomalies` on real files, and the build's anomalies: data/anomalies.json says what the
 * command says, /anomalies/, the badges and the dormant users follow, and builds after
 * appends and deletes give what a full build of the same data gives.
 */
import assert from 'node:assert/strict';
import { copyFile, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { parse } from 'csv-parse/sync';
import { reportFileName } from '../../src/core/export-names.js';
import { recordRewrite } from '../../src/core/history-rewrite.js';
import type { Session } from '../../src/core/session.js';
import { appendHistory, readState, rewriteHistory, writeState } from '../../src/io/history-store.js';
import { cliOk, runCli } from '../helpers/cli.js';
import { endedSession } from '../helpers/sessions.js';
import {
  listFiles,
  plus,
  readHtml,
  siteArgs,
  sitePaths,
  T0,
  writeSyntheticSite,
  type SitePaths,
  type SyntheticSite,
} from '../helpers/site.js';
import { tempDir } from '../helpers/tmp.js';

const NOW = plus(T0, 1);
const EVIL = '<img src=x onerror=alert(1)>&"';

const session = endedSession;

// T0 is Wednesday 2026-03-18 15:00 in Berlin.
const A1 = session('a1', 'alice', '2026-03-16T08:00:00Z', '2026-03-16T10:00:00Z', '198.51.100.1');
const A2 = session('a2', 'alice', '2026-03-16T09:00:00Z', '2026-03-16T09:30:00Z', '203.0.113.9');
const B1 = session('b1', 'bob', '2026-03-14T02:00:00Z', '2026-03-14T03:00:00Z', '198.51.100.2');
const C1 = session('c1', 'carol', '2025-11-03T10:00:00Z', '2025-11-03T11:00:00Z', '198.51.100.3');
const D1 = session('d1', 'dave', '2026-01-05T09:00:00Z', '2026-01-05T10:00:00Z', '198.51.100.4', 'DE');
const D2 = session('d2', 'dave', '2026-03-02T09:00:00Z', '2026-03-02T10:00:00Z', '198.51.100.4', 'DE');
const D3 = session('d3', 'dave', '2026-03-17T09:00:00Z', '2026-03-17T10:00:00Z', '203.0.113.4', 'FR');
const E1 = session('e1', EVIL, '2026-03-17T10:00:00Z', '2026-03-17T11:00:00Z', '198.51.100.5');
const E2 = session('e2', EVIL, '2026-03-17T10:30:00Z', '2026-03-17T10:40:00Z', '203.0.113.5');
const CRAFTED = [A1, A2, B1, C1, D1, D2, D3, E1, E2];

const CONFIG = {
  workingHours: { days: 'Mon-Fri', from: '06:00', to: '20:00' },
  newCountryDays: 20,
  sharedAccounts: ['shared-team'],
};

interface Json {
  schemaVersion: number;
  anomalies: { kind: string; user: string; sessionIds: string[]; at: string; reason: string }[];
}

async function setUp(dir: string): Promise<{ site: SyntheticSite; config: string }> {
  const site = await writeSyntheticSite(dir, {
    sessions: 60,
    users: 3,
    spanDays: 10,
    live: 1,
    seed: 5,
    mapHistory: (h) => [...h, ...CRAFTED],
  });
  const config = join(dir, 'config.json');
  await writeFile(config, JSON.stringify(CONFIG));
  return { site, config };
}

const args = (p: SitePaths, config: string) => [...siteArgs(p, NOW), '--config', config];

async function anomaliesJson(p: SitePaths, config: string, extra: string[] = []): Promise<Json> {
  return JSON.parse((await cliOk(['anomalies', '--json', ...args(p, config), ...extra])).stdout) as Json;
}

const kindsOf = (j: Json, ids: Session[]) =>
  j.anomalies
    .filter((a) => a.sessionIds.some((id) => ids.some((s) => s.id === id)))
    .map((a) => `${a.kind} ${a.sessionIds.map((id) => id.slice(0, 2)).join('+')}`);

describe('anomalies command', () => {
  let site: SyntheticSite;
  let config: string;
  before(async () => {
    ({ site, config } = await setUp(await tempDir('ovsw-anomalies-')));
  });

  test('--json: every kind, with its sessions, time and reason', async () => {
    const j = await anomaliesJson(site.paths, config);
    assert.equal(j.schemaVersion, 1);
    assert.deepEqual(kindsOf(j, CRAFTED).sort(), [
      'dormant c1',
      'new-country d2',
      'new-country d3',
      'off-hours b1',
      'overlap a1+a2',
      'overlap e1+e2',
    ]);
    const overlap = j.anomalies.find((a) => a.kind === 'overlap' && a.user === 'alice');
    assert.deepEqual(overlap, {
      kind: 'overlap',
      user: 'alice',
      sessionIds: [A1.id, A2.id],
      at: A2.connectedAt,
      reason: 'gleichzeitig verbunden von 198.51.100.1 und 203.0.113.9',
    });
    const offHours = j.anomalies.find((a) => a.sessionIds[0] === B1.id);
    assert.equal(offHours?.reason, 'Beginn Sa 2026-03-14 03:00, außerhalb der Arbeitszeit (Mon-Fri 06:00–20:00)');
    const times = j.anomalies.map((a) => a.at);
    assert.deepEqual(times, [...times].sort(), 'oldest first');
  });

  test('--from and --to keep the anomalies of the period; the same answer twice', async () => {
    const j = await anomaliesJson(site.paths, config, ['--from', '2026-03-16T00:00', '--to', '2026-03-16T23:59']);
    assert.deepEqual(kindsOf(j, CRAFTED), ['overlap a1+a2']);
    assert.ok(j.anomalies.every((a) => a.at.startsWith('2026-03-1')));
    assert.deepEqual(await anomaliesJson(site.paths, config), await anomaliesJson(site.paths, config));
  });

  test("the monthly report counts each user's flags of the month (dormant ones not: no session dates them)", async () => {
    await cliOk(['build', ...args(site.paths, config)]);
    const j = await anomaliesJson(site.paths, config);
    const text = await readFile(
      join(site.paths.out, 'exports/reports', reportFileName(null, '2026-03', 'csv')),
      'utf8',
    );
    const [header, ...rows] = parse(text.replace(/^\uFEFF/, ''), { delimiter: ';' }) as string[][];
    const column = (header as string[]).indexOf('Auffälligkeiten');
    const counted = new Map(rows.map((r) => [r[0], Number(r[column])]));
    for (const user of ['alice', 'bob', 'dave', EVIL]) {
      const expected = j.anomalies.filter(
        (a) => a.user === user && a.kind !== 'dormant' && a.at.startsWith('2026-03'),
      ).length;
      assert.ok(expected > 0, user);
      assert.equal(counted.get(user), expected, user);
    }
  });

  test('a shared account is not flagged; English reasons with --lang en', async () => {
    const shared = join(site.paths.history, '..', 'shared.json');
    await writeFile(shared, JSON.stringify({ ...CONFIG, sharedAccounts: ['alice'] }));
    const j = await anomaliesJson(site.paths, shared, ['--lang', 'en']);
    assert.deepEqual(kindsOf(j, [A1, A2]), []);
    assert.equal(
      j.anomalies.find((a) => a.user === EVIL && a.kind === 'overlap')?.reason.startsWith('connected at once'),
      true,
    );
  });

  test('bad input: exit 2 and one line on stderr', async () => {
    const bad = async (extra: string[], cfg = config) => {
      const r = await runCli(['anomalies', ...args(site.paths, cfg), ...extra]);
      assert.equal(r.code, 2, r.stderr);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      return r.stderr;
    };
    assert.match(await bad(['--from', 'yesterday']), /--from "yesterday" is not an ISO 8601 time/);
    assert.match(await bad(['--from', '2026-03-18T00:00Z', '--to', '2026-03-17T00:00Z']), /--from is after --to/);
    const badConfig = join(site.paths.history, '..', 'bad.json');
    await writeFile(badConfig, JSON.stringify({ workingHours: { days: 'Mon-Fri', from: '20:00', to: '06:00' } }));
    assert.match(await bad([], badConfig), /key "workingHours" must be "from" before "to"/);
    await writeFile(badConfig, JSON.stringify({ dormantDays: 0 }));
    assert.match(await bad([], badConfig), /key "dormantDays" must be a whole number of days/);
    await writeFile(badConfig, JSON.stringify({ sharedAccounts: 'alice' }));
    assert.match(await bad([], badConfig), /key "sharedAccounts" must be a list of user names/);
  });
});

/** Every page and data/anomalies.json: relative path → content (the chart, redrawn by its own rule, left out). */
async function published(out: string): Promise<Map<string, string>> {
  const map = new Map<string, string>();
  for (const f of await listFiles(out)) {
    if (!f.endsWith('.html') && f !== 'data/anomalies.json') continue;
    map.set(f, (await readFile(join(out, f), 'utf8')).replace(/<svg [^>]*class="chart"[\s\S]*?<\/svg>/, 'CHART'));
  }
  return map;
}

async function fullBuildOf(site: SyntheticSite, config: string, into: string): Promise<Map<string, string>> {
  const p = sitePaths(into);
  await mkdir(into, { recursive: true });
  for (const k of ['history', 'state', 'status', 'aliases'] as const)
    await copyFile(site.paths[k], p[k]).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'ENOENT') throw e;
    });
  assert.match((await cliOk(['build', ...args(p, config)])).stderr, /build: full/);
  return published(p.out);
}

function assertSame(actual: Map<string, string>, expected: Map<string, string>): void {
  assert.deepEqual([...actual.keys()].sort(), [...expected.keys()].sort(), 'the same files exist');
  for (const [file, text] of expected) assert.equal(actual.get(file), text, file);
}

describe('anomalies in the build', () => {
  let dir: string;
  let site: SyntheticSite;
  let config: string;
  before(async () => {
    dir = await tempDir('ovsw-anomalies-build-');
    ({ site, config } = await setUp(dir));
    assert.match((await cliOk(['build', ...args(site.paths, config)])).stderr, /build: full/);
  });

  test('data/anomalies.json holds what the command prints', async () => {
    const snapshot = JSON.parse(await readFile(join(site.paths.out, 'data/anomalies.json'), 'utf8')) as Json & {
      generatedAt: string;
      timeZone: string;
    };
    assert.equal(snapshot.schemaVersion, 1);
    assert.equal(snapshot.timeZone, 'Europe/Berlin');
    assert.deepEqual(snapshot.anomalies, (await anomaliesJson(site.paths, config)).anomalies);
  });

  test('/anomalies/, the badges on the rows, the dormant users, the link from the dashboard', async () => {
    const page = await readHtml(site.paths.out, 'anomalies/index.html');
    const rows = [...page.querySelectorAll('tr.anomaly')];
    assert.ok(rows.some((r) => r.classList.contains('anomaly-overlap') && r.textContent?.includes(EVIL)));
    assert.equal((await readFile(join(site.paths.out, 'anomalies/index.html'), 'utf8')).includes('<img src=x'), false);
    const day = await readHtml(site.paths.out, 'd/2026-03-16/index.html');
    const cell = day.querySelector(`td[data-session-id="${A2.id}"]`)?.closest('tr');
    const badge = cell?.querySelector('.flag-overlap');
    assert.equal(badge?.getAttribute('title'), 'gleichzeitig verbunden von 198.51.100.1 und 203.0.113.9');
    assert.match(
      cell?.nextElementSibling?.querySelector('.flags')?.textContent ?? '',
      /Gleichzeitig: gleichzeitig verbunden/,
    );
    const users = await readHtml(site.paths.out, 'users/index.html');
    const dormant = [...users.querySelectorAll('table.dormant tbody tr')].map(
      (r) => r.querySelector('th')?.textContent,
    );
    assert.deepEqual(dormant, ['carol']);
    const dash = await readHtml(site.paths.out, 'index.html');
    assert.ok([...dash.querySelectorAll('a')].some((a) => a.getAttribute('href') === 'anomalies/'));
  });

  test('after deletes and appends, incremental builds give the files of a full build', async () => {
    // Delete A2 (the overlap goes) and D1: dave's history then starts 2026-03-02, too short
    // for new-country on 03-02 and 03-17, days the delete does not touch otherwise.
    const state = await readState(site.paths.state);
    const kept = [...site.history.filter((s) => s.id !== A2.id && s.id !== D1.id)];
    const bytesAfter = await rewriteHistory(site.paths.history, kept);
    await writeState(
      site.paths.state,
      recordRewrite(state, { bytesBefore: state.historyBytes, bytesAfter, removed: [A2, D1], added: [] }),
    );
    const r = await cliOk(['build', ...args(site.paths, config)]);
    assert.match(r.stderr, /build: incremental/);
    const after = await published(site.paths.out);
    assertSame(after, await fullBuildOf(site, config, join(dir, 'full-1')));
    for (const [file, text] of after) {
      assert.equal(text.includes(A2.id), false, `${file} still names the deleted session`);
      assert.equal(text.includes(D1.id), false, `${file} still names the deleted session`);
    }
    const d3 = (await readHtml(site.paths.out, 'd/2026-03-17/index.html')).querySelector(
      `td[data-session-id="${D3.id}"]`,
    );
    assert.equal(d3?.closest('tr')?.querySelector('.flag'), null, 'no badge once the history is short');

    // Appended late (a merged host's copy, say): a new overlap with A1.
    const a3 = session('a3', 'alice', '2026-03-16T09:40:00Z', '2026-03-16T09:50:00Z', '192.0.2.50');
    const { bytes } = await appendHistory(site.paths.history, [a3]);
    await writeState(site.paths.state, { ...(await readState(site.paths.state)), historyBytes: bytes });
    assert.match((await cliOk(['build', ...args(site.paths, config)])).stderr, /build: incremental/);
    const again = await published(site.paths.out);
    assertSame(again, await fullBuildOf(site, config, join(dir, 'full-2')));
    assert.match(again.get('data/anomalies.json') ?? '', new RegExp(a3.id));
  });

  test('a build that changes no anomaly leaves data/anomalies.json as it is; time that makes users dormant changes it', async () => {
    const file = join(site.paths.out, 'data/anomalies.json');
    const before = await stat(file);
    const text = await readFile(file, 'utf8');
    // A minute on: the snapshot's generatedAt would change, its anomalies do not.
    const r = await cliOk(['build', ...siteArgs(site.paths, plus(NOW, 60)), '--config', config]);
    assert.match(r.stderr, /build: incremental/);
    assert.equal((await stat(file)).mtimeMs, before.mtimeMs, 'not written again');
    assert.equal(await readFile(file, 'utf8'), text);
    const later = plus(NOW, 100 * 86_400);
    await cliOk(['build', ...siteArgs(site.paths, later), '--config', config]);
    const now = JSON.parse(await readFile(file, 'utf8')) as Json & { generatedAt: string };
    assert.equal(now.generatedAt, later);
    const dormant = (j: Json) => j.anomalies.filter((a) => a.kind === 'dormant').length;
    assert.ok(dormant(now) > dormant(JSON.parse(text) as Json), 'more users are dormant 100 days on');
  });
});
