/**
 * Debian's Chromium (driven by playwright-core) against a site the CLI built from generated
 * data, served by Debian's nginx with the shipped admins' configuration (helpers/nginx.ts),
 * /api/ proxied to the real endpoint (`serve`) with a password. The data has a user whose
 * common name is `<script>alert(1)</script>`. Every page must load without console errors,
 * uncaught exceptions, failed requests, CSP violations or dialogs; then the theme switch,
 * auto-reload, the day groups, the filters, the Excel download of a filtered view and
 * deleting (one entry, then everything) are used the way an admin would, and checked against
 * the data the test generated.
 */
import assert from 'node:assert/strict';
import { chmod, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import ExcelJS from 'exceljs';
import type { Page } from 'playwright-core';
import { syntheticClients, syntheticSessions } from '../../src/demo/synthetic.js';
import { trashPaths } from '../../src/io/trash.js';
import { ROOT_ROWS } from '../../src/render/pages.js';
import { ensureBuilt } from '../helpers/build.js';
import { sessionsJson, type SessionJson } from '../helpers/cli.js';
import { wallIn } from '../helpers/export-views.js';
import { plus, T0, TZ, userOfClient, type SyntheticSite } from '../helpers/site.js';
import { tempDir } from '../helpers/tmp.js';
import { browserMissing, gate, launchChromium, PageWatch } from './helpers/browser.js';
import { startNginx, TEST_CREDENTIALS, type NginxSite } from './helpers/nginx.js';
import { leftovers, Procs } from './helpers/procs.js';
import type { Needs } from './helpers/requirements.js';
import { buildSite, startEndpoint, writeApiPasswd } from './helpers/sites.js';
import { waitFor } from './helpers/wait.js';

const NEEDS: Needs = { bins: ['nginx', 'openssl', 'pgrep'] };
const HOSTILE = '<script>alert(1)</script>';
/** A live user (user 3 of the generated population) with a history of its own. */
const KIOSK = 'kiosk1';
const DATA = { sessions: 400, users: 12, spanDays: 14, live: 5, seed: 42, updatedAt: T0, gapS: 600 };

const procs = new Procs();
let lacking: string[] = [];
let root = '';
let site: SyntheticSite | null = null;
let nginx: NginxSite | null = null;
let browser: Awaited<ReturnType<typeof launchChromium>> | null = null;
let watch: PageWatch | null = null;
let page: Page | null = null;
/** Every session the CLI recorded (ended and live), as `sessions --json` lists them. */
let recorded: SessionJson[] = [];

/** Wall-clock text in the site's zone, computed here without src/core: "2026-03-18 15:00:00". */
const WALL = new Intl.DateTimeFormat('en-CA', {
  timeZone: TZ,
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
});
function wall(iso: string): string {
  const p = Object.fromEntries(WALL.formatToParts(new Date(iso)).map((x) => [x.type, x.value]));
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second}`;
}

interface PageRow {
  id: string;
  user: string;
  status: string;
  head: boolean;
  start: string;
  /** End time without the "≈" of an estimated end; "läuft…" while running. */
  end: string;
}

/** Every session row of the page's history table (collapsed ones too), in page order. */
function historyRows(p: Page): Promise<PageRow[]> {
  return p.$$eval('table.history td[data-session-id]', (cells) =>
    cells.map((td) => {
      const tr = td.parentElement as HTMLTableRowElement;
      const th = tr.querySelector('th');
      return {
        id: td.getAttribute('data-session-id') ?? '',
        user: (th?.querySelector('a')?.textContent ?? '').trim(),
        status: tr.classList.contains('ended') ? 'ended' : tr.classList.contains('active') ? 'active' : tr.className,
        head: tr.classList.contains('head'),
        // The cells keep the whole date and time as text (an end on its start day hides its date only visually).
        start: (tr.querySelector('td.c-start')?.textContent ?? '').trim(),
        end: (tr.querySelector('td.c-end')?.textContent ?? '').trim().replace(/^≈\s*/, ''),
      };
    }),
  );
}

const sorted = (xs: string[]): string[] => [...xs].sort();

function need<T>(v: T | null, what: string): T {
  assert.ok(v !== null, `${what} is set up (see the before hook's error)`);
  return v;
}

/** Nothing the page must not do happened since the last check. */
function assertClean(what: string): void {
  const w = need(watch, 'the page watch');
  assert.deepEqual(
    w.take(),
    [],
    `${what}: no console errors or warnings, exceptions, failed requests, CSP violations or unexpected dialogs`,
  );
}

/** Loads a page of the site and waits for app.js (and, where asked, the delete controls the endpoint enables). */
async function open(path: string, o: { deleteBar?: boolean } = {}): Promise<Page> {
  const p = need(page, 'the browser page');
  const n = need(nginx, 'nginx');
  const res = await p.goto(`${n.url}${path}`, { waitUntil: 'load' });
  assert.ok(res !== null, `GET ${path}: an answer`);
  assert.equal(res.status(), 200, `GET ${path} through nginx`);
  await p.waitForFunction(() => document.documentElement.classList.contains('js'));
  if (o.deleteBar) await p.locator('[data-delete-bar]:not([hidden])').first().waitFor({ timeout: 15_000 });
  return p;
}

/** GET through nginx with the admin's credentials (the endpoint asks for the same). */
async function apiGet<T>(path: string): Promise<T> {
  const n = need(nginx, 'nginx');
  const res = await fetch(`${n.url}${path}`, { headers: { Authorization: n.authorization ?? '' } });
  const text = await res.text();
  assert.equal(res.status, 200, `GET ${path}: ${text}`);
  return JSON.parse(text) as T;
}

interface XlsxRow {
  user: string;
  commonName: string;
  start: string;
  end: string | null;
  status: string;
}

/** The data rows of a downloaded workbook (columns as src/core/export-rows.ts lists them). */
async function readXlsx(file: string): Promise<{ header: string[]; rows: XlsxRow[] }> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.readFile(file);
  const ws = wb.worksheets[0];
  assert.ok(ws, `${file} has a sheet`);
  const text = (v: ExcelJS.CellValue): string | null => {
    if (v === null || v === undefined) return null;
    // Date cells hold the wall time in their UTC fields.
    if (v instanceof Date) return v.toISOString().slice(0, 19).replace('T', ' ');
    return String(v);
  };
  const header: string[] = [];
  const rows: XlsxRow[] = [];
  ws.eachRow((row, n) => {
    const cell = (c: number): string | null => text(row.getCell(c).value);
    if (n === 1) {
      for (let c = 1; c <= row.cellCount; c++) header.push(cell(c) ?? '');
      return;
    }
    rows.push({
      user: cell(1) ?? '',
      commonName: cell(3) ?? '',
      start: cell(9) ?? '',
      end: cell(10),
      status: cell(16) ?? '',
    });
  });
  return { header, rows };
}

/** Clicks the page's "Download Excel" and reads the file Chromium saved. */
async function downloadExcel(p: Page, expectName: string): Promise<XlsxRow[]> {
  const link = p.locator('a.btn-primary[download]');
  assert.equal(await link.count(), 1, 'one "Download Excel" button on the page');
  const [download] = await Promise.all([p.waitForEvent('download', { timeout: 30_000 }), link.click()]);
  assert.equal(download.suggestedFilename(), expectName, 'the file name of the view');
  assert.equal(await download.failure(), null, 'the download completed');
  const file = join(root, 'downloads', `${Date.now()}-${download.suggestedFilename()}`);
  await mkdir(join(root, 'downloads'), { recursive: true });
  await download.saveAs(file);
  const { header, rows } = await readXlsx(file);
  assert.deepEqual(
    [header[0], header[2], header[8], header[9], header[15]],
    ['Benutzer', 'Common Name', 'Start', 'Ende', 'Status'],
    'the columns read here',
  );
  return rows;
}

const rowKey = (r: { user: string; start: string; end: string | null }): string =>
  `${r.user} | ${r.start} | ${r.end ?? 'läuft…'}`;

describe('real Chromium through nginx', () => {
  before(async () => {
    lacking = await browserMissing(NEEDS);
    if (lacking.length > 0) return; // each test skips (or fails) with the reason
    ensureBuilt();
    root = await tempDir('ovsw-system-browser-');
    await chmod(root, 0o755);
    // The generated data with user 1's common name hostile, in the history and among the live clients.
    site = await buildSite(join(root, 'data'), {
      ...DATA,
      mapHistory: () =>
        syntheticSessions({
          count: DATA.sessions,
          users: DATA.users,
          endAt: plus(DATA.updatedAt, -DATA.gapS),
          spanDays: DATA.spanDays,
          seed: DATA.seed,
          hostile: true,
        }),
      mapClients: () =>
        syntheticClients({ count: DATA.live, updatedAt: DATA.updatedAt, seed: DATA.seed, hostile: true }),
    });
    recorded = await sessionsJson(site.paths.history);
    const passwd = await writeApiPasswd(join(root, 'api-passwd'), TEST_CREDENTIALS.user, TEST_CREDENTIALS.password);
    const apiPort = (await startEndpoint(procs, site, { passwd, logFile: join(root, 'serve.log') })).port;
    nginx = await startNginx({ root: site.paths.out, apiPort, dir: join(root, 'nginx'), procs });
    browser = await launchChromium({
      dir: root,
      httpCredentials: { username: TEST_CREDENTIALS.user, password: TEST_CREDENTIALS.password },
      colorScheme: 'dark',
    });
    watch = await PageWatch.attach(browser.context);
    page = browser.context.pages()[0] ?? (await browser.context.newPage());
  });

  after(async () => {
    try {
      await browser?.close();
    } finally {
      await procs.stopAll();
    }
  });

  it('the generated data is what the tests below expect', (t) => {
    if (!gate(t, lacking)) return;
    const s = need(site, 'the site');
    assert.equal(s.history.length, DATA.sessions, 'ended sessions written');
    assert.ok(
      s.history.some((x) => x.commonName === HOSTILE),
      `the history has sessions of ${HOSTILE}`,
    );
    assert.ok(
      s.clients.some((c) => c.commonName === HOSTILE),
      `${HOSTILE} is connected`,
    );
    assert.ok(
      s.clients.some((c) => userOfClient(c) === KIOSK),
      `${KIOSK} is connected`,
    );
    const kiosk = s.history.filter((x) => x.user === KIOSK).length;
    assert.ok(kiosk > 5 && kiosk < 90, `${KIOSK} has ended sessions, and few enough for one page (${kiosk})`);
    assert.equal(
      recorded.filter((x) => x.status === 'active').length,
      DATA.live,
      'sessions --json lists the live clients as active',
    );
  });

  it('the dashboard and the other pages render with no console errors, exceptions, failed requests or CSP violations', {
    timeout: 120_000,
  }, async (t) => {
    if (!gate(t, lacking)) return;
    const p = need(page, 'the page');
    const res = await p.goto(`${need(nginx, 'nginx').url}/`);
    assert.ok(res !== null, 'an answer');
    const csp = (await res.allHeaders())['content-security-policy'] ?? '';
    assert.match(csp, /default-src 'self'/, `the page is served under the shipped CSP (${csp})`);
    await open('/', { deleteBar: true });
    assert.equal((await p.locator('header.top h1').textContent())?.trim(), 'OpenVPN Web Status', 'the title');
    assert.ok(await p.locator('svg.chart').isVisible(), 'the chart is shown');
    assert.ok(await p.locator('[data-reload]').isVisible(), 'the auto-reload bar is shown (JS ran)');
    assert.ok(await p.locator('form[data-filter]').isVisible(), 'the filter dropdowns are shown (JS ran)');
    assert.equal(await p.locator('details.filter-links').isVisible(), false, 'the no-JS filter links are hidden');
    assert.ok(await p.locator('[data-theme-toggle]').isVisible(), 'the theme button is shown');
    assert.equal(await p.locator('table.live tbody tr.active').count(), DATA.live, 'one live row per connected client');
    assert.ok((await p.locator('table.history tbody.group').count()) > 5, 'history groups');
    // The endpoint answered api/health through nginx: the delete controls are there.
    assert.ok((await p.locator('table.history .sel-session input').count()) > 0, 'a checkbox per ended session');
    assertClean('the dashboard');

    // The listener is live: a script injected now is refused by the CSP and reported.
    const w = need(watch, 'the watch');
    await p.evaluate(() => {
      const s = document.createElement('script');
      s.textContent = 'window.__injected = true;';
      document.body.append(s);
    });
    await waitFor('the CSP violation of the probe to be reported', () => w.violations.length > 0, { timeoutMs: 5_000 });
    assert.equal(
      await p.evaluate(() => (window as unknown as { __injected?: boolean }).__injected),
      undefined,
      'the inline script did not run',
    );
    assert.match(w.violations[0]?.directive ?? '', /^script-src/, 'reported as a script-src violation');
    w.take();
    w.violations.length = 0;

    const day = plus(T0, -86_400).slice(0, 10);
    for (const path of [
      '/active/',
      '/ended/',
      '/archive/',
      `/d/${day}/`,
      `/u/${KIOSK}/`,
      `/u/${KIOSK}/ended/`,
      '/users/',
    ]) {
      await open(path);
      assert.ok(await p.locator('main').isVisible(), `${path}: the page shows`);
      assertClean(path);
    }
    assert.deepEqual(w.violations, [], 'no CSP violation on any page');
  });

  it('every page and table fits a 1,366 px window and a 390 px phone, in both themes, with no sideways scrolling', {
    timeout: 180_000,
  }, async (t) => {
    if (!gate(t, lacking)) return;
    const p = need(page, 'the page');
    const day = plus(T0, -86_400).slice(0, 10);
    const paths = ['/', '/ended/', `/u/${KIOSK}/`, `/d/${day}/`];
    try {
      for (const [width, height] of [
        [1366, 800],
        [390, 844],
      ] as const) {
        await p.setViewportSize({ width, height });
        for (const theme of ['dark', 'light']) {
          await open('/');
          await p.evaluate((x) => window.localStorage.setItem('theme', x), theme);
          for (const path of paths) {
            await open(path, { deleteBar: true });
            // One info row and one group open: the widest the rows get.
            for (const sel of [
              'table.history tr.head details.info summary',
              'table.history tr.head details.more summary',
            ]) {
              const control = p.locator(sel).first();
              if ((await control.count()) > 0) await control.click();
            }
            const m = await p.evaluate(() => ({
              theme: document.documentElement.getAttribute('data-theme'),
              page: document.documentElement.scrollWidth,
              window: window.innerWidth,
              tables: [...document.querySelectorAll('table')].map((table) => ({
                name: table.className,
                table: Math.ceil(table.getBoundingClientRect().right),
                box: table.parentElement ? table.parentElement.scrollWidth - table.parentElement.clientWidth : 0,
              })),
            }));
            const where = `${path} at ${width} px, ${theme}`;
            if (width < 640) {
              // A phone: each card's data cell shows its column's name (the stylesheet's label for the page's language).
              const cells = await p.evaluate(() =>
                [...document.querySelectorAll('table.cards')].flatMap((table) => {
                  const head = [...table.querySelectorAll('thead th')].map((th) => (th.textContent ?? '').trim());
                  const row = table.querySelector('tbody tr:not(.info-row)');
                  return [...(row?.children ?? [])]
                    .map((cell, i) => ({
                      td: cell.tagName === 'TD',
                      cls: cell.className,
                      head: head[i] ?? '',
                      label: getComputedStyle(cell, '::before').content,
                    }))
                    .filter(
                      (c) => c.td && c.head !== '' && !/\bc-(more|status|info|select|user)\b|\bempty\b/.test(c.cls),
                    );
                }),
              );
              assert.ok(cells.length > 0, `${where}: labelled cells`);
              for (const c of cells)
                assert.equal(c.label, JSON.stringify(c.head), `${where}: the label of td.${c.cls}`);
            }
            assert.equal(m.theme, theme, `${where}: the theme`);
            assert.ok(m.tables.length > 0, `${where}: a table`);
            assert.ok(m.page <= m.window, `${where}: the page is ${m.page} px wide in a ${m.window} px window`);
            for (const x of m.tables) {
              assert.ok(x.table <= m.window, `${where}: table.${x.name} ends at ${x.table} px`);
              assert.equal(x.box, 0, `${where}: table.${x.name} scrolls ${x.box} px sideways in its box`);
            }
          }
        }
      }
    } finally {
      await p.setViewportSize({ width: 1400, height: 1000 });
      await p.evaluate(() => window.localStorage.removeItem('theme'));
    }
    assertClean('the layout at two window sizes');
  });

  it("the chart says a stretch's time and count on hover and on focus, and its labels are legible on a phone", {
    timeout: 60_000,
  }, async (t) => {
    if (!gate(t, lacking)) return;
    const p = await open('/');
    const readout = p.locator('.chart-panel .chart-readout');
    const said = /^\d\d:\d\d–\d\d:\d\d Uhr: \d+ Verbindungen?$/;
    const hits = p.locator('svg.chart rect.chart-hit');
    const n = await hits.count();
    assert.ok(n > 1, `stretches to point at (${n})`);
    await p.locator('svg.chart').focus();
    assert.equal(
      await readout.textContent(),
      await hits
        .nth(n - 1)
        .locator('title')
        .textContent(),
      'focus: the last stretch',
    );
    await p.keyboard.press('ArrowLeft');
    assert.equal(
      await readout.textContent(),
      await hits
        .nth(n - 2)
        .locator('title')
        .textContent(),
      'ArrowLeft: the one before',
    );
    assert.match((await readout.textContent()) ?? '', said);
    await hits.nth(Math.floor(n / 2)).hover();
    const hovered = (await readout.textContent()) ?? '';
    assert.match(hovered, said, 'hover: the time and count under the pointer');
    assert.equal(
      hovered,
      await hits
        .nth(Math.floor(n / 2))
        .locator('title')
        .textContent(),
      "the stretch's <title>",
    );
    try {
      await p.setViewportSize({ width: 390, height: 844 });
      const boxes = (sel: string) =>
        p.$$eval(sel, (els) =>
          els
            .map((el) => el.getBoundingClientRect())
            .filter((r) => r.width > 0)
            .map((r) => ({ left: r.left, right: r.right, height: r.height })),
        );
      const labels = await boxes('svg.chart .chart-axis text, svg.chart .chart-title');
      assert.ok(labels.length > 5, `labels shown (${labels.length})`);
      for (const r of labels)
        assert.ok(r.height >= 11, `a label ${r.height.toFixed(1)} px high at 390 px (at least 11)`);
      const hours = (await boxes('svg.chart .chart-axis-x text')).sort((a, b) => a.left - b.left);
      assert.ok(hours.length >= 4, `hour labels shown (${hours.length})`);
      for (let i = 1; i < hours.length; i++)
        assert.ok(hours[i - 1]!.right <= hours[i]!.left, 'the hour labels do not overlap');
    } finally {
      await p.setViewportSize({ width: 1400, height: 1000 });
    }
    assertClean('the chart');
  });

  it(`a common name ${HOSTILE} shows as text, and no dialog fires`, { timeout: 60_000 }, async (t) => {
    if (!gate(t, lacking)) return;
    const w = need(watch, 'the watch');
    const p = await open('/', { deleteBar: true });
    const liveUsers = await p.locator('table.live tbody tr.active th a').allTextContents();
    assert.ok(liveUsers.includes(HOSTILE), `the live table shows the name as text (${liveUsers.join(', ')})`);
    const scripts = await p.evaluate(() => [...document.scripts].map((s) => s.src || `inline: ${s.textContent ?? ''}`));
    assert.equal(scripts.length, 1, `only app.js is a script element (${scripts.join(', ')})`);
    assert.match(scripts[0] ?? '', /\/assets\/app\.js\?v=/, 'and it is app.js');
    assert.ok((await p.getByText(HOSTILE, { exact: true }).count()) > 0, 'the text is on the page');

    // Through the user dropdown to the user's page.
    const userSelect = p.locator('select[data-nav]').nth(0);
    await Promise.all([
      p.waitForURL(/\/u\/script-alert-1-script~[0-9a-f]+\/$/),
      userSelect.selectOption({ label: HOSTILE }),
    ]);
    await p.waitForFunction(() => document.documentElement.classList.contains('js'));
    assert.equal(
      (await p.locator('#page-heading').textContent())?.trim(),
      HOSTILE,
      "the user page's heading is the name, as text",
    );
    assert.match(
      await p.title(),
      /^Verbindungs-History — <script>alert\(1\)<\/script> – OpenVPN Web Status$/,
      'the title too',
    );
    const rows = await historyRows(p);
    assert.ok(
      rows.length > 0 && rows.every((r) => r.user === HOSTILE),
      `the user's rows show the name (${rows.length} rows)`,
    );
    await p.reload();
    await p.waitForLoadState('load');
    assert.deepEqual(w.dialogs, [], 'no dialog fired at all');
    assertClean('the hostile user');
  });

  it('the lookup page finds who had a tunnel address at a time, from the address bucket files, under the CSP', {
    timeout: 60_000,
  }, async (t) => {
    if (!gate(t, lacking)) return;
    const ended = recorded.filter((x) => x.user === HOSTILE && x.endedAt !== null && x.durationS > 60);
    const s = ended[0] as SessionJson;
    assert.ok(s !== undefined, `an ended session of ${HOSTILE}`);
    const address = need(s.virtualAddress, 'its tunnel address');
    const at = plus(s.connectedAt, 30);
    const live = (x: SessionJson) => x.connectedAt <= at && (x.endedAt === null || x.endedAt >= at);
    const expected = recorded
      .filter((x) => live(x) && (x.virtualAddress === address || x.realAddress === address))
      .sort((a, b) => (a.connectedAt < b.connectedAt ? -1 : 1))
      .map((x) => x.user);
    const p = need(page, 'the page');
    const started = Date.now();
    await open(`/lookup/?ip=${encodeURIComponent(address)}&at=${encodeURIComponent(wallIn(at).replace(' ', 'T'))}`);
    await p.locator('[data-lookup-done]').waitFor({ timeout: 10_000 });
    const ms = Date.now() - started;
    assert.ok(ms < 1000, `the answer within a second (${ms} ms)`);
    const users = await p.locator('[data-lookup-rows] tr td:first-child').allTextContents();
    assert.deepEqual(users, expected, 'the users who had the address then, in time order');
    assert.ok(users.includes(HOSTILE), 'the hostile name is shown as text');
    assert.equal(await p.evaluate(() => (window as unknown as { __injected?: boolean }).__injected), undefined);
    assert.equal(await p.locator('.lookup-nojs').isVisible(), false, 'the no-JS hint is hidden');
    // The user link leads to that user's page.
    await p.locator('[data-lookup-rows] tr td:first-child a').first().click();
    await p.waitForLoadState('load');
    assert.match(p.url(), /\/u\/[^/]+\/$/);
    assertClean('the lookup page');
  });

  it('the theme toggle restyles page and chart at once and survives a reload', { timeout: 60_000 }, async (t) => {
    if (!gate(t, lacking)) return;
    const p = await open('/');
    // No named functions inside evaluate(): tsx would wrap them in a helper the page does not have.
    const PROBES: [string, string, string][] = [
      ['bodyBackground', 'body', 'background-color'],
      ['bodyText', 'body', 'color'],
      ['chartBackground', 'svg.chart', 'background-color'],
      ['chartLine', 'svg.chart .chart-line', 'stroke'],
      ['chartTitle', 'svg.chart .chart-title', 'fill'],
      ['headerBackground', 'header.top', 'background-color'],
    ];
    const colours = (): Promise<Record<string, string | null>> =>
      p.evaluate((probes) => {
        const out: Record<string, string | null> = {
          theme: document.documentElement.getAttribute('data-theme'),
          stored: window.localStorage.getItem('theme'),
        };
        for (const [key, sel, prop] of probes) {
          const el = document.querySelector(sel);
          out[key] = el ? getComputedStyle(el).getPropertyValue(prop) : `${sel}: not on the page`;
        }
        return out;
      }, PROBES);
    /** Relative luminance (0 black … 1 white) of an "rgb(r, g, b)" colour. */
    const luminance = (rgb: string | null | undefined): number => {
      const m = /^rgba?\((\d+), (\d+), (\d+)/.exec(rgb ?? '');
      assert.ok(m, `a colour: ${rgb}`);
      const [r, g, b] = [m[1], m[2], m[3]].map((x) => {
        const c = Number(x) / 255;
        return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
      }) as [number, number, number];
      return 0.2126 * r + 0.7152 * g + 0.0722 * b;
    };

    // A first visit follows prefers-color-scheme (the context says dark).
    await p.evaluate(() => window.localStorage.removeItem('theme'));
    await p.reload();
    const dark = await colours();
    assert.equal(dark.theme, 'dark', 'dark at first (prefers-color-scheme: dark)');
    assert.ok(luminance(dark.bodyBackground) < 0.1, `a dark page (${dark.bodyBackground})`);

    await p.locator('[data-theme-toggle]').click();
    const light = await colours();
    assert.equal(light.theme, 'light', 'the toggle switched to light');
    assert.equal(light.stored, 'light', 'and stored it in localStorage');
    for (const [key] of PROBES) {
      assert.notEqual(
        light[key],
        dark[key],
        `${key} changed with the theme (${dark[key]} → ${light[key]}), without a reload`,
      );
    }
    assert.ok(luminance(light.bodyBackground) > 0.8, `a light page (${light.bodyBackground})`);
    assert.ok(luminance(light.chartBackground) > luminance(dark.chartBackground), 'the chart turned light too');

    await p.reload();
    assert.deepEqual(await colours(), light, 'after a reload: still light, same colours');
    await open(`/u/${KIOSK}/`);
    assert.equal(
      await p.evaluate(() => document.documentElement.getAttribute('data-theme')),
      'light',
      'and on another page',
    );

    await p.locator('[data-theme-toggle]').click();
    await open('/');
    assert.deepEqual(await colours(), { ...dark, stored: 'dark' }, 'toggled back: the dark colours again');

    // With nothing stored, a light system preference gives the light theme.
    await p.evaluate(() => window.localStorage.removeItem('theme'));
    await p.emulateMedia({ colorScheme: 'light' });
    await p.reload();
    assert.equal((await colours()).theme, 'light', 'prefers-color-scheme: light → light on a first visit');
    await p.emulateMedia({ colorScheme: 'dark' });
    await p.reload();
    assert.equal((await colours()).theme, 'dark', 'and dark again with a dark preference');
    assertClean('the theme toggle');
  });

  it('auto-reload: checkbox and interval persist across reloads (localStorage), and it reloads the page', {
    timeout: 60_000,
  }, async (t) => {
    if (!gate(t, lacking)) return;
    // The bar is on the dashboard (and /live/ when the dashboard's live list is cut).
    const path = '/';
    const p = await open(path);
    const box = p.locator('[data-reload-toggle]');
    const interval = p.locator('[data-reload-interval]');
    assert.equal(await box.isChecked(), false, 'off by default');
    assert.equal(await interval.inputValue(), '10', '10 s by default');

    await interval.selectOption('5');
    await p.evaluate(() => {
      (window as unknown as { __mark?: number }).__mark = 1;
    });
    const reloaded = p.waitForEvent('load', { timeout: 25_000 });
    const ticked = Date.now();
    await box.check();
    assert.deepEqual(
      await p.evaluate(() => [
        window.localStorage.getItem('osw.autoReload'),
        window.localStorage.getItem('osw.interval'),
      ]),
      ['1', '5'],
      'both choices stored',
    );
    await reloaded;
    const waited = Date.now() - ticked;
    // Stop it again at once, before the next reload in 5 s.
    await box.uncheck();
    assert.ok(waited >= 4_500 && waited < 25_000, `the page reloaded itself after the interval (${waited} ms)`);
    assert.equal(
      await p.evaluate(() => (window as unknown as { __mark?: number }).__mark),
      undefined,
      'a new document',
    );
    assert.equal(new URL(p.url()).pathname, path, 'the same page');
    assert.equal(await interval.inputValue(), '5', 'the interval came back from localStorage');

    await box.check();
    await p.reload();
    assert.equal(await p.locator('[data-reload-toggle]').isChecked(), true, 'after a manual reload: still on');
    await p.locator('[data-reload-toggle]').uncheck();
    await p.reload();
    assert.equal(await p.locator('[data-reload-toggle]').isChecked(), false, 'switched off: stays off');
    assert.equal(await p.locator('[data-reload-interval]').inputValue(), '5', 'the interval stays');
    await p.locator('[data-reload-interval]').selectOption('10');
    assert.equal(await p.evaluate(() => window.localStorage.getItem('osw.autoReload')), '0', 'stored as off');
    assertClean('auto-reload');
  });

  it("a day group expands and collapses, by click and by keyboard; so does a row's info", {
    timeout: 60_000,
  }, async (t) => {
    if (!gate(t, lacking)) return;
    const p = await open('/', { deleteBar: true });
    const group = p.locator('table.history tbody.group:has(details.more)').first();
    const summary = group.locator('details.more > summary');
    const subs = group.locator('tr.sub:not(.info-row)');
    const n = await subs.count();
    assert.ok(n >= 1, 'a group with more sessions that day');
    // The visible "+n" (the words for screen readers follow in a .vh span).
    assert.equal(
      (await summary.locator('[aria-hidden="true"]').textContent())?.trim(),
      `+${n}`,
      `the control says +${n}`,
    );
    const visible = async (): Promise<boolean[]> =>
      Promise.all(Array.from({ length: n }, (_, i) => subs.nth(i).isVisible()));
    const isOpen = (): Promise<boolean> =>
      group.locator('details.more').evaluate((d) => (d as HTMLDetailsElement).open);
    assert.deepEqual(await visible(), Array(n).fill(false), 'collapsed at first');

    await summary.click();
    assert.deepEqual(await visible(), Array(n).fill(true), 'a click expands the group');
    assert.equal(await isOpen(), true, 'the details are open');
    await summary.click();
    assert.deepEqual(await visible(), Array(n).fill(false), 'a second click collapses it');

    await summary.focus();
    await p.keyboard.press('Enter');
    assert.deepEqual(await visible(), Array(n).fill(true), 'Enter expands it');
    await p.keyboard.press(' ');
    assert.deepEqual(await visible(), Array(n).fill(false), 'Space collapses it');

    // The info control of the group's head row shows the row of details under it.
    const info = group.locator('tr.head details.info > summary');
    const infoRow = group.locator('tr.head + tr.info-row');
    assert.equal(await infoRow.isVisible(), false, 'the info row is hidden at first');
    await info.click();
    assert.equal(await infoRow.isVisible(), true, 'the info button shows it');
    assert.match((await infoRow.textContent()) ?? '', /Common Name/, 'with the details');
    await info.press('Enter');
    assert.equal(await infoRow.isVisible(), false, 'Enter on it hides it again');
    assertClean('the day groups');
  });

  /**
   * A user's view shows the newest of `all`: whole days of them, at most ROOT_ROWS rows
   * (every one when they fit; the older ones are on the user's month pages).
   */
  const assertNewest = (rows: PageRow[], all: { id: string; connectedAt: string }[], what: string): void => {
    const newest = [...all].sort((a, b) =>
      a.connectedAt < b.connectedAt ? 1 : a.connectedAt > b.connectedAt ? -1 : 0,
    );
    assert.ok(
      newest.length > ROOT_ROWS,
      `${what}: ${newest.length}, more than one page holds (the data must test the cut)`,
    );
    assert.ok(
      rows.length <= ROOT_ROWS && rows.length >= ROOT_ROWS / 2,
      `${what}: ${rows.length} rows shown, at most ${ROOT_ROWS}`,
    );
    assert.deepEqual(
      sorted(rows.map((r) => r.id)),
      sorted(newest.slice(0, rows.length).map((x) => x.id)),
      `${what}: the newest ${rows.length}, and no other`,
    );
  };

  it('the user and status dropdowns go to the filtered views, which hold exactly the right rows', {
    timeout: 60_000,
  }, async (t) => {
    if (!gate(t, lacking)) return;
    const s = need(site, 'the site');
    const p = await open('/');
    const userSelect = (): ReturnType<Page['locator']> => p.locator('select[data-nav]').nth(0);
    const statusSelect = (): ReturnType<Page['locator']> => p.locator('select[data-nav]').nth(1);
    const go = async (
      select: ReturnType<Page['locator']>,
      option: { label: string },
      url: RegExp,
    ): Promise<PageRow[]> => {
      await Promise.all([p.waitForURL(url), select.selectOption(option)]);
      await p.waitForFunction(() => document.documentElement.classList.contains('js'));
      return historyRows(p);
    };
    const idsOf = (xs: { id: string }[]): string[] => sorted(xs.map((x) => x.id));

    let rows = await go(userSelect(), { label: KIOSK }, new RegExp(`/u/${KIOSK}/$`));
    assert.ok(
      rows.every((r) => r.user === KIOSK),
      `only ${KIOSK}'s rows (${[...new Set(rows.map((r) => r.user))].join(', ')})`,
    );
    assertNewest(
      rows,
      recorded.filter((x) => x.user === KIOSK),
      `${KIOSK}'s sessions, live and ended`,
    );
    assert.equal(await userSelect().inputValue(), KIOSK, 'the user dropdown shows the choice');

    rows = await go(statusSelect(), { label: 'nur beendet' }, new RegExp(`/u/${KIOSK}/ended/$`));
    assert.ok(
      rows.every((r) => r.user === KIOSK && r.status === 'ended'),
      `only ${KIOSK}'s ended rows`,
    );
    assertNewest(
      rows,
      s.history.filter((x) => x.user === KIOSK),
      `the ended sessions of ${KIOSK} the test generated`,
    );
    assert.equal(await userSelect().inputValue(), KIOSK, 'the user filter stays');
    assert.equal(await statusSelect().inputValue(), 'ended', 'the status dropdown shows the choice');

    rows = await go(userSelect(), { label: '(kein Filter)' }, /\/ended\/$/);
    assert.equal(new URL(p.url()).pathname, '/ended/', 'all users, ended: the status filter stays');
    const ended = new Set(s.history.map((x) => x.id));
    assert.ok(
      rows.length <= ROOT_ROWS && rows.length >= ROOT_ROWS / 2,
      `the newest ended sessions (${rows.length} rows, at most ${ROOT_ROWS})`,
    );
    assert.deepEqual(
      rows.filter((r) => r.status !== 'ended' || !ended.has(r.id)),
      [],
      'only ended sessions',
    );
    assert.ok(new Set(rows.map((r) => r.user)).size > 3, 'of many users');

    rows = await go(statusSelect(), { label: 'nur aktiv' }, /\/active\/$/);
    const live = recorded.filter((x) => x.status === 'active');
    assert.deepEqual(idsOf(rows), idsOf(live), 'all users, active: exactly the live sessions');
    assert.deepEqual(
      sorted(rows.map((r) => r.user)),
      sorted(s.clients.map(userOfClient)),
      'one row per connected client',
    );
    assert.ok(
      rows.every((r) => r.status === 'active' && r.end === 'läuft…'),
      'all running',
    );

    await go(statusSelect(), { label: 'alle' }, /:\d+\/$/);
    assert.equal(new URL(p.url()).pathname, '/', 'no filter: the dashboard');
    assertClean('the filters');
  });

  it('the Excel download of a filtered view holds exactly its rows', { timeout: 90_000 }, async (t) => {
    if (!gate(t, lacking)) return;
    const s = need(site, 'the site');
    let p = await open(`/u/${KIOSK}/ended/`);
    const pageRows = await historyRows(p);
    let xlsx = await downloadExcel(p, `openvpn-history_${KIOSK}_ended.xlsx`);
    const expected = s.history
      .filter((x) => x.user === KIOSK)
      .map((x) => rowKey({ user: x.user, start: wall(x.connectedAt), end: wall(x.endedAt as string) }));
    assert.equal(xlsx.length, expected.length, `one row per ended session of ${KIOSK}`);
    assert.deepEqual(
      sorted(xlsx.map(rowKey)),
      sorted(expected),
      'user, start and end of each session the test generated',
    );
    // The page shows the newest of them (the rest are on the month pages); the file has the whole view.
    assert.ok(
      pageRows.length > 0 && pageRows.length < xlsx.length,
      `the page shows ${pageRows.length} of the ${xlsx.length} rows`,
    );
    const inFile = new Set(xlsx.map(rowKey));
    assert.deepEqual(
      pageRows.map(rowKey).filter((k) => !inFile.has(k)),
      [],
      'every row the page shows is in the file',
    );
    assert.ok(
      xlsx.every((r) => r.status === 'beendet' && r.commonName === 'shared-kiosk'),
      'status and common name columns',
    );

    p = await open('/active/');
    const liveRows = await historyRows(p);
    xlsx = await downloadExcel(p, 'openvpn-history_all_active.xlsx');
    const live = recorded
      .filter((x) => x.status === 'active')
      .map((x) => rowKey({ user: x.user, start: wall(x.connectedAt), end: null }));
    assert.deepEqual(sorted(xlsx.map(rowKey)), sorted(live), 'all users, active: the live sessions, without an end');
    assert.deepEqual(sorted(xlsx.map(rowKey)), sorted(liveRows.map(rowKey)), 'the same rows as the page shows');
    assert.ok(
      xlsx.some((r) => r.user === HOSTILE),
      `${HOSTILE} is in the file as its name`,
    );
    assertClean('the downloads');
  });

  it('select + delete (with its confirmation) removes a session, which stays gone after a reload and is in the trash', {
    timeout: 120_000,
  }, async (t) => {
    if (!gate(t, lacking)) return;
    const w = need(watch, 'the watch');
    const path = `/u/${KIOSK}/ended/`;
    const p = await open(path, { deleteBar: true });
    const rowsBefore = await historyRows(p);
    const inView = need(site, 'the site').history.filter((x) => x.user === KIOSK).length;
    const target = rowsBefore.find((r) => r.head && r.status === 'ended');
    assert.ok(target, 'a visible ended row to delete');
    const box = p.locator(`.sel-session input[value="${target.id}"]`);
    const button = p.locator('[data-delete-selected]');
    assert.equal(await button.isDisabled(), true, 'nothing selected: the button is disabled');
    await box.check();
    assert.equal(
      (await p.locator('[data-delete-count]').textContent())?.trim(),
      '(1)',
      'the button counts the selection',
    );
    assert.equal(await button.isDisabled(), false, 'and is enabled');

    // Cancelled: nothing happens.
    w.expectDialogs({ type: 'confirm', message: /^1 ausgewählten Eintrag löschen\?/, accept: false });
    await button.click();
    await waitFor('the confirmation to be answered', () => w.pendingDialogs().length === 0, { timeoutMs: 10_000 });
    assert.equal((await apiGet<{ total: number }>('/api/trash')).total, 0, 'cancelled: the trash is empty');
    assert.equal(await box.isChecked(), true, 'the selection stays');
    assert.equal(new URL(p.url()).pathname, path, 'no navigation');

    // Confirmed, with a reason: the endpoint deletes, rebuilds, the page reloads.
    w.expectDialogs(
      { type: 'confirm', message: /^1 ausgewählten Eintrag löschen\?/, accept: true },
      { type: 'prompt', message: /^Grund \(freiwillig/, accept: true, text: 'Testkonto <b>' },
    );
    const reloaded = p.waitForEvent('load', { timeout: 60_000 });
    const clicked = Date.now();
    await button.click();
    await reloaded;
    t.diagnostic(`delete → reloaded page: ${Date.now() - clicked} ms`);
    assert.deepEqual(w.pendingDialogs(), [], 'the confirmation and the reason prompt were shown');
    const changeLog = (await readFile(trashPaths(need(site, 'the site').paths.history).audit, 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { action: string; ids: string[]; reason?: string });
    assert.deepEqual(
      changeLog.filter((e) => e.action === 'delete').map((e) => [e.ids, e.reason]),
      [[[target.id], 'Testkonto <b>']],
      'the change log keeps the reason as typed',
    );
    await p.locator('[data-delete-bar]:not([hidden])').waitFor();
    let rowsAfter = await historyRows(p);
    // The others stay in order (an older day's rows may now fit after them: the page shows at most ROOT_ROWS).
    const others = rowsBefore.filter((r) => r.id !== target.id).map((r) => r.id);
    assert.deepEqual(
      rowsAfter.slice(0, others.length).map((r) => r.id),
      others,
      'the row is gone, the others stay in order',
    );
    assert.ok(
      !rowsAfter.some((r) => r.id === target.id) && rowsAfter.length <= ROOT_ROWS,
      'and no more than a page holds',
    );

    await p.reload();
    await p.waitForLoadState('load');
    rowsAfter = await historyRows(p);
    assert.ok(!rowsAfter.some((r) => r.id === target.id), 'still gone after a reload');
    await open(`/u/${KIOSK}/`);
    assert.ok(!(await historyRows(p)).some((r) => r.id === target.id), "gone from the user's page too");

    await open(path);
    const xlsx = await downloadExcel(p, `openvpn-history_${KIOSK}_ended.xlsx`);
    assert.equal(xlsx.length, inView - 1, "the view's Excel file (all its rows, not only the page's) lost the row too");
    assert.ok(!xlsx.some((r) => r.start === target.start), 'the deleted start time is not in it');
    const trash = await apiGet<{ total: number; entries: { id: string; user: string; deletedBy: string | null }[] }>(
      '/api/trash',
    );
    assert.equal(trash.total, 1, 'one entry in the trash');
    assert.equal(trash.entries[0]?.id, target.id, 'the deleted session');
    assert.equal(trash.entries[0]?.user, KIOSK, 'of its user');
    assert.equal(trash.entries[0]?.deletedBy, TEST_CREDENTIALS.user, 'deleted by the user who logged in');
    assert.ok(
      !(await sessionsJson(need(site, 'the site').paths.history)).some((x) => x.id === target.id),
      'gone from the history file',
    );

    assertClean('deleting a session');
  });

  it('the trash page, reached from the delete bar, lists the deleted session; Restore brings it back on its day page', {
    timeout: 120_000,
  }, async (t) => {
    if (!gate(t, lacking)) return;
    const w = need(watch, 'the watch');
    const trash = await apiGet<{ entries: { id: string }[] }>('/api/trash');
    const target = recorded.find((x) => x.id === trash.entries[0]?.id);
    assert.ok(target && trash.entries.length === 1, 'the session the test before deleted');
    const day = wall(target.connectedAt).slice(0, 10);
    const p = await open(`/d/${day}/`, { deleteBar: true });
    assert.ok(!(await historyRows(p)).some((r) => r.id === target.id), 'not on its day page');

    await Promise.all([p.waitForURL(/\/trash\/$/), p.locator('[data-delete-bar] a.trash-link').click()]);
    await p.waitForFunction(() => document.documentElement.classList.contains('js'));
    const rows = p.locator('[data-trash-rows] tr');
    await rows.first().waitFor({ timeout: 15_000 });
    assert.equal(await rows.count(), 1, 'one entry');
    const cells = await rows.first().locator('th, td').allTextContents();
    assert.deepEqual(
      cells.slice(1, 8),
      [
        KIOSK,
        target.commonName,
        target.realAddress,
        wall(target.connectedAt),
        wall(target.endedAt as string),
        cells[6] ?? '',
        TEST_CREDENTIALS.user,
      ],
      'who deleted what, when',
    );
    assert.match(cells[6] ?? '', /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/, 'the deletion time, as the pages show times');

    const clicked = Date.now();
    w.expectDialogs({ type: 'prompt', message: /^Grund \(freiwillig/, accept: true });
    await rows.first().locator('[data-restore-one]').click();
    await p.locator('[data-trash-status]', { hasText: '1 Eintrag wiederhergestellt.' }).waitFor({ timeout: 60_000 });
    t.diagnostic(`restore → list redrawn: ${Date.now() - clicked} ms`);
    assert.equal(await rows.count(), 0, 'the trash is empty');
    assert.equal((await apiGet<{ total: number }>('/api/trash')).total, 0);

    await open(`/d/${day}/`);
    assert.ok(
      (await historyRows(p)).some((r) => r.id === target.id && r.start === wall(target.connectedAt)),
      'the row is back on its day page',
    );
    assertClean('restoring from the trash page');
  });

  it('clear all asks twice (the second time naming the count), then leaves only the live sessions', {
    timeout: 180_000,
  }, async (t) => {
    if (!gate(t, lacking)) return;
    const w = need(watch, 'the watch');
    const p = await open('/', { deleteBar: true });
    const n = (await apiGet<{ count: number }>('/api/sessions/count')).count;
    assert.equal(n, DATA.sessions, 'every ended session would go (the deleted one was restored)');
    const clear = p.locator('[data-delete-all]');

    // Cancelled at the second question: nothing happens.
    w.expectDialogs(
      { type: 'confirm', message: /GESAMTE History/, accept: true },
      { type: 'confirm', message: new RegExp(`alle ${n.toLocaleString('de-DE')} beendeten Einträge`), accept: false },
    );
    await clear.click();
    await waitFor('both confirmations to be answered', () => w.pendingDialogs().length === 0, { timeoutMs: 15_000 });
    await waitFor('the buttons to be enabled again', async () => !(await clear.isDisabled()), { timeoutMs: 10_000 });
    assert.equal((await apiGet<{ count: number }>('/api/sessions/count')).count, n, 'cancelled: nothing deleted');

    w.expectDialogs(
      { type: 'confirm', message: /GESAMTE History/, accept: true },
      { type: 'confirm', message: new RegExp(`alle ${n.toLocaleString('de-DE')} beendeten Einträge`), accept: true },
      { type: 'prompt', message: /^Grund \(freiwillig/, accept: true },
    );
    const reloaded = p.waitForEvent('load', { timeout: 150_000 });
    const clicked = Date.now();
    await clear.click();
    await reloaded;
    t.diagnostic(`clear → reloaded page: ${Date.now() - clicked} ms`);
    assert.deepEqual(w.pendingDialogs(), [], 'both confirmations were shown');
    await p.reload();
    await p.waitForLoadState('load');
    const rows = await historyRows(p);
    assert.deepEqual(
      sorted(rows.map((r) => r.id)),
      sorted(recorded.filter((x) => x.status === 'active').map((x) => x.id)),
      'only the live sessions are left',
    );
    assert.equal((await apiGet<{ count: number }>('/api/sessions/count')).count, 0, 'nothing left to clear');
    assert.equal(await p.locator('table.live tbody tr.active').count(), DATA.live, 'the live table is unchanged');
    const trash = await apiGet<{ total: number; entries: { id: string }[] }>('/api/trash?limit=1000');
    assert.equal(trash.total, DATA.sessions, 'the trash holds the deleted and the cleared sessions');
    assert.deepEqual(
      sorted(trash.entries.map((e) => e.id)),
      sorted(need(site, 'the site').history.map((x) => x.id)),
      'every ended session the test generated, once',
    );
    assertClean('clearing the history');
  });

  it('no dialog fired besides the confirmations; the browser, nginx and the endpoint leave nothing behind', {
    timeout: 60_000,
  }, async (t) => {
    if (!gate(t, lacking)) return;
    const w = need(watch, 'the watch');
    assert.ok(
      w.dialogs.every((d) => d.startsWith('confirm: ') || d.startsWith('prompt: Grund')),
      `only the delete confirmations and the reason prompts (${w.dialogs.join(' | ')})`,
    );
    assert.equal(
      w.dialogs.length,
      9,
      'two for the one delete, four for the two clears, a reason for delete, restore, clear',
    );
    assertClean('the whole run');
    await need(browser, 'the browser').close();
    assert.deepEqual(
      await leftovers('chromium', root),
      [],
      `pgrep chromium: nothing started with a profile in ${root} still runs`,
    );
    await procs.stopAll();
    assert.deepEqual(
      procs.all.filter((x) => x.exit === null).map((x) => `${x.pid} ${x.name}`),
      [],
      'nginx and the endpoint have exited',
    );
    assert.deepEqual(await leftovers('nginx', root), [], `pgrep nginx: nothing started from ${root} still runs`);
  });
});
