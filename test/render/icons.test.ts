/**
 * Icons are inline SVG (classes only, drawn in currentColor), never emoji: without an emoji
 * font an emoji is an empty box, and some were invisible in the dark theme. Every page kind
 * of the demo's data is built and looked at, with the sample pages for the kinds the demo
 * does not reach (the /live/ list).
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { JSDOM } from 'jsdom';
import { demoSettings, writeDemoData } from '../../src/app/demo.js';
import { run } from '../../src/app/run.js';
import { siteAssets } from '../../src/render/assets.js';
import { memoryLog, siteSettings } from '../helpers/api.js';
import { listFiles, sitePaths } from '../helpers/site.js';
import { tempDir } from '../helpers/tmp.js';
import { renderSamples } from './samples.js';

/** An emoji (pictograph, flag letter) or the variation selector that asks for emoji presentation. */
const EMOJI = /\p{Extended_Pictographic}|\p{Regional_Indicator}|\uFE0F/u;
const NOW = '2026-11-26T16:00:00Z';

/** The page kind of a built page, by its url. */
function kindOf(file: string): string {
  if (file === 'index.html') return 'dashboard';
  if (file.startsWith('u/') && /^u\/[^/]+\/index\.html$/.test(file)) return 'user';
  if (file.startsWith('archive/')) return 'archive';
  if (file.startsWith('users/')) return 'users';
  if (file.startsWith('live/')) return 'live';
  if (file.startsWith('trash/')) return 'trash';
  return 'history';
}

describe('icons', () => {
  const pages = new Map<string, string>();
  before(async () => {
    for (const lang of ['de', 'en'] as const) {
      const dir = await tempDir('ovsw-icons-');
      const settings = demoSettings({ ...siteSettings(sitePaths(dir)), lang }, dir);
      await writeDemoData(settings, NOW);
      const ran = await run(settings, NOW, memoryLog());
      assert.ok(ran.ok, 'the demo site was built');
      for (const file of await listFiles(settings.out, '.html')) {
        pages.set(`${lang}:${file}`, await readFile(join(settings.out, file), 'utf8'));
      }
    }
    const samples = await renderSamples();
    for (const [lang, map] of Object.entries(samples)) {
      for (const [url, html] of map) pages.set(`sample-${lang}:${url}`, html);
    }
  });

  test('no page of any kind holds an emoji code point', () => {
    const kinds = new Set([...pages.keys()].filter((k) => !k.startsWith('sample')).map((k) => kindOf(k.slice(3))));
    assert.deepEqual(
      [...kinds].sort(),
      ['archive', 'dashboard', 'history', 'trash', 'user', 'users'],
      'the demo builds them',
    );
    assert.ok(
      [...pages.keys()].some((k) => k.startsWith('sample-de:/live/')),
      'and the samples add /live/',
    );
    for (const [name, html] of pages) {
      const m = EMOJI.exec(html);
      assert.equal(
        m,
        null,
        `${name}: emoji ${m?.[0]} at …${html.slice(Math.max(0, (m?.index ?? 0) - 80), (m?.index ?? 0) + 20)}`,
      );
    }
  });

  test('the theme button, the downloads and the clear button carry SVG icons with a name', () => {
    const d = new JSDOM(pages.get('de:index.html')).window.document;
    const toggle = d.querySelector('[data-theme-toggle]') as Element;
    assert.equal(toggle.getAttribute('aria-label'), 'Hell/Dunkel umschalten');
    assert.equal(toggle.querySelectorAll('svg.icon').length, 2, 'a moon and a sun');
    const clear = d.querySelector('[data-delete-all]') as Element;
    assert.equal(clear.getAttribute('aria-label'), 'Gesamte History löschen');
    assert.ok(clear.querySelector('svg.icon'), 'the clear button shows an icon');
    const excel = d.querySelector('.downloads a.btn-primary') as Element;
    assert.ok(excel.querySelector('svg.icon'));
    assert.match(excel.textContent ?? '', /Download Excel/, 'with its text');
    for (const svg of d.querySelectorAll('svg.icon')) {
      assert.equal(svg.getAttribute('aria-hidden'), 'true', 'the name is on the control, not the drawing');
      assert.equal(svg.getAttribute('focusable'), 'false');
    }
    for (const [name, html] of pages) assert.doesNotMatch(html, /\sstyle=/, `${name}: no inline style (strict CSP)`);
  });

  test('icons are drawn in the text colour of their control, so both themes show them', async () => {
    const css = (await siteAssets()).find((a) => a.path === 'assets/style.css')!.content.toString('utf8');
    const rule = /\.icon\s*\{([^}]*)\}/.exec(css)?.[1] ?? '';
    assert.match(rule, /stroke:\s*currentColor/);
    assert.match(rule, /fill:\s*none/);
  });
});
