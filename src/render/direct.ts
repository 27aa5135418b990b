/// <reference path="./nunjucks.d.ts" />
/**
 * The same templates as src/render/eleventy.ts, rendered with nunjucks (Eleventy's own
 * template engine) directly. Loading Eleventy costs more than a quiet cron minute may
 * (docs/PERFORMANCE.md), so incremental builds (the dashboard, a day
 * that gained a session) render here and full builds through Eleventy. A test renders
 * every page kind both ways and requires identical bytes.
 */
import type { Environment, Loader } from 'nunjucks';
import { checkUrls, NUNJUCKS_OPTIONS, templateSources, templatesHash, type TemplateSource } from './site-files.js';
import type { PageModel, SiteModel } from './view-model.js';

interface Compiled {
  hash: string;
  templates: Record<string, unknown>;
}

/** The precompiled templates, dist/render/templates.compiled.js (`npm run build` writes them; the path holds from dist/bundle/ too). */
async function loadCompiled(): Promise<Compiled | null> {
  try {
    return (await import(new URL('../render/templates.compiled.js', import.meta.url).href)) as Compiled;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND') return null;
    throw e;
  }
}

let envPromise: Promise<Environment> | null = null;

/**
 * The precompiled templates when they were made from the current sources, run by nunjucks'
 * slim build (the same runtime, without lexer, parser and compiler, so it loads faster);
 * else the sources, compiled on use by the full package.
 */
async function environment(): Promise<Environment> {
  const sources = templateSources();
  const compiled = await loadCompiled();
  if (compiled !== null && compiled.hash === templatesHash(sources)) {
    const slim = (await import('nunjucks/browser/nunjucks-slim.js')).default;
    return new slim.Environment(new slim.PrecompiledLoader(compiled.templates), NUNJUCKS_OPTIONS);
  }
  return sourceEnvironment(sources);
}

/** Templates compiled from their sources (tsx runs, or site/ changed after the build). */
async function sourceEnvironment(sources: readonly TemplateSource[]): Promise<Environment> {
  const nunjucks = (await import('nunjucks')).default;
  const byName = new Map(sources.map((s) => [s.name, s.source]));
  // nunjucks takes any object with getSource() as a (synchronous) loader.
  const loader = {
    getSource(name: string): { src: string; path: string; noCache: boolean } | null {
      const src = byName.get(name);
      return src === undefined ? null : { src, path: name, noCache: false };
    },
  };
  return new nunjucks.Environment(loader as unknown as Loader, NUNJUCKS_OPTIONS);
}

/** Renders `pages`; returns each page's url → HTML, in the order of `pages` (as renderPages does). */
export async function renderPagesDirect(site: SiteModel, pages: PageModel[]): Promise<Map<string, string>> {
  checkUrls(pages);
  envPromise ??= environment();
  const template = (await envPromise).getTemplate('pages.njk', true);
  const result = new Map<string, string>();
  for (const view of pages) result.set(view.url, template.render({ site, pages, view }));
  return result;
}
