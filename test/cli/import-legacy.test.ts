import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { readAllHistory, readState } from '../../src/io/history-store.js';
import { distPath, ensureBuilt } from '../helpers/build.js';
import { cliOk, killChild, runCli, sessionsJson, startChild } from '../helpers/cli.js';
import { collectArgs } from '../helpers/collector.js';
import { fixture, isoPlus, writeStatus } from '../helpers/status.js';
import { listDir, tempDir } from '../helpers/tmp.js';

const HOLD = new URL('../helpers/child/hold-lock.mjs', import.meta.url).pathname;

// The predecessor's CSV: local times (Europe/Berlin), end empty while open.
const LEGACY = [
  'user,public_ip,tunnel_ip,start,end,duration_s', // line 1
  'alice,203.0.113.5,10.8.0.2,2026-01-15 09:00:00,2026-01-15 10:30:00,5400', // 2: winter, UTC+1
  'bob,198.51.100.7,10.8.0.3,2026-03-29 01:30:00,2026-03-29 03:30:00,7200', // 3: across the spring change: 1 h
  'carol,192.0.2.9,fd00:8::1001,2026-07-01 12:00:00,2026-07-01 12:00:05,5', // 4: summer, UTC+2
  'dave,192.0.2.10,10.8.0.5,2026-10-25 00:30:00,2026-10-25 03:30:00,10800', // 5: across the autumn change: 4 h
  'erin,192.0.2.11,10.8.0.6,2026-11-20 08:00:00,,', // 6: open
  '"O\'Brien, Pat",192.0.2.12,10.8.0.7,2026-11-21 08:00:00,2026-11-21 09:00:00,3600', // 7: comma and quote
  '',
].join('\n');

const EXPECTED = [
  ['alice', '2026-01-15T08:00:00Z', '2026-01-15T09:30:00Z', 5400],
  ['bob', '2026-03-29T00:30:00Z', '2026-03-29T01:30:00Z', 3600],
  ['carol', '2026-07-01T10:00:00Z', '2026-07-01T10:00:05Z', 5],
  ['dave', '2026-10-24T22:30:00Z', '2026-10-25T02:30:00Z', 14400],
  ["O'Brien, Pat", '2026-11-21T07:00:00Z', '2026-11-21T08:00:00Z', 3600],
];

async function setup(t: TestContext, csv: string) {
  const dir = await tempDir(t);
  const file = join(dir, 'openvpn-sessions.csv');
  const history = join(dir, 'history.csv');
  await writeFile(file, csv);
  const run = () =>
    runCli(['import-legacy', file, '--tz', 'Europe/Berlin', '--history', history, '--now', '2026-11-26T12:00:00Z']);
  return { dir, file, history, run };
}

describe('import-legacy', () => {
  test('imports closed rows as UTC instants (DST included), skips and counts open ones; a second import adds nothing', async (t) => {
    const { history, run } = await setup(t, LEGACY);
    const first = await run();
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stderr, /import-legacy: 5 imported, 0 already present, 1 open \(skipped\), 0 bad row\(s\)/);
    const rows = await readAllHistory(history);
    assert.deepEqual(
      rows.map((s) => [s.user, s.connectedAt, s.endedAt, s.durationS]),
      EXPECTED,
      'in connect order',
    );
    for (const s of rows) {
      assert.equal(s.source, 'legacy');
      assert.equal(s.endReason, 'disconnected');
      assert.equal(s.bytesReceived, null);
      assert.equal(s.instance, 'default');
    }
    assert.equal(rows.find((s) => s.user === 'carol')?.virtualIpv6, 'fd00:8::1001');
    assert.equal(rows.find((s) => s.user === 'alice')?.virtualAddress, '10.8.0.2');
    const state = await readState(`${history}.state.json`);
    assert.equal(state.historyGeneration, 1, 'old days changed: the builder starts afresh');

    const csv = await readFile(history);
    const second = await run();
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stderr, /import-legacy: 0 imported, 5 already present, 1 open \(skipped\), 0 bad row\(s\)/);
    assert.deepEqual(await readFile(history), csv, 'byte-identical');

    const all = await sessionsJson(history);
    assert.equal(all.length, 5);
    assert.ok(all.every((s) => s.status === 'ended'));
  });

  test('bad rows are reported with their line numbers; the good rows are imported; exit 2', async (t) => {
    const bad = [
      LEGACY.trimEnd(),
      'frank,192.0.2.13,10.8.0.8,yesterday,2026-11-21 09:00:00,', // 8
      'gina,192.0.2.14,10.8.0.9,2026-11-21 10:00:00,2026-11-21 09:00:00,', // 9: ends before it starts
      ',192.0.2.15,10.8.0.10,2026-11-21 10:00:00,2026-11-21 11:00:00,', // 10: no user
      'hank,,10.8.0.11,2026-11-21 10:00:00,2026-11-21 11:00:00,', // 11: no public ip
      'ivan,192.0.2.16,10.8.0.12', // 12: cut short
      'judy,192.0.2.17,10.8.0.13,2026-11-21 10:00:00,2026-11-21 11:00:00,3600,extra', // 13: one field too many
      '',
    ].join('\n');
    const { file, history, run } = await setup(t, bad);
    const r = await run();
    assert.equal(r.code, 2);
    const lines = r.stderr.trim().split('\n');
    assert.deepEqual(lines.slice(0, 6), [
      `openvpn-status-web: ${file}:8: start "yesterday" is not a YYYY-MM-DD HH:MM:SS time`,
      `openvpn-status-web: ${file}:9: end 2026-11-21 09:00:00 is before start 2026-11-21 10:00:00`,
      `openvpn-status-web: ${file}:10: user is empty`,
      `openvpn-status-web: ${file}:11: public_ip is empty`,
      `openvpn-status-web: ${file}:12: wrong number of fields: expected 6 (as in the header), found 3`,
      `openvpn-status-web: ${file}:13: wrong number of fields: expected 6 (as in the header), found 7`,
    ]);
    assert.match(lines[6] ?? '', /import-legacy: 5 imported, 0 already present, 1 open \(skipped\), 6 bad row\(s\)/);
    assert.equal((await readAllHistory(history)).length, 5);
  });

  test('a file that is not the predecessor CSV exits 2 and imports nothing', async (t) => {
    const { dir, file, run } = await setup(t, 'id,commonName,connectedAt\nx,y,z\n');
    const r = await run();
    assert.equal(r.code, 2);
    assert.equal(
      r.stderr,
      `openvpn-status-web: ${file}:1: not the predecessor's CSV: no column user, public_ip, start, end\n`,
    );
    assert.deepEqual(await listDir(dir), ['openvpn-sessions.csv']);
  });

  test('while another process holds the history lock: a warning, exit 2, nothing imported', async (t) => {
    ensureBuilt();
    const { dir, file, history } = await setup(t, LEGACY);
    const config = join(dir, 'config.json');
    await writeFile(config, JSON.stringify({ lockTimeout: 1 }));
    const holder = await startChild(t, [HOLD, distPath('io/lock.js'), `${history}.lock`], 'locked');
    const args = [
      'import-legacy',
      file,
      '--tz',
      'Europe/Berlin',
      '--history',
      history,
      '--config',
      config,
      '--now',
      '2026-11-26T12:00:00Z',
    ];
    const busy = await runCli(args);
    assert.equal(busy.code, 2, busy.stderr);
    assert.match(
      busy.stderr,
      new RegExp(`warning: import-legacy skipped: the history is locked by pid ${holder.pid} on `),
    );
    assert.doesNotMatch(busy.stderr, /unexpected error/);
    assert.deepEqual(await listDir(dir), ['config.json', 'history.csv.lock', 'openvpn-sessions.csv']);
    await killChild(holder);
    assert.match((await cliOk(args)).stderr, /import-legacy: 5 imported/);
  });

  test('a missing file or a missing FILE argument exits 2', async (t) => {
    const dir = await tempDir(t);
    const missing = await runCli(['import-legacy', join(dir, 'nope.csv'), '--history', join(dir, 'h.csv')]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /nope\.csv: no such file/);
    const none = await runCli(['import-legacy', '--history', join(dir, 'h.csv')]);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /import-legacy: expected exactly one FILE/);
  });

  test('imported rows sit beside collected sessions; --instance names their instance', async (t) => {
    const { dir, file, history } = await setup(t, LEGACY);
    const status = join(dir, 'status.log');
    for (const m of ['connected', 'after-disconnect', 'after-reconnect'] as const) {
      const data = fixture('v3', m);
      await writeStatus(status, data);
      const at = {
        connected: '2026-11-26T16:15:27Z',
        'after-disconnect': '2026-11-26T16:15:33Z',
        'after-reconnect': '2026-11-26T16:15:36Z',
      }[m];
      await cliOk(collectArgs([`udp=${status}`], history, isoPlus(at, 1)));
    }
    await cliOk(['import-legacy', file, '--tz', 'Europe/Berlin', '--history', history, '--instance', 'udp']);
    const all = await sessionsJson(history);
    assert.equal(all.length, 7 + 5);
    assert.ok(all.every((s) => s.instance === 'udp'));
    // collect goes on appending after the import.
    await writeStatus(status, fixture('v3', 'auth-pending'));
    await cliOk(collectArgs([`udp=${status}`], history, '2026-11-26T16:15:39Z'));
    assert.equal((await readAllHistory(history)).length, 2 + 5);
  });
});
