/**
 * The kill schedule of the SIGKILL crash tests (collect-crash, collect-hooks-crash): how long
 * a normal run takes, and where in a run a kill lands.
 */
import { existsSync } from 'node:fs';
import { cliOk, type RunOptions } from './cli.js';
import { randomInt } from './random.js';

/** The median of three normal runs of the compiled CLI, in ms: kills land between 0 and that. */
export async function typicalRunMs(args: string[]): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < 3; i++) {
    const started = Date.now();
    await cliOk(args);
    times.push(Date.now() - started);
  }
  return times.sort((a, b) => a - b)[1] ?? 300;
}

/**
 * Anywhere in a run (a share `anywhere` of the kills); otherwise a few milliseconds after the
 * run took the lock at `lockPath`, where it reads and writes (most of a run is starting Node
 * and loading modules).
 */
export function killPlan(chaos: () => number, typical: number, lockPath: string, anywhere: number): RunOptions {
  return chaos() < anywhere ? { killAfterMs: randomInt(chaos, 0, typical) } : { killWhen: { when: () => existsSync(lockPath), afterMs: randomInt(chaos, 0, 40) } };
}
