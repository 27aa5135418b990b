/**
 * Debian's nginx with the shipped example configurations (scripts/nginx/), adapted to a
 * loopback port (helpers/nginx.ts), serving a site the CLI built from generated data, with
 * /api/ proxied to the real endpoint (`serve`). Every file of the site must answer 200 with
 * its own bytes, the right Content-Type and the security headers; `nginx -t` must pass on
 * every shipped config. Dotfiles are never served; /api/ is rate-limited.
 */
import assert from 'node:assert/strict';
import { chmod, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ensureBuilt } from '../helpers/build.js';
import { listFiles, type SyntheticSite } from '../helpers/site.js';
import { tempDir } from '../helpers/tmp.js';
import {
  SHIPPED_CONFIG,
  SHIPPED_DIR,
  startNginx,
  testShippedConfig,
  TEST_CREDENTIALS,
  type NginxSite,
} from './helpers/nginx.js';
import { leftovers, Procs } from './helpers/procs.js';
import { missing, systemGate, type Needs } from './helpers/requirements.js';
import { buildSite, startEndpoint, writeApiPasswd } from './helpers/sites.js';

const NEEDS: Needs = { bins: ['nginx', 'openssl', 'pgrep'] };
const AUDITORS_CONFIG = join(SHIPPED_DIR, 'openvpn-status-web-auditors.conf');

/** Content-Type per file extension. A file type the site gains must be added here. */
const TYPES: Record<string, RegExp> = {
  html: /^text\/html; charset=utf-8$/i,
  css: /^text\/css; charset=utf-8$/i,
  js: /^(application|text)\/javascript; charset=utf-8$/i,
  svg: /^image\/svg\+xml(; charset=utf-8)?$/i,
  json: /^application\/json; charset=utf-8$/i,
  csv: /^text\/csv; charset=utf-8$/i,
  xlsx: /^application\/vnd\.openxmlformats-officedocument\.spreadsheetml\.sheet$/i,
  txt: /^text\/plain; charset=utf-8$/i,
  ico: /^image\/(x-icon|vnd\.microsoft\.icon)$/i,
  png: /^image\/png$/i,
  woff2: /^font\/woff2$/i,
};

/**
 * One file of every type the shipped config has a location for, written beside the built
 * site: the exports (xlsx, csv, json) and standalone charts may not be in every build.
 */
const PROBES: Record<string, string | Buffer> = {
  'nginx-probe/openvpn-history_2026-03-17.xlsx': Buffer.from('PK\u0003\u0004 probe'),
  'nginx-probe/openvpn-history.xlsx': Buffer.from('PK\u0003\u0004 probe'),
  'nginx-probe/openvpn-history.csv': 'user,start\nalice,2026-03-18T14:00:00Z\n',
  'nginx-probe/sessions.json': '{"schemaVersion":1}\n',
  'nginx-probe/chart.svg': '<svg xmlns="http://www.w3.org/2000/svg"/>\n',
  'nginx-probe/SHA256SUMS_2026-03': `# chain head ${'0'.repeat(64)} at 0 rows\n`,
};

const SAFE_REFERRER = ['no-referrer', 'same-origin', 'strict-origin', 'strict-origin-when-cross-origin'];

const procs = new Procs();
let root = '';
let site: SyntheticSite | null = null;
let apiPort = 0;

/** The URL path of a file in the output folder: folders for index.html, as the pages link them. */
function urlOf(rel: string): string {
  const path = rel.endsWith('index.html') ? rel.slice(0, -'index.html'.length) : rel;
  return `/${path.split('/').map(encodeURIComponent).join('/')}`;
}

function extOf(rel: string): string {
  const name = rel.slice(rel.lastIndexOf('/') + 1);
  // The exports' SHA256SUMS files have no extension and are text.
  if (/^SHA256SUMS(_\d{4}-\d{2})?$/.test(name)) return 'txt';
  return name.includes('.') ? name.slice(name.lastIndexOf('.') + 1).toLowerCase() : '';
}

/** The headers every answer of the site carries, error pages included. */
function checkSecurityHeaders(what: string, h: Headers, kind: 'page' | 'file'): void {
  const csp = h.get('content-security-policy');
  assert.ok(csp !== null && csp !== '', `${what}: Content-Security-Policy is set`);
  assert.doesNotMatch(csp, /'unsafe-eval'/, `${what}: CSP allows no eval`);
  if (kind === 'page') {
    assert.match(csp, /(^|;)\s*default-src 'self'/, `${what}: CSP default-src 'self' (${csp})`);
    assert.doesNotMatch(csp, /'unsafe-inline'/, `${what}: a page's CSP allows no inline script or style (${csp})`);
  } else {
    assert.match(csp, /(^|;)\s*default-src '(none|self)'/, `${what}: CSP default-src 'none' or 'self' (${csp})`);
    assert.doesNotMatch(csp, /script-src[^;]*'unsafe-inline'/, `${what}: CSP allows no inline script (${csp})`);
  }
  assert.equal(h.get('x-content-type-options'), 'nosniff', `${what}: X-Content-Type-Options`);
  const referrer = h.get('referrer-policy') ?? '';
  assert.ok(
    SAFE_REFERRER.includes(referrer),
    `${what}: Referrer-Policy "${referrer}" is one of ${SAFE_REFERRER.join(', ')}`,
  );
  const xfo = h.get('x-frame-options');
  assert.ok(
    (xfo !== null && /^(DENY|SAMEORIGIN)$/i.test(xfo)) || /frame-ancestors\s+('none'|'self')/.test(csp),
    `${what}: framing is refused (X-Frame-Options "${xfo}", CSP "${csp}")`,
  );
}

async function get(
  n: NginxSite,
  path: string,
  init: RequestInit = {},
  auth = true,
): Promise<{ res: Response; body: Buffer }> {
  const headers = new Headers(init.headers);
  if (auth && n.authorization) headers.set('Authorization', n.authorization);
  const res = await fetch(`${n.url}${path}`, { ...init, headers, redirect: 'manual' });
  return { res, body: Buffer.from(await res.arrayBuffer()) };
}

/** Every file below the served folder: 200, its own bytes, its Content-Type, the security headers. */
async function checkEveryFile(n: NginxSite, out: string): Promise<Map<string, number>> {
  const byType = new Map<string, number>();
  for (const rel of await listFiles(out)) {
    const ext = extOf(rel);
    const type = TYPES[ext];
    assert.ok(type !== undefined, `${rel}: no expected Content-Type for ".${ext}" files; add it to TYPES`);
    const path = urlOf(rel);
    const { res, body } = await get(n, path);
    assert.equal(res.status, 200, `GET ${path}: status`);
    assert.match(res.headers.get('content-type') ?? '', type, `GET ${path}: Content-Type`);
    assert.ok(body.equals(await readFile(join(out, rel))), `GET ${path}: the body is the file's bytes`);
    checkSecurityHeaders(`GET ${path}`, res.headers, ext === 'html' ? 'page' : 'file');
    byType.set(ext, (byType.get(ext) ?? 0) + 1);
  }
  return byType;
}

/**
 * Dotfiles and dot-folders in the served folder (a .git checkout, a state file copied there)
 * answer 404 or 403, with the security headers, whatever their extension; written here
 * and removed again, so the other checks see only the site.
 */
async function checkDotfiles(n: NginxSite, out: string): Promise<void> {
  const files = ['.state', '.git/config', 'nginx-probe/.hidden.json', 'assets/.secret.css', '.well-known-not/x.csv'];
  for (const rel of files) {
    await mkdir(join(out, rel, '..'), { recursive: true });
    await writeFile(join(out, rel), 'secret\n');
  }
  try {
    for (const rel of files) {
      const { res, body } = await get(n, `/${rel}`);
      assert.ok(res.status === 404 || res.status === 403, `GET /${rel}: ${res.status}, not served`);
      assert.doesNotMatch(body.toString(), /secret/, `GET /${rel}: not the file`);
      checkSecurityHeaders(`GET /${rel}`, res.headers, 'page');
    }
    for (const path of ['/%2egit/config', '/x/../.git/config']) {
      assert.ok([400, 403, 404].includes((await get(n, path)).res.status), `GET ${path}: not served`);
    }
    // Certificates and security.txt may live in /.well-known/: it is served as before.
    await mkdir(join(out, '.well-known'));
    await writeFile(join(out, '.well-known', 'probe.txt'), 'public\n');
    assert.equal((await get(n, '/.well-known/probe.txt')).res.status, 200, '/.well-known/ is served');
  } finally {
    for (const top of [
      '.state',
      '.git',
      'nginx-probe/.hidden.json',
      'assets/.secret.css',
      '.well-known-not',
      '.well-known',
    ])
      await rm(join(out, top), { recursive: true, force: true });
  }
}

/** The directives of the config's `location ^~ /api/ { … }` block. */
function apiLocation(config: string): string {
  const m = /location \^~ \/api\/ \{([^}]*)\}/.exec(config);
  assert.ok(m, 'the config has a location ^~ /api/ block');
  return (m[1] as string).replace(/#.*$/gm, '');
}

describe('real nginx with the shipped configuration', () => {
  before(async () => {
    if (missing(NEEDS).length > 0) return; // each test skips (or fails) with the reason
    ensureBuilt();
    root = await tempDir('ovsw-system-nginx-');
    // nginx's workers run as www-data: they must reach the site.
    await chmod(root, 0o755);
    site = await buildSite(join(root, 'data'));
    for (const [rel, content] of Object.entries(PROBES)) {
      await mkdir(join(site.paths.out, rel, '..'), { recursive: true });
      await writeFile(join(site.paths.out, rel), content);
    }
    // The endpoint with the same user and password as nginx, as the shipped config suggests.
    const passwd = await writeApiPasswd(join(root, 'api-passwd'), TEST_CREDENTIALS.user, TEST_CREDENTIALS.password);
    apiPort = (await startEndpoint(procs, site, { passwd, logFile: join(root, 'serve.log') })).port;
  });

  after(() => procs.stopAll());

  it('nginx -t passes on every shipped config', async (t) => {
    if (!systemGate(t, NEEDS)) return;
    const configs = (await readdir(SHIPPED_DIR)).filter((f) => f.endsWith('.conf')).sort();
    assert.ok(
      configs.includes('openvpn-status-web.conf'),
      `scripts/nginx/ holds the admins' config (${configs.join(', ')})`,
    );
    for (const name of configs) {
      const output = await testShippedConfig(join(root, `nginx-t-${name}`), join(SHIPPED_DIR, name));
      assert.match(output, /test is successful/, `nginx -t ${name}`);
      const warnings = output.split('\n').filter((l) => /\[(warn|emerg|alert|crit)\]/.test(l));
      if (warnings.length > 0) t.diagnostic(`${name}: ${warnings.join(' | ')}`);
    }
  });

  it("admins' site: every file answers 200 with its Content-Type and the security headers", {
    timeout: 120_000,
  }, async (t) => {
    if (!systemGate(t, NEEDS) || site === null) return;
    const n = await startNginx({
      root: site.paths.out,
      apiPort,
      dir: join(root, 'nginx-admins'),
      procs,
      config: SHIPPED_CONFIG,
    });
    t.after(() => n.stop());
    const byType = await checkEveryFile(n, site.paths.out);
    t.diagnostic(`files checked by type: ${JSON.stringify(Object.fromEntries(byType))}`);
    assert.ok(
      (byType.get('html') ?? 0) > 10 && byType.has('css') && byType.has('js'),
      'the built site has pages, CSS and the script',
    );

    // Caching as the config intends: pages revalidated, assets immutable, a past day's workbook an hour.
    assert.equal((await get(n, '/')).res.headers.get('cache-control'), 'no-cache', 'Cache-Control of a page');
    assert.match(
      (await get(n, '/assets/style.css')).res.headers.get('cache-control') ?? '',
      /immutable/,
      'Cache-Control of an asset',
    );
    assert.equal(
      (await get(n, '/nginx-probe/openvpn-history_2026-03-17.xlsx')).res.headers.get('cache-control'),
      'private, max-age=3600',
      "Cache-Control of a past day's workbook",
    );
    assert.equal(
      (await get(n, '/nginx-probe/openvpn-history.xlsx')).res.headers.get('cache-control'),
      'no-cache',
      'Cache-Control of another workbook',
    );

    // Errors carry the headers too ("always").
    const anonymous = await get(n, '/', {}, false);
    assert.equal(anonymous.res.status, 401, 'without credentials: 401');
    assert.match(
      anonymous.res.headers.get('www-authenticate') ?? '',
      /^Basic /,
      'without credentials: a Basic challenge',
    );
    checkSecurityHeaders('GET / without credentials', anonymous.res.headers, 'page');
    const wrong = await get(
      n,
      '/',
      { headers: { Authorization: `Basic ${Buffer.from('admin:wrong').toString('base64')}` } },
      false,
    );
    assert.equal(wrong.res.status, 401, 'a wrong password: 401');
    const missingPage = await get(n, '/no-such-page/');
    assert.equal(missingPage.res.status, 404, 'a page that does not exist: 404');
    checkSecurityHeaders('GET /no-such-page/', missingPage.res.headers, 'page');
    assert.doesNotMatch(missingPage.res.headers.get('server') ?? '', /\d/, 'server_tokens off: no nginx version');

    await checkDotfiles(n, site.paths.out);

    // The plain-HTTP server of the config sends everybody to HTTPS.
    const httpPort = n.ports.get(80);
    if (httpPort !== undefined) {
      const res = await fetch(`http://127.0.0.1:${httpPort}/u/alice/?x=1`, { redirect: 'manual' });
      await res.arrayBuffer();
      assert.equal(res.status, 301, 'port 80 redirects');
      assert.equal(res.headers.get('location'), 'https://127.0.0.1/u/alice/?x=1', 'to the same URL over HTTPS');
    }
  });

  it("admins' site: /api/ is proxied to the endpoint, which does its own authentication", {
    timeout: 60_000,
  }, async (t) => {
    if (!systemGate(t, NEEDS) || site === null) return;
    const n = await startNginx({ root: site.paths.out, apiPort, dir: join(root, 'nginx-api'), procs });
    t.after(() => n.stop());
    const health = await get(n, '/api/health', {}, false);
    assert.equal(health.res.status, 200, 'GET /api/health without nginx credentials (auth_basic off for /api/)');
    assert.deepEqual(JSON.parse(health.body.toString()), { ok: true }, 'the endpoint answered');
    checkSecurityHeaders('GET /api/health', health.res.headers, 'file');
    assert.equal(
      health.res.headers.get('content-security-policy')?.split(',').length,
      1,
      "one CSP, not the endpoint's and nginx's both",
    );

    const anonymous = await get(n, '/api/sessions/count', {}, false);
    assert.equal(anonymous.res.status, 401, 'the endpoint asks for its own credentials');
    const count = await get(n, '/api/sessions/count');
    assert.equal(count.res.status, 200, `the Authorization header reaches the endpoint (${count.body.toString()})`);
    // ^~ /api/: no regex location (.json, .csv) serves a file for an /api/ URL, even one that exists.
    const probe = join(site.paths.out, 'api', 'probe.json');
    await mkdir(join(probe, '..'));
    await writeFile(probe, '{"static":true}\n');
    try {
      const r = await get(n, '/api/probe.json');
      assert.equal(
        r.res.status,
        404,
        `/api/probe.json goes to the endpoint, which knows no such route (${r.body.toString()})`,
      );
      assert.doesNotMatch(r.body.toString(), /"static"/, 'not the file of the same name');
    } finally {
      await rm(join(site.paths.out, 'api'), { recursive: true });
    }

    // Parallel password guesses: the endpoint checks a few, the rest are refused (429) by
    // the endpoint's slowdown or nginx's limit_req/limit_conn, never all answered 401.
    assert.match(apiLocation(await readFile(SHIPPED_CONFIG, 'utf8')), /^\s*limit_req zone=\S+/m, '/api/ has limit_req');
    assert.match(
      apiLocation(await readFile(SHIPPED_CONFIG, 'utf8')),
      /^\s*limit_conn \S+ \d+;/m,
      '/api/ has limit_conn',
    );
    const wrong = { Authorization: `Basic ${Buffer.from('admin:guess').toString('base64')}` };
    const guesses = await Promise.all(
      Array.from({ length: 100 }, () => get(n, '/api/sessions/count', { headers: wrong }, false)),
    );
    const statuses = guesses.map((g) => g.res.status);
    assert.deepEqual(
      [...new Set(statuses)].sort(),
      [401, 429],
      `100 parallel guesses: 401 or 429 (${statuses.join(',')})`,
    );
    assert.ok(
      statuses.filter((x) => x === 401).length <= 10,
      `at most a few guesses checked: ${statuses.filter((x) => x === 401).length} × 401`,
    );
    // api/health needs no login: a 429 there can only be nginx's limit.
    const burst = await Promise.all(Array.from({ length: 100 }, () => get(n, '/api/health', {}, false)));
    const limited = burst.filter((b) => b.res.status === 429).length;
    assert.ok(limited >= 30, `nginx limits a burst of 100 api/health requests: ${limited} × 429`);
    checkSecurityHeaders('a 429 from nginx', burst.find((b) => b.res.status === 429)!.res.headers, 'page');
  });

  it("auditors' site: every file with its headers, no /api/, read-only", { timeout: 120_000 }, async (t) => {
    if (!systemGate(t, NEEDS) || site === null) return;
    const n = await startNginx({
      root: site.paths.out,
      apiPort,
      dir: join(root, 'nginx-auditors'),
      procs,
      config: AUDITORS_CONFIG,
    });
    t.after(() => n.stop());
    const byType = await checkEveryFile(n, site.paths.out);
    t.diagnostic(`files checked by type: ${JSON.stringify(Object.fromEntries(byType))}`);
    const api = await get(n, '/api/health');
    assert.equal(api.res.status, 404, "no endpoint behind the auditors' site");
    checkSecurityHeaders('GET /api/health (auditors)', api.res.headers, 'page');
    const post = await get(n, '/', { method: 'POST', body: '{}' });
    assert.equal(post.res.status, 405, 'POST is refused');
    const del = await get(n, '/index.html', { method: 'DELETE' });
    assert.equal(del.res.status, 405, 'DELETE is refused');
    await checkDotfiles(n, site.paths.out);
  });

  it('leaves no nginx process behind', async (t) => {
    if (!systemGate(t, NEEDS)) return;
    await procs.stopAll();
    assert.deepEqual(
      procs.all.filter((p) => p.exit === null).map((p) => `${p.pid} ${p.name}`),
      [],
      'every process the tests started has exited',
    );
    assert.deepEqual(await leftovers('nginx', root), [], `pgrep nginx: nothing started from ${root} still runs`);
  });
});
