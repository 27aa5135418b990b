/** Replays status files through the compiled `collect`, as cron would, one run per file. */
import { join } from 'node:path';
import { cliOk, type RunResult } from './cli.js';
import { fixture, isoPlus, MOMENTS, updatedAtOf, writeStatus, type Moment, type Version } from './status.js';

export function collectArgs(status: string[], history: string, now: string, extra: string[] = []): string[] {
  return [
    'collect',
    ...status.flatMap((s) => ['--status', s]),
    '--history',
    history,
    '--tz',
    'UTC',
    '--now',
    now,
    ...extra,
  ];
}

export interface Replay {
  status: string;
  history: string;
  /** The update time of each file replayed. */
  times: Partial<Record<Moment, string>>;
  runs: RunResult[];
}

/**
 * Writes each real fixture of `version` in turn to DIR/status.log and runs collect with
 * `--now` a second after the file's own update time. `after` runs after each step.
 */
export async function replay(
  dir: string,
  version: Version,
  moments: readonly Moment[] = MOMENTS,
  after?: (moment: Moment, r: Replay) => Promise<void>,
): Promise<Replay> {
  const r: Replay = { status: join(dir, 'status.log'), history: join(dir, 'history.csv'), times: {}, runs: [] };
  for (const m of moments) {
    const data = fixture(version, m);
    const at = updatedAtOf(data);
    r.times[m] = at;
    await writeStatus(r.status, data);
    r.runs.push(await cliOk(collectArgs([r.status], r.history, isoPlus(at, 1))));
    if (after) await after(m, r);
  }
  return r;
}
