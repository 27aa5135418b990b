import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cp, mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { before, describe, test } from 'node:test';
import { JSDOM, VirtualConsole } from 'jsdom';
import { siteAssets } from '../../src/render/assets.js';
import { renderPages } from '../../src/render/eleventy.js';
import { renderPagesDirect } from '../../src/render/direct.js';
import { outputPathFor, SITE_DIR } from '../../src/render/site-files.js';
import { LABELS } from '../../src/core/i18n.js';
import type { PageModel, SessionInfo } from '../../src/render/view-model.js';
import {
  allPages,
  AMP_ALIAS,
  archivePage,
  CHART_SVG,
  dashboardPage,
  EVIL_CN,
  historyPage,
  livePage,
  QUOTE_CN,
  siteModel,
  userPage,
} from './fixtures.js';
import { tempDir } from '../helpers/tmp.js';
import { renderSamples } from './samples.js';

let de: Map<string, string>;
let en: Map<string, string>;
let empty: Map<string, string>;

before(async () => {
  ({ de, en, empty } = await renderSamples());
});

function page(map: Map<string, string>, url: string): string {
  const html = map.get(url);
  assert.ok(html !== undefined, `no page for ${url}`);
  return html;
}

function doc(html: string): Document {
  return new JSDOM(html).window.document;
}

function texts(nodes: Iterable<Element>): string[] {
  return [...nodes].map((n) => (n.textContent ?? '').replace(/\s+/g, ' ').trim());
}

/** The [label, value] lines of an info row. */
function infoPairs(row: Element): string[][] {
  return [...row.querySelectorAll('dl > div')].map((div) => texts(div.querySelectorAll('dt, dd')));
}

/** The lines an info row must show for `info`: the protocol only when known. */
function expectedInfo(info: SessionInfo, lang: 'de' | 'en'): string[][] {
  const t = LABELS[lang];
  return [
    [t.commonName, info.commonName],
    [t.username, info.username],
    [t.realPort, info.port],
    ...(info.protocol === null ? [] : [[t.protocol, info.protocol]]),
    [t.clientId, info.clientId],
    [t.peerId, info.peerId],
    [t.cipher, info.cipher],
    [t.instance, info.instance],
  ];
}

function includes(list: readonly (string | null)[], item: string): void {
  assert.ok(list.includes(item), `${JSON.stringify(item)} not in ${JSON.stringify(list)}`);
}

function excludes(list: readonly (string | null)[], item: string): void {
  assert.ok(!list.includes(item), `${JSON.stringify(item)} in ${JSON.stringify(list)}`);
}

interface CardLabel {
  lang: string;
  /** The cell it labels, e.g. `table.cards td.c-pub`. */
  selector: string;
  text: string;
}

/** The column labels of the phone cards: `:lang(de) table.cards td.c-pub::before { content: "…"; }` rules of style.css. */
async function cardLabels(): Promise<CardLabel[]> {
  const css = await readFile(new URL('assets/style.css', `file://${SITE_DIR}`), 'utf8');
  const phone = css.slice(css.lastIndexOf('@media (max-width: 40rem)'));
  const rules = [
    ...phone.matchAll(/:lang\((\w+)\) (table\.cards td\.c-[\w-]+)::before \{ content: "([^"\\]*)"; \}/g),
  ].map((m) => ({ lang: m[1] as string, selector: m[2] as string, text: m[3] as string }));
  assert.ok(rules.length > 0, 'the phone block of style.css has card labels');
  return rules;
}

/** Every rendered page of both languages plus the empty dashboard, as [name, html]. */
function everyPage(): [string, string][] {
  return [
    ...[...de].map(([u, h]): [string, string] => [`de ${u}`, h]),
    ...[...en].map(([u, h]): [string, string] => [`en ${u}`, h]),
    ['empty /', page(empty, '/')],
  ];
}

describe('renderPages', () => {
  test('renders every page at its url, in the order given', () => {
    const urls = allPages().map((p) => p.url);
    assert.deepEqual([...de.keys()], urls);
    for (const [url, html] of de) {
      assert.match(html, /^<!doctype html>\n<html lang="de">/, url);
      assert.match(html, /<\/html>\s*$/, url);
    }
    assert.equal(outputPathFor('/'), 'index.html');
    assert.equal(outputPathFor('/d/2026-11-25/p2/'), 'd/2026-11-25/p2/index.html');
  });

  test('each page shows its own heading and title', () => {
    const d = doc(page(de, '/d/2026-11-25/'));
    assert.equal(d.title, 'Verbindungs-History — 2026-11-25 – OpenVPN Web Status');
    assert.equal(d.querySelector('main h2')?.textContent, 'Verbindungs-History — 2026-11-25');
    assert.equal(doc(page(de, '/')).title, 'OpenVPN Web Status');
    assert.equal(doc(page(de, '/archive/')).querySelector('main h2')?.textContent, 'Archiv (alle Tage)');
  });

  test('rejects page urls that are not plain "/…/" paths, and duplicates', async () => {
    const site = siteModel();
    for (const url of [
      '',
      'd/',
      '/d',
      '/../etc/',
      '/d/./',
      '/a b/',
      '/a//b/',
      '/x/"y/',
      '/.hidden/',
      '/u/%2E%2E/',
      '/u/a%2Fb/',
    ]) {
      await assert.rejects(renderPages(site, [{ ...archivePage(), url }]), /not a "\/…\/" path/, url);
    }
    await assert.rejects(renderPages(site, [archivePage(), archivePage()]), /two pages have the url/);
  });

  test('concurrent renders give the same pages as one after another', async () => {
    const [a, b] = await Promise.all([
      renderPages(siteModel('en'), allPages()),
      renderPages(siteModel('de'), allPages()),
    ]);
    assert.deepEqual([...a], [...en]);
    assert.deepEqual([...b], [...de]);
  });

  test('reads nothing from the working directory: no config, package.json or ignore file there counts', async (t) => {
    // A copy of the package (its src and site) inside a folder with hostile files, run from there.
    const cwd = await tempDir(t, 'osw-render-cwd-');
    const pkg = join(cwd, 'pkg');
    await mkdir(pkg);
    await cp(join(SITE_DIR, '..', 'src'), join(pkg, 'src'), { recursive: true });
    await cp(SITE_DIR, join(pkg, 'site'), { recursive: true });
    await cp(join(SITE_DIR, '..', 'package.json'), join(pkg, 'package.json'));
    await symlink(join(SITE_DIR, '..', 'node_modules'), join(pkg, 'node_modules'));
    await writeFile(join(cwd, 'package.json'), '{ "type": "module", broken');
    for (const name of ['eleventy.config.js', '.eleventy.js', 'eleventy.config.mjs']) {
      await writeFile(join(cwd, name), 'throw new Error("a config file in the cwd was loaded");');
    }
    await writeFile(join(cwd, '.gitignore'), 'pkg\n*.njk\n');
    await writeFile(join(cwd, '.eleventyignore'), 'pkg/site\npkg/site/pages.njk\npkg/site/_includes\n');
    const script = [
      `const { renderPages } = await import(${JSON.stringify(pathToFileURL(join(pkg, 'src/render/eleventy.ts')).href)});`,
      `const site = { title: 'T', lang: 'de', generated: 'x', assetVersion: '1', t: { noHistory: 'leer' } };`,
      `const pages = [{ kind: 'archive', url: '/archive/', root: '../', heading: 'A', prev: null, next: null, position: null, days: [] }];`,
      `const out = await renderPages(site, pages);`,
      `process.stdout.write(JSON.stringify([...out.keys(), out.get('/archive/').includes('leer')]));`,
    ].join('\n');
    // A file inside pkg/ (not `-e`): tsx would trip over the cwd's broken package.json itself.
    await writeFile(join(pkg, 'run.mjs'), script);
    const child = spawnSync(process.execPath, ['--import', import.meta.resolve('tsx'), join('pkg', 'run.mjs')], {
      cwd,
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(child.status, 0, child.stderr);
    assert.deepEqual(JSON.parse(child.stdout), ['/archive/', true]);
  });

  test('renders nothing for no pages', async () => {
    assert.equal((await renderPages(siteModel(), [])).size, 0);
  });

  test('rendering the same pages again gives the same HTML (one Eleventy, reused)', async (t) => {
    const five = allPages().slice(0, 5);
    const times: number[] = [];
    let first: Map<string, string> | null = null;
    for (let i = 0; i < 3; i++) {
      const start = performance.now();
      const out = await renderPages(siteModel(), five);
      times.push(performance.now() - start);
      assert.equal(out.size, 5);
      if (first === null) first = out;
      else assert.deepEqual([...out], [...first], `run ${i}: the same HTML`);
    }
    // Timing is for the bench; here only a note.
    t.diagnostic(`5 pages: ${times.map((ms) => ms.toFixed(1)).join(', ')} ms`);
  });
});

describe('labels', () => {
  test("German labels by default, the predecessor's wording", () => {
    const html = page(de, '/');
    for (const label of [
      'Automatisch neu laden',
      'Intervall',
      'Aktive Verbindungen (LIVE)',
      'Verbindungs-History <small>(gruppiert: User+Tag, mit Aufklappen)</small>',
      'Download Excel',
      'Öffentliche IP',
      'Verbunden seit',
      'Tunnel IP',
      'läuft…',
      '(kein Filter)',
      'Hell/Dunkel umschalten',
      'Stand: 2026-11-26 16:14:55 (Europe/Berlin)',
      '(Fortsetzung)',
    ]) {
      assert.ok(html.includes(label), label);
    }
  });

  test('English through the same keys', () => {
    const html = page(en, '/');
    assert.match(html, /<html lang="en">/);
    for (const label of [
      'Reload automatically',
      'Active connections (LIVE)',
      'Connection history',
      'Public IP',
      'running…',
      '(continued)',
    ]) {
      assert.ok(html.includes(label), label);
    }
    for (const german of ['Automatisch neu laden', 'Aktive Verbindungen', 'Öffentliche IP', 'läuft…']) {
      assert.ok(!html.includes(german), german);
    }
    assert.ok(page(en, '/d/2026-11-25/p2/').includes('No history yet.'), 'English empty history');
  });
});

describe('empty states', () => {
  test('the empty dashboard says so in both tables, with a cell spanning every column', () => {
    const d = doc(page(empty, '/'));
    const live = d.querySelector('table.live') as HTMLTableElement;
    const history = d.querySelector('table.history') as HTMLTableElement;
    assert.equal(live.querySelector('td.empty')?.textContent, 'Keine aktiven Verbindungen');
    assert.equal(history.querySelector('td.empty')?.textContent, 'Noch keine History-Daten.');
    for (const table of [live, history]) {
      const cols = table.querySelectorAll('thead th').length;
      assert.equal((table.querySelector('td.empty') as HTMLTableCellElement).colSpan, cols);
    }
    assert.equal(d.querySelectorAll('tbody.group').length, 0);
  });

  test('an empty live page, history part and archive say so too', () => {
    assert.equal(doc(page(de, '/live/p2/')).querySelector('td.empty')?.textContent, 'Keine aktiven Verbindungen');
    assert.equal(
      doc(page(de, '/d/2026-11-25/p2/')).querySelector('td.empty')?.textContent,
      'Noch keine History-Daten.',
    );
    assert.equal(doc(page(de, '/archive/empty/')).querySelector('p.empty')?.textContent, 'Noch keine History-Daten.');
  });
});

describe('escaping and Content-Security-Policy', () => {
  test('hostile names come out as text, in content and in attributes', () => {
    for (const [name, html] of everyPage()) {
      assert.ok(!html.includes('<script>alert'), name);
      assert.ok(!html.includes(AMP_ALIAS), `${name}: raw a&b`);
      assert.ok(!/="[^"]*O'Brien/.test(html), `${name}: raw quote in an attribute`);
    }
    const html = page(de, '/');
    assert.ok(html.includes('&lt;script&gt;alert(1)&lt;/script&gt;'), 'escaped <script>');
    assert.ok(html.includes('O&#39;Brien &quot;x&quot;'), 'escaped quotes');
    assert.ok(html.includes('a&amp;b'), 'escaped &');
    assert.ok(html.includes('value="O&#39;Brien &quot;x&quot;"'), 'escaped attribute');

    // …and a browser reads back exactly the original strings.
    const d = doc(html);
    includes(texts(d.querySelectorAll('table.live tbody th a')), EVIL_CN);
    includes(texts(d.querySelectorAll('table.live tbody th .alias-line')), AMP_ALIAS);
    const values = [...d.querySelectorAll('select[data-nav] option')].map((o) => o.getAttribute('value'));
    includes(values, QUOTE_CN);
    includes(values, EVIL_CN);

    const u = doc(page(de, '/u/script-alert-1-script~5d41402a/'));
    assert.equal(u.querySelector('main h2')?.textContent, `${EVIL_CN} (${AMP_ALIAS})`);
    assert.equal(u.title, `Verbindungs-History — ${EVIL_CN} (${AMP_ALIAS}) – OpenVPN Web Status`);
    assert.equal(u.querySelector('.summary dd')?.textContent, QUOTE_CN);
  });

  test('no inline script, no on*= handler, no style= attribute on any page', () => {
    for (const [name, html] of everyPage()) {
      for (const m of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)) {
        assert.match(m[1] as string, /\ssrc="/, `${name}: script without src`);
        assert.equal(m[2], '', `${name}: script with a body`);
      }
      assert.ok(!/\son[a-z]+\s*=/i.test(html), `${name}: on*= attribute`);
      assert.ok(!/\sstyle\s*=/i.test(html), `${name}: style= attribute`);
      assert.ok(!/<style\b/i.test(html), `${name}: <style> element`);
      for (const el of doc(html).querySelectorAll('*')) {
        for (const attr of el.getAttributeNames()) {
          assert.ok(!attr.startsWith('on') && attr !== 'style', `${name}: <${el.tagName} ${attr}>`);
        }
      }
    }
  });

  test('scripts and stylesheets are same-origin files under assets/, relative to the page', async () => {
    const assets = new Set((await siteAssets()).map((a) => `/${a.path}`));
    for (const [url, html] of de) {
      const d = doc(html);
      const refs = [
        ...[...d.querySelectorAll('script')].map((s) => s.getAttribute('src') ?? ''),
        ...[...d.querySelectorAll('link[rel=stylesheet]')].map((l) => l.getAttribute('href') ?? ''),
      ];
      // The lookup page alone loads its own script too.
      assert.equal(refs.length, url === '/lookup/' ? 3 : 2, url);
      for (const ref of refs) {
        assert.match(ref, /^(\.\.\/)*assets\/[a-z]+\.(js|css)\?v=0\.1\.0$/, `${url}: ${ref}`);
        const resolved = new URL(ref, `https://vpn.example${url}`);
        assert.equal(resolved.origin, 'https://vpn.example');
        assert.ok(assets.has(resolved.pathname), `${url}: ${resolved.pathname} is no asset`);
      }
    }
  });

  test('the chart SVG is included as markup, unescaped, and only on the dashboard', () => {
    const html = page(de, '/');
    assert.ok(html.includes(CHART_SVG), 'chart svg as is');
    assert.ok(!html.includes('&lt;svg'), 'escaped svg');
    assert.equal(doc(html).querySelectorAll('.chart-panel svg.chart path.chart-line').length, 1);
    assert.equal(doc(page(de, '/d/2026-11-25/')).querySelector('svg.chart'), null, 'no chart on a day page');
  });
});

describe('live table', () => {
  test('the instance column appears only with showInstance', () => {
    const withInstance = doc(page(de, '/')).querySelector('table.live') as HTMLTableElement;
    const without = doc(page(de, '/live/')).querySelector('table.live') as HTMLTableElement;
    includes(texts(withInstance.querySelectorAll('thead th')), 'Instanz');
    excludes(texts(without.querySelectorAll('thead th')), 'Instanz');
    includes(texts(withInstance.querySelectorAll('tbody td')), 'tcp-backup');
    excludes(texts(without.querySelectorAll('tbody td')), 'udp-main');
    for (const table of [withInstance, without]) {
      const cols = table.querySelectorAll('thead th').length;
      for (const row of table.querySelectorAll('tbody tr:not(.info-row)')) assert.equal(row.children.length, cols);
      for (const cell of table.querySelectorAll<HTMLTableCellElement>('tr.info-row > td'))
        assert.equal(cell.colSpan, cols);
    }
    assert.equal(withInstance.querySelectorAll('thead th').length, without.querySelectorAll('thead th').length + 1);
  });

  test('each row: green dot with text, user link, addresses, and an info control with every detail', () => {
    const model = dashboardPage();
    const rows = doc(page(de, '/')).querySelectorAll('table.live tbody tr:not(.info-row)');
    assert.equal(rows.length, model.live.length);
    rows.forEach((tr, i) => {
      const live = model.live[i]!;
      assert.equal(tr.querySelector('.dot.dot-active .vh')?.textContent, 'aktiv');
      assert.equal(tr.querySelector('th[scope=row] a')?.getAttribute('href'), live.userHref);
      includes(
        texts(tr.querySelectorAll('td')),
        live.country ? `${live.realAddress} ${live.country.code}` : live.realAddress,
      );
      const info = tr.querySelector('td.c-info details.info') as HTMLDetailsElement;
      assert.equal(info.open, false);
      assert.equal(info.querySelector('summary .vh')?.textContent, `Info: ${live.user} ${live.connectedSince}`);
      // What it opens: the row right below, with every detail.
      const infoRow = tr.nextElementSibling as HTMLTableRowElement;
      assert.ok(infoRow.classList.contains('info-row'), 'info row follows');
      assert.deepEqual(infoPairs(infoRow), expectedInfo(live.info, 'de'));
    });
  });

  test('a cut live table links to the full list', () => {
    const link = doc(page(de, '/')).querySelector('.live-section .more-link a');
    assert.equal(link?.getAttribute('href'), 'live/');
    assert.equal(link?.textContent, 'Alle aktiven Verbindungen');
    assert.equal(doc(page(empty, '/')).querySelector('.live-section .more-link'), null);
  });
});

describe('history table', () => {
  test('fits a 1,366 px window: no Tag column (the date is in Start), user and alias in one cell, an end on its start day shows its time only', () => {
    const table = doc(page(de, '/d/2026-11-25/')).querySelector('table.history') as HTMLTableElement;
    const head = texts(table.querySelectorAll('thead th'));
    excludes(head, 'Tag');
    excludes(head, 'Alias');
    includes(head, 'User Alias');
    let sameDay = 0;
    for (const tr of table.querySelectorAll('tbody tr:not(.info-row)')) {
      if (!tr.querySelector('td[data-session-id]')) continue;
      const start = tr.querySelector('td.c-start') as Element;
      assert.match(start.querySelector('.d')?.textContent ?? '', /^\d{4}-\d\d-\d\d$/, 'the start day');
      assert.match(start.querySelector('.t')?.textContent ?? '', /^\d\d:\d\d:\d\d$/, 'the start time');
      const end = tr.querySelector('td.c-end') as Element;
      const endDay = end.querySelector('.d');
      if (endDay === null) continue; // still running
      const same = endDay.textContent === start.querySelector('.d')?.textContent;
      assert.equal(
        endDay.classList.contains('same-day'),
        same,
        `${end.textContent}: the end day hidden only on the start day`,
      );
      if (same) sameDay++;
    }
    assert.ok(sameDay > 0, 'some ends on their start day');
  });

  test('every data cell of the tables that turn into cards on a phone names its column: one stylesheet label, per language', async () => {
    const rules = await cardLabels();
    const used = new Set<CardLabel>();
    const pages: [string, string][] = [
      ['/', 'table.live'],
      ['/', 'table.history'],
      ['/d/2026-11-25/', 'table.history'],
      ['/archive/', 'table.archive'],
      ['/u/alice/', 'table.totals'],
    ];
    for (const [lang, map] of [
      ['de', de],
      ['en', en],
    ] as const) {
      for (const [url, sel] of pages) {
        const where = `${lang} ${url} ${sel}`;
        const table = doc(page(map, url)).querySelector(sel) as HTMLTableElement;
        assert.ok(table.classList.contains('cards'), `${where}: class cards`);
        assert.equal(table.closest('html')?.getAttribute('lang'), lang, `${where}: the page's language`);
        const head = [...table.querySelectorAll('thead th')].map((th) => th.textContent?.trim() ?? '');
        for (const tr of table.querySelectorAll('tbody tr:not(.info-row)')) {
          [...tr.children].forEach((cell, i) => {
            // The labels live in the stylesheet: an attribute on every cell made the day pages too big.
            assert.equal(cell.getAttribute('data-label'), null, `${where}: column ${i} has a data-label`);
            const labels = rules.filter((r) => r.lang === lang && cell.matches(r.selector));
            if (cell.tagName === 'TH' || /\bc-(more|status|info)\b|\bempty\b/.test(cell.className)) {
              assert.deepEqual(labels, [], `${where}: column ${i} (${cell.className}) is a control, not labelled`);
              return;
            }
            assert.equal(labels.length, 1, `${where}: column ${i} (${cell.className}) has one label`);
            assert.equal(labels[0]?.text, head[i], `${where}: column ${i} (${cell.className})`);
            used.add(labels[0] as CardLabel);
          });
        }
      }
    }
    assert.deepEqual(
      rules.filter((r) => !used.has(r)).map((r) => `${r.lang} ${r.selector}`),
      [],
      'every label of the stylesheet labels a column',
    );
  });

  test("the stylesheet's card labels are the UI's texts (LABELS), each column in every language", async () => {
    const rules = await cardLabels();
    const langs = Object.keys(LABELS) as (keyof typeof LABELS)[];
    assert.deepEqual([...new Set(rules.map((r) => r.lang))].sort(), [...langs].sort());
    const columns = (lang: string) =>
      rules
        .filter((r) => r.lang === lang)
        .map((r) => r.selector)
        .sort();
    for (const lang of langs) {
      assert.deepEqual(columns(lang), columns('de'), `${lang}: the same columns as de`);
      const texts = Object.values(LABELS[lang]).flatMap((v) => [v, v.charAt(0).toUpperCase() + v.slice(1)]);
      for (const r of rules.filter((x) => x.lang === lang))
        assert.ok(texts.includes(r.text), `${lang} ${r.selector}: "${r.text}" is not a text of LABELS.${lang}`);
    }
  });

  test('the stylesheet lays the card tables out as cards below 40rem, each labelled column under its name', async () => {
    const css = await readFile(new URL('assets/style.css', `file://${SITE_DIR}`), 'utf8');
    const phone = css.slice(css.lastIndexOf('@media (max-width: 40rem)'));
    assert.match(phone, /table\.cards tr \{ display: flex; flex-wrap: wrap;/);
    const labelled = /table\.cards td:is\(([^)]*)\) \{ flex: 1 1 40%;/.exec(phone)?.[1] ?? '';
    const columns = [...new Set((await cardLabels()).map((r) => `.${r.selector.split('.').at(-1)}`))];
    assert.deepEqual(labelled.split(/,\s*/).sort(), columns.sort(), 'every labelled column is laid out as one');
    assert.doesNotMatch(css, /white-space: nowrap; border-bottom/, 'cells may wrap');
  });

  test('a group with others has an expand control in its head row and those rows in its tbody', () => {
    const d = doc(page(de, '/d/2026-11-25/'));
    const groups = d.querySelectorAll('tbody.group');
    assert.equal(groups.length, 3);
    const [alice, obrien, evil] = [...groups] as HTMLTableSectionElement[] as [
      HTMLTableSectionElement,
      HTMLTableSectionElement,
      HTMLTableSectionElement,
    ];

    const more = alice.querySelector('tr.head details.more') as HTMLDetailsElement;
    assert.ok(more, 'expand control');
    assert.equal(more.open, false);
    assert.equal(more.querySelector('summary .vh')?.textContent, '2 weitere Sitzungen an diesem Tag');
    assert.equal(more.querySelector('summary')?.getAttribute('title'), '2 weitere Sitzungen an diesem Tag');
    // One other session: counted in the singular, in both languages.
    assert.equal(evil.querySelector('details.more summary .vh')?.textContent, '1 weitere Sitzung an diesem Tag');
    const enGroups = doc(page(en, '/d/2026-11-25/')).querySelectorAll('tbody.group details.more summary .vh');
    assert.deepEqual(texts(enGroups), ['2 more sessions that day', '1 more session that day']);
    const subs = alice.querySelectorAll('tr.sub:not(.info-row)');
    assert.deepEqual(
      [...subs].map((tr) => tr.querySelector('td.c-start')?.textContent),
      ['2026-11-25 12:00:00', '2026-11-25 07:00:00'],
    );
    includes(texts(subs[1]!.querySelectorAll('td')), 'Server gestoppt');

    // Each session row is followed by its info row; a sub row's info row is a sub row too.
    assert.deepEqual(
      [...alice.rows].map((tr) => tr.className),
      ['head active', 'info-row', 'sub ended', 'info-row sub', 'sub ended', 'info-row sub'],
    );
    assert.equal(obrien.querySelector('details.more'), null);
    assert.deepEqual(
      [...(obrien as HTMLTableSectionElement).rows].map((tr) => tr.className),
      ['head ended', 'info-row'],
    );
    assert.equal(evil.querySelectorAll('tr.sub:not(.info-row)').length, 1);
  });

  test("each session's info row shows its info, with the live table's lines (the protocol only when known)", () => {
    const model = historyPage();
    const rows = model.groups.flatMap((g) => [g.head, ...g.others]);
    assert.ok(
      rows.some((r) => r.info.protocol === null) && rows.some((r) => r.info.protocol !== null),
      'both kinds of row',
    );
    const infoRows = doc(page(de, '/d/2026-11-25/')).querySelectorAll('table.history tr.info-row');
    assert.equal(infoRows.length, rows.length);
    rows.forEach((r, i) => {
      assert.deepEqual(infoPairs(infoRows[i]!), expectedInfo(r.info, 'de'), r.id);
    });
  });

  test('the tunnel column: both addresses, or "–" when neither is known', () => {
    const heads = doc(page(de, '/d/2026-11-25/')).querySelectorAll('table.history tr.head');
    const tunnel = (tr: Element) => tr.querySelector('td.c-tun') as Element;
    assert.deepEqual(texts(tunnel(heads[0]!).querySelectorAll('span.addr')), ['10.8.0.2', 'fd00::2']);
    assert.equal(tunnel(heads[0]!).querySelector('span.none'), null);
    assert.equal(tunnel(heads[2]!).querySelectorAll('span.addr').length, 0);
    assert.equal(tunnel(heads[2]!).querySelector('span.none')?.textContent, '–');
  });

  test('without JavaScript closed groups and info rows are hidden by CSS', async () => {
    const css = await readFile(new URL('assets/style.css', `file://${SITE_DIR}`), 'utf8');
    assert.ok(
      css.includes('tbody.group:has(> tr.head details.more:not([open])) > tr.sub { display: none; }'),
      'group rule',
    );
    assert.ok(css.includes('tr:has(details.info:not([open])) + tr.info-row { display: none; }'), 'info rule');
  });

  test('rows show status dots with text, "läuft…" while open, and every column', () => {
    const table = doc(page(de, '/d/2026-11-25/')).querySelector('table.history') as HTMLTableElement;
    const head = texts(table.querySelectorAll('thead th'));
    for (const col of [
      'User Alias',
      'Öffentliche IP',
      'Tunnel IP',
      'Start',
      'Ende',
      'Dauer',
      'Empfangen',
      'Gesendet',
      'Status',
      'Endegrund',
      'Info',
    ]) {
      assert.ok(head.includes(col), col);
    }
    for (const tr of table.querySelectorAll('tbody tr:not(.info-row)')) assert.equal(tr.children.length, head.length);
    for (const td of table.querySelectorAll<HTMLTableCellElement>('tr.info-row > td'))
      assert.equal(td.colSpan, head.length);
    const active = table.querySelector('tr.head.active') as Element;
    assert.equal(active.querySelector('.dot-active .vh')?.textContent, 'aktiv');
    assert.equal(active.querySelector('.running')?.textContent, 'läuft…');
    assert.deepEqual(texts(active.querySelectorAll('.addr')), ['10.8.0.2', 'fd00::2']);
    const ended = table.querySelector('tr.ended') as Element;
    assert.equal(ended.querySelector('.dot-ended .vh')?.textContent, 'beendet');
    assert.equal(ended.querySelector('.running'), null);
  });

  test('a continued group is marked', () => {
    const heads = doc(page(de, '/')).querySelectorAll('tbody.group tr.head');
    assert.deepEqual(
      [...heads].map((tr) => tr.querySelector('.continued')?.textContent ?? null),
      [null, null, '(Fortsetzung)'],
    );
  });

  test('prev/next links and the position', () => {
    const first = doc(page(de, '/d/2026-11-25/'));
    assert.equal(first.querySelector('.pager a[rel=next]')?.getAttribute('href'), 'p2/');
    assert.match(first.querySelector('.pager a[rel=next]')?.textContent ?? '', /^Ältere Einträge/);
    assert.equal(first.querySelector('.pager a[rel=prev]'), null);
    assert.equal(first.querySelector('.position')?.textContent, '2026-11-25 (Teil 1 von 2)');

    const last = doc(page(de, '/d/2026-11-25/p2/'));
    assert.equal(last.querySelector('.pager a[rel=prev]')?.getAttribute('href'), '../');
    assert.match(last.querySelector('.pager a[rel=prev]')?.textContent ?? '', /Neuere Einträge$/);
    assert.equal(last.querySelector('.pager a[rel=next]'), null);

    assert.equal(doc(page(de, '/archive/')).querySelector('.pager'), null);
    assert.equal(doc(page(de, '/live/')).querySelector('.pager a[rel=next]')?.getAttribute('href'), 'p2/');
  });
});

describe('downloads and filter', () => {
  test('download buttons for the files that exist, none when both are null', () => {
    const dash = doc(page(de, '/'));
    assert.deepEqual(
      [...dash.querySelectorAll('.downloads a')].map((a) => [a.getAttribute('href'), a.hasAttribute('download')]),
      [
        ['downloads/history-all.xlsx', true],
        ['downloads/history-all.csv', true],
      ],
    );
    const hist = doc(page(de, '/d/2026-11-25/'));
    assert.deepEqual(texts(hist.querySelectorAll('.downloads a')), ['Download Excel']);
    for (const html of [
      page(empty, '/'),
      page(de, '/d/2026-11-25/p2/'),
      page(de, '/u/script-alert-1-script~5d41402a/'),
    ]) {
      assert.equal(doc(html).querySelector('.downloads'), null);
      assert.ok(!html.includes('Download Excel') && !html.includes('Download CSV'), 'no download labels');
    }
  });

  test('a whole-history view too large for a sheet: a workbook link per year, said so, and the CSV', async () => {
    const years = [
      { href: 'exports/openvpn-history_all_all_2026.xlsx', label: '2026 (12 ältere Zeilen nur in der CSV)' },
      { href: 'exports/openvpn-history_all_all_2025.xlsx', label: '2025' },
    ];
    const model = { ...dashboardPage(), downloads: { xlsx: null, csv: 'exports/openvpn-history_all_all.csv', years } };
    const html = (await renderPagesDirect(siteModel('de'), [model])).get('/') ?? '';
    const d = doc(html);
    assert.deepEqual(
      [...d.querySelectorAll('.downloads a')].map((a) => [a.getAttribute('href'), a.textContent?.trim()]),
      [['exports/openvpn-history_all_all.csv', 'Download CSV'], ...years.map((y) => [y.href, y.label])],
    );
    assert.match(d.querySelector('.downloads .years')?.textContent ?? '', /Excel je Jahr/);
  });

  test('the filter: selects for JS, the same choices as links without it', () => {
    const d = doc(page(de, '/u/alice/'));
    const form = d.querySelector('form.filter') as HTMLFormElement;
    assert.ok(form.hidden && form.classList.contains('needs-js'), 'form shown by JS only');
    const [users, statuses] = [...form.querySelectorAll('select[data-nav]')] as [HTMLSelectElement, HTMLSelectElement];
    assert.equal(users.closest('label')?.firstChild?.textContent?.trim(), 'Benutzer');
    assert.equal(statuses.closest('label')?.firstChild?.textContent?.trim(), 'Status');
    assert.equal(users.options[0]?.textContent, '(kein Filter)');
    assert.equal(users.value, 'alice');
    assert.deepEqual(texts(statuses.options), ['alle', 'nur aktiv', 'nur beendet']);

    const links = d.querySelector('details.filter-links.no-js') as HTMLDetailsElement;
    const optionHrefs = [...form.querySelectorAll('option')].map((o) => o.getAttribute('data-href'));
    const linkHrefs = [...links.querySelectorAll('a')].map((a) => a.getAttribute('href'));
    assert.deepEqual(linkHrefs, optionHrefs);
    assert.deepEqual(texts(links.querySelectorAll('a[aria-current=page]')), ['alice (Alice A.)', 'alle']);
    assert.match(links.querySelector('summary')?.textContent ?? '', /Filtern:\s+alice \(Alice A\.\),\s+alle/);

    assert.equal(doc(page(de, '/d/2026-11-25/p2/')).querySelector('.filter, .filter-links'), null);
  });
});

describe('page kinds', () => {
  test('dashboard: reload bar, chart, live, history with archive link', () => {
    const d = doc(page(de, '/'));
    const bar = d.querySelector('.reload-bar.needs-js') as HTMLElement;
    assert.equal(bar.hidden, true);
    const box = bar.querySelector('input[type=checkbox]') as HTMLInputElement;
    assert.equal(box.closest('label')?.textContent?.trim(), 'Automatisch neu laden');
    const interval = bar.querySelector('select') as HTMLSelectElement;
    assert.deepEqual(
      [...interval.options].map((o) => o.value),
      ['5', '10', '30', '60', '120'],
    );
    assert.deepEqual(texts(interval.options), ['5 s', '10 s', '30 s', '1 min', '2 min']);
    assert.equal(interval.value, '10');
    const sections = [...d.querySelectorAll('main > section, main > div')].map((s) => s.className);
    assert.deepEqual(sections, ['reload-bar needs-js', 'panel chart-panel', 'live-section', 'history-section']);
    assert.equal(d.querySelector('.history-section > .more-link a')?.getAttribute('href'), 'archive/');
  });

  test('history: heading, filter, periods, groups', () => {
    const d = doc(page(de, '/d/2026-11-25/'));
    const model = historyPage();
    assert.deepEqual(
      [...d.querySelectorAll('nav.periods a')].map((a) => [a.getAttribute('href'), a.textContent]),
      model.periods.map((l) => [l.href, l.label]),
    );
    assert.ok(d.querySelector('form.filter'), 'filter form');
    assert.ok(d.querySelector('.reload-bar[data-reload]'), 'a filtered view reloads itself too, keeping its URL');
    assert.equal(doc(page(de, '/d/2026-11-25/p2/')).querySelector('nav.periods'), null);
  });

  test('user: heading with alias, summary, per-day totals, groups, periods, downloads', () => {
    const d = doc(page(de, '/u/alice/'));
    const model = userPage();
    assert.equal(d.querySelector('main h2')?.textContent, 'alice (Alice A.)');
    assert.deepEqual(
      texts(d.querySelectorAll('.summary dt')),
      model.summary.map((s) => s.label),
    );
    assert.deepEqual(
      texts(d.querySelectorAll('.summary dd')),
      model.summary.map((s) => s.value),
    );
    const rows = [...d.querySelectorAll('table.totals tbody tr')].map((tr) => texts(tr.children));
    assert.deepEqual(
      rows,
      model.totals.map((t) => [t.day, String(t.sessions), t.duration, t.bytesIn, t.bytesOut]),
    );
    assert.equal(d.querySelectorAll('tbody.group').length, 1);
    assert.equal(d.querySelector('nav.periods a')?.getAttribute('href'), '../../u/alice/m/2026-11/');
    assert.equal(d.querySelectorAll('.downloads a').length, 2);
    assert.equal(d.querySelector('.top h1 a')?.getAttribute('href'), '../../');
  });

  test('user: the sessions come first; the per-day totals follow, folded in a closed <details>', () => {
    const d = doc(page(de, '/u/alice/'));
    const history = d.querySelector('table.history') as Element;
    const totals = d.querySelector('table.totals') as Element;
    assert.ok(history && totals, 'both tables');
    assert.ok(
      history.compareDocumentPosition(totals) & 4 /* DOCUMENT_POSITION_FOLLOWING */,
      'the per-day table comes after the sessions',
    );
    const fold = totals.closest('details');
    assert.ok(fold, 'the per-day table is in a <details>');
    assert.equal(fold.open, false, 'closed');
    assert.equal(
      (fold.querySelector('summary')?.textContent ?? '').replace(/\s+/g, ' ').trim(),
      `${LABELS.de.perDay} (${userPage().totals.length})`,
      'its summary names it and counts the days',
    );
  });

  test('live: the table with pagination', () => {
    const d = doc(page(de, '/live/'));
    assert.equal(d.querySelectorAll('table.live tbody tr:not(.info-row)').length, livePage().live.length);
    assert.equal(d.querySelector('.position')?.textContent, 'Teil 1 von 2');
    assert.equal(d.querySelector('table.history'), null);
  });

  test('archive: days with session and user counts and their Excel and CSV files', () => {
    const d = doc(page(de, '/archive/'));
    const rows = [...d.querySelectorAll('table.archive tbody tr')];
    assert.deepEqual(
      rows.map((tr) => [
        tr.querySelector('a')?.getAttribute('href'),
        ...texts(tr.children),
        ...[...tr.querySelectorAll('a[download]')].map((a) => a.getAttribute('href')),
      ]),
      archivePage().days.map((x) => [
        x.link.href,
        x.link.label,
        String(x.sessions),
        String(x.users),
        `${x.xlsxName} CSV`,
        x.xlsx,
        x.csv,
      ]),
    );
    assert.deepEqual(texts(d.querySelectorAll('table.archive thead th')), ['Tag', 'Sitzungen', 'Benutzer', 'Datei']);
  });

  test("archive and user page: the monthly reports' files, a month each", () => {
    const archive = doc(page(de, '/archive/'));
    assert.equal(archive.querySelector('#reports-heading')?.textContent, LABELS.de.reports);
    assert.deepEqual(
      [...archive.querySelectorAll('table.reports tbody tr')].map((tr) => [
        ...texts(tr.children),
        ...[...tr.querySelectorAll('a[download]')].map((a) => a.getAttribute('href')),
      ]),
      archivePage().reports.map((r) => [r.month, `${r.xlsxName} CSV`, r.xlsx, r.csv]),
    );
    const user = doc(page(de, '/u/alice/'));
    assert.deepEqual(
      [...user.querySelectorAll('nav.reports a[download]')].map((a) => [a.textContent, a.getAttribute('href')]),
      userPage().reports.map((r) => [r.month, r.xlsx]),
    );
  });
});

describe('the trash page', () => {
  test('a shell: headed table without rows, the texts app.js needs, a note for use without JS', () => {
    for (const [lang, map] of [
      ['de', de],
      ['en', en],
    ] as const) {
      const t = LABELS[lang];
      const d = doc(page(map, '/trash/'));
      const box = d.querySelector('[data-trash]') as HTMLElement;
      assert.ok(box, lang);
      assert.equal(d.querySelector('main h2')?.textContent, 'Papierkorb');
      assert.deepEqual(texts(d.querySelectorAll('table.trash-list thead th')), [
        t.selectAllEntries,
        t.user,
        t.commonName,
        t.publicIp,
        t.start,
        t.end,
        t.deletedAt,
        t.deletedBy,
        t.actions,
      ]);
      assert.equal(d.querySelectorAll('[data-trash-rows] tr').length, 0, 'no entry is in the built page');
      assert.equal(box.dataset.timeZone, 'Europe/Berlin');
      assert.equal(box.dataset.limit, '100');
      assert.equal(box.dataset.restore, t.restore);
      assert.equal(box.dataset.countOne, t.trashCountOne);
      assert.equal(box.dataset.unavailable, t.trashUnavailable);
      for (const sel of ['[data-trash-list]', '[data-trash-bar]', '[data-trash-status]'])
        assert.equal((d.querySelector(sel) as HTMLElement).hidden, true, `${sel} waits for app.js`);
      assert.equal(d.querySelector('.trash-note.no-js')?.textContent, t.trashNeedsJs);
    }
  });

  test('the delete bar of a history table links to it', () => {
    const d = doc(page(de, '/d/2026-11-25/'));
    const link = d.querySelector('[data-delete-bar][hidden] a.trash-link');
    assert.equal(link?.getAttribute('href'), '../../trash/');
    assert.equal(link?.textContent, 'Papierkorb');
  });
});

describe('markup', () => {
  test('elements are balanced, headers scoped, buttons typed, selects labelled', () => {
    const tags = [
      'table',
      'thead',
      'tbody',
      'tr',
      'details',
      'summary',
      'section',
      'nav',
      'dl',
      'form',
      'select',
      'label',
      'p',
      'a',
    ];
    for (const [name, html] of everyPage()) {
      for (const tag of tags) {
        const open = html.match(new RegExp(`<${tag}[\\s>]`, 'g'))?.length ?? 0;
        const close = html.match(new RegExp(`</${tag}>`, 'g'))?.length ?? 0;
        assert.equal(open, close, `${name}: <${tag}> ${open} vs </${tag}> ${close}`);
      }
      const d = doc(html);
      for (const th of d.querySelectorAll('th')) {
        assert.equal(th.getAttribute('scope'), th.closest('thead') ? 'col' : 'row', name);
      }
      for (const b of d.querySelectorAll('button')) {
        // A form's one submit button (the lookup page's search) submits; every other is a plain button.
        assert.equal(b.getAttribute('type'), b.closest('form') ? 'submit' : 'button', name);
        assert.ok(b.getAttribute('aria-label'), `${name}: button without a name`);
      }
      for (const s of d.querySelectorAll('select, input')) assert.ok(s.closest('label'), `${name}: unlabelled control`);
      assert.equal(d.querySelectorAll('h1').length, 1, name);
      assert.ok(d.querySelector('meta[name=viewport]') && d.querySelector('meta[charset=utf-8]'), name);
      assert.ok(!/\b(undefined|null|\[object Object\])\b/.test(d.body.textContent ?? ''), `${name}: leaked value`);
    }
  });
});

describe('siteAssets', () => {
  test('lists the files under site/assets/ with their output paths and contents', async () => {
    const assets = await siteAssets();
    assert.deepEqual(
      assets.map((a) => a.path),
      ['assets/app.js', 'assets/lookup.js', 'assets/style.css'],
    );
    for (const a of assets) {
      assert.ok(Buffer.isBuffer(a.content), `${a.path} is a Buffer`);
      assert.deepEqual(a.content, await readFile(new URL(a.path, `file://${SITE_DIR}`)));
    }
    const css = assets[2]!.content.toString('utf8');
    assert.match(css, /\[data-theme="light"\]\s*\{/);
    for (const cls of ['chart-area', 'chart-line', 'chart-grid', 'chart-axis', 'chart-title', 'chart-label']) {
      assert.match(css, new RegExp(`\\.${cls}\\b[^{]*\\{[^}]*var\\(--chart-`), cls);
    }
  });
});

/** Runs app.js against a rendered page in jsdom; `storage` pre-fills localStorage. */
async function runApp(html: string, storage: Record<string, string> = {}, url = 'https://vpn.example/') {
  const app = (await siteAssets()).find((a) => a.path === 'assets/app.js')!.content.toString('utf8');
  // jsdom cannot navigate; it reports each attempt, which is how the tests see one.
  const navigations: string[] = [];
  const virtualConsole = new VirtualConsole();
  virtualConsole.on('jsdomError', (e) => {
    if (/navigation/.test(e.message)) navigations.push(e.message);
    else throw e;
  });
  const dom = new JSDOM(html, { url, runScripts: 'outside-only', virtualConsole });
  const w = dom.window;
  for (const [k, v] of Object.entries(storage)) w.localStorage.setItem(k, v);
  const timers: number[] = [];
  // Record the reload timer instead of reloading.
  (w as unknown as { setTimeout: (fn: () => void, ms: number) => number }).setTimeout = (_fn, ms) => timers.push(ms);
  w.eval(app);
  await new Promise((r) => setTimeout(r, 0));
  return { w, d: w.document, timers, navigations };
}

describe('app.js', () => {
  test('sets the theme (dark first) and the js class, shows JS controls, hides the link filter', async () => {
    const { w, d } = await runApp(page(de, '/'));
    const root = d.documentElement;
    assert.equal(root.getAttribute('data-theme'), 'dark');
    assert.equal(root.classList.contains('js'), true);
    assert.equal((d.querySelector('.reload-bar') as HTMLElement).hidden, false);
    assert.equal((d.querySelector('form.filter') as HTMLElement).hidden, false);
    assert.equal((d.querySelector('.filter-links') as HTMLElement).hidden, true);
    const toggle = d.querySelector('[data-theme-toggle]') as HTMLButtonElement;
    assert.equal(toggle.hidden, false);
    toggle.click();
    assert.equal(root.getAttribute('data-theme'), 'light');
    assert.equal(w.localStorage.getItem('theme'), 'light');
    toggle.click();
    assert.equal(root.getAttribute('data-theme'), 'dark');
  });

  test('choosing a filter option goes to its href', async () => {
    const { w, d, navigations } = await runApp(page(de, '/u/alice/'), {}, 'https://vpn.example/u/alice/');
    const [users, statuses] = [...d.querySelectorAll('select[data-nav]')] as HTMLSelectElement[];
    assert.equal(navigations.length, 0);
    users!.value = '';
    users!.dispatchEvent(new w.Event('change'));
    assert.equal(navigations.length, 1);
    statuses!.value = 'ended';
    statuses!.dispatchEvent(new w.Event('change'));
    assert.equal(navigations.length, 2);
  });

  test('a stored theme wins', async () => {
    const { d } = await runApp(page(de, '/'), { theme: 'light' });
    assert.equal(d.documentElement.getAttribute('data-theme'), 'light');
  });

  test('auto-reload: off by default with 10 s, restored and remembered in localStorage', async () => {
    const off = await runApp(page(de, '/'));
    const offSelect = off.d.querySelector('[data-reload-interval]') as HTMLSelectElement;
    assert.equal(offSelect.value, '10');
    assert.equal((off.d.querySelector('[data-reload-toggle]') as HTMLInputElement).checked, false);
    assert.deepEqual(off.timers, []);

    const on = await runApp(page(de, '/'), { 'osw.autoReload': '1', 'osw.interval': '30' });
    const box = on.d.querySelector('[data-reload-toggle]') as HTMLInputElement;
    const select = on.d.querySelector('[data-reload-interval]') as HTMLSelectElement;
    assert.equal(box.checked, true);
    assert.equal(select.value, '30');
    assert.deepEqual(on.timers, [30_000]);

    select.value = '120';
    select.dispatchEvent(new on.w.Event('change'));
    assert.equal(on.w.localStorage.getItem('osw.interval'), '120');
    assert.deepEqual(on.timers, [30_000, 120_000]);
    box.click();
    assert.equal(on.w.localStorage.getItem('osw.autoReload'), '0');
    assert.equal(on.timers.length, 2);

    const bogus = await runApp(page(de, '/'), { 'osw.interval': '1' });
    assert.equal((bogus.d.querySelector('[data-reload-interval]') as HTMLSelectElement).value, '10');
  });

  test('without CSS :has() it hides and shows the group and info rows itself', async () => {
    const { w, d } = await runApp(page(de, '/'));
    const group = d.querySelector('tbody.group') as HTMLTableSectionElement;
    const hidden = () => [...group.rows].map((tr) => tr.hidden);
    // head, its info row, sub, info, sub, info
    assert.deepEqual(hidden(), [false, true, true, true, true, true]);
    const toggle = (el: HTMLDetailsElement) => {
      el.open = !el.open;
      el.dispatchEvent(new w.Event('toggle'));
    };
    const more = group.querySelector('details.more') as HTMLDetailsElement;
    toggle(more);
    assert.deepEqual(hidden(), [false, true, false, true, false, true]);
    const subInfo = group.rows[2]!.querySelector('details.info') as HTMLDetailsElement;
    toggle(subInfo);
    assert.deepEqual(hidden(), [false, true, false, false, false, true]);
    toggle(more);
    assert.deepEqual(hidden(), [false, true, true, true, true, true]);
    // The live table's info rows work the same way.
    const live = d.querySelector('table.live tbody') as HTMLTableSectionElement;
    assert.equal(live.rows[1]!.hidden, true);
    toggle(live.rows[0]!.querySelector('details.info') as HTMLDetailsElement);
    assert.equal(live.rows[1]!.hidden, false);
  });
});

/** A type-level check that the fixtures cover every kind. */
test('fixtures exercise every page kind', () => {
  const kinds = new Set<PageModel['kind']>(allPages().map((p) => p.kind));
  assert.deepEqual([...kinds].sort(), [
    'anomalies',
    'archive',
    'dashboard',
    'history',
    'ledger',
    'live',
    'lookup',
    'trash',
    'user',
  ]);
});
