import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { userSlug } from '../../src/core/slug.js';
import {
  ARCHIVE_URL,
  dayUrl,
  hrefFrom,
  LIVE_URL,
  outputFile,
  partUrl,
  rootOf,
  userMonthUrl,
  viewRoot,
} from '../../src/render/urls.js';

/** Where a relative link on page `from` leads. */
const resolve = (from: string, href: string): string => new URL(href, `http://x${from}`).pathname;

describe('URL shapes', () => {
  test('viewRoot', () => {
    assert.equal(viewRoot(null, 'all'), '/');
    assert.equal(viewRoot(null, 'active'), '/active/');
    assert.equal(viewRoot(null, 'ended'), '/ended/');
    assert.equal(viewRoot('alice', 'all'), '/u/alice/');
    assert.equal(viewRoot('alice', 'active'), '/u/alice/active/');
    assert.equal(viewRoot('alice', 'ended'), '/u/alice/ended/');
  });

  test('dayUrl: one page set per day, no status variant', () => {
    assert.equal(dayUrl('2026-11-25'), '/d/2026-11-25/');
    assert.equal(dayUrl('2026-11-25', 1), '/d/2026-11-25/');
    assert.equal(dayUrl('2026-11-25', 2), '/d/2026-11-25/p2/');
    assert.equal(dayUrl('2026-11-25', 13), '/d/2026-11-25/p13/');
  });

  test('userMonthUrl: one page set per month, under the user page, no status variant', () => {
    assert.equal(userMonthUrl('alice', '2026-11'), '/u/alice/m/2026-11/');
    assert.equal(userMonthUrl('alice', '2026-11', 1), '/u/alice/m/2026-11/');
    assert.equal(userMonthUrl('alice', '2026-11', 3), '/u/alice/m/2026-11/p3/');
    assert.ok(
      userMonthUrl('alice', '2026-11').startsWith(viewRoot('alice', 'all')),
      'a month lives below the user page',
    );
  });

  test('partUrl: part 1 is the base itself', () => {
    assert.equal(partUrl('/active/', 1), '/active/');
    assert.equal(partUrl('/active/', 2), '/active/p2/');
    assert.equal(partUrl(LIVE_URL, 1), '/live/');
    assert.equal(partUrl(LIVE_URL, 10), '/live/p10/');
    assert.equal(partUrl('/', 2), '/p2/');
  });

  test('fixed pages', () => {
    assert.equal(ARCHIVE_URL, '/archive/');
    assert.equal(LIVE_URL, '/live/');
  });

  test('rootOf: one "../" per path segment', () => {
    const cases: [string, string][] = [
      ['/', ''],
      ['/active/', '../'],
      ['/u/alice/', '../../'],
      ['/d/2026-11-25/p2/', '../../../'],
      ['/u/alice/ended/', '../../../'],
      ['/u/alice/m/2026-11/p2/', '../../../../../'],
    ];
    for (const [url, root] of cases) {
      assert.equal(rootOf(url), root, url);
      assert.equal(resolve(url, root || './'), '/', url);
    }
  });

  test('outputFile', () => {
    assert.equal(outputFile('/'), 'index.html');
    assert.equal(outputFile('/active/'), 'active/index.html');
    assert.equal(outputFile('/u/alice/m/2026-11/p2/'), 'u/alice/m/2026-11/p2/index.html');
    assert.equal(outputFile(ARCHIVE_URL), 'archive/index.html');
  });
});

describe('hrefFrom', () => {
  const odd = userSlug('Jürgen Müller');
  const urls = [
    '/',
    '/active/',
    '/active/p2/',
    '/ended/',
    ARCHIVE_URL,
    LIVE_URL,
    partUrl(LIVE_URL, 2),
    dayUrl('2026-11-25'),
    dayUrl('2026-11-25', 2),
    dayUrl('2026-11-24', 3),
    viewRoot('alice', 'all'),
    viewRoot('alice', 'active'),
    viewRoot('alice', 'ended'),
    viewRoot(odd, 'all'),
    viewRoot(odd, 'ended'),
    userMonthUrl('alice', '2026-11'),
    userMonthUrl('alice', '2026-11', 2),
    userMonthUrl(odd, '2026-10'),
    userMonthUrl(odd, '2026-10', 4),
  ];

  test('known answers', () => {
    assert.equal(hrefFrom('/', '/'), './');
    assert.equal(hrefFrom('/', '/active/'), 'active/');
    assert.equal(hrefFrom('/active/', '/'), '../');
    assert.equal(hrefFrom('/active/', '/active/'), '../active/');
    assert.equal(hrefFrom('/u/alice/', '/d/2026-11-25/'), '../../d/2026-11-25/');
    assert.equal(hrefFrom('/d/2026-11-25/p2/', '/d/2026-11-25/'), '../../../d/2026-11-25/');
  });

  test(`every pair among ${urls.length} page urls resolves to its target`, () => {
    let pairs = 0;
    for (const from of urls) {
      for (const to of urls) {
        const href = hrefFrom(from, to);
        assert.ok(!href.startsWith('/'), `relative, not absolute: ${href}`);
        assert.ok(!href.includes('//'), `no empty segment: ${href}`);
        assert.equal(resolve(from, href), to, `${from} → ${to} via ${href}`);
        pairs++;
      }
    }
    assert.equal(pairs, urls.length ** 2);
  });

  test('links stay correct when the site is served below a path prefix', () => {
    for (const from of urls) {
      for (const to of urls) {
        const href = hrefFrom(from, to);
        assert.equal(new URL(href, `http://x/vpn/status${from}`).pathname, `/vpn/status${to}`, `${from} → ${to}`);
      }
    }
  });

  test('every page url is a "/…/" path of safe segments', () => {
    for (const url of urls) assert.match(url, /^\/(?:[A-Za-z0-9_~-][A-Za-z0-9._~-]*\/)*$/, url);
  });
});
