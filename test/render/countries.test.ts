/** The country after a session's public IP (its name on hover) and the database in every page's footer. */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { JSDOM } from 'jsdom';
import { LABELS } from '../../src/core/i18n.js';
import type { Lang } from '../../src/core/settings.js';
import { historyRow, liveRow, type ModelContext } from '../../src/render/models.js';
import { userPage } from '../../src/render/pages.js';
import { sampleSession } from '../helpers/sessions.js';
import { renderSamples, type RenderedSamples } from './samples.js';

const ctx = (lang: Lang): ModelContext => ({
  lang,
  timeZone: 'Europe/Berlin',
  t: LABELS[lang],
  aliases: {},
  now: '2026-11-26T18:00:00Z',
});

describe('countries in the tables', () => {
  test('the row models carry the code and its name in the page language; none where none was recorded', () => {
    const nl = sampleSession({ country: 'NL' });
    assert.deepEqual(historyRow(nl, '/', ctx('de')).country, { code: 'NL', name: 'Niederlande' });
    assert.deepEqual(historyRow(nl, '/', ctx('en')).country, { code: 'NL', name: 'Netherlands' });
    assert.deepEqual(liveRow({ ...nl, endedAt: null }, '/', ctx('en')).country, { code: 'NL', name: 'Netherlands' });
    assert.equal(historyRow(sampleSession({ country: null }), '/', ctx('de')).country, null);
    assert.equal(historyRow(sampleSession({ country: undefined }), '/', ctx('de')).country, null);
  });

  let pages: RenderedSamples;
  before(async () => {
    pages = await renderSamples();
  });
  const doc = (url: string): Document => new JSDOM(pages.de.get(url) as string).window.document;

  test('a history row and a live row show the code after the IP, the name on hover; others nothing', () => {
    const d = doc('/');
    const history = d.querySelector('td[data-session-id="o-alice-2"]')?.parentElement as Element;
    const cc = history.querySelector('abbr.country');
    assert.equal(cc?.textContent, 'NL');
    assert.equal(cc?.getAttribute('title'), 'Niederlande');
    assert.equal(cc?.parentElement?.textContent, '203.0.113.7 NL');
    const other = d.querySelector('td[data-session-id="o-alice-1"]')?.parentElement as Element;
    assert.equal(other.querySelector('abbr.country'), null);
    const live = [...d.querySelectorAll('table.live abbr.country')];
    assert.deepEqual(
      live.map((a) => [a.textContent, a.getAttribute('title'), a.parentElement?.textContent]),
      [['DE', 'Deutschland', '198.51.100.23 DE']],
    );
  });

  test("the user page lists the user's countries: code, name, first and last time", () => {
    const rows = [...doc('/u/alice/').querySelectorAll('table.countries tbody tr')];
    assert.deepEqual(
      rows.map((tr) => [...tr.children].map((c) => c.textContent?.trim())),
      [
        ['DE Deutschland', '2026-11-01 08:00:00', 'jetzt verbunden'],
        ['NL Niederlande', '2026-11-03 09:00:00', '2026-11-24 17:00:00'],
      ],
    );
    assert.equal(rows[0]?.querySelector('abbr.country')?.getAttribute('title'), 'Deutschland');
  });

  test('the user page model formats the countries in the zone and language; connected now says so', () => {
    const input = {
      user: { user: 'alice', alias: null },
      users: [{ user: 'alice', alias: null }],
      sessions: [],
      months: [],
      totals: [],
      first: null,
      last: null,
      connected: true,
      sessionCount: 0,
      countries: [
        { country: 'FR', first: '2026-11-20T10:00:00Z', last: '2026-11-20T10:00:00Z', connected: true },
        { country: 'CH', first: '2026-11-01T07:00:00Z', last: '2026-11-02T23:30:00Z', connected: false },
      ],
    };
    assert.deepEqual(userPage(input, ctx('en')).countries, [
      { code: 'FR', name: 'France', first: '2026-11-20 11:00:00', last: 'connected now' },
      { code: 'CH', name: 'Switzerland', first: '2026-11-01 08:00:00', last: '2026-11-03 00:30:00' },
    ]);
    assert.equal(userPage(input, ctx('de')).countries[1]?.name, 'Schweiz');
    assert.deepEqual(userPage({ ...input, countries: undefined }, ctx('de')).countries, []);
  });

  test('every page names the country database in its footer', () => {
    for (const [url, html] of [...pages.de, ...pages.en]) {
      const footer = new JSDOM(html).window.document.querySelector('footer.site-footer');
      assert.match(
        footer?.textContent ?? '',
        /(Länderdaten|Country data): @ip-location-db\/geo-whois-asn-country-mmdb 2\.3\.\d+ \(CC BY 4\.0/,
        url,
      );
    }
  });
});
