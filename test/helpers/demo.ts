/**
 * The compiled `demo` as a user starts it, for tests: start it, wait for its Dashboard line,
 * stop it with Ctrl-C (SIGINT). Whatever happens, the test's end kills it and removes its
 * temp folder.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { TestContext } from 'node:test';
import { CLI, ensureBuilt } from './build.js';

export interface Demo {
  child: ChildProcess;
  /** The URL of the "Dashboard: …" line. */
  url: string;
  /** The temp folder from the "demo: data in …" line. */
  dir: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output: () => string;
}

/** A port that was free a moment ago (20000–40000), held by nobody. */
export async function freePort(): Promise<number> {
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
export function startDemo(t: TestContext, listen: string): Promise<Demo | { exit: number | null; output: string; dir: string | null }> {
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

export async function stopDemo(demo: Demo): Promise<void> {
  demo.child.kill('SIGINT');
  const { code, signal } = await demo.exited;
  assert.equal(signal, null, demo.output());
  assert.equal(code, 0, demo.output());
  assert.equal(existsSync(demo.dir), false, `the temp folder ${demo.dir} is removed`);
}
