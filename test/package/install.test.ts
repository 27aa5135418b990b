/**
 * [slow] The package as an admin installs it: `npm pack`, then `npm install -g` of the
 * tarball into a temp prefix, then the installed command run from elsewhere. One pack and
 * one install (about 15 s with a warm npm cache; dependencies come from the cache when it
 * has them, else from the registry).
 *
 * The pack skips the `prepare` build (--ignore-scripts) after building dist/ the way every
 * CLI test does (ensureBuilt, under its lock): a rebuild inside `npm pack` would rewrite
 * dist/ under the test files that run the CLI at the same time.
 */
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, lstatSync, readdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { decodeSpoolLine, recordFromEnv } from '../../src/core/hook-line.js';
import { ensureBuilt, ROOT } from '../helpers/build.js';
import { hookEnv, runHook } from '../helpers/hooks.js';
import { tempDir } from '../helpers/tmp.js';

const SLOW_MS = 5 * 60_000;

function ok(r: SpawnSyncReturns<string>, what: string): string {
  assert.equal(r.error, undefined, `${what}: ${r.error?.message}`);
  assert.equal(r.status, 0, `${what}: exit ${r.status ?? r.signal}\n${r.stderr}\n${r.stdout}`);
  return r.stdout;
}

/** Every file below `dir`, relative, sorted. */
function filesBelow(dir: string, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? filesBelow(join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`]))
    .sort();
}

test('[slow] npm pack + npm install -g gives a working openvpn-status-web whose build finds its templates and assets', {
  timeout: SLOW_MS,
}, async (t) => {
  ensureBuilt();
  const dir = await tempDir(t, 'ovsw-install-');
  const packed = ok(
    spawnSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], {
      cwd: ROOT,
      encoding: 'utf8',
    }),
    'npm pack',
  );
  const [info] = JSON.parse(packed) as { filename: string; files: { path: string }[] }[];
  assert.ok(info, 'npm pack --json describes the tarball');
  const shipped = new Set(info.files.map((f) => f.path));

  // What an installed copy needs: the compiled code, the templates and assets, the admin's files.
  for (const path of [
    'bin/openvpn-status-web',
    'dist/cli.js',
    'scripts/openvpn-hook.sh',
    'site/pages.njk',
    'config.example.json',
    'README.md',
    'LICENSE',
    'scripts/cron/openvpn-status-web.cron',
    'scripts/systemd/openvpn-status-web.service',
    'scripts/systemd/openvpn-status-web.timer',
  ]) {
    assert.ok(shipped.has(path), `the package ships ${path}`);
  }
  for (const asset of filesBelow(join(ROOT, 'site')))
    assert.ok(shipped.has(`site/${asset}`), `the package ships site/${asset}`);
  for (const path of shipped)
    assert.ok(!/^(src|test|node_modules|dist-check)\//.test(path), `the package does not ship ${path}`);

  const prefix = join(dir, 'prefix');
  ok(
    spawnSync(
      'npm',
      ['install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', join(dir, info.filename)],
      { cwd: dir, encoding: 'utf8', timeout: SLOW_MS - 60_000 },
    ),
    'npm install -g',
  );
  const bin = join(prefix, 'bin', 'openvpn-status-web');
  assert.ok(existsSync(bin), `${bin} is installed`);
  const installed = join(prefix, 'lib', 'node_modules', 'openvpn-status-web');
  assert.ok(lstatSync(bin).isSymbolicLink(), 'npm links the command');
  assert.equal(
    realpathSync(bin),
    join(installed, 'bin', 'openvpn-status-web'),
    'to the sh front, bin/openvpn-status-web',
  );
  // Run from an unrelated folder, so nothing can come from this checkout.
  const work = join(dir, 'work');
  const cli = (...args: string[]) =>
    spawnSync(bin, args, { cwd: dir, encoding: 'utf8', env: { ...process.env, NODE_PATH: '' } });

  const help = ok(cli('--help'), '--help');
  assert.match(help, /^Usage: openvpn-status-web <command> \[flags\]$/m);
  for (const command of ['run', 'build', 'watch', 'doctor', 'config'])
    assert.match(help, new RegExp(`^  ${command} `, 'm'), `--help lists ${command}`);
  assert.match(ok(cli('--version'), '--version'), /^openvpn-status-web \d+\.\d+\.\d+\n$/);

  ok(cli('config', 'check', '--config', join(installed, 'config.example.json')), 'config check of the shipped example');

  // The hook as OpenVPN runs it, with OpenVPN's environment only: the shell hook of the installed package (a tab-separated line).
  const config = join(dir, 'hook-config.json');
  writeFileSync(config, JSON.stringify({ hookSpool: join(dir, 'spool.jsonl') }));
  const env = hookEnv('udp4-connect-username');
  const hooked = await runHook(bin, ['hook', '--instance', 'udp', '--config', config], env, { cwd: '/' });
  assert.deepEqual([hooked.code, hooked.stderr], [0, ''], 'installed hook');
  const line = readFileSync(join(dir, 'spool.jsonl'), 'utf8');
  assert.match(line, /^ovsw1\t[^\n]*\n$/, 'one line from the shell hook');
  const decoded = decodeSpoolLine(line.slice(0, -1));
  assert.ok(decoded.ok);
  const { hook_time: _t, ...expected } = recordFromEnv(env, 'udp', 0);
  assert.deepEqual(decoded.value.record, expected, 'the record the Node hook writes, without its clock');

  const out = join(work, 'www');
  const built = cli(
    'build',
    '--history',
    join(work, 'sessions.csv'),
    '--out',
    out,
    '--aliases',
    join(work, 'aliases.json'),
    '--tz',
    'UTC',
  );
  ok(built, 'build');
  assert.match(built.stderr, /^build: full, \d+ page\(s\) rendered/m);
  const page = readFileSync(join(out, 'index.html'), 'utf8');
  assert.match(page, /^<!doctype html>/i, 'the dashboard is a whole page');
  assert.ok(page.trimEnd().endsWith('</html>'), 'the dashboard is a whole page');
  // Every asset of the installed copy is published, byte for byte.
  const assets = filesBelow(join(installed, 'site', 'assets'));
  assert.ok(assets.length > 0, 'the package has assets');
  for (const a of assets) {
    assert.ok(
      readFileSync(join(out, 'assets', a)).equals(readFileSync(join(installed, 'site', 'assets', a))),
      `assets/${a} is published`,
    );
  }
});
