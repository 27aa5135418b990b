/**
 * Several hosts: `build --history a.csv --history b.csv` merges the histories (and the
 * hosts' live sessions) into one site, a session listed twice counting once, and follows
 * new rows of every history incrementally.
 */
import assert from 'node:assert/strict';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import type { Session } from '../../src/core/session.js';
import { syntheticSessions } from '../../src/demo/synthetic.js';
import { appendHistory, readAllHistory, readState, rewriteHistory, writeState } from '../../src/io/history-store.js';
import { cliOk, runCli } from '../helpers/cli.js';
import { listFiles, plus, siteArgs, sitePaths, T0, writeSyntheticSite, type SyntheticSite } from '../helpers/site.js';
import { tempDir } from '../helpers/tmp.js';

const NOW = plus(T0, 1);
const byEnd = (a: Session, b: Session): number =>
  (a.endedAt as string) < (b.endedAt as string) ? -1 : (a.endedAt as string) > (b.endedAt as string) ? 1 : 0;

async function pages(out: string): Promise<Map<string, string>> {
  const map = new Map<string, string>();
  for (const f of await listFiles(out)) if (f.endsWith('.html')) map.set(f, await readFile(join(out, f), 'utf8'));
  return map;
}

describe('build with several histories', () => {
  let dir: string;
  let a: SyntheticSite;
  let b: SyntheticSite;

  /** A single history holding both hosts' sessions once, and both hosts' live ones: what the merged site must equal. */
  async function reference(name: string): Promise<Map<string, string>> {
    const p = sitePaths(join(dir, name));
    await mkdir(p.dir, { recursive: true });
    const sa = await readState(a.paths.state);
    const sb = await readState(b.paths.state);
    const rows = new Map<string, Session>();
    for (const path of [a.paths.history, b.paths.history])
      for (const s of await readAllHistory(path)) rows.set(s.id, s);
    const bytes = await rewriteHistory(p.history, [...rows.values()].sort(byEnd));
    await writeState(p.state, { ...sa, tracked: [...sa.tracked, ...sb.tracked], historyBytes: bytes });
    await cliOk(['build', ...siteArgs({ ...p, status: a.paths.status }, NOW)]);
    return pages(p.out);
  }

  before(async () => {
    dir = await tempDir('ovsw-merge-');
    await mkdir(join(dir, 'a'), { recursive: true });
    await mkdir(join(dir, 'b'), { recursive: true });
    a = await writeSyntheticSite(join(dir, 'a'), { sessions: 120, users: 4, spanDays: 4, live: 2, seed: 31 });
    // Host b: its own sessions plus ten of a's (a copy that overlaps).
    b = await writeSyntheticSite(join(dir, 'b'), {
      sessions: 90,
      users: 3,
      spanDays: 4,
      live: 1,
      seed: 32,
      mapHistory: (h) => [...h, ...a.history.slice(0, 10)].sort(byEnd),
    });
  });

  test('merges both into one site, a session in both histories shown once', async () => {
    const r = await cliOk(['build', ...siteArgs(a.paths, NOW), '--history', b.paths.history]);
    assert.match(r.stderr, /build: full/);
    const merged = await pages(a.paths.out);
    const want = await reference('ref1');
    assert.deepEqual([...merged.keys()].sort(), [...want.keys()].sort(), 'the same pages');
    for (const [f, html] of want) assert.equal(merged.get(f), html, f);
  });

  test('new rows in the copied history are read incrementally', async () => {
    const more = syntheticSessions({ count: 5, users: 2, endAt: plus(NOW, -30), spanDays: 1, seed: 33 });
    const { bytes } = await appendHistory(b.paths.history, more);
    await writeState(b.paths.state, { ...(await readState(b.paths.state)), historyBytes: bytes });
    const r = await cliOk(['build', ...siteArgs(a.paths, NOW), '--history', b.paths.history, '-v']);
    assert.match(r.stderr, /build: 5 new ended/);
    assert.match(r.stderr, /build: incremental/);
    const merged = await pages(a.paths.out);
    const want = await reference('ref2');
    for (const [f, html] of want) assert.equal(merged.get(f), html, f);
  });

  test('only build and run take several histories', async () => {
    const r = await runCli([
      'collect',
      '--history',
      a.paths.history,
      '--history',
      b.paths.history,
      '--status',
      a.paths.status,
    ]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--history once/);
  });
});
