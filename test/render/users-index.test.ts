import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LABELS } from '../../src/core/i18n.js';
import { renderPages } from '../../src/render/eleventy.js';
import { FILTER_USERS_MAX, filterModel, type KnownUser, type ModelContext } from '../../src/render/models.js';
import { USERS_PER_PAGE, usersPages } from '../../src/render/pages.js';
import { siteModel } from './fixtures.js';

const ctx: ModelContext = { lang: 'de', timeZone: 'UTC', t: LABELS.de, aliases: {}, now: '2026-11-26T12:00:00Z' };
const usersOf = (n: number): KnownUser[] =>
  Array.from({ length: n }, (_, i) => ({
    user: `user${String(i).padStart(4, '0')}`,
    alias: i === 1 ? '<b>Chef</b>' : null,
  }));

test('a filter lists every user up to the limit, and none but the current one past it', () => {
  const few = filterModel('/', usersOf(FILTER_USERS_MAX), { user: null, status: 'all' }, ctx);
  assert.equal(few.users.length, FILTER_USERS_MAX + 1, 'the users plus "(kein Filter)"');
  assert.equal(few.allUsers, null, 'no users index link while all fit');

  const many = filterModel('/u/user0007/', usersOf(FILTER_USERS_MAX + 1), { user: 'user0007', status: 'ended' }, ctx);
  assert.deepEqual(
    many.users.map((o) => [o.value, o.selected]),
    [
      ['', false],
      ['user0007', true],
    ],
  );
  assert.deepEqual(many.allUsers, { href: '../../users/', label: `Alle Benutzer (${FILTER_USERS_MAX + 1})` });
});

test('the users index is split into pages that link each user and each other', () => {
  const users = usersOf(USERS_PER_PAGE * 2 + 5);
  const pages = usersPages(users, ctx);
  // Links are relative to each page: resolve them to compare the paths they lead to.
  const at = (page: string, href: string | undefined): string | null =>
    href === undefined ? null : new URL(href, `http://x${page}`).pathname;
  assert.deepEqual(
    pages.map((p) => [p.url, p.users.length, at(p.url, p.prev?.href), at(p.url, p.next?.href)]),
    [
      ['/users/', USERS_PER_PAGE, null, '/users/p2/'],
      ['/users/p2/', USERS_PER_PAGE, '/users/', '/users/p3/'],
      ['/users/p3/', 5, '/users/p2/', null],
    ],
  );
  assert.deepEqual(pages[0]?.users[1], { href: '../u/user0001/', label: 'user0001 (<b>Chef</b>)' });
});

test('the users index renders its links with the alias escaped', async () => {
  const [page] = usersPages(usersOf(3), ctx);
  assert.ok(page, 'one users page');
  const html = (await renderPages(siteModel('de'), [page])).get('/users/') ?? '';
  assert.match(html, /<h2 id="page-heading">Alle Benutzer<\/h2>/);
  assert.match(html, /<a href="\.\.\/u\/user0001\/">user0001 \(&lt;b&gt;Chef&lt;\/b&gt;\)<\/a>/);
  assert.equal((html.match(/<li><a href="\.\.\/u\/user\d{4}\/">/g) ?? []).length, 3, 'one link per user');
});
