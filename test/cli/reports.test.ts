/**
 * The monthly reports on disk (src/app/reports.ts), built by the CLI from a generated
 * history: each month's summary equals what the sessions (`sessions --json`) give, worked
 * out here on their own (hours split at midnight of the 1st in the zone); the workbook has a
 * summary and a sheet per user; a run that changes the current month leaves closed months'
 * files alone; deleting a session that ran over a month's end changes both months' reports.
 */
import assert from 'node:assert/strict';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { parse } from 'csv-parse/sync';
import { historyOps } from '../../src/app/history-edit.js';
import { reportFileName } from '../../src/core/export-names.js';
import { sessionId, type Session } from '../../src/core/session.js';
import type { StatusClient } from '../../src/core/parse-status.js';
import { memoryLog, siteSettings } from '../helpers/api.js';
import { cliOk, sessionsJson, type SessionJson } from '../helpers/cli.js';
import { wallIn } from '../helpers/export-views.js';
import {
  listFiles,
  plus,
  siteArgs,
  T0,
  writeStatusFile,
  writeSyntheticSite,
  type SyntheticSite,
} from '../helpers/site.js';
import { tempDir } from '../helpers/tmp.js';
import { unzip } from '../helpers/zip.js';

const NOW = plus(T0, 1);
const REPORTS = 'exports/reports';
/** Midnight of 1 February 2026 in Berlin (UTC+1). */
const FEB = '2026-01-31T23:00:00Z';

/** The instant of midnight of the 1st of `month` in Berlin, found by reading wall times (not the code under test). */
function monthStartMs(month: string): number {
  const [y, m] = month.split('-').map(Number) as [number, number];
  for (const hours of [1, 2]) {
    const at = Date.UTC(y, m - 1, 1) - hours * 3_600_000;
    if (wallIn(new Date(at).toISOString()) === `${month}-01 00:00:00`) return at;
  }
  throw new Error(`no midnight found for ${month}`);
}
const nextMonth = (month: string): string => {
  const [y, m] = month.split('-').map(Number) as [number, number];
  return m === 12 ? `${y + 1}-01` : `${y}-${String(m + 1).padStart(2, '0')}`;
};
const monthOf = (iso: string): string => wallIn(iso).slice(0, 7);

/** The summary a month's CSV must hold: [user, sessions, hours, bytes in, bytes out, addresses], by user. */
function expectedSummary(sessions: SessionJson[], month: string): string[][] {
  const start = monthStartMs(month);
  const end = monthStartMs(nextMonth(month));
  const by = new Map<string, { n: number; s: number; i: number; o: number; a: Set<string> }>();
  for (const x of sessions) {
    const t0 = Date.parse(x.connectedAt);
    const ended = x.endedAt !== null;
    const seconds = ended ? Math.max(0, (Math.min(t0 + x.durationS * 1000, end) - Math.max(t0, start)) / 1000) : 0;
    const mine = monthOf(x.connectedAt) === month;
    if (!mine && seconds === 0) continue;
    const r = by.get(x.user) ?? { n: 0, s: 0, i: 0, o: 0, a: new Set<string>() };
    by.set(x.user, r);
    r.s += seconds;
    if (!mine) continue;
    r.n++;
    r.a.add(x.realAddress);
    if (ended) {
      r.i += x.bytesReceived ?? 0;
      r.o += x.bytesSent ?? 0;
    }
  }
  return [...by]
    .sort((a, b) => (a[0] < b[0] ? -1 : 1))
    .map(([user, r]) => [
      user,
      String(r.n),
      String(Math.round(r.s / 36) / 100).replace('.', ','),
      String(r.i),
      String(r.o),
      String(r.a.size),
    ]);
}

async function summaryOf(out: string, month: string): Promise<string[][]> {
  const text = await readFile(join(out, REPORTS, reportFileName(null, month, 'csv')), 'utf8');
  const [header, ...rows] = parse(text.replace(/^\uFEFF/, ''), { delimiter: ';' }) as string[][];
  assert.deepEqual(header, [
    'Benutzer',
    'Alias',
    'Sitzungen',
    'Stunden online',
    'Empfangen (Bytes)',
    'Gesendet (Bytes)',
    'Länder',
    'Öffentliche IPs',
    'Auffälligkeiten',
  ]);
  return rows.map((r) => [r[0], r[2], r[3], r[4], r[5], r[7]] as string[]);
}

/** Moves one session of January to run over midnight into February: 30 minutes before, 30 after. */
function planted(history: Session[]): Session[] {
  const i = history.findIndex((s) => s.connectedAt < '2026-01-25');
  const s = history[i] as Session;
  const p: Session = {
    ...s,
    connectedAt: plus(FEB, -1800),
    lastSeenAt: plus(FEB, 1800),
    endedAt: plus(FEB, 1800),
    durationS: 3600,
    realAddress: '203.0.113.250',
    realPort: 45_678,
  };
  const out = [...history];
  out[i] = { ...p, id: sessionId(p.instance, p.commonName, p.connectedAt, p.realAddress, p.realPort) };
  return out.sort((a, b) => ((a.endedAt as string) < (b.endedAt as string) ? -1 : 1));
}

describe('monthly reports', () => {
  let site: SyntheticSite;
  let months: string[] = [];
  let crossing: SessionJson;
  const check = async (): Promise<void> => {
    const sessions = await sessionsJson(site.paths.history);
    for (const month of months)
      assert.deepEqual(await summaryOf(site.paths.out, month), expectedSummary(sessions, month), month);
  };

  before(async () => {
    const dir = await tempDir('ovsw-reports-');
    await mkdir(join(dir, 'site'));
    site = await writeSyntheticSite(join(dir, 'site'), {
      sessions: 300,
      users: 5,
      spanDays: 75,
      live: 2,
      mapHistory: planted,
    });
    await cliOk(['run', ...siteArgs(site.paths, NOW)]);
    const sessions = await sessionsJson(site.paths.history);
    months = [...new Set(sessions.map((s) => monthOf(s.connectedAt)))].sort();
    crossing = sessions.find((s) => s.realAddress === '203.0.113.250') as SessionJson;
  });

  test("each month's summary is what the sessions give; the session over midnight counts half an hour in each month", async () => {
    assert.deepEqual(months, ['2026-01', '2026-02', '2026-03']);
    await check();
    for (const month of ['2026-01', '2026-02']) {
      const sessions = (await sessionsJson(site.paths.history)).filter((s) => s.id !== crossing.id);
      const without = expectedSummary(sessions, month).find((r) => r[0] === crossing.user);
      const withIt = (await summaryOf(site.paths.out, month)).find((r) => r[0] === crossing.user);
      const hours = (r: string[] | undefined) => Number((r?.[2] ?? '0').replace(',', '.'));
      assert.ok(Math.abs(hours(withIt) - hours(without) - 0.5) < 0.011, `${month}: half an hour more`);
    }
  });

  test('the workbook: the summary, then a sheet per user with their sessions of the month', async () => {
    const month = '2026-02';
    const zip = unzip(await readFile(join(site.paths.out, REPORTS, reportFileName(null, month, 'xlsx'))));
    const workbook = zip.get('xl/workbook.xml')?.data.toString('utf8') ?? '';
    const names = [...workbook.matchAll(/<sheet name="([^"]*)"/g)].map((m) => m[1]);
    const summary = await summaryOf(site.paths.out, month);
    assert.deepEqual(names, ['Übersicht', ...summary.map((r) => r[0])]);
    summary.forEach((r, i) => {
      const sheet = zip.get(`xl/worksheets/sheet${i + 2}.xml`)?.data.toString('utf8') ?? '';
      assert.equal((sheet.match(/<row /g) ?? []).length - 1, Number(r[1]), `${r[0]}: a row per session`);
    });
    // Each user's own report: one summary row and its sheet.
    const own = unzip(await readFile(join(site.paths.out, REPORTS, reportFileName(crossing.user, month, 'xlsx'))));
    const ownBook = own.get('xl/workbook.xml')?.data.toString('utf8') ?? '';
    assert.equal([...ownBook.matchAll(/<sheet /g)].length, 2);
  });

  test("a run that starts a session in the current month leaves the closed months' files alone", async () => {
    const files = (await listFiles(join(site.paths.out, REPORTS))).filter((f) => !f.includes('2026-03'));
    const times = async () =>
      Promise.all(files.map(async (f) => (await stat(join(site.paths.out, REPORTS, f))).mtimeMs));
    const before = await times();
    const current = join(site.paths.out, REPORTS, reportFileName(null, '2026-03', 'csv'));
    const currentBefore = await readFile(current, 'utf8');
    const at = plus(NOW, 60);
    const base = site.clients[0] as StatusClient;
    const newcomer: StatusClient = {
      ...base,
      commonName: 'newcomer',
      username: null,
      realAddress: '198.51.100.77',
      realPort: 50_123,
      connectedAt: plus(at, -30),
      clientId: 9000,
      peerId: 90,
    };
    await writeStatusFile(site.paths.status, [...site.clients, newcomer], at, site.seed);
    await cliOk(['run', ...siteArgs(site.paths, at)]);
    assert.deepEqual(await times(), before, 'closed months untouched');
    assert.notEqual(await readFile(current, 'utf8'), currentBefore, 'the current month follows');
    assert.ok((await summaryOf(site.paths.out, '2026-03')).some((r) => r[0] === 'newcomer' && r[1] === '1'));
    await check();
  });

  test("deleting the session over midnight changes both months' reports", async () => {
    const log = memoryLog();
    const ops = historyOps({ settings: siteSettings(site.paths), log, now: () => plus(NOW, 120) });
    const done = await ops.deleteSessions([crossing.id], { user: null, client: 'test' });
    assert.ok(done.ok, JSON.stringify(done));
    await check();
    const own = await readFile(join(site.paths.out, REPORTS, reportFileName(crossing.user, '2026-02', 'xlsx')));
    const text = [...unzip(own).values()].map((e) => e.data.toString('utf8')).join('');
    assert.ok(text.includes('<sheet '), 'the user still has a report for February');
    assert.ok(!text.includes('203.0.113.250'), 'without the deleted session');
  });
});
