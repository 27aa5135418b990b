/**
 * The installed command, bin/openvpn-status-web (package.json "bin"): a POSIX sh front that
 * runs `hook` as scripts/openvpn-hook.sh, without Node, and hands everything else to the
 * Node CLI (dist/cli.js) with its exit code.
 *
 * The hook through the front must find the spool exactly as the Node hook (`node dist/cli.js
 * hook`) does for every flag form — --spool, --history, --config with hookSpool or only
 * history, relative paths against the working directory — and its line must become the same
 * event in collect's reader (takeSpool). A config value it cannot read safely (an escape, the
 * key twice) is refused: exit 0, one line on stderr, nothing written.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, chown, mkdir, readdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { DEFAULTS, hookSpoolPath } from '../../src/core/settings.js';
import { CLI, ensureBuilt, ROOT } from '../helpers/build.js';
import { connectEnv, hookEnv, median, RECORDED, runHook, takeSpoolWarned, type HookRun } from '../helpers/hooks.js';
import { reachableRoot } from '../helpers/reachable.js';
import { tempDir } from '../helpers/tmp.js';

const FRONT = join(ROOT, 'bin', 'openvpn-status-web');
const HOOK_SH = join(ROOT, 'scripts', 'openvpn-hook.sh');
/** OpenVPN's PATH with this test's Node in front, for what the front hands to `node`. */
const PATH = `${dirname(process.execPath)}:/usr/local/bin:/usr/bin:/bin`;
const NOW = '2026-11-26T20:00:00Z';

type Env = Record<string, string | undefined>;
type Opts = { asNobody?: boolean; cwd?: string; path?: string };

const viaFront = (args: string[], env: Env, opts: Opts = {}): Promise<HookRun> =>
  runHook(FRONT, ['hook', ...args], env, { path: PATH, ...opts });
const viaNode = (args: string[], env: Env, opts: Opts = {}): Promise<HookRun> => {
  ensureBuilt();
  return runHook(process.execPath, [CLI, 'hook', ...args], env, opts);
};

/** The front with plain arguments (not a hook), and the Node CLI with the same ones. */
const front = (args: string[], opts: Opts = {}): Promise<HookRun> => runHook(FRONT, args, {}, { path: PATH, ...opts });
const node = (args: string[], opts: Opts = {}): Promise<HookRun> => {
  ensureBuilt();
  return runHook(process.execPath, [CLI, ...args], {}, opts);
};

/** Every file below `dir` that holds spool lines (either encoding), relative to `dir`, sorted. */
async function spoolFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile() && /^(\{"v":1,|ovsw1\t)/.test(await readFile(p, 'utf8'))) out.push(relative(dir, p));
    }
  };
  await walk(dir);
  return out.sort();
}

/** Writes `files` (path relative to `dir` → content) and makes their folders. */
async function layout(dir: string, files: Record<string, string>): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
  }
}

/** A recorded environment, and the argument OpenVPN appends to client-connect's command. */
function recorded(i: number): { env: Env; extra: string[]; name: string } {
  const name = RECORDED[i % RECORDED.length] as (typeof RECORDED)[number];
  const env = hookEnv(name);
  return { env, extra: env.script_type === 'client-connect' ? ['/tmp/openvpn_cc_5f3a.tmp'] : [], name };
}

const json = (x: unknown): string => `${JSON.stringify(x, null, 2)}\n`;

/** The shipped config.example.json as it is, byte for byte, but for the values of `over` (hookSpool, history). */
function exampleConfig(over: { hookSpool?: string; history?: string }): string {
  let text = readFileSync(join(ROOT, 'config.example.json'), 'utf8');
  for (const [key, value] of Object.entries(over)) {
    const re = new RegExp(`^(  "${key}": )"[^"]*"`, 'm');
    assert.match(text, re, `config.example.json has "${key}" on a line of its own`);
    text = text.replace(re, (_m, head: string) => `${head}${JSON.stringify(value)}`);
  }
  return text;
}

interface Found {
  name: string;
  /** Files to create, relative to the working directory. */
  files: Record<string, string>;
  /** The hook's flags; "@/" stands for the working directory (an absolute path). */
  args: string[];
  /** Where both hooks must append, relative to the working directory. */
  spool: string;
}

const FOUND: Found[] = [
  { name: '--spool FILE (relative)', files: {}, args: ['--spool', 'spool.jsonl'], spool: 'spool.jsonl' },
  {
    name: '--spool=FILE (absolute), --instance=NAME',
    files: {},
    args: ['--instance=tcp-2', '--spool=@/abs.jsonl'],
    spool: 'abs.jsonl',
  },
  { name: 'the last of two --spool', files: {}, args: ['--spool', 'a.jsonl', '--spool', 'b.jsonl'], spool: 'b.jsonl' },
  {
    name: '--history FILE: HISTORY.hook-spool.jsonl',
    files: { 'var/.keep': '' },
    args: ['--history', 'var/h.csv'],
    spool: 'var/h.csv.hook-spool.jsonl',
  },
  {
    name: '--config with hookSpool (relative: against the working directory, not the config folder)',
    files: { 'etc/c.json': json({ hookSpool: 'spool/s.jsonl' }), 'spool/.keep': '' },
    args: ['--instance', 'udp', '--config', 'etc/c.json'],
    spool: 'spool/s.jsonl',
  },
  {
    name: '--config with only history',
    files: { 'etc/c.json': json({ history: 'var/h.csv', lang: 'en' }), 'var/.keep': '' },
    args: ['--config=etc/c.json'],
    spool: 'var/h.csv.hook-spool.jsonl',
  },
  {
    name: "--config's hookSpool wins over --history",
    files: { 'etc/c.json': json({ hookSpool: 'from-config.jsonl', history: 'h.csv' }) },
    args: ['--history', 'flag.csv', '--config', 'etc/c.json'],
    spool: 'from-config.jsonl',
  },
  {
    name: "--history wins over the config's history",
    files: { 'etc/c.json': json({ history: 'config.csv' }) },
    args: ['--config', 'etc/c.json', '--history', 'flag.csv'],
    spool: 'flag.csv.hook-spool.jsonl',
  },
  {
    name: '--spool wins; the config is not read',
    files: {},
    args: ['--config', 'etc/missing.json', '--spool', 's.jsonl'],
    spool: 's.jsonl',
  },
  {
    name: 'the shipped config.example.json (comments with \\" escapes, a status object), absolute paths',
    files: { 'etc/config.json': '', 'spool/.keep': '' },
    args: ['--instance', 'udp', '--config', '@/etc/config.json'],
    spool: 'spool/spool.jsonl',
  },
  {
    name: 'the keys inside strings and a nested object do not count; one line; "-q", "--verbose"',
    files: {
      'c.json':
        '{"title":"x \\"hookSpool\\": \\"/evil\\" {[","status":{"hookSpool":"/run/openvpn/x.log","udp":"/run/u.log"},"history":"h.csv"}',
    },
    args: ['-q', '--config', 'c.json', '--verbose'],
    spool: 'h.csv.hook-spool.jsonl',
  },
  {
    name: 'CRLF, tabs, and a path with spaces, commas, colons, brackets and non-ASCII',
    files: {
      'c.json': '{\r\n\t"lang"\t: "en",\r\n\t"hookSpool"\t:\r\n\t\t"spo ol, a:b {x} [1] Ünï 名前.jsonl"\r\n}\r\n',
    },
    args: ['--config', 'c.json'],
    spool: 'spo ol, a:b {x} [1] Ünï 名前.jsonl',
  },
];

describe('bin/openvpn-status-web hook: the same spool and the same event as the Node hook', () => {
  test('the front is an executable POSIX sh script, and the shell hook defaults to the default history', async () => {
    assert.equal(readFileSync(FRONT, 'utf8').split('\n')[0], '#!/bin/sh');
    assert.ok(((await stat(FRONT)).mode & 0o111) === 0o111, 'bin/openvpn-status-web is executable');
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      bin: Record<string, string>;
      files: string[];
    };
    assert.deepEqual(pkg.bin, { 'openvpn-status-web': 'bin/openvpn-status-web' });
    assert.ok(pkg.files.includes('bin'), 'package.json "files" ships bin/');
    const m = /^DEFAULT_HISTORY=(\S+)/m.exec(readFileSync(HOOK_SH, 'utf8'));
    assert.equal(m?.[1], DEFAULTS.history, 'scripts/openvpn-hook.sh: DEFAULT_HISTORY = DEFAULTS.history');
    assert.equal(
      `${m?.[1]}.hook-spool.jsonl`,
      hookSpoolPath(DEFAULTS),
      'so its default spool is hookSpoolPath(DEFAULTS)',
    );
  });

  for (const [i, c] of FOUND.entries()) {
    test(c.name, async (t) => {
      const dir = await tempDir(t, 'ovsw-front-');
      const files = { ...c.files };
      if ('etc/config.json' in files)
        files['etc/config.json'] = exampleConfig({
          hookSpool: join(dir, 'spool', 'spool.jsonl'),
          history: join(dir, 'var', 'h.csv'),
        });
      await layout(dir, files);
      const args = c.args.map((a) => a.replace('@/', `${dir}/`));
      const { env, extra, name } = recorded(i);
      const n = await viaNode([...args, ...extra], env, { cwd: dir });
      assert.deepEqual([n.code, n.stderr], [0, ''], `the Node hook (${name})`);
      const f = await viaFront([...args, ...extra], env, { cwd: dir });
      assert.deepEqual([f.code, f.stderr, f.stdout], [0, '', ''], `the front's hook (${name})`);

      assert.deepEqual(await spoolFiles(dir), [c.spool], 'both appended to the one expected spool');
      const lines = (await readFile(join(dir, c.spool), 'utf8')).split('\n');
      assert.equal(lines.length, 3, 'two lines');
      assert.match(lines[0] ?? '', /^\{"v":1,/, 'the Node hook: JSON');
      assert.match(lines[1] ?? '', /^ovsw1\t/, 'the front: the shell hook (tab-separated)');
      const intake = await takeSpoolWarned(join(dir, c.spool), undefined, NOW);
      assert.deepEqual(intake.warnings, []);
      assert.equal(intake.events.length, 2, 'collect reads two events');
      assert.deepEqual(intake.events[1], intake.events[0], `the same event (${name})`);
    });
  }

  test("an environment that is no event: the same refusal as the Node hook's, nothing written", async (t) => {
    const dir = await tempDir(t, 'ovsw-front-');
    for (const env of [{}, connectEnv({ common_name: undefined })]) {
      const f = await viaFront(['--spool', 's.jsonl'], env, { cwd: dir });
      assert.equal(f.code, 0);
      assert.match(
        f.stderr,
        /^openvpn-status-web hook \(sh\): (script_type "" is not client-connect|common_name is not set).*\(exit 0: OpenVPN goes on\)\n$/,
      );
    }
    assert.deepEqual(await spoolFiles(dir), []);
  });

  test('an unknown flag: reported on stderr, and the event recorded, like the Node hook', async (t) => {
    const dir = await tempDir(t, 'ovsw-front-');
    const f = await viaFront(['--spool', 's.jsonl', '--instanse', 'udp', '-qx'], connectEnv(), { cwd: dir });
    const n = await viaNode(['--spool', 'n.jsonl', '--instanse', 'udp', '-qx'], connectEnv(), { cwd: dir });
    assert.deepEqual([f.code, n.code], [0, 0]);
    assert.equal(
      f.stderr,
      'openvpn-status-web hook (sh): unknown flag(s) --instanse -x ignored (exit 0: OpenVPN goes on)\n',
    );
    assert.equal(
      n.stderr,
      'openvpn-status-web hook: unknown flag(s) --instanse -x ignored (exit 0: OpenVPN goes on)\n',
    );
    assert.deepEqual(await spoolFiles(dir), ['n.jsonl', 's.jsonl']);
  });
});

describe('bin/openvpn-status-web hook: a config value the shell cannot read safely', () => {
  const REFUSED: [string, string, RegExp][] = [
    ['a \\" in the value', '{"hookSpool": "a\\"b.jsonl"}', /the value of "hookSpool" has an escape .* or use --spool$/],
    ['a \\\\ in the value', '{"hookSpool": "a\\\\b.jsonl"}', /the value of "hookSpool" has an escape/],
    ['a \\u escape in the value', '{"hookSpool": "\\u0073.jsonl"}', /the value of "hookSpool" has an escape/],
    ['an escape in history (no hookSpool)', '{"history": "h\\"1.csv"}', /the value of "history" has an escape/],
    [
      'the key twice',
      '{"hookSpool": "a.jsonl", "hookSpool": "b.jsonl"}',
      /"hookSpool" appears more than once, which this shell hook does not read; use --spool$/,
    ],
    [
      'the key also in a nested object',
      '{"//": {"hookSpool": "n.jsonl"}, "hookSpool": "a.jsonl"}',
      /"hookSpool" appears more than once/,
    ],
    [
      'a key written with an escape',
      '{"hook\\u0053pool": "a.jsonl"}',
      /a key is written with an escape .*; use --spool$/,
    ],
  ];
  for (const [what, content, re] of REFUSED) {
    test(`${what}: exit 0, one line on stderr, nothing written`, async (t) => {
      const dir = await tempDir(t, 'ovsw-front-');
      await layout(dir, { 'c.json': content });
      const f = await viaFront(['--instance', 'udp', '--config', 'c.json'], hookEnv('udp4-connect-username'), {
        cwd: dir,
      });
      assert.equal(f.code, 0);
      assert.equal(f.stderr.split('\n').length, 2, `one line: ${f.stderr}`);
      assert.match(f.stderr, /^openvpn-status-web hook \(sh\): event not recorded: --config c\.json: /);
      assert.match(f.stderr.replace(/ \(exit 0: OpenVPN goes on\)\n$/, ''), re);
      assert.deepEqual(await spoolFiles(dir), [], 'nothing written');
      assert.deepEqual((await readdir(dir)).sort(), ['c.json']);
    });
  }

  test('no config, an unreadable one, not a JSON object, not a path: refused by both hooks', async (t) => {
    const dir = await tempDir(t, 'ovsw-front-');
    await layout(dir, {
      'n.json': '{"hookSpool": 5}',
      'e.json': '{"hookSpool": ""}',
      'a.json': '["hookSpool"]',
      'z.json': '',
      'd/.keep': '',
    });
    const cases: [string, RegExp][] = [
      ['missing.json', /--config missing\.json: cannot read it \(missing, or not readable by root\?\)/],
      ['d', /--config d: cannot read it/],
      ['n.json', /--config n\.json: key "hookSpool" must be a path/],
      ['e.json', /--config e\.json: key "hookSpool" must be a path/],
      ['a.json', /--config a\.json: not a JSON object/],
      ['z.json', /--config z\.json: not a JSON object/],
    ];
    for (const [config, re] of cases) {
      const f = await viaFront(['--config', config], connectEnv(), { cwd: dir });
      assert.equal(f.code, 0);
      assert.match(
        f.stderr,
        new RegExp(
          `^openvpn-status-web hook \\(sh\\): event not recorded: ${re.source}.*\\(exit 0: OpenVPN goes on\\)\\n$`,
        ),
        config,
      );
      const n = await viaNode(['--config', config], connectEnv(), { cwd: dir });
      assert.equal(n.code, 0);
      assert.match(
        n.stderr,
        /^openvpn-status-web hook: event not recorded: --config /,
        `the Node hook refuses ${config} too`,
      );
    }
    assert.deepEqual(await spoolFiles(dir), [], 'nothing written');
  });
});

describe('bin/openvpn-status-web hook as OpenVPN runs it after "user nobody"', () => {
  const asRoot = (t: TestContext): boolean => {
    if (process.getuid?.() === 0) return true;
    t.skip('needs root (to run the hook as another user)');
    return false;
  };

  test("the config in the README's folder (root:nogroup 0750, file 0640) is read; one only root may read is refused", async (t) => {
    if (!asRoot(t)) return;
    const dir = await tempDir(t, 'ovsw-front-');
    await chmod(dir, 0o755);
    const spoolDir = join(dir, 'spool');
    await mkdir(spoolDir, { mode: 0o700 });
    await chown(spoolDir, 65534, 65534);
    const etc = join(dir, 'etc');
    await mkdir(etc);
    await layout(dir, { 'etc/config.json': exampleConfig({ hookSpool: join(spoolDir, 'spool.jsonl') }) });
    const config = join(etc, 'config.json');
    // As step 4 of the install leaves it: only root.
    await chmod(etc, 0o700);
    await chmod(config, 0o600);
    const refused = await viaFront(['--instance', 'udp', '--config', config], connectEnv(), { asNobody: true });
    assert.equal(refused.code, 0);
    assert.equal(
      refused.stderr,
      `openvpn-status-web hook (sh): event not recorded: --config ${config}: cannot read it (missing, or not readable by nobody?) (exit 0: OpenVPN goes on)\n`,
    );
    // As the README's hooks section sets it up.
    await chown(etc, 0, 65534);
    await chown(config, 0, 65534);
    await chmod(etc, 0o750);
    await chmod(config, 0o640);
    const ok = await viaFront(['--instance', 'udp', '--config', config], connectEnv(), { asNobody: true });
    assert.deepEqual([ok.code, ok.stderr], [0, '']);
    const st = await stat(join(spoolDir, 'spool.jsonl'));
    assert.deepEqual([st.uid, st.mode & 0o777], [65534, 0o600], "the spool is nobody's, mode 0600");
    assert.equal((await takeSpoolWarned(join(spoolDir, 'spool.jsonl'), undefined, NOW)).events.length, 1);
  });

  test('needs no threads: it records under RLIMIT_NPROC=2 (one child process at a time)', async (t) => {
    if (!asRoot(t)) return;
    if (spawnSync('prlimit', ['--version']).status !== 0) {
      if (process.env.REQUIRE_SYSTEM_TESTS === '1')
        assert.fail('REQUIRE_SYSTEM_TESTS=1: prlimit (util-linux) is missing');
      t.skip('needs prlimit (util-linux)');
      return;
    }
    // A user id of its own: RLIMIT_NPROC counts all processes and threads of the user, and
    // other tests run hooks as nobody at the same time.
    const UID = 47011;
    const dir = await tempDir(t, 'ovsw-front-');
    await chmod(dir, 0o755);
    await layout(dir, { 'c.json': json({ hookSpool: join(dir, 'spool', 's.jsonl') }) });
    await chmod(join(dir, 'c.json'), 0o644);
    await mkdir(join(dir, 'spool'), { mode: 0o700 });
    await chown(join(dir, 'spool'), UID, UID);
    const env: Record<string, string> = { PATH: '/usr/bin:/bin' };
    for (const [k, v] of Object.entries(hookEnv('tcp-connect-user-nobody'))) env[k] = v;
    // From a copy that user can reach, wherever the checkout is.
    const front = join(reachableRoot(), 'bin', 'openvpn-status-web');
    const r = spawnSync(
      'prlimit',
      ['--nproc=2', '--', front, 'hook', '--instance', 'tcp', '--config', join(dir, 'c.json')],
      { env, uid: UID, gid: UID, encoding: 'utf8', timeout: 10_000 },
    );
    assert.deepEqual([r.status, r.stderr], [0, '']);
    const intake = await takeSpoolWarned(join(dir, 'spool', 's.jsonl'), undefined, NOW);
    assert.deepEqual([intake.warnings, intake.events.length], [[], 1]);
  });
});

describe('bin/openvpn-status-web: everything else is the Node CLI', () => {
  test('--help, no command, an unknown command, --version: the same output and exit code as node dist/cli.js', async () => {
    for (const args of [['--help'], [], ['no-such-command'], ['--version']]) {
      const [f, n] = await Promise.all([front(args), node(args)]);
      assert.deepEqual(
        [f.code, f.stdout, f.stderr],
        [n.code, n.stdout, n.stderr],
        `openvpn-status-web ${args.join(' ')}`,
      );
    }
    assert.equal((await front([])).code, 2);
    assert.equal((await front(['no-such-command'])).code, 2);
  });

  test('arguments pass through as they are (spaces, quotes, an empty one); exit 2 from a bad config', async (t) => {
    const dir = await tempDir(t, 'ovsw-front-');
    await layout(dir, { 'a folder/my "config".json': json({ lang: 'en' }), 'bad.json': json({ staleAfter: 5 }) });
    const good = await front(['config', 'check', '--config', join(dir, 'a folder/my "config".json'), '--json']);
    assert.equal(good.code, 0, good.stderr);
    assert.equal((JSON.parse(good.stdout) as { config: string }).config, join(dir, 'a folder/my "config".json'));
    const bad = await front(['config', 'check', '--config', join(dir, 'bad.json')]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /key "staleAfter" must be a number of seconds/);
    const empty = await front(['config', 'check', '']);
    assert.deepEqual([empty.code, empty.stderr], [2, 'openvpn-status-web: config check: unexpected argument ""\n']);
  });

  test("hook --help is the Node hook's help", async () => {
    const [f, n] = await Promise.all([front(['hook', '--help']), node(['hook', '--help'])]);
    assert.deepEqual([f.code, f.stdout], [0, n.stdout]);
    assert.match(f.stdout, /client-connect +"\/usr\/local\/bin\/openvpn-status-web hook --instance NAME --config/);
  });
});

describe('bin/openvpn-status-web through symbolic links, as npm installs it', () => {
  /** PREFIX/bin/openvpn-status-web → ../lib/node_modules/openvpn-status-web/bin/openvpn-status-web, the package folder a link to this checkout. */
  async function installed(t: TestContext): Promise<{ dir: string; bin: string }> {
    const dir = await tempDir(t, 'ovsw-front-');
    await mkdir(join(dir, 'prefix', 'bin'), { recursive: true });
    await mkdir(join(dir, 'prefix', 'lib', 'node_modules'), { recursive: true });
    await symlink(ROOT, join(dir, 'prefix', 'lib', 'node_modules', 'openvpn-status-web'));
    const bin = join(dir, 'prefix', 'bin', 'openvpn-status-web');
    await symlink('../lib/node_modules/openvpn-status-web/bin/openvpn-status-web', bin);
    return { dir, bin };
  }

  test('with readlink -f', async (t) => {
    const { dir, bin } = await installed(t);
    const v = await runHook(bin, ['--version'], {}, { path: PATH, cwd: '/' });
    assert.deepEqual([v.code, v.stdout], [0, 'openvpn-status-web 0.1.0\n']);
    const h = await runHook(bin, ['hook', '--spool', join(dir, 's.jsonl')], connectEnv(), { path: PATH, cwd: '/' });
    assert.deepEqual([h.code, h.stderr], [0, '']);
    assert.deepEqual(await spoolFiles(dir), ['s.jsonl']);
  });

  test('without readlink -f: the links are followed one at a time', async (t) => {
    const { dir, bin } = await installed(t);
    const stub = join(dir, 'stub');
    await mkdir(stub);
    // A readlink without -f (as on older BSDs), that leaves a mark when -f is tried.
    await writeFile(
      join(stub, 'readlink'),
      `#!/bin/sh\ncase $1 in -f) : >"${join(dir, 'tried-f')}"; exit 1 ;; esac\nexec /usr/bin/readlink "$@"\n`,
      { mode: 0o755 },
    );
    const path = `${stub}:${PATH}`;
    const v = await runHook(bin, ['--version'], {}, { path, cwd: '/' });
    assert.deepEqual([v.code, v.stdout, v.stderr], [0, 'openvpn-status-web 0.1.0\n', '']);
    assert.ok(existsSync(join(dir, 'tried-f')), 'the stub was used');
    const h = await runHook(bin, ['hook', '--spool', join(dir, 's.jsonl')], connectEnv(), { path, cwd: '/' });
    assert.deepEqual([h.code, h.stderr], [0, '']);
    assert.deepEqual(await spoolFiles(dir), ['s.jsonl']);
  });

  test('a package without its hook script: exit 0 all the same, with the reason', async (t) => {
    const dir = await tempDir(t, 'ovsw-front-');
    await mkdir(join(dir, 'pkg', 'bin'), { recursive: true });
    await writeFile(join(dir, 'pkg', 'bin', 'openvpn-status-web'), readFileSync(FRONT), { mode: 0o755 });
    const h = await runHook(
      join(dir, 'pkg', 'bin', 'openvpn-status-web'),
      ['hook', '--spool', join(dir, 's.jsonl')],
      connectEnv(),
      { path: PATH },
    );
    assert.equal(h.code, 0);
    assert.match(
      h.stderr,
      /^openvpn-status-web hook: event not recorded: cannot read .*\/pkg\/bin\/\.\.\/scripts\/openvpn-hook\.sh \(exit 0: OpenVPN goes on\)\n$/,
    );
  });
});

test('the hook with --config (the README line), 20 runs: every event recorded (its time is bench H)', async (t) => {
  const dir = await tempDir(t, 'ovsw-front-');
  await layout(dir, { 'etc/config.json': exampleConfig({ hookSpool: join(dir, 'spool.jsonl') }) });
  const args = ['--instance', 'udp', '--config', join(dir, 'etc', 'config.json')];
  const ms: number[] = [];
  for (let i = 0; i < 20; i++) {
    const r = await viaFront(args, hookEnv(i % 2 === 0 ? 'udp4-connect-username' : 'udp4-disconnect-username'));
    assert.deepEqual([r.code, r.stderr], [0, '']);
    ms.push(r.ms);
  }
  const sorted = [...ms].sort((a, b) => a - b);
  t.diagnostic(
    `bin/openvpn-status-web hook --config (fsync'd): min ${sorted[0]?.toFixed(1)} ms, median ${median(ms).toFixed(1)} ms, max ${sorted.at(-1)?.toFixed(1)} ms`,
  );
  assert.equal((await takeSpoolWarned(join(dir, 'spool.jsonl'), undefined, NOW)).events.length, 20);
});
