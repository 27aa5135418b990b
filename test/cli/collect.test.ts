import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { readAllHistory } from '../../src/io/history-store.js';
import { distPath, ensureBuilt } from '../helpers/build.js';
import { cliOk, killChild, runCli, sessionsJson, startChild, type SessionJson } from '../helpers/cli.js';
import { collectArgs, replay } from '../helpers/collector.js';
import { fixture, isoPlus, writeStatus, type Version } from '../helpers/status.js';
import { listDir, tempDir } from '../helpers/tmp.js';

const HOLD = new URL('../helpers/child/hold-lock.mjs', import.meta.url).pathname;

/** What the real captures hold (README of the fixtures), per status-version. */
const REAL: Record<
  Version,
  {
    times: [string, string, string, string];
    connectedAt: string;
    aliceBack: string;
    aliceVirtual: string;
    usernames: boolean;
  }
> = {
  v1: {
    times: ['2026-11-26T16:14:33Z', '2026-11-26T16:14:39Z', '2026-11-26T16:14:43Z', '2026-11-26T16:14:44Z'],
    connectedAt: '2026-11-26T16:14:28Z',
    aliceBack: '2026-11-26T16:14:39Z',
    aliceVirtual: '10.8.0.3',
    usernames: false,
  },
  v2: {
    times: ['2026-11-26T16:14:59Z', '2026-11-26T16:15:06Z', '2026-11-26T16:15:09Z', '2026-11-26T16:15:11Z'],
    connectedAt: '2026-11-26T16:14:55Z',
    aliceBack: '2026-11-26T16:15:06Z',
    aliceVirtual: '10.8.0.2',
    usernames: true,
  },
  v3: {
    times: ['2026-11-26T16:15:27Z', '2026-11-26T16:15:33Z', '2026-11-26T16:15:36Z', '2026-11-26T16:15:38Z'],
    connectedAt: '2026-11-26T16:15:23Z',
    aliceBack: '2026-11-26T16:15:33Z',
    aliceVirtual: '10.8.0.3',
    usernames: true,
  },
};

const SLOTS = {
  flex: 'flex-RN13P@127.0.0.11:42001',
  alice: 'alice.smith@127.0.0.12:42002',
  aliceBack: 'alice.smith@127.0.0.12:42102',
  bob: 'bob_jones@127.0.0.13:42003',
  kiosk1: 'shared-dup@127.0.0.14:42004',
  shared: 'shared-dup@127.0.0.15:42005',
  dave: 'Dave Lee@127.0.0.16:42006',
};
const key = (s: SessionJson): string => `${s.commonName}@${s.realAddress}:${s.realPort}`;
const byKey = (list: SessionJson[]): Map<string, SessionJson> => new Map(list.map((s) => [key(s), s]));
const get = (m: Map<string, SessionJson>, k: string): SessionJson => {
  const s = m.get(k);
  assert.ok(s, `no session ${k} among ${[...m.keys()].join(', ')}`);
  return s;
};
const secondsBetween = (a: string, b: string): number => (Date.parse(b) - Date.parse(a)) / 1000;

for (const version of ['v1', 'v2', 'v3'] as Version[]) {
  test(`collect over the real ${version} captures: connected → after-disconnect → after-reconnect → auth-pending`, async (t) => {
    const dir = await tempDir(t);
    const real = REAL[version];
    const [tConnected, tDisconnect, tReconnect, tPending] = real.times;
    const checks: Record<string, (all: Map<string, SessionJson>, list: SessionJson[]) => void> = {
      connected: (all, list) => {
        assert.equal(list.length, 6);
        assert.ok(list.every((s) => s.status === 'active' && s.endedAt === null && s.endReason === null));
        assert.ok(list.every((s) => s.connectedAt === real.connectedAt && s.lastSeenAt === tConnected));
        assert.ok(list.every((s) => s.virtualAddress !== null && s.instance === 'default'));
        assert.notEqual(
          get(all, SLOTS.kiosk1).id,
          get(all, SLOTS.shared).id,
          'two clients sharing a CN are two sessions',
        );
        assert.equal(get(all, SLOTS.kiosk1).user, real.usernames ? 'kiosk1' : 'shared-dup');
        assert.equal(get(all, SLOTS.shared).user, 'shared-dup');
        assert.equal(get(all, SLOTS.flex).user, real.usernames ? 'jdoe' : 'flex-RN13P');
        assert.equal(get(all, SLOTS.alice).user, 'alice.smith');
        assert.equal(get(all, SLOTS.alice).virtualAddress, real.aliceVirtual);
      },
      'after-disconnect': (all, list) => {
        // The first snapshot without alice and kiosk1 proves nothing yet (it could be a spliced read).
        assert.equal(list.length, 6);
        assert.ok(list.every((s) => s.status === 'active'));
        assert.equal(get(all, SLOTS.alice).lastSeenAt, tConnected);
        assert.equal(get(all, SLOTS.kiosk1).lastSeenAt, tConnected);
        assert.equal(get(all, SLOTS.bob).lastSeenAt, tDisconnect);
      },
      'after-reconnect': (all, list) => {
        assert.equal(list.length, 7);
        for (const slot of [SLOTS.alice, SLOTS.kiosk1]) {
          const s = get(all, slot);
          assert.equal(s.status, 'ended', slot);
          assert.equal(s.endedAt, tConnected, `${slot} ended when it was last listed`);
          assert.equal(s.endReason, 'disconnected');
          assert.equal(s.durationS, secondsBetween(real.connectedAt, tConnected));
        }
        const back = get(all, SLOTS.aliceBack);
        assert.equal(back.status, 'active');
        assert.equal(back.connectedAt, real.aliceBack);
        assert.notEqual(back.id, get(all, SLOTS.alice).id, 'a reconnect from a new port is a new session');
        assert.equal(list.filter((s) => s.status === 'active').length, 5);
      },
      'auth-pending': (all, list) => {
        assert.equal(list.length, 7);
        assert.ok(
          !list.some((s) => s.commonName === 'client-07'),
          'client-07 is not recorded while its authentication is pending',
        );
        assert.equal(get(all, SLOTS.aliceBack).lastSeenAt, tPending);
        assert.equal(get(all, SLOTS.alice).endedAt, tConnected, 'an ended session stays as it was');
      },
    };
    const r = await replay(dir, version, undefined, async (moment, rp) => {
      const list = await sessionsJson(rp.history);
      checks[moment]?.(byKey(list), list);
    });
    assert.deepEqual(Object.values(r.times), [tConnected, tDisconnect, tReconnect, tPending]);
    assert.match(r.runs[0]?.stderr ?? '', /collect: 6 new, 0 ended, 0 server-stopped, 0 re-opened, 6 active/);
    assert.match(r.runs[2]?.stderr ?? '', /collect: 1 new, 2 ended, 0 server-stopped, 0 re-opened, 5 active/);
    // The CSV holds exactly the two ended sessions; the open ones live in the state.
    const csv = await readAllHistory(r.history);
    assert.deepEqual(
      csv.map((s) => `${s.commonName}@${s.realAddress}:${s.realPort}`).sort(),
      [SLOTS.alice, SLOTS.kiosk1].sort(),
    );
    assert.deepEqual(await listDir(dir), ['history.csv', 'history.csv.state.json', 'status.log']);
  });
}

describe('collect', () => {
  test('several instances: --status udp=FILE --status tcp=FILE, each on its own', async (t) => {
    const dir = await tempDir(t);
    const udp = join(dir, 'udp.status');
    const tcp = join(dir, 'tcp.status');
    const history = join(dir, 'h.csv');
    const run = async (udpData: Buffer | string, tcpData: Buffer | string, now: string) => {
      await writeStatus(udp, udpData);
      await writeStatus(tcp, tcpData);
      return cliOk(collectArgs([`udp=${udp}`, `tcp=${tcp}`], history, now));
    };
    await run(fixture('v3', 'connected'), fixture('v2', 'connected'), '2026-11-26T16:15:28Z');
    let all = await sessionsJson(history);
    assert.equal(all.length, 12);
    assert.deepEqual(all.filter((s) => s.instance === 'udp').length, 6);
    assert.deepEqual(all.filter((s) => s.instance === 'tcp').length, 6);
    // tcp is torn this time: udp goes on, tcp changes nothing.
    const torn = await run(
      fixture('v3', 'after-disconnect'),
      fixture('v2', 'after-disconnect').subarray(0, 500),
      '2026-11-26T16:15:34Z',
    );
    assert.match(torn.stderr, /warning: tcp: .*tcp\.status skipped this run: .*no END line/);
    await run(fixture('v3', 'after-reconnect'), fixture('v2', 'after-disconnect'), '2026-11-26T16:15:37Z');
    all = await sessionsJson(history);
    const ended = (inst: string) =>
      all
        .filter((s) => s.instance === inst && s.status === 'ended')
        .map(key)
        .sort();
    assert.deepEqual(ended('udp'), [SLOTS.alice, SLOTS.kiosk1].sort());
    assert.deepEqual(ended('tcp'), [], 'tcp has lacked them only once');
    await run(fixture('v3', 'auth-pending'), fixture('v2', 'after-reconnect'), '2026-11-26T16:15:39Z');
    all = await sessionsJson(history);
    assert.deepEqual(ended('tcp'), [SLOTS.alice, SLOTS.kiosk1].sort());
    const tcpAlice = all.find((s) => s.instance === 'tcp' && key(s) === SLOTS.alice);
    const udpAlice = all.find((s) => s.instance === 'udp' && key(s) === SLOTS.alice);
    assert.equal(tcpAlice?.endedAt, REAL.v2.times[0]);
    assert.equal(udpAlice?.endedAt, REAL.v3.times[0]);
    assert.notEqual(tcpAlice?.id, udpAlice?.id);
    assert.equal(all.length, 14);
  });

  test('a stale status file ends its sessions with server-stopped; a fresh one re-opens them', async (t) => {
    const dir = await tempDir(t);
    const status = join(dir, 'status.log');
    const history = join(dir, 'h.csv');
    const [tConnected] = REAL.v3.times;
    await writeStatus(status, fixture('v3', 'connected'));
    await cliOk(collectArgs([status], history, isoPlus(tConnected, 1)));
    // The server stopped: the file is not updated any more.
    const stale = await cliOk(collectArgs([status], history, isoPlus(tConnected, 301)));
    assert.match(stale.stderr, /collect: 0 new, 0 ended, 6 server-stopped, 0 re-opened, 0 active/);
    let all = await sessionsJson(history);
    assert.equal(all.length, 6);
    for (const s of all) {
      assert.equal(s.status, 'ended');
      assert.equal(s.endReason, 'server-stopped');
      assert.equal(s.endedAt, tConnected, 'ended when the file was last updated');
    }
    assert.deepEqual(await readAllHistory(history), [], 'held in the state, not yet in the CSV');
    assert.deepEqual(await sessionsJson(history, ['--status', 'active']), []);
    // The file is fresh again: four of them are still listed, so they are re-opened.
    await writeStatus(status, fixture('v3', 'after-disconnect'));
    const back = await cliOk(collectArgs([status], history, isoPlus(tConnected, 301)));
    assert.match(back.stderr, /4 re-opened, 4 active/);
    all = await sessionsJson(history);
    assert.equal(all.length, 6, 're-opened, not duplicated');
    assert.equal(all.filter((s) => s.status === 'active').length, 4);
    await writeStatus(status, fixture('v3', 'after-reconnect'));
    await cliOk(collectArgs([status], history, isoPlus(tConnected, 302)));
    const csv = await readAllHistory(history);
    assert.deepEqual(
      csv.map((s) => `${s.commonName}@${s.realAddress}:${s.realPort}`).sort(),
      [SLOTS.alice, SLOTS.kiosk1].sort(),
    );
    assert.ok(csv.every((s) => s.endReason === 'server-stopped' && s.endedAt === tConnected));
  });

  test('a torn or empty status file: exit 0, a warning, the history and state byte-identical', async (t) => {
    const dir = await tempDir(t);
    const r = await replay(dir, 'v3', ['connected', 'after-disconnect', 'after-reconnect']);
    const before = [await readFile(r.history), await readFile(`${r.history}.state.json`)];
    assert.ok((before[0]?.length ?? 0) > 0);
    const full = fixture('v3', 'auth-pending');
    for (const [what, data, reason] of [
      ['empty', '', /empty file/],
      ['torn', full.subarray(0, full.length - 20), /no END line/],
    ] as const) {
      await writeStatus(r.status, data);
      const run = await runCli(collectArgs([r.status], r.history, '2026-11-26T16:15:39Z'));
      assert.equal(run.code, 0, `${what}: ${run.stderr}`);
      assert.match(
        run.stderr,
        new RegExp(`openvpn-status-web: warning: default: ${r.status}.* skipped this run: .*${reason.source}`),
      );
      assert.deepEqual([await readFile(r.history), await readFile(`${r.history}.state.json`)], before, what);
    }
  });

  test('a missing status file is no change within staleAfter, but is noted (since when) and warned about', async (t) => {
    const dir = await tempDir(t);
    const r = await replay(dir, 'v3', ['connected']);
    const stateOf = async () => JSON.parse(await readFile(`${r.history}.state.json`, 'utf8'));
    const state = await stateOf();
    const now = isoPlus(REAL.v3.times[0], 60);
    const run = await cliOk(collectArgs([join(dir, 'gone.log')], r.history, now));
    assert.match(run.stderr, /warning: default: status file .*gone\.log does not exist/);
    const after = await stateOf();
    assert.deepEqual(after.instances.default.down, { kind: 'missing', since: now });
    delete after.instances.default.down;
    assert.deepEqual(after, state, 'the sessions are as they were');
  });

  test('a run that cannot get the lock exits 0 with a message and changes nothing', async (t) => {
    ensureBuilt();
    const dir = await tempDir(t);
    const status = join(dir, 'status.log');
    const history = join(dir, 'h.csv');
    const config = join(dir, 'config.json');
    await writeFile(config, JSON.stringify({ lockTimeout: 1 }));
    await writeStatus(status, fixture('v3', 'connected'));
    const holder = await startChild(t, [HOLD, distPath('io/lock.js'), `${history}.lock`], 'locked');
    const args = collectArgs([status], history, isoPlus(REAL.v3.times[0], 1), ['--config', config]);
    const busy = await cliOk(args);
    assert.match(busy.stderr, new RegExp(`warning: collect skipped: the history is locked by pid ${holder.pid} on `));
    assert.deepEqual(await listDir(dir), ['config.json', 'h.csv.lock', 'status.log']);
    await killChild(holder);
    // The holder died: its lock is taken over.
    await cliOk(args);
    assert.equal((await sessionsJson(history)).length, 6);
    assert.deepEqual(
      await listDir(dir),
      ['config.json', 'h.csv.state.json', 'status.log'],
      'no lock left; no CSV until a session ends',
    );
  });

  test('settings from --config; flags override it', async (t) => {
    const dir = await tempDir(t);
    const status = join(dir, 'status.log');
    const config = join(dir, 'config.json');
    await writeStatus(status, fixture('v3', 'connected'));
    await writeFile(
      config,
      JSON.stringify({ status: { udp: status }, history: join(dir, 'from-config.csv'), tz: 'UTC', staleAfter: 60 }),
    );
    const now = isoPlus(REAL.v3.times[0], 1);
    await cliOk(['collect', '--config', config, '--now', now]);
    assert.ok((await sessionsJson(join(dir, 'from-config.csv'))).every((s) => s.instance === 'udp'));
    await cliOk(['collect', '--config', config, '--history', join(dir, 'from-flag.csv'), '--now', now]);
    assert.equal((await sessionsJson(join(dir, 'from-flag.csv'))).length, 6);
    // staleAfter 60 from the config: 61 s later the server counts as stopped.
    const stale = await cliOk(['collect', '--config', config, '--now', isoPlus(REAL.v3.times[0], 61)]);
    assert.match(stale.stderr, /6 server-stopped/);
  });

  const usage: [string, unknown, RegExp][] = [
    ['an unknown key', { histroy: '/tmp/x.csv' }, /config\.json: unknown key "histroy"/],
    ['a wrong type', { staleAfter: '5 minutes' }, /config\.json: key "staleAfter" must be a number of seconds/],
    ['a wrong lock timeout', { lockTimeout: 'soon' }, /key "lockTimeout"/],
    ['not an object', ['a'], /config\.json: expected a JSON object/],
  ];
  for (const [what, content, message] of usage) {
    test(`--config with ${what} exits 2 naming the key`, async (t) => {
      const dir = await tempDir(t);
      const config = join(dir, 'config.json');
      await writeFile(config, JSON.stringify(content));
      const r = await runCli([
        'collect',
        '--config',
        config,
        '--history',
        join(dir, 'h.csv'),
        '--status',
        join(dir, 's.log'),
      ]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trim().split('\n').length, 1, 'one line');
      assert.deepEqual(await listDir(dir), ['config.json']);
    });
  }

  test('bad usage exits 2 with one line', async (t) => {
    const dir = await tempDir(t);
    const h = join(dir, 'h.csv');
    for (const [args, message] of [
      [['collect', '--config', join(dir, 'nope.json')], /--config: .*nope\.json does not exist/],
      [['collect', '--history', h, '--now', 'yesterday'], /--now: "yesterday" is not an ISO 8601 instant/],
      [
        ['collect', '--history', h, '--status', 'udp=/a', '--status', 'udp=/b'],
        /--status: instance "udp" is named twice/,
      ],
      [['collect', '--history', h, '--tz', 'Mars/Olympus'], /--tz: unknown time zone/],
      [['collect', '--history', h, '--bogus'], /collect: Unknown option '--bogus'/],
    ] as const) {
      const r = await runCli([...args]);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
    }
    assert.deepEqual(await listDir(dir), []);
  });

  test('a history that is not one exits 2 naming the file', async (t) => {
    const dir = await tempDir(t);
    const history = join(dir, 'openvpn-sessions.csv');
    const status = join(dir, 'status.log');
    const legacy =
      'user,public_ip,tunnel_ip,start,end,duration_s\nalice,1.2.3.4,10.8.0.2,2026-01-01 10:00:00,2026-01-01 11:00:00,3600\n';
    await writeFile(history, legacy);
    await writeStatus(status, fixture('v3', 'connected'));
    const r = await runCli(collectArgs([status], history, isoPlus(REAL.v3.times[0], 1)));
    assert.equal(r.code, 2, r.stderr);
    assert.equal(
      r.stderr,
      `openvpn-status-web: ${history}:1: not a session history: no column id, commonName, realAddress, connectedAt, endedAt\n`,
    );
    assert.equal(await readFile(history, 'utf8'), legacy, 'left as it was');
  });
});
