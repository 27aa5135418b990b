/**
 * The Node hook, `node dist/cli.js hook`, as OpenVPN would run it: the compiled CLI,
 * OpenVPN's environment only, client-connect's extra argument. It must record the event,
 * and exit 0 whatever goes wrong (OpenVPN would reject the client), quickly. (The installed
 * command runs the shell hook instead: test/cli/hook-front.test.ts compares the two.)
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { decodeSpoolLine, recordFromEnv } from '../../src/core/hook-line.js';
import { CLI, ensureBuilt } from '../helpers/build.js';
import { connectEnv, hookEnv, readOnlyDir, RECORDED, runHook } from '../helpers/hooks.js';
import { tempDir } from '../helpers/tmp.js';

const hook = (args: string[], env: Record<string, string | undefined>, opts: { asNobody?: boolean } = {}) => {
  ensureBuilt();
  return runHook(process.execPath, [CLI, 'hook', ...args], env, opts);
};

async function spoolRecords(path: string): Promise<Record<string, string>[]> {
  const text = await readFile(path, 'utf8');
  assert.ok(text.endsWith('\n'), 'whole lines');
  return text
    .trimEnd()
    .split('\n')
    .map((l) => {
      const d = decodeSpoolLine(l);
      assert.ok(d.ok, `a spool line that does not decode: ${l}`);
      return d.value.record;
    });
}

/** The record without the writer's clock (which differs from run to run). */
const withoutClock = ({ hook_time: _t, ...r }: Record<string, string>): Record<string, string> => r;

describe('hook: recording', () => {
  test('each recorded OpenVPN environment becomes one spool line with its variables, silently', async (t) => {
    const dir = await tempDir(t);
    const spool = join(dir, 'spool.jsonl');
    for (const name of RECORDED) {
      const env = hookEnv(name);
      // OpenVPN appends the per-client config file to client-connect's command line.
      const extra = env.script_type === 'client-connect' ? ['/tmp/openvpn_cc_0123.tmp'] : [];
      const r = await hook(['--instance', 'udp', '--spool', spool, ...extra], env);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stderr, '', `${name}: nothing on stderr`);
      assert.equal(r.stdout, '');
    }
    const records = await spoolRecords(spool);
    assert.equal(records.length, RECORDED.length);
    records.forEach((rec, i) => {
      const name = RECORDED[i] as (typeof RECORDED)[number];
      assert.deepEqual(withoutClock(rec), withoutClock(recordFromEnv(hookEnv(name), 'udp', 0)), name);
      assert.match(rec.hook_time ?? '', /^\d{10}$/, 'the writer clock');
    });
  });

  test('the spool is found the way collect finds it: --config hookSpool, else beside --history', async (t) => {
    const dir = await tempDir(t);
    const config = join(dir, 'config.json');
    await writeFile(config, JSON.stringify({ hookSpool: join(dir, 'from-config.jsonl'), history: join(dir, 'h.csv') }));
    assert.equal((await hook(['--config', config], connectEnv())).stderr, '');
    assert.equal(
      (await spoolRecords(join(dir, 'from-config.jsonl')))[0]?.instance,
      'default',
      'instance "default" unless given',
    );
    await writeFile(config, JSON.stringify({ history: join(dir, 'h2.csv') }));
    assert.equal((await hook(['--config', config, '--instance', 'tcp'], connectEnv())).stderr, '');
    assert.equal((await spoolRecords(join(dir, 'h2.csv.hook-spool.jsonl')))[0]?.instance, 'tcp');
    assert.equal((await hook(['--history', join(dir, 'h3.csv')], connectEnv())).stderr, '');
    assert.equal((await spoolRecords(join(dir, 'h3.csv.hook-spool.jsonl'))).length, 1);
  });

  test('concurrent hooks (many clients at once) each append one intact line', async (t) => {
    const dir = await tempDir(t);
    const spool = join(dir, 'spool.jsonl');
    const N = 12;
    const runs = await Promise.all(
      Array.from({ length: N }, (_, i) =>
        hook(
          ['--spool', spool],
          connectEnv({ common_name: `client-${i}-${'x'.repeat(3000)}`, trusted_port: String(40000 + i) }),
        ),
      ),
    );
    for (const r of runs) assert.equal(r.code, 0, r.stderr);
    const records = await spoolRecords(spool);
    assert.deepEqual(
      records.map((r) => r.trusted_port).sort(),
      Array.from({ length: N }, (_, i) => String(40000 + i)).sort(),
    );
  });
});

describe('hook: never fails the client', () => {
  test('a spool folder it cannot write: exit 0, one line on stderr, quickly', async (t) => {
    const dir = await readOnlyDir(await tempDir(t));
    const r = await hook(['--instance', 'udp', '--spool', join(dir, 'spool.jsonl')], hookEnv('udp4-connect-username'), {
      asNobody: true,
    });
    assert.equal(r.code, 0);
    assert.equal(r.stderr.split('\n').length, 2, `one line: ${r.stderr}`);
    assert.match(
      r.stderr,
      /^openvpn-status-web hook: client-connect of alice \(127\.0\.0\.1:37455\) not recorded: EACCES.*\(exit 0: OpenVPN goes on\)\n$/,
    );
    assert.ok(r.ms < 5000, `took ${r.ms} ms`);
    t.diagnostic(`failed hook took ${r.ms.toFixed(0)} ms`);
  });

  test('a missing folder, a bad environment, bad flags or a bad config file: exit 0 with a reason', async (t) => {
    const dir = await tempDir(t);
    const badConfig = join(dir, 'bad.json');
    await writeFile(badConfig, '{ "hookSpool": 5 }');
    const cases: [string[], Record<string, string | undefined>, RegExp][] = [
      [['--spool', join(dir, 'missing', 's.jsonl')], connectEnv(), /client-connect of alice .* not recorded: ENOENT/],
      [
        ['--spool', join(dir, 's.jsonl')],
        {},
        /event not recorded: not an OpenVPN client-connect\/client-disconnect environment: script_type ""/,
      ],
      [['--spool', join(dir, 's.jsonl')], connectEnv({ script_type: 'up' }), /script_type "up"/],
      [
        ['--spool', join(dir, 's.jsonl')],
        connectEnv({ trusted_ip: 'x', untrusted_ip: 'x' }),
        /"x" is not an IP address/,
      ],
      [
        ['--instance', 'no spaces allowed', '--spool', join(dir, 's.jsonl')],
        connectEnv(),
        /--instance "no spaces allowed"/,
      ],
      [['--spool'], connectEnv(), /--spool needs a value/],
      [['--config', join(dir, 'none.json')], connectEnv(), /--config .*none\.json: ENOENT/],
      [['--config', badConfig], connectEnv(), /key "hookSpool" must be a path/],
    ];
    for (const [args, env, re] of cases) {
      const r = await hook(args, env);
      assert.equal(r.code, 0, `${args.join(' ')}: exit 0`);
      assert.match(r.stderr, re, args.join(' '));
      assert.equal(r.stderr.trimEnd().split('\n').length, 1, `one line: ${r.stderr}`);
    }
  });

  test('an unknown flag is reported, and the event still recorded', async (t) => {
    const dir = await tempDir(t);
    const spool = join(dir, 's.jsonl');
    const r = await hook(['--spool', spool, '--instanse', 'udp'], connectEnv());
    assert.equal(r.code, 0);
    assert.match(r.stderr, /unknown flag\(s\) --instanse ignored/);
    assert.equal((await spoolRecords(spool)).length, 1);
  });

  test('--help explains the OpenVPN lines (exit 0)', async () => {
    const r = await hook(['--help'], {});
    assert.equal(r.code, 0);
    assert.match(r.stdout, /client-connect +"\/usr\/local\/bin\/openvpn-status-web hook --instance NAME/);
  });
});
