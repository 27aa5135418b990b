/**
 * `demo` mounts the delete endpoint at /api/ of its own server (on a loopback address, without
 * a password), so its pages show the delete controls. The compiled CLI, as a user starts it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { send } from '../helpers/api.js';
import { startDemo, stopDemo } from '../helpers/demo.js';

test('demo answers api/health and refuses cross-site and unknown deletes', { timeout: 180_000 }, async (t) => {
  const demo = await startDemo(t, '127.0.0.1:0');
  assert.ok('child' in demo, `demo exited before serving:\n${demo.output}`);
  const port = Number(new URL(demo.url).port);
  const health = await send(port, { path: '/api/health' });
  assert.equal(health.status, 200, health.text);
  assert.deepEqual(health.json, { ok: true });
  const page = await send(port, { path: '/' });
  assert.match(page.text, /data-delete-bar/, 'the dashboard carries the (hidden) delete controls');
  const origin = `http://127.0.0.1:${port}`;
  const post = (headers: Record<string, string>, ids: string[]) =>
    send(port, {
      method: 'POST',
      path: '/api/sessions/delete',
      headers: { 'Content-Type': 'application/json', ...headers },
      body: { ids },
    });
  assert.equal(
    (await post({ Origin: 'https://evil.example' }, ['abc'])).status,
    403,
    'no password, but still no cross-site requests',
  );
  const unknown = await post({ Origin: origin }, ['deadbeef0000']);
  assert.equal(unknown.status, 404, unknown.text);
  // DNS rebinding: a page of another name that resolves to 127.0.0.1 sends its own Host and Origin.
  const evil = `rebind.attacker.example:${port}`;
  assert.equal(
    (await send(port, { path: '/api/sessions/count', headers: { Host: evil } })).status,
    421,
    'a forged Host is refused',
  );
  const clear = await send(port, {
    method: 'POST',
    path: '/api/sessions/clear',
    headers: { 'Content-Type': 'application/json', Host: evil, Origin: `http://${evil}` },
    body: { confirm: 'DELETE ALL', expectedCount: 0 },
  });
  assert.equal(clear.status, 421, clear.text);
  assert.equal(
    (await send(port, { path: '/api/health', headers: { Host: `localhost:${port}` } })).status,
    200,
    'localhost is the same server',
  );
  // The static files are still served beside it.
  assert.equal((await send(port, { path: '/assets/app.js' })).status, 200);
  await stopDemo(demo);
});
