/**
 * Clocks that jump (issue 17, items 1, 3 and 4), replayed through the compiled CLI with real
 * files on disk: OpenVPN's clock stepped back, the collector's clock a day ahead for one run,
 * and v1 wall times in the repeated hour of the autumn DST change.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { readAllHistory, readState, rewriteHistory, writeState } from '../../src/io/history-store.js';
import { cliOk, sessionsJson } from '../helpers/cli.js';
import { collectArgs } from '../helpers/collector.js';
import { fixture, isoPlus, renderV3, updatedAtOf, writeStatus, type GenClient } from '../helpers/status.js';
import { tempDir } from '../helpers/tmp.js';

const iso = (epochS: number): string => new Date(epochS * 1000).toISOString().replace('.000Z', 'Z');

const carl: GenClient = {
  commonName: 'carl',
  username: null,
  ip: '198.51.100.20',
  port: 50123,
  virtualAddress: '10.8.0.20',
  bytesReceived: 10,
  bytesSent: 20,
  connectedAt: 0,
  clientId: 7,
  peerId: 7,
};

/** A status-version 1 file (wall times in the server's zone) listing `clients` as [name, port, connected]. */
function renderV1(updated: string, clients: [string, number, string][]): string {
  const lines = [
    'OpenVPN CLIENT LIST',
    `Updated,${updated}`,
    'Common Name,Real Address,Bytes Received,Bytes Sent,Connected Since',
  ];
  for (const [name, port] of clients)
    lines.push(`${name},192.0.2.1:${port},100,200,${clients.find((c) => c[1] === port)?.[2] ?? ''}`);
  lines.push('ROUTING TABLE', 'Virtual Address,Common Name,Real Address,Last Ref');
  clients.forEach(([name, port], i) => {
    lines.push(`10.8.0.${i + 2},${name},192.0.2.1:${port},${updated}`);
  });
  lines.push('GLOBAL STATS', 'Max bcast/mcast queue length,0', 'END', '');
  return lines.join('\n');
}

describe('clocks that jump', () => {
  test('item 1b: v1 in Europe/Berlin across the autumn change: the repeated hour read by the order of updates', async (t) => {
    const dir = await tempDir(t);
    const status = join(dir, 'status.log');
    const history = join(dir, 'h.csv');
    const berlin = (now: string): string[] => [
      ...collectArgs([status], history, now).filter((a) => a !== 'UTC' && a !== '--tz'),
      '--tz',
      'Europe/Berlin',
    ];
    const x: [string, number, string] = ['xaver', 1001, '2026-10-25 02:50:00'];
    const y: [string, number, string] = ['yvonne', 1002, '2026-10-25 02:59:59'];
    // [wall "Updated" text, clients, the real instant]: the clocks go back from 03:00 CEST to 02:00 CET.
    const steps: [string, [string, number, string][], string][] = [
      ['2026-10-25 02:59:30', [x], '2026-10-25T00:59:30Z'],
      ['2026-10-25 02:00:00', [x, y], '2026-10-25T01:00:00Z'],
      ['2026-10-25 02:01:00', [x, y], '2026-10-25T01:01:00Z'],
      ['2026-10-25 02:02:00', [y], '2026-10-25T01:02:00Z'],
      ['2026-10-25 02:03:00', [y], '2026-10-25T01:03:00Z'],
    ];
    for (const [updated, clients, real] of steps) {
      await writeStatus(status, renderV1(updated, clients));
      const r = await cliOk(berlin(isoPlus(real, 1)));
      assert.doesNotMatch(r.stderr, /warning/, `${updated}: ${r.stderr}`);
      assert.match(r.stderr, /0 server-stopped/, `${updated}: ${r.stderr}`);
    }
    const all = await sessionsJson(history);
    const xs = all.find((s) => s.commonName === 'xaver');
    const ys = all.find((s) => s.commonName === 'yvonne');
    assert.deepEqual(
      [xs?.connectedAt, xs?.endedAt, xs?.endReason],
      ['2026-10-25T00:50:00Z', '2026-10-25T01:01:00Z', 'disconnected'],
      'connected in CEST, last listed at 02:01 CET',
    );
    assert.deepEqual(
      [ys?.status, ys?.connectedAt, ys?.lastSeenAt],
      ['active', '2026-10-25T00:59:59Z', '2026-10-25T01:03:00Z'],
    );
    assert.equal(all.length, 2);
  });

  test('item 1a: a client connected "after" the file time (clock stepped back) gets a row the tool reads back', async (t) => {
    const dir = await tempDir(t);
    const status = join(dir, 'status.log');
    const history = join(dir, 'h.csv');
    const T = 1795709375;
    const connected = T + 600;
    await writeStatus(status, renderV3(T, [{ ...carl, connectedAt: connected }]));
    await cliOk(collectArgs([status], history, iso(T + 1)));
    for (const step of [10, 610, 620]) {
      await writeStatus(status, renderV3(T + step, []));
      await cliOk(collectArgs([status], history, iso(T + step + 1)));
    }
    const rows = await readAllHistory(history);
    assert.equal(rows.length, 1, 'the session was written');
    const row = rows[0];
    assert.ok(row);
    assert.equal(row.connectedAt, iso(connected));
    assert.ok((row.endedAt ?? '') >= row.connectedAt, `end ${row.endedAt} before start ${row.connectedAt}`);
    assert.equal(row.durationS, 0);
    // Every later run still reads its history.
    await writeStatus(status, renderV3(T + 630, []));
    await cliOk(collectArgs([status], history, iso(T + 631)));
    assert.equal((await sessionsJson(history)).length, 1);
  });

  test('item 3: a day-ahead clock for one run does not end live sessions for good', async (t) => {
    const dir = await tempDir(t);
    const status = join(dir, 'status.log');
    const history = join(dir, 'h.csv');
    const out = join(dir, 'out');
    const runArgs = (now: string): string[] => [
      'run',
      '--status',
      status,
      '--history',
      history,
      '--out',
      out,
      '--tz',
      'UTC',
      '--now',
      now,
    ];
    const connected = fixture('v3', 'connected');
    const t0 = updatedAtOf(connected);
    await writeStatus(status, connected);
    await cliOk(runArgs(isoPlus(t0, 5)));
    // The collector's clock a day ahead: the file looks stale for a day, its sessions are written server-stopped.
    const ahead = await cliOk(runArgs(isoPlus(t0, 24 * 3600 + 5)));
    assert.match(ahead.stderr, /6 server-stopped/);
    assert.equal((await readAllHistory(history)).length, 6);
    // Back to the right time: the four clients still connected are the same sessions, live again.
    const back = fixture('v3', 'after-reconnect');
    await writeStatus(status, back);
    const r = await cliOk(runArgs(isoPlus(updatedAtOf(back), 1)));
    assert.match(r.stderr, /1 new, 0 ended, 0 server-stopped, 4 re-opened, 5 active/);
    assert.doesNotMatch(r.stderr, /not recorded twice/);
    const live = JSON.parse(await readFile(join(out, 'data', 'live.json'), 'utf8')) as {
      sessions: { endedAt: string | null }[];
    };
    assert.equal(live.sessions.filter((s) => s.endedAt === null).length, 5);
    const all = await sessionsJson(history);
    assert.equal(new Set(all.map((s) => s.id)).size, all.length, 'no session twice');
    assert.equal(all.length, 7, 'six first seen plus alice reconnected');
    const csv = await readAllHistory(history);
    assert.deepEqual(csv.map((s) => `${s.commonName}:${s.realPort}`).sort(), ['alice.smith:42002', 'shared-dup:42004']);
    // The reopened sessions end once, when they end, and are written once.
    const later = isoPlus(updatedAtOf(back), 60);
    await writeStatus(status, renderV3(Date.parse(later) / 1000, []));
    await cliOk(runArgs(isoPlus(later, 1)));
    await writeStatus(status, renderV3(Date.parse(later) / 1000 + 60, []));
    await cliOk(runArgs(isoPlus(later, 61)));
    const ended = await readAllHistory(history);
    assert.equal(ended.length, 7);
    assert.equal(new Set(ended.map((s) => s.id)).size, 7, 'each session once in the CSV');
    assert.equal(ended.filter((s) => s.endReason === 'disconnected').length, 5);
  });

  for (const when of ['before', 'after'] as const) {
    test(`item 3: a run killed while withdrawing rows (${when} the CSV was replaced): the next run loses and doubles nothing`, async (t) => {
      const dir = await tempDir(t);
      const status = join(dir, 'status.log');
      const history = join(dir, 'h.csv');
      const statePath = `${history}.state.json`;
      const connected = fixture('v3', 'connected');
      const t0 = updatedAtOf(connected);
      await writeStatus(status, connected);
      await cliOk(collectArgs([status], history, isoPlus(t0, 5)));
      await cliOk(collectArgs([status], history, isoPlus(t0, 24 * 3600 + 5)));
      // What a run that re-opened the four still connected leaves on disk when killed at that point.
      const state = await readState(statePath);
      const back = fixture('v3', 'after-reconnect');
      const stillThere = new Set(['bob_jones', 'flex-RN13P', 'Dave Lee', 'shared-dup:42005']);
      const reopening = (state.stoppedWritten ?? [])
        .filter((s) => stillThere.has(s.commonName) || stillThere.has(`${s.commonName}:${s.realPort}`))
        .map((s) => s.id);
      assert.equal(reopening.length, 4);
      await writeState(statePath, {
        ...state,
        historyGeneration: state.historyGeneration + 1,
        historyBytes: 0,
        withdrawing: reopening,
      });
      if (when === 'after')
        await rewriteHistory(
          history,
          (await readAllHistory(history)).filter((s) => !reopening.includes(s.id)),
        );
      await writeStatus(status, back);
      const r = await cliOk(collectArgs([status], history, isoPlus(updatedAtOf(back), 1)));
      assert.match(r.stderr, /4 re-opened, 5 active/);
      const csv = await readAllHistory(history);
      assert.deepEqual(csv.map((s) => `${s.commonName}:${s.realPort}`).sort(), [
        'alice.smith:42002',
        'shared-dup:42004',
      ]);
      const all = await sessionsJson(history);
      assert.equal(all.length, 7);
      assert.equal(new Set(all.map((s) => s.id)).size, 7);
      assert.equal((await readState(statePath)).withdrawing, undefined);
    });
  }

  test('item 4: OpenVPN clock set back an hour: followed after three consistent updates, said once', async (t) => {
    const dir = await tempDir(t);
    const status = join(dir, 'status.log');
    const history = join(dir, 'h.csv');
    const T = 1795709375;
    await writeStatus(status, renderV3(T, [{ ...carl, connectedAt: T - 30 }]));
    await cliOk(collectArgs([status], history, iso(T + 1)));
    // The host's clock goes back an hour (the collector runs on it too); carl leaves, dora arrives.
    const back = T - 3600;
    const dora: GenClient = {
      ...carl,
      commonName: 'dora',
      port: 50200,
      clientId: 8,
      peerId: 8,
      virtualAddress: '10.8.0.21',
      connectedAt: back + 50,
    };
    const warnings: string[] = [];
    const lines: string[] = [];
    for (let i = 1; i <= 5; i++) {
      const at = back + 60 * i;
      await writeStatus(status, renderV3(at, [dora]));
      const r = await cliOk(collectArgs([status], history, iso(at + 1)));
      warnings.push(...r.stderr.split('\n').filter((l) => l.includes('warning')));
      lines.push(r.stderr);
    }
    assert.equal(warnings.length, 1, warnings.join('\n'));
    assert.match(warnings[0] ?? '', /went back.*following/);
    const all = await sessionsJson(history);
    const dSession = all.find((s) => s.commonName === 'dora');
    assert.ok(dSession, `dora recorded: ${lines.join('')}`);
    assert.equal(dSession.status, 'active');
    const cSession = all.find((s) => s.commonName === 'carl');
    assert.equal(cSession?.status, 'ended', 'carl, gone from the updates on the new clock, is ended');
    assert.ok(cSession && (cSession.endedAt ?? '') >= cSession.connectedAt);
  });
});
