/**
 * The build's bundle of the CLI (scripts/bundle-cli.mjs, dist/bundle/): dist/cli.js runs it
 * when it is not older than the modules, it loads none of the modules or bundled packages
 * on the side, and it writes the same site as the modules do.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { copyFile, mkdir, readFile, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, test } from 'node:test';
import { advanceClients } from '../../src/demo/synthetic.js';
import { CLI, ROOT, distPath, ensureBuilt } from '../helpers/build.js';
import { runNode, type RunResult } from '../helpers/cli.js';
import {
  listFiles,
  plus,
  siteArgs,
  T0,
  writeStatusFile,
  writeSyntheticSite,
  type SyntheticSite,
} from '../helpers/site.js';
import { tempDir } from '../helpers/tmp.js';

/** The CLI from its modules, without dist/cli.js (which would run the bundle). */
const MODULES = `import { main } from ${JSON.stringify(pathToFileURL(distPath('main.js')).href)}; process.exitCode = await main(process.argv.slice(1));`;

async function ok(r: Promise<RunResult>, what: string): Promise<RunResult> {
  const done = await r;
  assert.equal(done.code, 0, `${what}: exit 0\n${done.stderr}`);
  return done;
}

/** A site, then a minute in which three clients reconnect (sessions start; held ones end a minute later), then that minute. */
async function threeRuns(
  dir: string,
  run: (args: string[]) => Promise<RunResult>,
  afterFull = (): void => undefined,
): Promise<SyntheticSite> {
  await mkdir(dir, { recursive: true });
  const site = await writeSyntheticSite(dir, { sessions: 300, users: 12, spanDays: 20, live: 6 });
  await ok(run(['run', ...siteArgs(site.paths, T0)]), 'first run (full build)');
  afterFull();
  const next = advanceClients(site.clients, { from: T0, to: plus(T0, 60), reconnect: 3, seed: 7 });
  await writeStatusFile(site.paths.status, next, plus(T0, 60), site.seed);
  await ok(run(['run', ...siteArgs(site.paths, plus(T0, 60))]), 'second run (sessions start)');
  await writeStatusFile(
    site.paths.status,
    advanceClients(next, { from: plus(T0, 60), to: plus(T0, 120), seed: 8 }),
    plus(T0, 120),
    site.seed,
  );
  await ok(run(['run', ...siteArgs(site.paths, plus(T0, 120))]), 'third run (sessions end)');
  return site;
}

describe('the bundle of the CLI', () => {
  test('writes the same site, byte for byte, as the modules', async (t) => {
    ensureBuilt();
    const a = await threeRuns(join(await tempDir(t), 'a'), (args) => runNode([CLI, ...args]));
    const b = await threeRuns(join(await tempDir(t), 'b'), (args) =>
      runNode(['--input-type=module', '-e', MODULES, ...args]),
    );
    const files = await listFiles(a.paths.out);
    assert.deepEqual(await listFiles(b.paths.out), files, 'the same files');
    assert.ok(
      files.some((f) => f.endsWith('.xlsx')) && files.some((f) => f.startsWith('u/')),
      'exports and user pages among them',
    );
    for (const f of files)
      assert.ok(
        (await readFile(join(a.paths.out, f))).equals(await readFile(join(b.paths.out, f))),
        `${f}: the same bytes`,
      );
  });

  test('dist/cli.js loads the bundle and no module or bundled package beside it (incremental runs)', async (t) => {
    ensureBuilt();
    const dir = await tempDir(t);
    // Every ES module Node resolves is logged (module.register hooks run in a thread of their own).
    const log = join(dir, 'loaded.txt');
    const hooks = join(dir, 'hooks.mjs');
    await writeFile(
      hooks,
      `import { appendFileSync } from 'node:fs';\nexport async function resolve(s, c, next) { const r = await next(s, c); appendFileSync(${JSON.stringify(log)}, r.url + '\\n'); return r; }\n`,
    );
    const preload = join(dir, 'preload.mjs');
    await writeFile(
      preload,
      `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`,
    );
    // The runs after the first: the first is a full build, through Eleventy, which loads its own nunjucks.
    await threeRuns(
      join(dir, 'site'),
      (args) => runNode(['--import', preload, CLI, ...args]),
      () => writeFileSync(log, ''),
    );
    const root = pathToFileURL(ROOT).href;
    const ours = [...new Set(readFileSync(log, 'utf8').split('\n'))]
      .filter((u) => u.startsWith(root))
      .map((u) => u.slice(root.length));
    const modules = ours.filter((u) => !u.startsWith('node_modules/'));
    assert.ok(modules.includes('dist/bundle/main.js'), `the bundle ran: ${modules.join(', ')}`);
    assert.deepEqual(
      modules.filter(
        (u) => u !== 'dist/cli.js' && u !== 'dist/render/templates.compiled.js' && !u.startsWith('dist/bundle/'),
      ),
      [],
      'no module of dist/ but the entry and the precompiled templates',
    );
    const packages = ours.filter((u) => /^node_modules\/(nunjucks|csv-parse|csv-stringify)\//.test(u));
    assert.deepEqual(packages, [], 'the bundled packages are not loaded from node_modules');
  });

  test('dist/cli.js runs the bundle only when it is not older than the modules', async (t) => {
    ensureBuilt();
    const dist = join(await tempDir(t), 'dist');
    await mkdir(join(dist, 'bundle'), { recursive: true });
    await writeFile(join(dist, '..', 'package.json'), '{ "type": "module" }\n');
    await copyFile(CLI, join(dist, 'cli.js'));
    const fake = (name: string): string =>
      `export async function main() { process.stdout.write(${JSON.stringify(name)}); return 0; }\n`;
    await writeFile(join(dist, 'main.js'), fake('modules'));
    const which = async (): Promise<string> => (await ok(runNode([join(dist, 'cli.js')]), 'fake CLI')).stdout;
    assert.equal(await which(), 'modules', 'no bundle');
    await writeFile(join(dist, 'bundle', 'main.js'), fake('bundle'));
    const at = (s: number): Date => new Date(Date.UTC(2026, 10, 27, 3, 0, s));
    await utimes(join(dist, 'main.js'), at(0), at(0));
    await utimes(join(dist, 'bundle', 'main.js'), at(1), at(1));
    assert.equal(await which(), 'bundle', 'a newer bundle');
    await utimes(join(dist, 'bundle', 'main.js'), at(0), at(0));
    assert.equal(await which(), 'bundle', 'a bundle as old as the modules (npm pack gives every file one time)');
    await utimes(join(dist, 'main.js'), at(5), at(5));
    assert.equal(await which(), 'modules', 'a bundle older than the modules (a bare tsc after the build)');
  });
});
