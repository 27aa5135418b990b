/**
 * The trash page: the built site and the real app.js in jsdom, with the endpoint mounted at
 * /api/ of the static server (as the demo does) and fetch going over real HTTP with the
 * headers a browser adds. The page is a shell: its list comes from GET api/trash and is
 * drawn as text; Restore (one entry, then a selection) brings the sessions back into the
 * history and onto their day page. Without the endpoint it says why it is empty, and no
 * page links to it. While sessions are in the trash, no file of the built site holds them.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { describe, test, type TestContext } from 'node:test';
import { JSDOM, VirtualConsole } from 'jsdom';
import { buildLocked } from '../../src/app/build.js';
import { historyOps } from '../../src/app/history-edit.js';
import { formatDateTime } from '../../src/core/format.js';
import { LABELS } from '../../src/core/i18n.js';
import { sessionId, type Session } from '../../src/core/session.js';
import { readAllHistory } from '../../src/io/history-store.js';
import { trashPaths } from '../../src/io/trash.js';
import { siteAssets } from '../../src/render/assets.js';
import { apiHandler, mountApi } from '../../src/server/api.js';
import { serveStatic } from '../../src/server/static.js';
import { memoryLog, siteSettings } from '../helpers/api.js';
import type { SessionJson } from '../helpers/cli.js';
import { findTraces, traces, uniqueAmong, type Needle } from '../helpers/leaks.js';
import { dayIn, plus, T0, TZ, writeSyntheticSite, type SyntheticSite } from '../helpers/site.js';
import { tempDir } from '../helpers/tmp.js';

const T = LABELS.de;
/** A common name that would run a script if the page put it in as HTML. */
const HOSTILE = '<img src=x onerror=alert(1)>';

interface Site {
  site: SyntheticSite;
  base: string;
  /** The endpoint's clock (trash and audit times); the test moves it. */
  clock: { now: string };
}

/** The session at `index` of the history, renamed to HOSTILE (its id follows the new name). */
function hostile(history: Session[], index: number): Session[] {
  return history.map((s, i) => {
    if (i !== index) return s;
    const renamed = { ...s, commonName: HOSTILE, user: HOSTILE, username: null };
    return {
      ...renamed,
      id: sessionId(renamed.instance, renamed.commonName, renamed.connectedAt, renamed.realAddress, renamed.realPort),
    };
  });
}

/** The built site served on 127.0.0.1:0, with the endpoint at /api/ unless `api` is false. */
async function servedSite(t: TestContext, api: boolean): Promise<Site> {
  const dir = await tempDir(t);
  const site = await writeSyntheticSite(dir, {
    sessions: 40,
    users: 3,
    spanDays: 2,
    live: 2,
    mapHistory: (h) => hostile(h, 3),
  });
  const settings = siteSettings(site.paths);
  const log = memoryLog();
  await buildLocked(settings, T0, log);
  const clock = { now: T0 };
  const server = await serveStatic(site.paths.out, '127.0.0.1', 0);
  if (api)
    mountApi(
      server,
      apiHandler({
        ops: historyOps({ settings, log, now: () => clock.now }),
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
  return { site, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, clock };
}

interface Page {
  d: Document;
  posts: { url: string; body: unknown }[];
}

const until = async (what: string, ok: () => boolean, ms = 30_000): Promise<void> => {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

/** What a browser adds to a same-origin request from the page. */
const sameOrigin = (s: Site): Record<string, string> => ({
  Origin: new URL(s.base).origin,
  'Sec-Fetch-Site': 'same-origin',
});

/** Page `rel` of the site in jsdom with app.js run; fetch is Node's, over real HTTP. */
/** What the user answers when asked for a reason, in order ('' when they run out). */
const reasons: string[] = [];

async function openPage(s: Site, rel: string): Promise<Page> {
  const url = new URL(rel, s.base).href;
  const html = await (await fetch(url)).text();
  const virtualConsole = new VirtualConsole();
  virtualConsole.on('jsdomError', (e) => {
    throw e;
  });
  const dom = new JSDOM(html, { url, runScripts: 'outside-only', virtualConsole });
  const w = dom.window;
  (w as unknown as { confirm: () => boolean }).confirm = () => {
    throw new Error('the trash page asks no question');
  };
  // The one question it asks: why (optional), for the change log.
  (w as unknown as { prompt: () => string }).prompt = () => reasons.shift() ?? '';
  const posts: Page['posts'] = [];
  (w as unknown as { fetch: typeof fetch }).fetch = async (input, init) => {
    const target = new URL(String(input));
    assert.equal(target.origin, new URL(s.base).origin, 'the page only talks to its own origin');
    if (init?.method === 'POST') posts.push({ url: target.pathname, body: JSON.parse(String(init.body)) });
    return fetch(target, { ...init, headers: { ...(init?.headers as Record<string, string>), ...sameOrigin(s) } });
  };
  const app = (await siteAssets()).find((a) => a.path === 'assets/app.js')!.content.toString('utf8');
  w.eval(app);
  return { d: w.document, posts };
}

async function deleteIds(s: Site, ids: string[]): Promise<void> {
  const r = await fetch(new URL('api/sessions/delete', s.base), {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...sameOrigin(s) },
    body: JSON.stringify({ ids }),
  });
  assert.equal(r.status, 200, await r.text());
}

const status = (d: Document): string => d.querySelector('[data-trash-status]')?.textContent ?? '';
const rows = (d: Document): HTMLTableRowElement[] => [
  ...d.querySelectorAll<HTMLTableRowElement>('[data-trash-rows] tr'),
];
const cells = (tr: HTMLTableRowElement): string[] => [...tr.cells].slice(1, -1).map((c) => c.textContent ?? '');
const wall = (iso: string | null): string => (iso === null ? '–' : formatDateTime(iso, TZ));
const asJson = (s: Session): SessionJson => ({ ...s, durationS: s.durationS ?? 0, status: 'ended' });

/** Traces a session leaves in the built site that none of `others` leaves: its id, times, and a hostile name. */
function tracesOf(gone: Session[], others: Session[]): Needle[] {
  const kept = others.map(asJson);
  return [
    ...gone.flatMap((s) => traces(asJson(s), s.id, false)).filter((n) => uniqueAmong(n, kept)),
    ...(gone.some((s) => s.commonName === HOSTILE)
      ? [
          { what: 'the hostile name', text: HOSTILE },
          { what: 'the hostile name, escaped', text: '&lt;img src=x onerror=alert(1)&gt;' },
        ]
      : []),
  ];
}

describe('the trash page', () => {
  test('without the endpoint: no link to it, and the page says why it lists nothing', async (t) => {
    const s = await servedSite(t, false);
    const day = dayIn(s.site.history[0]!.connectedAt);
    const dayPage = await openPage(s, `d/${day}/`);
    const link = dayPage.d.querySelector('[data-delete-bar] a.trash-link');
    assert.ok(link, 'the link is in the delete bar');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((dayPage.d.querySelector('[data-delete-bar]') as HTMLElement).hidden, true, 'which stays hidden');

    const p = await openPage(s, 'trash/');
    await until('the page to say why', () => status(p.d) === T.trashUnavailable);
    assert.equal((p.d.querySelector('[data-trash-status]') as HTMLElement).hidden, false);
    assert.equal((p.d.querySelector('[data-trash-list]') as HTMLElement).hidden, true, 'no table');
    assert.equal((p.d.querySelector('[data-trash-bar]') as HTMLElement).hidden, true, 'no restore button');
    assert.equal(rows(p.d).length, 0);
    assert.equal((p.d.querySelector('.trash-note') as HTMLElement).hidden, true, 'the no-JS note is hidden with JS');
  });

  test('lists the deleted entries as text, newest first; Restore (one, then the selection) brings them back', {
    timeout: 120_000,
  }, async (t) => {
    const s = await servedSite(t, true);
    const evil = s.site.history.find((x) => x.commonName === HOSTILE)!;
    const others = s.site.history.filter((x) => x.id !== evil.id);
    const [first, second] = [others[5]!, others[20]!];
    const gone = [first, evil, second];

    // The day page links to the trash once the endpoint answers.
    const day = dayIn(evil.connectedAt);
    const dayPage = await openPage(s, `d/${day}/`);
    await until('the delete bar', () => !(dayPage.d.querySelector('[data-delete-bar]') as HTMLElement).hidden);
    const link = dayPage.d.querySelector('[data-delete-bar] a.trash-link') as HTMLAnchorElement;
    assert.equal(new URL(link.href).pathname, '/trash/', 'next to the delete controls');
    assert.equal(link.textContent, T.trash);

    // The search sees the sessions while they are in the history.
    const needles = tracesOf(
      gone,
      s.site.history.filter((x) => !gone.includes(x)),
    );
    const before = await findTraces(s.site.paths.out, needles);
    for (const x of gone)
      assert.ok(
        before.some((h) => h.includes(`(${x.id})`)),
        `${x.id} is in the site before`,
      );

    s.clock.now = plus(T0, 60);
    await deleteIds(s, [first.id]);
    s.clock.now = plus(T0, 120);
    await deleteIds(s, [evil.id, second.id]);
    // The change log records which sessions left, and /ledger/ shows their ids: nothing else of them.
    assert.deepEqual(
      (await findTraces(s.site.paths.out, needles)).filter((h) => !h.startsWith('ledger/index.html: id of ')),
      [],
      'no file of the built site holds a trashed session',
    );

    const p = await openPage(s, 'trash/');
    await until('the list', () => rows(p.d).length === 3);
    assert.equal(status(p.d), '3 Einträge im Papierkorb.');
    assert.equal(p.d.querySelector('img'), null, 'the hostile name made no element');
    const byId = new Map(gone.map((x) => [x.id, x]));
    const listed = rows(p.d).map((tr) => (tr.querySelector('[data-restore-one]') as HTMLButtonElement).value);
    assert.deepEqual(new Set(listed), new Set(byId.keys()));
    assert.equal(listed[2], first.id, 'the one deleted first comes last');
    for (const tr of rows(p.d)) {
      const x = byId.get((tr.querySelector('[data-restore-one]') as HTMLButtonElement).value)!;
      const at = x.id === first.id ? plus(T0, 60) : plus(T0, 120);
      assert.deepEqual(cells(tr), [
        x.user,
        x.commonName,
        x.realAddress,
        wall(x.connectedAt),
        wall(x.endedAt),
        wall(at),
        '–', // deleted without authentication (as the demo runs)
      ]);
      assert.equal(tr.querySelector('[data-restore-one]')?.textContent, 'Wiederherstellen');
    }

    // One entry.
    const button = p.d.querySelector('[data-restore-selected]') as HTMLButtonElement;
    assert.equal(button.disabled, true, 'nothing selected yet');
    const evilRow = rows(p.d).find((tr) => tr.querySelector('th')?.textContent === HOSTILE)!;
    reasons.push('  deleted by mistake\n');
    (evilRow.querySelector('[data-restore-one]') as HTMLButtonElement).click();
    await until('the list without it', () => rows(p.d).length === 2);
    assert.deepEqual(p.posts, [
      { url: '/api/sessions/restore', body: { ids: [evil.id], reason: 'deleted by mistake' } },
    ]);
    const log = (await readFile(trashPaths(s.site.paths.history).audit, 'utf8')).trim().split('\n');
    assert.equal(JSON.parse(log.at(-1) as string).reason, 'deleted by mistake', 'kept in the change log');
    assert.equal(status(p.d), '1 Eintrag wiederhergestellt. 2 Einträge im Papierkorb.');
    assert.ok(
      (await readAllHistory(s.site.paths.history)).some((x) => x.id === evil.id),
      'back in the history',
    );
    const html = await (await fetch(new URL(`d/${day}/`, s.base))).text();
    assert.ok(html.includes(`data-session-id="${evil.id}"`), 'and on its day page');

    // The selection.
    const all = p.d.querySelector('[data-trash-all]') as HTMLInputElement;
    all.click();
    assert.equal(button.disabled, false);
    assert.equal(p.d.querySelector('[data-restore-count]')?.textContent, '(2)');
    button.click();
    await until('the empty trash', () => rows(p.d).length === 0);
    assert.deepEqual(p.posts[1], { url: '/api/sessions/restore', body: { ids: [second.id, first.id] } });
    assert.equal(status(p.d), '2 Einträge wiederhergestellt. Der Papierkorb ist leer.');
    assert.equal((p.d.querySelector('[data-trash-list]') as HTMLElement).hidden, true);
    const history = new Set((await readAllHistory(s.site.paths.history)).map((x) => x.id));
    assert.ok(
      gone.every((x) => history.has(x.id)),
      'every entry is back in the history',
    );
  });

  test('a refused restore says why and leaves the list as it was', { timeout: 120_000 }, async (t) => {
    const s = await servedSite(t, true);
    const target = s.site.history[7]!;
    await deleteIds(s, [target.id]);
    const p = await openPage(s, 'trash/');
    await until('the list', () => rows(p.d).length === 1);
    // Restored elsewhere meanwhile (another admin, curl): the endpoint answers 404 for it.
    const r = await fetch(new URL('api/sessions/restore', s.base), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...sameOrigin(s) },
      body: JSON.stringify({ ids: [target.id] }),
    });
    assert.equal(r.status, 200);
    (p.d.querySelector('[data-restore-one]') as HTMLButtonElement).click();
    await until('the reason', () => status(p.d).startsWith('Wiederherstellen fehlgeschlagen: '));
    assert.match(status(p.d), /not in the trash/);
    assert.equal(rows(p.d).length, 1, 'the list stays');
    assert.equal(
      (p.d.querySelector('[data-restore-one]') as HTMLButtonElement).disabled,
      false,
      'and can be tried again',
    );
  });
});
