/**
 * Cron minutes in which sessions start and end are built incrementally: each rebuilds only
 * the pages, totals and export files it changed. Whatever it skipped must still be right,
 * so after a few such minutes the site must equal a full build of the same data.
 */
import assert from 'node:assert/strict';
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { exportFileName } from '../../src/core/export-names.js';
import { cliOk } from '../helpers/cli.js';
import { cronMinutes, listFiles, plus, siteArgs, sitePaths, T0, writeSyntheticSite } from '../helpers/site.js';
import { tempDir } from '../helpers/tmp.js';

const WHOLE_HISTORY = ['all', 'ended'].map(
  (status) => `exports/${exportFileName(null, status as 'all' | 'ended', 'csv')}`,
);

/**
 * Every page and CSV export below `out`: relative path → content. A page keeps the time
 * stamp of the build that last rendered it (a page that did not change is not rewritten),
 * and the chart is drawn again only when a 5-minute bucket completes (build.ts): both are
 * left out.
 */
async function published(out: string): Promise<Map<string, string>> {
  const map = new Map<string, string>();
  for (const f of await listFiles(out)) {
    // The whole-history files follow changes at most every 15 minutes (exports.ts): left out.
    if (WHOLE_HISTORY.includes(f)) continue;
    if (f.endsWith('.html') || f.endsWith('.csv'))
      map.set(
        f,
        (await readFile(join(out, f), 'utf8'))
          .replace(/<p class="stamp">[^<]*<\/p>/, 'STAMP')
          .replace(/<svg [^>]*class="chart"[\s\S]*?<\/svg>/, 'CHART'),
      );
  }
  return map;
}

test('minutes of starts and ends, built incrementally, give the pages and CSV files of a full build', async (t) => {
  const dir = await tempDir(t, 'ovsw-minutes-');
  const site = await writeSyntheticSite(dir, { sessions: 150, users: 5, spanDays: 40, live: 4, seed: 11 });
  const p = site.paths;
  assert.match((await cliOk(['run', ...siteArgs(p, plus(T0, 1))])).stderr, /build: full/);
  // Minute 1: two clients reconnect (new sessions start); minute 2: their old sessions end;
  // minute 3: quiet; minute 4: one more reconnect.
  const at = await cronMinutes(site, [2, 0, 0, 1], async (now) => {
    assert.match((await cliOk(['run', ...siteArgs(p, plus(now, 1))])).stderr, /build: incremental/);
  });
  const incremental = await published(p.out);

  const ref = sitePaths(join(dir, 'reference'));
  await mkdir(ref.dir, { recursive: true });
  for (const k of ['history', 'state', 'status'] as const) await copyFile(p[k], ref[k]);
  assert.match((await cliOk(['build', ...siteArgs(ref, plus(at, 1))])).stderr, /build: full/);
  const full = await published(ref.out);

  assert.deepEqual([...incremental.keys()], [...full.keys()], 'the same pages and files');
  for (const [file, content] of full) assert.equal(incremental.get(file), content, file);
  assert.ok(
    [...full.keys()].some((f) => /^u\/[^/]+\/index\.html$/.test(f)),
    'user pages (with their per-day totals) compared',
  );
});
