/**
 * `demo`: a full dashboard from generated sample data — about 60 days of history for 30
 * users with aliases, and a live status file with six connected clients that keeps
 * changing — built into a temp folder and served at http://127.0.0.1:8050.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from '../app/command.js';
import type { Logger } from '../app/context.js';
import { demoSettings, type Live, TICK_MS, tick, writeDemoData } from '../app/demo.js';
import { historyOps } from '../app/history-edit.js';
import { run } from '../app/run.js';
import { UsageError } from '../core/errors.js';
import { safeLogger } from '../core/log-safe.js';
import type { Settings } from '../core/settings.js';
import { apiHandler, isLoopbackHost, listenHosts, mountApi } from './api.js';
import { serveStatic } from './static.js';

function parseListen(text: string): { host: string; port: number } {
  const m = /^(.+):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535) throw new UsageError(`demo: --listen must be HOST:PORT, not "${text}"`);
  return { host: (m[1] as string).replace(/^\[|\]$/g, ''), port };
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
    const live: Live = {
      settings,
      log: ctx.log,
      now: ctx.now,
      clients: await writeDemoData(settings, ctx.now),
      tick: 0,
      busy: false,
    };
    ctx.log.info(`demo: data in ${dir}`);
    const first = await run(settings, live.now, ctx.log, { keepChartLoaded: true });
    if (first.ok) ctx.log.info(`demo: ${first.value.built.pagesRendered} pages rendered in ${first.value.built.ms} ms`);
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
    mountApi(
      server,
      apiHandler({
        ops: historyOps({ settings, log }),
        passwd: null,
        publicOrigin: null,
        warn: log.warn,
        hosts: listenHosts(host, bound),
      }),
    );
  } else ctxLog.info(`demo: no delete endpoint on ${host} (only on a loopback address, as it runs without a password)`);
  process.stdout.write(`Dashboard: http://${host.includes(':') ? `[${host}]` : host}:${bound}/  (Ctrl-C stops)\n`);
  return server;
}
