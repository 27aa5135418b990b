/**
 * `run` (collect + build) as cron runs it: the compiled CLI on a synthetic history of a few
 * hundred sessions and a live status file, the site checked file by file on disk.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { before, describe, test } from 'node:test';
import type { StatusClient } from '../../src/core/parse-status.js';
import type { Session } from '../../src/core/session.js';
import { dayFileName, exportFileName, reportFileName } from '../../src/core/export-names.js';
import { addressBucket, bucketName, normaliseAddress } from '../../src/core/lookup.js';
import { userSlug } from '../../src/core/slug.js';
import { advanceClients } from '../../src/demo/synthetic.js';
import { ROOT_ROWS } from '../../src/render/pages.js';
import { readAllHistory } from '../../src/io/history-store.js';
import { cliOk } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import {
  brokenLinks,
  dayIn,
  diffSnapshots,
  isCompleteHtml,
  listFiles,
  plus,
  readHtml,
  siteArgs,
  snapshotFiles,
  T0,
  userOfClient,
  writeStatusFile,
  writeSyntheticSite,
  type SyntheticSite,
  LIVE_PART,
} from '../helpers/site.js';

const text = (el: Element | null | undefined): string => (el?.textContent ?? '').trim();

/** The dashboard's history groups as [day, user] pairs, independently of src/core/grouping. */
function expectedDashboardGroups(sessions: Pick<Session, 'user' | 'connectedAt' | 'id'>[], rows: number): string[] {
  const groups = new Map<string, { day: string; user: string; newest: string; newestId: string; n: number }>();
  for (const s of sessions) {
    const day = dayIn(s.connectedAt);
    const key = `${day} ${s.user}`;
    const g = groups.get(key) ?? { day, user: s.user, newest: '', newestId: '', n: 0 };
    g.n++;
    if (s.connectedAt > g.newest || (s.connectedAt === g.newest && s.id < g.newestId)) {
      g.newest = s.connectedAt;
      g.newestId = s.id;
    }
    groups.set(key, g);
  }
  const sorted = [...groups.values()].sort((a, b) =>
    a.day !== b.day
      ? a.day < b.day
        ? 1
        : -1
      : a.newest !== b.newest
        ? a.newest < b.newest
          ? 1
          : -1
        : a.newestId < b.newestId
          ? -1
          : 1,
  );
  const out: string[] = [];
  let used = 0;
  for (const g of sorted) {
    // A group that would overflow the first page (and fits on a page of its own) starts the next one.
    if (used > 0 && used + g.n > rows) break;
    out.push(`${g.day} ${g.user}`);
    used += g.n;
    if (used >= rows) break;
  }
  return out;
}

describe('run on ~300 sessions of 8 users over 10 days, 3 live clients', () => {
  let dir: string;
  let site: SyntheticSite;
  let clients: StatusClient[];
  let firstStderr: string;
  const args = (now: string, extra: string[] = []): string[] => ['run', ...siteArgs(site.paths, now, extra)];

  before(async () => {
    dir = await tempDir('ovsw-run-');
    site = await writeSyntheticSite(dir, { sessions: 300, users: 8, spanDays: 10, live: 3 });
    clients = site.clients;
    firstStderr = (await cliOk(args(plus(T0, 1)))).stderr;
  });

  test('the first run builds the whole site: dashboard, assets, views, every day and every user', async () => {
    assert.match(firstStderr, /build: full/);
    const out = site.paths.out;
    const files = new Set(await listFiles(out));
    const live = clients.map((c) => ({ user: userOfClient(c), connectedAt: c.connectedAt }));
    const all = [...site.history, ...live];
    const days = [...new Set(all.map((s) => dayIn(s.connectedAt)))].sort();
    assert.ok(days.length >= 10, `sessions on ${days.length} days`);
    const withEndedDays = [...files].some((f) => f.startsWith('ended/d/'));
    const expected = new Set([
      'index.html',
      'active/index.html',
      'ended/index.html',
      'archive/index.html',
      'users/index.html',
      // A shell: its list comes from the endpoint.
      'trash/index.html',
      'lookup/index.html',
      'anomalies/index.html',
      'ledger/index.html',
    ]);
    for (const day of days) {
      expected.add(`d/${day}/index.html`);
      if (withEndedDays && site.history.some((s) => dayIn(s.connectedAt) === day))
        expected.add(`ended/d/${day}/index.html`);
    }
    const users = new Set(all.map((s) => s.user));
    assert.equal(users.size, 8, `users: ${[...users].join(', ')}`);
    const withEndedMonths = [...files].some((f) => /^u\/[^/]+\/ended\/m\//.test(f));
    for (const user of users) {
      const slug = userSlug(user);
      for (const page of ['', 'active/', 'ended/']) expected.add(`u/${slug}/${page}index.html`);
      for (const month of new Set(all.filter((s) => s.user === user).map((s) => dayIn(s.connectedAt).slice(0, 7)))) {
        expected.add(`u/${slug}/m/${month}/index.html`);
        if (withEndedMonths && site.history.some((s) => s.user === user && dayIn(s.connectedAt).startsWith(month))) {
          expected.add(`u/${slug}/ended/m/${month}/index.html`);
        }
      }
    }
    const html = [...files].filter((f) => f.endsWith('.html'));
    // The rest of the day or month where a root page's newest rows stop: there when the root leads to it.
    for (const f of html.filter((x) => /(?:^|\/)more\/index\.html$/.test(x))) {
      const root = f.replace(/more\/index\.html$/, 'index.html');
      const href = (await readHtml(out, root)).querySelector('.pager a[rel="next"]')?.getAttribute('href');
      assert.equal(posix.join(posix.dirname(`/${root}`), href ?? '', 'index.html'), `/${f}`, `${root} leads to ${f}`);
      expected.add(f);
    }
    assert.ok(expected.has('more/index.html'), 'the dashboard shows 50 of 300 rows: the rest of its oldest day');
    assert.deepEqual(html.sort(), [...expected].sort(), 'exactly the expected pages');
    for (const asset of ['assets/style.css', 'assets/app.js']) assert.ok(files.has(asset), `${asset} is published`);
    assert.deepEqual(await brokenLinks(out), [], 'every link of every page leads to a published file');
    for (const f of html) {
      const body = await readFile(join(out, f), 'utf8');
      assert.ok(isCompleteHtml(body), `${f} is a whole document`);
    }
    assert.deepEqual(
      (await listFiles(dir)).filter((f) => f.includes('.tmp-')),
      [],
      'no temp file is left behind',
    );
  });

  test('the dashboard lists exactly the live clients and the newest history groups, in German', async () => {
    const doc = await readHtml(site.paths.out, 'index.html');
    assert.equal(doc.documentElement.lang, 'de');
    assert.equal(text(doc.querySelector('#live-heading')), 'Aktive Verbindungen (LIVE)');
    assert.match(text(doc.querySelector('#history-heading')), /^Verbindungs-History/);
    const liveUsers = [...doc.querySelectorAll('table.live tbody tr.active')].map((tr) =>
      text(tr.querySelector('th a')),
    );
    assert.deepEqual(liveUsers.sort(), clients.map(userOfClient).sort(), 'one live row per connected client');
    // Each live row links to its user's page.
    for (const a of doc.querySelectorAll('table.live tbody tr.active th a')) {
      assert.equal(a.getAttribute('href'), `u/${userSlug(text(a))}/`);
    }
    // The live sessions are open: their history rows say "läuft…" instead of an end.
    const running = [...doc.querySelectorAll('table.history .running')].map((e) => text(e));
    assert.deepEqual(running, ['läuft…', 'läuft…', 'läuft…']);

    const groups = [...doc.querySelectorAll('table.history tbody.group')].map((tb) => {
      const head = tb.querySelector('tr.head') as HTMLTableRowElement;
      return `${text(head.querySelector('td.c-start .d'))} ${text(head.querySelector('th.c-user a'))}`;
    });
    const sessions = [
      ...site.history,
      ...clients.map((c) => ({ user: userOfClient(c), connectedAt: c.connectedAt, id: '' })),
    ];
    assert.ok(groups.length > 5, `${groups.length} groups on the dashboard`);
    assert.deepEqual(groups, expectedDashboardGroups(sessions, ROOT_ROWS), 'the newest groups, newest day first');
    // Each group holds that user's sessions of that day, newest at the head.
    for (const tb of doc.querySelectorAll('table.history tbody.group')) {
      const rows = [...tb.querySelectorAll('tr.head, tr.sub:not(.info-row)')];
      const starts = rows.map((r) => text(r.querySelector('td.c-start')));
      assert.deepEqual(starts, [...starts].sort().reverse(), 'newest first within a group');
    }
    assert.ok(
      doc.querySelector('svg.chart title') && doc.querySelector('svg.chart desc'),
      'the chart has a title and a description',
    );
    assert.equal(doc.querySelectorAll('script[src]').length, 1, 'the one client script');
  });

  test('a quiet minute (same clients, a new status update) rewrites only the dashboard', async () => {
    const before = await snapshotFiles(site.paths.out);
    const next = advanceClients(clients, { from: T0, to: plus(T0, 60), seed: 1 });
    await writeStatusFile(site.paths.status, next, plus(T0, 60), site.seed);
    const r = await cliOk(args(plus(T0, 61)));
    assert.match(r.stderr, /collect: 0 new, 0 ended, 0 server-stopped, 0 re-opened, 3 active/);
    assert.match(r.stderr, /build: incremental, 1 page\(s\) rendered, 5 file\(s\) written/);
    const d = diffSnapshots(before, await snapshotFiles(site.paths.out));
    assert.deepEqual(d, { touched: LIVE_PART, changed: LIVE_PART, added: [], removed: [] });
    clients = next;
  });

  test('a client that disconnects changes exactly its day, its user pages and the views', async () => {
    const gone = clients[0] as StatusClient;
    const rest = clients.slice(1);
    const user = userOfClient(gone);
    const slug = userSlug(user);
    const day = dayIn(gone.connectedAt);

    // The first update without it: nothing ends yet (one update lacking a client is not enough).
    let before = await snapshotFiles(site.paths.out);
    await writeStatusFile(
      site.paths.status,
      advanceClients(rest, { from: plus(T0, 60), to: plus(T0, 120), seed: 2 }),
      plus(T0, 120),
      site.seed,
    );
    let r = await cliOk(args(plus(T0, 121)));
    assert.match(r.stderr, /collect: 0 new, 0 ended, 0 server-stopped, 0 re-opened, 3 active/);
    assert.deepEqual(diffSnapshots(before, await snapshotFiles(site.paths.out)).touched, LIVE_PART);

    // The second one ends it, at the update time of the last file that listed it.
    before = await snapshotFiles(site.paths.out);
    await writeStatusFile(
      site.paths.status,
      advanceClients(rest, { from: plus(T0, 60), to: plus(T0, 180), seed: 3 }),
      plus(T0, 180),
      site.seed,
    );
    r = await cliOk(args(plus(T0, 181)));
    assert.match(r.stderr, /collect: 0 new, 1 ended, 0 server-stopped, 0 re-opened, 2 active/);
    assert.match(r.stderr, /build: incremental/);
    const ended = (await readAllHistory(site.paths.history)).filter(
      (s) => s.user === user && s.connectedAt === gone.connectedAt,
    );
    assert.equal(ended.length, 1);
    assert.equal(ended[0]?.endedAt, plus(T0, 60));

    const d = diffSnapshots(before, await snapshotFiles(site.paths.out));
    const month = day.slice(0, 7);
    const required = [
      ...LIVE_PART,
      `exports/${exportFileName(null, 'active', 'xlsx')}`,
      // The whole history of all users: the session ends in "all" and joins "ended", in the same run.
      ...(['all', 'ended'] as const).flatMap((st) => [
        `exports/${exportFileName(null, st, 'xlsx')}`,
        `exports/${exportFileName(null, st, 'csv')}`,
      ]),
      `exports/${exportFileName(user, 'all', 'xlsx')}`,
      `exports/${exportFileName(user, 'active', 'csv')}`,
      `exports/${exportFileName(user, 'ended', 'xlsx')}`,
      `exports/days/${dayFileName(day, 'xlsx')}`,
      `exports/days/${dayFileName(day, 'csv')}`,
      'active/index.html',
      'ended/index.html',
      `d/${day}/index.html`,
      `u/${slug}/index.html`,
      `u/${slug}/active/index.html`,
      `u/${slug}/ended/index.html`,
      `u/${slug}/m/${month}/index.html`,
      // The lookup files of the day's month and the session's address buckets: it has its end now.
      ...[gone.realAddress, gone.virtualAddress, gone.virtualIpv6].flatMap((a) => {
        const spelled = a === null ? null : normaliseAddress(a);
        return spelled === null ? [] : [`data/lookup/${month}/${bucketName(addressBucket(spelled))}.json`];
      }),
      // The lookup index: those files' hashes.
      'data/lookup/index.json',
      // The auditors' page: the ended session's row moved the history's chain head.
      'ledger/index.html',
    ];
    // Pages that may exist in this layout and may change: the "ended" copies of the period pages,
    // and the archive if its counts changed.
    const allowed = new Set([
      ...required,
      `ended/d/${day}/index.html`,
      `u/${slug}/ended/m/${month}/index.html`,
      'archive/index.html',
      // The rest of the day or month where the root pages' rows stop moves with a new ended row.
      'more/index.html',
      'ended/more/index.html',
      `u/${slug}/more/index.html`,
      `u/${slug}/ended/more/index.html`,
      // The view files of the user and of all users' running sessions, in both formats.
      ...(['all', 'active', 'ended'] as const).flatMap((st) => [
        `exports/${exportFileName(user, st, 'xlsx')}`,
        `exports/${exportFileName(user, st, 'csv')}`,
      ]),
      `exports/${exportFileName(null, 'active', 'csv')}`,
      // The month's reports of all users and of the user: the session's hours and traffic count now.
      `exports/reports/${reportFileName(null, month, 'xlsx')}`,
      `exports/reports/${reportFileName(null, month, 'csv')}`,
      `exports/reports/${reportFileName(user, month, 'xlsx')}`,
      // The sums of those folders: the files' new SHA-256, under the head now.
      'exports/SHA256SUMS',
      'exports/days/SHA256SUMS',
      `exports/reports/SHA256SUMS_${month}`,
    ]);
    for (const f of required)
      assert.ok(d.touched.includes(f), `${f} was rewritten (rewritten: ${d.touched.join(', ')})`);
    for (const f of d.touched)
      assert.ok(allowed.has(f), `${f} was rewritten although the disconnect does not concern it`);
    assert.deepEqual(d.touched.sort(), d.changed.sort(), 'only files whose bytes changed are rewritten');
    assert.deepEqual([d.added, d.removed], [[], []]);

    // The day page shows the ended session with its end; the dashboard has two live rows left.
    const dayDoc = await readHtml(site.paths.out, `d/${day}/index.html`);
    const row = [...dayDoc.querySelectorAll('table.history tr.head, table.history tr.sub:not(.info-row)')].find(
      (tr) =>
        text(tr.querySelector('th.c-user a')) === user && text(tr.querySelector('td.c-end')) === '2026-03-18 15:01:00',
    );
    assert.ok(row, `the day page lists ${user}'s session ending 15:01:00 Berlin time`);
    assert.ok(row.classList.contains('ended'), 'the row is marked as ended');
    const dash = await readHtml(site.paths.out, 'index.html');
    assert.equal(dash.querySelectorAll('table.live tbody tr.active').length, 2);
    assert.equal(dash.querySelectorAll('table.history .running').length, 2);
    const userActive = await readHtml(site.paths.out, `u/${slug}/active/index.html`);
    assert.equal(
      userActive.querySelectorAll('table.history tbody.group').length,
      0,
      `${user} has no active session left`,
    );
  });

  test('--lang en labels the pages in English', async () => {
    const outEn = join(dir, 'site-en');
    const r = await cliOk(['build', ...siteArgs({ ...site.paths, out: outEn }, plus(T0, 182), ['--lang', 'en'])]);
    assert.match(r.stderr, /build: full/);
    const doc = await readHtml(outEn, 'index.html');
    assert.equal(doc.documentElement.lang, 'en');
    assert.equal(text(doc.querySelector('#live-heading')), 'Active connections (LIVE)');
    assert.match(text(doc.querySelector('#history-heading')), /^Connection history/);
    assert.deepEqual(
      [...doc.querySelectorAll('table.history .running')].map((e) => text(e)),
      ['running…', 'running…'],
    );
    assert.equal(doc.querySelector('svg.chart title')?.textContent, 'Connections, last 24 h');
    assert.match(doc.querySelector('svg.chart desc')?.textContent ?? '', /Now: 2 active connections\. Peak: \d+ /);
    const body = await readFile(join(outEn, 'index.html'), 'utf8');
    for (const german of ['Aktive Verbindungen', 'Verbindungs-History', 'läuft…'])
      assert.ok(!body.includes(german), `no "${german}" in the English dashboard`);
  });
});

test('nginx never sees a half-written page: 20 runs with changing data while every page is read in a loop', async (t) => {
  const dir = await tempDir(t, 'ovsw-run-race-');
  const site = await writeSyntheticSite(dir, { sessions: 120, users: 6, spanDays: 4, live: 4, seed: 7 });
  const out = site.paths.out;
  await cliOk(['run', ...siteArgs(site.paths, plus(T0, 1))]);

  let stop = false;
  let reads = 0;
  const bad: string[] = [];
  const reader = (async () => {
    let files: string[] = [];
    for (let pass = 0; !stop; pass++) {
      // Synchronous reads, one pass over every page at a time: as tight as it gets, while the
      // event loop still gets a turn between passes to drive the runs. New pages are picked up
      // every few passes.
      if (pass % 20 === 0) files = await listFiles(out, '.html');
      for (const f of files) {
        let body: string;
        try {
          body = readFileSync(join(out, f), 'utf8');
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue; // a page that is gone is gone whole
          throw e;
        }
        reads++;
        if (!isCompleteHtml(body)) bad.push(`${f}: ${body.length} bytes, ends ${JSON.stringify(body.slice(-40))}`);
      }
      await new Promise((r) => setImmediate(r));
    }
  })();

  let clients = site.clients;
  let written = 0;
  try {
    for (let i = 1; i <= 20; i++) {
      const from = plus(T0, 60 * (i - 1));
      const to = plus(T0, 60 * i);
      // Traffic grows every minute; every third minute a client reconnects: a session starts,
      // and two updates later the old one ends.
      clients = advanceClients(clients, { from, to, reconnect: i % 3 === 0 ? 1 : 0, seed: 100 + i });
      await writeStatusFile(site.paths.status, clients, to, site.seed);
      const r = await cliOk(['run', ...siteArgs(site.paths, plus(to, 1))]);
      written += Number(/(\d+) file\(s\) written/.exec(r.stderr)?.[1] ?? NaN);
    }
  } finally {
    stop = true;
    await reader;
  }
  assert.deepEqual(bad, [], 'every read was a whole page');
  assert.ok(reads > 500, `the reader read ${reads} pages`);
  assert.ok(written > 20 + 20, `the runs wrote ${written} files (history pages changed, not only dashboards)`);
  const history = await readAllHistory(site.paths.history);
  assert.ok(
    history.length >= site.history.length + 5,
    `${history.length - site.history.length} sessions ended during the loop`,
  );
  assert.deepEqual(
    (await listFiles(dir)).filter((f) => f.includes('.tmp-')),
    [],
    'no temp file is left behind',
  );
});
