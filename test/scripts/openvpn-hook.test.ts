/**
 * scripts/openvpn-hook.sh, the POSIX sh hook, run by /bin/sh (dash on Debian) and by bash
 * with recorded OpenVPN environments: its lines must decode to exactly what the Node hook
 * records, whatever a common name holds, it must find the spool from --config and --history
 * as the Node hook does, and it must exit 0 on any failure. (test/cli/hook-front.test.ts
 * runs it through the installed command and compares it with the Node hook flag by flag.)
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { decodeSpoolLine, eventFromRecord, recordFromEnv } from '../../src/core/hook-line.js';
import { ROOT } from '../helpers/build.js';
import { connectEnv, hookEnv, readOnlyDir, RECORDED, runHook } from '../helpers/hooks.js';
import { tempDir } from '../helpers/tmp.js';

const SCRIPT = join(ROOT, 'scripts', 'openvpn-hook.sh');
// /bin/sh (dash on Debian), and bash; each shell once, however it is linked.
const SHELLS = ['/bin/sh', '/bin/dash', '/bin/bash']
  .filter((s) => existsSync(s))
  .filter((s, i, all) => all.findIndex((o) => realpathSync(o) === realpathSync(s)) === i);

async function lines(path: string): Promise<Record<string, string>[]> {
  const text = await readFile(path, 'utf8');
  assert.ok(text.endsWith('\n'), 'whole lines');
  return text
    .slice(0, -1)
    .split('\n')
    .map((l) => {
      assert.ok(l.startsWith('ovsw1\t'), `the TSV form: ${l}`);
      const d = decodeSpoolLine(l);
      assert.ok(d.ok && d.value.dropped === null, `does not decode: ${l}`);
      return d.value.record;
    });
}

/** What the Node hook records, without its clock (the shell script writes none). */
const expected = (env: Record<string, string | undefined>, instance: string): Record<string, string> => {
  const { hook_time: _t, ...r } = recordFromEnv(env, instance, 0);
  return r;
};

for (const shell of SHELLS) {
  describe(`openvpn-hook.sh under ${shell}`, () => {
    test('the recorded environments: the same record as the Node hook, silently', async (t) => {
      const dir = await tempDir(t);
      const spool = join(dir, 'spool.jsonl');
      for (const name of RECORDED) {
        const r = await runHook(
          shell,
          [SCRIPT, '--instance', 'udp-1', '--spool', spool, '/tmp/openvpn_cc_0123.tmp'],
          hookEnv(name),
        );
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stderr, '', `${name}: nothing on stderr`);
      }
      const got = await lines(spool);
      assert.deepEqual(
        got,
        RECORDED.map((n) => expected(hookEnv(n), 'udp-1')),
      );
      for (const rec of got) assert.ok(eventFromRecord(rec).ok, `an event: ${JSON.stringify(rec)}`);
    });

    test('any text in a common name or username arrives as it was, on one line', async (t) => {
      const dir = await tempDir(t);
      const spool = join(dir, 'spool.jsonl');
      const hostile = [
        'a%b%25',
        'tab\there',
        'two\nlines',
        'cr\rlf',
        '"q" \'s\' \\b',
        '$(touch pwned) `x` ${HOME}',
        '*?[a]',
        '-n',
        'Ünïcödé 名前 🙂',
        ' ',
        '%09',
      ];
      for (const cn of hostile) {
        const r = await runHook(shell, [SCRIPT, '--spool', spool], connectEnv({ common_name: cn, username: cn }));
        assert.equal(r.code, 0, r.stderr);
      }
      const got = await lines(spool);
      assert.deepEqual(
        got.map((r) => [r.common_name, r.username]),
        hostile.map((cn) => [cn, cn]),
      );
      assert.ok(
        got.every((r) => r.instance === 'default'),
        'instance "default" unless given',
      );
      assert.ok(!existsSync(join(dir, 'pwned')) && !existsSync('pwned'), 'nothing in a value is run');
    });

    test('--config and --history: the spool the Node hook would use', async (t) => {
      const dir = await tempDir(t);
      await mkdir(join(dir, 'etc'));
      const example = JSON.parse(readFileSync(join(ROOT, 'config.example.json'), 'utf8')) as Record<string, unknown>;
      const cases: [string, string[], string][] = [
        // The shipped example as an admin copies it: comments with \" escapes, a status object.
        [
          JSON.stringify({ ...example, hookSpool: join(dir, 'a.jsonl') }, null, 2),
          ['--config', join(dir, 'etc', 'c.json')],
          'a.jsonl',
        ],
        [
          JSON.stringify({ history: join(dir, 'h.csv') }),
          ['--config', join(dir, 'etc', 'c.json')],
          'h.csv.hook-spool.jsonl',
        ],
        [
          JSON.stringify({ history: join(dir, 'h.csv') }),
          ['--history', join(dir, 'f.csv'), '--config', join(dir, 'etc', 'c.json')],
          'f.csv.hook-spool.jsonl',
        ],
      ];
      for (const [config, args, spool] of cases) {
        await writeFile(join(dir, 'etc', 'c.json'), config);
        const r = await runHook(shell, [SCRIPT, '--instance', 'udp', ...args], connectEnv());
        assert.deepEqual([r.code, r.stderr], [0, ''], args.join(' '));
        assert.deepEqual((await lines(join(dir, spool))).at(-1), expected(connectEnv(), 'udp'), spool);
      }
      await writeFile(join(dir, 'etc', 'c.json'), '{"hookSpool": "x\\"y.jsonl"}');
      const r = await runHook(shell, [SCRIPT, '--config', join(dir, 'etc', 'c.json')], connectEnv());
      assert.equal(r.code, 0);
      assert.match(
        r.stderr,
        /event not recorded: .*"hookSpool" has an escape .*use --spool \(exit 0: OpenVPN goes on\)\n$/,
      );
    });

    test('concurrent hooks each append one intact line', async (t) => {
      const dir = await tempDir(t);
      const spool = join(dir, 'spool.jsonl');
      const runs = await Promise.all(
        Array.from({ length: 16 }, (_, i) =>
          runHook(
            shell,
            [SCRIPT, '--spool', spool],
            connectEnv({ common_name: `c${i}-${'y'.repeat(1500)}`, trusted_port: String(30000 + i) }),
          ),
        ),
      );
      for (const r of runs) assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(
        (await lines(spool)).map((r) => r.trusted_port).sort(),
        Array.from({ length: 16 }, (_, i) => String(30000 + i)).sort(),
      );
    });

    test('never fails the client: exit 0 with one line on stderr', async (t) => {
      const dir = await tempDir(t);
      const ro = await readOnlyDir(dir);
      const cases: [string[], Record<string, string | undefined>, RegExp, { asNobody?: boolean }][] = [
        [
          ['--spool', join(ro, 's.jsonl')],
          connectEnv(),
          /client-connect of alice not recorded: cannot append to .*read-only\/s\.jsonl/,
          { asNobody: true },
        ],
        [['--spool', join(dir, 'missing', 's.jsonl')], connectEnv(), /not recorded: cannot append/, {}],
        [['--spool', join(dir, 's.jsonl')], {}, /script_type "" is not client-connect or client-disconnect/, {}],
        [['--spool', join(dir, 's.jsonl')], connectEnv({ common_name: undefined }), /common_name is not set/, {}],
        [['--spool', join(dir, 's.jsonl'), '--instance', 'a b'], connectEnv(), /--instance "a b" must be/, {}],
        [['--spool'], connectEnv(), /--spool needs a value/, {}],
      ];
      for (const [args, env, re, opts] of cases) {
        const r = await runHook(shell, [SCRIPT, ...args], env, opts);
        assert.equal(r.code, 0, `${args.join(' ')}: exit 0`);
        assert.match(r.stderr, re, args.join(' '));
        assert.equal(r.stderr.trimEnd().split('\n').length, 1, `one line: ${r.stderr}`);
        assert.ok(r.ms < 5000, `took ${r.ms} ms`);
      }
      assert.ok(!existsSync(join(dir, 's.jsonl')), 'nothing written for a bad event');
    });
  });
}
