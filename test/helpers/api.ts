/** The delete endpoint over real HTTP, for the server, page and concurrency tests. */
import { request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import type { Settings } from '../../src/core/settings.js';
import type { Logger } from '../../src/app/context.js';
import { historyOps, type HistoryOpsOptions } from '../../src/app/history-edit.js';
import { setPassword } from '../../src/io/passwd.js';
import { apiHandler, serveApi, type ApiOptions } from '../../src/server/api.js';
import { TZ, type SitePaths } from './site.js';

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: Record<string, unknown> | undefined;
}

export interface Req {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  /** Sent as is; an object is sent as JSON (the Content-Type is the caller's to set). */
  body?: string | Buffer | object;
  /** Send the body in chunks without a Content-Length. */
  chunked?: boolean;
}

/** One request on its own connection; the path is sent exactly as given. */
export function send(port: number, r: Req): Promise<Reply> {
  const body =
    r.body === undefined
      ? undefined
      : typeof r.body === 'string' || Buffer.isBuffer(r.body)
        ? Buffer.from(r.body)
        : Buffer.from(JSON.stringify(r.body));
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { Connection: 'close', ...(r.headers ?? {}) };
    if (body !== undefined && !r.chunked) headers['Content-Length'] = String(body.length);
    const req = request({ host: '127.0.0.1', port, method: r.method ?? 'GET', path: r.path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: Record<string, unknown> | undefined;
        try {
          json = JSON.parse(text) as Record<string, unknown>;
        } catch (e) {
          if (!(e instanceof SyntaxError)) throw e;
          json = undefined; // not JSON: the test looks at `text`
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    if (body !== undefined && r.chunked) {
      for (let at = 0; at < body.length; at += 8192) req.write(body.subarray(at, at + 8192));
    } else if (body !== undefined) req.write(body);
    req.end();
  });
}

export const basic = (user: string, password: string): string =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

export const USER = 'alice';
export const PASSWORD = 'Tr0ub4dor&3 ünïcode';
/** Cheap scrypt parameters for tests (the file format and the checks are the same). */
export const FAST_SCRYPT = { ln: 10, r: 8, p: 1 };

export async function writePasswd(dir: string): Promise<string> {
  const file = join(dir, 'passwd');
  await setPassword(file, USER, PASSWORD, FAST_SCRYPT);
  return file;
}

export function siteSettings(p: SitePaths, over: Partial<Settings> = {}): Settings {
  return {
    status: [{ instance: 'default', path: p.status }],
    history: p.history,
    aliases: p.aliases,
    out: p.out,
    tz: TZ,
    lang: 'de',
    staleAfter: 300,
    lockTimeout: 10,
    title: 'OpenVPN Web Status',
    ...over,
  };
}

/** A logger that keeps what it is told, for assertions and for failure messages. */
export function memoryLog(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return { lines, info: (m) => lines.push(m), detail: (m) => lines.push(m), warn: (m) => lines.push(`warning: ${m}`) };
}

export interface RunningApi {
  server: Server;
  port: number;
  /** http://127.0.0.1:PORT: what a browser on the site sends as Origin. */
  origin: string;
}

/** The endpoint on 127.0.0.1:0 over the given settings; closed when the test ends. */
export async function startApi(
  t: TestContext,
  o: {
    settings: Settings;
    log: Logger;
    passwd: string | null;
    publicOrigin?: string | null;
    ops?: Partial<HistoryOpsOptions>;
    api?: Partial<ApiOptions>;
  },
): Promise<RunningApi> {
  const ops = historyOps({ settings: o.settings, log: o.log, ...o.ops });
  const handler = apiHandler({
    ops,
    passwd: o.passwd,
    publicOrigin: o.publicOrigin ?? null,
    warn: o.log.warn,
    ...o.api,
  });
  const server = await serveApi(handler, '127.0.0.1', 0);
  t.after(async () => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  });
  const port = (server.address() as AddressInfo).port;
  return { server, port, origin: `http://127.0.0.1:${port}` };
}
