/**
 * `demo` mounts the delete endpoint at /api/ of its own server (on a loopback address, without
 * a password), so its pages show the delete controls. The compiled CLI, as a user starts it.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { test } from 'node:test';
import { send } from '../helpers/api.js';
import { CLI, ensureBuilt } from '../helpers/build.js';

test('demo answers api/health and refuses cross-site and unknown deletes', { timeout: 180_000 }, async (t) => {
  ensureBuilt();
  const child = spawn(process.execPath, [CLI, 'demo', '--listen', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  let out = '';
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
  const port = await new Promise<number>((resolve, reject) => {
    const check = (d: string): void => {
      out += d;
      const m = /Dashboard: http:\/\/127\.0\.0\.1:(\d+)\//.exec(out);
      if (m) resolve(Number(m[1]));
    };
    child.stdout.on('data', check);
    child.stderr.on('data', check);
    void exited.then(({ code }) => reject(new Error(`demo exited (${code}) before serving:\n${out}`)));
  });
  const health = await send(port, { path: '/api/health' });
  assert.equal(health.status, 200, health.text);
  assert.deepEqual(health.json, { ok: true });
  const page = await send(port, { path: '/' });
  assert.match(page.text, /data-delete-bar/, 'the dashboard carries the (hidden) delete controls');
  const origin = `http://127.0.0.1:${port}`;
  const post = (headers: Record<string, string>, ids: string[]) =>
    send(port, { method: 'POST', path: '/api/sessions/delete', headers: { 'Content-Type': 'application/json', ...headers }, body: { ids } });
  assert.equal((await post({ Origin: 'https://evil.example' }, ['abc'])).status, 403, 'no password, but still no cross-site requests');
  const unknown = await post({ Origin: origin }, ['deadbeef0000']);
  assert.equal(unknown.status, 404, unknown.text);
  // The static files are still served beside it.
  assert.equal((await send(port, { path: '/assets/app.js' })).status, 200);
  child.kill('SIGINT');
  assert.deepEqual(await exited, { code: 0, signal: null }, out);
  const dir = /demo: data in (\S+)/.exec(out)?.[1];
  assert.ok(dir && !existsSync(dir), 'the temp folder is removed');
});
