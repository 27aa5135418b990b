/** The demo's static server (src/server/static.ts), in-process on port 0, over real HTTP. */
import assert from 'node:assert/strict';
import { request, type IncomingHttpHeaders, type Server } from 'node:http';
import { mkdir, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { SECURITY_HEADERS, serveStatic } from '../../src/server/static.js';
import { tempDir } from '../helpers/tmp.js';

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

const SECRET = 'TOP-SECRET-OUTSIDE-THE-ROOT';

describe('serveStatic', () => {
  let dir: string;
  let root: string;
  let server: Server;
  const replies: Reply[] = [];

  /** A raw request: the path is sent exactly as given (no client-side normalisation). */
  const send = (method: string, path: string): Promise<Reply> =>
    new Promise((resolve, reject) => {
      const { port } = server.address() as AddressInfo;
      const req = request({ host: '127.0.0.1', port, method, path }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const reply = { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) };
          replies.push(reply);
          resolve(reply);
        });
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end();
    });
  const get = (path: string) => send('GET', path);

  before(async () => {
    dir = await tempDir('ovsw-static-');
    root = join(dir, 'site');
    await mkdir(join(root, 'u', 'alice'), { recursive: true });
    await mkdir(join(root, 'assets'));
    await mkdir(join(root, 'empty'));
    await writeFile(join(root, 'index.html'), '<!doctype html><title>home</title>');
    await writeFile(join(root, 'u', 'alice', 'index.html'), '<!doctype html><title>alice</title>');
    for (const ext of ['html', 'css', 'js', 'json', 'svg', 'xlsx', 'csv', 'bin'])
      await writeFile(join(root, 'assets', `f.${ext}`), `content of ${ext}`);
    await mkdir(join(root, 'exports', 'reports'), { recursive: true });
    await writeFile(join(root, 'exports', 'SHA256SUMS'), 'sums');
    await writeFile(join(root, 'exports', 'reports', 'SHA256SUMS_2026-03'), 'sums');
    await writeFile(join(dir, 'secret.txt'), SECRET);
    await writeFile(join(dir, 'passwd'), SECRET);
    server = await serveStatic(root, '127.0.0.1', 0);
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  test('a folder with a slash serves its index.html', async () => {
    const home = await get('/');
    assert.equal(home.status, 200);
    assert.equal(home.headers['content-type'], 'text/html; charset=utf-8');
    assert.equal(home.headers['cache-control'], 'no-cache');
    assert.equal(home.body.toString(), '<!doctype html><title>home</title>');
    const alice = await get('/u/alice/');
    assert.equal(alice.status, 200);
    assert.equal(alice.body.toString(), '<!doctype html><title>alice</title>');
    const query = await get('/u/alice/?x=1#y');
    assert.equal(query.status, 200);
    assert.equal(query.body.toString(), '<!doctype html><title>alice</title>');
  });

  test('the SHA256SUMS files of the exports are text', async () => {
    for (const path of ['/exports/SHA256SUMS', '/exports/reports/SHA256SUMS_2026-03']) {
      const r = await get(path);
      assert.equal(r.status, 200, path);
      assert.equal(r.headers['content-type'], 'text/plain; charset=utf-8', path);
      assert.equal(r.body.toString(), 'sums');
    }
  });

  test('a folder without the slash is a 301 to the slashed URL', async () => {
    const r = await get('/u/alice');
    assert.equal(r.status, 301);
    assert.equal(r.headers.location, '/u/alice/');
  });

  test('a folder without index.html, a missing file: 404', async () => {
    assert.equal((await get('/empty/')).status, 404);
    assert.equal((await get('/nope')).status, 404);
    assert.equal((await get('/u/bob/')).status, 404);
  });

  test('a file addressed as a folder is a 404, not a server error', async () => {
    for (const path of ['/assets/f.html/', '/index.html/x', '/u/alice/index.html/']) {
      const r = await get(path);
      assert.equal(r.status, 404, `${path}: ${r.status} ${r.body.toString().trim()}`);
    }
  });

  test('each file type gets its Content-Type', async () => {
    const types: Record<string, string> = {
      html: 'text/html; charset=utf-8',
      css: 'text/css; charset=utf-8',
      js: 'text/javascript; charset=utf-8',
      json: 'application/json; charset=utf-8',
      svg: 'image/svg+xml',
      xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
      csv: 'text/csv; charset=utf-8',
      bin: 'application/octet-stream',
    };
    for (const [ext, type] of Object.entries(types)) {
      const r = await get(`/assets/f.${ext}`);
      assert.equal(r.status, 200, ext);
      assert.equal(r.headers['content-type'], type, ext);
      assert.equal(r.body.toString(), `content of ${ext}`);
      assert.equal(r.headers['content-length'], String(`content of ${ext}`.length));
      assert.equal(r.headers['cache-control'], ext === 'html' ? 'no-cache' : 'max-age=60');
    }
  });

  test('nothing outside the root: dot-dot in every spelling is a 404', async () => {
    for (const path of [
      '/../etc/passwd',
      '/../secret.txt',
      '/../../../../../../etc/passwd',
      '/%2e%2e/secret.txt',
      '/%2e%2e%2fsecret.txt',
      '/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd',
      '/u/alice/..%2f..%2f..%2fsecret.txt',
      '/u/%2e%2e/%2e%2e/%2e%2e/passwd',
      '/..%5csecret.txt',
    ]) {
      const r = await get(path);
      assert.ok(r.status === 404 || r.status === 400, `${path}: ${r.status}`);
      assert.ok(!r.body.toString().includes(SECRET), `${path} leaked the file`);
    }
    // A bare (encoded) ".." is resolved by the URL rules, as a browser does: the root itself.
    const up = await get('/%2e%2e');
    assert.equal(up.body.toString(), '<!doctype html><title>home</title>');
  });

  test('an encoded NUL is a 404, not a server error', async () => {
    for (const path of ['/%00', '/index.html%00', '/index.html%00.css', '/u/alice%00/']) {
      const r = await get(path);
      assert.equal(r.status, 404, `${path}: ${r.status} ${r.body.toString().trim()}`);
    }
  });

  test('a malformed escape is a 400', async () => {
    const r = await get('/%E0%A4%A');
    assert.equal(r.status, 400);
  });

  test('HEAD: the headers of GET, no body', async () => {
    const r = await send('HEAD', '/assets/f.css');
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'text/css; charset=utf-8');
    assert.equal(r.headers['content-length'], String('content of css'.length));
    assert.equal(r.body.length, 0);
    assert.equal((await send('HEAD', '/nope')).status, 404);
  });

  test('other methods: 405', async () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
      const r = await send(method, '/');
      assert.equal(r.status, 405, method);
    }
  });

  test('every response carried the security headers (runs last)', () => {
    assert.ok(replies.length > 30, `${replies.length} replies`);
    const statuses = new Set(replies.map((r) => r.status));
    for (const s of [200, 301, 400, 404, 405]) assert.ok(statuses.has(s), `a ${s} was among them`);
    for (const r of replies) {
      for (const [name, value] of Object.entries(SECURITY_HEADERS)) {
        assert.equal(r.headers[name.toLowerCase()], value, `${name} on a ${r.status}`);
      }
    }
    assert.match(SECURITY_HEADERS['Content-Security-Policy'] as string, /^default-src 'self'; img-src 'self' data:/);
  });
});
