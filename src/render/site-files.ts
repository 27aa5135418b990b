/**
 * Where the templates live and which page urls are allowed: shared by both renderers
 * (src/render/eleventy.ts and src/render/direct.ts) without loading either.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PageModel } from './view-model.js';

/**
 * The templates' folder. This module is src/render/site-files.ts under tsx and
 * dist/render/site-files.js after `tsc`: both are two levels below the package root.
 */
export const SITE_DIR = fileURLToPath(new URL('../../site/', import.meta.url));

/**
 * "/", "/active/", "/u/alice/", "/d/2026-11-25/p2/", "/u/o-brien~1a2b3c4d/": segments of URL
 * unreserved characters, none starting with a dot. No %XX: nginx decodes it before looking
 * for the file, so the url and the file name (outputPathFor) would no longer match.
 */
const URL_PATTERN = /^\/(?:[A-Za-z0-9_~-][A-Za-z0-9._~-]*\/)*$/;

/** The file a page URL is written to, relative to the output folder: "/u/alice/" → "u/alice/index.html". */
export function outputPathFor(url: string): string {
  return `${url.slice(1)}index.html`;
}

export function checkUrls(pages: readonly PageModel[]): void {
  const seen = new Set<string>();
  for (const p of pages) {
    if (!URL_PATTERN.test(p.url)) {
      throw new Error(`renderPages: page url ${JSON.stringify(p.url)} is not a "/…/" path of plain segments`);
    }
    if (seen.has(p.url)) throw new Error(`renderPages: two pages have the url ${JSON.stringify(p.url)}`);
    seen.add(p.url);
  }
}

export interface TemplateSource {
  /** The name templates use for it: "layouts/base.njk", "partials/pager.njk", or "pages.njk". */
  name: string;
  source: string;
}

/** Options both renderers and the precompiler give nunjucks (trim options act at compile time). */
export const NUNJUCKS_OPTIONS = { autoescape: true, trimBlocks: true, lstripBlocks: true } as const;

/** pages.njk without its front matter (Eleventy's part: pagination and permalink). */
export function pageBody(source: string, path: string): string {
  const front = /^---\r?\n[\s\S]*?\r?\n---\r?\n/.exec(source);
  if (!front) throw new Error(`${path}: expected front matter between "---" lines`);
  return source.slice(front[0].length);
}

/** Every template the direct renderer needs, read from SITE_DIR, in a stable order. */
export function templateSources(): TemplateSource[] {
  const includes = join(SITE_DIR, '_includes');
  const list: TemplateSource[] = [];
  for (const dir of readdirSync(includes).sort()) {
    for (const file of readdirSync(join(includes, dir)).sort()) {
      if (file.endsWith('.njk'))
        list.push({ name: `${dir}/${file}`, source: readFileSync(join(includes, dir, file), 'utf8') });
    }
  }
  const pages = join(SITE_DIR, 'pages.njk');
  list.push({ name: 'pages.njk', source: pageBody(readFileSync(pages, 'utf8'), pages) });
  return list;
}

/** Identifies a set of template sources (a precompiled set is used only for the same sources). */
export function templatesHash(sources: readonly TemplateSource[]): string {
  const h = createHash('sha256');
  for (const s of sources) h.update(s.name).update('\u0000').update(s.source).update('\u0000');
  return h.digest('hex').slice(0, 32);
}
