/// <reference path="./eleventy.d.ts" />
/**
 * Renders every page of the static site in-process with Eleventy 3 (Nunjucks), to memory.
 *
 * Templates live in the package's `site/` folder (one paginated template, `site/pages.njk`,
 * renders every PageModel by its `kind`). Eleventy reads nothing but that folder: no config
 * file, no .gitignore, no template data files; the data is handed over as global data.
 */
import Eleventy from '@11ty/eleventy';
import type { EleventyUserConfig, NunjucksEnvironment } from '@11ty/eleventy';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { checkUrls, SITE_DIR } from './site-files.js';
import type { PageModel, SiteModel } from './view-model.js';

/**
 * Eleventy wants an output folder even though toJSON() writes nothing. It must lie outside
 * SITE_DIR (Eleventy ignores the output folder's contents as input) and is never created.
 */
const UNUSED_OUTPUT = join(tmpdir(), 'openvpn-status-web-eleventy-unused');

/**
 * The Nunjucks environment of the first build, reused by every later build in this process.
 * Its loader caches the compiled layout and partials, so a build only compiles the small
 * page template: without this, recompiling every partial was most of a build's time.
 * The templates are package files that do not change while the process runs.
 */
let sharedEnv: NunjucksEnvironment | null = null;

/** All Eleventy configuration (filters, if ever needed, are registered here and only here). */
function configure(cfg: EleventyUserConfig, site: SiteModel, pages: readonly PageModel[]): void {
  cfg.setTemplateFormats(['njk']);
  cfg.setUseGitIgnore(false);
  // No `pages.11tydata.js`/`pages.json` lookups next to the template.
  cfg.setDataFileSuffixes([]);
  if (sharedEnv) {
    // Eleventy adds its custom tags (`setAsync`) to the environment on every build and
    // nunjucks keeps a list of them: drop the previous build's so the list does not grow.
    for (const name of Object.keys(sharedEnv.extensions)) sharedEnv.removeExtension(name);
    cfg.setLibrary('njk', sharedEnv);
  } else {
    // Autoescape stays on: every model text is plain text; only the chart SVG is `| safe`.
    cfg.setNunjucksEnvironmentOptions({ autoescape: true, trimBlocks: true, lstripBlocks: true });
    cfg.on('eleventy.engine.njk', ({ environment }) => {
      sharedEnv ??= environment;
    });
  }
  // Do not read the cwd's package.json for the `pkg` global data: the cwd is none of our
  // business (a broken package.json there would fail the build). There is no config API
  // for `keys.package`; the merged configuration is open for changes at this event.
  cfg.on('eleventy.config', (templateConfig) => {
    templateConfig.getConfig().keys.package = false;
  });
  // Eleventy reads `.eleventyignore` (and `.gitignore`, off above) in the cwd and makes its
  // lines cwd-relative globs ("./…"); when the cwd is above the package such a line can hide
  // our templates. Its default "**/node_modules/**" hides all of them once the package is
  // installed (…/lib/node_modules/openvpn-status-web/site/) and run from outside it, as cron
  // does. Our own ignores are absolute (SITE_DIR's and the output folder's): keep only those.
  cfg.on('eleventy.ignores', (ignores) => {
    const ours = ignores.filter((glob) => isAbsolute(glob));
    ignores.splice(0, ignores.length, ...ours);
  });
  cfg.addGlobalData('site', site);
  cfg.addGlobalData('pages', pages);
}

/** Renders `pages`; returns each page's url → HTML, in the order of `pages`. */
export async function renderPages(site: SiteModel, pages: PageModel[]): Promise<Map<string, string>> {
  checkUrls(pages);
  const result = new Map<string, string>();
  if (pages.length === 0) return result;

  const elev = new Eleventy(SITE_DIR, UNUSED_OUTPUT, {
    quietMode: true,
    // '' = read no config file (a missing path would be an error; undefined = look in the cwd).
    configPath: '',
    // Skip reading the cwd's package.json to guess the module type.
    loader: 'esm',
    config: (cfg) => configure(cfg, site, pages),
  });
  const rendered = new Map<string, string>();
  for (const entry of await elev.toJSON()) {
    if (typeof entry.url === 'string') rendered.set(entry.url, entry.content);
  }
  for (const p of pages) {
    const html = rendered.get(p.url);
    if (html === undefined) throw new Error(`renderPages: Eleventy produced no output for ${p.url}`);
    result.set(p.url, html);
  }
  return result;
}
