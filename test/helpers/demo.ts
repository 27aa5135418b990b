/**
 * The compiled `demo` as a user starts it, for tests: start it, wait for its Dashboard line,
 * stop it with Ctrl-C (SIGINT). Whatever happens, the test's end kills it and removes its
 * temp folder.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { TestContext } from 'node:test';
import { killChild, spawnCli, waitForOutput } from './cli.js';

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
export async function startDemo(
  t: TestContext,
  listen: string,
): Promise<Demo | { exit: number | null; output: string; dir: string | null }> {
  const run = spawnCli(t, ['demo', '--listen', listen]);
  const dirOf = (out: string): string | undefined => /demo: data in (\S+)/.exec(out)?.[1];
  t.after(async () => {
    await killChild(run.child);
    const dir = dirOf(run.output());
    if (dir?.includes('openvpn-status-web-demo-')) await rm(dir, { recursive: true, force: true });
  });
  const serving = await waitForOutput(run, (out) => {
    const url = /Dashboard: (http:\/\/\S+)/.exec(out)?.[1];
    const dir = dirOf(out);
    return url && dir ? { url, dir } : null;
  });
  if (serving === null)
    return { exit: (await run.exited).code, output: run.output(), dir: dirOf(run.output()) ?? null };
  return { child: run.child, ...serving, exited: run.exited, output: run.output };
}

export async function stopDemo(demo: Demo): Promise<void> {
  demo.child.kill('SIGINT');
  const { code, signal } = await demo.exited;
  assert.equal(signal, null, demo.output());
  assert.equal(code, 0, demo.output());
  assert.equal(existsSync(demo.dir), false, `the temp folder ${demo.dir} is removed`);
}
