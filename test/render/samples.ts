/** Every sample page of fixtures.ts rendered through Eleventy: German, English, and the empty dashboard. */
import { renderPages } from '../../src/render/eleventy.js';
import { allPages, emptyDashboardPage, siteModel } from './fixtures.js';

export interface RenderedSamples {
  de: Map<string, string>;
  en: Map<string, string>;
  empty: Map<string, string>;
}

export async function renderSamples(): Promise<RenderedSamples> {
  return {
    de: await renderPages(siteModel('de'), allPages()),
    en: await renderPages(siteModel('en'), allPages()),
    empty: await renderPages(siteModel('de'), [emptyDashboardPage()]),
  };
}
