/**
 * Maps keyed by untrusted names (instances, config keys, flags, status file columns) see
 * own keys only: `constructor`, `toString` and `__proto__` are names like any other.
 * The users of those names go through run, sessions, aliases and delete in
 * test/cli/prototype-names.test.ts.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { recordHook } from '../../src/cli/hook.js';
import { dict, own, setOwn } from '../../src/core/dict.js';
import { UsageError } from '../../src/core/errors.js';
import { parseStatus } from '../../src/core/parse-status.js';
import { emptyState, reconcile } from '../../src/core/reconcile.js';
import { validateConfig } from '../../src/core/settings.js';
import { COLLECTOR_FIXTURES } from '../helpers/status.js';
import { tempDir } from '../helpers/tmp.js';

const NAMES = ['constructor', 'toString', 'valueOf', 'hasOwnProperty', '__proto__'];

describe('dict, own and setOwn', () => {
  test('a dict finds own keys only, and "__proto__" is an ordinary key', () => {
    const d = dict<number>(JSON.parse('{"__proto__": 1, "a": 2}') as Record<string, number>);
    assert.deepEqual(Object.keys(d), ['__proto__', 'a']);
    for (const name of NAMES.slice(0, 4)) assert.equal(d[name], undefined, name);
    // biome-ignore lint/complexity/useLiteralKeys: a key named like Object's own property is the point
    d['constructor'] = 3;
    assert.equal(JSON.stringify(d), '{"__proto__":1,"a":2,"constructor":3}');
  });

  test('own and setOwn on an ordinary object', () => {
    const o: Record<string, string> = {};
    for (const name of NAMES) assert.equal(own(o, name), undefined, name);
    for (const name of NAMES) setOwn(o, name, `v-${name}`);
    for (const name of NAMES) assert.equal(own(o, name), `v-${name}`, name);
    assert.equal(Object.getPrototypeOf(o), Object.prototype, 'the prototype stays');
    assert.deepEqual(Object.keys(JSON.parse(JSON.stringify(o)) as object), NAMES);
  });
});

/** Warnings are not what this test looks at. */
const ignore = (): void => {};

test('an instance named "constructor" gets a state entry of the usual shape, file or no file', () => {
  const snapshot = parseStatus(readFileSync(join(COLLECTOR_FIXTURES, 'v3-connected.log'), 'utf8'), {
    file: 'v3',
    timeZone: 'UTC',
  });
  const at = snapshot.updatedAt as string;
  const missing = reconcile(emptyState(), [{ instance: 'constructor', kind: 'missing' }], {
    now: at,
    staleAfterS: 300,
    instances: ['constructor'],
    warn: ignore,
  });
  assert.deepEqual(JSON.parse(JSON.stringify(missing.state.instances)), {
    constructor: { lastUpdatedAt: null, down: { kind: 'missing', since: at } },
  });
  const seen = reconcile(emptyState(), [{ instance: 'toString', kind: 'snapshot', snapshot, fileModifiedAt: at }], {
    now: at,
    staleAfterS: 300,
    instances: ['toString'],
    warn: ignore,
  });
  assert.deepEqual(JSON.parse(JSON.stringify(seen.state.instances)), { toString: { lastUpdatedAt: at } });
  assert.equal(seen.opened.length, snapshot.clients.length);
});

test('a config key named like an Object.prototype property is an unknown key', () => {
  for (const name of NAMES) {
    assert.throws(
      () => validateConfig(JSON.parse(`{${JSON.stringify(name)}: "x"}`), 'c.json'),
      (e: unknown) => {
        assert.ok(e instanceof UsageError);
        assert.match(e.message, new RegExp(`unknown key "${name}"`));
        return true;
      },
    );
  }
});

test('the hook reports --constructor and --toString as unknown flags', async (t) => {
  const spool = join(await tempDir(t), 'spool.jsonl');
  const outcome = recordHook(['--constructor', 'x', '--toString=y', '--spool', spool], {}, 1_800_000_000);
  assert.match(outcome.problem ?? '', /unknown flag\(s\) --constructor --toString ignored/);
});

test('status file columns and global stats named constructor or __proto__ are kept', () => {
  const text = [
    'TITLE\tOpenVPN 2.6.14',
    'TIME\t2026-11-26 16:15:27\t1795709727',
    'HEADER\tCLIENT_LIST\tCommon Name\tReal Address\tBytes Received\tBytes Sent\tConnected Since (time_t)\tconstructor\t__proto__',
    'CLIENT_LIST\talice\t198.51.100.7:50001\t1\t2\t1795709000\tc\tp',
    'GLOBAL_STATS\t__proto__\t1',
    'GLOBAL_STATS\ttoString\t2',
    'END',
  ].join('\n');
  const snap = parseStatus(text, { file: 't', timeZone: 'UTC' });
  const extra = JSON.parse(JSON.stringify(snap.clients[0]?.extra)) as Record<string, string>;
  assert.deepEqual(extra, JSON.parse('{"constructor": "c", "__proto__": "p"}'));
  assert.deepEqual(JSON.parse(JSON.stringify(snap.globalStats)), JSON.parse('{"__proto__": "1", "toString": "2"}'));
});
