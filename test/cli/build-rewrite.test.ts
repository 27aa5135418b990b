/**
 * A rewrite of the CSV (delete, restore, retention) journaled in the state makes the next
 * build an incremental one that updates only the affected days and users, and ends with
 * exactly the pages a full build from the same data would give.
 */
import assert from 'node:assert/strict';
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { recordRewrite, REWRITE_ROWS_MAX } from '../../src/core/history-rewrite.js';
import type { Session } from '../../src/core/session.js';
import { userSlug } from '../../src/core/slug.js';
import { readState, rewriteHistory, writeState } from '../../src/io/history-store.js';
import { cliOk } from '../helpers/cli.js';
import {
  dayIn,
  listFiles,
  plus,
  siteArgs,
  sitePaths,
  T0,
  userOfClient,
  writeSyntheticSite,
  type SitePaths,
  type SyntheticSite,
} from '../helpers/site.js';
import { tempDir } from '../helpers/tmp.js';

const NOW = plus(T0, 1);
const build = (p: SitePaths) => cliOk(['build', ...siteArgs(p, NOW)]);

/** Every HTML page below `out`: relative path → content. */
async function pages(out: string): Promise<Map<string, string>> {
  const map = new Map<string, string>();
  for (const f of await listFiles(out, '.html')) map.set(f, await readFile(join(out, f), 'utf8'));
  return map;
}

/** The pages a full build gives for the same history and state, in a fresh folder. */
async function fullBuildOf(site: SyntheticSite, into: string): Promise<Map<string, string>> {
  const p = sitePaths(into);
  await mkdir(into, { recursive: true });
  await copyFile(site.paths.history, p.history);
  await copyFile(site.paths.state, p.state);
  await copyFile(site.paths.status, p.status);
  const r = await build(p);
  assert.match(r.stderr, /build: full/);
  return pages(p.out);
}

function assertSamePages(actual: Map<string, string>, expected: Map<string, string>): void {
  assert.deepEqual([...actual.keys()].sort(), [...expected.keys()].sort(), 'the same pages exist');
  for (const [file, html] of expected) assert.equal(actual.get(file), html, file);
}

/** Rewrites the CSV to `kept` and journals it, as the delete and restore endpoints do. */
async function rewrite(site: SyntheticSite, kept: Session[], removed: Session[], added: Session[]): Promise<void> {
  const state = await readState(site.paths.state);
  const bytesAfter = await rewriteHistory(site.paths.history, kept);
  await writeState(
    site.paths.state,
    recordRewrite(state, { bytesBefore: state.historyBytes, bytesAfter, removed, added }),
  );
}

describe('builds after a journaled rewrite of the history', () => {
  let dir: string;
  let site: SyntheticSite;
  let original: Map<string, string>;
  let gone: Session[];
  let goneUser: string;

  before(async () => {
    dir = await tempDir('ovsw-rewrite-');
    site = await writeSyntheticSite(dir, { sessions: 240, users: 6, spanDays: 8, live: 2, seed: 9 });
    assert.match((await build(site.paths)).stderr, /build: full/);
    original = await pages(site.paths.out);
    // Every session of one user who is not connected, and the sessions of one day of another.
    const live = new Set(site.clients.map(userOfClient));
    const users = [...new Set(site.history.map((s) => s.user))].filter((u) => !live.has(u));
    goneUser = users[0] as string;
    const other = users[1] as string;
    const day = dayIn((site.history.find((s) => s.user === other) as Session).connectedAt);
    gone = site.history.filter((s) => s.user === goneUser || (s.user === other && dayIn(s.connectedAt) === day));
    assert.ok(gone.length > 5, `${gone.length} sessions to delete`);
  });

  test('a delete is built incrementally and gives the pages of a full build; the deleted user has no pages left', async () => {
    const ids = new Set(gone.map((s) => s.id));
    await rewrite(
      site,
      site.history.filter((s) => !ids.has(s.id)),
      gone,
      [],
    );
    const r = await build(site.paths);
    assert.match(r.stderr, /build: incremental/);
    const after = await pages(site.paths.out);
    assert.ok(
      ![...after.keys()].some((f) => f.startsWith(`u/${userSlug(goneUser)}/`)),
      `no pages of ${goneUser} are left`,
    );
    for (const s of gone)
      assert.ok(![...after.values()].some((html) => html.includes(s.id)), `session ${s.id} is on no page`);
    assertSamePages(after, await fullBuildOf(site, join(dir, 'reference-delete')));
  });

  test('a restore brings back exactly the pages there were', async () => {
    await rewrite(site, site.history, [], gone);
    const r = await build(site.paths);
    assert.match(r.stderr, /build: incremental/);
    assertSamePages(await pages(site.paths.out), original);
  });

  test('a rewrite too large to list, or a journal with a gap, makes a full build', async () => {
    const state = await readState(site.paths.state);
    const many = Array.from({ length: REWRITE_ROWS_MAX + 1 }, () => site.history[0] as Session);
    await writeState(
      site.paths.state,
      recordRewrite(state, {
        bytesBefore: state.historyBytes,
        bytesAfter: state.historyBytes,
        removed: many,
        added: [],
      }),
    );
    assert.match((await build(site.paths)).stderr, /build: full/);
    const next = await readState(site.paths.state);
    await writeState(site.paths.state, { ...next, historyGeneration: next.historyGeneration + 1 });
    assert.match((await build(site.paths)).stderr, /build: full/);
    assertSamePages(await pages(site.paths.out), original);
  });
});
