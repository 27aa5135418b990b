/**
 * Long-lived programs of a system test (openvpn servers and clients, nginx): each in its own
 * process group, tracked by PID, its output kept in memory and in a log file. `stopAll`
 * (register it with `after`/`t.after`) ends every one of them, also when the test failed;
 * a last-resort handler SIGKILLs whatever is left when the test process exits.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { sleep, waitFor } from './wait.js';

export interface ProcExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  at: number;
}

export interface Proc {
  name: string;
  pid: number;
  child: ChildProcess;
  /** Date.now() just before the spawn. */
  startedAt: number;
  logFile: string;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  /** The last lines, for error messages. */
  tail(lines?: number): string;
  exit: ProcExit | null;
  exited: Promise<ProcExit>;
}

/** Process groups still alive, for the exit handler. */
const liveGroups = new Set<number>();
let exitHandler = false;

function killGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch (e) {
    // ESRCH: the group is already gone, which is what we wanted.
    if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
  }
}

function installExitHandler(): void {
  if (exitHandler) return;
  exitHandler = true;
  process.on('exit', () => {
    for (const pgid of liveGroups) {
      process.stderr.write(`system test: process group ${pgid} still alive at exit: SIGKILL\n`);
      killGroup(pgid, 'SIGKILL');
    }
  });
  // Ctrl-C or a runner's SIGTERM: our children are in process groups of their own, so the
  // signal does not reach them. End them, then let the signal do what it would have done.
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      for (const pgid of liveGroups) killGroup(pgid, 'SIGKILL');
      liveGroups.clear();
      process.kill(process.pid, sig);
    });
  }
}

export interface SpawnOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  logFile: string;
}

export class Procs {
  readonly all: Proc[] = [];

  spawn(name: string, cmd: string, args: string[], opts: SpawnOptions): Proc {
    installExitHandler();
    const startedAt = Date.now();
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (child.pid === undefined) {
      // The 'error' event (ENOENT, EACCES) follows; report it instead of crashing on it.
      child.once('error', (e) => process.stderr.write(`system test: ${name}: ${e.message}\n`));
      throw new Error(`${name}: could not start ${cmd}`);
    }
    const pid = child.pid;
    liveGroups.add(pid);
    let out = '';
    const file: WriteStream = createWriteStream(opts.logFile, { flags: 'a' });
    const onData = (d: Buffer): void => {
      const s = d.toString('utf8');
      out += s;
      if (out.length > 1_000_000) out = out.slice(-500_000);
      file.write(d);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    const proc: Proc = {
      name,
      pid,
      child,
      startedAt,
      logFile: opts.logFile,
      output: () => out,
      tail: (lines = 25) =>
        `--- ${name} (pid ${pid}), last lines of ${opts.logFile}:\n${out.split('\n').slice(-lines).join('\n')}`,
      exit: null,
      exited: new Promise<ProcExit>((resolve, reject) => {
        child.on('error', (e) => {
          liveGroups.delete(pid);
          reject(e);
        });
        child.on('close', (code, signal) => {
          const exit = { code, signal, at: Date.now() };
          proc.exit = exit;
          // The leader is gone; anything it left in its group (a script) goes with it.
          killGroup(pid, 'SIGKILL');
          liveGroups.delete(pid);
          file.end();
          resolve(exit);
        });
      }),
    };
    // A failed spawn is reported by whoever awaits `exited`; keep it from being "unhandled" meanwhile.
    proc.exited.catch((e: unknown) => process.stderr.write(`system test: ${name}: ${(e as Error).message}\n`));
    this.all.push(proc);
    return proc;
  }

  /** Signals the process group, waits for the leader to exit; SIGKILL after `graceMs`. */
  async stop(p: Proc, signal: NodeJS.Signals = 'SIGTERM', graceMs = 10_000): Promise<ProcExit> {
    if (p.exit) return p.exit;
    killGroup(p.pid, signal);
    const timer = setTimeout(() => killGroup(p.pid, 'SIGKILL'), graceMs);
    try {
      return await p.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Ends every process this set started (SIGTERM, then SIGKILL after `graceMs`). */
  async stopAll(graceMs = 5_000): Promise<void> {
    await Promise.all(this.all.map((p) => this.stop(p, 'SIGTERM', graceMs)));
  }

  /** Waits until the process printed a line matching `re`; fails early if it exits first. */
  async waitOutput(p: Proc, re: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
    return waitFor(
      `${p.name} to print ${re}`,
      () => {
        const m = re.exec(p.output());
        if (m) return m;
        if (p.exit)
          throw new Error(`${p.name} exited (${p.exit.code ?? p.exit.signal}) before printing ${re}\n${p.tail()}`);
        return undefined;
      },
      { timeoutMs, intervalMs: 20, detail: () => p.tail() },
    );
  }
}

/** PIDs of running programs named `name` (pgrep -x), for the "nothing left behind" checks. */
export function pgrep(name: string): { pid: number; cmd: string }[] {
  const r = spawnSync('pgrep', ['-a', '-x', name], { encoding: 'utf8' });
  if (r.error) throw r.error;
  if (r.status === 1) return [];
  if (r.status !== 0) throw new Error(`pgrep -a -x ${name}: exit ${r.status}: ${r.stderr}`);
  return r.stdout
    .trim()
    .split('\n')
    .map((line) => {
      const m = /^(\d+) (.*)$/.exec(line);
      if (!m) throw new Error(`pgrep: unexpected line ${JSON.stringify(line)}`);
      return { pid: Number(m[1]), cmd: m[2] as string };
    });
}

/** Processes named `name` whose command line mentions `marker` (our temp folder), after a short grace. */
export async function leftovers(name: string, marker: string): Promise<string[]> {
  for (let i = 0; ; i++) {
    const left = pgrep(name)
      .filter((p) => p.cmd.includes(marker))
      .map((p) => `${p.pid} ${p.cmd}`);
    if (left.length === 0 || i >= 20) return left;
    await sleep(100);
  }
}
