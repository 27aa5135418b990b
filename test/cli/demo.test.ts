/**
 * `demo` as a user starts it: the compiled CLI generates sample data into a temp folder,
 * builds the site, serves it, and cleans up on Ctrl-C (SIGINT).
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { describe, test } from 'node:test';
import { freePort, startDemo, stopDemo, type Demo } from '../helpers/demo.js';

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
