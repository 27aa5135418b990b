/**
 * A tiny static file server for `demo` (nginx serves the real thing). Sends the same
 * security headers as the shipped nginx example, so the demo runs under the strict CSP.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { basename, extname, join, normalize, resolve, sep } from 'node:path';
import { logSafe } from '../core/log-safe.js';
import { ifMissing } from '../io/fs-errors.js';

export const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.csv': 'text/csv; charset=utf-8',
  '.xlsx': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
};

/** The exports' SHA256SUMS files (no extension) are text, as the nginx example serves them. */
const SUMS_FILE = /^SHA256SUMS(_\d{4}-\d{2})?$/;

function contentTypeOf(file: string): string {
  if (SUMS_FILE.test(basename(file))) return CONTENT_TYPES['.txt'] as string;
  return CONTENT_TYPES[extname(file)] ?? 'application/octet-stream';
}

export const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy':
    "default-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};

/** Serves `root`; resolves with the listening server. */
export function serveStatic(root: string, host: string, port: number): Promise<Server> {
  const base = resolve(root);
  const server = createServer((req, res) => {
    const send = (code: number, text: string): void => {
      res.writeHead(code, { 'Content-Type': 'text/plain; charset=utf-8', ...SECURITY_HEADERS });
      res.end(text);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'method not allowed\n');
    let path: string;
    try {
      path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    } catch (e) {
      if (e instanceof URIError || e instanceof TypeError) return send(400, 'bad request\n');
      throw e;
    }
    if (path.includes('\0')) return send(404, 'not found\n');
    const file = normalize(join(base, path));
    if (file !== base && !file.startsWith(base + sep)) return send(404, 'not found\n');
    // A file addressed as a folder (ENOTDIR) is as absent as a missing one.
    const statOrNull = (p: string) =>
      stat(p).catch((e: NodeJS.ErrnoException) => {
        if (e.code === 'ENOTDIR') return null;
        return ifMissing(null)(e);
      });
    void (async () => {
      let target = file;
      let st = await statOrNull(target);
      if (st?.isDirectory()) {
        if (!path.endsWith('/')) {
          res.writeHead(301, { Location: `${encodeURI(path)}/`, ...SECURITY_HEADERS });
          res.end();
          return;
        }
        target = join(target, 'index.html');
        st = await statOrNull(target);
      }
      if (!st?.isFile()) return send(404, 'not found\n');
      res.writeHead(200, {
        'Content-Type': contentTypeOf(target),
        'Content-Length': st.size,
        'Cache-Control': extname(target) === '.html' ? 'no-cache' : 'max-age=60',
        ...SECURITY_HEADERS,
      });
      if (req.method === 'HEAD') {
        res.end();
        return;
      }
      createReadStream(target).pipe(res);
    })().catch((e: unknown) => {
      process.stderr.write(`openvpn-status-web: static server: ${logSafe((e as Error).stack ?? String(e))}\n`);
      if (!res.headersSent) send(500, 'internal error\n');
      else res.destroy();
    });
  });
  return new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(port, host, () => {
      server.off('error', fail);
      ok(server);
    });
  });
}
