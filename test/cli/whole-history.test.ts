/**
 * The export files over the whole history (src/app/whole-history.ts), written in a worker
 * thread from the build cache's day files: the same bytes as the writers make of the view's
 * rows in this thread, files left alone when their bytes hold, and a damaged day file still
 * a CacheError (the build then starts over in full).
 */
import assert from 'node:assert/strict';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { workerLimits, writeWholeHistoryInWorker, type WholeHistoryJob } from '../../src/app/whole-history.js';
import { exportRows } from '../../src/core/export-rows.js';
import { dayOf } from '../../src/core/format.js';
import { compareNewestFirst, type Session } from '../../src/core/session.js';
import { CacheError, cachePaths, saveDay } from '../../src/io/build-cache.js';
import { writeCsv } from '../../src/io/csv-export.js';
import { writeXlsx } from '../../src/io/xlsx-export.js';
import { syntheticSessions } from '../../src/demo/synthetic.js';
import { tempDir } from '../helpers/tmp.js';

const TZ = 'Europe/Berlin';
const NOW = '2026-03-18T14:00:00Z';

async function setUp(dir: string): Promise<{ job: WholeHistoryJob; ended: Session[]; open: Session[] }> {
  const ended = syntheticSessions({
    count: 400,
    users: 9,
    endAt: '2026-03-18T12:00:00Z',
    spanDays: 20,
    seed: 5,
    hostile: true,
  });
  // Two sessions still running, started today: in the "all" view with their start only.
  const open = ended.slice(0, 2).map((s, i) => ({
    ...s,
    id: `open-${i}`,
    connectedAt: `2026-03-18T13:0${i}:00Z`,
    endedAt: null,
    durationS: null,
    endReason: null,
  }));
  const cache = cachePaths(join(dir, 'history.csv'));
  const byDay = new Map<string, Session[]>();
  for (const s of ended) byDay.set(dayOf(s.connectedAt, TZ), [...(byDay.get(dayOf(s.connectedAt, TZ)) ?? []), s]);
  for (const [day, list] of byDay) await saveDay(cache, day, list);
  const days = [...new Set([...byDay.keys(), dayOf(NOW, TZ)])].sort().reverse();
  const views = (['all', 'ended'] as const).map((status) => ({ status, xlsx: `${status}.xlsx`, csv: `${status}.csv` }));
  const job: WholeHistoryJob = {
    out: dir,
    cache,
    lang: 'de',
    timeZone: TZ,
    aliases: { 'sophie.groß': 'Alias <b>' },
    now: NOW,
    days,
    tracked: open,
    views,
  };
  return { job, ended, open };
}

/** A view's sessions as the pages list them: by day newest first, then newest first within the day. */
function ordered(sessions: readonly Session[]): Session[] {
  return [...sessions].sort((a, b) => {
    const da = dayOf(a.connectedAt, TZ);
    const db = dayOf(b.connectedAt, TZ);
    return da !== db ? (da < db ? 1 : -1) : compareNewestFirst(a, b);
  });
}

async function* streamed<T>(items: T[]): AsyncGenerator<T> {
  yield* items;
}

describe('the whole-history export files', () => {
  test('hold every session ("all") and every ended one ("ended"), byte for byte as the writers make them here', async (t) => {
    const dir = await tempDir(t);
    const { job, ended, open } = await setUp(dir);
    assert.equal((await writeWholeHistoryInWorker(job, 400)).written, 4);
    const ctx = {
      lang: 'de' as const,
      timeZone: TZ,
      aliasOf: (s: Pick<Session, 'user'>) => (s.user === 'sophie.groß' ? 'Alias <b>' : null),
      now: NOW,
    };
    for (const [status, sessions] of [
      ['all', [...ended, ...open]],
      ['ended', ended],
    ] as const) {
      const rows = exportRows(ordered(sessions), ctx);
      assert.equal(rows.length, status === 'all' ? 402 : 400);
      await writeCsv(join(dir, `want-${status}.csv`), streamed(rows), { lang: 'de' });
      await writeXlsx(join(dir, `want-${status}.xlsx`), streamed(rows), { lang: 'de' });
      for (const ext of ['csv', 'xlsx']) {
        const got = await readFile(join(dir, `${status}.${ext}`));
        assert.ok(got.equals(await readFile(join(dir, `want-${status}.${ext}`))), `${status}.${ext}: the same bytes`);
      }
    }
    const csv = await readFile(join(dir, 'all.csv'), 'utf8');
    assert.ok(
      csv.includes('Alias <b>') && csv.includes('läuft') && csv.includes('<script>alert(1)</script>'),
      'aliases, running sessions and hostile names in the file',
    );
  });

  test('a second run with the same rows leaves every file alone', async (t) => {
    const dir = await tempDir(t);
    const { job } = await setUp(dir);
    await writeWholeHistoryInWorker(job, 400);
    const before = await Promise.all(
      ['all.xlsx', 'all.csv', 'ended.xlsx', 'ended.csv'].map(async (f) => (await stat(join(dir, f))).mtimeMs),
    );
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal((await writeWholeHistoryInWorker(job, 400)).written, 0);
    const after = await Promise.all(
      ['all.xlsx', 'all.csv', 'ended.xlsx', 'ended.csv'].map(async (f) => (await stat(join(dir, f))).mtimeMs),
    );
    assert.deepEqual(after, before, 'same mtimes');
  });

  test("a damaged day file: the worker's error is a CacheError naming the file, and no file is left half-written", async (t) => {
    const dir = await tempDir(t);
    const { job } = await setUp(dir);
    const damaged = join(job.cache.days, `${job.days[3]}.json`);
    await writeFile(damaged, '[[1,2');
    await assert.rejects(writeWholeHistoryInWorker(job, 400), (e: unknown) => {
      assert.ok(e instanceof CacheError, `a CacheError, not ${String(e)}`);
      assert.equal(e.file, damaged);
      return true;
    });
    assert.deepEqual(
      (await readdir(dir)).filter((f) => f.endsWith('.xlsx') || f.endsWith('.csv') || f.includes('.tmp')),
      [],
    );
  });

  test("the worker's heap grows with the largest day: a day of 25,000 sessions (64 MB alone ran out)", async (t) => {
    const dir = await tempDir(t);
    const day = '2026-03-18';
    const sessions = syntheticSessions({
      count: 25_000,
      users: 5_000,
      endAt: '2026-03-18T22:00:00Z',
      spanDays: 20,
      seed: 3,
    }).map((s) => ({
      ...s,
      connectedAt: `${day}T${s.connectedAt.slice(11)}`,
    }));
    const cache = cachePaths(join(dir, 'history.csv'));
    await saveDay(cache, day, sessions);
    const views = [{ status: 'all' as const, xlsx: 'all.xlsx', csv: 'all.csv' }];
    const job: WholeHistoryJob = {
      out: dir,
      cache,
      lang: 'en',
      timeZone: 'UTC',
      aliases: {},
      now: NOW,
      days: [day],
      tracked: [],
      views,
    };
    assert.ok(workerLimits(25_000).maxOldGenerationSizeMb > workerLimits(0).maxOldGenerationSizeMb);
    assert.equal((await writeWholeHistoryInWorker(job, 25_000)).written, 2);
    const lines = (await readFile(join(dir, 'all.csv'), 'utf8')).split('\r\n');
    assert.equal(lines.length, 25_002, 'header, 25,000 rows and the empty end');
  });
});
