/**
 * The lookup index's rows of each day of the two newest months are kept in the build cache
 * (HISTORY.cache/lookup/DAY.json, src/app/build/lookup.ts): a run makes again only the rows
 * of its dirty days and reads the month's others from the cache; an older month, the
 * cache's pruned days, a missing day (an upgrade) and a damaged one (a full build) are
 * handled, and the published files stay what a full build writes.
 */
import assert from 'node:assert/strict';
import { cp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import type { Session } from '../../src/core/session.js';
import { cachePaths, lookupDaysDir } from '../../src/io/build-cache.js';
import { appendHistory } from '../../src/io/history-store.js';
import { cliOk } from '../helpers/cli.js';
import { hourSession } from '../helpers/sessions.js';
import { snapshotFiles } from '../helpers/site.js';
import { tempDir } from '../helpers/tmp.js';

const NOW = '2026-11-26T12:00:00Z';

const s = (n: number, user: string, at: string): Session =>
  hourSession(`${String(n).padStart(20, '0')}`, user, `203.0.113.${n}`, `10.8.0.${n}`, null, at);

describe('the lookup rows cached by day', () => {
  let dir = '';
  let head: string | undefined;
  const history = () => join(dir, 'openvpn-sessions.csv');
  const cached = () => lookupDaysDir(cachePaths(history()));
  const args = (base: string) => [
    'build',
    ...['--history', join(base, 'openvpn-sessions.csv'), '--status', join(base, 'none.log')],
    ...['--aliases', join(base, 'none.json'), '--out', join(base, 'site'), '--now', NOW],
    ...['--tz', 'Europe/Berlin', '--lang', 'en', '-v'],
  ];
  const append = async (sessions: Session[]): Promise<void> => {
    head = (await appendHistory(history(), sessions, undefined, head)).head;
  };
  const lookupFiles = async (base: string): Promise<Record<string, string>> =>
    Object.fromEntries(
      [...(await snapshotFiles(join(base, 'site', 'data/lookup')))].map(([n, f]) => [n, f.data.toString('utf8')]),
    );
  /** What a full build of the same history publishes, in a copy. */
  async function fullBuild(): Promise<Record<string, string>> {
    const copy = await tempDir('ovsw-lookup-days-full-');
    await cp(dir, copy, { recursive: true, filter: (src) => !src.startsWith(join(dir, 'site')) });
    await rm(`${join(copy, 'openvpn-sessions.csv')}.cache`, { recursive: true, force: true });
    assert.match((await cliOk(args(copy))).stderr, /build: full/);
    return lookupFiles(copy);
  }
  const incremental = async (): Promise<string> => {
    const r = await cliOk(args(dir));
    assert.match(r.stderr, /build: incremental/);
    return r.stderr;
  };

  before(async () => {
    dir = await tempDir('ovsw-lookup-days-');
    await append([s(1, 'anna', '2026-08-03T08:00:00Z'), s(2, 'bob', '2026-09-10T08:00:00Z')]);
    await append([s(3, 'carl', '2026-10-12T08:00:00Z'), s(4, 'dave', '2026-10-14T08:00:00Z')]);
    assert.match((await cliOk(args(dir))).stderr, /build: full/);
  });

  test('a full build caches the days of the two newest months only', async () => {
    assert.deepEqual(await readdir(cached()), ['2026-09-10.json', '2026-10-12.json', '2026-10-14.json']);
  });

  test("a run reads its month's clean days from the cache and makes its dirty days again", async () => {
    const clean = join(cached(), '2026-10-12.json');
    // A clean day's cached rows, changed in a way only the cache can tell: the run must show it.
    await writeFile(clean, (await readFile(clean, 'utf8')).replaceAll('203.0.113.3', '203.0.113.99'));
    const dirty = join(cached(), '2026-10-14.json');
    await writeFile(
      dirty,
      JSON.stringify({ first: 1, last: 2, rows: [[0, 'mallory', '"14",1,2,null,null,null,null']] }),
    );
    await append([s(5, 'erin', '2026-10-14T10:00:00Z')]);
    await incremental();
    const published = Object.values(await lookupFiles(dir)).join('\n');
    assert.ok(published.includes('"203.0.113.99"'), 'the clean day came from the cache');
    assert.ok(!published.includes('mallory'), 'the dirty day was made again from its sessions');
    assert.ok(!(await readFile(dirty, 'utf8')).includes('mallory'));
    // The cache holds what the sessions give: put the clean day back, and the site equals a full build.
    await rm(clean);
    await append([s(6, 'fay', '2026-10-20T10:00:00Z')]);
    await incremental();
    assert.ok(
      !Object.values(await lookupFiles(dir))
        .join('\n')
        .includes('"203.0.113.99"'),
    );
    assert.deepEqual(await lookupFiles(dir), await fullBuild());
    assert.deepEqual(await readdir(cached()), [
      '2026-09-10.json',
      '2026-10-12.json',
      '2026-10-14.json',
      '2026-10-20.json',
    ]);
  });

  test('a new month drops the oldest cached month; an older month is made from its sessions', async () => {
    await append([s(7, 'gus', '2026-11-02T10:00:00Z'), s(8, 'hal', '2026-08-05T10:00:00Z')]);
    await incremental();
    assert.deepEqual(await readdir(cached()), [
      '2026-10-12.json',
      '2026-10-14.json',
      '2026-10-20.json',
      '2026-11-02.json',
    ]);
    assert.deepEqual(await lookupFiles(dir), await fullBuild());
  });

  test('a damaged cached day makes the build start over in full', async () => {
    await writeFile(join(cached(), '2026-10-12.json'), '{ torn');
    await append([s(9, 'ida', '2026-10-21T10:00:00Z')]);
    const r = await cliOk(args(dir));
    assert.match(r.stderr, /2026-10-12\.json: damaged cache file .*rebuilding the site in full/);
    assert.deepEqual(await lookupFiles(dir), await fullBuild());
  });
});
