/**
 * The one entry for rendering pages. Two renderers give the same bytes from the same
 * templates (test/render/direct.test.ts holds them to it): Eleventy (eleventy.ts) for a
 * full build, and nunjucks directly (direct.ts) for the few pages of an incremental one,
 * as loading Eleventy alone costs more than a quiet cron minute's whole budget.
 */
import { renderPagesDirect } from './direct.js';
import type { PageModel, SiteModel } from './view-model.js';

export interface RenderOptions {
  /** Part of a full build (every page, in many batches): worth loading Eleventy for. */
  full: boolean;
}

/** Renders `pages`; returns each page's url → HTML, in the order of `pages`. */
export async function renderPages(
  site: SiteModel,
  pages: PageModel[],
  opts: RenderOptions,
): Promise<Map<string, string>> {
  if (!opts.full) return renderPagesDirect(site, pages);
  // Loaded only when needed: a process that never renders in full never loads Eleventy.
  return (await import('./eleventy.js')).renderPages(site, pages);
}
