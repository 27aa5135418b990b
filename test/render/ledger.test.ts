/**
 * /ledger/, the auditors' page: the chain head, the last verify and the change log newest
 * first; user text (who, reason, ids, client) escaped; both languages; bounded to the newest
 * entries with a note naming how many more and where they are; the same bytes through
 * nunjucks directly.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { JSDOM } from 'jsdom';
import { LABELS } from '../../src/core/i18n.js';
import type { Lang } from '../../src/core/settings.js';
import { renderPagesDirect } from '../../src/render/direct.js';
import { renderPages } from '../../src/render/eleventy.js';
import { LEDGER_ON_PAGE, type LedgerEntryInput, type LedgerInput, ledgerPage } from '../../src/render/ledger-page.js';
import type { ModelContext } from '../../src/render/models.js';
import { EVIL_CN, QUOTE_CN, siteModel } from './fixtures.js';

const REASON = `${EVIL_CN} & "quoted" <img src=x onerror=alert(2)>`;
const ctxOf = (lang: Lang): ModelContext => ({
  lang,
  timeZone: 'Europe/Berlin',
  t: LABELS[lang],
  aliases: {},
  now: '2026-11-26T16:15:00Z',
});
const HEAD_A = 'a1'.repeat(32);
const HEAD_B = 'b2'.repeat(32);

const hostile: LedgerEntryInput = {
  at: '2026-11-26T08:00:00Z',
  action: 'delete',
  user: EVIL_CN,
  client: '<b>10.0.0.1</b>',
  ids: [QUOTE_CN, 's2', 's3', 's4', 's5', 's6'],
  idsOmitted: 2,
  count: 8,
  reason: REASON,
  before: { head: HEAD_A, rows: 20 },
  after: { head: HEAD_B, rows: 12 },
};

function input(over: Partial<LedgerInput> = {}): LedgerInput {
  return {
    head: HEAD_B,
    rows: 12,
    verified: null,
    newest: [{ at: '2026-11-25T08:00:00Z', action: 'upgrade', user: null, client: 'cli', ids: [], count: 20 }, hostile],
    total: 2,
    file: 'history.csv.audit.jsonl',
    ...over,
  };
}

const doc = (html: string | undefined): Document => new JSDOM(html ?? '').window.document;

describe('/ledger/', () => {
  test('escapes who, reason, ids and client, newest first, in both languages', async () => {
    for (const lang of ['de', 'en'] as const) {
      const html = await renderPages(siteModel(lang), [ledgerPage(input(), ctxOf(lang))]);
      const raw = html.get('/ledger/') ?? '';
      assert.equal(raw.includes(EVIL_CN), false, 'markup from user text is escaped');
      assert.equal(raw.includes('<img'), false);
      assert.equal(raw.includes('<b>'), false);
      const d = doc(raw);
      assert.equal(d.querySelector('script:not([src])'), null, 'no inline script');
      assert.equal(d.querySelector('[style]'), null, 'no inline style');
      assert.equal(d.querySelector('h2')?.textContent, LABELS[lang].ledger);
      assert.equal(d.querySelector('.c-head')?.textContent, HEAD_B);
      assert.equal(d.querySelector('.c-rows')?.textContent, '12');
      assert.equal(d.querySelector('.c-verified')?.textContent, LABELS[lang].ledgerNever);
      const rows = [...d.querySelectorAll('tr.ledger-entry')];
      assert.deepEqual(
        rows.map((r) => r.querySelector('.c-action')?.textContent),
        [LABELS[lang].ledgerDelete, LABELS[lang].ledgerUpgrade],
        'newest first',
      );
      const r = rows[0] as Element;
      assert.equal(r.querySelector('.c-at')?.textContent, '2026-11-26 09:00:00', 'in the zone');
      assert.equal(r.querySelector('.c-who')?.textContent, EVIL_CN);
      assert.equal(r.querySelector('.c-client')?.textContent, '<b>10.0.0.1</b>');
      assert.equal(r.querySelector('.c-reason')?.textContent, REASON);
      assert.equal(r.querySelector('.c-count')?.textContent, '8');
      assert.equal(
        r.querySelector('.c-ids')?.textContent,
        `${QUOTE_CN}, s2, s3, s4, s5 ${LABELS[lang].ledgerIdsMore.replace('{n}', '3')}`,
      );
      const change = r.querySelector('.c-change code');
      assert.equal(change?.textContent, `${HEAD_A.slice(0, 12)}… → ${HEAD_B.slice(0, 12)}…`);
      assert.equal(change?.getAttribute('title'), `${HEAD_A} (20) → ${HEAD_B} (12)`);
      assert.equal(rows[1]?.querySelector('.c-who')?.textContent, LABELS[lang].ledgerNobody);
      assert.equal(d.querySelector('.more-note'), null, 'nothing cut');
    }
  });

  test('shows the last verify with its result', async () => {
    const verified = { at: '2026-11-26T02:00:00Z', ok: false, head: HEAD_A, rows: 20 };
    const html = await renderPages(siteModel('en'), [ledgerPage(input({ verified }), ctxOf('en'))]);
    const cell = doc(html.get('/ledger/')).querySelector('.c-verified');
    assert.equal(cell?.textContent, `2026-11-26 03:00:00: problems found (head ${HEAD_A.slice(0, 12)}… at 20 rows)`);
    assert.equal(cell?.classList.contains('verify-broken'), true);
  });

  test('shows only the newest entries and says how many there are and where the rest is', async () => {
    const many: LedgerEntryInput[] = Array.from({ length: LEDGER_ON_PAGE + 7 }, (_, i) => ({
      ...hostile,
      ids: [`id-${i}`],
      idsOmitted: 0,
    }));
    for (const lang of ['de', 'en'] as const) {
      const page = ledgerPage(input({ newest: many, total: 900 }), ctxOf(lang));
      const html = await renderPages(siteModel(lang), [page]);
      const d = doc(html.get('/ledger/'));
      const ids = [...d.querySelectorAll('tr.ledger-entry .c-ids')].map((c) => c.textContent);
      assert.equal(ids.length, LEDGER_ON_PAGE);
      assert.equal(ids[0], `id-${LEDGER_ON_PAGE + 6}`, 'the newest first');
      assert.equal(ids.at(-1), 'id-7', 'the oldest shown');
      const note = d.querySelector('.more-note')?.textContent ?? '';
      assert.match(note, new RegExp(`${LEDGER_ON_PAGE}\\b.*\\b900\\b`));
      assert.match(note, /history\.csv\.audit\.jsonl/);
    }
  });

  test('an empty change log says so; the same bytes through nunjucks directly', async () => {
    const pages = [
      ledgerPage(input(), ctxOf('en')),
      { ...ledgerPage(input({ newest: [], total: 0 }), ctxOf('en')), url: '/ledger/empty/', root: '../../' },
    ];
    const html = await renderPages(siteModel('en'), pages);
    assert.match(html.get('/ledger/empty/') ?? '', /No changes yet\./);
    const direct = await renderPagesDirect(siteModel('en'), pages);
    for (const [url, text] of html) assert.equal(direct.get(url), text, url);
  });
});
