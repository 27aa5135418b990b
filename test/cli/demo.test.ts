/**
 * `demo` as a user starts it: the compiled CLI generates sample data into a temp folder,
 * builds the site, serves it, and cleans up on Ctrl-C (SIGINT).
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { describe, test, type TestContext } from 'node:test';
import { CLI, ensureBuilt } from '../helpers/build.js';

interface Demo {
  child: ChildProcess;
  /** The URL of the "Dashboard: …" line. */
  url: string;
  /** The temp folder from the "demo: data in …" line. */
  dir: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output: () => string;
}

/** A port that was free a moment ago (20000–40000), held by nobody. */
async function freePort(): Promise<number> {
  for (;;) {
    const port = 20000 + Math.floor(Math.random() * 20000);
    const ok = await new Promise<boolean>((resolve) => {
      const s = createServer();
      s.once('error', () => resolve(false));
      s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
    });
    if (ok) return port;
  }
}

/** Starts `demo --listen LISTEN`; resolves once it printed its Dashboard line, or exited. */
function startDemo(t: TestContext, listen: string): Promise<Demo | { exit: number | null; output: string; dir: string | null }> {
  ensureBuilt();
  const child = spawn(process.execPath, [CLI, 'demo', '--listen', listen], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
    const dir = /demo: data in (\S+)/.exec(out)?.[1];
    if (dir?.includes('openvpn-status-web-demo-')) await rm(dir, { recursive: true, force: true });
  });
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  return new Promise((resolve) => {
    const check = (): void => {
      const url = /Dashboard: (http:\/\/\S+)/.exec(out)?.[1];
      const dir = /demo: data in (\S+)/.exec(out)?.[1];
      if (url && dir) resolve({ child, url, dir, exited, output: () => out });
    };
    child.stdout.on('data', (d: string) => {
      out += d;
      check();
    });
    child.stderr.on('data', (d: string) => {
      out += d;
      check();
    });
    void exited.then(({ code }) => resolve({ exit: code, output: out, dir: /demo: data in (\S+)/.exec(out)?.[1] ?? null }));
  });
}

async function stopDemo(demo: Demo): Promise<void> {
  demo.child.kill('SIGINT');
  const { code, signal } = await demo.exited;
  assert.equal(signal, null, demo.output());
  assert.equal(code, 0, demo.output());
  assert.equal(existsSync(demo.dir), false, `the temp folder ${demo.dir} is removed`);
}

describe('demo', { concurrency: true }, () => {
  test('serves the generated site on a free port with the security headers; Ctrl-C stops it and removes its temp folder', async (t) => {
    let demo: Demo | undefined;
    for (let attempt = 0; attempt < 4 && !demo; attempt++) {
      const started = await startDemo(t, `127.0.0.1:${await freePort()}`);
      if ('child' in started) demo = started;
      else assert.match(started.output, /EADDRINUSE/, `demo exited ${started.exit} before serving:\n${started.output}`);
    }
    assert.ok(demo, 'the demo started within four tries');
    assert.ok(existsSync(demo.dir), `${demo.dir} exists while the demo runs`);

    const home = await fetch(demo.url);
    assert.equal(home.status, 200);
    assert.equal(home.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.match(home.headers.get('content-security-policy') ?? '', /^default-src 'self'; img-src 'self' data:/);
    assert.equal(home.headers.get('x-content-type-options'), 'nosniff');
    const body = await home.text();
    assert.ok(body.includes('Aktive Verbindungen (LIVE)'), 'the German dashboard');
    assert.ok(body.includes('<svg'), 'with its chart');

    const css = await fetch(new URL('assets/style.css', demo.url));
    assert.equal(css.status, 200);
    assert.equal(css.headers.get('content-type'), 'text/css; charset=utf-8');
    await css.arrayBuffer();

    const missing = await fetch(new URL('nope', demo.url));
    assert.equal(missing.status, 404);
    assert.ok(missing.headers.get('content-security-policy'), 'a 404 carries the headers too');
    await missing.arrayBuffer();

    await stopDemo(demo);
  });

  test('--listen 127.0.0.1:0 announces the port it really listens on', async (t) => {
    const demo = await startDemo(t, '127.0.0.1:0');
    assert.ok('child' in demo, `the demo started:\n${'output' in demo ? String(demo.output) : ''}`);
    const port = Number(new URL(demo.url).port);
    try {
      assert.notEqual(port, 0, `announced ${demo.url}`);
      const home = await fetch(demo.url);
      assert.equal(home.status, 200);
      await home.arrayBuffer();
    } finally {
      await stopDemo(demo);
    }
  });

  test('a port in use: a one-line error (exit 2) and the temp folder is removed', async (t) => {
    const busy: Server = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    t.after(() => new Promise<void>((resolve) => busy.close(() => resolve())));
    const port = (busy.address() as { port: number }).port;
    const started = await startDemo(t, `127.0.0.1:${port}`);
    assert.ok(!('child' in started), 'the demo does not announce a dashboard on a port it could not get');
    assert.match(started.output, /EADDRINUSE|in use/);
    assert.ok(started.dir, 'it said where its data was');
    assert.equal(existsSync(started.dir), false, `the temp folder ${started.dir} is removed`);
    assert.equal(started.exit, 2, started.output);
  });
});
