import assert from 'node:assert/strict';
import { appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { emptyState } from '../../src/core/reconcile.js';
import { appendHistory, writeState } from '../../src/io/history-store.js';
import { cliOk, runCli, type SessionJson } from '../helpers/cli.js';
import { sampleSession } from '../helpers/sessions.js';
import { tempDir } from '../helpers/tmp.js';

interface LookupJson {
  schemaVersion: number;
  query: { address: string; port: number | null; from: string; to: string };
  matches: SessionJson[];
}

// 10.8.0.3 is held by anna (10:00–11:00), then bob (11:00–12:00, ended exactly at noon),
// then carl, still connected since 13:00. Behind one NAT address (203.0.113.7) anna uses
// port 40001, bob 40002. dora comes over IPv6 without a port.
const sessions = [
  sampleSession({
    id: 'a0000000000000000001',
    user: 'anna',
    commonName: 'anna',
    username: null,
    realAddress: '203.0.113.7',
    realPort: 40001,
    connectedAt: '2026-11-26T10:00:00Z',
    lastSeenAt: '2026-11-26T11:00:00Z',
    endedAt: '2026-11-26T11:00:00Z',
    durationS: 3600,
  }),
  sampleSession({
    id: 'b0000000000000000002',
    user: 'bob',
    commonName: 'bob',
    username: null,
    realAddress: '203.0.113.7',
    realPort: 40002,
    connectedAt: '2026-11-26T11:00:00Z',
    lastSeenAt: '2026-11-26T12:00:00Z',
    endedAt: '2026-11-26T12:00:00Z',
    durationS: 3600,
  }),
  sampleSession({
    id: 'd0000000000000000004',
    user: 'dora',
    commonName: 'dora',
    username: null,
    realAddress: '2001:db8:0:0::42',
    realPort: null,
    virtualAddress: '10.8.0.9',
    virtualIpv6: 'fd00:8::1009',
    connectedAt: '2026-11-26T09:00:00Z',
    lastSeenAt: '2026-11-26T09:30:00Z',
    endedAt: '2026-11-26T09:30:00Z',
    durationS: 1800,
  }),
];
const open = {
  ...sampleSession({
    id: 'c0000000000000000003',
    user: 'carl',
    commonName: 'carl',
    username: null,
    realAddress: '198.51.100.5',
    realPort: 50000,
    connectedAt: '2026-11-26T13:00:00Z',
    lastSeenAt: '2026-11-26T14:00:00Z',
    endedAt: null,
    durationS: null,
    endReason: null,
  }),
  missingSince: null,
};

describe('lookup', () => {
  let history = '';
  before(async () => {
    const dir = await tempDir('ovsw-lookup-');
    history = join(dir, 'openvpn-sessions.csv');
    const { bytes } = await appendHistory(history, sessions);
    await writeState(`${history}.state.json`, { ...emptyState(), historyBytes: bytes, tracked: [open] });
  });
  const lookup = async (code: number, ...args: string[]) => {
    const r = await cliOk(
      ['lookup', '--history', history, '--now', '2026-11-26T15:00:00Z', '--tz', 'UTC', ...args],
      code,
    );
    return r;
  };
  const users = async (...args: string[]) => {
    const r = await runCli(['lookup', '--history', history, '--now', '2026-11-26T15:00:00Z', '--json', ...args]);
    return { code: r.code, users: (JSON.parse(r.stdout) as LookupJson).matches.map((s) => s.user) };
  };

  test('--json: the query and each match exactly as sessions --json prints it', async () => {
    const r = await lookup(0, '--ip', '10.8.0.3', '--at', '2026-11-26T10:30:00Z', '--json');
    const out = JSON.parse(r.stdout) as LookupJson;
    assert.deepEqual(Object.keys(out), ['schemaVersion', 'query', 'matches']);
    assert.equal(out.schemaVersion, 1);
    assert.deepEqual(out.query, {
      address: '10.8.0.3',
      port: null,
      from: '2026-11-26T10:30:00Z',
      to: '2026-11-26T10:30:00Z',
    });
    const all = JSON.parse((await cliOk(['sessions', '--history', history, '--json'])).stdout) as {
      sessions: SessionJson[];
    };
    assert.deepEqual(
      out.matches,
      all.sessions.filter((s) => s.user === 'anna'),
    );
  });

  test('the edges: a session ending exactly at T counts, as does the one starting then', async () => {
    assert.deepEqual(await users('--ip', '10.8.0.3', '--at', '2026-11-26T11:00:00Z'), {
      code: 0,
      users: ['anna', 'bob'],
    });
    assert.deepEqual(await users('--ip', '10.8.0.3', '--at', '2026-11-26T12:00:01Z'), { code: 1, users: [] });
    assert.deepEqual(await users('--ip', '10.8.0.3', '--at', '2026-11-26T09:59:59Z'), { code: 1, users: [] });
  });

  test('a range gives every user of the address in time order; --at defaults to now (--now)', async () => {
    assert.deepEqual(
      await users('--ip', '10.8.0.3', '--from', '2026-11-26T00:00:00Z', '--to', '2026-11-26T23:00:00Z'),
      {
        code: 0,
        users: ['anna', 'bob', 'carl'],
      },
    );
    assert.deepEqual(await users('--ip', '10.8.0.3'), { code: 0, users: ['carl'] }, 'carl is connected at --now');
    assert.deepEqual(await users('--ip', '10.8.0.3', '--from', '2026-11-26T11:30:00Z'), {
      code: 0,
      users: ['bob', 'carl'],
    });
  });

  test('--port narrows a shared real address (NAT) to one client', async () => {
    const range = ['--from', '2026-11-26T00:00:00Z', '--to', '2026-11-26T23:00:00Z'];
    assert.deepEqual((await users('--ip', '203.0.113.7', ...range)).users, ['anna', 'bob']);
    assert.deepEqual((await users('--ip', '203.0.113.7', '--port', '40002', ...range)).users, ['bob']);
    assert.deepEqual((await users('--ip', '203.0.113.7:40001', ...range)).users, ['anna']);
    assert.deepEqual(await users('--ip', '203.0.113.7', '--port', '1', ...range), { code: 1, users: [] });
  });

  test('IPv6 in any spelling, real and tunnel; a port cannot rule out a session without one', async () => {
    const at = ['--at', '2026-11-26T09:15:00+00:00'];
    assert.deepEqual((await users('--ip', '2001:DB8::42', ...at)).users, ['dora']);
    assert.deepEqual((await users('--ip', '[2001:db8:0000::42]:443', ...at)).users, ['dora']);
    assert.deepEqual((await users('--ip', 'FD00:8:0:0:0:0:0:1009', ...at)).users, ['dora']);
    assert.deepEqual((await users('--ip', '::ffff:10.8.0.9', ...at)).users, ['dora']);
  });

  test('a table without --json; exit 1 and nothing on stdout when nothing matched', async () => {
    const r = await lookup(0, '--ip', '10.8.0.3', '--at', '2026-11-26T11:30:00Z');
    assert.match(r.stdout, /^user +real address/);
    assert.match(r.stdout, /\nbob +203\.0\.113\.7 +40002 +10\.8\.0\.3/);
    const none = await lookup(1, '--ip', '10.9.9.9');
    assert.equal(none.stdout, '');
  });

  test('bad input: one line on stderr, exit 2', async () => {
    const bad: string[][] = [
      ['--ip', 'not-an-address'],
      ['--ip', '10.8.0.300'],
      [],
      ['--ip', '10.8.0.3', '--at', 'yesterday'],
      ['--ip', '10.8.0.3', '--at', '2026-02-30T10:00:00Z'],
      ['--ip', '10.8.0.3', '--from', '2026-11-27T00:00:00Z', '--to', '2026-11-26T00:00:00Z'],
      ['--ip', '10.8.0.3', '--at', '2026-11-26T10:00:00Z', '--from', '2026-11-26T00:00:00Z'],
      ['--ip', '10.8.0.3', '--port', '70000'],
      ['--ip', '1.2.3.4:5', '--port', '6'],
    ];
    for (const args of bad) {
      const r = await runCli(['lookup', '--history', history, ...args]);
      assert.equal(r.code, 2, args.join(' '));
      assert.equal(r.stdout, '');
      assert.match(r.stderr, /^openvpn-status-web: lookup: [^\n]+\n$/, args.join(' '));
    }
  });

  test('a row over several lines (a quoted line break) is read by a full parse, the same matches', async () => {
    const dir = await tempDir('ovsw-lookup-multi-');
    const h = join(dir, 'openvpn-sessions.csv');
    const odd = sampleSession({
      id: 'e0000000000000000005',
      user: 'line\nbreak',
      commonName: 'line\nbreak',
      username: null,
      virtualAddress: '10.8.0.77',
    });
    await appendHistory(h, [...sessions, odd]);
    const r = await cliOk(['lookup', '--history', h, '--ip', '10.8.0.77', '--at', odd.connectedAt, '--json']);
    assert.deepEqual(
      (JSON.parse(r.stdout) as LookupJson).matches.map((s) => s.user),
      ['line\nbreak'],
    );
  });

  test('a bad row among the lines found is told with its line and skipped', async () => {
    const dir = await tempDir('ovsw-lookup-bad-');
    const h = join(dir, 'openvpn-sessions.csv');
    await appendHistory(h, sessions);
    await appendFile(h, 'x,y,10.8.0.3\n');
    const r = await runCli(['lookup', '--history', h, '--ip', '10.8.0.3', '--at', '2026-11-26T10:30:00Z']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /\nanna /);
    assert.match(r.stderr, /openvpn-sessions\.csv:5: .*skipped/);
  });
});
