import assert from 'node:assert/strict';
import { ledgerPage } from '../../src/render/ledger-page.js';
import { describe, test } from 'node:test';
import { dayOf, formatDateTime } from '../../src/core/format.js';
import { LABELS } from '../../src/core/i18n.js';
import { sessionId, type EndReason, type Session } from '../../src/core/session.js';
import type { Lang } from '../../src/core/settings.js';
import { userSlug } from '../../src/core/slug.js';
import { isoFromMs } from '../../src/core/time.js';
import {
  aliasOf,
  filterModel,
  historyRow,
  liveRow,
  type KnownUser,
  type ModelContext,
} from '../../src/render/models.js';
import {
  archivePage,
  lookupPage,
  anomaliesPage,
  dashboardMorePages,
  dashboardPage,
  dayPages,
  LIVE_ON_DASHBOARD,
  LIVE_PER_PAGE,
  livePages,
  ROOT_ROWS,
  ROWS_PER_PAGE,
  USER_TOTAL_DAYS,
  userMonthPages,
  userMorePages,
  userPage,
  viewRootPages,
} from '../../src/render/pages.js';
import { dayUrl, userMonthUrl, viewRoot } from '../../src/render/urls.js';
import type { HistoryGroup, HistoryPage, HistoryRow, PageModel } from '../../src/render/view-model.js';
import { randomInt, seededRng } from '../helpers/random.js';
import { sampleSession } from '../helpers/sessions.js';

const NOW = '2026-11-26T16:00:00Z';
const TZ = 'Europe/Berlin';
const ALIASES: Record<string, string> = { alice: 'Alice A.', 'cn-bob': 'Bobby', 'carol-login': 'Caro' };

function ctxFor(lang: Lang, aliases: Record<string, string> = ALIASES): ModelContext {
  return { lang, timeZone: TZ, t: LABELS[lang], aliases, now: NOW };
}
const DE = ctxFor('de');
const EN = ctxFor('en');

interface Spec {
  user: string;
  at: string;
  /** null: still open. */
  seconds?: number | null;
  cn?: string;
  username?: string | null;
  instance?: string;
  rx?: number | null;
  tx?: number | null;
  reason?: EndReason;
}

let port = 20000;
/** A session with a unique id: ended after `seconds` (default 600) or open (`seconds: null`). */
function mk(spec: Spec): Session {
  const p = port++;
  const instance = spec.instance ?? 'udp';
  const cn = spec.cn ?? spec.user;
  const username = spec.username !== undefined ? spec.username : cn === spec.user ? null : spec.user;
  const open = spec.seconds === null;
  const seconds = spec.seconds ?? 600;
  const end = isoFromMs(Date.parse(spec.at) + seconds * 1000);
  return sampleSession({
    id: sessionId(instance, cn, spec.at, '203.0.113.9', p),
    instance,
    user: spec.user,
    commonName: cn,
    username,
    realAddress: '203.0.113.9',
    realPort: p,
    connectedAt: spec.at,
    lastSeenAt: open ? NOW : end,
    endedAt: open ? null : end,
    durationS: open ? null : seconds,
    bytesReceived: spec.rx === undefined ? 1_234_567 : spec.rx,
    bytesSent: spec.tx === undefined ? 3049 : spec.tx,
    endReason: open ? null : (spec.reason ?? 'disconnected'),
  });
}

/** `n` sessions, one minute apart going back from `from`, each of its own user unless `user` is given. */
function many(n: number, from: string, over: Partial<Spec> = {}): Session[] {
  return Array.from({ length: n }, (_, i) =>
    mk({ user: `user${String(i).padStart(3, '0')}`, at: isoFromMs(Date.parse(from) - i * 60_000), ...over }),
  );
}

/** Where a relative link on page `from` leads. */
const resolve = (from: string, href: string): string => new URL(href, `http://x${from}`).pathname;

const rowsOf = (groups: HistoryGroup[]): HistoryRow[] => groups.flatMap((g) => [g.head, ...g.others]);
const rowIds = (groups: HistoryGroup[]): string[] => rowsOf(groups).map((r) => r.id);
/** `shown` holds each of `expected`'s sessions exactly once and nothing else (a short diff when not). */
function assertEachOnce(shown: string[], expected: Session[], what: string): void {
  const want = new Set(expected.map((s) => s.id));
  const seen = new Set<string>();
  const duplicates = shown.filter((id) => seen.has(id) || !seen.add(id));
  const extra = [...seen].filter((id) => !want.has(id));
  const missing = [...want].filter((id) => !seen.has(id));
  assert.deepEqual({ missing, extra, duplicates }, { missing: [], extra: [], duplicates: [] }, what);
  assert.equal(shown.length, expected.length, what);
}

const users: KnownUser[] = [
  { user: 'alice', alias: 'Alice A.' },
  { user: 'bob', alias: 'Bobby' },
  { user: 'Jürgen M/..', alias: null },
];

describe('history and live rows', () => {
  test('an open session has no end, no duration and no byte counts in history', () => {
    const s = mk({ user: 'alice', at: '2026-11-26T10:00:00Z', seconds: null });
    for (const ctx of [DE, EN]) {
      const r = historyRow(s, '/', ctx);
      assert.equal(r.end, null);
      assert.equal(r.duration, null);
      assert.equal(r.bytesIn, '');
      assert.equal(r.bytesOut, '');
      assert.equal(r.status, 'active');
      assert.equal(r.endReason, null);
      assert.equal(r.start, '2026-11-26 11:00:00');
      assert.equal(r.day, '2026-11-26');
    }
  });

  test('an ended session shows its end, duration, bytes and end reason', () => {
    const s = mk({ user: 'alice', at: '2026-11-25T22:30:00Z', seconds: 3750, rx: 1_234_567, tx: 999 });
    const de = historyRow(s, '/', DE);
    assert.equal(de.start, '2026-11-25 23:30:00');
    assert.equal(de.end, '2026-11-26 00:32:30');
    assert.equal(de.day, '2026-11-25', 'the day it started');
    assert.equal(de.duration, '1 Std, 2 Min, 30 Sek');
    assert.equal(de.bytesIn, '1,2 MB');
    assert.equal(de.bytesOut, '999 B');
    assert.equal(de.status, 'ended');
    assert.equal(de.endReason, 'getrennt');
    const en = historyRow(s, '/', EN);
    assert.equal(en.duration, '1 h 2 min 30 s');
    assert.equal(en.bytesIn, '1.2 MB');
    assert.equal(en.endReason, 'disconnected');
    assert.equal(historyRow({ ...s, endReason: 'server-stopped' }, '/', DE).endReason, 'Server gestoppt');
    assert.equal(historyRow({ ...s, endReason: 'server-stopped' }, '/', EN).endReason, 'server stopped');
  });

  test('an ended session without a recorded duration gets it from its times; unknown bytes show "–"', () => {
    const s = {
      ...mk({ user: 'alice', at: '2026-11-25T10:00:00Z', seconds: 90 }),
      durationS: null,
      bytesReceived: null,
      bytesSent: null,
    };
    const r = historyRow(s, '/', DE);
    assert.equal(r.duration, '1 Min, 30 Sek');
    assert.equal(r.bytesIn, '–');
    assert.equal(r.bytesOut, '–');
  });

  test("info holds what the row's columns do not show, the same whether open or ended", () => {
    const ended = mk({ user: 'bob', cn: 'cn-bob', at: '2026-11-26T10:00:00Z', seconds: 60 });
    const open = { ...ended, endedAt: null, durationS: null, endReason: null, lastSeenAt: NOW };
    const want = {
      commonName: 'cn-bob',
      username: 'bob',
      port: String(ended.realPort),
      protocol: 'udp4',
      clientId: '0',
      peerId: '0',
      cipher: 'AES-256-GCM',
      instance: 'udp',
    };
    assert.deepEqual(historyRow(ended, '/', EN).info, want, 'ended history row');
    assert.deepEqual(historyRow(open, '/', EN).info, want, 'open history row');
    assert.deepEqual(liveRow(open, '/', EN).info, want, 'live row');
  });

  test('info leaves out the columns: public IP, tunnel addresses, start, end, end reason', () => {
    const s = mk({ user: 'alice', at: '2026-11-25T22:30:00Z', seconds: 3750, reason: 'server-stopped' });
    for (const ctx of [DE, EN]) {
      const row = historyRow(s, '/', ctx);
      // What is left out is in the columns, not lost.
      const values = Object.values(row.info);
      for (const v of [row.realAddress, row.virtualAddress, row.virtualIpv6, row.start, row.end, row.endReason]) {
        assert.ok(v !== null && v !== '', `${ctx.lang}: the row's columns show ${String(v)}`);
        assert.ok(!values.includes(v), `${ctx.lang}: ${v} is a column, not in the info`);
      }
    }
  });

  test('info: protocol null when unknown (the line is left out), "–" for the rest of what is unknown', () => {
    const s = {
      ...mk({ user: 'alice', at: '2026-11-26T10:00:00Z' }),
      protocol: null,
      realPort: null,
      clientId: null,
      peerId: null,
      cipher: null,
      virtualIpv6: null,
    };
    const row = historyRow(s, '/', EN);
    assert.deepEqual(row.info, {
      commonName: 'alice',
      username: '–',
      port: '–',
      protocol: null,
      clientId: '–',
      peerId: '–',
      cipher: '–',
      instance: 'udp',
    });
    assert.equal(row.virtualIpv6, null);
  });

  test('the user link leads to the user page from any page', () => {
    const s = mk({ user: 'Jürgen M/..', at: '2026-11-26T10:00:00Z' });
    for (const page of ['/', '/d/2026-11-26/p2/', '/u/alice/ended/', '/u/alice/m/2026-11/p2/']) {
      assert.equal(resolve(page, historyRow(s, page, DE).userHref), viewRoot(userSlug('Jürgen M/..'), 'all'));
    }
  });
});

describe('aliases', () => {
  const who = (user: string, commonName: string, username: string | null) => ({ user, commonName, username });

  test('found by user, by common name or by username, in that order', () => {
    const aliases = { u: 'by user', cn: 'by cn', login: 'by username' };
    assert.equal(aliasOf(who('u', 'cn', 'login'), aliases), 'by user');
    assert.equal(aliasOf(who('x', 'cn', 'login'), aliases), 'by cn');
    assert.equal(aliasOf(who('x', 'y', 'login'), aliases), 'by username');
    assert.equal(aliasOf(who('x', 'y', null), aliases), null);
    assert.equal(aliasOf(who('x', 'y', 'z'), {}), null);
  });

  test('rows carry the alias: by user (alice) and by common name (bob, cn-bob)', () => {
    assert.equal(historyRow(mk({ user: 'alice', at: '2026-11-26T10:00:00Z' }), '/', DE).alias, 'Alice A.');
    assert.equal(historyRow(mk({ user: 'bob', cn: 'cn-bob', at: '2026-11-26T10:00:00Z' }), '/', DE).alias, 'Bobby');
    assert.equal(historyRow(mk({ user: 'dave', at: '2026-11-26T10:00:00Z' }), '/', DE).alias, null);
  });

  test("names of Object.prototype's members have no alias", () => {
    for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf']) {
      assert.equal(aliasOf(who(name, name, name), {}), null, name);
      assert.equal(aliasOf(who(name, name, name), ALIASES), null, name);
    }
    assert.equal(aliasOf(who('constructor', 'x', null), { constructor: 'Con' }), 'Con');
  });
});

describe('filterModel', () => {
  test('"(kein Filter)" first, the current choices selected, links to the view roots', () => {
    for (const page of ['/u/bob/ended/', '/d/2026-11-25/p2/']) {
      const f = filterModel(page, users, { user: 'bob', status: 'ended' }, DE);
      assert.deepEqual(
        f.users.map((o) => [o.value, o.label, o.selected]),
        [
          ['', '(kein Filter)', false],
          ['alice', 'alice (Alice A.)', false],
          ['bob', 'bob (Bobby)', true],
          ['Jürgen M/..', 'Jürgen M/..', false],
        ],
      );
      assert.deepEqual(
        f.users.map((o) => resolve(page, o.href)),
        ['/ended/', '/u/alice/ended/', '/u/bob/ended/', `/u/${userSlug('Jürgen M/..')}/ended/`],
      );
      assert.deepEqual(
        f.statuses.map((o) => [o.value, o.label, o.selected, resolve(page, o.href)]),
        [
          ['all', 'alle', false, '/u/bob/'],
          ['active', 'nur aktiv', false, '/u/bob/active/'],
          ['ended', 'nur beendet', true, '/u/bob/ended/'],
        ],
      );
    }
  });

  test('no user chosen: "(no filter)" selected, statuses lead to the all-users views', () => {
    const f = filterModel('/', users, { user: null, status: 'all' }, EN);
    assert.equal(f.users[0]?.label, '(no filter)');
    assert.deepEqual(
      f.users.filter((o) => o.selected).map((o) => o.value),
      [''],
    );
    assert.deepEqual(
      f.statuses.map((o) => [o.label, o.selected, resolve('/', o.href)]),
      [
        ['all', true, '/'],
        ['active only', false, '/active/'],
        ['ended only', false, '/ended/'],
      ],
    );
  });
});

describe('dashboardPage', () => {
  const input = (live: Session[], recent: Session[] = []) => ({
    live,
    chartSvg: '<svg class="chart"></svg>',
    recent,
    users,
    days: ['2026-11-26'],
    statusDown: [],
  });

  test(`live table cut at LIVE_ON_DASHBOARD (${LIVE_ON_DASHBOARD}) with a link to /live/`, () => {
    const live = many(LIVE_ON_DASHBOARD + 1, '2026-11-26T15:00:00Z', { seconds: null });
    const page = dashboardPage(input(live), DE);
    assert.equal(page.live.length, LIVE_ON_DASHBOARD);
    assert.equal(page.liveTruncated, true);
    assert.ok(page.liveAll, 'a link to every live connection');
    assert.equal(resolve(page.url, page.liveAll.href), '/live/');
    assert.equal(page.liveAll.label, `Alle aktiven Verbindungen (${LIVE_ON_DASHBOARD + 1})`);
    // Newest first: the oldest connection is the one cut.
    assert.deepEqual(
      page.live.map((r) => r.id),
      live.slice(0, LIVE_ON_DASHBOARD).map((s) => s.id),
    );
  });

  test('exactly LIVE_ON_DASHBOARD live connections: no cut, no link', () => {
    const page = dashboardPage(input(many(LIVE_ON_DASHBOARD, '2026-11-26T15:00:00Z', { seconds: null })), EN);
    assert.equal(page.live.length, LIVE_ON_DASHBOARD);
    assert.equal(page.liveTruncated, false);
    assert.equal(page.liveAll, null);
  });

  test('live rows: newest first, running duration up to now, bytes as seen', () => {
    const older = mk({ user: 'alice', at: '2026-11-26T14:00:00Z', seconds: null, rx: 2_500_000, tx: 12 });
    const newer = mk({ user: 'bob', cn: 'cn-bob', at: '2026-11-26T15:57:30Z', seconds: null });
    const page = dashboardPage(input([older, newer]), DE);
    assert.deepEqual(
      page.live.map((r) => [r.user, r.alias, r.connectedSince, r.durationSoFar]),
      [
        ['bob', 'Bobby', '2026-11-26 16:57:30', '2 Min, 30 Sek'],
        ['alice', 'Alice A.', '2026-11-26 15:00:00', '2 Std'],
      ],
    );
    assert.equal(page.live[1]?.bytesIn, '2,5 MB');
    assert.equal(page.live[1]?.bytesOut, '12 B');
  });

  test('the instance column only with more than one instance', () => {
    const one = [
      mk({ user: 'a', at: '2026-11-26T15:00:00Z', seconds: null }),
      mk({ user: 'b', at: '2026-11-26T15:01:00Z', seconds: null }),
    ];
    assert.equal(dashboardPage(input(one), DE).showInstance, false);
    assert.equal(dashboardPage(input([]), DE).showInstance, false);
    const two = [...one, mk({ user: 'c', at: '2026-11-26T15:02:00Z', seconds: null, instance: 'tcp' })];
    assert.equal(dashboardPage(input(two), DE).showInstance, true);
  });

  test(`history: the newest ROOT_ROWS (${ROOT_ROWS}) rows, and "older" leads to the oldest day shown`, () => {
    const todays = ROOT_ROWS - 10;
    const today = many(todays, '2026-11-26T15:00:00Z');
    const yesterday = many(ROOT_ROWS, '2026-11-25T20:00:00Z');
    const page = dashboardPage(input([], [...yesterday, ...today]), DE);
    const rows = rowsOf(page.groups);
    assert.equal(rows.length, ROOT_ROWS);
    assert.deepEqual(
      rows.map((r) => r.day),
      [...Array(todays).fill('2026-11-26'), ...Array(10).fill('2026-11-25')],
    );
    assert.ok(page.next, 'a link to older entries');
    // It goes on where the dashboard stopped: the other 40 rows of 2026-11-25, then the way back.
    assert.equal(resolve('/', page.next.href), '/more/');
    const [more, ...beyond] = dashboardMorePages(input([], [...yesterday, ...today]), DE);
    assert.equal(beyond.length, 0);
    assert.ok(more);
    assert.equal(more.url, '/more/');
    const shown = new Set(rows.map((r) => r.id));
    const rest = rowsOf(more.groups);
    assert.equal(rest.length, 40);
    assert.ok(
      rest.every((r) => r.day === '2026-11-25' && !shown.has(r.id)),
      'only rows not shown',
    );
    assert.equal(more.prev?.label, 'Neuere Einträge');
    assert.equal(resolve(more.url, more.prev?.href ?? ''), '/');
    assert.equal(more.next, null, 'no older day');
    assert.equal(more.position, '2026-11-25 (Fortsetzung)');
    assert.equal(resolve('/', page.archive.href), '/archive/');
    assert.equal(page.root, '');
    assert.equal(page.filter.users[0]?.selected, true);
  });

  test('no history: no groups, no "older" link', () => {
    const page = dashboardPage(input([]), EN);
    assert.deepEqual(page.groups, []);
    assert.equal(page.next, null);
  });
});

describe('livePages', () => {
  test(`LIVE_PER_PAGE (${LIVE_PER_PAGE}) rows a page, chained both ways`, () => {
    const live = many(LIVE_PER_PAGE + 5, '2026-11-26T15:00:00Z', { seconds: null });
    live.push(mk({ user: 'x', at: '2026-11-20T15:00:00Z', seconds: null, instance: 'tcp' }));
    const pages = livePages(live, DE);
    assert.deepEqual(
      pages.map((p) => [p.url, p.live.length, p.position, p.showInstance]),
      [
        ['/live/', LIVE_PER_PAGE, 'Teil 1 von 2', true],
        ['/live/p2/', 6, 'Teil 2 von 2', true],
      ],
    );
    assert.equal(pages[0]?.prev, null);
    assert.equal(resolve('/live/', pages[0]?.next?.href ?? ''), '/live/p2/');
    assert.equal(resolve('/live/p2/', pages[1]?.prev?.href ?? ''), '/live/');
    assert.equal(pages[1]?.next, null);
    assertEachOnce(
      pages.flatMap((p) => p.live.map((r) => r.id)),
      live,
      'every live connection on one live page',
    );
  });
});

describe('dayPages', () => {
  const DAY = '2026-11-25';
  const neighbours = { newer: '2026-11-26', older: '2026-11-24' };
  // ROWS_PER_PAGE + 10 sessions on one day, the last 30 of them still open.
  const ended = many(ROWS_PER_PAGE - 20, '2026-11-25T22:00:00Z');
  const open = many(30, '2026-11-25T08:00:00Z', { user: 'alice', seconds: null });
  const sessions = [...ended, ...open];

  test(`split at ROWS_PER_PAGE (${ROWS_PER_PAGE}) rows, chained across parts and to the neighbour days`, () => {
    const pages = dayPages(DAY, sessions, neighbours, DE, users);
    assert.deepEqual(
      pages.map((p) => [p.url, rowsOf(p.groups).length, p.position]),
      [
        [`/d/${DAY}/`, ROWS_PER_PAGE - 20, 'Teil 1 von 2'],
        [`/d/${DAY}/p2/`, 30, 'Teil 2 von 2'],
      ],
    );
    const [p1, p2] = pages as [HistoryPage, HistoryPage];
    assert.equal(resolve(p1.url, p1.prev?.href ?? ''), '/d/2026-11-26/');
    assert.equal(resolve(p1.url, p1.next?.href ?? ''), `/d/${DAY}/p2/`);
    assert.equal(resolve(p2.url, p2.prev?.href ?? ''), `/d/${DAY}/`);
    assert.equal(resolve(p2.url, p2.next?.href ?? ''), '/d/2026-11-24/');
    assert.equal(p1.prev?.label, 'Neuere Einträge');
    assert.equal(p1.next?.label, 'Ältere Einträge');
    assert.equal(p1.heading, `Verbindungs-History — ${DAY}`);
    assert.equal(p2.root, '../../../');
    // alice's 30 sessions are one group that fits a page: moved whole to part 2, not split.
    assert.deepEqual(
      p2.groups.map((g) => [g.head.user, g.others.length, g.continued]),
      [['alice', 29, false]],
    );
    assertEachOnce(
      pages.flatMap((p) => rowIds(p.groups)),
      sessions,
      'every session of the period on one part',
    );
  });

  test('the newest and oldest day have no link past the ends', () => {
    const pages = dayPages(DAY, sessions.slice(0, 5), { newer: null, older: null }, EN, users);
    assert.equal(pages.length, 1);
    assert.equal(pages[0]?.prev, null);
    assert.equal(pages[0]?.next, null);
    assert.equal(pages[0]?.position, null, 'one part: the heading names the day, nothing more to say');
  });

  test('one page set per day, whatever the status: open and ended sessions together', () => {
    const pages = dayPages(DAY, [...ended.slice(0, 5), ...open.slice(0, 3)], neighbours, EN, users);
    assert.equal(pages.length, 1);
    const [p] = pages as [HistoryPage];
    assert.equal(p.url, `/d/${DAY}/`);
    assert.equal(p.heading, `Connection history — ${DAY}`);
    assert.deepEqual(
      rowsOf(p.groups)
        .map((r) => r.status)
        .sort(),
      [...Array(3).fill('active'), ...Array(5).fill('ended')],
    );
    const onlyOpen = dayPages(DAY, open, neighbours, DE, users);
    assert.equal(onlyOpen.length, 1);
    assertEachOnce(rowIds(onlyOpen[0]?.groups ?? []), open, 'a day of open sessions only');
  });

  test('a group larger than a page continues on the next part, marked continued', () => {
    const big = many(ROWS_PER_PAGE + 3, '2026-11-25T22:00:00Z', { user: 'alice' });
    const pages = dayPages(DAY, big, neighbours, EN, users);
    assert.deepEqual(
      pages.map((p) => p.groups.map((g) => [g.head.user, 1 + g.others.length, g.continued])),
      [[['alice', ROWS_PER_PAGE, false]], [['alice', 3, true]]],
    );
    assert.equal(pages[1]?.position, 'part 2 of 2');
  });

  test('CSV beside Excel, the filter of the users of the day and the statuses; the date once, in the heading', () => {
    const day = [
      mk({ user: 'bob', at: '2026-11-25T09:00:00Z' }),
      mk({ user: 'alice', at: '2026-11-25T10:00:00Z', seconds: null }),
      mk({ user: 'alice', at: '2026-11-25T08:00:00Z' }),
    ];
    const pages = dayPages(DAY, day, neighbours, DE, users);
    assert.equal(pages.length, 1);
    const [p] = pages as [HistoryPage];
    assert.deepEqual(p.downloads, {
      xlsx: `../../exports/days/openvpn-history_${DAY}.xlsx`,
      csv: `../../exports/days/openvpn-history_${DAY}.csv`,
      years: null,
    });
    assert.equal(p.heading, `Verbindungs-History — ${DAY}`);
    assert.equal(p.position, null, 'the date is not said again under the heading');
    const f = p.filter;
    assert.ok(f, 'a filter');
    assert.deepEqual(
      f.users.map((o) => [o.label, resolve(p.url, o.href), o.selected]),
      [
        ['(kein Filter)', '/', true],
        ['alice (Alice A.)', '/u/alice/', false],
        ['bob (Bobby)', '/u/bob/', false],
      ],
      "the day's users in the site's order (Jürgen has no session that day), each leading to the user's page",
    );
    assert.deepEqual(
      f.statuses.map((o) => [o.value, resolve(p.url, o.href), o.selected]),
      [
        ['all', '/', true],
        ['active', '/active/', false],
        ['ended', '/ended/', false],
      ],
    );
    assert.equal(f.allUsers, null);
    const split = dayPages(DAY, sessions, neighbours, DE, users);
    assert.ok(
      split.every((x) => x.filter !== null && x.downloads.csv !== null),
      'every part has them',
    );
  });
});

describe('userMonthPages and the active view: the period is named once, in the heading', () => {
  test('the position line says only which part', () => {
    const ku = users[0] as KnownUser;
    const month = userMonthPages(
      ku,
      '2026-11',
      many(3, '2026-11-20T12:00:00Z', { user: 'alice' }),
      {
        newer: null,
        older: null,
      },
      DE,
    );
    assert.equal(month[0]?.heading, 'Verbindungs-History — alice (Alice A.) — 2026-11');
    assert.equal(month[0]?.position, null);
    const active = viewRootPages(
      { user: null, status: 'active', sessions: many(ROWS_PER_PAGE + 1, NOW, { seconds: null }), users, periods: [] },
      DE,
    );
    assert.equal(active[0]?.heading, 'Verbindungs-History — nur aktiv');
    assert.deepEqual(
      active.map((x) => x.position),
      ['Teil 1 von 2', 'Teil 2 von 2'],
    );
  });
});

describe('viewRootPages', () => {
  test("'active' lists every active session, in as many parts as needed", () => {
    const live = many(ROWS_PER_PAGE + 40, '2026-11-26T15:00:00Z', { seconds: null });
    const pages = viewRootPages({ user: null, status: 'active', sessions: live, users, periods: [] }, DE);
    assert.deepEqual(
      pages.map((p) => p.url),
      ['/active/', '/active/p2/'],
    );
    assertEachOnce(
      pages.flatMap((p) => rowIds(p.groups)),
      live,
      'every active session on one part',
    );
    assert.deepEqual(
      pages
        .flatMap((p) => rowsOf(p.groups))
        .filter((r) => r.status !== 'active' || r.end !== null || r.duration !== null || r.bytesIn !== ''),
      [],
      'only open rows, without end, duration or bytes',
    );
    assert.ok(pages[0]?.filter, 'the first part has the filter');
    assert.equal(pages[1]?.filter, null);
    assert.equal(pages[0]?.filter?.statuses.find((o) => o.selected)?.value, 'active');
    assert.equal(resolve('/active/p2/', pages[1]?.prev?.href ?? ''), '/active/');
    assert.equal(pages[0]?.heading, 'Verbindungs-History — nur aktiv');
  });

  test("'active' with no active sessions is one empty page", () => {
    const pages = viewRootPages(
      { user: users[0] as KnownUser, status: 'active', sessions: [], users, periods: [] },
      EN,
    );
    assert.equal(pages.length, 1);
    assert.equal(pages[0]?.url, '/u/alice/active/');
    assert.deepEqual(pages[0]?.groups, []);
    assert.equal(pages[0]?.heading, 'Connection history — alice (Alice A.) — active only');
  });

  test('\'ended\' for all users: newest rows, periods and "older" lead to the (all-status) day pages', () => {
    const sessions = [...many(ROOT_ROWS - 20, '2026-11-26T12:00:00Z'), ...many(ROOT_ROWS, '2026-11-25T12:00:00Z')];
    const days = ['2026-11-26', '2026-11-25', '2026-11-24'];
    const [p, ...rest] = viewRootPages({ user: null, status: 'ended', sessions, users, periods: days }, DE);
    assert.deepEqual(
      rest.map((m) => [
        m.url,
        rowsOf(m.groups).length,
        resolve(m.url, m.prev?.href ?? ''),
        resolve(m.url, m.next?.href ?? ''),
      ]),
      [['/ended/more/', 30, '/ended/', '/d/2026-11-24/']],
      'the rest of the day it stopped in, then the older days',
    );
    assert.ok(p, 'one page');
    assert.equal(p.url, '/ended/');
    assert.equal(rowsOf(p.groups).length, ROOT_ROWS);
    assert.deepEqual(
      p.periods.map((l) => [l.label, resolve(p.url, l.href)]),
      days.map((d) => [d, `/d/${d}/`]),
    );
    assert.equal(resolve(p.url, p.next?.href ?? ''), '/ended/more/');
    assert.equal(p.heading, 'Verbindungs-History — nur beendet');
    assert.equal(p.filter?.statuses.find((o) => o.selected)?.value, 'ended');
  });

  test("'ended' for one user: periods and \"older\" lead to the user's (all-status) month pages", () => {
    const bob = users[1] as KnownUser;
    const sessions = [mk({ user: 'bob', at: '2026-11-02T12:00:00Z' }), mk({ user: 'bob', at: '2026-10-30T12:00:00Z' })];
    const [p] = viewRootPages({ user: bob, status: 'ended', sessions, users, periods: ['2026-11', '2026-10'] }, DE);
    assert.ok(p, 'one page');
    assert.equal(p.url, '/u/bob/ended/');
    assert.deepEqual(
      p.periods.map((l) => resolve(p.url, l.href)),
      ['/u/bob/m/2026-11/', '/u/bob/m/2026-10/'],
    );
    assert.equal(p.next, null, 'every session shown: nothing older to lead to');
    const [q] = viewRootPages(
      { user: bob, status: 'ended', sessions: sessions.slice(0, 1), users, periods: ['2026-11', '2026-10'] },
      DE,
    );
    assert.equal(resolve(q?.url ?? '', q?.next?.href ?? ''), '/u/bob/m/2026-10/', 'the older month');
    assert.equal(p.filter?.users.find((o) => o.selected)?.value, 'bob');
  });
});

describe('userPage', () => {
  const alice = users[0] as KnownUser;
  const sessions = [
    mk({ user: 'alice', at: '2026-11-26T10:00:00Z', seconds: 3750 }),
    mk({ user: 'alice', at: '2026-11-26T07:00:00Z', seconds: 60 }),
    mk({ user: 'alice', at: '2026-10-31T23:30:00Z', seconds: 100 }), // 2026-11-01 00:30 in Berlin
  ];
  const totals = [
    { day: '2026-11-26', sessions: 2, seconds: 3810, bytesIn: 2_469_134, bytesOut: 6098 },
    { day: '2026-11-01', sessions: 1, seconds: 86_400, bytesIn: 1_234_567, bytesOut: 3049 },
  ];
  const input = {
    user: alice,
    users,
    sessions,
    months: ['2026-11'],
    totals,
    first: '2026-10-31T23:30:00Z',
    last: '2026-11-26T11:02:30Z',
    connected: false,
    sessionCount: 3,
  };

  test('summary: first and last seen, session count, total duration and bytes', () => {
    const de = userPage(input, DE);
    assert.equal(de.url, '/u/alice/');
    assert.equal(de.heading, 'Verbindungs-History — alice (Alice A.)');
    assert.deepEqual(
      de.summary.map((d) => [d.label, d.value]),
      [
        ['Zuerst gesehen', '2026-11-01 00:30:00'],
        ['Zuletzt gesehen', '2026-11-26 12:02:30'],
        ['Sitzungen', '3'],
        ['Verbundene Zeit', '1 Tg, 1 Std, 3 Min, 30 Sek'],
        ['Empfangen', '3,7 MB'],
        ['Gesendet', '9,1 KB'],
      ],
    );
    const en = userPage(input, EN);
    assert.equal(en.summary[3]?.value, '1 d 1 h 3 min 30 s');
    assert.equal(en.summary[4]?.value, '3.7 MB');
  });

  test('while connected, "last seen" says so instead of a time that would be stale within the minute', () => {
    assert.equal(userPage({ ...input, connected: true }, DE).summary[1]?.value, 'jetzt verbunden');
    assert.equal(userPage({ ...input, connected: true }, EN).summary[1]?.value, 'connected now');
  });

  test('per-day totals, formatted', () => {
    assert.deepEqual(userPage(input, DE).totals, [
      { day: '2026-11-26', sessions: 2, duration: '1 Std, 3 Min, 30 Sek', bytesIn: '2,5 MB', bytesOut: '6,1 KB' },
      { day: '2026-11-01', sessions: 1, duration: '1 Tg', bytesIn: '1,2 MB', bytesOut: '3,0 KB' },
    ]);
  });

  test('a user never seen: dashes, zero sessions', () => {
    const page = userPage(
      { ...input, sessions: [], months: [], totals: [], first: null, last: null, sessionCount: 0 },
      EN,
    );
    assert.deepEqual(
      page.summary.map((d) => d.value),
      ['–', '–', '0', '0 s', '0 B', '0 B'],
    );
    assert.equal(page.next, null);
    assert.deepEqual(page.groups, []);
  });

  test(`only USER_TOTAL_DAYS (${USER_TOTAL_DAYS}) days of totals are listed, the summary counts them all`, () => {
    const long = Array.from({ length: USER_TOTAL_DAYS + 10 }, (_, i) => ({
      day: isoFromMs(Date.parse('2026-11-26T12:00:00Z') - i * 86_400_000).slice(0, 10),
      sessions: 1,
      seconds: 60,
      bytesIn: 0,
      bytesOut: 0,
    }));
    const page = userPage({ ...input, totals: long }, EN);
    assert.equal(page.totals.length, USER_TOTAL_DAYS);
    assert.equal(page.totals[0]?.day, '2026-11-26');
    // 376 days × 60 s = 22 560 s.
    assert.equal(USER_TOTAL_DAYS + 10, 376);
    assert.equal(page.summary[3]?.value, '6 h 16 min');
  });

  test('groups by day in the zone, links to months and to the filtered views', () => {
    const page = userPage(input, DE);
    assert.deepEqual(
      page.groups.map((g) => [g.key, 1 + g.others.length]),
      [
        ['2026-11-26/alice', 2],
        ['2026-11-01/alice', 1],
      ],
    );
    assert.deepEqual(
      page.periods.map((l) => [l.label, resolve(page.url, l.href)]),
      [['2026-11', '/u/alice/m/2026-11/']],
    );
    assert.equal(page.next, null, 'every session shown: no "older" link back to them');
    assert.deepEqual(
      page.filter.statuses.map((o) => [o.selected, resolve(page.url, o.href)]),
      [
        [true, '/u/alice/'],
        [false, '/u/alice/active/'],
        [false, '/u/alice/ended/'],
      ],
    );
  });
});

describe('userMonthPages', () => {
  test('parts of a month chain to each other and to the neighbour months', () => {
    const ku = users[2] as KnownUser;
    const slug = userSlug(ku.user);
    const sessions = many(ROWS_PER_PAGE + 1, '2026-11-20T12:00:00Z', { user: ku.user, seconds: 60 }).map((s, i) => ({
      ...s,
      // Spread over days: one group per day, each small.
      connectedAt: isoFromMs(Date.parse('2026-11-20T12:00:00Z') - Math.floor(i / 20) * 86_400_000 - (i % 20) * 60_000),
    }));
    const pages = userMonthPages(ku, '2026-11', sessions, { newer: '2026-12', older: '2026-10' }, DE);
    assert.deepEqual(
      pages.map((p) => p.url),
      [userMonthUrl(slug, '2026-11'), userMonthUrl(slug, '2026-11', 2)],
    );
    assert.equal(resolve(pages[0]?.url ?? '', pages[0]?.prev?.href ?? ''), `/u/${slug}/m/2026-12/`);
    assert.equal(resolve(pages[1]?.url ?? '', pages[1]?.next?.href ?? ''), `/u/${slug}/m/2026-10/`);
    assert.equal(pages[0]?.heading, 'Verbindungs-History — Jürgen M/.. — 2026-11');
    assertEachOnce(
      pages.flatMap((p) => rowIds(p.groups)),
      sessions,
      'every session of the period on one part',
    );
    for (const p of pages) assert.ok(rowsOf(p.groups).length <= ROWS_PER_PAGE, `${p.url} has too many rows`);
  });
});

// ---------------------------------------------------------------------------------------
// A whole site, built the way the builder does, and every link in it.

const byNewest = (a: string, b: string): number => (a < b ? 1 : a > b ? -1 : 0);

function siteSessions(): Session[] {
  const rng = seededRng(2026);
  const people: Spec[] = [
    { user: 'alice', at: '' },
    { user: 'bob', cn: 'cn-bob', at: '' },
    { user: 'carol', at: '' },
    { user: 'Jürgen M/..', at: '' },
    { user: '<script>alert(1)</script>', at: '' },
    { user: 'constructor', at: '' },
  ];
  const days = ['2026-10-24', '2026-10-25', '2026-10-31', '2026-11-01', '2026-11-25', '2026-11-26'];
  const out: Session[] = [];
  for (const day of days) {
    // 2026-11-25 is a busy day: more than a page.
    const n = day === '2026-11-25' ? ROWS_PER_PAGE + 60 : randomInt(rng, 3, 25);
    for (let i = 0; i < n; i++) {
      const who = people[randomInt(rng, 0, people.length - 1)] as Spec;
      const at = isoFromMs(Date.parse(`${day}T00:00:00Z`) + randomInt(rng, -7200, 86_399 - 7200) * 1000);
      out.push(mk({ ...who, at, seconds: randomInt(rng, 0, 20_000), instance: rng() < 0.5 ? 'udp' : 'tcp' }));
    }
  }
  // Connected now: more than the dashboard and than one live page show.
  for (let i = 0; i < LIVE_PER_PAGE + 3; i++) {
    const who = people[randomInt(rng, 0, people.length - 1)] as Spec;
    out.push(mk({ ...who, at: isoFromMs(Date.parse(NOW) - randomInt(rng, 60, 40_000) * 1000), seconds: null }));
  }
  return out;
}

const built = new Map<ModelContext, PageModel[]>();
/** The site's models for `ctx`, built once per context. */
function buildSite(all: Session[], ctx: ModelContext): PageModel[] {
  const cached = built.get(ctx);
  if (cached) return cached;
  const models = buildSiteModels(all, ctx);
  built.set(ctx, models);
  return models;
}

function buildSiteModels(all: Session[], ctx: ModelContext): PageModel[] {
  const tz = ctx.timeZone;
  const dayOfS = (s: Session): string => dayOf(s.connectedAt, tz);
  const isOpen = (s: Session): boolean => s.endedAt === null;
  const days = [...new Set(all.map(dayOfS))].sort(byNewest);
  const known: KnownUser[] = [...new Set(all.map((s) => s.user))]
    .sort()
    .map((user) => ({ user, alias: aliasOf(all.find((s) => s.user === user) as Session, ctx.aliases) }));
  const live = all.filter(isOpen);
  const models: PageModel[] = [];
  const dashboard = { live, chartSvg: '<svg></svg>', recent: all, users: known, days, statusDown: [] };
  models.push(dashboardPage(dashboard, ctx), ...dashboardMorePages(dashboard, ctx));
  if (live.length > LIVE_ON_DASHBOARD) models.push(...livePages(live, ctx));
  models.push(
    archivePage(
      days.map((day) => {
        const ss = all.filter((s) => dayOfS(s) === day);
        return { day, sessions: ss.length, users: new Set(ss.map((s) => s.user)).size };
      }),
      ctx,
    ),
  );
  models.push(
    lookupPage(ctx),
    anomaliesPage([], new Set(days), ctx),
    ledgerPage({ head: '0'.repeat(64), rows: 0, verified: null, newest: [], total: 0, file: 'x' }, ctx),
  );
  models.push(...viewRootPages({ user: null, status: 'active', sessions: live, users: known, periods: [] }, ctx));
  models.push(
    ...viewRootPages(
      { user: null, status: 'ended', sessions: all.filter((s) => !isOpen(s)), users: known, periods: days },
      ctx,
    ),
  );
  days.forEach((day, i) => {
    const ss = all.filter((s) => dayOfS(s) === day);
    const neighbours = { newer: days[i - 1] ?? null, older: days[i + 1] ?? null };
    models.push(...dayPages(day, ss, neighbours, ctx, known));
  });
  for (const ku of known) {
    const own = all.filter((s) => s.user === ku.user);
    const months = [...new Set(own.map((s) => dayOfS(s).slice(0, 7)))].sort(byNewest);
    const perDay = new Map<
      string,
      { day: string; sessions: number; seconds: number; bytesIn: number; bytesOut: number }
    >();
    for (const s of own.filter((x) => !isOpen(x))) {
      const d = perDay.get(dayOfS(s)) ?? { day: dayOfS(s), sessions: 0, seconds: 0, bytesIn: 0, bytesOut: 0 };
      d.sessions++;
      d.seconds += s.durationS ?? 0;
      d.bytesIn += s.bytesReceived ?? 0;
      d.bytesOut += s.bytesSent ?? 0;
      perDay.set(d.day, d);
    }
    const starts = own.map((s) => s.connectedAt).sort();
    const userInput = {
      user: ku,
      users: known,
      sessions: own,
      months,
      totals: [...perDay.values()].sort((a, b) => byNewest(a.day, b.day)),
      first: starts[0] ?? null,
      last:
        own
          .map((s) => s.lastSeenAt)
          .sort()
          .at(-1) ?? null,
      connected: own.some((s) => s.endedAt === null),
      sessionCount: own.length,
    };
    models.push(userPage(userInput, ctx), ...userMorePages(userInput, ctx));
    models.push(
      ...viewRootPages({ user: ku, status: 'active', sessions: own.filter(isOpen), users: known, periods: [] }, ctx),
    );
    models.push(
      ...viewRootPages(
        { user: ku, status: 'ended', sessions: own.filter((s) => !isOpen(s)), users: known, periods: months },
        ctx,
      ),
    );
    months.forEach((month, i) => {
      const ss = own.filter((s) => dayOfS(s).startsWith(month));
      const neighbours = { newer: months[i - 1] ?? null, older: months[i + 1] ?? null };
      models.push(...userMonthPages(ku, month, ss, neighbours, ctx));
    });
  }
  return models;
}

/** Every `href`/`userHref` anywhere in a model, with where it was found. */
function linksIn(value: unknown, path = ''): [string, string][] {
  if (Array.isArray(value)) return value.flatMap((v, i) => linksIn(v, `${path}[${i}]`));
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([k, v]): [string, string][] =>
    (k === 'href' || k === 'userHref') && typeof v === 'string' ? [[`${path}.${k}`, v]] : linksIn(v, `${path}.${k}`),
  );
}

/** Eleventy's check (src/render/eleventy.ts): "/…/" paths of unreserved segments, none starting with a dot. */
const URL_PATTERN = /^\/(?:(?:[A-Za-z0-9_~-]|%[0-9A-Fa-f]{2})(?:[A-Za-z0-9._~-]|%[0-9A-Fa-f]{2})*\/)*$/;

describe('a whole site', () => {
  const all = siteSessions();
  for (const lang of ['de', 'en'] as const) {
    test(`${lang}: unique urls, and every link resolves to a page of the site`, () => {
      const models = buildSite(all, lang === 'de' ? DE : EN);
      const urls = new Set<string>();
      for (const m of models) {
        assert.match(m.url, URL_PATTERN, m.url);
        assert.ok(!urls.has(m.url), `two models for ${m.url}`);
        urls.add(m.url);
        assert.equal(resolve(m.url, m.root || './'), '/', `root of ${m.url}`);
      }
      // The site has every kind of page, including parts.
      for (const url of [
        '/',
        '/live/',
        '/live/p2/',
        '/archive/',
        '/active/',
        '/active/p2/',
        '/ended/',
        '/d/2026-10-24/',
        '/d/2026-11-25/p2/',
        '/u/alice/',
        '/u/alice/active/',
        '/u/alice/ended/',
        '/u/alice/m/2026-10/',
      ]) {
        assert.ok(urls.has(url), `the site has ${url}`);
      }
      // Past periods exist once, not per status.
      const perStatusPeriods = [...urls].filter((u) => /^\/(?:u\/[^/]+\/)?(?:active|ended)\/(?:d|m)\//.test(u));
      assert.deepEqual(perStatusPeriods, [], 'no per-status day or month pages');
      let checked = 0;
      for (const m of models) {
        for (const [where, href] of linksIn(m)) {
          assert.ok(!href.startsWith('/') && !/^[a-z]+:/i.test(href), `${m.url}${where}: ${href} is not relative`);
          const target = resolve(m.url, href);
          assert.ok(urls.has(target), `${m.url}${where}: ${href} → ${target}, which no model produces`);
          checked++;
        }
      }
      assert.ok(checked > 2000, `links checked: ${checked}`);
    });
  }

  test('every session is on its day and month pages exactly once; the ended views show only ended sessions', () => {
    const models = buildSite(all, DE);
    const history = models.filter((m): m is HistoryPage => m.kind === 'history');
    const onDays = history.filter((m) => m.url.startsWith('/d/')).flatMap((m) => rowIds(m.groups));
    assertEachOnce(onDays, all, 'day pages');
    const onMonths = history.filter((m) => /^\/u\/[^/]+\/m\//.test(m.url)).flatMap((m) => rowIds(m.groups));
    assertEachOnce(onMonths, all, 'user month pages');
    const active = history
      .filter((m) => m.url === '/active/' || m.url.startsWith('/active/p'))
      .flatMap((m) => rowIds(m.groups));
    assertEachOnce(
      active,
      all.filter((s) => s.endedAt === null),
      'active view',
    );
    const endedIds = new Set(all.filter((s) => s.endedAt !== null).map((s) => s.id));
    const endedRoots = history.filter((m) => /^\/(?:u\/[^/]+\/)?ended\/$/.test(m.url));
    assert.equal(
      endedRoots.length,
      1 + new Set(all.map((s) => s.user)).size,
      'an ended root for all users and for each user',
    );
    for (const m of endedRoots) {
      const rows = rowsOf(m.groups);
      assert.ok(rows.length > 0, `${m.url} shows the newest ended sessions`);
      const notEnded = rows.filter((r) => r.status !== 'ended' || !endedIds.has(r.id)).map((r) => r.id);
      assert.deepEqual(notEnded, [], `${m.url} shows only ended sessions`);
      for (const l of [...m.periods, ...(m.next ? [m.next] : [])]) {
        const target = resolve(m.url, l.href);
        assert.match(
          target,
          /^\/(?:(?:d|u\/[^/]+\/m)\/[0-9-]+\/|(?:u\/[^/]+\/)?ended\/more\/)$/,
          `${m.url}: ${l.label} leads to an all-status period page, or to the rest of the one it stopped in`,
        );
      }
    }
    // The rest of the period an ended root stopped in holds ended sessions only, none it showed.
    for (const m of history.filter((x) => /ended\/more\//.test(x.url))) {
      const rootUrl = m.url.replace(/more\/(?:p\d+\/)?$/, '');
      const root = endedRoots.find((r) => r.url === rootUrl) as HistoryPage;
      const shown = new Set(rowIds(root.groups));
      for (const r of rowsOf(m.groups)) {
        assert.ok(endedIds.has(r.id) && !shown.has(r.id), `${m.url}: ${r.id} is ended and was not on ${rootUrl}`);
      }
    }
    for (const m of history) assert.ok(rowsOf(m.groups).length <= ROWS_PER_PAGE, `${m.url} has too many rows`);
  });

  test('the archive lists every day, newest first, linking to its day page', () => {
    const archive = buildSite(all, EN).find((m) => m.kind === 'archive');
    assert.ok(archive && archive.kind === 'archive', 'the site has an archive page');
    const days = [...new Set(all.map((s) => dayOf(s.connectedAt, TZ)))].sort(byNewest);
    assert.deepEqual(
      archive.days.map((d) => [d.link.label, resolve(archive.url, d.link.href)]),
      days.map((d) => [d, dayUrl(d)]),
    );
    assert.equal(
      archive.days.reduce((n, d) => n + d.sessions, 0),
      all.length,
    );
  });

  test('the same sessions in UTC fall on other days than in Berlin', () => {
    const late = mk({ user: 'alice', at: '2026-11-25T23:30:00Z' });
    const berlin = dayPages('2026-11-26', [late], { newer: null, older: null }, DE, users);
    const utc = dayPages('2026-11-25', [late], { newer: null, older: null }, { ...DE, timeZone: 'UTC' }, users);
    assert.equal(berlin[0]?.groups[0]?.head.day, '2026-11-26');
    assert.equal(berlin[0]?.groups[0]?.head.start, '2026-11-26 00:30:00');
    assert.equal(utc[0]?.groups[0]?.head.day, '2026-11-25');
    assert.equal(utc[0]?.groups[0]?.head.start, formatDateTime(late.connectedAt, 'UTC'));
  });
});
