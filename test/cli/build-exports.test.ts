/**
 * The export files a build writes, read back: every view's .xlsx and .csv hold exactly the
 * view's rows, every day has its archive file, the pages link to them, text stays text,
 * and files whose rows did not change are not rewritten.
 */
import assert from 'node:assert/strict';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { parse } from 'csv-parse/sync';
import { dayFileName, exportFileName, reportFileName } from '../../src/core/export-names.js';
import type { Session } from '../../src/core/session.js';
import { appendHistory, readState, writeState } from '../../src/io/history-store.js';
import { cliOk } from '../helpers/cli.js';
import { sheetRows, type CellValue } from '../helpers/xlsx-cells.js';
import { tempDir } from '../helpers/tmp.js';
import {
  brokenLinks,
  dayIn,
  diffSnapshots,
  listFiles,
  plus,
  readHtml,
  siteArgs,
  snapshotFiles,
  T0,
  userOfClient,
  writeSyntheticSite,
  type SyntheticSite,
} from '../helpers/site.js';

const NOW = plus(T0, 1);
const HOSTILE = '=1+2';

/** The data rows of an xlsx export (without its header), read from its XML: the whole-history files' rows carry no references, which exceljs' reader needs. */
async function xlsxRows(path: string): Promise<CellValue[][]> {
  return sheetRows(await readFile(path)).slice(1);
}

/** Common names in an xlsx export (column 3), sorted. */
const namesIn = (rows: CellValue[][]): string[] => rows.map((r) => String(r[2] ?? null)).sort();

function csvRecords(text: string): string[][] {
  assert.ok(text.startsWith('\uFEFF'), 'UTF-8 with BOM');
  return parse(text.slice(1), { delimiter: ';', relax_column_count: false }) as string[][];
}

describe('export files of a build', () => {
  let dir: string;
  let site: SyntheticSite;
  const out = (): string => site.paths.out;

  before(async () => {
    dir = await tempDir('ovsw-exports-');
    site = await writeSyntheticSite(dir, {
      sessions: 200,
      users: 6,
      spanDays: 5,
      live: 2,
      seed: 21,
      // One user with a name a spreadsheet would take for a formula.
      mapHistory: (h) =>
        h.map((s, i) => (i % 7 === 0 ? { ...s, user: HOSTILE, commonName: HOSTILE, username: null } : s)),
    });
    await cliOk(['build', ...siteArgs(site.paths, NOW)]);
  });

  test('the all-users files hold every session, the active ones every live one, the ended ones the rest', async () => {
    const all = await xlsxRows(join(out(), 'exports', exportFileName(null, 'all', 'xlsx')));
    assert.equal(all.length, site.history.length + site.clients.length);
    const active = await xlsxRows(join(out(), 'exports', exportFileName(null, 'active', 'xlsx')));
    assert.deepEqual(namesIn(active), site.clients.map((c) => c.commonName).sort());
    for (const r of active) {
      assert.equal(r[9] ?? null, null, 'a running session has no end');
      assert.equal(r[10] ?? null, null, 'nor whether it is exact');
      assert.equal(r[11] ?? null, null, 'nor a duration yet');
    }
    const ended = await xlsxRows(join(out(), 'exports', exportFileName(null, 'ended', 'xlsx')));
    assert.deepEqual(namesIn(ended), site.history.map((s) => s.commonName).sort());
    const first = ended[0] as CellValue[];
    assert.equal(typeof first[8], 'number', 'start is a date cell (a serial)');
    assert.equal(typeof first[11], 'number', 'duration in seconds is a number');
    const csv = csvRecords(await readFile(join(out(), 'exports', exportFileName(null, 'ended', 'csv')), 'utf8'));
    assert.equal(csv.length, ended.length + 1, 'the CSV holds the same rows plus its header');
  });

  test("each user's files hold exactly that user's sessions; a formula-like name stays text", async () => {
    const users = [...new Set(site.history.map((s) => s.user))];
    assert.ok(users.includes(HOSTILE), 'the hostile user is in the history');
    for (const user of users) {
      const rows = await xlsxRows(join(out(), 'exports', exportFileName(user, 'ended', 'xlsx')));
      assert.deepEqual(
        rows.map((r) => r[0] ?? null),
        site.history.filter((s) => s.user === user).map(() => user),
        user,
      );
    }
    const hostile = await xlsxRows(join(out(), 'exports', exportFileName(HOSTILE, 'all', 'xlsx')));
    for (const r of hostile) {
      assert.equal(r[0] ?? null, HOSTILE, 'a string, not a formula');
    }
    const csv = csvRecords(await readFile(join(out(), 'exports', exportFileName(HOSTILE, 'all', 'csv')), 'utf8'));
    assert.ok(
      csv.slice(1).every((rec) => rec[0] === `'${HOSTILE}`),
      'escaped with an apostrophe in the CSV',
    );
  });

  test('every day has its archive files (Excel and CSV) with exactly its sessions, listed on the archive page', async () => {
    const days = [
      ...new Set([...site.history.map((s) => dayIn(s.connectedAt)), ...site.clients.map((c) => dayIn(c.connectedAt))]),
    ];
    assert.deepEqual(
      (await listFiles(join(out(), 'exports', 'days'))).sort(),
      ['SHA256SUMS', ...days.flatMap((d) => [dayFileName(d, 'xlsx'), dayFileName(d, 'csv')])].sort(),
    );
    for (const day of days) {
      const rows = await xlsxRows(join(out(), 'exports', 'days', dayFileName(day)));
      const want = [
        ...site.history.filter((s) => dayIn(s.connectedAt) === day),
        ...site.clients.filter((c) => dayIn(c.connectedAt) === day),
      ];
      assert.deepEqual(namesIn(rows), want.map((s) => s.commonName).sort(), day);
      const csv = csvRecords(await readFile(join(out(), 'exports', 'days', dayFileName(day, 'csv')), 'utf8'));
      // A text that could start a formula is written with an apostrophe in front.
      const csvNames = csv.slice(1).map((r) => String(r[2]).replace(/^'(?=[=+\-@\t\r])/, ''));
      assert.deepEqual(csvNames.sort(), want.map((s) => s.commonName).sort(), `${day} (CSV)`);
    }
    const archive = await readHtml(out(), 'archive/index.html');
    const links = [...archive.querySelectorAll('table.archive a[download]')].map((a) => a.getAttribute('href'));
    assert.deepEqual(
      links.sort(),
      days
        .flatMap((d) => [`../exports/days/${dayFileName(d, 'xlsx')}`, `../exports/days/${dayFileName(d, 'csv')}`])
        .sort(),
    );
    const dayPage = await readHtml(out(), `d/${days[0]}/index.html`);
    assert.deepEqual(
      [...dayPage.querySelectorAll('.downloads a[download]')].map((a) => a.getAttribute('href')),
      [
        `../../exports/days/${dayFileName(days[0] as string, 'xlsx')}`,
        `../../exports/days/${dayFileName(days[0] as string, 'csv')}`,
      ],
      'the day page offers both',
    );
  });

  test('the pages link to the files of their view, and no link is broken', async () => {
    const dashboard = await readHtml(out(), 'index.html');
    const xlsx = dashboard.querySelector('.downloads a[href$=".xlsx"]')?.getAttribute('href');
    assert.equal(xlsx, `exports/${exportFileName(null, 'all', 'xlsx')}`);
    const user = userOfClient(site.clients[0] as { commonName: string; username: string | null });
    const userPage = await readHtml(out(), `u/${user}/index.html`);
    assert.equal(
      userPage.querySelector('.downloads a[href$=".xlsx"]')?.getAttribute('href'),
      `../../exports/${exportFileName(user, 'all', 'xlsx')}`,
    );
    // The whole-history files follow every change: no note says they lag.
    assert.ok(!dashboard.body.textContent?.includes('15 Minuten'), 'no lag note');
    assert.equal(dashboard.querySelector('.downloads .years'), null, 'one workbook: no years');
    assert.deepEqual(await brokenLinks(out()), []);
  });

  test('a quiet rebuild rewrites no export file; a session ending touches only its user, its day and the all-users files', async () => {
    const before = await snapshotFiles(join(out(), 'exports'));
    await cliOk(['build', ...siteArgs(site.paths, plus(NOW, 60))]);
    assert.deepEqual(
      diffSnapshots(before, await snapshotFiles(join(out(), 'exports'))).touched,
      [],
      'nothing rewritten',
    );

    // One live session ends: it leaves the state and is appended to the CSV.
    const state = await readState(site.paths.state);
    const [gone, ...rest] = state.tracked;
    assert.ok(gone, 'a tracked session');
    const { missingSince: _m, ...session } = gone;
    const ended: Session = {
      ...session,
      endedAt: plus(NOW, 90),
      lastSeenAt: plus(NOW, 90),
      durationS: 100,
      endReason: 'disconnected',
    };
    const { bytes } = await appendHistory(site.paths.history, [ended]);
    await writeState(site.paths.state, { ...state, tracked: rest, historyBytes: bytes });
    // Past the 15 minutes after which the whole-history files may follow a change.
    await cliOk(['build', ...siteArgs(site.paths, plus(NOW, 16 * 60))]);
    const diff = diffSnapshots(before, await snapshotFiles(join(out(), 'exports')));
    const expected = [
      ...['all', 'active', 'ended'].map((st) => exportFileName(null, st as 'all', 'xlsx')),
      ...['all', 'active', 'ended'].map((st) => exportFileName(null, st as 'all', 'csv')),
      ...['all', 'active', 'ended'].map((st) => exportFileName(gone.user, st as 'all', 'xlsx')),
      ...['all', 'active', 'ended'].map((st) => exportFileName(gone.user, st as 'all', 'csv')),
      `days/${dayFileName(dayIn(gone.connectedAt), 'xlsx')}`,
      `days/${dayFileName(dayIn(gone.connectedAt), 'csv')}`,
      // The month's reports: of all users, and of the user (their hours and traffic now count).
      `reports/${reportFileName(null, dayIn(gone.connectedAt).slice(0, 7), 'xlsx')}`,
      `reports/${reportFileName(null, dayIn(gone.connectedAt).slice(0, 7), 'csv')}`,
      `reports/${reportFileName(gone.user, dayIn(gone.connectedAt).slice(0, 7), 'xlsx')}`,
      // The sums of the three folders name the files' new bytes.
      'SHA256SUMS',
      'days/SHA256SUMS',
      `reports/SHA256SUMS_${dayIn(gone.connectedAt).slice(0, 7)}`,
    ].sort();
    assert.deepEqual(diff.changed.sort(), expected);
  });
});

describe('a full build and the export folder', () => {
  test("removes the files no view has any more (a stray file, a gone user's), and keeps the rest", async (t) => {
    const dir = await tempDir(t, 'ovsw-exports-full-');
    const s = await writeSyntheticSite(dir, { sessions: 40, users: 3, spanDays: 2, live: 1, seed: 5 });
    await cliOk(['build', ...siteArgs(s.paths, NOW)]);
    const kept = await listFiles(join(s.paths.out, 'exports'));
    const strays = [
      'left-by-an-admin.csv',
      exportFileName('nobody', 'all', 'xlsx'),
      `days/${dayFileName('2001-01-01', 'xlsx')}`,
      `days/${dayFileName('2001-01-01', 'csv')}`,
    ];
    for (const f of strays) await writeFile(join(s.paths.out, 'exports', f), 'old');
    // Without its cache the next build is a full one.
    await rm(`${s.paths.history}.cache`, { recursive: true, force: true });
    await cliOk(['build', ...siteArgs(s.paths, plus(NOW, 60))]);
    assert.deepEqual(
      await listFiles(join(s.paths.out, 'exports')),
      kept,
      'the strays are gone, every view and day keeps its file',
    );
  });
});

describe('JSON snapshots in data/', () => {
  test('live, recent history, the chart and the days, each with schemaVersion, time and zone', async (t) => {
    const dir = await tempDir(t, 'ovsw-json-');
    const site = await writeSyntheticSite(dir, { sessions: 40, users: 4, spanDays: 2, live: 3, seed: 4 });
    await cliOk(['build', ...siteArgs(site.paths, NOW)]);
    const read = async (name: string) =>
      JSON.parse(await readFile(join(site.paths.out, 'data', name), 'utf8')) as Record<string, unknown>;
    for (const name of ['live.json', 'history-recent.json', 'chart-24h.json', 'days.json']) {
      const data = await read(name);
      assert.equal(data.schemaVersion, 1, name);
      assert.equal(data.generatedAt, NOW, name);
      assert.equal(data.timeZone, 'Europe/Berlin', name);
    }
    const live = (await read('live.json')).sessions as { commonName: string; endedAt: null; durationS: number }[];
    assert.deepEqual(live.map((s) => s.commonName).sort(), site.clients.map((c) => c.commonName).sort());
    assert.ok(
      live.every((s) => s.endedAt === null && s.durationS >= 0),
      'running sessions with their duration so far',
    );
    const recent = (await read('history-recent.json')).sessions as { connectedAt: string }[];
    assert.equal(recent.length, site.history.length + site.clients.length, 'fewer than 100 sessions: all of them');
    assert.deepEqual(
      recent.map((s) => s.connectedAt),
      [...recent.map((s) => s.connectedAt)].sort().reverse(),
      'newest first',
    );
    const chart = (await read('chart-24h.json')).points as { start: string; max: number }[];
    assert.equal(chart.length, 24 * 12, 'every 5-minute bucket of 24 hours, the current one last');
    assert.equal(chart.at(-1)?.max, site.clients.length, 'the live sessions in the current bucket');
    const days = (await read('days.json')).days as { day: string; xlsx: string }[];
    for (const d of days) assert.equal(d.xlsx, `exports/days/${dayFileName(d.day)}`);
  });
});
