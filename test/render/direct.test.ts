/**
 * The direct nunjucks renderer (used for incremental builds) and Eleventy (full builds)
 * must produce the same bytes for every page kind, both languages, the empty dashboard
 * and hostile text: otherwise a page would change when the other path renders it next.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, test } from 'node:test';
import nunjucks from 'nunjucks';
import slim from 'nunjucks/browser/nunjucks-slim.js';
import { LABELS } from '../../src/core/i18n.js';
import { renderPagesDirect } from '../../src/render/direct.js';
import { renderPages } from '../../src/render/eleventy.js';
import { renderPages as renderEntry } from '../../src/render/index.js';
import type { ModelContext } from '../../src/render/models.js';
import { usersPages } from '../../src/render/pages.js';
import { precompiledModule } from '../../src/render/precompile.js';
import { NUNJUCKS_OPTIONS, templateSources, templatesHash } from '../../src/render/site-files.js';
import { allPages, archivePage, emptyDashboardPage, siteModel } from './fixtures.js';
import { tempDir } from '../helpers/tmp.js';

const ctx: ModelContext = { lang: 'de', timeZone: 'UTC', t: LABELS.de, aliases: {}, now: '2026-11-26T12:00:00Z' };
const users = usersPages(
  [
    { user: '<script>alert(1)</script>', alias: `O'Brien "x"` },
    { user: 'bob', alias: 'a&b' },
  ],
  ctx,
);

describe('renderPagesDirect', () => {
  test('gives byte-identical pages to Eleventy for every page kind, in both languages', async () => {
    for (const lang of ['de', 'en'] as const) {
      const pages = [...allPages(), { ...emptyDashboardPage(), url: '/empty/' }, ...users];
      const kinds = new Set(pages.map((p) => p.kind));
      assert.deepEqual(
        [...kinds].sort(),
        ['anomalies', 'archive', 'dashboard', 'history', 'ledger', 'live', 'lookup', 'trash', 'user', 'users'],
        'the fixtures cover every kind',
      );
      const viaEleventy = await renderPages(siteModel(lang), pages);
      const direct = await renderPagesDirect(siteModel(lang), pages);
      assert.deepEqual([...direct.keys()], [...viaEleventy.keys()], 'same urls in the same order');
      for (const [url, html] of viaEleventy) assert.equal(direct.get(url), html, `${lang} ${url}`);
    }
  });

  test('the one render entry (src/render/index.ts) gives the same bytes for a full build and an incremental one', async () => {
    const pages = [...allPages(), ...users];
    const full = await renderEntry(siteModel('de'), pages, { full: true });
    const incremental = await renderEntry(siteModel('de'), pages, { full: false });
    assert.deepEqual(
      [...incremental.keys()],
      pages.map((p) => p.url),
    );
    assert.deepEqual([...incremental], [...full]);
    assert.deepEqual(
      [...full],
      [...(await renderPages(siteModel('de'), pages))],
      'a full build renders through Eleventy',
    );
  });

  test('checks urls like renderPages', async () => {
    await assert.rejects(
      renderPagesDirect(siteModel('de'), [{ ...archivePage(), url: '/../x/' }]),
      /not a "\/…\/" path/,
    );
    await assert.rejects(renderPagesDirect(siteModel('de'), [archivePage(), archivePage()]), /two pages have the url/);
  });

  test("the precompiled module (what npm run build writes) renders the same bytes as the sources, with nunjucks' slim build (as a compiled run does) and the full one", async (t) => {
    const dir = await tempDir(t, 'osw-precompiled-');
    const sources = templateSources();
    const file = join(dir, 'templates.compiled.mjs');
    await writeFile(file, precompiledModule(sources));
    const compiled = (await import(pathToFileURL(file).href)) as { hash: string; templates: Record<string, unknown> };
    assert.equal(compiled.hash, templatesHash(sources));
    assert.deepEqual(Object.keys(compiled.templates).sort(), sources.map((s) => s.name).sort());
    const pages = [...allPages(), ...users];
    const direct = await renderPagesDirect(siteModel('en'), pages);
    for (const [name, lib] of [
      ['slim', slim],
      ['full', nunjucks],
    ] as const) {
      const env = new lib.Environment(new lib.PrecompiledLoader(compiled.templates), NUNJUCKS_OPTIONS);
      for (const view of pages) {
        assert.equal(
          env.getTemplate('pages.njk').render({ site: siteModel('en'), pages, view }),
          direct.get(view.url),
          `${name} ${view.url}`,
        );
      }
    }
  });
});
