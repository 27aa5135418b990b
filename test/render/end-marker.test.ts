/** Exact and estimated end times in the history tables: the ≈ marker and its legend. */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { before, describe, test } from 'node:test';
import { JSDOM } from 'jsdom';
import { LABELS } from '../../src/core/i18n.js';
import type { Lang } from '../../src/core/settings.js';
import { historyRow, type ModelContext } from '../../src/render/models.js';
import { SITE_DIR } from '../../src/render/site-files.js';
import { sampleSession } from '../helpers/sessions.js';
import { renderSamples } from './samples.js';

const ctx = (lang: Lang): ModelContext => ({
  lang,
  timeZone: 'Europe/Berlin',
  t: LABELS[lang],
  aliases: {},
  now: '2026-11-26T18:00:00Z',
});

describe('history rows: exact or estimated end', () => {
  test('the row model carries endExact for ended sessions only', () => {
    assert.equal(historyRow(sampleSession({ endExact: true }), '/', ctx('de')).endExact, true);
    assert.equal(historyRow(sampleSession({ endExact: false }), '/', ctx('de')).endExact, false);
    const open = sampleSession({ endedAt: null, durationS: null, endReason: null, endExact: false });
    assert.equal(historyRow(open, '/', ctx('de')).endExact, false);
    // A session cached by a build before the hooks existed has no endExact at all.
    const { endExact: _e, ...cached } = sampleSession();
    assert.equal(historyRow(cached as ReturnType<typeof sampleSession>, '/', ctx('de')).endExact, false);
  });
});

describe('history tables: the ≈ marker and the legend', () => {
  let de: Map<string, string>;
  let en: Map<string, string>;
  let empty: Map<string, string>;
  before(async () => {
    ({ de, en, empty } = await renderSamples());
  });
  const doc = (map: Map<string, string>, url: string): Document => {
    const html = map.get(url);
    assert.ok(html !== undefined, `no page ${url}`);
    return new JSDOM(html).window.document;
  };
  /** The end cell (class c-end) of the row whose first cell names `id`. */
  const endCell = (d: Document, id: string): Element => {
    const first = d.querySelector(`td[data-session-id="${id}"]`);
    assert.ok(first, `no row ${id}`);
    const cell = (first.parentElement as Element).querySelector('td.c-end');
    assert.ok(cell, `${id}: no end cell`);
    return cell;
  };

  test('an estimated end cell is marked (the stylesheet puts ≈ before it), an exact one and an open session not', () => {
    const d = doc(de, '/d/2026-11-25/');
    const estimated = endCell(d, 'o-alice-1');
    assert.ok(estimated.classList.contains('est'), 'class est');
    assert.equal(estimated.getAttribute('title'), 'geschätzt');
    assert.equal(estimated.textContent?.trim(), '2026-11-25 07:42:00', 'the text stays the time (copied, compared)');
    assert.ok(!endCell(d, 'o-alice-2').classList.contains('est'), 'exact: no marker');
    assert.equal(endCell(d, 'o-alice-2').getAttribute('title'), null);
    assert.ok(!endCell(d, 'h-alice-3').classList.contains('est'), 'open: no marker');
    assert.equal(endCell(doc(en, '/d/2026-11-25/'), 'o-alice-1').getAttribute('title'), 'estimated');
  });

  test('the stylesheet draws the ≈', async () => {
    const css = await readFile(new URL('assets/style.css', `file://${SITE_DIR}`), 'utf8');
    assert.ok(
      css.includes('td.est .d:not(.same-day)::before, td.est .same-day + .t::before { content: "\\2248\\00a0";'),
      'the ≈ and a no-break space go before the first shown part of the end (the date, or the time on the start day)',
    );
  });

  test('a legend under each history table explains both, in the page language; none without history', () => {
    for (const [map, lang] of [
      [de, 'de'],
      [en, 'en'],
    ] as const) {
      const legend = doc(map, '/d/2026-11-25/').querySelector('.table-wrap + p.legend');
      assert.ok(legend, `${lang}: a legend after the table`);
      const text = legend.textContent?.replace(/\s+/g, ' ').trim() ?? '';
      assert.ok(text.startsWith('≈'), text);
      assert.ok(text.includes(LABELS[lang].legendEstimated) && text.includes(LABELS[lang].legendExact), text);
    }
    assert.equal(doc(empty, '/').querySelector('p.legend'), null);
  });

  test('the marker needs no inline style (CSP): classes only', () => {
    const html = de.get('/d/2026-11-25/') ?? '';
    assert.doesNotMatch(html, /<td class="est"[^>]*style=/);
    assert.doesNotMatch(html, /<p class="legend"[^>]*style=/);
  });
});
