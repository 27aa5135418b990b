/**
 * `npm run bench`: measures the compiled CLI on synthetic data and prints a Markdown table
 * (scenario, median wall time, peak RSS, goal, result) with the machine it ran on.
 * Exits 1 when a goal is missed or a run misbehaved, after printing the table.
 *
 * Each scenario is one object in SCENARIOS; cliScenario() covers any command that runs on
 * a status file plus a history (collect now, `run` later: pass its argv).
 * `npm run bench -- B C` runs only the scenarios whose id starts with B or C.
 * BENCH_TZ=Europe/Berlin runs `collect` and `run` in that zone (default UTC: UTC is read
 * without Intl, any other zone loads ICU's data first, 25–30 ms of every run).
 * D and E also simulate an hour of cron minutes (simulateHour) and print a second table:
 * BENCH_HOUR=off skips the hour, BENCH_HOUR=only runs only the hour (of D and E).
 * Progress goes to stderr, the table to stdout.
 */
import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { mkdtemp, open, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { sessionFromClient } from '../src/core/session.js';
import type { StatusClient } from '../src/core/parse-status.js';
import { exportFileName } from '../src/core/export-names.js';
import { isoFromEpochSeconds } from '../src/core/time.js';
import { ifMissing } from '../src/io/fs-errors.js';
import { readState, rewriteHistoryChained, writeState } from '../src/io/history-store.js';
import {
  advanceClients,
  syntheticClients,
  syntheticSessions,
  syntheticState,
  syntheticStatusV1,
  syntheticStatusV3,
} from '../src/demo/synthetic.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(ROOT, 'dist', 'cli.js');
const REPORT_RSS = pathToFileURL(join(ROOT, 'scripts', 'lib', 'report-rss.mjs')).href;
const SEED = 20261126;

// ---------------------------------------------------------------------------------------
// Scenarios

interface Goal {
  maxWallS?: number;
  maxRssMb?: number;
  /** Minimum throughput, in `unit` per second. */
  minRate?: { value: number; unit: string };
}

interface Outcome {
  /** Median wall time of one run, seconds. */
  wallS: number;
  /** Median CPU time (user + system) of one run, seconds: less skewed by a busy machine. */
  cpuS: number | null;
  /** Highest peak RSS over the runs, MB (10^6 bytes); null when measured in-process. */
  rssMb: number | null;
  /** Throughput where the goal is one, per second. */
  rate?: number;
  /** Anything that makes the numbers untrustworthy (a failed run, wrong results). */
  problems: string[];
  /** Figures reported beside the table (the run that rewrote the whole-history files). */
  notes?: string[];
  /** BENCH_HOUR=only: no timed runs, so no median row. */
  noMedians?: true;
  /** The simulated hour's figures, where the scenario has one. */
  hour?: HourFigures;
  /** The warm-up run of `run` (D, E): the first, full build. */
  fullBuild?: { wallS: number; cpuS: number | null; rssMb: number | null };
}

/** A failed run's stderr in a problem line: its first three lines. */
const firstLines = (stderr: string): string => stderr.trim().split('\n').slice(0, 3).join(' | ');

interface Scenario {
  /** Short handle: `npm run bench -- B` runs the scenarios whose id starts with B. */
  id: string;
  name: string;
  goal: Goal;
  /** Goals of the simulated hour, where the scenario has one. */
  hour?: HourGoal;
  /** Goals of the full build (the warm-up run), where the scenario has one. */
  fullBuild?: Goal;
  /** Sets up its data in `dir` (a fresh folder, removed afterwards) and measures. */
  measure(dir: string): Promise<Outcome>;
}

const log = (msg: string): void => {
  process.stderr.write(`bench: ${msg}\n`);
};

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

interface ChildRun {
  wallS: number;
  rssKb: number | null;
  cpuMs: number | null;
  code: number | null;
  stderr: string;
}

/**
 * The environment cron gives a job (Debian's cron: HOME, LOGNAME, SHELL and PATH), so `run`
 * is timed as cron starts it. A shell's environment may hold more that costs every Node
 * start: this machine's sets NODE_EXTRA_CA_CERTS, whose certificate bundle Node reads at
 * each start (60–100 ms more here).
 */
const CRON_ENV = {
  HOME: process.env.HOME ?? '/root',
  LOGNAME: process.env.LOGNAME ?? 'root',
  SHELL: '/bin/sh',
  PATH: '/usr/bin:/bin',
};

/** Runs the compiled CLI as a fresh process, as cron does, timing it from spawn to exit. */
async function runCli(args: string[], rssFile: string): Promise<ChildRun> {
  await rm(rssFile, { force: true });
  const started = performance.now();
  const child = spawn(process.execPath, ['--import', REPORT_RSS, CLI, ...args], {
    env: { ...CRON_ENV, BENCH_RSS_FILE: rssFile },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d: string) => {
    stderr += d;
  });
  const code = await new Promise<number | null>((done, fail) => {
    child.on('error', fail);
    child.on('close', (c) => done(c));
  });
  const wallS = (performance.now() - started) / 1000;
  const raw = await readFile(rssFile, 'utf8').catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return null; // the child died before its exit handler ran
    throw e;
  });
  const [rssKb, cpuMs] = raw === null ? [null, null] : raw.trim().split(' ').map(Number);
  return { wallS, rssKb: rssKb ?? null, cpuMs: cpuMs ?? null, code, stderr };
}

/** Counts the lines from byte `from` to the end (the rows appended during the bench). */
async function linesFrom(path: string, from: number): Promise<number> {
  const fh = await open(path, 'r');
  try {
    const { size } = await fh.stat();
    const buf = Buffer.alloc(size - from);
    await fh.read(buf, 0, buf.length, from);
    let n = 0;
    for (const byte of buf) if (byte === 0x0a) n++;
    return n;
  } finally {
    await fh.close();
  }
}

/** The simulated hour's goals: its slowest run, and the CPU seconds of its 60 runs together. */
interface HourGoal {
  maxSlowestS: number;
  maxCpuS: number;
}

interface CliScenarioSpec {
  id: string;
  name: string;
  goal: Goal;
  /** Clients connected at any time. */
  live: number;
  /** Sessions already in the history CSV. */
  history: number;
  /** Distinct users in the history (about history / (users × spanDays) sessions per user and day). */
  users: number;
  /** Days the history spans (default 60). */
  spanDays?: number;
  /** Clients that drop and reconnect in every third run (their old sessions are appended one run later). */
  reconnect: number;
  /** Timed runs, after one untimed warm-up run. */
  runs?: number;
  /** Simulates an hour of cron minutes after the timed runs (simulateHour), with these goals. */
  hour?: HourGoal;
  /** The warm-up run is a full build (`run` on a history never built): its goals (issue 19). */
  fullBuild?: Goal;
  /** The command line after `node dist/cli.js`. */
  argv(paths: { status: string; history: string; dir: string }): string[];
}

/** BENCH_HOUR: `off` the medians only, `only` the simulated hour only, else both. */
const HOUR_MODE = ((): 'both' | 'off' | 'only' => {
  const v = process.env.BENCH_HOUR ?? '';
  if (v === '' || v === 'on') return 'both';
  if (v === 'off' || v === 'only') return v;
  throw new Error(`BENCH_HOUR=${v}: expected on, off or only`);
})();

/** A scenario's data and the clients' status updates, with what the runs must have appended. */
interface Feed {
  spec: CliScenarioSpec;
  paths: { status: string; history: string; dir: string };
  rssFile: string;
  /** Update time of the current status file, epoch seconds. */
  at: number;
  clients: StatusClient[];
  /** The history CSV's size before the runs. */
  historyBytes: number;
  expectedAppends: number;
  pendingEnds: number;
  problems: string[];
}

/** Writes the synthetic history, state and status file (the collector's steady state). */
async function setUpFeed(spec: CliScenarioSpec, dir: string): Promise<Feed> {
  const paths = { status: join(dir, 'openvpn-status.log'), history: join(dir, 'openvpn-sessions.csv'), dir };
  // Times are real (the CLI reads the clock): the first update a little in the past.
  const at = Math.floor(Date.now() / 1000) - 20;
  const clients = syntheticClients({ count: spec.live, updatedAt: isoFromEpochSeconds(at), seed: SEED });
  const t = performance.now();
  const sessions = syntheticSessions({
    count: spec.history,
    users: spec.users,
    endAt: isoFromEpochSeconds(at - 30),
    spanDays: spec.spanDays ?? 60,
    seed: SEED,
  });
  const { bytes: historyBytes, chain } = await rewriteHistoryChained(paths.history, sessions);
  // With the chain's head, as the collector writes it: no run has to count the rows first.
  const state = {
    ...syntheticState({ clients, updatedAt: isoFromEpochSeconds(at), historyBytes, history: sessions }),
    chain,
  };
  await writeState(`${paths.history}.state.json`, state);
  log(
    `${spec.name}: ${sessions.length.toLocaleString('en')} sessions (${(historyBytes / 1e6).toFixed(1)} MB CSV, ` +
      `${Object.keys(state.recentlyClosed).length.toLocaleString('en')} recently closed) in ${((performance.now() - t) / 1000).toFixed(1)} s`,
  );
  return {
    spec,
    paths,
    rssFile: join(dir, 'rss.txt'),
    at,
    clients,
    historyBytes,
    expectedAppends: 0,
    pendingEnds: 0,
    problems: [],
  };
}

/**
 * The clients' next status update at `next` (epoch seconds), `reconnect` of them on new
 * sessions. The sessions ended by the previous update are appended by the run after this
 * update (the second update that lacks them).
 */
async function updateStatus(feed: Feed, next: number, reconnect: number): Promise<void> {
  feed.clients = advanceClients(feed.clients, {
    from: isoFromEpochSeconds(feed.at),
    to: isoFromEpochSeconds(next),
    reconnect,
    seed: SEED,
  });
  feed.at = next;
  await writeFile(
    feed.paths.status,
    syntheticStatusV3({ clients: feed.clients, updatedAt: isoFromEpochSeconds(next), seed: SEED }),
  );
  // An mtime in the past: the reader trusts the file at once instead of waiting for it to settle.
  const past = new Date(Date.now() - 5000);
  await utimes(feed.paths.status, past, past);
  feed.expectedAppends += feed.pendingEnds;
  feed.pendingEnds = reconnect;
}

/** One run of the scenario's command (`now`: the simulated clock, else the real one); a failure is a problem. */
async function feedRun(feed: Feed, label: string, now?: number): Promise<ChildRun> {
  const argv = feed.spec.argv(feed.paths);
  const run = await runCli(now === undefined ? argv : [...argv, '--now', isoFromEpochSeconds(now)], feed.rssFile);
  if (run.code !== 0 || run.stderr !== '') feed.problems.push(`${label} exited ${run.code}: ${firstLines(run.stderr)}`);
  return run;
}

const mbOf = (kb: number | null): string => (kb === null ? '?' : String(Math.round((kb * 1024) / 1e6)));

/** The warm-up run, then (unless BENCH_HOUR=only) the timed runs. */
async function medianRuns(
  feed: Feed,
  withMedians: boolean,
): Promise<{ walls: number[]; cpu: number[]; rss: number[]; notes: string[]; warmUp: ChildRun | null }> {
  const { spec } = feed;
  let warmUp: ChildRun | null = null;
  const walls: number[] = [];
  const cpu: number[] = [];
  const rss: number[] = [];
  const notes: string[] = [];
  const runs = withMedians ? (spec.runs ?? 9) : 0;
  for (let k = 0; k <= runs; k++) {
    await updateStatus(
      feed,
      Math.max(feed.at + 1, Math.floor(Date.now() / 1000) - 3),
      k % 3 === 1 ? spec.reconnect : 0,
    );
    const run = await feedRun(feed, `run ${k}`);
    if (k === 0) {
      // Warm-up: page cache, and a check that the data is a steady state (for `run`: the full build).
      log(`${spec.name}: warm-up run ${run.wallS.toFixed(1)} s, peak RSS ${mbOf(run.rssKb)} MB`);
      warmUp = run;
      continue;
    }
    walls.push(run.wallS);
    if (run.cpuMs !== null) cpu.push(run.cpuMs / 1000);
    if (run.rssKb !== null) rss.push(run.rssKb);
  }
  if (walls.length > 0)
    log(
      `${spec.name}: runs ${walls.map((w) => w.toFixed(3)).join(' ')} s; peak RSS ${rss.map((kb) => mbOf(kb)).join(' ')} MB`,
    );
  return { walls, cpu, rss, notes, warmUp };
}

/** The hour's figures (simulateHour). */
interface HourFigures {
  slowestWallS: number;
  slowestCpuS: number | null;
  /** What the slowest run did besides the minute's work: redrew the chart, rewrote the whole-history files. */
  slowestDid: string;
  /** CPU seconds of the 60 runs together; null when a run did not report its CPU time. */
  cpuS: number | null;
  rssMb: number | null;
  chartRedraws: number;
  wholeHistoryWrites: number;
}

/** What changes when the chart is drawn again: the `<svg>` elements of the dashboard. */
async function chartMark(site: string): Promise<string> {
  const html = await readFile(join(site, 'index.html'), 'utf8').catch(ifMissing(''));
  return (html.match(/<svg[\s\S]*?<\/svg>/g) ?? []).join('');
}

/** What changes when the whole-history files are written: each write renames a new file over the old one. */
async function wholeHistoryMark(site: string): Promise<string> {
  const parts: string[] = [];
  for (const status of ['all', 'ended'] as const)
    for (const ext of ['xlsx', 'csv'] as const) {
      const s = await stat(join(site, 'exports', exportFileName(null, status, ext))).catch(ifMissing(null));
      parts.push(s === null ? '-' : `${s.ino}:${s.mtimeMs}`);
    }
  return parts.join(' ');
}

const HOUR_RUNS = 60;

/**
 * An hour of cron minutes on the simulated clock (`--now`): 60 runs one minute apart
 * (status update at the minute, run 3 s later), clients reconnecting in every third: quiet
 * and busy minutes as in the timed runs. The chart's 5-minute buckets complete 12 times, as
 * in any real hour, and every run in which sessions start or end rewrites the whole-history
 * files. One untimed run after the hour ends the last reconnects' old sessions. Retention
 * (once a day) is not configured in the scenarios, so no run of the hour archives.
 */
async function simulateHour(feed: Feed): Promise<HourFigures> {
  const { spec } = feed;
  const site = join(feed.paths.dir, 'site');
  let wholeMark = await wholeHistoryMark(site);
  let chart = await chartMark(site);
  const runs: { wallS: number; cpuMs: number | null; rssKb: number | null; did: string[] }[] = [];
  for (let k = 1; k <= HOUR_RUNS; k++) {
    await updateStatus(feed, feed.at + 60, k % 3 === 0 ? spec.reconnect : 0);
    const run = await feedRun(feed, `hour run ${k}`, feed.at + 3);
    const did: string[] = [];
    const [c, w] = [await chartMark(site), await wholeHistoryMark(site)];
    if (c !== chart) did.push('chart');
    if (w !== wholeMark) did.push('whole-history files');
    [chart, wholeMark] = [c, w];
    runs.push({ wallS: run.wallS, cpuMs: run.cpuMs, rssKb: run.rssKb, did });
  }
  // Untimed: the minute after the last ends the sessions of its reconnects, so the state checks hold.
  await updateStatus(feed, feed.at + 60, 0);
  await feedRun(feed, 'the run after the hour', feed.at + 3);
  log(
    `${spec.name}: hour runs ${runs.map((r) => `${r.wallS.toFixed(2)}${r.did.includes('chart') ? 'c' : ''}${r.did.includes('whole-history files') ? 'w' : ''}`).join(' ')} s (c: chart redrawn, w: whole-history files rewritten)`,
  );
  const slowest = runs.reduce((a, b) => (b.wallS > a.wallS ? b : a));
  const figures: HourFigures = {
    slowestWallS: slowest.wallS,
    slowestCpuS: slowest.cpuMs === null ? null : slowest.cpuMs / 1000,
    slowestDid: slowest.did.length === 0 ? "the minute's work only" : slowest.did.join(' + '),
    cpuS: runs.every((r) => r.cpuMs !== null) ? runs.reduce((sum, r) => sum + (r.cpuMs as number), 0) / 1000 : null,
    rssMb: runs.every((r) => r.rssKb !== null) ? (Math.max(...runs.map((r) => r.rssKb as number)) * 1024) / 1e6 : null,
    chartRedraws: runs.filter((r) => r.did.includes('chart')).length,
    wholeHistoryWrites: runs.filter((r) => r.did.includes('whole-history files')).length,
  };
  // Fewer would mean the hour skipped a periodic job and its figures flatter the code.
  if (figures.chartRedraws < HOUR_RUNS / 5)
    feed.problems.push(`the hour redrew the chart in ${figures.chartRedraws} runs, expected at least ${HOUR_RUNS / 5}`);
  // Sessions start in every third minute and end in the minute after (the last such minute is after the hour): both change the files.
  const busyMinutes = 2 * Math.floor(HOUR_RUNS / 3) - 1;
  if (figures.wholeHistoryWrites < busyMinutes)
    feed.problems.push(
      `the hour rewrote the whole-history files in ${figures.wholeHistoryWrites} runs, expected at least ${busyMinutes}`,
    );
  return figures;
}

/** The data must have behaved as designed, or the timings mean nothing. */
async function checkSteadyState(feed: Feed): Promise<void> {
  const { spec, paths, problems } = feed;
  // A built site: no HTML page may pass 300 KB, whatever the history's size.
  const largest = await largestHtml(join(paths.dir, 'site'));
  if (largest !== null) {
    log(
      `${spec.name}: largest HTML page ${(largest.bytes / 1000).toFixed(0)} KB (${largest.path}), dashboard ${(largest.dashboard / 1000).toFixed(0)} KB`,
    );
    if (largest.bytes > 300_000) problems.push(`${largest.path} is ${largest.bytes} bytes, over 300 KB`);
  }
  const state = await readState(`${paths.history}.state.json`);
  const size = (await stat(paths.history)).size;
  const want = new Set(feed.clients.map((c) => sessionFromClient('default', c, '').id));
  const have = new Set(state.tracked.map((s) => s.id));
  if (have.size !== want.size || [...want].some((id) => !have.has(id))) {
    problems.push(`the state tracks ${have.size} sessions, expected the ${want.size} live ones`);
  }
  if (state.historyBytes !== size) problems.push(`state.historyBytes ${state.historyBytes} ≠ CSV size ${size}`);
  const appended = await linesFrom(paths.history, feed.historyBytes);
  if (appended !== feed.expectedAppends) problems.push(`${appended} rows appended, expected ${feed.expectedAppends}`);
  log(`${spec.name}: ${appended} rows appended`);
}

/**
 * A command run on a status file and a history that match (the collector's steady state),
 * with a new status update before every run: more bytes, a later update time and, in every
 * third run, `reconnect` clients on new sessions; the run after that ends and appends the
 * old ones. So every run does the work a cron run does, and some append to the CSV.
 * With `hour`, an hour of cron minutes follows (simulateHour), unless BENCH_HOUR=off.
 */
function cliScenario(spec: CliScenarioSpec): Scenario {
  return {
    id: spec.id,
    name: spec.name,
    goal: spec.goal,
    ...(spec.hour !== undefined ? { hour: spec.hour } : {}),
    ...(spec.fullBuild !== undefined ? { fullBuild: spec.fullBuild } : {}),
    async measure(dir) {
      // The sessions are dropped before the timed runs (only the feed is kept).
      const feed = await setUpFeed(spec, dir);
      const withMedians = HOUR_MODE !== 'only' || spec.hour === undefined;
      const { walls, cpu, rss, notes, warmUp } = await medianRuns(feed, withMedians);
      const hour = spec.hour !== undefined && HOUR_MODE !== 'off' ? await simulateHour(feed) : undefined;
      await checkSteadyState(feed);
      return {
        wallS: withMedians ? median(walls) : Number.NaN,
        cpuS: withMedians && cpu.length === walls.length ? median(cpu) : null,
        rssMb: withMedians && rss.length === walls.length ? (Math.max(...rss) * 1024) / 1e6 : null,
        problems: feed.problems,
        notes,
        ...(withMedians ? {} : { noMedians: true }),
        ...(hour !== undefined ? { hour } : {}),
        ...(warmUp !== null
          ? {
              fullBuild: {
                wallS: warmUp.wallS,
                cpuS: warmUp.cpuMs === null ? null : warmUp.cpuMs / 1000,
                rssMb: warmUp.rssKb === null ? null : (warmUp.rssKb * 1024) / 1e6,
              },
            }
          : {}),
      };
    },
  };
}

/** The largest .html file under a site folder, and the dashboard's size; null without a site. */
async function largestHtml(site: string): Promise<{ path: string; bytes: number; dashboard: number } | null> {
  const dashboard = await stat(join(site, 'index.html')).catch(ifMissing(null));
  if (dashboard === null) return null;
  let best = { path: 'index.html', bytes: dashboard.size };
  for (const entry of await readdir(site, { recursive: true })) {
    if (!entry.endsWith('.html')) continue;
    const { size } = await stat(join(site, entry));
    if (size > best.bytes) best = { path: entry, bytes: size };
  }
  return { ...best, dashboard: dashboard.size };
}

/** parseStatus in this process on a large status text: client rows per second. */
function parseScenario(spec: {
  id: string;
  name: string;
  clients: number;
  version: 1 | 3;
  goal: Goal;
  runs?: number;
}): Scenario {
  return {
    id: spec.id,
    name: spec.name,
    goal: spec.goal,
    async measure() {
      const updatedAt = isoFromEpochSeconds(Math.floor(Date.now() / 1000));
      const make = spec.version === 3 ? syntheticStatusV3 : syntheticStatusV1;
      const text = make({ clients: spec.clients, updatedAt, seed: SEED });
      const problems: string[] = [];
      const times: number[] = [];
      const cpu: number[] = [];
      const runs = spec.runs ?? 9;
      // The compiled parser, as the CLI runs it (npm run bench builds dist/ first).
      const { parseStatus } = (await import(
        pathToFileURL(join(ROOT, 'dist', 'core', 'parse-status.js')).href
      )) as typeof import('../src/core/parse-status.js');
      for (let k = -5; k < runs; k++) {
        const t = performance.now();
        const c = process.cpuUsage();
        const snap = parseStatus(text, { file: 'synthetic', timeZone: 'UTC' });
        const s = (performance.now() - t) / 1000;
        const used = process.cpuUsage(c);
        if (k === -5 && (snap.clients.length !== spec.clients || snap.clients.some((c) => c.virtualAddress === null))) {
          problems.push(
            `parsed ${snap.clients.length} clients (some without a virtual address?), expected ${spec.clients}`,
          );
        }
        if (k >= 0) {
          // The first five warm the JIT.
          times.push(s);
          cpu.push((used.user + used.system) / 1e6);
        }
      }
      const wallS = median(times);
      return { wallS, cpuS: median(cpu), rssMb: null, rate: spec.clients / wallS, problems };
    },
  };
}

/**
 * The installed command's hook as OpenVPN runs it (client-connect with the README's line,
 * `--config`), one fresh process per event: OpenVPN waits for it. Wall time from spawn to
 * exit; the spool must hold one line per run.
 */
function hookScenario(spec: { id: string; name: string; goal: Goal; runs?: number }): Scenario {
  return {
    id: spec.id,
    name: spec.name,
    goal: spec.goal,
    async measure(dir) {
      const spool = join(dir, 'spool.jsonl');
      const config = join(dir, 'config.json');
      await writeFile(
        config,
        JSON.stringify({ history: join(dir, 'openvpn-sessions.csv'), hookSpool: spool }, null, 2),
      );
      const front = join(ROOT, 'bin', 'openvpn-status-web');
      const runs = spec.runs ?? 20;
      const times: number[] = [];
      const problems: string[] = [];
      for (let k = -2; k < runs; k++) {
        const env = {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          script_type: 'client-connect',
          common_name: `user${k + 2}`,
          username: `user${k + 2}`,
          trusted_ip: '198.51.100.7',
          trusted_port: String(40000 + k + 2),
          ifconfig_pool_remote_ip: '10.8.0.2',
          time_unix: String(Math.floor(Date.now() / 1000)),
        };
        const t = performance.now();
        const r = await new Promise<{ code: number | null; stderr: string }>((done, fail) => {
          const child = spawn(front, ['hook', '--instance', 'udp', '--config', config], {
            env,
            stdio: ['ignore', 'ignore', 'pipe'],
          });
          let stderr = '';
          child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
          child.on('error', fail);
          child.on('close', (code) => done({ code, stderr }));
        });
        const s = (performance.now() - t) / 1000;
        if (r.code !== 0 || r.stderr !== '') problems.push(`run ${k} exited ${r.code}: ${r.stderr.trim()}`);
        if (k >= 0) times.push(s); // the first two warm the page cache
      }
      const lines = (await readFile(spool, 'utf8')).split('\n').filter((l) => l !== '').length;
      if (lines !== runs + 2) problems.push(`the spool holds ${lines} lines, expected ${runs + 2}`);
      const sorted = [...times].sort((a, b) => a - b);
      log(`${spec.name}: runs ${sorted.map((x) => (x * 1000).toFixed(1)).join(' ')} ms`);
      return { wallS: median(times), cpuS: null, rssMb: null, problems };
    },
  };
}

const EXPORT_CHILD = join(ROOT, 'scripts', 'lib', 'bench-export.mjs');

/**
 * One export file (xlsx or csv) of `rows` synthetic sessions, written by the compiled
 * modules in a fresh child process each run (after an untimed warm-up). The figure is the
 * writer's wall and CPU time as the child measures it (rows in, file on disk); the time
 * exportRows took before it is logged apart; the peak RSS is the whole child's (sessions,
 * rows and writer).
 */
function exportScenario(spec: {
  id: string;
  name: string;
  format: 'xlsx' | 'csv';
  rows: number;
  users: number;
  goal: Goal;
  runs?: number;
}): Scenario {
  return {
    id: spec.id,
    name: spec.name,
    goal: spec.goal,
    async measure(dir) {
      const out = join(dir, `export.${spec.format}`);
      const rssFile = join(dir, 'rss.txt');
      const walls: number[] = [];
      const cpu: number[] = [];
      const rss: number[] = [];
      const problems: string[] = [];
      const rowsMs: number[] = [];
      const runs = spec.runs ?? 5;
      for (let k = 0; k <= runs; k++) {
        // A fresh file each run: an unchanged one would be compared, not written.
        await rm(out, { force: true });
        await rm(rssFile, { force: true });
        const child = spawn(
          process.execPath,
          [
            '--import',
            REPORT_RSS,
            EXPORT_CHILD,
            join(ROOT, 'dist'),
            out,
            spec.format,
            String(spec.rows),
            String(spec.users),
            String(SEED),
          ],
          {
            env: { ...process.env, BENCH_RSS_FILE: rssFile },
            stdio: ['ignore', 'pipe', 'pipe'],
          },
        );
        let stdout = '';
        let stderr = '';
        child.stdout.setEncoding('utf8');
        child.stderr.setEncoding('utf8');
        child.stdout.on('data', (d: string) => {
          stdout += d;
        });
        child.stderr.on('data', (d: string) => {
          stderr += d;
        });
        const code = await new Promise<number | null>((done, fail) => {
          child.on('error', fail);
          child.on('close', (c) => done(c));
        });
        if (code !== 0 || stderr !== '') {
          problems.push(`run ${k} exited ${code}: ${firstLines(stderr)}`);
          continue;
        }
        const r = JSON.parse(stdout) as {
          wallMs: number;
          cpuMs: number;
          rowsMs: number;
          bytes: number;
          rows: number;
          written: boolean;
        };
        const size = (await stat(out)).size;
        const magic = (await readFile(out)).subarray(0, 3);
        const looksRight =
          spec.format === 'xlsx'
            ? magic.subarray(0, 2).toString('latin1') === 'PK'
            : magic.equals(Buffer.from([0xef, 0xbb, 0xbf]));
        if (r.rows !== spec.rows || !r.written || size !== r.bytes || !looksRight) {
          problems.push(
            `run ${k}: ${r.rows} rows, written ${r.written}, ${size} bytes on disk vs ${r.bytes} reported, ${spec.format} header ${looksRight ? 'ok' : 'wrong'}`,
          );
        }
        const rawRss = await readFile(rssFile, 'utf8').catch(ifMissing(null));
        const rssKb = rawRss === null ? null : Number(rawRss.trim().split(' ')[0]);
        if (k === 0) {
          log(
            `${spec.name}: warm-up ${(r.wallMs / 1000).toFixed(2)} s, ${(r.bytes / 1e6).toFixed(1)} MB file, peak RSS ${rssKb === null ? '?' : Math.round((rssKb * 1024) / 1e6)} MB`,
          );
          continue;
        }
        walls.push(r.wallMs / 1000);
        cpu.push(r.cpuMs / 1000);
        rowsMs.push(r.rowsMs);
        if (rssKb !== null) rss.push(rssKb);
      }
      log(
        `${spec.name}: writer ${walls.map((w) => w.toFixed(3)).join(' ')} s; exportRows before it (not in the figure) ` +
          `${rowsMs.map((ms) => (ms / 1000).toFixed(3)).join(' ')} s; peak RSS ${rss.map((kb) => Math.round((kb * 1024) / 1e6)).join(' ')} MB`,
      );
      return {
        wallS: walls.length > 0 ? median(walls) : Number.NaN,
        cpuS: cpu.length > 0 ? median(cpu) : null,
        rssMb: rss.length === runs ? (Math.max(...rss) * 1024) / 1e6 : null,
        problems,
      };
    },
  };
}

/** The zone the CLI runs in (`--tz`). */
const ZONE = process.env.BENCH_TZ ?? 'UTC';

const collectArgv = (p: { status: string; history: string }): string[] => [
  'collect',
  '--status',
  p.status,
  '--history',
  p.history,
  '--tz',
  ZONE,
  '--quiet',
];

const runArgv = (p: { status: string; history: string; dir: string }): string[] => [
  'run',
  '--status',
  p.status,
  '--history',
  p.history,
  '--out',
  join(p.dir, 'site'),
  '--aliases',
  join(p.dir, 'aliases.json'),
  '--tz',
  ZONE,
  '--quiet',
];

const SCENARIOS: Scenario[] = [
  cliScenario({
    id: 'A',
    name: 'A collect: 50 live, 100,000 sessions',
    goal: { maxWallS: 0.3, maxRssMb: 150 },
    live: 50,
    history: 100_000,
    users: 400,
    reconnect: 3,
    argv: collectArgv,
  }),
  cliScenario({
    id: 'B',
    name: 'B collect: 1,000 live, 1,000,000 sessions',
    goal: { maxWallS: 1.5, maxRssMb: 300 },
    live: 1_000,
    history: 1_000_000,
    users: 4_000,
    reconnect: 20,
    argv: collectArgv,
  }),
  // `run` = collect + build. The untimed warm-up run is the first, full build (its cost is
  // reported on stderr); the timed runs are the steady state a cron job sees every minute.
  cliScenario({
    id: 'D',
    name: 'D run: 50 live, 100,000 sessions',
    goal: { maxWallS: 0.5, maxRssMb: 200 },
    live: 50,
    history: 100_000,
    users: 400,
    spanDays: 365,
    reconnect: 3,
    hour: { maxSlowestS: 2, maxCpuS: 40 },
    fullBuild: { maxWallS: 60, maxRssMb: 300 },
    argv: runArgv,
  }),
  cliScenario({
    id: 'E',
    name: 'E run: 1,000 live, 1,000,000 sessions',
    goal: { maxWallS: 2, maxRssMb: 400 },
    live: 1_000,
    history: 1_000_000,
    users: 4_000,
    spanDays: 730,
    reconnect: 20,
    hour: { maxSlowestS: 5, maxCpuS: 150 },
    fullBuild: { maxWallS: 600, maxRssMb: 400 },
    argv: runArgv,
  }),
  exportScenario({
    id: 'X',
    name: 'X xlsx export: 100,000 rows',
    format: 'xlsx',
    rows: 100_000,
    users: 400,
    goal: { maxWallS: 4, maxRssMb: 400 },
  }),
  parseScenario({
    id: 'C3',
    name: 'C parse v3: 10,000 clients',
    clients: 10_000,
    version: 3,
    goal: { minRate: { value: 100_000, unit: 'clients' } },
  }),
  parseScenario({
    id: 'C1',
    name: 'C parse v1: 10,000 clients',
    clients: 10_000,
    version: 1,
    goal: { minRate: { value: 100_000, unit: 'clients' } },
  }),
  // OpenVPN waits for its client-connect and client-disconnect scripts (issue: hooks).
  hookScenario({
    id: 'H',
    name: 'H hook: the installed command, client-connect with --config',
    goal: { maxWallS: 0.1 },
  }),
];

// ---------------------------------------------------------------------------------------
// Report

const num = (n: number): string => Math.round(n).toLocaleString('en');

function misses(goal: Goal, o: Outcome): string[] {
  const out: string[] = [];
  if (goal.maxWallS !== undefined && !(o.wallS <= goal.maxWallS)) out.push('time');
  if (goal.maxRssMb !== undefined && !(o.rssMb !== null && o.rssMb <= goal.maxRssMb)) out.push('memory');
  if (goal.minRate !== undefined && !(o.rate !== undefined && o.rate >= goal.minRate.value)) out.push('throughput');
  if (o.problems.length > 0) out.push('runs');
  return out;
}

function goalText(g: Goal): string {
  const parts: string[] = [];
  if (g.maxWallS !== undefined) parts.push(`≤ ${g.maxWallS} s`);
  if (g.maxRssMb !== undefined) parts.push(`≤ ${g.maxRssMb} MB`);
  if (g.minRate !== undefined) parts.push(`≥ ${num(g.minRate.value)} ${g.minRate.unit}/s`);
  return parts.join(', ');
}

const seconds = (s: number): string => (s < 0.1 ? `${(s * 1000).toFixed(1)} ms` : `${s.toFixed(3)} s`);

function wallText(o: Outcome, g: Goal): string {
  if (!Number.isFinite(o.wallS)) return '–';
  const extra: string[] = [];
  if (o.rate !== undefined) extra.push(`${num(o.rate)} ${g.minRate?.unit ?? ''}/s`);
  if (o.cpuS !== null) extra.push(`CPU ${seconds(o.cpuS)}`);
  return extra.length === 0 ? seconds(o.wallS) : `${seconds(o.wallS)} (${extra.join(', ')})`;
}

/** The simulated hour's misses: its slowest run, its CPU seconds, its peak RSS (the scenario's goal), its runs. */
function hourMisses(goal: HourGoal, rssGoal: number | undefined, h: HourFigures, problems: string[]): string[] {
  const out: string[] = [];
  if (!(h.slowestWallS <= goal.maxSlowestS)) out.push('slowest');
  if (!(h.cpuS !== null && h.cpuS <= goal.maxCpuS)) out.push('CPU');
  if (rssGoal !== undefined && !(h.rssMb !== null && h.rssMb <= rssGoal)) out.push('memory');
  if (problems.length > 0) out.push('runs');
  return out;
}

/** The full build's misses: its wall time and peak RSS against the goal (a run that failed is a miss of `runs`). */
function fullBuildMisses(goal: Goal, o: Outcome): string[] {
  const f = o.fullBuild;
  if (f === undefined) return ['runs'];
  const out: string[] = [];
  if (goal.maxWallS !== undefined && !(f.wallS <= goal.maxWallS)) out.push('time');
  if (goal.maxRssMb !== undefined && !(f.rssMb !== null && f.rssMb <= goal.maxRssMb)) out.push('memory');
  return out;
}

/** The full build's row of the main table (the warm-up run: `run` on a history never built). */
function fullBuildRow(s: Scenario, o: Outcome, missed: string[]): string {
  const f = o.fullBuild;
  const wall =
    f === undefined ? '–' : `${f.wallS.toFixed(1)} s${f.cpuS === null ? '' : ` (CPU ${f.cpuS.toFixed(1)} s)`}`;
  const rss = f?.rssMb == null ? '–' : `${f.rssMb.toFixed(0)} MB`;
  const goal = `${goalText(s.fullBuild ?? {})} (issue 19)`;
  return `| ${s.name.split(':')[0]}, full build (the warm-up run) | ${wall} | ${rss} | ${goal} | ${missed.length === 0 ? 'pass' : `FAIL (${missed.join(', ')})`} |`;
}

/** A row of the hour's table. */
function hourRow(s: Scenario, goal: HourGoal, h: HourFigures, missed: string[]): string {
  const slowest = `${seconds(h.slowestWallS)} (CPU ${h.slowestCpuS === null ? '?' : seconds(h.slowestCpuS)}; ${h.slowestDid})`;
  const cpu = h.cpuS === null ? '–' : `${h.cpuS.toFixed(1)} s`;
  const rss = h.rssMb === null ? '–' : `${h.rssMb.toFixed(0)} MB`;
  const goals = [
    `slowest ≤ ${goal.maxSlowestS} s`,
    `CPU ≤ ${goal.maxCpuS} s`,
    ...(s.goal.maxRssMb !== undefined ? [`≤ ${s.goal.maxRssMb} MB`] : []),
  ];
  const result = missed.length === 0 ? 'pass' : `FAIL (${missed.join(', ')})`;
  return `| ${s.name} | ${slowest} | ${cpu} | ${rss} | ${h.chartRedraws} / ${h.wholeHistoryWrites} | ${goals.join(', ')} | ${result} |`;
}

function machine(): string {
  const info = readFileSync('/proc/cpuinfo', 'utf8');
  const model = /^model name\s*:\s*(.+)$/m.exec(info)?.[1] ?? cpus()[0]?.model ?? 'unknown CPU';
  return `${model.trim()}, ${availableParallelism()} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Node ${process.version}`;
}

/** The 1-minute load average: on a shared machine, other work skews wall times. */
const load = (): string => (loadavg()[0] ?? 0).toFixed(1);

async function main(): Promise<number> {
  const loadBefore = load();
  const dirs: string[] = [];
  // Ctrl-C skips `finally`: remove the data folders here too.
  process.once('SIGINT', () => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
    process.exit(130);
  });
  const rows: string[] = [];
  const hourRows: string[] = [];
  const notes: string[] = [];
  const problems: string[] = [];
  let failed = false;
  const only = process.argv.slice(2);
  const named = only.length === 0 ? SCENARIOS : SCENARIOS.filter((s) => only.some((o) => s.id.startsWith(o)));
  const chosen = HOUR_MODE === 'only' ? named.filter((s) => s.hour !== undefined) : named;
  if (chosen.length === 0)
    throw new Error(
      `no scenario matches ${only.join(' ')}${HOUR_MODE === 'only' ? ' with a simulated hour (BENCH_HOUR=only)' : ''} (ids: ${SCENARIOS.map((s) => s.id).join(' ')})`,
    );
  for (const s of chosen) {
    const dir = await mkdtemp(join(tmpdir(), 'osw-bench-'));
    dirs.push(dir);
    let o: Outcome;
    try {
      log(`${s.name} …`);
      o = await s.measure(dir);
    } catch (e) {
      // One broken scenario must not hide the others' numbers: it is reported as failed.
      o = {
        wallS: Number.NaN,
        cpuS: null,
        rssMb: null,
        problems: [`stopped: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`],
      };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    if (o.noMedians !== true) {
      const missed = misses(s.goal, o);
      failed ||= missed.length > 0;
      const rss = o.rssMb === null ? '–' : `${o.rssMb.toFixed(0)} MB`;
      rows.push(
        `| ${s.name} | ${wallText(o, s.goal)} | ${rss} | ${goalText(s.goal)} | ${missed.length === 0 ? 'pass' : `FAIL (${missed.join(', ')})`} |`,
      );
    }
    if (s.fullBuild !== undefined) {
      const missed = fullBuildMisses(s.fullBuild, o);
      failed ||= missed.length > 0;
      rows.push(fullBuildRow(s, o, missed));
    }
    if (s.hour !== undefined && HOUR_MODE !== 'off') {
      const missed = o.hour === undefined ? ['runs'] : hourMisses(s.hour, s.goal.maxRssMb, o.hour, o.problems);
      failed ||= missed.length > 0;
      hourRows.push(
        o.hour === undefined ? `| ${s.name} | – | – | – | – | – | FAIL (runs) |` : hourRow(s, s.hour, o.hour, missed),
      );
    }
    for (const p of o.problems) problems.push(`- ${s.name}: ${p}`);
    for (const n of o.notes ?? []) notes.push(`- ${s.name}: ${n}`);
  }
  const out = [
    '',
    `Machine: ${machine()}; load average ${loadBefore} at the start, ${load()} at the end; --tz ${ZONE}`,
    '',
    ...(rows.length > 0
      ? ['| scenario | median wall (CPU) | peak RSS | goal | result |', '|---|---|---|---|---|', ...rows, '']
      : []),
    ...(hourRows.length > 0
      ? [
          `Simulated hour (${HOUR_RUNS} cron minutes on the simulated clock):`,
          '',
          '| scenario | slowest run wall (CPU; what it did) | CPU in the hour | peak RSS | runs that redrew the chart / rewrote the whole-history files | goal | result |',
          '|---|---|---|---|---|---|---|',
          ...hourRows,
          '',
        ]
      : []),
    ...(notes.length > 0 ? ['Notes:', ...notes, ''] : []),
    ...(problems.length > 0 ? ['Problems:', ...problems, ''] : []),
  ];
  process.stdout.write(`${out.join('\n')}\n`);
  return failed ? 1 : 0;
}

process.exitCode = await main();
