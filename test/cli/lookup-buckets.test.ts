/**
 * The lookup index's files on disk across real builds of the CLI (src/app/build/lookup.ts):
 * a run rewrites only the bucket files whose sessions changed, a delete takes a session out
 * of every file in the same build (an emptied bucket or month goes), the old layout (one
 * file per month, index schemaVersion 1) is replaced, a bucket file written after the index
 * (a run killed between the two) is written again, and after each step the folder is what a
 * full build of the same history writes.
 */
import assert from 'node:assert/strict';
import { cp, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { buildLocked } from '../../src/app/build.js';
import type { Logger } from '../../src/app/context.js';
import { historyOps } from '../../src/app/history-edit.js';
import type { Settings } from '../../src/core/settings.js';
import type { Session } from '../../src/core/session.js';
import { appendHistory } from '../../src/io/history-store.js';
import { memoryLog, siteSettings } from '../helpers/api.js';
import { cliOk } from '../helpers/cli.js';
import { hourSession } from '../helpers/sessions.js';
import { diffSnapshots, type FileState, snapshotFiles } from '../helpers/site.js';
import { tempDir } from '../helpers/tmp.js';

const LOOKUP = 'data/lookup';
const NOW = '2026-11-26T12:00:00Z';

// Buckets (see the addressBucket table): 203.0.113.7 20, 10.8.0.3 2f, fd00:8::3 12; 2001:db8::42 2e,
// 10.8.0.9 2d, fd00:8::9 04; 192.0.2.50 3c; 198.51.100.20 02, 10.8.0.20 04.
const anna = hourSession(
  'a0000000000000000001',
  'anna',
  '203.0.113.7',
  '10.8.0.3',
  'fd00:8::3',
  '2026-10-12T08:00:00Z',
);
const bob = hourSession('b0000000000000000002', 'bob', '198.51.100.20', '10.8.0.20', null, '2026-10-14T08:00:00Z');
const carl = hourSession(
  'c0000000000000000003',
  'carl',
  '2001:db8::42',
  '10.8.0.9',
  'fd00:8::9',
  '2026-09-10T08:00:00Z',
);
const dave = hourSession('d0000000000000000004', 'dave', '192.0.2.50', '10.8.0.3', null, '2026-10-20T08:00:00Z');

/** data/lookup/ as files (relative paths) with their bytes and identity. */
const lookupTree = (out: string): Promise<Map<string, FileState>> => snapshotFiles(join(out, LOOKUP));

const text = (f: FileState | undefined): string => (f as FileState).data.toString('utf8');

const texts = (tree: Map<string, FileState>): Record<string, string> =>
  Object.fromEntries([...tree].map(([name, f]) => [name, text(f)]));

/** The files whose bytes or identity differ between two trees, and those added or removed. */
function touched(a: Map<string, FileState>, b: Map<string, FileState>): string[] {
  const d = diffSnapshots(a, b);
  return [...new Set([...d.touched, ...d.changed, ...d.added, ...d.removed])].sort();
}

describe('the lookup bucket files across builds', () => {
  let dir = '';
  let head: string | undefined;
  const paths = () => ({
    status: join(dir, 'none.log'),
    history: join(dir, 'openvpn-sessions.csv'),
    aliases: join(dir, 'none.json'),
    out: join(dir, 'site'),
  });
  const buildArgs = (out: string) => [
    'build',
    '--history',
    paths().history,
    '--status',
    paths().status,
    '--aliases',
    paths().aliases,
    '--out',
    out,
    '--now',
    NOW,
    '--tz',
    'Europe/Berlin',
    '--lang',
    'en',
    '-v',
  ];
  async function append(sessions: Session[]): Promise<void> {
    head = (await appendHistory(paths().history, sessions, undefined, head)).head;
  }
  async function incremental(): Promise<void> {
    const r = await cliOk(buildArgs(paths().out));
    assert.match(r.stderr, /build: incremental/);
  }
  /** What a full build of the same history writes, in a copy (the build cache belongs to the history). */
  async function fullTree(): Promise<Record<string, string>> {
    const copy = await tempDir('ovsw-lookup-full-');
    await cp(dir, copy, { recursive: true, filter: (src) => !src.startsWith(paths().out) });
    const out = join(copy, 'site');
    const r = await cliOk(buildArgs(out).map((a) => (a.startsWith(dir) ? a.replace(dir, copy) : a)));
    assert.match(r.stderr, /build: full/);
    return texts(await lookupTree(out));
  }
  async function deleteSession(id: string): Promise<void> {
    const settings = siteSettings({ ...paths(), dir, state: '', cache: '' }, { tz: 'Europe/Berlin', lang: 'en' });
    const builds: boolean[] = [];
    const rebuild = async (s: Settings, now: string, log: Logger) => {
      const outcome = await buildLocked(s, now, log);
      builds.push(outcome.full);
      return outcome;
    };
    const ops = historyOps({ settings, log: memoryLog(), now: () => NOW, rebuild });
    const done = await ops.deleteSessions([id], { user: null, client: 'test' });
    assert.ok(done.ok, JSON.stringify(done));
    assert.ok(builds.length > 0 && builds.every((full) => !full), 'the endpoint rebuilt incrementally');
  }

  before(async () => {
    dir = await tempDir('ovsw-lookup-buckets-');
    await append([carl, anna, bob]);
    await cliOk(buildArgs(paths().out));
  });

  test('a new session rewrites only the buckets of its addresses and the index', async () => {
    const before = await lookupTree(paths().out);
    assert.deepEqual(
      [...before.keys()],
      [
        '2026-09/04.json',
        '2026-09/2d.json',
        '2026-09/2e.json',
        '2026-10/02.json',
        '2026-10/04.json',
        '2026-10/12.json',
        '2026-10/20.json',
        '2026-10/2f.json',
        'index.json',
      ],
    );
    await append([dave]);
    await incremental();
    const after = await lookupTree(paths().out);
    assert.deepEqual(touched(before, after), ['2026-10/2f.json', '2026-10/3c.json', 'index.json']);
    const shared = JSON.parse(text(after.get('2026-10/2f.json')));
    assert.deepEqual(
      shared.sessions.map((r: [number]) => shared.users[r[0]][0]),
      ['anna', 'dave'],
    );
    assert.deepEqual(texts(after), await fullTree());
  });

  test('a delete takes the session out of every bucket file; an emptied bucket and month go', async () => {
    await deleteSession(dave.id);
    let tree = await lookupTree(paths().out);
    assert.equal(tree.has('2026-10/3c.json'), false, "dave's only bucket is gone");
    assert.ok(!text(tree.get('2026-10/2f.json')).includes('dave'));
    const index = JSON.parse(text(tree.get('index.json')));
    assert.deepEqual(Object.keys(index.months[1][3]).sort(), ['02', '04', '12', '20', '2f']);
    assert.deepEqual(texts(tree), await fullTree());

    await deleteSession(carl.id);
    tree = await lookupTree(paths().out);
    assert.deepEqual(
      [...tree.keys()].filter((n) => n.startsWith('2026-09')),
      [],
    );
    assert.deepEqual(await readdir(join(paths().out, LOOKUP)), ['2026-10', 'index.json']);
    assert.deepEqual(texts(tree), await fullTree());
  });

  test('a bucket file written after the index (a killed run) is written again when its month is made', async () => {
    const file = join(paths().out, LOOKUP, '2026-10/12.json');
    const good = await readFile(file, 'utf8');
    // As a run writes it: a temp file renamed over the old one, after the index it did not reach.
    await new Promise((r) => setTimeout(r, 20));
    await writeFile(`${file}.tmp-1`, good.replace('"anna"', '"mallory"'));
    await rename(`${file}.tmp-1`, file);
    await append([
      hourSession('e0000000000000000005', 'erin', '192.0.2.51', '10.8.0.51', null, '2026-10-22T08:00:00Z'),
    ]);
    await incremental();
    assert.equal(await readFile(file, 'utf8'), good);
    assert.deepEqual(texts(await lookupTree(paths().out)), await fullTree());
  });

  test('the old layout (a file per month, index schemaVersion 1) is replaced by an incremental build', async () => {
    const lookup = join(paths().out, LOOKUP);
    await writeFile(join(lookup, '2026-10.json'), '{"schemaVersion":1,"month":"2026-10","users":[],"sessions":[]}');
    await writeFile(join(lookup, '2026-09.json'), '{"schemaVersion":1,"month":"2026-09","users":[],"sessions":[]}');
    const v1 = {
      schemaVersion: 1,
      timeZone: 'Europe/Berlin',
      months: [
        ['2026-09', 1, 2],
        ['2026-10', 1, 2],
      ],
    };
    await writeFile(join(lookup, 'index.json'), JSON.stringify(v1));
    await append([
      hourSession('f0000000000000000006', 'finn', '192.0.2.60', '10.8.0.60', null, '2026-11-02T08:00:00Z'),
    ]);
    await incremental();
    const tree = await lookupTree(paths().out);
    assert.equal(JSON.parse(text(tree.get('index.json'))).schemaVersion, 2);
    assert.deepEqual(await readdir(lookup), ['2026-10', '2026-11', 'index.json']);
    assert.deepEqual(texts(tree), await fullTree());
  });
});
