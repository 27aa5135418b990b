/**
 * The demo's data: about 60 days of generated history for 30 users with aliases, and a live
 * status file with six clients that moves on every tick (src/server/demo.ts serves it).
 */
import { utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { StatusClient } from '../core/parse-status.js';
import type { Settings } from '../core/settings.js';
import { isoFromMs, msFromIso } from '../core/time.js';
import {
  advanceClients,
  syntheticClients,
  syntheticSessions,
  syntheticState,
  syntheticStatusV3,
} from '../demo/synthetic.js';
import { writeFileAtomic } from '../io/atomic-write.js';
import { historyPaths, rewriteHistoryChained, writeState } from '../io/history-store.js';
import type { Logger } from './context.js';
import { run } from './run.js';

const SEED = 8050;
const USERS = 30;
const LIVE = 6;
/** A status update every 10 s, like `status FILE 10`. */
export const TICK_MS = 10_000;

const ALIASES = [
  'Handy Flex',
  'Laptop Mint Flex',
  'Büro Köln',
  'Außendienst Süd',
  'Home-Office Jana',
  'Tablet Lager',
  'Kasse 1',
  'Kasse 2',
  'Werkstatt',
  'Vertrieb Nord',
  'Geschäftsführung',
  'Buchhaltung',
  'IT-Notfallzugang',
  'Praktikant',
  'Messe-Laptop',
];

async function writeStatus(path: string, clients: StatusClient[], updatedAt: string): Promise<void> {
  await writeFileAtomic(path, syntheticStatusV3({ clients, updatedAt, seed: SEED }));
  // The reader trusts a file only once its mtime is a moment old.
  const past = new Date(msFromIso(updatedAt) - 1000);
  await utimes(path, past, past);
}

/** The demo's files, all in `dir`, one status file. */
export function demoSettings(base: Settings, dir: string): Settings {
  return {
    ...base,
    status: [{ instance: 'default', path: join(dir, 'openvpn-status.log') }],
    history: join(dir, 'openvpn-sessions.csv'),
    aliases: join(dir, 'openvpn-aliases.json'),
    out: join(dir, 'site'),
  };
}

/** Writes the aliases, the history, the collector's state and the status file; returns the live clients. */
export async function writeDemoData(settings: Settings, now: string): Promise<StatusClient[]> {
  // History up to ten minutes ago; the live clients are users 0…5 of the same population.
  const history = syntheticSessions({
    count: USERS * 60 * 2,
    users: USERS,
    endAt: isoFromMs(msFromIso(now) - 600_000),
    spanDays: 60,
    seed: SEED,
  });
  const clients = syntheticClients({ count: LIVE, updatedAt: now, seed: SEED });
  const users = [...new Set([...clients.map((c) => c.username ?? c.commonName), ...history.map((s) => s.user)])];
  const aliases = Object.fromEntries(users.slice(0, ALIASES.length).map((u, i) => [u, ALIASES[i] as string]));
  await writeFile(settings.aliases, `${JSON.stringify(aliases, null, 2)}\n`);
  const paths = historyPaths(settings.history);
  const { bytes: historyBytes, chain } = await rewriteHistoryChained(paths.history, history);
  const state = syntheticState({ clients, updatedAt: now, historyBytes, history, seed: SEED });
  await writeState(paths.state, { ...state, chain });
  await writeStatus(statusPathOf(settings), clients, now);
  return clients;
}

/** The live part of the demo: the clients as of `now`, moved on by each tick. */
export interface Live {
  readonly settings: Settings;
  readonly log: Logger;
  now: string;
  clients: StatusClient[];
  tick: number;
  /** An update runs: the next tick skips, and stopping waits for it. */
  busy: boolean;
}

/** One status update and rebuild, unless the last one still runs. */
export function tick(live: Live): void {
  if (live.busy) return;
  live.busy = true;
  void (async () => {
    const next = isoFromMs(Math.max(Date.now(), msFromIso(live.now) + 1000));
    live.tick++;
    live.clients = advanceClients(live.clients, {
      from: live.now,
      to: next,
      reconnect: live.tick % 6 === 0 ? 1 : 0,
      seed: SEED + live.tick,
    });
    live.now = next;
    await writeStatus(statusPathOf(live.settings), live.clients, live.now);
    const outcome = await run(live.settings, live.now, live.log, { keepChartLoaded: true });
    if (outcome.ok) live.log.detail(`demo: tick ${live.tick}, ${outcome.value.built.pagesRendered} page(s) rendered`);
  })()
    .catch((e: unknown) =>
      process.stderr.write(`openvpn-status-web: demo update failed: ${(e as Error).stack ?? String(e)}\n`),
    )
    .finally(() => {
      live.busy = false;
    });
}

const statusPathOf = (settings: Settings): string => settings.status[0]?.path as string;
