/**
 * Gathers what `doctor` judges (src/core/doctor.ts): file modes and owners, whether this
 * process can really open, read and write each file (tried, not computed from mode bits, so
 * ACLs, read-only mounts and systemd sandboxes count), the status files parsed by the
 * collector's own reader, and how often OpenVPN rewrites them (watched for a bounded time).
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { open, readFile, stat, unlink } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type {
  AliasFacts,
  Attempt,
  CountryDbFacts,
  DoctorFacts,
  FileInfo,
  FsFailure,
  LockFacts,
  StatusFacts,
  StatusWatch,
  WritableFacts,
} from '../core/doctor.js';
import type { Settings } from '../core/settings.js';
import { loadAliases } from './aliases.js';
import { geoDbDetails } from './geoip.js';
import { ifMissing } from './fs-errors.js';
import { historyPaths } from './history-store.js';
import { isProcessAlive, processStartTime } from './process-alive.js';
import { readStatusFile } from './status-reader.js';
import { err, ok } from '../core/result.js';

export interface GatherOptions {
  /** How long to watch the status files for rewrites; 0 skips it. */
  waitMs: number;
  /** Poll period of that watch. */
  pollMs?: number;
  /** Told once before the watch starts (it may take waitMs). */
  onWatchStart?: (ms: number) => void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** An fs error (it has an errno code) as a failed Attempt; anything else is a bug and is rethrown. */
function failed(e: unknown): { ok: false; error: FsFailure } {
  const fsError = e as NodeJS.ErrnoException;
  if (typeof fsError.code !== 'string') throw e;
  return err({ code: fsError.code, message: fsError.message });
}

async function attemptOpen(path: string, flags: 'r' | 'r+'): Promise<Attempt> {
  try {
    const fh = await open(path, flags);
    await fh.close();
    return ok(undefined);
  } catch (e) {
    return failed(e);
  }
}

/** Creates and removes a file in `dir`: the only sure test that a run can write there. */
async function attemptCreateIn(dir: string): Promise<Attempt> {
  const probe = join(dir, `.openvpn-status-web-doctor-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    const fh = await open(probe, 'wx', 0o600);
    await fh.close();
  } catch (e) {
    return failed(e);
  }
  await unlink(probe);
  return ok(undefined);
}

/** uid → name from a passwd/group style file; empty when the file does not exist. */
async function namesById(file: string): Promise<Map<number, string>> {
  const raw = await readFile(file, 'utf8').catch(ifMissing(''));
  const out = new Map<number, string>();
  for (const row of raw.split('\n')) {
    const [name, , id] = row.split(':');
    if (name && id !== undefined && /^\d+$/.test(id)) out.set(Number(id), name);
  }
  return out;
}

interface Names {
  users: Map<number, string>;
  groups: Map<number, string>;
}

async function fileInfo(
  path: string,
  names: Names,
): Promise<{ info: FileInfo | null; isDir: boolean; looked: Attempt }> {
  try {
    const st = await stat(path);
    return {
      info: {
        mode: st.mode,
        uid: st.uid,
        owner: names.users.get(st.uid) ?? null,
        group: names.groups.get(st.gid) ?? null,
        size: st.size,
        mtimeMs: st.mtimeMs,
      },
      isDir: st.isDirectory(),
      looked: ok(undefined),
    };
  } catch (e) {
    return { info: null, isDir: false, looked: failed(e) };
  }
}

/** The nearest existing folder above a missing path, and whether a file can be created there. */
async function creatableIn(path: string): Promise<WritableFacts['creatableIn']> {
  let dir = dirname(resolve(path));
  for (;;) {
    const st = await stat(dir).catch(ifMissing(null));
    if (st !== null)
      return {
        dir,
        write: st.isDirectory()
          ? await attemptCreateIn(dir)
          : err({ code: 'ENOTDIR', message: `${dir} is not a folder` }),
      };
    const up = dirname(dir);
    if (up === dir) return null;
    dir = up;
  }
}

async function writableFile(path: string, names: Names): Promise<WritableFacts> {
  const { info, isDir, looked } = await fileInfo(path, names);
  if (info === null) {
    // ENOTDIR: a file where a folder on its path belongs, which the folder's own check reports.
    if (!looked.ok && looked.error.code !== 'ENOENT' && looked.error.code !== 'ENOTDIR')
      return { path, exists: true, read: looked, write: looked, info: null, creatableIn: null, wrongKind: false };
    return {
      path,
      exists: false,
      read: null,
      write: null,
      info: null,
      creatableIn: await creatableIn(path),
      wrongKind: false,
    };
  }
  if (isDir) return { path, exists: true, read: null, write: null, info, creatableIn: null, wrongKind: true };
  // r+ opens for writing without changing a byte.
  return {
    path,
    exists: true,
    read: await attemptOpen(path, 'r'),
    write: await attemptOpen(path, 'r+'),
    info,
    creatableIn: null,
    wrongKind: false,
  };
}

async function writableFolder(path: string, names: Names): Promise<WritableFacts> {
  const { info, isDir, looked } = await fileInfo(path, names);
  if (info === null) {
    if (!looked.ok && looked.error.code !== 'ENOENT')
      return { path, exists: true, read: null, write: looked, info: null, creatableIn: null, wrongKind: false };
    return {
      path,
      exists: false,
      read: null,
      write: null,
      info: null,
      creatableIn: await creatableIn(path),
      wrongKind: false,
    };
  }
  if (!isDir) return { path, exists: true, read: null, write: null, info, creatableIn: null, wrongKind: true };
  return {
    path,
    exists: true,
    read: null,
    write: await attemptCreateIn(path),
    info,
    creatableIn: null,
    wrongKind: false,
  };
}

async function statusFacts(instance: string, path: string, settings: Settings, names: Names): Promise<StatusFacts> {
  const { info, looked } = await fileInfo(path, names);
  if (info === null) return { instance, path, info: null, statError: looked, read: null, parse: null, watch: null };
  const read = await attemptOpen(path, 'r');
  let parse: StatusFacts['parse'] = null;
  if (read.ok) {
    // The collector's own reader, torn-read retries included: doctor sees what a run would see.
    const r = await readStatusFile(path, { timeZone: settings.tz });
    if (r.ok)
      parse = ok({
        format: r.value.snapshot.format,
        updatedAt: r.value.snapshot.updatedAt,
        clients: r.value.snapshot.clients.length,
      });
    else if (r.error.kind === 'unreadable') parse = err(r.error.reason);
  }
  return { instance, path, info, statError: looked, read, parse, watch: null };
}

/**
 * Watches the files' mtimes until each was rewritten twice or `waitMs` passed. OpenVPN
 * rewrites a file a line at a time, so an mtime is taken once it stood still for a poll.
 */
export async function watchRewrites(
  paths: { path: string; mtimeMs: number }[],
  waitMs: number,
  pollMs = 100,
): Promise<StatusWatch[]> {
  const started = Date.now();
  const tracks = paths.map((p) => ({
    path: p.path,
    mtimes: [p.mtimeMs],
    pending: null as number | null,
    wentMissing: false,
  }));
  const done = () => tracks.every((t) => t.mtimes.length >= 3);
  while (!done() && Date.now() - started < waitMs) {
    await sleep(pollMs);
    for (const t of tracks) {
      const st = await stat(t.path).catch(ifMissing(null));
      if (st === null) {
        t.wentMissing = true;
        t.pending = null;
        continue;
      }
      if (st.mtimeMs === t.mtimes[t.mtimes.length - 1]) {
        t.pending = null;
      } else if (st.mtimeMs === t.pending) {
        t.mtimes.push(st.mtimeMs);
        t.pending = null;
      } else {
        t.pending = st.mtimeMs;
      }
    }
  }
  const watchedMs = Date.now() - started;
  return tracks.map((t) => ({ watchedMs, mtimes: t.mtimes, wentMissing: t.wentMissing }));
}

async function lockFacts(path: string): Promise<LockFacts> {
  let raw: string | null;
  try {
    raw = await readFile(path, 'utf8').catch(ifMissing(null));
  } catch (e) {
    return { path, held: 'unknown', reason: failed(e).error.code };
  }
  if (raw === null) return { path, held: false };
  const st = await stat(path).catch(ifMissing(null));
  if (st === null) return { path, held: false }; // released between the two looks
  const ageMs = Math.max(0, Date.now() - st.mtimeMs);
  let owner: { pid: number; host: string; start: string | null } | null = null;
  try {
    const o = JSON.parse(raw) as { pid?: unknown; host?: unknown; start?: unknown };
    if (typeof o.pid === 'number' && typeof o.host === 'string')
      owner = { pid: o.pid, host: o.host, start: typeof o.start === 'string' ? o.start : null };
  } catch (e) {
    if (!(e instanceof SyntaxError)) throw e; // being written, or torn: no owner to name
  }
  if (owner === null) return { path, held: true, ageMs, owner: null, sameHost: false, alive: null, command: null };
  const sameHost = owner.host === hostname();
  let alive: boolean | null = null;
  let command: string | null = null;
  if (sameHost) {
    const start = isProcessAlive(owner.pid) ? processStartTime(owner.pid) : null;
    // A live pid with another start time is a reused pid: the owner is gone.
    alive = isProcessAlive(owner.pid) && !(owner.start !== null && start !== null && start !== owner.start);
    if (alive) command = await commandLine(owner.pid);
  }
  return { path, held: true, ageMs, owner: { pid: owner.pid, host: owner.host }, sameHost, alive, command };
}

async function commandLine(pid: number): Promise<string | null> {
  try {
    const raw = await readFile(`/proc/${pid}/cmdline`, 'utf8');
    return raw.split('\0').filter(Boolean).join(' ') || null;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ESRCH' || code === 'EACCES') return null; // gone, or not ours to see
    throw e;
  }
}

async function aliasFacts(path: string): Promise<AliasFacts> {
  let exists: boolean;
  try {
    exists = (await stat(path).catch(ifMissing(null))) !== null;
  } catch (e) {
    return {
      path,
      exists: true,
      count: 0,
      problem: `${path}: cannot be looked at (${failed(e).error.code}); building without aliases`,
    };
  }
  if (!exists) return { path, exists, count: 0, problem: null };
  // Doctor reports the problem as a finding, not as a warning of its own.
  let problem: string | null = null;
  const aliases = await loadAliases(path, (m) => (problem = m));
  return { path, exists, count: Object.keys(aliases).length, problem };
}

export async function gatherDoctorFacts(settings: Settings, opts: GatherOptions): Promise<DoctorFacts> {
  const names: Names = { users: await namesById('/etc/passwd'), groups: await namesById('/etc/group') };
  const uid = process.getuid?.() ?? -1;
  const gid = process.getgid?.() ?? -1;
  const runAs = { uid, user: names.users.get(uid) ?? `uid ${uid}`, group: names.groups.get(gid) ?? String(gid) };
  const paths = historyPaths(settings.history);
  const status = await Promise.all(settings.status.map((s) => statusFacts(s.instance, s.path, settings, names)));
  // Ages are judged as of the reads, not after the watch below.
  const nowMs = Date.now();
  const watchable = status.filter((s): s is StatusFacts & { info: FileInfo } => s.info !== null);
  if (opts.waitMs > 0 && watchable.length > 0) {
    opts.onWatchStart?.(opts.waitMs);
    const watches = await watchRewrites(
      watchable.map((s) => ({ path: s.path, mtimeMs: s.info.mtimeMs })),
      opts.waitMs,
      opts.pollMs,
    );
    watchable.forEach((s, i) => {
      s.watch = watches[i] ?? null;
    });
  }
  return {
    nowMs,
    runAs,
    nodeVersion: process.version,
    staleAfterS: settings.staleAfter,
    lockTimeoutS: settings.lockTimeout,
    tz: settings.tz,
    status,
    history: await writableFile(paths.history, names),
    state: await writableFile(paths.state, names),
    historyFolder: await writableFolder(dirname(resolve(paths.history)), names),
    out: await writableFolder(settings.out, names),
    lock: await lockFacts(paths.lock),
    aliases: await aliasFacts(settings.aliases),
    countryDb: await countryDbFacts(),
  };
}

async function countryDbFacts(): Promise<CountryDbFacts> {
  try {
    const { info, built } = await geoDbDetails();
    return { ok: true, package: info.package, version: info.version, licence: info.licence, built };
  } catch (e) {
    return { ok: false, problem: e instanceof Error ? e.message : String(e) };
  }
}
