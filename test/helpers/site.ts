/**
 * Sites on disk for the build/run/demo tests: synthetic history, state and status files
 * (src/demo/synthetic.ts) written into a temp folder, the CLI flags that point at them,
 * and tools to look at the output folder (file snapshots with mtime and bytes, HTML parsing).
 */
import { readdir, readFile, stat, utimes } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { JSDOM } from 'jsdom';
import type { StatusClient } from '../../src/core/parse-status.js';
import type { CollectorState } from '../../src/core/reconcile.js';
import type { Session } from '../../src/core/session.js';
import {
  advanceClients,
  syntheticClients,
  syntheticSessions,
  syntheticState,
  syntheticStatusV3,
} from '../../src/demo/synthetic.js';
import { writeFileAtomic } from '../../src/io/atomic-write.js';
import { GENESIS } from '../../src/core/chain.js';
import {
  historyPaths,
  readState,
  rewriteHistory,
  rewriteHistoryChained,
  writeState,
} from '../../src/io/history-store.js';

/** A Wednesday afternoon in Berlin (15:00 CET); fixed, so every run of a test is the same. */
export const T0 = '2026-03-18T14:00:00Z';

/** What every build rewrites, as it shows the time: the dashboard, the JSON snapshots and the ledger's anchor. */
export const LIVE_PART = [
  'data/chart-24h.json',
  'data/days.json',
  'data/history-recent.json',
  'data/live.json',
  'index.html',
  'ledger.json',
];
export const TZ = 'Europe/Berlin';

export interface SitePaths {
  dir: string;
  status: string;
  history: string;
  state: string;
  cache: string;
  aliases: string;
  out: string;
}

export function sitePaths(dir: string): SitePaths {
  const history = join(dir, 'openvpn-sessions.csv');
  return {
    dir,
    status: join(dir, 'openvpn-status.log'),
    history,
    state: historyPaths(history).state,
    cache: `${history}.cache`,
    aliases: join(dir, 'openvpn-aliases.json'),
    out: join(dir, 'site'),
  };
}

/** The common flags for `run`/`build`/`collect` on these paths (German, Berlin unless overridden later in `extra`). */
export function siteArgs(p: SitePaths, now: string, extra: string[] = []): string[] {
  return [
    '--status',
    p.status,
    '--history',
    p.history,
    '--aliases',
    p.aliases,
    '--out',
    p.out,
    '--tz',
    TZ,
    '--now',
    now,
    ...extra,
  ];
}

/** `iso` moved by `seconds`, in the history's format (no milliseconds). */
export function plus(iso: string, seconds: number): string {
  return new Date(Date.parse(iso) + seconds * 1000).toISOString().replace('.000Z', 'Z');
}

/**
 * A status-version 3 file listing `clients` at `updatedAt`, written atomically with its
 * mtime a few (real) seconds in the past, as a file OpenVPN finished writing a moment ago.
 */
export async function writeStatusFile(
  path: string,
  clients: StatusClient[],
  updatedAt: string,
  seed = 1,
): Promise<void> {
  await writeFileAtomic(path, syntheticStatusV3({ clients, updatedAt, seed }));
  const past = new Date(Date.now() - 3000);
  await utimes(path, past, past);
}

export interface SyntheticSiteOptions {
  /** Ended sessions in the history. */
  sessions: number;
  users: number;
  spanDays: number;
  /** Connected clients (users 0…live-1) listed by the status file at `updatedAt`. */
  live: number;
  updatedAt?: string;
  /** History ends this many seconds before `updatedAt` (default 600). */
  gapS?: number;
  seed?: number;
  /** Replaces the generated history (e.g. with renamed users). */
  mapHistory?: (sessions: Session[]) => Session[];
  /** Replaces the generated clients. */
  mapClients?: (clients: StatusClient[]) => StatusClient[];
}

export interface SyntheticSite {
  paths: SitePaths;
  history: Session[];
  clients: StatusClient[];
  state: CollectorState;
  updatedAt: string;
  seed: number;
}

/**
 * History CSV, the state a collector would have after reading the status file, and that
 * status file: a first `run` sees a steady state (nothing opened or ended) and builds.
 */
export async function writeSyntheticSite(dir: string, o: SyntheticSiteOptions): Promise<SyntheticSite> {
  const paths = sitePaths(dir);
  const seed = o.seed ?? 42;
  const updatedAt = o.updatedAt ?? T0;
  let history =
    o.sessions === 0
      ? []
      : syntheticSessions({
          count: o.sessions,
          users: o.users,
          endAt: plus(updatedAt, -(o.gapS ?? 600)),
          spanDays: o.spanDays,
          seed,
        });
  if (o.mapHistory) history = o.mapHistory(history);
  let clients = syntheticClients({ count: o.live, updatedAt, seed });
  if (o.mapClients) clients = o.mapClients(clients);
  const written = history.length === 0 ? null : await rewriteHistoryChained(paths.history, history);
  const historyBytes = written?.bytes ?? 0;
  // Written as the collector writes it: with the chain's head, so no run has to build it.
  const state = {
    ...syntheticState({ clients, updatedAt, historyBytes, history, seed }),
    chain: written?.chain ?? { head: GENESIS, rows: 0 },
  };
  await writeState(paths.state, state);
  await writeStatusFile(paths.status, clients, updatedAt, seed);
  return { paths, history, clients, state, updatedAt, seed };
}

/**
 * Cron minutes after T0: minute k moves the site's clients on to T0 + k minutes (the k-th
 * entry of `reconnects` of them on new sessions), writes the status file, then calls `run`
 * with that minute's time. Returns the last minute's time.
 */
export async function cronMinutes(
  site: SyntheticSite,
  reconnects: readonly number[],
  run: (at: string, minute: number) => Promise<void>,
): Promise<string> {
  let clients = site.clients;
  let at = T0;
  for (const [i, reconnect] of reconnects.entries()) {
    const minute = i + 1;
    const next = plus(T0, minute * 60);
    clients = advanceClients(clients, { from: at, to: next, reconnect, seed: minute });
    at = next;
    await writeStatusFile(site.paths.status, clients, at, site.seed);
    await run(at, minute);
  }
  return at;
}

/** Every file below `dir`, as sorted '/'-separated relative paths. */
export async function listFiles(dir: string, ext?: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const full = join(d, e.name);
      if (e.isDirectory()) await walk(full);
      else if (ext === undefined || e.name.endsWith(ext)) out.push(relative(dir, full).split(sep).join('/'));
    }
  };
  await walk(dir);
  return out.sort();
}

export interface FileState {
  mtimeMs: number;
  ino: number;
  data: Buffer;
}

/** mtime, inode and bytes of every file below `dir`. */
export async function snapshotFiles(dir: string): Promise<Map<string, FileState>> {
  const snap = new Map<string, FileState>();
  for (const rel of await listFiles(dir)) {
    const full = join(dir, rel);
    const st = await stat(full);
    snap.set(rel, { mtimeMs: st.mtimeMs, ino: st.ino, data: await readFile(full) });
  }
  return snap;
}

export interface SnapshotDiff {
  /** Rewritten (new mtime or inode), whether or not the bytes differ. */
  touched: string[];
  /** Bytes differ. */
  changed: string[];
  added: string[];
  removed: string[];
}

export function diffSnapshots(before: Map<string, FileState>, after: Map<string, FileState>): SnapshotDiff {
  const d: SnapshotDiff = { touched: [], changed: [], added: [], removed: [] };
  for (const [rel, a] of after) {
    const b = before.get(rel);
    if (!b) {
      d.added.push(rel);
      continue;
    }
    if (a.mtimeMs !== b.mtimeMs || a.ino !== b.ino) d.touched.push(rel);
    if (!a.data.equals(b.data)) d.changed.push(rel);
  }
  for (const rel of before.keys()) if (!after.has(rel)) d.removed.push(rel);
  return d;
}

export function parseHtml(html: string): Document {
  return new JSDOM(html).window.document;
}

export async function readHtml(out: string, rel: string): Promise<Document> {
  return parseHtml(await readFile(join(out, rel), 'utf8'));
}

/** A whole page as the builder writes it: what a reader must always get. */
export function isCompleteHtml(text: string): boolean {
  return /^<!doctype html>/i.test(text) && text.trimEnd().endsWith('</html>');
}

/** The output file of a page URL: "/u/x/" → "u/x/index.html". */
export function fileOfUrl(url: string): string {
  return `${url.replace(/^\//, '')}index.html`;
}

/** Calendar day of an instant in `timeZone`, computed here independently of src/core. */
export function dayIn(iso: string, timeZone = TZ): string {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).formatToParts(new Date(iso));
  const get = (type: string): string => parts.find((p) => p.type === type)?.value ?? '??';
  return `${get('year')}-${get('month')}-${get('day')}`;
}

/** The days (in TZ) on which the sessions started, sorted, each once. */
export function daysOf(sessions: { connectedAt: string }[]): string[] {
  return [...new Set(sessions.map((s) => dayIn(s.connectedAt)))].sort();
}

/**
 * The history without the sessions that started on `day`, rewritten as a delete without a
 * journal does: a new history generation, so the next build is a full one. Returns what is kept.
 */
export async function dropDay(paths: SitePaths, history: Session[], day: string): Promise<Session[]> {
  const kept = history.filter((s) => dayIn(s.connectedAt) !== day);
  const bytes = await rewriteHistory(paths.history, kept);
  const state = await readState(paths.state);
  await writeState(paths.state, { ...state, historyBytes: bytes, historyGeneration: state.historyGeneration + 1 });
  return kept;
}

/** The user a client or session is recorded as: username where OpenVPN reports one, else the common name. */
export function userOfClient(c: { commonName: string; username: string | null }): string {
  return c.username ?? c.commonName;
}

/**
 * Every relative link (href, src) in the HTML files below `out` that points at a file or
 * folder that does not exist: "page → target" strings, empty when the site is whole.
 */
export async function brokenLinks(out: string): Promise<string[]> {
  const files = new Set(await listFiles(out));
  const broken: string[] = [];
  for (const rel of files) {
    if (!rel.endsWith('.html')) continue;
    const html = await readFile(join(out, rel), 'utf8');
    const base = new URL(`http://site/${rel}`);
    for (const m of html.matchAll(/\s(?:href|src)="([^"]*)"/g)) {
      const raw = (m[1] as string).replace(/&amp;/g, '&');
      if (raw.startsWith('data:') || raw.startsWith('#')) continue;
      const u = new URL(raw, base);
      if (u.host !== 'site') continue;
      let target = decodeURIComponent(u.pathname.slice(1));
      if (target === '' || target.endsWith('/')) target += 'index.html';
      if (!files.has(target)) broken.push(`${rel} → ${raw}`);
    }
  }
  return broken;
}
