/**
 * `serve`: the delete/restore endpoint (src/server/api.ts), meant to sit behind nginx at
 * /api/. It refuses to start without a password file: an endpoint that deletes history
 * must never be open by accident.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { UsageError } from '../core/errors.js';
import { isOrigin } from '../core/settings.js';
import { safeLogger } from '../core/log-safe.js';
import { isoFromMs } from '../core/time.js';
import { passwdOpenMode, readPasswd } from '../io/passwd.js';
import { apiHandler, isLoopbackHost, listenHosts, loopbackOrPublicHost, serveApi } from './api.js';
import type { Command } from '../app/command.js';
import { historyOps } from '../app/history-edit.js';

export const DEFAULT_LISTEN = '127.0.0.1:8051';

export function parseListen(text: string, command: string): { host: string; port: number } {
  const m = /^(.+):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535) throw new UsageError(`${command}: --listen must be HOST:PORT, not "${text}"`);
  return { host: (m[1] as string).replace(/^\[|\]$/g, ''), port };
}

const NO_PASSWD = (why: string): UsageError =>
  new UsageError(
    `serve: ${why}. The endpoint never runs without authentication: create a password file with ` +
      `"openvpn-status-web passwd FILE USER" and pass it with --passwd FILE (or "passwd" in the config file)`,
  );

export const serveCommand: Command = {
  name: 'serve',
  help: `Usage: openvpn-status-web serve --passwd FILE [--listen HOST:PORT] [--public-origin URL] [--history FILE] [--out DIR]

Runs the endpoint that deletes and restores history entries, for nginx to proxy at /api/
(see scripts/nginx/openvpn-status-web.conf). Listens on ${DEFAULT_LISTEN} by default.

  GET  /api/health            answers {"ok":true}; the pages show delete controls when it does
  GET  /api/sessions/count    how many entries a clear would delete
  GET  /api/trash?limit=N     the newest deleted entries
  POST /api/sessions/delete   {"ids": [...]}: only ended sessions (409 for live ones, 404 for unknown ids)
  POST /api/sessions/clear    {"confirm": "DELETE ALL", "expectedCount": N}
  POST /api/sessions/restore  {"ids": [...]}: back from the trash

Every request but health needs HTTP Basic authentication against --passwd (scrypt hashes;
"openvpn-status-web passwd FILE USER" adds a user); failed logins slow a client down. POSTs
must be JSON (Content-Type: application/json, at most 64 KB) and come from this host or
--public-origin (the URL the site is served from, e.g. https://vpn.example.org). Only
requests whose Host is a loopback name or the --public-origin's host are answered (421
otherwise), so that no other site can reach it through DNS rebinding. A change
takes the history lock, rewrites the CSV atomically, moves the rows to HISTORY.trash.jsonl,
appends a line to HISTORY.audit.jsonl and rebuilds the pages before it answers.

  --passwd FILE          the password file (config key "passwd"); required
  --listen HOST:PORT     where to listen (default ${DEFAULT_LISTEN})
  --public-origin URL    the site's origin (config key "publicOrigin"); needed behind nginx on a public name`,
  options: { listen: { type: 'string' }, passwd: { type: 'string' }, 'public-origin': { type: 'string' } },
  async run(ctx) {
    const { host, port } = parseListen((ctx.values.listen as string | undefined) ?? DEFAULT_LISTEN, 'serve');
    const passwd = (ctx.values.passwd as string | undefined) ?? ctx.settings.passwd;
    if (passwd === undefined) throw NO_PASSWD('no password file given');
    const users = await readPasswd(passwd);
    if (users === null) throw NO_PASSWD(`${passwd} does not exist`);
    if (users.size === 0) throw NO_PASSWD(`${passwd} has no users`);
    const publicOrigin = (ctx.values['public-origin'] as string | undefined) ?? ctx.settings.publicOrigin ?? null;
    if (publicOrigin !== null && !isOrigin(publicOrigin)) {
      throw new UsageError(
        `serve: --public-origin must be scheme, host and optional port, like https://vpn.example.org, not "${publicOrigin}"`,
      );
    }
    if (publicOrigin === null) {
      ctx.log.warn(
        'serve: no --public-origin: only requests for a loopback host (127.0.0.1, localhost, [::1]) are answered; behind nginx on a public name, set --public-origin (or "publicOrigin")',
      );
    }
    const mode = await passwdOpenMode(passwd);
    if (mode !== null)
      ctx.log.warn(
        `serve: ${passwd} is readable by group or others (mode ${mode.toString(8).padStart(4, '0')}); chmod 600 ${passwd}`,
      );
    // Every line the server logs may quote a client: one line each, control characters escaped.
    const log = safeLogger(ctx.log);
    // A pinned --now (tests, replays) stays pinned; otherwise every change is stamped when it happens.
    const pinned = ctx.values.now !== undefined;
    const ops = historyOps({ settings: ctx.settings, log, now: () => (pinned ? ctx.now : isoFromMs(Date.now())) });
    // Hosts answered: loopback and the public origin's; listening elsewhere, that address too (set once bound).
    const usual = loopbackOrPublicHost(publicOrigin);
    let own: string[] = [];
    const handler = apiHandler({
      ops,
      passwd,
      publicOrigin,
      warn: log.warn,
      hosts: (h) => usual(h) || own.includes(h.toLowerCase()),
    });
    let server: Server;
    try {
      server = await serveApi(handler, host, port);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
        throw new UsageError(
          `serve: cannot listen on ${host}:${port} (${code}); choose another with --listen HOST:PORT`,
        );
      }
      throw e;
    }
    const bound = (server.address() as AddressInfo).port;
    if (!isLoopbackHost(host)) own = listenHosts(host, bound);
    process.stdout.write(
      `API: http://${host.includes(':') ? `[${host}]` : host}:${bound}/api/  (${users.size} user(s); Ctrl-C stops)\n`,
    );
    await new Promise<void>((resolve) => {
      const stop = (): void => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    // Let a change in progress finish: close() waits for open requests; idle keep-alive connections are closed.
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    await closed;
    return 0;
  },
};
