/**
 * The SIGKILL loops of the crash tests: start, kill at a random moment, check the
 * invariants. `killLoop` for runs of the compiled CLI (collect-crash, collect-hooks-crash),
 * `killChildRounds` for long-lived children (a lock taker, an atomic writer).
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { TestContext } from 'node:test';
import { cliOk, killChild, runCli, startChild, type RunOptions } from './cli.js';
import { randomInt, type Rng } from './random.js';

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
  return chaos() < anywhere
    ? { killAfterMs: randomInt(chaos, 0, typical) }
    : { killWhen: { when: () => existsSync(lockPath), afterMs: randomInt(chaos, 0, 40) } };
}

/** One step of a kill loop: its input is written; the CLI arguments that take it in. */
export interface CrashStep {
  args: string[];
  /** The update time a run commits when it takes this step's input. */
  updatedAt: string;
  /** The update time committed so far (killed runs may or may not have committed this one). */
  committedAt: () => Promise<string | null>;
}

export interface KillLoopOptions {
  /** At least this many steps, and more until there were `minKills` kills. */
  minSteps: number;
  minKills: number;
  /** Seeded: where the kills land and when a normal run follows; apart from the timeline's randomness. */
  chaos: Rng;
  /** The lock a run takes (kills aimed just after it appears), and the share of kills anywhere instead. */
  lockPath: string;
  anywhere: number;
  /** Writes step `k`'s input (step 0 is run normally, to time a run). */
  step: (k: number) => Promise<CrashStep>;
  /** Every run's stderr, killed or not: to count the recoveries it reports. */
  onStderr?: (stderr: string) => void;
  /** After each step was committed (e.g. a late writer). */
  afterStep?: (k: number) => Promise<void>;
}

export interface KillLoopResult {
  /** The last step written. */
  steps: number;
  typicalMs: number;
  kills: number;
  /** Kills that landed after the run had committed its update. */
  killedAfterCommit: number;
  /** Normal runs between kills. */
  reruns: number;
}

/**
 * Each step is run with kills at random moments until a run committed it; a run that was not
 * killed must succeed. Sometimes a normal run follows before the input changes again (always
 * after a few kills in a row: cron runs again a minute later), and must take the update.
 */
export async function killLoop(o: KillLoopOptions): Promise<KillLoopResult> {
  const note = o.onStderr ?? (() => {});
  const typicalMs = await typicalRunMs((await o.step(0)).args);
  const result: KillLoopResult = { steps: 0, typicalMs, kills: 0, killedAfterCommit: 0, reruns: 0 };
  while (result.steps < o.minSteps || result.kills < o.minKills) {
    const k = ++result.steps;
    const { args, updatedAt, committedAt } = await o.step(k);
    for (let attempt = 0; ; attempt++) {
      const r = await runCli(args, killPlan(o.chaos, typicalMs, o.lockPath, o.anywhere));
      if (r.signal === 'SIGKILL') {
        result.kills++;
        if ((await committedAt()) === updatedAt) result.killedAfterCommit++;
      } else {
        assert.equal(r.code, 0, `step ${k}: a run that was not killed failed:\n${r.stderr}`);
      }
      note(r.stderr);
      if (o.chaos() < 0.3 || attempt >= 3) {
        const rerun = (await cliOk(args)).stderr;
        note(rerun);
        result.reruns++;
        assert.equal(await committedAt(), updatedAt, `step ${k}: a normal run did not take the update:\n${rerun}`);
      }
      if ((await committedAt()) === updatedAt) break;
    }
    await o.afterStep?.(k);
  }
  return result;
}

/**
 * `rounds` times: start a long-lived child (`node ARGS`, ready once it printed `ready`), let
 * `meanwhile` run (it decides the moment), SIGKILL the child, and `check` what it left.
 */
export async function killChildRounds(
  t: TestContext,
  o: {
    rounds: number;
    args: string[];
    ready: string;
    meanwhile: (round: number) => Promise<void>;
    check: (child: ChildProcess, round: number) => Promise<void>;
  },
): Promise<void> {
  for (let round = 0; round < o.rounds; round++) {
    const child = await startChild(t, o.args, o.ready);
    await o.meanwhile(round);
    await killChild(child);
    await o.check(child, round);
  }
}
