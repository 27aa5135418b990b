/**
 * `demo`: a full dashboard from generated sample data — about 60 days of history for 30
 * users with aliases, and a live status file with six connected clients that keeps
 * changing — built into a temp folder and served at http://127.0.0.1:8050.
 */
import { mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StatusClient } from '../core/parse-status.js';
import { UsageError } from '../core/errors.js';
import { safeLogger } from '../core/log-safe.js';
import type { Settings } from '../core/settings.js';
import { isoFromMs, msFromIso } from '../core/time.js';
import { advanceClients, syntheticClients, syntheticSessions, syntheticState, syntheticStatusV3 } from '../demo/synthetic.js';
import { writeFileAtomic } from '../io/atomic-write.js';
import { historyPaths, rewriteHistory, writeState } from '../io/history-store.js';
import { apiHandler, isLoopbackHost, listenHosts, mountApi } from '../server/api.js';
import { serveStatic } from '../server/static.js';
import type { Command } from '../app/command.js';
import type { Logger } from '../app/context.js';
import { historyOps } from '../app/history-edit.js';
import { runOnce } from '../app/run.js';

const SEED = 8050;
const USERS = 30;
const LIVE = 6;
/** A status update every 10 s, like `status FILE 10`. */
const TICK_MS = 10_000;

const ALIASES = [
  'Handy Flex', 'Laptop Mint Flex', 'Büro Köln', 'Außendienst Süd', 'Home-Office Jana', 'Tablet Lager',
  'Kasse 1', 'Kasse 2', 'Werkstatt', 'Vertrieb Nord', 'Geschäftsführung', 'Buchhaltung', 'IT-Notfallzugang',
  'Praktikant', 'Messe-Laptop',
];

function parseListen(text: string): { host: string; port: number } {
  const m = /^(.+):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535) throw new UsageError(`demo: --listen must be HOST:PORT, not "${text}"`);
  return { host: (m[1] as string).replace(/^\[|\]$/g, ''), port };
}

async function writeStatus(path: string, clients: StatusClient[], updatedAt: string): Promise<void> {
  await writeFileAtomic(path, syntheticStatusV3({ clients, updatedAt, seed: SEED }));
  // The reader trusts a file only once its mtime is a moment old.
  const past = new Date(msFromIso(updatedAt) - 1000);
  await utimes(path, past, past);
}

export const demoCommand: Command = {
  name: 'demo',
  help: `Usage: openvpn-status-web demo [--listen HOST:PORT] [--lang de|en] [--tz ZONE] [--keep]

Generates about 60 days of history for 30 users (with aliases and traffic) and a live
OpenVPN 2.6 status file with six clients, runs "run" on them into a temp folder and serves
the result at http://127.0.0.1:8050 (--listen to change). Every 10 seconds the status file
moves on (traffic grows, now and then a client reconnects) and the site is rebuilt, so the
live table, the chart and auto-reload can be watched. On a loopback address it also runs
the delete endpoint at /api/ (without a password), so the history shows delete controls.
Ctrl-C stops it and removes the temp folder (--keep leaves it).`,
  options: { listen: { type: 'string' }, keep: { type: 'boolean' } },
  async run(ctx) {
    const { host, port } = parseListen((ctx.values.listen as string | undefined) ?? '127.0.0.1:8050');
    const dir = await mkdtemp(join(tmpdir(), 'openvpn-status-web-demo-'));
    const settings = demoSettings(ctx.settings, dir);
    const live: Live = { settings, log: ctx.log, now: ctx.now, clients: await writeDemoData(settings, ctx.now), tick: 0, busy: false };
    ctx.log.info(`demo: data in ${dir}`);
    const first = await runOnce(settings, live.now, ctx.log, { keepChartLoaded: true });
    if (first) ctx.log.info(`demo: ${first.built.pagesRendered} pages rendered in ${first.built.ms} ms`);
    const server = await serveDemo(settings, ctx.log, dir, host, port);
    const timer = setInterval(() => tick(live), TICK_MS);

    await new Promise<void>((resolve) => {
      const stop = (): void => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    clearInterval(timer);
    // Let an update in progress finish before its folder goes away.
    while (live.busy) await new Promise((r) => setTimeout(r, 50));
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections(); // browsers keep connections alive; close would wait for them
    await closed;
    if (ctx.values.keep === true) process.stdout.write(`demo: kept ${dir}\n`);
    else await rm(dir, { recursive: true, force: true });
    return 0;
  },
};

/** The demo's files, all in `dir`, one status file. */
function demoSettings(base: Settings, dir: string): Settings {
  return {
    ...base,
    status: [{ instance: 'default', path: join(dir, 'openvpn-status.log') }],
    history: join(dir, 'openvpn-sessions.csv'),
    aliases: join(dir, 'openvpn-aliases.json'),
    out: join(dir, 'site'),
  };
}

/** Writes the aliases, the history, the collector's state and the status file; returns the live clients. */
async function writeDemoData(settings: Settings, now: string): Promise<StatusClient[]> {
  // History up to ten minutes ago; the live clients are users 0…5 of the same population.
  const history = syntheticSessions({ count: USERS * 60 * 2, users: USERS, endAt: isoFromMs(msFromIso(now) - 600_000), spanDays: 60, seed: SEED });
  const clients = syntheticClients({ count: LIVE, updatedAt: now, seed: SEED });
  const users = [...new Set([...clients.map((c) => c.username ?? c.commonName), ...history.map((s) => s.user)])];
  const aliases = Object.fromEntries(users.slice(0, ALIASES.length).map((u, i) => [u, ALIASES[i] as string]));
  await writeFile(settings.aliases, `${JSON.stringify(aliases, null, 2)}\n`);
  const paths = historyPaths(settings.history);
  const historyBytes = await rewriteHistory(paths.history, history);
  await writeState(paths.state, syntheticState({ clients, updatedAt: now, historyBytes, history, seed: SEED }));
  await writeStatus(statusPathOf(settings), clients, now);
  return clients;
}

const statusPathOf = (settings: Settings): string => settings.status[0]?.path as string;

/** Serves the site, with the delete endpoint on a loopback address; the folder is removed if it cannot listen. */
async function serveDemo(settings: Settings, ctxLog: Logger, dir: string, host: string, port: number): Promise<Server> {
  let server: Server;
  try {
    server = await serveStatic(settings.out, host, port);
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
      throw new UsageError(`demo: cannot listen on ${host}:${port} (${code}); choose another with --listen HOST:PORT`);
    }
    throw e;
  }
  // The delete endpoint at /api/, without a password: only where nobody but this machine can reach it.
  const bound = (server.address() as AddressInfo).port;
  if (isLoopbackHost(host)) {
    // Only the names it listens on: a page of another name resolving here (DNS rebinding) is refused.
    const log = safeLogger(ctxLog);
    mountApi(server, apiHandler({ ops: historyOps({ settings, log }), passwd: null, publicOrigin: null, warn: log.warn, hosts: listenHosts(host, bound) }));
  } else ctxLog.info(`demo: no delete endpoint on ${host} (only on a loopback address, as it runs without a password)`);
  process.stdout.write(`Dashboard: http://${host.includes(':') ? `[${host}]` : host}:${bound}/  (Ctrl-C stops)\n`);
  return server;
}

/** The live part of the demo: the clients as of `now`, moved on by each tick. */
interface Live {
  readonly settings: Settings;
  readonly log: Logger;
  now: string;
  clients: StatusClient[];
  tick: number;
  /** An update runs: the next tick skips, and stopping waits for it. */
  busy: boolean;
}

/** One status update and rebuild, unless the last one still runs. */
function tick(live: Live): void {
  if (live.busy) return;
  live.busy = true;
  void (async () => {
    const next = isoFromMs(Math.max(Date.now(), msFromIso(live.now) + 1000));
    live.tick++;
    live.clients = advanceClients(live.clients, { from: live.now, to: next, reconnect: live.tick % 6 === 0 ? 1 : 0, seed: SEED + live.tick });
    live.now = next;
    await writeStatus(statusPathOf(live.settings), live.clients, live.now);
    const outcome = await runOnce(live.settings, live.now, live.log, { keepChartLoaded: true });
    if (outcome) live.log.detail(`demo: tick ${live.tick}, ${outcome.built.pagesRendered} page(s) rendered`);
  })()
    .catch((e: unknown) => process.stderr.write(`openvpn-status-web: demo update failed: ${(e as Error).stack ?? String(e)}\n`))
    .finally(() => {
      live.busy = false;
    });
}
