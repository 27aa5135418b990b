/**
 * Debian's nginx serving a built site with the shipped example configuration
 * (scripts/nginx/*.conf), adapted to a loopback port: each `listen` moves to 127.0.0.1 on a
 * free port (IPv6 listens are dropped), `root` points at the site, `proxy_pass` at the
 * endpoint's port, the certificates and the htpasswd file are made up here. Everything else
 * (headers, locations, types) is the shipped text. nginx runs in the foreground as a child
 * process (not a daemon) with its own prefix folder, so nothing under /etc or /var is used.
 *
 * For the browser tests: `startNginx({ root, apiPort, dir, procs })` → `{ url, stop() }`.
 */
import { spawnSync } from 'node:child_process';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../../helpers/build.js';
import { freePort } from './openvpn.js';
import { selfSigned } from './pki.js';
import type { Proc, Procs } from './procs.js';
import { bin } from './requirements.js';
import { waitFor } from './wait.js';

export const SHIPPED_DIR = join(ROOT, 'scripts', 'nginx');
/** The admins' site: static files plus the endpoint at /api/. */
export const SHIPPED_CONFIG = join(SHIPPED_DIR, 'openvpn-status-web.conf');

export interface Adapt {
  /** Original port (443, 80) → loopback port. */
  ports: Map<number, number>;
  root: string;
  apiPort: number;
  /** htpasswd file for auth_basic_user_file; null drops HTTP authentication from the config. */
  htpasswd: string | null;
  /** Keep `ssl`/`http2` on the listens and use this certificate (for `nginx -t`); null: plain HTTP. */
  tls: { cert: string; key: string } | null;
}

/** The ports the config listens on, in order of appearance (443 before 80 means the main server first). */
export function listenPorts(config: string): number[] {
  const ports: number[] = [];
  for (const line of config.split('\n')) {
    const m = /^\s*listen\s+(\S+)[^;]*;/.exec(line);
    if (!m) continue;
    const port = Number(/(?:^|:)(\d+)$/.exec(m[1] as string)?.[1] ?? NaN);
    if (!Number.isInteger(port)) throw new Error(`nginx config: cannot read the port of "${line.trim()}"`);
    if (!ports.includes(port)) ports.push(port);
  }
  return ports;
}

/** The shipped text with only the machine-specific lines changed (see the header). */
export function adaptConfig(config: string, a: Adapt): string {
  const out: string[] = [];
  for (const line of config.split('\n')) {
    const indent = /^\s*/.exec(line)?.[0] ?? '';
    const code = line.trim();
    if (code.startsWith('#')) {
      out.push(line);
      continue;
    }
    const listen = /^listen\s+(\S+)((?:\s+[^;\s]+)*)\s*;$/.exec(code);
    const proxy = /^proxy_pass\s+http:\/\/127\.0\.0\.1:\d+(\S*);$/.exec(code);
    if (listen) {
      const m = listen;
      const addr = m[1] as string;
      if (addr.startsWith('[')) {
        out.push(`${indent}# (test) dropped: ${code}`);
        continue;
      }
      const port = Number(/(?:^|:)(\d+)$/.exec(addr)?.[1]);
      const mapped = a.ports.get(port);
      if (mapped === undefined) throw new Error(`nginx config: no test port for listen ${port}`);
      const params = a.tls ? (m[2] ?? '') : (m[2] ?? '').replace(/\s+(ssl|http2)\b/g, '');
      out.push(`${indent}listen 127.0.0.1:${mapped}${params};`);
    } else if (/^ssl_certificate(_key)?\s/.test(code)) {
      if (a.tls)
        out.push(
          `${indent}${code.startsWith('ssl_certificate_key') ? `ssl_certificate_key ${a.tls.key}` : `ssl_certificate ${a.tls.cert}`};`,
        );
      else out.push(`${indent}# (test) dropped: ${code}`);
    } else if (/^root\s/.test(code)) {
      out.push(`${indent}root ${a.root};`);
    } else if (proxy) {
      out.push(`${indent}proxy_pass http://127.0.0.1:${a.apiPort}${proxy[1] ?? ''};`);
    } else if (/^auth_basic_user_file\s/.test(code)) {
      out.push(a.htpasswd ? `${indent}auth_basic_user_file ${a.htpasswd};` : `${indent}# (test) dropped: ${code}`);
    } else if (/^auth_basic\s/.test(code) && a.htpasswd === null) {
      out.push(`${indent}# (test) dropped: ${code}`);
    } else out.push(line);
  }
  return out.join('\n');
}

/** The main nginx.conf around a site file: everything in `dir`, workers as www-data like Debian's. */
export function mainConfig(dir: string, siteFile: string): string {
  const asRoot = process.getuid?.() === 0;
  return [
    asRoot ? 'user www-data;' : '# not root: workers run as this user',
    'worker_processes 1;',
    'events { worker_connections 256; }',
    'http {',
    '    include /etc/nginx/mime.types;',
    '    default_type application/octet-stream;',
    '    sendfile on;',
    `    access_log ${join(dir, 'access.log')};`,
    ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((k) => `    ${k}_temp_path ${join(dir, 'tmp', k)};`),
    `    include ${siteFile};`,
    '}',
    '',
  ].join('\n');
}

/** `openssl passwd -6` (SHA-512 crypt, which nginx checks through libc's crypt). */
export function htpasswdLine(user: string, password: string): string {
  const r = spawnSync(bin('openssl'), ['passwd', '-6', '-stdin'], { input: `${password}\n`, encoding: 'utf8' });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`openssl passwd: exit ${r.status}: ${r.stderr}`);
  return `${user}:${r.stdout.trim()}\n`;
}

/**
 * Writes `site` (an adapted site config) into `dir` with a main config around it and runs
 * `nginx -t` on it. Returns nginx's output; throws when the test fails.
 */
export async function nginxTest(dir: string, site: string): Promise<string> {
  await mkdir(join(dir, 'tmp'), { recursive: true });
  const siteFile = join(dir, 'site-test.conf');
  await writeFile(siteFile, site);
  await writeFile(join(dir, 'nginx-test.conf'), mainConfig(dir, siteFile));
  const r = spawnSync(
    bin('nginx'),
    [
      '-t',
      '-p',
      `${dir}/`,
      '-c',
      join(dir, 'nginx-test.conf'),
      '-e',
      'stderr',
      '-g',
      `pid ${join(dir, 'nginx-test.pid')}; error_log stderr;`,
    ],
    {
      encoding: 'utf8',
    },
  );
  if (r.error) throw r.error;
  const output = `${r.stdout}${r.stderr}`;
  if (r.status !== 0) throw new Error(`nginx -t failed (exit ${r.status}):\n${output}\n--- config:\n${site}`);
  return output;
}

/** `nginx -t` on a shipped config, changed only where it must be (ports, certificates, root, files). */
export async function testShippedConfig(dir: string, config: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const text = await readFile(config, 'utf8');
  const ports = new Map<number, number>();
  for (const p of listenPorts(text)) ports.set(p, await freePort('tcp'));
  const htpasswd = join(dir, 'htpasswd');
  await writeFile(htpasswd, htpasswdLine('admin', 'admin'));
  const tls = selfSigned(dir, 'nginx-test');
  return nginxTest(dir, adaptConfig(text, { ports, root: dir, apiPort: 8051, htpasswd, tls }));
}

export interface NginxOptions {
  /** The folder served (the site built by the CLI). nginx's workers (www-data) must be able to read it. */
  root: string;
  /** Port of the endpoint on 127.0.0.1 that /api/ is proxied to. */
  apiPort: number;
  /** nginx's prefix: configs, pid, temp files, logs. */
  dir: string;
  procs: Procs;
  /** The site config (default: the shipped scripts/nginx/openvpn-status-web.conf). */
  config?: string;
  /** Keep the config's HTTP authentication with a made-up user (default true). */
  auth?: boolean;
  /** The user and password for auth (default admin / a fixed test password). */
  credentials?: { user: string; password: string };
}

export interface NginxSite {
  /** The main server, e.g. http://127.0.0.1:41234 (no trailing slash). */
  url: string;
  port: number;
  /** Every listen of the config: original port → loopback port (80 → the redirecting server). */
  ports: Map<number, number>;
  /** For `Authorization` (or a browser's httpCredentials); null when auth is off. */
  credentials: { user: string; password: string } | null;
  /** `Basic …` for the Authorization header; null when auth is off. */
  authorization: string | null;
  /** The adapted site config nginx runs. */
  config: string;
  proc: Proc;
  stop(): Promise<void>;
}

export const TEST_CREDENTIALS = { user: 'admin', password: 'nginx-test-pässword' };

/** Starts nginx (foreground, own prefix) on loopback ports; resolves once it answers. */
export async function startNginx(o: NginxOptions): Promise<NginxSite> {
  const config = o.config ?? SHIPPED_CONFIG;
  if (!existsSync(config)) throw new Error(`nginx config ${config} does not exist`);
  await mkdir(join(o.dir, 'tmp'), { recursive: true });
  // The workers run as www-data: the prefix must be reachable for them too (temp files).
  await chmod(o.dir, 0o755);
  const text = await readFile(config, 'utf8');
  const ports = new Map<number, number>();
  for (const p of listenPorts(text)) ports.set(p, await freePort('tcp'));
  const credentials = o.auth === false ? null : (o.credentials ?? TEST_CREDENTIALS);
  let htpasswd: string | null = null;
  if (credentials) {
    htpasswd = join(o.dir, 'htpasswd');
    await writeFile(htpasswd, htpasswdLine(credentials.user, credentials.password));
    await chmod(htpasswd, 0o644);
  }
  const site = adaptConfig(text, { ports, root: o.root, apiPort: o.apiPort, htpasswd, tls: null });
  // The main server: the one that listened with ssl (443), else the first listen.
  const tlsListen = /^\s*listen\s+(?:\S*:)?(\d+)\s[^;]*\bssl\b/m.exec(text);
  const mainPort = ports.get(tlsListen ? Number(tlsListen[1]) : (listenPorts(text)[0] ?? NaN));
  if (mainPort === undefined) throw new Error(`nginx config ${config}: no listen`);
  const siteFile = join(o.dir, 'site.conf');
  await writeFile(siteFile, site);
  const conf = join(o.dir, 'nginx.conf');
  await writeFile(conf, mainConfig(o.dir, siteFile));
  await nginxTest(o.dir, site);
  const proc = o.procs.spawn(
    'nginx',
    bin('nginx'),
    [
      '-p',
      `${o.dir}/`,
      '-c',
      conf,
      '-e',
      'stderr',
      '-g',
      `daemon off; pid ${join(o.dir, 'nginx.pid')}; error_log stderr warn;`,
    ],
    {
      cwd: o.dir,
      logFile: join(o.dir, 'nginx.log'),
    },
  );
  const url = `http://127.0.0.1:${mainPort}`;
  await waitFor(
    `nginx to answer on ${url}`,
    async () => {
      if (proc.exit) throw new Error(`nginx exited (${proc.exit.code ?? proc.exit.signal})\n${proc.tail()}`);
      try {
        await (await fetch(`${url}/`, { redirect: 'manual' })).arrayBuffer();
        return true;
      } catch (e) {
        if ((e as { cause?: { code?: string } }).cause?.code === 'ECONNREFUSED') return undefined; // not listening yet
        throw e;
      }
    },
    { timeoutMs: 15_000, intervalMs: 50, detail: () => proc.tail() },
  );
  return {
    url,
    port: mainPort,
    ports,
    credentials,
    authorization: credentials
      ? `Basic ${Buffer.from(`${credentials.user}:${credentials.password}`).toString('base64')}`
      : null,
    config: site,
    proc,
    stop: async () => {
      // SIGQUIT: nginx's graceful shutdown.
      await o.procs.stop(proc, 'SIGQUIT', 5_000);
    },
  };
}
