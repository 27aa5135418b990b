/**
 * The collector against a real OpenVPN server (Debian's openvpn; needs root and
 * /dev/net/tun): real clients connect, send traffic, disconnect, reconnect, share a common
 * name; the server stops. After each step the compiled CLI's `run` (as cron starts it)
 * must have recorded exactly what the test did: one session per connection, the real
 * connect time, an end close to the real disconnect, durations, growing byte counts, and a
 * live table listing exactly the connected clients. For status-version 1, 2 and 3 over UDP,
 * and version 3 over TCP. And a UDP server with `explicit-exit-notify` (OpenVPN's sample UDP
 * setting) and the README's hooks: on SIGTERM it tells its clients to restart, and still runs
 * client-disconnect for each as it exits, so every session ends exactly, none lost.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { ensureBuilt, ROOT } from '../helpers/build.js';
import type { SessionJson } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { Collector, type TimedRun } from './helpers/collector.js';
import {
  isSessionOf,
  Server,
  UDP_EXIT_HOLD_S,
  type Client,
  type Proto,
  type StatusVersion,
} from './helpers/openvpn.js';
import { makePki, type Pki } from './helpers/pki.js';
import { leftovers, Procs } from './helpers/procs.js';
import { missing, systemGate, type Needs } from './helpers/requirements.js';

const NEEDS: Needs = { root: true, tun: true, bins: ['openvpn', 'openssl', 'ip', 'ss', 'pgrep'] };
/** --stale-after for every run: the server-stop step waits this long for the file to go stale. */
const STALE_AFTER_S = 10; // the smallest the CLI accepts
const TIMEOUT_MS = 240_000;

const procs = new Procs();
let root = '';
let pki: Pki | null = null;

const sec = (iso: string): number => Date.parse(iso) / 1000;
const iso = (ms: number): string => new Date(ms).toISOString();
const dump = (s: SessionJson[]): string =>
  s
    .map(
      (x) =>
        `  ${x.commonName} port ${x.realPort} user ${x.user} ${x.connectedAt} → ${x.endedAt ?? 'open'} ${x.status}/${x.endReason ?? '-'} ${x.id}`,
    )
    .join('\n');

function expectedUser(c: Client, version: StatusVersion): string {
  // Version 1 has no Username column: the user is the common name.
  return version === 1 ? c.commonName : (c.username ?? c.commonName);
}

/** The one session of a connection (isSessionOf); fails unless there is exactly one. */
function sessionOf(all: SessionJson[], c: Client): SessionJson {
  const found = all.filter((s) => isSessionOf(s, c));
  assert.equal(
    found.length,
    1,
    `${c.name} (CN ${c.commonName}, port ${c.realPort}) must be exactly one session, found ${found.length}:\n${dump(all)}`,
  );
  return found[0] as SessionJson;
}

/** Every connection the test made is exactly one session, and there is no other. */
function checkOnePerConnection(all: SessionJson[], clients: Client[]): void {
  for (const c of clients) sessionOf(all, c);
  assert.equal(
    all.length,
    clients.length,
    `${clients.length} connections must be ${clients.length} sessions, found ${all.length}:\n${dump(all)}`,
  );
  assert.equal(new Set(all.map((s) => s.id)).size, all.length, `session ids must be unique:\n${dump(all)}`);
}

/** Start time, user and addresses of a connection's session, against what the client itself saw. */
function checkStart(s: SessionJson, c: Client, version: StatusVersion): void {
  const at = sec(s.connectedAt);
  assert.ok(
    at >= Math.floor(c.spawnedAt / 1000) && at <= c.connectedAt / 1000,
    `${c.name}: connectedAt ${s.connectedAt} must lie between the client's start (${iso(c.spawnedAt)}) and its "Initialization Sequence Completed" (${iso(c.connectedAt)})`,
  );
  assert.ok(
    Math.abs(at - c.connectedAt / 1000) <= 2,
    `${c.name}: connectedAt ${s.connectedAt} within 2 s of the observed connect ${iso(c.connectedAt)}`,
  );
  assert.equal(s.user, expectedUser(c, version), `${c.name}: user`);
  assert.equal(s.username, version === 1 ? null : c.username, `${c.name}: username (UNDEF and version 1 → null)`);
  assert.equal(s.realAddress, '127.0.0.1', `${c.name}: real address`);
  assert.equal(
    s.virtualAddress,
    c.virtualAddress,
    `${c.name}: tunnel IPv4 = the address the server pushed to the client`,
  );
  if (version !== 1)
    assert.equal(s.virtualIpv6, c.virtualIpv6, `${c.name}: tunnel IPv6 = the address the server pushed to the client`);
}

interface EndBounds {
  reason: 'disconnected' | 'server-stopped';
  /** Seconds since the epoch. */
  notBefore: number;
  notAfter: number;
}

function checkEnd(s: SessionJson, c: Client, b: EndBounds): void {
  assert.equal(s.status, 'ended', `${c.name}: status`);
  assert.equal(s.endReason, b.reason, `${c.name}: end reason`);
  assert.ok(s.endedAt !== null, `${c.name}: endedAt set`);
  const end = sec(s.endedAt);
  assert.ok(
    end >= b.notBefore && end <= b.notAfter,
    `${c.name}: endedAt ${s.endedAt} must lie in [${iso(b.notBefore * 1000)}, ${iso(b.notAfter * 1000)}]`,
  );
  assert.equal(s.lastSeenAt, s.endedAt, `${c.name}: an ended session's lastSeenAt is its endedAt`);
  assert.equal(s.durationS, end - sec(s.connectedAt), `${c.name}: durationS = endedAt − connectedAt`);
}

async function checkLive(site: Collector, clients: Client[], version: StatusVersion, when: string): Promise<void> {
  const rows = (await site.live()).map((r) => `${r.user} ${r.virtualAddress}`).sort();
  const want = clients.map((c) => `${expectedUser(c, version)} ${c.virtualAddress}`).sort();
  assert.deepEqual(rows, want, `${when}: the dashboard's live table lists exactly the connected clients`);
}

async function scenario(t: TestContext, version: StatusVersion, proto: Proto): Promise<void> {
  if (!systemGate(t, NEEDS) || pki === null) return;
  const dir = await mkdtemp(join(root, `v${version}-${proto}-`));
  const server = await Server.start({ dir, pki, procs, proto, statusVersion: version });
  t.after(() => server.shutdown());
  const site = new Collector(join(dir, 'collector'), [server.statusFile], ['--stale-after', String(STALE_AFTER_S)]);
  await site.init();
  const interval = server.statusInterval;
  const started = Date.now();
  try {
    await site.run();
    assert.deepEqual(await site.sessions(), [], 'no client yet: no session');

    // Four clients at once: one with a username, one without, two sharing a common name.
    const [alice, bob, sh1, sh2] = await Promise.all([
      server.connect({ commonName: 'alice', username: 'a.smith', name: 'alice' }),
      server.connect({ commonName: 'bob', name: 'bob' }),
      server.connect({ commonName: 'shared', name: 'shared#1' }),
      server.connect({ commonName: 'shared', username: 'carol', name: 'shared#2' }),
    ]);
    await server.waitListed([alice, bob, sh1, sh2]);
    await site.run();
    let s = await site.sessions();
    checkOnePerConnection(s, [alice, bob, sh1, sh2]);
    for (const c of [alice, bob, sh1, sh2]) {
      const one = sessionOf(s, c);
      checkStart(one, c, version);
      assert.equal(one.status, 'active', `${c.name}: active`);
      assert.ok(
        (one.bytesReceived ?? 0) > 0 && (one.bytesSent ?? 0) > 0,
        `${c.name}: the TLS handshake alone makes the byte counts > 0 (${one.bytesReceived}/${one.bytesSent})`,
      );
    }
    assert.notEqual(
      sessionOf(s, sh1).id,
      sessionOf(s, sh2).id,
      'two clients sharing a common name (duplicate-cn) are two sessions',
    );
    await checkLive(site, [alice, bob, sh1, sh2], version, 'four connected');

    // Traffic: 20 KB through the server's tun to alice; keepalives (ping 1) keep the others counting.
    const before = s;
    await server.sendTraffic(alice, 20_000);
    const base = sessionOf(before, alice).bytesSent ?? 0;
    await server.watcher.waitFor('the 20 KB sent to alice, and keepalives counted for everybody', (v) =>
      [alice, bob, sh1, sh2].every((c) => {
        const row = v.clients.find((x) => x.commonName === c.commonName && x.realPort === c.realPort);
        const was = sessionOf(before, c);
        return (
          row !== undefined &&
          row.bytesReceived > (was.bytesReceived ?? 0) &&
          row.bytesSent > (was.bytesSent ?? 0) + (c === alice ? 20_000 : 0)
        );
      }),
    );
    await site.run();
    s = await site.sessions();
    checkOnePerConnection(s, [alice, bob, sh1, sh2]);
    for (const c of [alice, bob, sh1, sh2]) {
      const was = sessionOf(before, c);
      const now = sessionOf(s, c);
      assert.equal(now.id, was.id, `${c.name}: the same session, seen again`);
      assert.ok(
        (now.bytesSent ?? 0) > (was.bytesSent ?? 0) && (now.bytesReceived ?? 0) > (was.bytesReceived ?? 0),
        `${c.name}: bytes grow (${was.bytesReceived}/${was.bytesSent} → ${now.bytesReceived}/${now.bytesSent})`,
      );
      assert.ok(now.durationS >= was.durationS, `${c.name}: an open session's duration does not shrink`);
      assert.equal(
        now.durationS,
        sec(now.lastSeenAt) - sec(now.connectedAt),
        `${c.name}: an open session's duration runs to its lastSeenAt`,
      );
    }
    assert.ok(
      (sessionOf(s, alice).bytesSent ?? 0) >= base + 20_000,
      `alice: Bytes Sent grew by the 20 KB sent to her (${base} → ${sessionOf(s, alice).bytesSent})`,
    );

    // bob and shared#1 disconnect. A run right before, so the history's lastSeenAt is fresh.
    const r0: TimedRun = await site.runFresh();
    await Promise.all([bob.disconnect(), sh1.disconnect()]);
    s = await site.runUntil(
      'bob and shared#1 to end',
      (all) => all.filter((x) => x.status === 'ended').length >= 2,
      45_000,
    );
    checkOnePerConnection(s, [alice, bob, sh1, sh2]);
    // OpenVPN itself keeps a UDP client listed for a few seconds after its exit notification.
    const hold = proto === 'udp' ? UDP_EXIT_HOLD_S : 1;
    for (const c of [bob, sh1]) {
      const stopped = (c.stoppedAt as number) / 1000;
      const absent = server.watcher.firstAbsent(c.commonName, c.realPort);
      const one = sessionOf(s, c);
      checkEnd(one, c, {
        reason: 'disconnected',
        // The run before the disconnect read a file at most `interval` (+1 s rounding) old.
        notBefore: Math.floor(r0.start / 1000) - interval - 1,
        // Never later than the first status update that no longer listed it, nor than the disconnect allows.
        notAfter: Math.min(absent ?? Infinity, Math.ceil(stopped) + hold + interval + 1),
      });
      t.diagnostic(
        `${c.name}: disconnected ${iso(c.stoppedAt as number)}, last listed ${iso((server.watcher.lastListed(c.commonName, c.realPort) ?? 0) * 1000)}, ` +
          `recorded end ${one.endedAt} (${(sec(one.endedAt as string) - stopped).toFixed(1)} s from the disconnect)`,
      );
    }
    for (const c of [alice, sh2]) assert.equal(sessionOf(s, c).status, 'active', `${c.name} is still connected`);
    await checkLive(site, [alice, sh2], version, 'after two disconnects');

    // bob comes back: a new connection, a new session; the old one stays as it was.
    const bob2 = await server.connect({ commonName: 'bob', name: 'bob#2' });
    await server.waitListed([alice, sh2, bob2]);
    await site.run();
    const s2 = await site.sessions();
    checkOnePerConnection(s2, [alice, bob, sh1, sh2, bob2]);
    checkStart(sessionOf(s2, bob2), bob2, version);
    assert.equal(sessionOf(s2, bob2).status, 'active', 'bob#2: active');
    assert.deepEqual(sessionOf(s2, bob), sessionOf(s, bob), 'bob#1: unchanged by the reconnect');
    assert.equal(s2.filter((x) => x.user === 'bob').length, 2, 'bob: two sessions, one per connection');
    await checkLive(site, [alice, sh2, bob2], version, 'after the reconnect');

    // The server stops: once its file is older than --stale-after, the open sessions end as server-stopped.
    const r1 = await site.runFresh();
    const exit = await server.stop();
    s = await site.runUntil(
      'the open sessions to end as server-stopped',
      (all) => all.every((x) => x.status === 'ended'),
      45_000,
    );
    checkOnePerConnection(s, [alice, bob, sh1, sh2, bob2]);
    for (const c of [alice, sh2, bob2]) {
      const one = sessionOf(s, c);
      checkEnd(one, c, {
        reason: 'server-stopped',
        notBefore: Math.floor(r1.start / 1000) - interval - 1,
        notAfter: exit.at / 1000,
      });
      t.diagnostic(`${c.name}: server stopped ${iso(exit.at)}, recorded end ${one.endedAt} (server-stopped)`);
    }
    for (const c of [bob, sh1])
      assert.deepEqual(
        sessionOf(s, c),
        sessionOf(s2, c),
        `${c.name}: its ended session is unchanged by the server stop`,
      );
    await checkLive(site, [], version, 'after the server stopped');
    t.diagnostic(
      `${site.runs.length} runs, longest gap between runs ${site.maxRunGapMs()} ms, scenario ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
  } catch (e) {
    // The logs of the server and every client explain most failures.
    (e as Error).message += `\n${server.logs()}`;
    throw e;
  }
}

/** The installed command, as npm installs it: a link to the package's bin/openvpn-status-web (made in `before`). */
const installedBin = (): string => join(root, 'usr-local-bin', 'openvpn-status-web');

/** `sessions --json` of this version carries endExact (test/helpers/cli.ts predates it). */
type ExactSession = SessionJson & { endExact: boolean };

/**
 * A UDP server with `explicit-exit-notify 1` tells its clients to restart on SIGTERM (issue
 * 20 feared it then exits without client-disconnect, leaving server-stopped estimates): every
 * session must still be exactly one row, ended exactly by the hook at the server's exit.
 */
async function udpExitNotify(t: TestContext): Promise<void> {
  if (!systemGate(t, NEEDS) || pki === null) return;
  const dir = await mkdtemp(join(root, 'udp-exit-notify-'));
  // The README's hook setup: the installed command, --instance NAME, the spool named in the config collect reads.
  const spool = join(dir, 'spool.jsonl');
  const config = join(dir, 'config.json');
  await writeFile(config, `${JSON.stringify({ hookSpool: spool })}\n`);
  const hook = `"${installedBin()} hook --instance udp --config ${config}"`;
  const server = await Server.start({
    dir,
    pki,
    procs,
    proto: 'udp',
    statusVersion: 3,
    hooks: { connect: hook, disconnect: hook },
    extraConfig: ['explicit-exit-notify 1'],
  });
  t.after(() => server.shutdown());
  const site = new Collector(
    join(dir, 'collector'),
    [`udp=${server.statusFile}`],
    ['--stale-after', String(STALE_AFTER_S), '--config', config],
  );
  await site.init();
  const all = async (): Promise<ExactSession[]> => (await site.sessions()) as ExactSession[];
  try {
    const [alice, bob, sh1, sh2] = await Promise.all([
      server.connect({ commonName: 'alice', username: 'a.smith', name: 'alice' }),
      server.connect({ commonName: 'bob', name: 'bob' }),
      server.connect({ commonName: 'shared', name: 'shared#1' }),
      server.connect({ commonName: 'shared', username: 'carol', name: 'shared#2' }),
    ]);
    const everyone = [alice, bob, sh1, sh2];
    await server.waitListed(everyone);
    await site.runFresh();
    let s: SessionJson[] = await all();
    checkOnePerConnection(s, everyone);
    for (const c of everyone) assert.equal(sessionOf(s, c).status, 'active', `${c.name}: active`);

    // bob leaves first: client-disconnect runs and his end is exact, so the hooks are live.
    await bob.disconnect();
    s = await site.runUntil('bob to end', (x) => x.some((y) => y.status === 'ended'), 45_000);
    const b = sessionOf(s, bob) as ExactSession;
    assert.equal(b.endReason, 'disconnected', 'bob: disconnected');
    assert.equal(b.endExact, true, 'bob: an exact end, from the client-disconnect hook');

    // SIGTERM: OpenVPN tells the connected clients to restart, ignores their reconnects, and
    // exits after a short delay, running client-disconnect for each of them as it closes.
    const open = [alice, sh1, sh2];
    const stopAt = Date.now();
    const exit = await server.stop();
    const log = server.proc.output();
    for (const c of open) {
      assert.match(c.proc.output(), /SIGUSR1\[soft,server-pushed-connection-reset\]/, `${c.name} was told to restart`);
      assert.equal(server.closeLoggedAt(c), null, `${c.name}: not closed before the stop`);
    }
    assert.equal(
      log.match(/SENT CONTROL \[[^\]]+\]: 'RESTART'/g)?.length,
      open.length,
      'the server sent RESTART to each connected client',
    );
    const spooled = (await readFile(spool, 'utf8'))
      .split('\n')
      .filter((l) => l.includes('script_type=client-disconnect'));
    assert.equal(
      spooled.length,
      open.length,
      `one client-disconnect per connected client in the spool:\n${spooled.join('\n')}`,
    );

    // The next run takes those ends from the spool: exact, at the server's exit; the reconnect attempts left no session.
    const r = await site.runFresh();
    s = await all();
    checkOnePerConnection(s, everyone);
    for (const c of open) {
      const one = sessionOf(s, c) as ExactSession;
      checkEnd(one, c, {
        reason: 'disconnected',
        notBefore: Math.floor(stopAt / 1000),
        notAfter: Math.ceil(exit.at / 1000),
      });
      assert.equal(one.endExact, true, `${c.name}: an exact end, from client-disconnect`);
    }
    assert.deepEqual(sessionOf(s, bob), b, 'bob: his ended session is unchanged by the server stop');

    // Once the file is stale, nothing is left to end as server-stopped: nothing changes.
    await site.collect(['--now', iso(Date.now() + (STALE_AFTER_S + 2) * 1000)]);
    assert.deepEqual(await all(), s, 'a later collect (the server long stopped) changes nothing');
    t.diagnostic(
      `SIGTERM ${iso(stopAt)}, exited ${iso(exit.at)} (${exit.at - stopAt} ms), recorded ends ${open.map((c) => sessionOf(s, c).endedAt).join(', ')}, run at ${iso(r.start)}`,
    );
  } catch (e) {
    (e as Error).message += `\n${server.logs(25)}`;
    throw e;
  }
}

describe('real OpenVPN server and clients', () => {
  before(async () => {
    if (missing(NEEDS).length > 0) return; // each test skips (or fails) with the reason
    ensureBuilt();
    root = await tempDir('ovsw-system-openvpn-');
    pki = await makePki(join(root, 'pki'), ['alice', 'bob', 'shared']);
    await mkdir(join(root, 'usr-local-bin'), { mode: 0o755 });
    await symlink(join(ROOT, 'bin', 'openvpn-status-web'), installedBin());
  });

  after(() => procs.stopAll());

  it('status-version 1 over UDP', { timeout: TIMEOUT_MS }, (t) => scenario(t, 1, 'udp'));
  it('status-version 2 over UDP', { timeout: TIMEOUT_MS }, (t) => scenario(t, 2, 'udp'));
  it('status-version 3 over UDP', { timeout: TIMEOUT_MS }, (t) => scenario(t, 3, 'udp'));
  it('status-version 3 over TCP', { timeout: TIMEOUT_MS }, (t) => scenario(t, 3, 'tcp'));
  it(
    'UDP with explicit-exit-notify and the hooks: SIGTERM restarts the clients and still ends every session exactly',
    {
      timeout: TIMEOUT_MS,
    },
    (t) => udpExitNotify(t),
  );

  it('leaves no openvpn process behind', async (t) => {
    if (!systemGate(t, NEEDS)) return;
    await procs.stopAll();
    const running = procs.all.filter((p) => p.exit === null).map((p) => `${p.pid} ${p.name}`);
    assert.deepEqual(running, [], 'every process the tests started has exited');
    assert.deepEqual(await leftovers('openvpn', root), [], `pgrep openvpn: nothing started from ${root} still runs`);
  });
});
