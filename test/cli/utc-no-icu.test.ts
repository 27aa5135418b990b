/**
 * A run in UTC whose users are those of the last build uses no Intl object at all: the
 * first one a process makes loads ICU's data (25–30 ms of every cron run). The runs below
 * go through a preload that makes every Intl constructor throw.
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'node:test';
import { advanceClients } from '../../src/demo/synthetic.js';
import { CLI } from '../helpers/build.js';
import { cliOk, runNode } from '../helpers/cli.js';
import { plus, T0, writeStatusFile, writeSyntheticSite } from '../helpers/site.js';
import { tempDir } from '../helpers/tmp.js';

const POISON = `for (const name of ['DateTimeFormat', 'Collator', 'NumberFormat', 'PluralRules', 'RelativeTimeFormat', 'ListFormat', 'Segmenter', 'DisplayNames']) {
  Intl[name] = function () { throw new Error('Intl.' + name + ' used'); };
}
String.prototype.localeCompare = function () { throw new Error('localeCompare used'); };
`;

test("a UTC run with the last build's users makes no Intl object; one in Europe/Berlin does", async (t) => {
  const dir = await tempDir(t, 'ovsw-utc-');
  const poison = join(dir, 'poison.mjs');
  await writeFile(poison, POISON);
  const site = await writeSyntheticSite(dir, { sessions: 80, users: 6, spanDays: 3, live: 3 });
  const p = site.paths;
  const args = (now: string, tz: string) => [
    'run',
    '--status',
    p.status,
    '--history',
    p.history,
    '--aliases',
    p.aliases,
    '--out',
    p.out,
    '--tz',
    tz,
    '--now',
    now,
  ];
  await cliOk(args(plus(T0, 1), 'UTC')); // the first build sorts the users

  const poisoned = (now: string, tz: string) =>
    runNode(['--import', pathToFileURL(poison).href, CLI, ...args(now, tz)]);
  // Busy minutes: a client reconnects (its new session starts), then its old session ends.
  const next = advanceClients(site.clients, { from: T0, to: plus(T0, 60), reconnect: 1, seed: 3 });
  await writeStatusFile(p.status, next, plus(T0, 60), site.seed);
  const starts = await poisoned(plus(T0, 61), 'UTC');
  assert.equal(starts.code, 0, starts.stderr);
  assert.match(starts.stderr, /collect: 1 new, 0 ended, .* 4 active/);
  assert.match(starts.stderr, /build: incremental, ([2-9]|\d\d+) page\(s\) rendered/);
  await writeStatusFile(
    p.status,
    advanceClients(next, { from: plus(T0, 60), to: plus(T0, 120), seed: 4 }),
    plus(T0, 120),
    site.seed,
  );
  const ends = await poisoned(plus(T0, 121), 'UTC');
  assert.equal(ends.code, 0, ends.stderr);
  assert.match(ends.stderr, /collect: 0 new, 1 ended, .* 3 active/);
  assert.match(ends.stderr, /build: incremental, ([2-9]|\d\d+) page\(s\) rendered/);
  assert.match(await readFile(join(p.out, 'index.html'), 'utf8'), /Verbindungs-History/);

  // The poison works: another zone needs Intl.
  const berlin = await poisoned(plus(T0, 122), 'Europe/Berlin');
  assert.notEqual(berlin.code, 0);
  assert.match(berlin.stderr, /Intl\.DateTimeFormat used/);
});
