/**
 * Anomalies on the pages: the badge of a flagged history row (its reason on hover and in the
 * info row), /anomalies/ and the dormant users of /users/, user text escaped, the same bytes
 * through Eleventy and through nunjucks directly.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { JSDOM } from 'jsdom';
import { LABELS } from '../../src/core/i18n.js';
import { renderPagesDirect } from '../../src/render/direct.js';
import { renderPages } from '../../src/render/eleventy.js';
import { historyRow, type ModelContext } from '../../src/render/models.js';
import { anomaliesPage, usersPages } from '../../src/render/pages.js';
import type { HistoryPage, PageModel } from '../../src/render/view-model.js';
import { sampleSession } from '../helpers/sessions.js';
import { EVIL_CN, historyPage, siteModel } from './fixtures.js';

const REASON = `${EVIL_CN} & "quoted"`;
const ctx: ModelContext = {
  lang: 'de',
  timeZone: 'Europe/Berlin',
  t: LABELS.de,
  aliases: {},
  now: '2026-11-26T16:15:00Z',
  flags: new Map([['flagged', [{ kind: 'overlap', label: LABELS.de.anomalyOverlap, reason: REASON }]]]),
};

function pages(): PageModel[] {
  const base = historyPage();
  const flagged = historyRow(sampleSession({ id: 'flagged', user: EVIL_CN }), base.url, ctx);
  const plain = historyRow(sampleSession({ id: 'plain' }), base.url, ctx);
  const history: HistoryPage = {
    ...base,
    groups: [{ key: 'k', head: flagged, others: [plain], continued: false }],
  };
  const anomaly = {
    anomaly: {
      kind: 'off-hours' as const,
      user: EVIL_CN,
      sessionIds: ['flagged'],
      at: '2026-11-25T02:00:00Z',
      detail: [],
    },
    label: LABELS.de.anomalyOffHours,
    reason: REASON,
    user: { user: EVIL_CN, alias: null },
  };
  const dormant = { user: { user: EVIL_CN, alias: 'a&b' }, lastEnd: '2026-08-01T10:00:00Z', reason: REASON };
  return [history, anomaliesPage([anomaly], new Set(['2026-11-25']), ctx), ...usersPages([], ctx, [dormant])];
}

const doc = (html: string | undefined): Document => new JSDOM(html ?? '').window.document;

describe('anomalies on the pages', () => {
  test('a flagged row has a badge with the reason as its title and in its info row; others have none', async () => {
    const html = await renderPages(siteModel('de'), pages());
    const d = doc(html.get('/d/2026-11-25/'));
    const row = d.querySelector('td[data-session-id="flagged"]')?.closest('tr');
    const badge = row?.querySelector('.flag.flag-overlap');
    assert.equal(badge?.textContent, 'Gleichzeitig');
    assert.equal(badge?.getAttribute('title'), REASON, 'the reason, as text in the attribute');
    assert.equal(row?.nextElementSibling?.querySelector('.flags dd')?.textContent, `Gleichzeitig: ${REASON}`);
    const plain = d.querySelector('td[data-session-id="plain"]')?.closest('tr');
    assert.equal(plain?.querySelector('.flag'), null);
    assert.equal(plain?.nextElementSibling?.querySelector('.flags'), null);
    assert.equal(d.querySelector('script:not([src])'), null, 'no script from user text');
  });

  test('/anomalies/ and the dormant users: escaped text, links to the user and the day', async () => {
    const html = await renderPages(siteModel('de'), pages());
    const raw = html.get('/anomalies/') ?? '';
    assert.equal(raw.includes(EVIL_CN), false, 'markup from user text is escaped');
    const a = doc(raw);
    const row = a.querySelector('tr.anomaly-off-hours');
    assert.equal(row?.querySelector('.c-user a')?.textContent, EVIL_CN);
    assert.equal(row?.querySelector('.c-reason')?.textContent, REASON);
    assert.equal(row?.querySelector('.c-at')?.textContent, '2026-11-25 03:00:00');
    assert.equal(row?.querySelector('.c-day a')?.getAttribute('href'), '../d/2026-11-25/');
    const users = doc(html.get('/users/'));
    const dormant = users.querySelector('table.dormant tbody tr');
    assert.equal(dormant?.querySelector('th a')?.textContent, `${EVIL_CN} (a&b)`);
    assert.deepEqual(
      [...(dormant?.querySelectorAll('td') ?? [])].map((td) => td.textContent),
      ['2026-08-01 12:00:00', REASON],
    );
  });

  test('an empty /anomalies/ says so; the same bytes through nunjucks directly', async () => {
    const empty = anomaliesPage([], new Set(), ctx);
    const html = await renderPages(siteModel('en'), [
      ...pages(),
      { ...empty, url: '/anomalies/empty/', root: '../../' },
    ]);
    assert.match(html.get('/anomalies/empty/') ?? '', /Nothing unusual\./);
    const direct = await renderPagesDirect(siteModel('en'), [
      ...pages(),
      { ...empty, url: '/anomalies/empty/', root: '../../' },
    ]);
    for (const [url, text] of html) assert.equal(direct.get(url), text, url);
  });
});
