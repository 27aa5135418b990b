/**
 * The page side of deleting: the built site and the real app.js in jsdom, with the
 * endpoint mounted at /api/ of the static server (as the demo does) and fetch going over
 * real HTTP with the headers a browser adds. Controls appear only when api/health answers;
 * a delete or clear goes through confirm dialogs, then the page reloads on pages that no
 * longer show the deleted sessions.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { JSDOM, VirtualConsole } from 'jsdom';
import { buildLocked } from '../../src/app/build.js';
import { historyOps } from '../../src/app/history-edit.js';
import { readAllHistory } from '../../src/io/history-store.js';
import { siteAssets } from '../../src/render/assets.js';
import { apiHandler, mountApi } from '../../src/server/api.js';
import { serveStatic } from '../../src/server/static.js';
import { memoryLog, siteSettings } from '../helpers/api.js';
import { T0, writeSyntheticSite, type SyntheticSite } from '../helpers/site.js';
import { tempDir } from '../helpers/tmp.js';

interface Site {
  site: SyntheticSite;
  base: string;
}

/** The built site served on 127.0.0.1:0, with the endpoint at /api/ unless `api` is false. */
async function servedSite(t: TestContext, api: boolean, sessions = 40): Promise<Site> {
  const dir = await tempDir(t);
  const site = await writeSyntheticSite(dir, { sessions, users: 3, spanDays: 2, live: 2 });
  const settings = siteSettings(site.paths);
  const log = memoryLog();
  await buildLocked(settings, T0, log);
  const server = await serveStatic(site.paths.out, '127.0.0.1', 0);
  if (api)
    mountApi(
      server,
      apiHandler({
        ops: historyOps({ settings, log, now: () => T0 }),
        passwd: null,
        publicOrigin: null,
        warn: log.warn,
      }),
    );
  t.after(async () => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  });
  return { site, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` };
}

interface Page {
  w: JSDOM['window'];
  d: Document;
  confirms: string[];
  reloads: () => number;
  posts: { url: string; body: unknown; type: string | undefined }[];
}

const until = async (what: string, ok: () => boolean, ms = 30_000): Promise<void> => {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

/**
 * Loads page `rel` of the site into jsdom and runs app.js. fetch is Node's, with what a
 * browser adds to a same-origin request (Origin, Sec-Fetch-Site); `answers` are what the
 * user clicks in the confirm dialogs, in order (true when they run out).
 */
async function openPage(s: Site, rel: string, answers: boolean[] = [], fetchImpl?: typeof fetch): Promise<Page> {
  const url = new URL(rel, s.base).href;
  const html = await (await fetch(url)).text();
  let reloads = 0;
  const virtualConsole = new VirtualConsole();
  virtualConsole.on('jsdomError', (e) => {
    if (/navigation/i.test(e.message)) reloads++;
    else throw e;
  });
  const dom = new JSDOM(html, { url, runScripts: 'outside-only', virtualConsole });
  const w = dom.window;
  const confirms: string[] = [];
  const posts: Page['posts'] = [];
  (w as unknown as { confirm: (m: string) => boolean }).confirm = (m) => {
    confirms.push(m);
    return answers.shift() ?? true;
  };
  // The optional reason: none given.
  (w as unknown as { prompt: () => string }).prompt = () => '';
  const origin = new URL(s.base).origin;
  (w as unknown as { fetch: typeof fetch }).fetch =
    fetchImpl ??
    (async (input, init) => {
      const target = new URL(String(input));
      assert.equal(target.origin, origin, 'the page only talks to its own origin');
      const headers: Record<string, string> = {
        ...(init?.headers as Record<string, string>),
        Origin: origin,
        'Sec-Fetch-Site': 'same-origin',
      };
      if (init?.method === 'POST')
        posts.push({ url: target.pathname, body: JSON.parse(String(init.body)), type: headers['Content-Type'] });
      return fetch(target, { ...init, headers });
    });
  const app = (await siteAssets()).find((a) => a.path === 'assets/app.js')!.content.toString('utf8');
  w.eval(app);
  return { w, d: w.document, confirms, reloads: () => reloads, posts };
}

const bar = (d: Document) => d.querySelector('[data-delete-bar]') as HTMLElement;
const sessionBoxes = (d: Document) => [...d.querySelectorAll<HTMLInputElement>('.sel-session input')];
const click = (el: Element | null) => (el as HTMLElement).click();

describe('delete controls on the page', () => {
  test('with the endpoint: a checkbox per ended session, per group and for all; delete after a confirm naming the count', {
    timeout: 120_000,
  }, async (t) => {
    const s = await servedSite(t, true);
    const day = [...new Set(s.site.history.map((x) => x.connectedAt.slice(0, 10)))].sort().pop()!;
    const p = await openPage(s, `d/${day}/`);
    await until('the delete bar', () => !bar(p.d).hidden);
    const table = p.d.querySelector('table.history') as HTMLTableElement;
    const columns = table.tHead!.rows[0]!.cells.length;
    assert.equal(table.tHead!.rows[0]!.cells[0]!.className, 'c-select', 'a select column in front');
    let live = 0;
    for (const row of table.querySelectorAll('tbody tr')) {
      const first = (row as HTMLTableRowElement).cells[0]!;
      if (row.querySelector('td[data-session-id]')) {
        assert.equal((row as HTMLTableRowElement).cells.length, columns, 'every session row has the new cell');
        assert.equal(
          first.querySelector('.sel-session') !== null,
          row.classList.contains('ended'),
          'only ended sessions can be chosen',
        );
        if (row.classList.contains('active')) live++;
      } else assert.equal(first.colSpan, columns, 'info rows still span the table');
    }
    assert.ok(live > 0, 'the page shows a live session, which gets no checkbox');
    const boxes = sessionBoxes(p.d);
    assert.ok(boxes.length > 3, `some sessions to choose (${boxes.length})`);
    for (const b of p.d.querySelectorAll('.sel'))
      assert.ok(b.textContent && b.getAttribute('title'), 'each checkbox has a name');
    // One checkbox per row, named after its session: user and start.
    for (const row of table.querySelectorAll('tbody tr')) {
      const cell = (row as HTMLTableRowElement).cells[0]!;
      if (cell.className !== 'c-select') continue;
      const inputs = cell.querySelectorAll('input[type=checkbox]');
      assert.ok(inputs.length <= 1, 'at most one checkbox in the select column of a row');
      const box = inputs[0];
      if (!box) continue;
      const user = row.querySelector('th a')!.textContent!.trim();
      const start = row.querySelector('td.c-start')!.textContent!.trim();
      assert.equal(box.getAttribute('aria-label'), `Sitzung ${user}, ${start} auswählen`, 'named after the session');
    }
    const button = bar(p.d).querySelector('[data-delete-selected]') as HTMLButtonElement;
    assert.equal(button.disabled, true, 'nothing chosen yet');

    // A group's box chooses its ended sessions.
    const group = p.d.querySelector('.sel-group input') as HTMLInputElement;
    assert.ok(group, 'a day with several sessions of one user has a group box');
    // …under the group's expand control, saying what it selects.
    const groupLabel = group.closest('label')!;
    const head = group.closest('tr')!;
    assert.ok(group.closest('td.c-more') && head.classList.contains('head'), "in the head row's expand cell");
    const n = group.closest('tbody')!.querySelectorAll('.sel-session input').length;
    assert.equal(groupLabel.querySelector('.sel-text')?.textContent, 'ganzer Tag', 'its visible words');
    assert.equal(
      group.getAttribute('aria-label'),
      `Alle ${n} beendeten Sitzungen von ${head.querySelector('th a')!.textContent!.trim()} am ${day} auswählen`,
      'its name: the count, the user and the day',
    );
    group.click();
    const members = [...group.closest('tbody')!.querySelectorAll<HTMLInputElement>('.sel-session input')];
    assert.ok(members.length > 1 && members.every((m) => m.checked), 'the group is chosen');
    assert.equal(button.disabled, false);
    assert.equal(bar(p.d).querySelector('[data-delete-count]')!.textContent, `(${members.length})`);
    members[0]!.click();
    assert.equal(group.indeterminate, true, 'partly chosen');
    members[0]!.click();
    // Select all, then none.
    const all = p.d.querySelector('.sel-all input') as HTMLInputElement;
    all.click();
    assert.ok(
      boxes.every((b) => b.checked),
      'all chosen',
    );
    all.click();
    assert.ok(
      boxes.every((b) => !b.checked),
      'none chosen',
    );

    // Cancelled: nothing is sent.
    p.confirms.length = 0;
    const chosen = boxes.slice(0, 3);
    for (const b of chosen) b.click();
    const cancel = await openPage(s, `d/${day}/`, [false]);
    await until('the second page', () => !bar(cancel.d).hidden);
    for (const b of sessionBoxes(cancel.d).slice(0, 3)) b.click();
    click(bar(cancel.d).querySelector('[data-delete-selected]'));
    assert.deepEqual(cancel.confirms, [
      '3 ausgewählte Einträge löschen? Sie kommen in den Papierkorb und lassen sich wiederherstellen.',
    ]);
    assert.deepEqual(cancel.posts, [], 'cancelled: no request');

    // Confirmed: JSON POST, then a reload on rebuilt pages.
    const ids = chosen.map((b) => b.value);
    click(button);
    assert.deepEqual(p.confirms, [
      '3 ausgewählte Einträge löschen? Sie kommen in den Papierkorb und lassen sich wiederherstellen.',
    ]);
    assert.deepEqual(p.posts, [{ url: '/api/sessions/delete', body: { ids }, type: 'application/json' }]);
    assert.equal(bar(p.d).querySelector('[data-delete-status]')!.textContent, 'Wird gelöscht…');
    await until('the reload', () => p.reloads() === 1);
    const left = (await readAllHistory(s.site.paths.history)).map((x) => x.id);
    for (const id of ids) assert.ok(!left.includes(id), `${id} deleted`);
    const rebuilt = await readFile(join(s.site.paths.out, 'd', day, 'index.html'), 'utf8');
    for (const id of ids) assert.ok(!rebuilt.includes(id), `${id} no longer on the day page`);
  });

  test('clear all: two confirmations, the second naming the count; a "no" sends nothing', {
    timeout: 120_000,
  }, async (t) => {
    const s = await servedSite(t, true);
    const no = await openPage(s, '', [true, false]);
    await until('the delete bar', () => !bar(no.d).hidden);
    click(bar(no.d).querySelector('[data-delete-all]'));
    await until('the second question', () => no.confirms.length === 2);
    assert.deepEqual(no.confirms, [
      'Wirklich die GESAMTE History löschen? Laufende Verbindungen bleiben erhalten.',
      'Letzte Rückfrage: alle 40 beendeten Einträge der History löschen?',
    ]);
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(no.posts, [], 'no clear was sent');
    assert.equal((await readAllHistory(s.site.paths.history)).length, 40);

    const yes = await openPage(s, '');
    await until('the delete bar', () => !bar(yes.d).hidden);
    click(bar(yes.d).querySelector('[data-delete-all]'));
    await until('the reload', () => yes.reloads() === 1);
    assert.deepEqual(yes.posts, [
      { url: '/api/sessions/clear', body: { confirm: 'DELETE ALL', expectedCount: 40 }, type: 'application/json' },
    ]);
    assert.deepEqual(await readAllHistory(s.site.paths.history), []);

    // Nothing left: the second question is not asked.
    const empty = await openPage(s, '');
    await until('the delete bar', () => !bar(empty.d).hidden);
    click(bar(empty.d).querySelector('[data-delete-all]'));
    await until(
      'the answer',
      () => bar(empty.d).querySelector('[data-delete-status]')!.textContent === 'Die History ist leer.',
    );
    assert.equal(empty.confirms.length, 1);
  });

  test('one entry is counted in the singular: in both confirmations', { timeout: 120_000 }, async (t) => {
    const s = await servedSite(t, true, 1);
    const p = await openPage(s, '', [false, true, false]);
    await until('the delete bar', () => !bar(p.d).hidden);
    const boxes = sessionBoxes(p.d);
    assert.equal(boxes.length, 1);
    boxes[0]!.click();
    click(bar(p.d).querySelector('[data-delete-selected]'));
    click(bar(p.d).querySelector('[data-delete-all]'));
    await until('the last question', () => p.confirms.length === 3);
    assert.deepEqual(p.confirms, [
      '1 ausgewählten Eintrag löschen? Er kommt in den Papierkorb und lässt sich wiederherstellen.',
      'Wirklich die GESAMTE History löschen? Laufende Verbindungen bleiben erhalten.',
      'Letzte Rückfrage: den 1 beendeten Eintrag der History löschen?',
    ]);
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(p.posts, [], 'all answered no: nothing was sent');
  });

  test('a refusal is shown, and the page stays', { timeout: 120_000 }, async (t) => {
    const s = await servedSite(t, true);
    const p = await openPage(s, '');
    await until('the delete bar', () => !bar(p.d).hidden);
    const box = sessionBoxes(p.d)[0]!;
    box.value = 'deadbeef0000'; // a session deleted meanwhile by someone else
    box.click();
    click(bar(p.d).querySelector('[data-delete-selected]'));
    const status = bar(p.d).querySelector('[data-delete-status]')!;
    await until('the error', () => (status.textContent ?? '').startsWith('Löschen fehlgeschlagen'));
    assert.match(status.textContent ?? '', /no such session in the history: deadbeef0000/);
    assert.equal(p.reloads(), 0);
    assert.equal(
      (bar(p.d).querySelector('[data-delete-selected]') as HTMLButtonElement).disabled,
      false,
      'the user can try again',
    );
  });

  test('without the endpoint (auditors) no delete control appears at all', { timeout: 120_000 }, async (t) => {
    const s = await servedSite(t, false);
    const check = async (p: Page, what: string): Promise<void> => {
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(bar(p.d).hidden, true, `${what}: the bar stays hidden`);
      assert.equal(p.d.querySelectorAll('.c-select, .sel').length, 0, `${what}: no checkbox column`);
    };
    await check(await openPage(s, ''), '404 from /api/health');
    const html200 = async () =>
      new Response('<!doctype html><title>fallback</title>', { status: 200, headers: { 'Content-Type': 'text/html' } });
    await check(await openPage(s, '', [], html200), 'an HTML fallback page');
    const down = async (): Promise<Response> => {
      throw new TypeError('fetch failed');
    };
    await check(await openPage(s, '', [], down), 'no server');
    const notOk = async () =>
      new Response('{"ok":false}', { status: 200, headers: { 'Content-Type': 'application/json' } });
    await check(await openPage(s, '', [], notOk), 'a health answer that is not ok');
    // And the markup holds no visible control: hidden by the attribute, no checkbox in the HTML.
    const html = await readFile(join(s.site.paths.out, 'index.html'), 'utf8');
    assert.match(html, /<div class="delete-bar" hidden data-delete-bar/);
    assert.ok(!/\bsel-(session|group|all)\b/.test(html), 'no select checkbox in the static markup');
  });
});
