/**
 * User page names (src/core/slug.ts): two names whose 32-bit hashes collided
 * (`Max]#]!Muster`, `Max>(~&Muster`, both once `u/Max-Muster~51af6008/`) each get their own
 * pages through the compiled `run`, and a full build (as after an upgrade that changes the
 * page names) removes the pages of the old names.
 */
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { userSlug } from '../../src/core/slug.js';
import { cliOk } from '../helpers/cli.js';
import { brokenLinks, listFiles, plus, readHtml, siteArgs, T0, writeSyntheticSite } from '../helpers/site.js';
import { tempDir } from '../helpers/tmp.js';

const NAMES = ['Max]#]!Muster', 'Max>(~&Muster'];
const OLD = 'u/Max-Muster~51af6008';

test('two users whose short hashes collided: a run builds a page for each, a full build drops the old pages', async (t) => {
  const dir = await tempDir(t);
  const site = await writeSyntheticSite(dir, {
    sessions: 40,
    users: 4,
    spanDays: 3,
    live: 0,
    // Two of the four users renamed to the colliding names.
    mapHistory: (sessions) => {
      const others = [...new Set(sessions.map((s) => s.user))].sort().slice(0, 2);
      return sessions.map((s) => {
        const i = others.indexOf(s.user);
        return i < 0 ? s : { ...s, user: NAMES[i] as string, commonName: NAMES[i] as string, username: null };
      });
    },
  });
  const p = site.paths;
  const r = await cliOk(['run', ...siteArgs(p, plus(T0, 1))]);
  assert.match(r.stderr, /build: full/);
  const slugs = NAMES.map(userSlug);
  assert.notEqual(slugs[0], slugs[1]);
  for (const [i, name] of NAMES.entries()) {
    const doc = await readHtml(p.out, `u/${slugs[i]}/index.html`);
    assert.ok(
      (doc.querySelector('#page-heading')?.textContent ?? '').includes(name),
      `u/${slugs[i]}/ is ${name}'s page`,
    );
  }

  // Pages an older version wrote under the old name, and a cache it left: the next build is full.
  for (const page of ['', 'ended/', 'm/2026-03/']) {
    await mkdir(join(p.out, OLD, page), { recursive: true });
    await writeFile(join(p.out, OLD, page, 'index.html'), '<!doctype html><title>old</title>');
  }
  const manifest = join(p.cache, 'manifest.json');
  await writeFile(manifest, (await readFile(manifest, 'utf8')).replace(/"key":"[^"]*"/, '"key":"an older version"'));
  const again = await cliOk(['run', ...siteArgs(p, plus(T0, 61))]);
  assert.match(again.stderr, /build: full/);
  const files = await listFiles(p.out);
  assert.deepEqual(
    files.filter((f) => f.startsWith(`${OLD}/`)),
    [],
    'the old pages are gone',
  );
  for (const slug of slugs) assert.ok(files.includes(`u/${slug}/index.html`), `u/${slug}/ stays`);
  assert.deepEqual(await brokenLinks(p.out), []);
});
