/**
 * collect with OpenVPN's hooks: events appended by the real hook (Node and shell) and status
 * files written as OpenVPN does, through the compiled CLI as cron runs it.
 */
import assert from 'node:assert/strict';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { stringify } from 'csv-stringify/sync';
import { HISTORY_COLUMNS, HISTORY_HEADER, sessionToRecord } from '../../src/core/history-rows.js';
import { sessionId } from '../../src/core/session.js';
import { readAllHistory, readState, writeState } from '../../src/io/history-store.js';
import { PART_GRACE_S } from '../../src/io/hook-spool.js';
import { emptyState } from '../../src/core/reconcile.js';
import { CLI, ensureBuilt, ROOT } from '../helpers/build.js';
import { cliOk, sessionsJson } from '../helpers/cli.js';
import { collectArgs } from '../helpers/collector.js';
import { connectEnv, disconnectEnv, runHook } from '../helpers/hooks.js';
import { sampleSession } from '../helpers/sessions.js';
import { renderV3, writeStatus, type GenClient } from '../helpers/status.js';
import { listDir, tempDir } from '../helpers/tmp.js';

const T0 = 1795700000;
const iso = (s: number): string => new Date(s * 1000).toISOString().replace('.000Z', 'Z');

function gen(commonName: string, port: number, connectedAt: number, over: Partial<GenClient> = {}): GenClient {
  return {
    commonName,
    username: null,
    ip: '198.51.100.7',
    port,
    virtualAddress: '10.8.0.9',
    bytesReceived: 1000,
    bytesSent: 2000,
    connectedAt,
    clientId: port,
    peerId: port,
    ...over,
  };
}

const env = (cn: string, port: number, start: number) => ({
  common_name: cn,
  username: '',
  trusted_ip: '198.51.100.7',
  trusted_port: String(port),
  untrusted_ip: undefined,
  untrusted_port: undefined,
  time_unix: String(start),
});

test('collect merges the hooks with the status file: exact ends, short sessions, estimates where no hook reported', async (t) => {
  ensureBuilt();
  const dir = await tempDir(t);
  const status = join(dir, 'status.log');
  const history = join(dir, 'history.csv');
  const spool = `${history}.hook-spool.jsonl`;
  const nodeHook = async (e: Record<string, string | undefined>) => {
    const r = await runHook(process.execPath, [CLI, 'hook', '--history', history], e);
    assert.equal(r.stderr, '', 'the hook recorded it');
  };
  const shHook = async (e: Record<string, string | undefined>) => {
    const r = await runHook('/bin/sh', [join(ROOT, 'scripts', 'openvpn-hook.sh'), '--spool', spool], e);
    assert.equal(r.stderr, '', 'the shell hook recorded it');
  };
  const bob = gen('bob', 40001, T0 - 100);
  const carol = gen('carol', 40003, T0 + 10, { virtualAddress: '10.8.0.3' });

  // Before the hooks: bob is listed. Then alice comes and goes within 3 s (never listed), carol comes.
  await writeStatus(status, renderV3(T0, [bob]));
  await cliOk(collectArgs([status], history, iso(T0 + 1)));
  await nodeHook(connectEnv(env('alice', 40002, T0 + 5)));
  await shHook(disconnectEnv(3, env('alice', 40002, T0 + 5)));
  await nodeHook(connectEnv(env('carol', 40003, T0 + 10)));
  await writeStatus(status, renderV3(T0 + 20, [bob, carol]));
  const run1 = await cliOk(collectArgs([status], history, iso(T0 + 21)));
  assert.match(run1.stderr, /collect: 2 new, 1 ended/);

  // carol leaves at T0+40 (the hook says so); bob leaves too, and no hook tells (its hook was not installed yet).
  await shHook(disconnectEnv(30, { ...env('carol', 40003, T0 + 10), bytes_received: '777', bytes_sent: '888' }));
  await writeStatus(status, renderV3(T0 + 50, []));
  await cliOk(collectArgs([status], history, iso(T0 + 51)));
  await writeStatus(status, renderV3(T0 + 60, []));
  await cliOk(collectArgs([status], history, iso(T0 + 61)));

  const rows = await readAllHistory(history);
  const byCn = new Map(rows.map((s) => [s.commonName, s]));
  assert.equal(rows.length, 3, 'one row per connection');
  const a = byCn.get('alice');
  assert.ok(a, 'alice, whom the status file never listed, is recorded');
  assert.deepEqual(
    [a.source, a.endExact, a.connectedAt, a.endedAt, a.durationS, a.bytesReceived],
    ['hook', true, iso(T0 + 5), iso(T0 + 8), 3, 2498],
  );
  const c = byCn.get('carol');
  assert.ok(c, 'carol');
  assert.deepEqual(
    [c.source, c.endExact, c.endedAt, c.durationS, c.bytesReceived, c.bytesSent],
    ['status', true, iso(T0 + 40), 30, 777, 888],
  );
  assert.equal(c.id, sessionId('default', 'carol', iso(T0 + 10), '198.51.100.7', 40003));
  const b = byCn.get('bob');
  assert.ok(b, 'bob');
  assert.deepEqual(
    [b.source, b.endExact, b.endedAt],
    ['status', false, iso(T0 + 20)],
    'estimated: the last file that listed him',
  );
  const text = await readFile(history, 'utf8');
  assert.ok(
    text.startsWith(`${HISTORY_HEADER.join(',')}\n`) && HISTORY_COLUMNS.indexOf('endExact') === 21,
    'the endExact column, after the first 21 (later columns follow it)',
  );
  const json = await sessionsJson(history);
  assert.deepEqual(json.map((s) => [s.commonName, s.status, s.endedAt]).sort(), [
    ['alice', 'ended', iso(T0 + 8)],
    ['bob', 'ended', iso(T0 + 20)],
    ['carol', 'ended', iso(T0 + 40)],
  ]);

  // The spool's parts stay a grace time (a hook may still hold one open), then go.
  const state = await readState(`${history}.state.json`);
  assert.deepEqual(Object.keys(state.hookSpool?.parts ?? {}), [
    'history.csv.hook-spool.jsonl.1',
    'history.csv.hook-spool.jsonl.2',
  ]);
  await cliOk(collectArgs([status], history, iso(T0 + 61 + PART_GRACE_S)));
  assert.deepEqual(await listDir(dir), ['history.csv', 'history.csv.state.json', 'status.log']);
  await cliOk(collectArgs([status], history, iso(T0 + 62 + PART_GRACE_S)));
  assert.deepEqual((await readState(`${history}.state.json`)).hookSpool?.parts, {}, 'forgotten once gone');
  assert.equal((await readAllHistory(history)).length, 3, 'nothing added by the later runs');
});

test('a history written before the endExact column: rewritten once in the new columns, old ends read as estimated', async (t) => {
  ensureBuilt();
  const dir = await tempDir(t);
  const history = join(dir, 'history.csv');
  const status = join(dir, 'status.log');
  const old = HISTORY_COLUMNS.filter((c) => c !== 'endExact');
  const rows = [sampleSession({ id: 'aaaa' }), sampleSession({ id: 'bbbb', commonName: 'bob', user: 'bob' })];
  const body = rows.map((s) => old.map((c) => sessionToRecord(s)[HISTORY_COLUMNS.indexOf(c)]));
  await writeFile(history, stringify([old, ...body]));
  await writeState(`${history}.state.json`, { ...emptyState(), historyBytes: (await stat(history)).size });
  assert.deepEqual(
    (await readAllHistory(history)).map((s) => s.endExact),
    [false, false],
    'read without the column',
  );

  await writeStatus(status, renderV3(T0, []));
  await runHook(process.execPath, [CLI, 'hook', '--history', history], connectEnv(env('dave', 40010, T0 - 30)));
  await runHook(process.execPath, [CLI, 'hook', '--history', history], disconnectEnv(20, env('dave', 40010, T0 - 30)));
  await cliOk(collectArgs([status], history, iso(T0 + 1)));
  const text = await readFile(history, 'utf8');
  assert.ok(text.startsWith(`${HISTORY_HEADER.join(',')}\n`), 'the new header');
  const all = await readAllHistory(history);
  assert.deepEqual(
    all.map((s) => [s.id.slice(0, 4), s.endExact]),
    [
      ['aaaa', false],
      ['bbbb', false],
      [sessionId('default', 'dave', iso(T0 - 30), '198.51.100.7', 40010).slice(0, 4), true],
    ],
  );
  const state = await readState(`${history}.state.json`);
  assert.equal(state.historyGeneration, 1, 'a rewrite: the builder starts afresh');
  assert.equal(state.historyBytes, (await stat(history)).size);
});
