/**
 * "Older entries →" continues where a page stopped: followed from the dashboard, a filtered
 * view's root or a user page, the pages never show a row twice and leave none out, each
 * page after the first offers the way back ("← Newer entries"), and after a clear the
 * dashboard does not lead to its live rows again.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { describe, test } from 'node:test';
import { JSDOM } from 'jsdom';
import { buildLocked } from '../../src/app/build.js';
import { historyOps } from '../../src/app/history-edit.js';
import { dayOf } from '../../src/core/format.js';
import type { Session } from '../../src/core/session.js';
import { userSlug } from '../../src/core/slug.js';
import { readAllHistory } from '../../src/io/history-store.js';
import { memoryLog, siteSettings } from '../helpers/api.js';
import { T0, TZ, writeSyntheticSite } from '../helpers/site.js';
import { tempDir } from '../helpers/tmp.js';

interface Walked {
  /** Page urls in the order followed. */
  pages: string[];
  /** History rows (session ids) in the order shown. */
  rows: string[];
  /** Pages after the first that lack a "newer" link. */
  noWayBack: string[];
}

/** Follows rel="next" from `start` (a site path), collecting the history table's rows. */
async function walk(out: string, start: string): Promise<Walked> {
  const w: Walked = { pages: [], rows: [], noWayBack: [] };
  let url: string | null = start;
  while (url !== null) {
    assert.ok(!w.pages.includes(url), `a loop at ${url}`);
    assert.ok(w.pages.length < 100, 'a bounded walk');
    w.pages.push(url);
    const html: string = await readFile(join(out, url, 'index.html'), 'utf8');
    const d: Document = new JSDOM(html).window.document;
    for (const cell of d.querySelectorAll('table.history td[data-session-id]'))
      w.rows.push(cell.getAttribute('data-session-id') as string);
    if (w.pages.length > 1 && d.querySelector('.pager a[rel="prev"]') === null) w.noWayBack.push(url);
    const next: string | null = d.querySelector('.pager a[rel="next"]')?.getAttribute('href') ?? null;
    url = next === null ? null : posix.join(url, next, '/');
  }
  return w;
}

function assertWalk(w: Walked, expected: Session[], what: string, minPages = 4): void {
  const seen = new Set<string>();
  const twice: string[] = [];
  for (const id of w.rows) {
    if (seen.has(id)) twice.push(id);
    seen.add(id);
  }
  assert.deepEqual(twice, [], `${what}: no row twice (${w.pages.join(' → ')})`);
  assert.deepEqual([...seen].sort(), expected.map((s) => s.id).sort(), `${what}: every row, once`);
  assert.deepEqual(w.noWayBack, [], `${what}: every page after the first leads back`);
  assert.ok(w.pages.length >= minPages, `${what}: several pages (${w.pages.join(' → ')})`);
}

describe('older entries', () => {
  test('from the dashboard, /ended/, a user page and its /ended/: no row repeats, none is left out', {
    timeout: 120_000,
  }, async (t) => {
    const dir = await tempDir(t);
    const site = await writeSyntheticSite(dir, { sessions: 900, users: 10, spanDays: 3, live: 3 });
    const settings = siteSettings(site.paths);
    await buildLocked(settings, T0, memoryLog());
    const ended = site.history;
    const live = site.state.tracked;
    const all = [...ended, ...live];
    assertWalk(await walk(site.paths.out, '/'), all, 'dashboard');
    assertWalk(await walk(site.paths.out, '/ended/'), ended, '/ended/');
    // The user with the most sessions: their page and their ended view.
    const counts = new Map<string, number>();
    for (const s of all) counts.set(s.user, (counts.get(s.user) ?? 0) + 1);
    const user = [...counts].sort((a, b) => b[1] - a[1])[0]![0];
    const slug = userSlug(user);
    assertWalk(
      await walk(site.paths.out, `/u/${slug}/`),
      all.filter((s) => s.user === user),
      'user page',
      2,
    );
    assertWalk(
      await walk(site.paths.out, `/u/${slug}/ended/`),
      ended.filter((s) => s.user === user),
      "user's ended view",
      2,
    );
    assert.ok(new Set(all.map((s) => dayOf(s.connectedAt, TZ))).size >= 3, 'over several days');
  });

  test('after a clear the dashboard shows the live rows and leads nowhere older', { timeout: 120_000 }, async (t) => {
    const dir = await tempDir(t);
    const site = await writeSyntheticSite(dir, { sessions: 120, users: 3, spanDays: 2, live: 3 });
    const settings = siteSettings(site.paths);
    const log = memoryLog();
    await buildLocked(settings, T0, log);
    const ops = historyOps({ settings, log, now: () => T0 });
    const cleared = await ops.clearHistory(120, { user: null, client: 'test' });
    assert.ok(cleared.ok, JSON.stringify(cleared));
    assert.deepEqual(await readAllHistory(site.paths.history), []);
    const w = await walk(site.paths.out, '/');
    assert.deepEqual(w.pages, ['/'], 'no older link');
    assert.deepEqual(w.rows.sort(), site.state.tracked.map((s) => s.id).sort(), 'the live rows, once');
  });
});
