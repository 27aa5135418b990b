/**
 * The export files over the whole history (src/app/whole-history.ts), made of a piece per
 * day: after a change, what a build writes from the pieces it kept is byte for byte what a
 * full build writes; the rows are the view's rows (read back from the files); unchanged
 * files are left alone; a view too large for a sheet is split per year.
 */
import assert from 'node:assert/strict';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { updateWholeHistory, type WholeHistoryInput } from '../../src/app/whole-history.js';
import { exportRows, type ExportContext } from '../../src/core/export-rows.js';
import { dayOf } from '../../src/core/format.js';
import { compareNewestFirst, type Session } from '../../src/core/session.js';
import { CacheError, cachePaths, loadDay, saveDay } from '../../src/io/build-cache.js';
import { writeCsv } from '../../src/io/csv-export.js';
import { syntheticSessions } from '../../src/demo/synthetic.js';
import { sheetRows, wallOfSerial } from '../helpers/xlsx-cells.js';
import { tempDir } from '../helpers/tmp.js';

const TZ = 'Europe/Berlin';
const NOW = '2026-03-18T14:00:00Z';
const CTX: ExportContext = {
  lang: 'de',
  timeZone: TZ,
  aliasOf: (s) => (s.user === 'sophie.groß' ? 'Alias <b>' : null),
  now: NOW,
};
const FILES = ['all_all.csv', 'all_all.xlsx', 'all_ended.csv', 'all_ended.xlsx'].map(
  (f) => `exports/openvpn-history_${f}`,
);

/** A history of 400 sessions over 20 days in a build cache's day files, and two running sessions of today. */
class History {
  readonly cache;
  readonly open: Session[];
  readonly warnings: string[] = [];
  constructor(
    readonly dir: string,
    readonly ended: Session[],
  ) {
    this.cache = cachePaths(join(dir, 'history.csv'));
    this.open = ended.slice(0, 2).map((s, i) => ({
      ...s,
      id: `open-${i}`,
      connectedAt: `2026-03-18T13:0${i}:00Z`,
      endedAt: null,
      durationS: null,
      endReason: null,
    }));
  }

  static async make(dir: string): Promise<History> {
    const ended = syntheticSessions({
      count: 400,
      users: 9,
      endAt: '2026-03-18T12:00:00Z',
      spanDays: 20,
      seed: 5,
      hostile: true,
    });
    const h = new History(dir, ended);
    for (const [day, list] of h.byDay(ended)) await saveDay(h.cache, day, list);
    return h;
  }

  byDay(sessions: Session[]): Map<string, Session[]> {
    const byDay = new Map<string, Session[]>();
    for (const s of sessions) byDay.set(dayOf(s.connectedAt, TZ), [...(byDay.get(dayOf(s.connectedAt, TZ)) ?? []), s]);
    return byDay;
  }

  /** The input of a build into `out`; `dirty` the days changed since the last one. */
  async input(out: string, full: boolean, dirty: string[], rowsMax = 1_048_575): Promise<WholeHistoryInput> {
    const byDay = this.byDay([...(await this.all())]);
    const days = [...byDay.keys()].sort().reverse();
    return {
      out,
      index: join(out, 'index.json'),
      ctx: CTX,
      full,
      counts: days.map((day) => {
        const list = byDay.get(day) ?? [];
        return { day, all: list.length, ended: list.filter((s) => s.endedAt !== null).length };
      }),
      dirtyDays: new Set(dirty),
      sessionsOfDay: async (day) => byDay.get(day) ?? [],
      rowsMax,
      warn: (m) => this.warnings.push(m),
    };
  }

  async all(): Promise<Session[]> {
    const out: Session[] = [...this.open];
    for (const name of await readdir(this.cache.days))
      out.push(...(await loadDay(this.cache, name.replace('.json', ''))));
    return out;
  }
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

async function mtimes(out: string, files: string[]): Promise<number[]> {
  return Promise.all(files.map(async (f) => (await stat(join(out, f))).mtimeMs));
}

describe('the whole-history export files', () => {
  test('hold every session ("all") and every ended one ("ended"): the CSV byte for byte as writeCsv makes it, the sheet cell for cell', async (t) => {
    const dir = await tempDir(t);
    const h = await History.make(dir);
    const result = await updateWholeHistory(await h.input(dir, true, []));
    assert.equal(result.written, 4);
    for (const [status, sessions] of [
      ['all', [...h.ended, ...h.open]],
      ['ended', h.ended],
    ] as const) {
      const rows = exportRows(ordered(sessions), CTX);
      assert.equal(rows.length, status === 'all' ? 402 : 400);
      await writeCsv(join(dir, `want-${status}.csv`), streamed(rows), { lang: 'de' });
      const csv = await readFile(join(dir, `exports/openvpn-history_all_${status}.csv`));
      assert.ok(csv.equals(await readFile(join(dir, `want-${status}.csv`))), `${status}.csv: the same bytes`);
      const cells = sheetRows(await readFile(join(dir, `exports/openvpn-history_all_${status}.xlsx`)));
      assert.equal(cells.length, rows.length + 1, `${status}.xlsx: the header and a row per session`);
      for (const [i, r] of rows.entries()) {
        assert.equal(cells[i + 1]?.[2], r.commonName, `${status}.xlsx row ${i + 2}: common name`);
        assert.equal(
          wallOfSerial(cells[i + 1]?.[8] as number),
          r.start,
          `${status}.xlsx row ${i + 2}: start as a date cell`,
        );
      }
    }
  });

  test('after a change, the files are byte for byte what a full build writes; unchanged files are left alone', async (t) => {
    const dir = await tempDir(t);
    const h = await History.make(dir);
    const out = join(dir, 'site');
    await updateWholeHistory(await h.input(out, true, []));
    const steps: { name: string; change: () => Promise<string[]>; written: number }[] = [
      { name: 'nothing', change: async () => [], written: 0 },
      // A dirty day whose rows are the same (a neighbour of a new day, say) changes no file.
      { name: 'a dirty day, the same rows', change: async () => ['2026-03-10'], written: 0 },
      {
        name: 'a session of an old day deleted',
        change: async () => {
          const day = '2026-03-05';
          const list = await loadDay(h.cache, day);
          await saveDay(h.cache, day, list.slice(1));
          return [day];
        },
        written: 4,
      },
      {
        name: 'a running session ends: "ended" and "all" change',
        change: async () => {
          const s = h.open.pop() as Session;
          const ended = {
            ...s,
            endedAt: '2026-03-18T13:30:00Z',
            durationS: 1800,
            endReason: 'disconnected' as const,
          };
          const day = dayOf(s.connectedAt, TZ);
          await saveDay(h.cache, day, [...(await loadDay(h.cache, day)), ended]);
          return [day];
        },
        written: 4,
      },
      {
        name: 'a whole day gone',
        change: async () => {
          await saveDay(h.cache, '2026-03-01', []);
          return ['2026-03-01'];
        },
        written: 4,
      },
    ];
    for (const step of steps) {
      const before = await mtimes(out, FILES);
      const dirty = await step.change();
      await new Promise((resolve) => setTimeout(resolve, 15));
      const result = await updateWholeHistory(await h.input(out, false, dirty));
      assert.equal(result.written, step.written, `${step.name}: files written`);
      if (step.written === 0) assert.deepEqual(await mtimes(out, FILES), before, `${step.name}: mtimes kept`);
      const full = join(dir, `full-${steps.indexOf(step)}`);
      await updateWholeHistory(await h.input(full, true, []));
      for (const f of FILES)
        assert.ok(
          (await readFile(join(out, f))).equals(await readFile(join(full, f))),
          `${step.name}: ${f} as a full build writes it`,
        );
    }
  });

  test('a file changed behind its back is made again from the day files', async (t) => {
    const dir = await tempDir(t);
    const h = await History.make(dir);
    await updateWholeHistory(await h.input(dir, true, []));
    const day = '2026-03-10';
    const sessions = await loadDay(h.cache, day);
    for (const [n, file] of FILES.entries()) {
      const path = join(dir, file);
      const want = await readFile(path);
      // Overwritten in place; every second time with the index made to agree with its mtime, so only the pieces' CRCs tell.
      const damaged = Buffer.from(want);
      damaged.fill(0x20, 200, want.length - 200);
      await writeFile(path, damaged);
      if (n % 2 === 1) {
        const index = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8'));
        index.files[file].mtimeMs = (await stat(path)).mtimeMs;
        await writeFile(join(dir, 'index.json'), JSON.stringify(index));
      }
      // An old day changes in every view (a session deleted, then restored): every file is written again.
      await saveDay(h.cache, day, sessions.slice(1));
      await updateWholeHistory(await h.input(dir, false, [day]));
      await saveDay(h.cache, day, sessions);
      await updateWholeHistory(await h.input(dir, false, [day]));
      assert.ok((await readFile(path)).equals(want), `${file}: made again`);
    }
  });

  test('a session that starts changes the "all" files only; its end changes both views', async (t) => {
    const dir = await tempDir(t);
    const h = await History.make(dir);
    const s = h.open.pop() as Session;
    await updateWholeHistory(await h.input(dir, true, []));
    const day = dayOf(s.connectedAt, TZ);
    h.open.push(s);
    const before = await mtimes(dir, FILES);
    await new Promise((resolve) => setTimeout(resolve, 15));
    assert.equal((await updateWholeHistory(await h.input(dir, false, [day]))).written, 2);
    const after = await mtimes(dir, FILES);
    assert.deepEqual(
      FILES.filter((_, i) => after[i] !== before[i]),
      FILES.filter((f) => f.includes('_all_all.')),
      'the "all" files',
    );
    h.open.pop();
    await saveDay(h.cache, day, [
      ...(await loadDay(h.cache, day)),
      { ...s, endedAt: '2026-03-18T13:30:00Z', durationS: 1800, endReason: 'disconnected' },
    ]);
    await new Promise((resolve) => setTimeout(resolve, 15));
    assert.equal((await updateWholeHistory(await h.input(dir, false, [day]))).written, 4);
  });

  test('a damaged index: a warning naming it, and every file made again, the same bytes', async (t) => {
    const dir = await tempDir(t);
    const h = await History.make(dir);
    await updateWholeHistory(await h.input(dir, true, []));
    const want = await Promise.all(FILES.map((f) => readFile(join(dir, f))));
    await writeFile(join(dir, 'index.json'), '{"version":1,"files":');
    const result = await updateWholeHistory(await h.input(dir, false, []));
    assert.equal(result.written, 4, 'every file written again');
    assert.match(h.warnings.join('\n'), /index\.json: .*made again/);
    for (const [i, f] of FILES.entries()) assert.ok((await readFile(join(dir, f))).equals(want[i] as Buffer), f);
  });

  test('more rows than a sheet holds: a workbook per year, and back to one file when they fit again', async (t) => {
    const dir = await tempDir(t);
    const h = await History.make(dir);
    const yearly = ['exports/openvpn-history_all_all_2026.xlsx'];
    // Every session is of 2026: its workbook holds the newest whole days that fit, and says what it leaves out.
    const small = await updateWholeHistory(await h.input(dir, true, [], 401));
    const year = small.files.find((f) => f.file === yearly[0]);
    assert.ok(year !== undefined && year.rows <= 401 && year.rows > 300, `rows ${year?.rows}`);
    assert.equal(year.leftOut, 402 - year.rows, 'the rows left out are counted');
    assert.deepEqual(
      small.files.filter((f) => f.ext === 'xlsx').map((f) => f.file),
      [yearly[0], 'exports/openvpn-history_all_ended.xlsx'],
      'all: a year file; ended (400 rows) still one file',
    );
    const names = async () => (await readdir(join(dir, 'exports'))).sort();
    assert.ok(!(await names()).includes('openvpn-history_all_all.xlsx'), 'no single workbook of "all"');
    assert.equal(sheetRows(await readFile(join(dir, yearly[0] as string))).length, year.rows + 1);
    await updateWholeHistory(await h.input(dir, false, [], 1000));
    assert.deepEqual(
      await names(),
      FILES.map((f) => f.replace('exports/', '')).sort(),
      'the year file removed, the single one back',
    );
  });

  test('a damaged day file: a CacheError naming the file, and no file is left half-written', async (t) => {
    const dir = await tempDir(t);
    const h = await History.make(dir);
    const input = await h.input(dir, true, []);
    const day = input.counts[3]?.day as string;
    const damaged = join(h.cache.days, `${day}.json`);
    await writeFile(damaged, '[[1,2');
    input.sessionsOfDay = (d) => loadDay(h.cache, d);
    await assert.rejects(updateWholeHistory(input), (e: unknown) => {
      assert.ok(e instanceof CacheError, `a CacheError, not ${String(e)}`);
      assert.equal(e.file, damaged);
      return true;
    });
    assert.deepEqual(await readdir(join(dir, 'exports')).catch(() => []), []);
  });
});
