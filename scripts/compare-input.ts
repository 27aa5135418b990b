/**
 * The input of scripts/compare-output.sh: a history CSV, its state, aliases and a series of
 * status files, generated the way `demo` (src/app/demo.ts) and the bench's D scenario
 * (scripts/bench.ts) generate theirs, at fixed instants so that two builds can be compared.
 *
 *   node --import tsx scripts/compare-input.ts DIR demo|d START_ISO
 *
 * Writes DIR/openvpn-sessions.csv (+ .state.json), DIR/aliases.json, DIR/status-K.log (one
 * per step, mtime a second before the step's instant) and DIR/steps.txt: one line per step,
 * "K ISO", step 0 being the build on the generated history and the later ones `run`s.
 */
import { utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { StatusClient } from '../src/core/parse-status.js';
import { isoFromMs, msFromIso } from '../src/core/time.js';
import {
  advanceClients,
  syntheticClients,
  syntheticSessions,
  syntheticState,
  syntheticStatusV3,
} from '../src/demo/synthetic.js';
import { rewriteHistory, writeState } from '../src/io/history-store.js';

interface Kind {
  seed: number;
  live: number;
  history: number;
  users: number;
  spanDays: number;
  /** Aliases for the first users (a few of them with characters that need escaping). */
  aliases: string[];
  hostile: boolean;
}

const KINDS: Record<string, Kind> = {
  // src/app/demo.ts: 30 users, 60 days, six connected, aliases.
  demo: {
    seed: 8050,
    live: 6,
    history: 30 * 60 * 2,
    users: 30,
    spanDays: 60,
    aliases: ['Handy Flex', 'Büro Köln', 'Außendienst Süd', 'Kasse <1>', 'Werkstatt & Lager', '"Chef"'],
    hostile: false,
  },
  // The bench's D (100,000 sessions of 400 users over a year, 50 live), a tenth of it, with
  // the hostile user names the synthetic data can make.
  d: {
    seed: 20261126,
    live: 50,
    history: 10_000,
    users: 400,
    spanDays: 365,
    aliases: ['Alias Eins', 'Alias Zwei'],
    hostile: true,
  },
};

/** Seconds between the steps, and how many clients reconnect before each (step 0 is the first status file). */
const STEPS = [
  { afterS: 0, reconnect: 0 },
  { afterS: 70, reconnect: 3 },
  { afterS: 65, reconnect: 0 },
  { afterS: 900, reconnect: 1 },
  { afterS: 65, reconnect: 0 },
];

async function main(): Promise<void> {
  const [dir, kindName, start] = process.argv.slice(2);
  const kind = kindName === undefined ? undefined : KINDS[kindName];
  if (dir === undefined || kind === undefined || start === undefined) {
    throw new Error('usage: compare-input.ts DIR demo|d START_ISO');
  }
  const history = syntheticSessions({
    count: kind.history,
    users: kind.users,
    endAt: isoFromMs(msFromIso(start) - 600_000),
    spanDays: kind.spanDays,
    seed: kind.seed,
    hostile: kind.hostile,
  });
  let clients: StatusClient[] = syntheticClients({ count: kind.live, updatedAt: start, seed: kind.seed });
  const users = [...new Set([...clients.map((c) => c.username ?? c.commonName), ...history.map((s) => s.user)])];
  const aliases = Object.fromEntries(users.slice(0, kind.aliases.length).map((u, i) => [u, kind.aliases[i] as string]));
  await writeFile(join(dir, 'aliases.json'), `${JSON.stringify(aliases, null, 2)}\n`);
  const csv = join(dir, 'openvpn-sessions.csv');
  const historyBytes = await rewriteHistory(csv, history);
  await writeState(
    `${csv}.state.json`,
    syntheticState({ clients, updatedAt: start, historyBytes, history, seed: kind.seed }),
  );
  const lines: string[] = [];
  let at = start;
  for (const [k, step] of STEPS.entries()) {
    const next = isoFromMs(msFromIso(at) + step.afterS * 1000);
    if (k > 0)
      clients = advanceClients(clients, { from: at, to: next, reconnect: step.reconnect, seed: kind.seed + k });
    at = next;
    const file = join(dir, `status-${k}.log`);
    await writeFile(file, syntheticStatusV3({ clients, updatedAt: at, seed: kind.seed }));
    // The reader trusts a file whose mtime is a moment old; a fixed one keeps both builds alike.
    const past = new Date(msFromIso(at) - 1000);
    await utimes(file, past, past);
    lines.push(`${k} ${at}`);
  }
  await writeFile(join(dir, 'steps.txt'), `${lines.join('\n')}\n`);
}

await main();
