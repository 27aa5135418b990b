/**
 * The CLI's full build runs in a worker thread with a capped heap (src/app/build/full-build.ts):
 * the cap follows from what the build holds at most, and the worker writes what a build in
 * the main thread writes, its log lines passed on once.
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { buildLocked } from '../../src/app/build.js';
import {
  buildFullInWorker,
  FULL_BUILD_BOUNDS,
  fullBuildLimits,
  type FullBuildBounds,
} from '../../src/app/build/full-build.js';
import { memoryLog, siteSettings } from '../helpers/api.js';
import { listFiles, T0, writeSyntheticSite } from '../helpers/site.js';
import { tempDir } from '../helpers/tmp.js';

describe('fullBuildLimits', () => {
  // 48 MB of modules, the two memos at 2 KB a session, and the larger of a CSV chunk and a render batch.
  const cases: { name: string; bounds: FullBuildBounds; historyBytes?: number; oldMb: number }[] = [
    {
      name: 'a render batch outweighs a CSV chunk',
      bounds: { memoSessions: 5_000, chunkSessions: 20_000, renderBatch: 20, renderPageMb: 2.5 },
      oldMb: 48 + 20 + 50, // 2 × 5,000 × 2 KB = 19.5 MB, rounded up with the rest
    },
    {
      name: 'a CSV chunk outweighs a render batch',
      bounds: { memoSessions: 5_000, chunkSessions: 50_000, renderBatch: 20, renderPageMb: 2.5 },
      oldMb: 48 + 20 + 98, // 50,000 × 2 KB = 97.7 MB
    },
    {
      name: 'no memos',
      bounds: { memoSessions: 0, chunkSessions: 1_024, renderBatch: 0, renderPageMb: 2.5 },
      oldMb: 48 + 2,
    },
    {
      name: "the old bounds (256 lists of E's 1,400 sessions, batches of 100 pages)",
      bounds: { memoSessions: 358_400, chunkSessions: 50_000, renderBatch: 100, renderPageMb: 2.5 },
      oldMb: 48 + 1400 + 250,
    },
    {
      name: "E's history (238 MB of CSV) adds 120 bytes for each 200 bytes of it",
      bounds: { memoSessions: 5_000, chunkSessions: 20_000, renderBatch: 20, renderPageMb: 2.5 },
      historyBytes: 238_255_001,
      oldMb: 254, // 48 + 19.5 (memos) + 50 (a batch) + 136.3 (1,191,275 rows at most × 120 B)
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      assert.deepEqual(fullBuildLimits(c.bounds, c.historyBytes ?? 0), {
        maxOldGenerationSizeMb: c.oldMb,
        maxYoungGenerationSizeMb: 16,
      });
    });
  }

  test("the build's own bounds keep the heap of a full build of a small history under 128 MB", () => {
    assert.ok(fullBuildLimits(FULL_BUILD_BOUNDS, 1_000_000).maxOldGenerationSizeMb <= 128);
  });
});

describe('a full build in the worker', () => {
  test('writes the same files as one in this thread, and warns once', async (t) => {
    const files: Map<string, Buffer>[] = [];
    const warnings: string[][] = [];
    for (const fullBuildWorker of [true, false]) {
      const site = await writeSyntheticSite(await tempDir(t), { sessions: 600, users: 12, spanDays: 20, live: 3 });
      await writeFile(site.paths.aliases, '{ not json');
      const log = memoryLog();
      const outcome = await buildLocked(siteSettings(site.paths), T0, log, { fullBuildWorker });
      assert.equal(outcome.full, true);
      assert.ok(outcome.pagesRendered > 0);
      warnings.push(log.lines.filter((l) => l.startsWith('warning:')).map((l) => l.replace(site.paths.dir, 'DIR')));
      const out = new Map<string, Buffer>();
      for (const f of await listFiles(site.paths.out)) out.set(f, await readFile(join(site.paths.out, f)));
      files.push(out);
    }
    const [inWorker, inThread] = files as [Map<string, Buffer>, Map<string, Buffer>];
    assert.deepEqual([...inWorker.keys()], [...inThread.keys()]);
    for (const [f, bytes] of inThread) assert.ok(bytes.equals(inWorker.get(f) as Buffer), `${f} differs`);
    assert.equal(warnings[0]?.length, 1, warnings[0]?.join('\n'));
    assert.deepEqual(warnings[0], warnings[1]);
  });
});

describe('a full build that outgrows its heap', () => {
  test('is built again in this thread, with one warning naming the cap', async (t) => {
    const site = await writeSyntheticSite(await tempDir(t), { sessions: 200, users: 4, spanDays: 5, live: 1 });
    const log = memoryLog();
    let again = 0;
    const tiny = { maxOldGenerationSizeMb: 4, maxYoungGenerationSizeMb: 1 };
    const outcome = await buildFullInWorker({ settings: siteSettings(site.paths), now: T0 }, tiny, log, async () => {
      again++;
      return { full: true, pagesRendered: 7, filesWritten: 9, ms: 1 };
    });
    assert.equal(again, 1);
    assert.deepEqual(outcome, { full: true, pagesRendered: 7, filesWritten: 9, ms: 1 });
    assert.deepEqual(
      log.lines.filter((l) => l.startsWith('warning:')),
      ['warning: the full build outgrew its 4 MB heap; building again without a cap'],
    );
  });
});
