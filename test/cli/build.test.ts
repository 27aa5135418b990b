/**
 * `build` with the compiled CLI on real files: escaping of hostile names, the page size
 * budget, aliases, the chart, and the cache in HISTORY.cache/ (deleted, corrupted, outdated).
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import type { StatusClient } from '../../src/core/parse-status.js';
import type { Session } from '../../src/core/session.js';
import { userSlug } from '../../src/core/slug.js';
import { syntheticSessions } from '../../src/demo/synthetic.js';
import { readState, rewriteHistory, writeState } from '../../src/io/history-store.js';
import { run } from '../../src/app/run.js';
import { memoryLog, siteSettings } from '../helpers/api.js';
import { cliOk } from '../helpers/cli.js';
import {
  brokenLinks,
  dayIn,
  daysOf,
  diffSnapshots,
  dropDay,
  listFiles,
  parseHtml,
  plus,
  readHtml,
  siteArgs,
  snapshotFiles,
  T0,
  userOfClient,
  writeSyntheticSite,
  type SitePaths,
  type SyntheticSite,
  LIVE_PART,
} from '../helpers/site.js';
import { tempDir } from '../helpers/tmp.js';

const text = (el: Element | null | undefined): string => (el?.textContent ?? '').trim();
const NOW = plus(T0, 1);
const build = (p: SitePaths, extra: string[] = [], now = NOW) => cliOk(['build', ...siteArgs(p, now, extra)]);
const byEnd = (a: Session, b: Session): number =>
  (a.endedAt as string) < (b.endedAt as string) ? -1 : (a.endedAt as string) > (b.endedAt as string) ? 1 : 0;

async function allHtml(out: string): Promise<Map<string, string>> {
  const pages = new Map<string, string>();
  for (const f of await listFiles(out, '.html')) pages.set(f, await readFile(join(out, f), 'utf8'));
  return pages;
}

/** Renames users (by their recorded user name) in a history or a client list, as common names without a username. */
function renameSessions(list: Session[], names: Map<string, string>): Session[] {
  return list.map((s) => {
    const name = names.get(s.user);
    return name === undefined ? s : { ...s, user: name, commonName: name, username: null };
  });
}
function renameClients(list: StatusClient[], names: Map<string, string>): StatusClient[] {
  return list.map((c) => {
    const name = names.get(userOfClient(c));
    return name === undefined ? c : { ...c, commonName: name, username: null };
  });
}

describe('hostile common names and aliases are text, never markup', () => {
  const SCRIPT = '<script>alert(1)</script>';
  const QUOTES = `O'Brien "x"`;
  const AMP = 'a&b';
  const IMG = '<img src=x onerror=alert(2)>';
  let dir: string;
  let site: SyntheticSite;
  let pages: Map<string, string>;

  before(async () => {
    dir = await tempDir('ovsw-xss-');
    const names = new Map<string, string>();
    site = await writeSyntheticSite(dir, {
      sessions: 80,
      users: 5,
      spanDays: 3,
      live: 3,
      // Users 0–2 (the live ones) get the hostile names, in the history as in the status file.
      mapHistory: (h) => h,
      mapClients: (clients) => {
        clients.forEach((c, i) => {
          names.set(userOfClient(c), [SCRIPT, QUOTES, AMP][i] as string);
        });
        return renameClients(clients, names);
      },
    });
    const history = renameSessions(site.history, names).sort(byEnd);
    const bytes = await rewriteHistory(site.paths.history, history);
    const state = await readState(site.paths.state);
    await writeState(site.paths.state, { ...state, historyBytes: bytes });
    const plain = [...new Set(site.history.map((s) => s.user))].find((u) => !names.has(u)) as string;
    await writeFile(
      site.paths.aliases,
      JSON.stringify({ [SCRIPT]: QUOTES, [QUOTES]: AMP, [AMP]: SCRIPT, [plain]: IMG }),
    );
    site = { ...site, history };
    await cliOk(['run', ...siteArgs(site.paths, NOW)]);
    pages = await allHtml(site.paths.out);
  });

  test('no raw markup from a name anywhere, and the escaped text is there', () => {
    assert.ok(pages.size > 20, `${pages.size} pages`);
    for (const [f, html] of pages) {
      assert.ok(!html.includes('<script>alert'), `${f}: raw <script>alert`);
      assert.ok(!html.includes('<img src=x'), `${f}: raw <img`);
      assert.ok(!html.includes(AMP), `${f}: raw "a&b"`);
      assert.ok(!html.includes(QUOTES), `${f}: raw O'Brien "x"`);
    }
    const dash = pages.get('index.html') as string;
    for (const escaped of [
      '&lt;script&gt;alert(1)&lt;/script&gt;',
      'O&#39;Brien &quot;x&quot;',
      'a&amp;b',
      '&lt;img src=x onerror=alert(2)&gt;',
    ]) {
      assert.ok(dash.includes(escaped), `the dashboard shows ${escaped}`);
    }
  });

  test('every page: no inline script body, no event handler attribute, no style attribute', () => {
    for (const [f, html] of pages) {
      for (const m of html.matchAll(/<script\b[^>]*>([\s\S]*?)<\/script\s*>/gi))
        assert.equal((m[1] as string).trim(), '', `${f}: an inline script`);
      assert.doesNotMatch(html, /<[a-z][^>]*\son\w+\s*=/i, `${f}: an on…= attribute`);
      assert.doesNotMatch(html, /<[a-z][^>]*\sstyle\s*=/i, `${f}: a style= attribute`);
      const doc = parseHtml(html);
      for (const el of doc.querySelectorAll('*')) {
        for (const a of el.getAttributeNames()) {
          assert.ok(!/^on/i.test(a) && a !== 'style', `${f}: <${el.tagName.toLowerCase()} ${a}=…>`);
        }
      }
      for (const s of doc.querySelectorAll('script')) assert.equal(s.textContent, '', `${f}: a script with a body`);
    }
  });

  test('the names and aliases read back exactly as written', async () => {
    const doc = await readHtml(site.paths.out, 'index.html');
    const live = [...doc.querySelectorAll('table.live tbody tr.active')].map((tr) => [
      text(tr.querySelector('th.c-user a')),
      text(tr.querySelector('th.c-user .alias-line')),
    ]);
    assert.deepEqual(
      live.sort(),
      [
        [SCRIPT, QUOTES],
        [QUOTES, AMP],
        [AMP, SCRIPT],
      ].sort(),
    );
    const options = [...doc.querySelectorAll('select[data-nav] option')].map((o) => text(o));
    assert.ok(
      options.includes(`${SCRIPT} (${QUOTES})`),
      `the user filter lists the hostile user with its alias: ${options.join(' | ')}`,
    );
  });

  test('their user slugs are safe path segments and their pages exist', async () => {
    for (const name of [SCRIPT, QUOTES, AMP]) {
      const slug = userSlug(name);
      assert.match(slug, /^[A-Za-z0-9_-][A-Za-z0-9_~-]*$/, `slug of ${name}`);
      for (const page of ['', 'active/', 'ended/'])
        assert.ok(pages.has(`u/${slug}/${page}index.html`), `u/${slug}/${page} exists`);
      const doc = parseHtml(pages.get(`u/${slug}/index.html`) as string);
      assert.equal(text(doc.querySelector('#page-heading')).split(' (')[0], name);
    }
    assert.deepEqual(await brokenLinks(site.paths.out), []);
  });
});

describe('a large history: 20,700 sessions of 40 users over 60 days, one day with 700 more', () => {
  const BIG_DAY = '2026-03-10';
  let dir: string;
  let site: SyntheticSite;
  let bigDaySessions: number;

  before(async () => {
    dir = await tempDir('ovsw-big-');
    site = await writeSyntheticSite(dir, {
      sessions: 20_000,
      users: 40,
      spanDays: 60,
      live: 5,
      seed: 11,
      // 700 more sessions on one day (its Berlin midnight to midnight), in end order with the rest.
      mapHistory: (h) =>
        [
          ...h,
          ...syntheticSessions({ count: 700, users: 40, endAt: `${BIG_DAY}T23:00:00Z`, spanDays: 1, seed: 12 }),
        ].sort(byEnd),
    });
    bigDaySessions = site.history.filter((s) => dayIn(s.connectedAt) === BIG_DAY).length;
    // Aliases like the demo's: a real site names its devices.
    const users = [...new Set(site.history.map((s) => s.user))];
    await writeFile(
      site.paths.aliases,
      JSON.stringify(Object.fromEntries(users.map((u, i) => [u, `Außendienst Süd ${i}`]))),
    );
    await build(site.paths);
  });

  test('a day with more than 250 sessions is split into parts of at most 250, linked newer/older', async () => {
    assert.ok(bigDaySessions > 600, `${bigDaySessions} sessions on ${BIG_DAY}`);
    const urls = Array.from({ length: 20 }, (_, i) => (i === 0 ? `d/${BIG_DAY}/` : `d/${BIG_DAY}/p${i + 1}/`));
    const exists = (i: number): boolean => existsSync(join(site.paths.out, urls[i] as string, 'index.html'));
    let parts = 0;
    while (exists(parts)) parts++;
    assert.ok(parts >= Math.ceil(bigDaySessions / 250), `${parts} parts for ${bigDaySessions} sessions`);
    let rows = 0;
    let n = 0;
    for (; n < parts; n++) {
      const html = await readFile(join(site.paths.out, urls[n] as string, 'index.html'), 'utf8');
      const count = (html.match(/<tr class="(?:head|sub) (?:active|ended)">/g) ?? []).length;
      assert.ok(count > 0 && count <= 250, `part ${n + 1}: ${count} rows`);
      rows += count;
      const prev = /<a rel="prev" href="([^"]*)"/.exec(html)?.[1];
      const next = /<a rel="next" href="([^"]*)"/.exec(html)?.[1];
      const from = new URL(`http://s/${urls[n]}`);
      const resolve = (href: string | undefined) => (href ? new URL(href, from).pathname.slice(1) : null);
      if (n > 0) assert.equal(resolve(prev), urls[n - 1], `part ${n + 1} links back to part ${n}`);
      else assert.equal(resolve(prev), 'd/2026-03-11/', 'part 1 links to the newer day');
      if (n + 1 < parts) assert.equal(resolve(next), urls[n + 1], `part ${n + 1} links on`);
      else assert.equal(resolve(next), 'd/2026-03-09/', 'the last part links to the older day');
      // The heading names the day; the line under it only the part.
      assert.match(html, new RegExp(`<p class="position">Teil ${n + 1} von ${parts}</p>`));
      assert.match(html, new RegExp(`<h2 id="page-heading">[^<]* ${BIG_DAY}</h2>`), 'the heading names the day');
      assert.doesNotMatch(html, new RegExp(`<p class="position">${BIG_DAY}`), 'the date is not said twice');
    }
    assert.ok(n >= 3, `${n} parts`);
    assert.equal(rows, bigDaySessions, 'every session of the day is on one of its parts');
  });

  test('the pages stay small: no HTML file passes 300 KB', async () => {
    const sizes: [string, number][] = [];
    for (const f of await listFiles(site.paths.out, '.html'))
      sizes.push([f, (await readFile(join(site.paths.out, f))).length]);
    sizes.sort((a, b) => b[1] - a[1]);
    assert.ok(sizes.length > 400, `${sizes.length} pages`);
    const over = sizes.filter(([, n]) => n > 300_000);
    assert.equal(
      over.length,
      0,
      `${over.length} pages over 300,000 bytes; largest: ${sizes
        .slice(0, 3)
        .map(([f, n]) => `${f} ${n}`)
        .join(', ')}`,
    );
  });
});

describe('the alias file', () => {
  let dir: string;
  let site: SyntheticSite;
  let alias: string;
  const aliasShown = async (): Promise<boolean> =>
    [...(await allHtml(site.paths.out)).values()].some((h) => h.includes('Büro Köln'));

  before(async () => {
    dir = await tempDir('ovsw-aliases-');
    site = await writeSyntheticSite(dir, { sessions: 20, users: 3, spanDays: 2, live: 1 });
    alias = userOfClient(site.clients[0] as StatusClient);
  });

  test('missing: no aliases and not a word about it', async () => {
    const r = await build(site.paths, ['--quiet']);
    assert.equal(r.stderr, '');
    const doc = await readHtml(site.paths.out, 'index.html');
    assert.equal(text(doc.querySelector('table.live tbody tr.active th.c-user .alias-line')), '');
  });

  test('valid: the alias is shown', async () => {
    await writeFile(site.paths.aliases, JSON.stringify({ [alias]: 'Büro Köln' }));
    const r = await build(site.paths, ['--quiet']);
    assert.equal(r.stderr, '');
    const doc = await readHtml(site.paths.out, 'index.html');
    assert.equal(text(doc.querySelector('table.live tbody tr.active th.c-user .alias-line')), 'Büro Köln');
  });

  for (const [what, content, reason] of [
    ['invalid JSON', '{"alice": "Büro Köln",', /not valid JSON/],
    ['a value that is not a string', JSON.stringify({ x: 'Büro Köln', y: 42 }), /the alias of "y" is not a string/],
  ] as const) {
    test(`${what}: a warning naming the file, and the site is built without aliases (exit 0)`, async () => {
      await writeFile(site.paths.aliases, content);
      const r = await build(site.paths, ['--quiet']);
      const lines = r.stderr.trim().split('\n');
      assert.equal(lines.length, 1, r.stderr);
      assert.ok(lines[0]?.startsWith(`openvpn-status-web: warning: ${site.paths.aliases}: `), r.stderr);
      assert.match(r.stderr, reason);
      assert.equal(await aliasShown(), false, 'no alias on any page');
    });
  }
});

describe('the 24-hour chart', () => {
  test('3 live clients and no history: an <svg> whose title and desc say so', async (t) => {
    const dir = await tempDir(t);
    const site = await writeSyntheticSite(dir, { sessions: 0, users: 1, spanDays: 1, live: 3 });
    await cliOk(['run', ...siteArgs(site.paths, NOW)]);
    const doc = await readHtml(site.paths.out, 'index.html');
    const svg = doc.querySelector('svg.chart');
    assert.ok(svg, 'the dashboard has the chart');
    assert.equal(svg.getAttribute('role'), 'img');
    const [titleId, descId] = (svg.getAttribute('aria-labelledby') ?? '').split(' ');
    assert.equal(svg.querySelector(`title[id="${titleId}"]`)?.textContent, 'Verbindungen letzte 24h');
    const desc = svg.querySelector(`desc[id="${descId}"]`)?.textContent ?? '';
    assert.match(desc, /Aktuell: 3 aktive Verbindungen\. Höchstwert: 3 /);
    assert.equal(doc.querySelectorAll('table.live tbody tr.active').length, 3);
    // No ended session yet: the history holds just the three open ones.
    assert.equal(doc.querySelectorAll('table.history .running').length, 3);
    assert.equal(doc.querySelectorAll('table.history .dot-ended').length, 0);
  });

  test('drawn in a worker thread (a cron run) or in this one (watch, demo): the same SVG', async (t) => {
    const svgs: string[] = [];
    for (const keepChartLoaded of [false, true]) {
      const dir = join(await tempDir(t), String(keepChartLoaded));
      await mkdir(dir);
      const site = await writeSyntheticSite(dir, {
        sessions: 400,
        users: 10,
        spanDays: 3,
        live: 4,
        updatedAt: NOW,
        gapS: 60,
      });
      const outcome = await run(siteSettings(site.paths), NOW, memoryLog(), { keepChartLoaded });
      assert.ok(outcome.ok, 'ran');
      const html = await readFile(join(site.paths.out, 'index.html'), 'utf8');
      svgs.push(/<svg [^>]*class="chart"[\s\S]*?<\/svg>/.exec(html)?.[0] ?? '');
    }
    assert.ok((svgs[0] ?? '').includes('<path'), `a chart with its line: ${(svgs[0] ?? '').slice(0, 300)}`);
    assert.equal(svgs[0], svgs[1]);
  });
});

describe('the build cache (HISTORY.cache/) can be deleted, corrupted or outdated', () => {
  let dir: string;
  let site: SyntheticSite;
  const deletedDays: string[] = [];

  before(async () => {
    dir = await tempDir('ovsw-cache-');
    site = await writeSyntheticSite(dir, { sessions: 150, users: 5, spanDays: 6, live: 2, seed: 5 });
    const r = await build(site.paths);
    assert.match(r.stderr, /build: full/);
  });

  test('a second build with nothing new is incremental and writes nothing but the dashboard and the JSON snapshots', async () => {
    const before = await snapshotFiles(site.paths.out);
    const r = await build(site.paths, [], plus(NOW, 30));
    assert.match(r.stderr, /build: incremental, 1 page\(s\) rendered, 5 file\(s\) written/);
    assert.deepEqual(diffSnapshots(before, await snapshotFiles(site.paths.out)).touched, LIVE_PART);
  });

  test('deleted: a full build with the same pages, byte for byte but for the time stamp line', async () => {
    const before = await snapshotFiles(site.paths.out);
    await rm(site.paths.cache, { recursive: true });
    const r = await build(site.paths, [], plus(NOW, 90));
    assert.match(r.stderr, /build: full/);
    const after = await snapshotFiles(site.paths.out);
    const d = diffSnapshots(before, after);
    assert.deepEqual([d.added, d.removed], [[], []]);
    assert.ok(!d.touched.some((f) => f.startsWith('assets/')), 'the assets are not rewritten');
    const stamp = /<p class="stamp">[^<]*<\/p>/;
    let compared = 0;
    for (const [f, b] of before) {
      if (!f.endsWith('.html') || f === 'index.html') continue;
      const [x, y] = [b.data.toString('utf8'), (after.get(f)?.data ?? Buffer.alloc(0)).toString('utf8')];
      assert.match(
        y,
        /<p class="stamp">Stand: 2026-03-18 15:01:31 \(Europe\/Berlin\)<\/p>/,
        `${f} is stamped with the build time`,
      );
      assert.equal(y.replace(stamp, ''), x.replace(stamp, ''), `${f} is the same page`);
      compared++;
    }
    assert.ok(compared > 20, `${compared} pages compared`);
    // The dashboard shows the live durations as of the new time; it is a whole page all the same.
    assert.ok(d.changed.includes('index.html'), 'the dashboard is rendered for the new time');
  });

  test('a corrupted manifest.json: a warning and a full build with the same pages', async () => {
    await writeFile(join(site.paths.cache, 'manifest.json'), '{"schemaVersion":1,"key":');
    const before = await snapshotFiles(site.paths.out);
    const r = await build(site.paths, [], plus(NOW, 90));
    assert.match(r.stderr, /warning: .*manifest\.json: .*rebuilding/);
    assert.match(r.stderr, /build: full, \d+ page\(s\) rendered, 0 file\(s\) written/);
    assert.deepEqual(diffSnapshots(before, await snapshotFiles(site.paths.out)).touched, []);
    const again = await build(site.paths, [], plus(NOW, 90));
    assert.doesNotMatch(again.stderr, /warning/);
    assert.match(again.stderr, /build: incremental/);
  });

  test('a new history generation (a rewrite, as a delete does) means a full build', async () => {
    const state = await readState(site.paths.state);
    await writeState(site.paths.state, { ...state, historyGeneration: state.historyGeneration + 1 });
    const r = await build(site.paths, [], plus(NOW, 90));
    assert.match(r.stderr, /build: full, \d+ page\(s\) rendered, 0 file\(s\) written/);
  });

  test('the sessions of a day deleted: its page is removed, the site stays whole', async () => {
    const [oldest, second] = daysOf(site.history) as [string, string];
    assert.ok(existsSync(join(site.paths.out, 'd', oldest, 'index.html')), `d/${oldest}/ is there before the delete`);
    site = { ...site, history: await dropDay(site.paths, site.history, oldest) };
    deletedDays.push(oldest);
    const r = await build(site.paths, [], plus(NOW, 90));
    assert.match(r.stderr, /build: full/);
    const files = await listFiles(site.paths.out);
    assert.deepEqual(
      files.filter((f) => f.includes(oldest)),
      [],
      `no page of ${oldest} is left`,
    );
    assert.ok(files.includes(`d/${second}/index.html`), `d/${second}/ is still there`);
    const archive = await readHtml(site.paths.out, 'archive/index.html');
    assert.ok(
      ![...archive.querySelectorAll('table.archive a')].some((a) => text(a) === oldest),
      'the archive no longer lists it',
    );
    assert.deepEqual(await brokenLinks(site.paths.out), []);
  });

  test('a new (or emptied) output folder gets the whole site, whatever the cache says', async () => {
    const other = { ...site.paths, out: join(dir, 'site-moved') };
    await build(other, [], plus(NOW, 90));
    // (Less the pages of deleted days that a full build may have left behind: another test's matter.)
    const want = (await listFiles(site.paths.out)).filter((f) => !deletedDays.some((d) => f.includes(d)));
    const got = await listFiles(other.out);
    assert.deepEqual(got, want, `${got.length} of ${want.length} files published in the new folder`);
  });

  test('the sessions of a day deleted while the cache was lost: its page is removed all the same', async () => {
    const oldest = daysOf(site.history)[0] as string;
    site = { ...site, history: await dropDay(site.paths, site.history, oldest) };
    deletedDays.push(oldest);
    await rm(site.paths.cache, { recursive: true });
    const r = await build(site.paths, [], plus(NOW, 90));
    assert.match(r.stderr, /build: full/);
    const stale = (await listFiles(site.paths.out)).filter((f) => f.includes(oldest));
    assert.deepEqual(stale, [], `pages of the deleted day ${oldest} are still published`);
  });
});
