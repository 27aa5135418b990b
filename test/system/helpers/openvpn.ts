/**
 * A real OpenVPN server on 127.0.0.1 and real OpenVPN clients, each a separate openvpn
 * process (see procs.ts for how they are tracked and ended).
 *
 * The server: `topology subnet`, an IPv4 and an IPv6 pool (10.99.N.0/24 and fd00:99:N::/64,
 * N picked free on this host so two servers never share a subnet), `status FILE 1`,
 * `status-version N`, `duplicate-cn`, and `auth-user-pass-verify` through a tiny shell
 * script (`auth-user-pass-optional`, so clients without a username connect too, and
 * `username-as-common-name` off, so usernames show in the status file). Hooks (issue 8) go
 * in with `hooks` or `extraConfig`; `script-security 2` is already set.
 *
 * The clients: `dev null`, `nobind`, `ifconfig-noexec` and `route-nopull`, so they create no
 * device and change neither the host's addresses nor its routes. (With `dev tun` and
 * `ifconfig-noexec` the client's tun device stays down; a client that was sent data packets —
 * traffic, or the IPv6 multicast the host sends out of the server's tun, which OpenVPN
 * broadcasts — was seen to hit ping-restart 10 s later (OpenVPN 2.6.14). `dev null` discards
 * such packets.) The server has a real tun device, named uniquely. What the test knows about a
 * client comes from outside the status file: its connect time is when it printed
 * "Initialization Sequence Completed", its tunnel addresses come from the PUSH_REPLY it
 * logged, and its real port from `ss` (the socket of its PID).
 */
import { spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { Pki } from './pki.js';
import type { Proc, ProcExit, Procs } from './procs.js';
import { bin } from './requirements.js';
import { sleep, waitFor } from './wait.js';

export type Proto = 'udp' | 'tcp';
export type StatusVersion = 1 | 2 | 3;

/** How long OpenVPN keeps a UDP client listed after its exit notification (multi.c: scheduled exit, 5 s). */
export const UDP_EXIT_HOLD_S = 5;
const CONNECT_TIMEOUT_MS = 30_000;

let devCounter = 0;
/** A server's tun name, unique on this host (pid and a counter): at most 15 characters. */
function devName(): string {
  devCounter += 1;
  return `ov${process.pid}s${devCounter}`;
}

function sh(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: exit ${r.status}\n${r.stderr}`);
  return r.stdout;
}

/** A /24 in 10.99.0.0/16 (and its IPv6 twin) that no interface or route on this host uses. */
export function freeSubnet(): number {
  const used =
    sh(bin('ip'), ['-o', 'addr', 'show']) + sh(bin('ip'), ['route', 'show']) + sh(bin('ip'), ['-6', 'route', 'show']);
  const free: number[] = [];
  for (let n = 10; n < 250; n++) if (!used.includes(`10.99.${n}.`) && !used.includes(`fd00:99:${n}::`)) free.push(n);
  const pick = free[Math.floor(Math.random() * free.length)];
  if (pick === undefined) throw new Error('no free 10.99.N.0/24 on this host');
  return pick;
}

/** A port that was free on 127.0.0.1 a moment ago (UDP or TCP). */
export async function freePort(proto: Proto): Promise<number> {
  if (proto === 'tcp') {
    return new Promise((resolve, reject) => {
      const srv = createServer();
      srv.once('error', reject);
      srv.listen(0, '127.0.0.1', () => {
        const addr = srv.address();
        if (addr === null || typeof addr === 'string') return reject(new Error('no port'));
        srv.close(() => resolve(addr.port));
      });
    });
  }
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    s.once('error', reject);
    s.bind(0, '127.0.0.1', () => {
      const port = s.address().port;
      s.close(() => resolve(port));
    });
  });
}

/** The local port of the socket a process holds (ss), e.g. an openvpn client's real port. */
export function localPortOf(pid: number, proto: Proto): number | null {
  const out = sh(bin('ss'), ['-H', '-n', '-a', '-p', proto === 'udp' ? '-u' : '-t']);
  for (const line of out.split('\n')) {
    if (!line.includes(`pid=${pid},`)) continue;
    const cols = line.trim().split(/\s+/);
    if (proto === 'tcp' && cols[0] !== 'ESTAB') continue;
    const m = /:(\d+)$/.exec(cols[3] ?? '');
    if (m) return Number(m[1]);
  }
  return null;
}

// ---------------------------------------------------------------------------------------
// The status file as the test reads it: a small parser of its own (the product's parser is
// what is under test), used for timings and for waiting until OpenVPN lists a client.

export interface ListedClient {
  commonName: string;
  realPort: number;
  virtualAddress: string | null;
  bytesReceived: number;
  bytesSent: number;
  /** `Connected Since (time_t)` (versions 2 and 3): OpenVPN's own connect instant; null in version 1. */
  connectedAtS: number | null;
}

export interface StatusView {
  /** The file's update time, whole seconds since the epoch. */
  updatedAtS: number;
  clients: ListedClient[];
}

/** Time text "YYYY-MM-DD HH:MM:SS" (OpenVPN 2.5+) read as UTC: the server runs with TZ=UTC. */
function utcSeconds(text: string): number {
  const ms = Date.parse(`${text.replace(' ', 'T')}Z`);
  if (Number.isNaN(ms)) throw new Error(`unexpected time text ${JSON.stringify(text)}`);
  return ms / 1000;
}

const portOf = (real: string): number => Number(/:(\d+)$/.exec(real)?.[1] ?? NaN);

/** A complete status file as a view; null when it is not one (torn, empty, no END). */
export function viewOf(text: string, version: StatusVersion): StatusView | null {
  const lines = text.split('\n').map((l) => l.replace(/\r$/, ''));
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  if (lines[lines.length - 1] !== 'END') return null;
  if (version === 1) {
    const updated = lines.find((l) => l.startsWith('Updated,'));
    const head = lines.indexOf('Common Name,Real Address,Bytes Received,Bytes Sent,Connected Since');
    const routing = lines.indexOf('ROUTING TABLE');
    if (updated === undefined || head < 0 || routing < head) return null;
    const vip = new Map<string, string>();
    const stats = lines.indexOf('GLOBAL STATS');
    for (const l of lines.slice(routing + 2, stats < 0 ? lines.length - 1 : stats)) {
      const f = l.split(',');
      if (f.length !== 4) return null;
      if (/^\d+\.\d+\.\d+\.\d+$/.test(f[0] as string)) vip.set(`${f[1]},${f[2]}`, f[0] as string);
    }
    const clients: ListedClient[] = [];
    for (const l of lines.slice(head + 1, routing)) {
      const f = l.split(',');
      if (f.length !== 5) return null;
      const [cn, real, rx, tx] = f as [string, string, string, string];
      clients.push({
        commonName: cn,
        realPort: portOf(real),
        virtualAddress: vip.get(`${cn},${real}`) ?? null,
        bytesReceived: Number(rx),
        bytesSent: Number(tx),
        connectedAtS: null,
      });
    }
    return { updatedAtS: utcSeconds(updated.slice('Updated,'.length)), clients };
  }
  const sep = version === 3 ? '\t' : ',';
  const rows = lines.map((l) => l.split(sep));
  const time = rows.find((r) => r[0] === 'TIME');
  const header = rows.find((r) => r[0] === 'HEADER' && r[1] === 'CLIENT_LIST');
  if (time === undefined || header === undefined) return null;
  const col = (name: string): number => header.indexOf(name) - 1;
  const clients: ListedClient[] = [];
  for (const r of rows) {
    if (r[0] !== 'CLIENT_LIST') continue;
    if (r.length !== header.length - 1) return null;
    const at = (name: string): string => r[col(name)] ?? '';
    clients.push({
      commonName: at('Common Name'),
      realPort: portOf(at('Real Address')),
      virtualAddress: at('Virtual Address') === '' ? null : at('Virtual Address'),
      bytesReceived: Number(at('Bytes Received')),
      bytesSent: Number(at('Bytes Sent')),
      connectedAtS: at('Connected Since (time_t)') === '' ? null : Number(at('Connected Since (time_t)')),
    });
  }
  return { updatedAtS: Number(time[2]), clients };
}

/**
 * Reads the status file every 100 ms and keeps each update (by its update time). A read
 * counts only when the next read returns the same bytes, so a half-written file (OpenVPN
 * rewrites it in place) never shows up here as a client that left.
 */
export class StatusWatcher {
  readonly views: StatusView[] = [];
  private last = '';
  private timer: NodeJS.Timeout | undefined;
  private busy = false;
  private error: Error | null = null;

  constructor(
    readonly file: string,
    readonly version: StatusVersion,
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      if (this.busy) return;
      this.busy = true;
      this.poll()
        .catch((e: unknown) => {
          this.error = e as Error;
        })
        .finally(() => {
          this.busy = false;
        });
    }, 100);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async poll(): Promise<void> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return; // not written yet
      throw e;
    }
    const stable = text === this.last;
    this.last = text;
    if (!stable) return;
    const view = viewOf(text, this.version);
    if (view === null) return;
    const prev = this.views[this.views.length - 1];
    if (prev === undefined || view.updatedAtS > prev.updatedAtS) this.views.push(view);
  }

  latest(): StatusView | null {
    if (this.error) throw this.error;
    return this.views[this.views.length - 1] ?? null;
  }

  /** Waits for an update whose time is at least `sinceS` (default: any) and that satisfies `pred`. */
  async waitFor(what: string, pred: (v: StatusView) => boolean, timeoutMs = 20_000, sinceS = 0): Promise<StatusView> {
    return waitFor(
      `status file ${this.file}: ${what}`,
      () => {
        const v = this.latest();
        return v !== null && v.updatedAtS >= sinceS && pred(v) ? v : undefined;
      },
      { timeoutMs, detail: () => `latest update: ${JSON.stringify(this.latest())}` },
    );
  }

  /** Waits until the file was rewritten at least once after now (a later update time). */
  async nextUpdate(timeoutMs = 10_000): Promise<StatusView> {
    const now = this.latest()?.updatedAtS ?? 0;
    return this.waitFor('a newer update', (v) => v.updatedAtS > now, timeoutMs);
  }

  /** Update time of the last update that listed the client (by common name and real port). */
  lastListed(cn: string, port: number): number | null {
    let at: number | null = null;
    for (const v of this.views)
      if (v.clients.some((c) => c.commonName === cn && c.realPort === port)) at = v.updatedAtS;
    return at;
  }

  /** Update time of the first update after the last one that listed the client. */
  firstAbsent(cn: string, port: number): number | null {
    const last = this.lastListed(cn, port);
    if (last === null) return null;
    return this.views.find((v) => v.updatedAtS > last)?.updatedAtS ?? null;
  }
}

// ---------------------------------------------------------------------------------------

export interface ServerOptions {
  /** Folder for the server's config, status file, scripts and logs. */
  dir: string;
  pki: Pki;
  procs: Procs;
  proto: Proto;
  statusVersion: StatusVersion;
  /** `status FILE n` (default 1). */
  statusInterval?: number;
  /** Issue 8: scripts for `client-connect` and `client-disconnect` (absolute paths). */
  hooks?: { connect?: string; disconnect?: string };
  /** More lines for the server config. */
  extraConfig?: string[];
  /**
   * A command the server is started through, e.g. `['prlimit', '--nproc=10']` for the limit
   * Debian's openvpn-server@.service sets (LimitNPROC=10). Its first word is looked up on PATH.
   */
  launcher?: string[];
}

export interface ClientOptions {
  /** Must be in the PKI. */
  commonName: string;
  /** Sent with auth-user-pass (password `pw-USERNAME`, which the auth script accepts); none: no credentials. */
  username?: string;
  /** A wrong password: the auth script rejects the client. */
  password?: string;
  /** Name in logs and messages (default: common name / username). */
  name?: string;
  /** Wait for "Initialization Sequence Completed" (default true). */
  waitConnected?: boolean;
}

export interface Client {
  name: string;
  commonName: string;
  username: string | null;
  proc: Proc;
  /** Date.now() just before it was started. */
  spawnedAt: number;
  /** Date.now() when it printed "Initialization Sequence Completed". */
  connectedAt: number;
  /** Its UDP/TCP port, seen from the server: the port OpenVPN shows in Real Address. */
  realPort: number;
  /** Tunnel addresses the server pushed to it. */
  virtualAddress: string;
  virtualIpv6: string | null;
  /** Date.now() just before it was sent SIGTERM, null while it runs. */
  stoppedAt: number | null;
  exit: ProcExit | null;
  /** SIGTERM; resolves once the process exited. */
  disconnect(): Promise<ProcExit>;
}

/**
 * Whether a recorded session is this client's connection: same common name and port, begun
 * while the client ran. The kernel may give a later client the port of an earlier one, so the
 * port alone is not enough; "Connected Since" has whole seconds, hence a second of slack.
 */
export function isSessionOf(
  s: { commonName: string; realPort: number | null; connectedAt: string },
  c: Client,
): boolean {
  const at = Date.parse(s.connectedAt);
  return (
    s.commonName === c.commonName &&
    s.realPort === c.realPort &&
    c.spawnedAt - 1000 <= at &&
    at <= (c.stoppedAt ?? Infinity) + 1000
  );
}

export const AUTH_SCRIPT = `#!/bin/sh
# auth-user-pass-verify via-file: $1 holds the username, then the password.
# With auth-user-pass-optional a client without credentials comes here with both empty:
# its certificate is enough. Otherwise the password must be "pw-USERNAME".
user=$(sed -n 1p "$1")
pass=$(sed -n 2p "$1")
[ -z "$user" ] && [ -z "$pass" ] && exit 0
[ "$pass" = "pw-$user" ] && exit 0
echo "auth script: rejected $user" >&2
exit 1
`;

export function serverConfig(o: {
  dev: string;
  proto: Proto;
  port: number;
  subnet: number;
  pki: Pki;
  statusFile: string;
  statusInterval: number;
  statusVersion: StatusVersion;
  authScript: string;
  hooks?: { connect?: string; disconnect?: string };
  extraConfig?: string[];
}): string {
  const lines = [
    `dev ${o.dev}`,
    'dev-type tun',
    `proto ${o.proto === 'udp' ? 'udp4' : 'tcp4-server'}`,
    'local 127.0.0.1',
    `port ${o.port}`,
    'topology subnet',
    `server 10.99.${o.subnet}.0 255.255.255.0`,
    `server-ipv6 fd00:99:${o.subnet}::/64`,
    `ca ${o.pki.ca}`,
    `cert ${o.pki.serverCert}`,
    `key ${o.pki.serverKey}`,
    'dh none',
    `tls-crypt ${o.pki.tlsCrypt}`,
    'keepalive 1 10',
    `status ${o.statusFile} ${o.statusInterval}`,
    `status-version ${o.statusVersion}`,
    'duplicate-cn',
    'script-security 2',
    `auth-user-pass-verify ${o.authScript} via-file`,
    'auth-user-pass-optional',
    'verb 3',
  ];
  if (o.hooks?.connect) lines.push(`client-connect ${o.hooks.connect}`);
  if (o.hooks?.disconnect) lines.push(`client-disconnect ${o.hooks.disconnect}`);
  lines.push(...(o.extraConfig ?? []));
  return `${lines.join('\n')}\n`;
}

export class Server {
  readonly clients: Client[] = [];
  private clientCount = 0;

  private constructor(
    readonly opts: ServerOptions,
    readonly proc: Proc,
    readonly port: number,
    readonly subnet: number,
    readonly dev: string,
    readonly statusFile: string,
    readonly statusInterval: number,
    readonly watcher: StatusWatcher,
  ) {}

  get proto(): Proto {
    return this.opts.proto;
  }

  get statusVersion(): StatusVersion {
    return this.opts.statusVersion;
  }

  /** The server's own tunnel address. */
  get gateway(): string {
    return `10.99.${this.subnet}.1`;
  }

  static async start(opts: ServerOptions): Promise<Server> {
    const dev = devName();
    const port = await freePort(opts.proto);
    const subnet = freeSubnet();
    const statusFile = join(opts.dir, 'openvpn-status.log');
    const statusInterval = opts.statusInterval ?? 1;
    const authScript = join(opts.dir, 'auth.sh');
    await writeFile(authScript, AUTH_SCRIPT);
    await chmod(authScript, 0o755);
    const config = join(opts.dir, 'server.conf');
    await writeFile(
      config,
      serverConfig({
        dev,
        proto: opts.proto,
        port,
        subnet,
        pki: opts.pki,
        statusFile,
        statusInterval,
        statusVersion: opts.statusVersion,
        authScript,
        hooks: opts.hooks,
        extraConfig: opts.extraConfig,
      }),
    );
    // TZ=UTC: the time text of status-version 1 and 2 is the server's local time.
    const command = [
      ...(opts.launcher ?? []).map((w, i) => (i === 0 ? bin(w) : w)),
      bin('openvpn'),
      '--config',
      config,
    ];
    const proc = opts.procs.spawn(
      `openvpn server (${opts.proto}, status-version ${opts.statusVersion})`,
      command[0] as string,
      command.slice(1),
      {
        cwd: opts.dir,
        env: { ...process.env, TZ: 'UTC' },
        logFile: join(opts.dir, 'server.log'),
      },
    );
    await opts.procs.waitOutput(proc, /Initialization Sequence Completed/, CONNECT_TIMEOUT_MS);
    const watcher = new StatusWatcher(statusFile, opts.statusVersion);
    watcher.start();
    const server = new Server(opts, proc, port, subnet, dev, statusFile, statusInterval, watcher);
    await watcher.waitFor('the first update', () => true, 10_000);
    return server;
  }

  /** Starts a client process; by default resolves once it is connected. */
  async connect(o: ClientOptions): Promise<Client> {
    const keys = this.opts.pki.clients.get(o.commonName);
    if (keys === undefined) throw new Error(`no certificate for common name ${o.commonName}`);
    this.clientCount += 1;
    const n = this.clientCount;
    const name = o.name ?? `${o.commonName}#${n}`;
    const lines = [
      'client',
      // No tun device: packets for the client are discarded (see the header).
      'dev null',
      `proto ${this.proto === 'udp' ? 'udp4' : 'tcp4-client'}`,
      `remote 127.0.0.1 ${this.port}`,
      'nobind',
      `ca ${this.opts.pki.ca}`,
      `cert ${keys.cert}`,
      `key ${keys.key}`,
      `tls-crypt ${this.opts.pki.tlsCrypt}`,
      'remote-cert-tls server',
      // Leave the host alone: no addresses, no routes.
      'ifconfig-noexec',
      'route-nopull',
      'connect-retry 1',
      'verb 3',
    ];
    if (this.proto === 'udp') lines.push('explicit-exit-notify 1');
    if (o.username !== undefined) {
      const pass = join(this.opts.dir, `client-${n}.pass`);
      await writeFile(pass, `${o.username}\n${o.password ?? `pw-${o.username}`}\n`, { mode: 0o600 });
      lines.push(`auth-user-pass ${pass}`);
    }
    const config = join(this.opts.dir, `client-${n}.conf`);
    await writeFile(config, `${lines.join('\n')}\n`);
    const spawnedAt = Date.now();
    const proc = this.opts.procs.spawn(`openvpn client ${name}`, bin('openvpn'), ['--config', config], {
      cwd: this.opts.dir,
      logFile: join(this.opts.dir, `client-${n}.log`),
    });
    const procs = this.opts.procs;
    const client: Client = {
      name,
      commonName: o.commonName,
      username: o.username ?? null,
      proc,
      spawnedAt,
      connectedAt: NaN,
      realPort: NaN,
      virtualAddress: '',
      virtualIpv6: null,
      stoppedAt: null,
      exit: null,
      async disconnect() {
        if (client.stoppedAt === null) client.stoppedAt = Date.now();
        client.exit = await procs.stop(proc, 'SIGTERM');
        return client.exit;
      },
    };
    this.clients.push(client);
    if (o.waitConnected === false) return client;
    await procs.waitOutput(proc, /Initialization Sequence Completed/, CONNECT_TIMEOUT_MS);
    client.connectedAt = Date.now();
    const push = /PUSH_REPLY,([^']*)'/.exec(proc.output())?.[1] ?? '';
    const v4 = /(?:^|,)ifconfig (\d+\.\d+\.\d+\.\d+) /.exec(push)?.[1];
    if (v4 === undefined) throw new Error(`${name}: no ifconfig in its PUSH_REPLY\n${proc.tail()}`);
    client.virtualAddress = v4;
    client.virtualIpv6 = /(?:^|,)ifconfig-ipv6 ([0-9a-f:]+)\//.exec(push)?.[1] ?? null;
    client.realPort = await waitFor(`${name}'s socket (ss)`, () => localPortOf(proc.pid, this.proto) ?? undefined, {
      timeoutMs: 5_000,
    });
    return client;
  }

  /** Clients started and not yet told to disconnect. */
  connected(): Client[] {
    return this.clients.filter((c) => c.stoppedAt === null && c.exit === null);
  }

  /** Waits until the status file lists exactly `clients` (by common name and real port) with their tunnel addresses. */
  async waitListed(clients: Client[], timeoutMs = 20_000): Promise<StatusView> {
    const want = clients.map((c) => `${c.commonName}|${c.realPort}|${c.virtualAddress}`).sort();
    return this.watcher.waitFor(
      `exactly ${JSON.stringify(want)}`,
      (v) =>
        JSON.stringify(v.clients.map((c) => `${c.commonName}|${c.realPort}|${c.virtualAddress ?? ''}`).sort()) ===
        JSON.stringify(want),
      timeoutMs,
    );
  }

  /**
   * Sends `bytes` of UDP datagrams from this host to a client's tunnel address: they go
   * into the server's tun device and OpenVPN sends them to that client (its Bytes Sent grows).
   */
  async sendTraffic(client: Client, bytes: number): Promise<void> {
    const sock = createSocket('udp4');
    const payload = Buffer.alloc(1000, 0x5a);
    try {
      for (let sent = 0; sent < bytes; sent += payload.length) {
        await new Promise<void>((resolve, reject) =>
          sock.send(payload, 9, client.virtualAddress, (e) => (e ? reject(e) : resolve())),
        );
        await sleep(1);
      }
    } finally {
      sock.close();
    }
  }

  /** SIGTERM (or another signal) to the server; resolves once it exited. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<ProcExit> {
    const exit = await this.opts.procs.stop(this.proc, signal);
    this.watcher.stop();
    return exit;
  }

  /** Ends the server and every client it started (cleanup: SIGTERM, SIGKILL after 5 s). */
  async shutdown(): Promise<void> {
    this.watcher.stop();
    const procs = this.opts.procs;
    await Promise.all([
      ...this.clients.map((c) => procs.stop(c.proc, 'SIGTERM', 5_000)),
      procs.stop(this.proc, 'SIGTERM', 5_000),
    ]);
  }

  /**
   * When OpenVPN itself says it closed a client's instance, in whole seconds (its log's
   * timestamp, UTC: the server runs with TZ=UTC), or null before that. Over TCP the line is
   * "SIGUSR1[soft,connection-reset] received, client-instance restarting" the moment the
   * client closes its connection; over UDP with explicit-exit-notify it is
   * "SIGTERM[soft,delayed-exit] received, client-instance exiting", UDP_EXIT_HOLD_S later.
   * OpenVPN runs client-disconnect right there.
   */
  closeLoggedAt(client: Client): number | null {
    const who = `${client.commonName}/127.0.0.1:${client.realPort}`.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    const m = new RegExp(
      `^(\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d) ${who} SIG\\w+\\[soft,[\\w-]+\\] received, client-instance (?:exiting|restarting)$`,
      'm',
    ).exec(this.proc.output());
    return m ? utcSeconds(m[1] as string) : null;
  }

  /** Every log of this server and its clients, for a failing assertion. */
  logs(lines = 15): string {
    return [this.proc.tail(lines), ...this.clients.map((c) => c.proc.tail(lines))].join('\n');
  }
}
