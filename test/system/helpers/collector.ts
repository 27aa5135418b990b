/**
 * The product as cron runs it: the compiled CLI (`node dist/cli.js run`) on a real status
 * file, into a history and an output folder of a test; `sessions --json` to read what it
 * recorded, and the dashboard's live table.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { cliOk, sessionsJson, type RunResult, type SessionJson } from '../../helpers/cli.js';
import { readHtml } from '../../helpers/site.js';
import { sleep } from './wait.js';

export interface TimedRun extends RunResult {
  /** Date.now() before the CLI was started and after it exited. */
  start: number;
  end: number;
}

export interface LiveRow {
  user: string;
  virtualAddress: string;
  virtualIpv6: string;
}

export class Collector {
  readonly history: string;
  readonly out: string;
  readonly runs: TimedRun[] = [];

  constructor(
    readonly dir: string,
    /** `--status` values: FILE or NAME=FILE. */
    readonly status: string[],
    readonly extra: string[] = [],
  ) {
    this.history = join(dir, 'openvpn-sessions.csv');
    this.out = join(dir, 'site');
  }

  async init(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
  }

  args(): string[] {
    return [
      ...this.status.flatMap((s) => ['--status', s]),
      '--history',
      this.history,
      '--out',
      this.out,
      '--tz',
      'UTC',
      '--lang',
      'en',
      ...this.extra,
    ];
  }

  /** One `run` (collect + build) at the real time, as cron would start it. */
  async run(): Promise<TimedRun> {
    const start = Date.now();
    const r = await cliOk(['run', ...this.args()]);
    const timed = { ...r, start, end: Date.now() };
    this.runs.push(timed);
    return timed;
  }

  /** One `collect` (no build), with `more` flags (e.g. `--now`): the history without the pages, a second or so cheaper. */
  async collect(more: string[] = []): Promise<TimedRun> {
    const start = Date.now();
    const r = await cliOk(['collect', ...this.args(), ...more]);
    const timed = { ...r, start, end: Date.now() };
    this.runs.push(timed);
    return timed;
  }

  /**
   * A run whose collect read the status file (not skipped as torn or unreadable): its start
   * bounds the update time the history now holds for every listed session.
   */
  async runFresh(attempts = 4): Promise<TimedRun> {
    for (let i = 0; ; i++) {
      const r = await this.run();
      if (!/skipped this run/.test(r.stderr)) return r;
      if (i + 1 >= attempts) throw new Error(`${attempts} runs in a row skipped the status file:\n${r.stderr}`);
    }
  }

  async sessions(): Promise<SessionJson[]> {
    return sessionsJson(this.history);
  }

  /** Runs back to back (a very fast cron) until the recorded sessions satisfy `done`. */
  async runUntil(what: string, done: (s: SessionJson[]) => boolean, timeoutMs: number): Promise<SessionJson[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      await this.run();
      const s = await this.sessions();
      if (done(s)) return s;
      if (Date.now() > deadline) {
        throw new Error(
          `timed out after ${timeoutMs} ms (${this.runs.length} runs) waiting for ${what}; sessions:\n${JSON.stringify(s, null, 1)}\nlast run's stderr:\n${this.runs[this.runs.length - 1]?.stderr ?? ''}`,
        );
      }
      await sleep(100);
    }
  }

  /** The dashboard's live table: user, tunnel IPv4 and IPv6 of every row. */
  async live(): Promise<LiveRow[]> {
    const doc = await readHtml(this.out, 'index.html');
    return [...doc.querySelectorAll('table.live tbody tr.active')].map((tr) => {
      const cells = (tr as HTMLTableRowElement).cells;
      const text = (i: number): string => (cells[i]?.textContent ?? '').trim();
      // Status, user (a th), public IP, tunnel IPv4, tunnel IPv6, …
      return { user: text(1), virtualAddress: text(3), virtualIpv6: text(4) };
    });
  }

  /** Longest time between the starts of two consecutive runs: how stale the collector's view can be. */
  maxRunGapMs(): number {
    let gap = 0;
    for (let i = 1; i < this.runs.length; i++)
      gap = Math.max(gap, (this.runs[i] as TimedRun).start - (this.runs[i - 1] as TimedRun).start);
    return gap;
  }
}
