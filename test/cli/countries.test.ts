/**
 * Countries through the compiled CLI: collect looks them up once, when a session is first seen
 * (from the status file or from a hook), and the history keeps them; older files read as null.
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { EXPORT_COLUMNS } from '../../src/core/export-rows.js';
import { exportFileName } from '../../src/core/export-names.js';
import { HISTORY_COLUMNS, HISTORY_HEADER, sessionToRecord } from '../../src/core/history-rows.js';
import { emptyState } from '../../src/core/reconcile.js';
import { readAllHistory, readState, writeState } from '../../src/io/history-store.js';
import { CLI, ensureBuilt } from '../helpers/build.js';
import { cliOk, runCli } from '../helpers/cli.js';
import { collectArgs } from '../helpers/collector.js';
import { connectEnv, runHook } from '../helpers/hooks.js';
import { sampleSession } from '../helpers/sessions.js';
import { sheetRows } from '../helpers/xlsx-cells.js';
import { renderV3, writeStatus, type GenClient } from '../helpers/status.js';
import { tempDir } from '../helpers/tmp.js';

const T0 = 1795700000;
const iso = (s: number): string => new Date(s * 1000).toISOString().replace('.000Z', 'Z');

const client = (commonName: string, ip: string, port: number, virtualAddress: string): GenClient => ({
  commonName,
  username: null,
  ip,
  port,
  virtualAddress,
  bytesReceived: 1000,
  bytesSent: 2000,
  connectedAt: T0 - 60,
  clientId: port,
  peerId: port,
});

const CLIENTS = [
  client('alice', '193.0.6.139', 40001, '10.8.0.2'), // RIPE NCC
  client('bob', 'udp6:[2001:4860:4860::8888]', 40002, '10.8.0.3'), // ARIN, IPv6
  client('carol', '10.20.30.40', 40003, '10.8.0.4'), // private: none
  client('dave', 'udp6:[::ffff:200.3.14.10]', 40004, '10.8.0.5'), // LACNIC, v4-mapped
];

interface Json {
  commonName: string;
  status: string;
  country: string | null;
}
const countries = async (history: string): Promise<Record<string, [string, string | null]>> => {
  const r = await cliOk(['sessions', '--history', history, '--tz', 'UTC', '--json']);
  const list = (JSON.parse(r.stdout) as { sessions: Json[] }).sessions;
  return Object.fromEntries(list.map((s) => [s.commonName, [s.status, s.country]]));
};

test('collect stores the country of each new session; the CSV keeps it in its last column', async (t) => {
  ensureBuilt();
  const dir = await tempDir(t);
  const status = join(dir, 'status.log');
  const history = join(dir, 'history.csv');
  await writeStatus(status, renderV3(T0, CLIENTS));
  const first = await cliOk([...collectArgs([status], history, iso(T0 + 1)), '-v']);
  assert.match(first.stderr, /countries: 4 address\(es\) looked up/);
  assert.deepEqual(await countries(history), {
    alice: ['active', 'NL'],
    bob: ['active', 'US'],
    carol: ['active', null],
    dave: ['active', 'UY'],
  });
  const state = await readState(`${history}.state.json`);
  assert.deepEqual(
    state.tracked.map((s) => s.country),
    ['NL', 'US', null, 'UY'],
  );

  // No new session: the database is not read.
  await writeStatus(status, renderV3(T0 + 10, CLIENTS));
  const again = await cliOk([...collectArgs([status], history, iso(T0 + 11)), '-v']);
  assert.doesNotMatch(again.stderr, /countries:/);

  // alice leaves: her row is written with her country.
  for (const at of [T0 + 20, T0 + 30]) {
    await writeStatus(status, renderV3(at, CLIENTS.slice(1)));
    await cliOk(collectArgs([status], history, iso(at + 1)));
  }
  const text = await readFile(history, 'utf8');
  assert.ok(text.startsWith(`${HISTORY_HEADER.join(',')}\n`) && HISTORY_COLUMNS.at(-1) === 'country');
  assert.match(text.split('\n')[1] as string, /,NL,[0-9a-f]{64}$/, 'the country, then the chain value');
  assert.deepEqual(
    (await readAllHistory(history)).map((s) => [s.commonName, s.country]),
    [['alice', 'NL']],
  );
  assert.deepEqual((await countries(history)).alice, ['ended', 'NL']);

  // The exports: a last column, the code as recorded, empty where none was.
  const out = join(dir, 'www');
  await cliOk(['build', '--history', history, '--out', out, '--tz', 'UTC', '--now', iso(T0 + 40)]);
  const csv = await readFile(join(out, 'exports', exportFileName(null, 'all', 'csv')), 'utf8');
  const records = parse(csv.slice(1), { delimiter: ';' }) as string[][];
  assert.equal(records[0]?.at(-1), 'Land');
  const byName = (rows: unknown[][]) => Object.fromEntries(rows.slice(1).map((r) => [r[2], r.at(-1) ?? null]));
  assert.deepEqual(byName(records), { alice: 'NL', bob: 'US', carol: '', dave: 'UY' });
  const xlsx = sheetRows(await readFile(join(out, 'exports', exportFileName(null, 'all', 'xlsx'))));
  assert.equal(xlsx[0]?.[EXPORT_COLUMNS.length - 1], 'Land');
  assert.deepEqual(Object.fromEntries(xlsx.slice(1).map((r) => [r[2], r[EXPORT_COLUMNS.length - 1] ?? null])), {
    alice: 'NL',
    bob: 'US',
    carol: null,
    dave: 'UY',
  });
  const home = await readFile(join(out, 'index.html'), 'utf8');
  assert.match(home, /<abbr class="country" title="Niederlande">NL<\/abbr>/);
  assert.match(home, /<footer class="site-footer"><p>Länderdaten: @ip-location-db\/geo-whois-asn-country-mmdb /);
});

test('a session opened by a hook gets its country too', async (t) => {
  ensureBuilt();
  const dir = await tempDir(t);
  const status = join(dir, 'status.log');
  const history = join(dir, 'history.csv');
  await writeStatus(status, renderV3(T0, []));
  const env = {
    common_name: 'erin',
    username: '',
    trusted_ip: '196.216.2.6', // AFRINIC
    trusted_port: '40010',
    untrusted_ip: undefined,
    untrusted_port: undefined,
    time_unix: String(T0 - 30),
  };
  const hook = await runHook(process.execPath, [CLI, 'hook', '--history', history], connectEnv(env));
  assert.equal(hook.stderr, '');
  await cliOk(collectArgs([status], history, iso(T0 + 1)));
  assert.deepEqual(await countries(history), { erin: ['active', 'ZA'] });
});

test('a history written before countries reads as null and keeps its rows so after the next append', async (t) => {
  ensureBuilt();
  const dir = await tempDir(t);
  const status = join(dir, 'status.log');
  const history = join(dir, 'history.csv');
  const old = HISTORY_COLUMNS.filter((c) => c !== 'country');
  const row = sessionToRecord(sampleSession({ realAddress: '8.8.8.8' })).slice(0, old.length);
  await writeFile(history, stringify([old, row]));
  await writeState(`${history}.state.json`, {
    ...emptyState(),
    historyBytes: Buffer.byteLength(stringify([old, row])),
  });
  assert.deepEqual(await countries(history), { 'flex-RN13P': ['ended', null] });

  await writeStatus(status, renderV3(T0, CLIENTS.slice(0, 1)));
  await cliOk(collectArgs([status], history, iso(T0 + 1)));
  for (const at of [T0 + 20, T0 + 30]) {
    await writeStatus(status, renderV3(at, []));
    await cliOk(collectArgs([status], history, iso(at + 1)));
  }
  assert.deepEqual(
    (await readAllHistory(history)).map((s) => [s.commonName, s.country]),
    [
      ['flex-RN13P', null],
      ['alice', 'NL'],
    ],
    'the old row is not looked up afterwards',
  );
  const r = await runCli(['sessions', '--history', history, '--tz', 'UTC']);
  assert.equal(r.code, 0);
});
