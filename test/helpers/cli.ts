/** Runs the compiled CLI and other child processes; every child is killed when its test ends. */
import { spawn, type ChildProcess } from 'node:child_process';
import type { TestContext } from 'node:test';
import { CLI, ensureBuilt } from './build.js';

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Wall time from spawn to exit. */
  ms: number;
}

/** A safety net against a hung child, not an assertion about speed. */
const HANG_MS = 60_000;

export interface RunOptions {
  /** SIGKILL the child this long after it was started. */
  killAfterMs?: number;
  /** SIGKILL the child `afterMs` after `when()` first holds (polled every millisecond). */
  killWhen?: { when: () => boolean; afterMs: number };
  /** Written to the child's stdin (without it, stdin is /dev/null). */
  input?: string;
  /** The whole environment (default: this process's). */
  env?: Record<string, string>;
  cwd?: string;
  /** Run as this user and group (the tests running as root). */
  uid?: number;
  gid?: number;
  /** SIGKILL a child that hangs this long (default 60 s). */
  hangMs?: number;
}

/** Runs `cmd ARGS` to its end, its output collected. */
export function runProcess(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const ids = opts.uid === undefined ? {} : { uid: opts.uid, gid: opts.gid ?? opts.uid };
    const child = spawn(cmd, args, {
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      env: opts.env,
      cwd: opts.cwd,
      ...ids,
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    if (opts.input !== undefined) child.stdin?.end(opts.input);
    const timers: NodeJS.Timeout[] = [];
    if (opts.killAfterMs !== undefined) timers.push(setTimeout(() => child.kill('SIGKILL'), opts.killAfterMs));
    const killWhen = opts.killWhen;
    const poll = killWhen
      ? setInterval(() => {
          if (!killWhen.when()) return;
          clearInterval(poll);
          timers.push(setTimeout(() => child.kill('SIGKILL'), killWhen.afterMs));
        }, 1)
      : undefined;
    timers.push(setTimeout(() => child.kill('SIGKILL'), opts.hangMs ?? HANG_MS));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearInterval(poll);
      for (const t of timers) clearTimeout(t);
      resolve({ code, signal, stdout, stderr, ms: Number(process.hrtime.bigint() - started) / 1e6 });
    });
  });
}

/** `node ARGS` to its end; stdin an empty pipe unless `input` is given. */
export function runNode(args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return runProcess(process.execPath, args, { ...opts, input: opts.input ?? '' });
}

/** `node dist/cli.js ARGS`, built first if `src/` is newer. */
export function runCli(args: string[], opts: RunOptions = {}): Promise<RunResult> {
  ensureBuilt();
  return runNode([CLI, ...args], opts);
}

/** Runs the CLI and fails with its stderr unless it exits with `code`. */
export async function cliOk(args: string[], code = 0): Promise<RunResult> {
  const r = await runCli(args);
  if (r.code !== code) {
    throw new Error(
      `openvpn-status-web ${args.join(' ')}\nexpected exit ${code}, got ${r.code ?? r.signal}\nstderr:\n${r.stderr}\nstdout:\n${r.stdout}`,
    );
  }
  return r;
}

/** A child process left running (`demo`, `serve`, `watch`, a lock holder), its output collected as read. */
export interface Running {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** stdout and stderr interleaved as they were read. */
  output: () => string;
  /** Once it exited and its output was read to the end. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** `node ARGS` left running; SIGKILLed (and waited for) when the test ends if it still runs. */
export function spawnNode(t: TestContext, args: string[]): Running {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const text = { stdout: '', stderr: '', output: '' };
  // 'close', not 'exit': by then all its output has been read.
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal })),
  );
  t.after(() => killChild(child));
  for (const name of ['stdout', 'stderr'] as const) {
    child[name].setEncoding('utf8').on('data', (d: string) => {
      text[name] += d;
      text.output += d;
    });
  }
  return { child, stdout: () => text.stdout, stderr: () => text.stderr, output: () => text.output, exited };
}

/** `node dist/cli.js ARGS` left running (built first if `src/` is newer). */
export function spawnCli(t: TestContext, args: string[]): Running {
  ensureBuilt();
  return spawnNode(t, [CLI, ...args]);
}

/**
 * Resolves with what `find` finds in the child's `stream` (default: all its output) once it
 * finds something, or with null if the child exits first.
 */
export function waitForOutput<T>(
  r: Running,
  find: (text: string) => T | null | undefined,
  stream: 'stdout' | 'stderr' | 'output' = 'output',
): Promise<T | null> {
  return new Promise((resolve) => {
    const onData = (): void => {
      const found = find(r[stream]());
      if (found === null || found === undefined) return;
      r.child.stdout?.off('data', onData);
      r.child.stderr?.off('data', onData);
      resolve(found);
    };
    // Registered after spawnNode's own listeners: each chunk is collected before it is looked at.
    r.child.stdout?.on('data', onData);
    r.child.stderr?.on('data', onData);
    onData();
    void r.exited.then(() => resolve(find(r[stream]()) ?? null));
  });
}

/**
 * A long-lived child process (a lock holder, a writer in a loop), killed with SIGKILL when
 * the test ends if it is still running. Resolves once it printed `ready` on stdout.
 */
export async function startChild(t: TestContext, args: string[], ready: string): Promise<ChildProcess> {
  const r = spawnNode(t, args);
  if ((await waitForOutput(r, (out) => out.includes(ready) || null, 'stdout')) === null) {
    const { code, signal } = await r.exited;
    throw new Error(`child ${args.join(' ')} exited (${code ?? signal}) before "${ready}":\n${r.stderr()}`);
  }
  return r.child;
}

/** SIGKILLs a child and waits until it is gone. */
export function killChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

/** Parses `sessions --json` output. */
export interface SessionJson {
  id: string;
  instance: string;
  user: string;
  commonName: string;
  username: string | null;
  realAddress: string;
  realPort: number | null;
  virtualAddress: string | null;
  virtualIpv6: string | null;
  clientId: number | null;
  cipher: string | null;
  connectedAt: string;
  lastSeenAt: string;
  endedAt: string | null;
  durationS: number;
  bytesReceived: number | null;
  bytesSent: number | null;
  status: 'active' | 'ended';
  endReason: null | 'disconnected' | 'server-stopped';
}

export async function sessionsJson(history: string, extra: string[] = []): Promise<SessionJson[]> {
  const r = await cliOk(['sessions', '--history', history, '--tz', 'UTC', '--json', ...extra]);
  const data = JSON.parse(r.stdout) as { schemaVersion: number; sessions: SessionJson[] };
  if (data.schemaVersion !== 1) throw new Error(`sessions --json: schemaVersion ${data.schemaVersion}`);
  return data.sessions;
}
