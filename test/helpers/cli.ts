/** Runs the compiled CLI and other child processes; every child is killed when its test ends. */
import { spawn, type ChildProcess } from 'node:child_process';
import type { TestContext } from 'node:test';
import { CLI, ensureBuilt } from './build.js';

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A safety net against a hung child, not an assertion about speed. */
const HANG_MS = 60_000;

export interface RunOptions {
  /** SIGKILL the child this long after it was started. */
  killAfterMs?: number;
  /** SIGKILL the child `afterMs` after `when()` first holds (polled every millisecond). */
  killWhen?: { when: () => boolean; afterMs: number };
  input?: string;
}

export function runNode(args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.stdin.end(opts.input ?? '');
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
    timers.push(setTimeout(() => child.kill('SIGKILL'), HANG_MS));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearInterval(poll);
      for (const t of timers) clearTimeout(t);
      resolve({ code, signal, stdout, stderr });
    });
  });
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
    throw new Error(`openvpn-status-web ${args.join(' ')}\nexpected exit ${code}, got ${r.code ?? r.signal}\nstderr:\n${r.stderr}\nstdout:\n${r.stdout}`);
  }
  return r;
}

/**
 * A long-lived child process (a lock holder, a writer in a loop), killed with SIGKILL when
 * the test ends if it is still running. Resolves once it printed `ready` on stdout.
 */
export async function startChild(t: TestContext, args: string[], ready: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const onData = (d: string) => {
      out += d;
      if (out.includes(ready)) {
        child.stdout.off('data', onData);
        resolve();
      }
    };
    child.stdout.setEncoding('utf8').on('data', onData);
    child.on('exit', (code, signal) => reject(new Error(`child ${args.join(' ')} exited (${code ?? signal}) before "${ready}":\n${stderr}`)));
    child.on('error', reject);
  });
  return child;
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
