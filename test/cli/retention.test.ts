/**
 * retentionDays: sessions that ended longer ago move to yearly archive CSVs, never lost or
 * doubled (also after a run that died half-way), and the site follows incrementally.
 */
import assert from 'node:assert/strict';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { archiveYears, dueInOrder, retentionCutoff, retentionDue } from '../../src/core/retention.js';
import type { Session } from '../../src/core/session.js';
import { appendHistory, readAllHistory, readState } from '../../src/io/history-store.js';
import { archivePath } from '../../src/app/retention.js';
import { cliOk } from '../helpers/cli.js';
import {
  dayIn,
  listFiles,
  plus,
  siteArgs,
  sitePaths,
  T0,
  writeSyntheticSite,
  type SyntheticSite,
} from '../helpers/site.js';
import { tempDir } from '../helpers/tmp.js';

const DAYS = 5;
const NOW = plus(T0, 1);

test('retention is due once the oldest end is a day past the limit', () => {
  assert.equal(retentionCutoff('2026-03-18T14:00:00Z', 5), '2026-03-13T14:00:00Z');
  assert.equal(retentionDue(null, NOW, 5), false, 'an empty history');
  assert.equal(
    retentionDue('2026-03-12T14:00:01Z', '2026-03-18T14:00:00Z', 5),
    false,
    'less than a day past the limit',
  );
  assert.equal(retentionDue('2026-03-12T13:59:59Z', '2026-03-18T14:00:00Z', 5), true);
});

test("rows move in the history's order: up to the first not due, into a year no earlier than a row before", () => {
  const row = (endedAt: string) => ({ endedAt, lastSeenAt: endedAt });
  const rows = ['2025-12-30T20:00:00Z', '2026-01-01T00:05:00Z', '2025-12-31T23:50:00Z', '2026-01-05T00:00:00Z'];
  // Cutoff Jan 1: the row of Dec 31 is due but waits behind the one of Jan 1, which is not.
  assert.deepEqual(rows.map(row).map(dueInOrder('2026-01-01T00:00:00Z')), [true, false, false, false]);
  assert.deepEqual(rows.map(row).map(dueInOrder('2026-01-02T00:00:00Z')), [true, true, true, false]);
  assert.deepEqual(archiveYears(rows.slice(0, 3).map(row), 'UTC'), ['2025', '2026', '2026']);
  // The zone decides the year: 23:50 UTC on Dec 31 is Jan 1 in Berlin.
  assert.deepEqual(archiveYears([row('2025-12-31T23:50:00Z')], 'Europe/Berlin'), ['2026']);
});

async function pages(out: string): Promise<Map<string, string>> {
  const map = new Map<string, string>();
  for (const f of await listFiles(out))
    if (f.endsWith('.html') || f.startsWith('exports/')) map.set(f, await readFile(join(out, f), 'utf8'));
  return map;
}

describe('retentionDays in a run', () => {
  let dir: string;
  let site: SyntheticSite;
  let config: string;
  let old: Session[];

  before(async () => {
    dir = await tempDir('ovsw-retention-');
    site = await writeSyntheticSite(dir, { sessions: 300, users: 5, spanDays: 12, live: 2, seed: 3 });
    config = join(dir, 'config.json');
    await writeFile(config, JSON.stringify({ retentionDays: DAYS }));
    // The site as it was before retention was configured.
    await cliOk(['build', ...siteArgs(site.paths, NOW)]);
    const cutoff = retentionCutoff(NOW, DAYS);
    old = site.history.filter((s) => (s.endedAt as string) < cutoff);
    assert.ok(
      old.length > 50 && old.length < site.history.length,
      `${old.length} of ${site.history.length} sessions are due`,
    );
    // A run that died after archiving some rows but before rewriting the CSV left them in both.
    await appendHistory(archivePath(site.paths.history, '2026'), old.slice(0, 10));
  });

  test('moves exactly the old sessions to the archive, once each, and keeps the rest', async () => {
    const r = await cliOk(['run', '--config', config, ...siteArgs(site.paths, NOW)]);
    assert.match(r.stderr, new RegExp(`retention: ${old.length} session\\(s\\) that ended before`));
    assert.match(r.stderr, /build: incremental/, 'the journal spares a full build');
    const kept = await readAllHistory(site.paths.history);
    const archived = await readAllHistory(archivePath(site.paths.history, '2026'));
    assert.deepEqual(archived.map((s) => s.id).sort(), old.map((s) => s.id).sort(), 'every old session archived once');
    assert.deepEqual(
      [...kept, ...archived].map((s) => s.id).sort(),
      site.history.map((s) => s.id).sort(),
      'nothing lost, nothing doubled',
    );
    const state = await readState(site.paths.state);
    assert.equal(state.rewrites.at(-1)?.removed?.length, old.length);
  });

  test('the pages and daily files follow: the same site a full build gives', async () => {
    const oldOnly = [...new Set(old.map((s) => dayIn(s.connectedAt)))].filter(
      (d) => !site.history.some((s) => dayIn(s.connectedAt) === d && !old.includes(s)),
    );
    assert.ok(oldOnly.length > 0, 'some days hold only archived sessions');
    const now = await pages(site.paths.out);
    for (const d of oldOnly) assert.ok(!now.has(`d/${d}/index.html`), `the page of ${d} is gone`);
    const ref = sitePaths(join(dir, 'reference'));
    await mkdir(ref.dir, { recursive: true });
    for (const k of ['history', 'state', 'status'] as const) await copyFile(site.paths[k], ref[k]);
    await cliOk(['build', ...siteArgs(ref, NOW)]);
    const want = await pages(ref.out);
    assert.deepEqual([...now.keys()].sort(), [...want.keys()].sort(), 'the same pages and export files');
    // /ledger/ shows the change log, which the reference (a copy without it) does not have.
    for (const [f, html] of want)
      if (f.endsWith('.html') && f !== 'ledger/index.html') assert.equal(now.get(f), html, f);
  });

  test('the next run has nothing to archive', async () => {
    const r = await cliOk(['run', '--config', config, ...siteArgs(site.paths, plus(NOW, 60))]);
    assert.doesNotMatch(r.stderr, /retention:/);
  });
});
