/**
 * `watch`: stays running and does what `run` does (collect, then build, under the lock)
 * soon after a status file changes, for a dashboard that is near-live. The status files'
 * folders are watched rather than the files, since OpenVPN's file may be truncated,
 * replaced by a rename or missing for a while; a run every --fallback seconds catches any
 * event the file system did not report, and stale servers (whose files stop changing).
 */
import { watch, type FSWatcher } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { isExpectedError } from '../core/errors.js';
import type { Settings } from '../core/settings.js';
import { isoFromMs } from '../core/time.js';
import { asFileSystemError, ifMissing } from '../io/fs-errors.js';
import type { Logger } from './context.js';
import { describeRun, run } from './run.js';

export interface WatchOptions {
  /** Quiet time after the last event before a run: OpenVPN writes its file a line at a time. */
  debounceMs: number;
  /** A file written without pause still gets a run this long after its first event. */
  maxDelayMs: number;
  /** A run at least this often, whatever the events. */
  fallbackMs: number;
}

export const WATCH_DEFAULTS: WatchOptions = { debounceMs: 200, maxDelayMs: 1000, fallbackMs: 60_000 };

/** Which file names matter in which folder (absolute folder → base names). */
export function watchedFolders(statusPaths: readonly string[]): Map<string, Set<string>> {
  const folders = new Map<string, Set<string>>();
  for (const path of statusPaths) {
    const full = resolve(path);
    const names = folders.get(dirname(full)) ?? new Set<string>();
    names.add(basename(full));
    folders.set(dirname(full), names);
  }
  return folders;
}

/**
 * How long to wait before a run after an event at `now`, the first event since the last run
 * having come at `firstEventAt`: the debounce, cut short so a run comes no later than
 * maxDelayMs after that first event.
 */
export function runDelayMs(
  now: number,
  firstEventAt: number,
  opts: Pick<WatchOptions, 'debounceMs' | 'maxDelayMs'>,
): number {
  return Math.max(0, Math.min(opts.debounceMs, firstEventAt + opts.maxDelayMs - now));
}

/** What the loop's stages share: the folders, their watchers, the timers and the run's state. */
interface WatchState {
  readonly settings: Settings;
  readonly log: Logger;
  readonly opts: WatchOptions;
  readonly folders: Map<string, Set<string>>;
  readonly watchers: Map<string, { watcher: FSWatcher; ino: number }>;
  /** Folders that could not be watched (warned once, until watched again). */
  readonly unwatchable: Set<string>;
  debounce: NodeJS.Timeout | null;
  fallback: NodeJS.Timeout | null;
  firstEventAt: number | null;
  running: boolean;
  /** A change (or a busy lock) during a run: run once more after it. */
  again: boolean;
  stopped: boolean;
  finish: () => void;
  fail: (e: unknown) => void;
}

/**
 * Runs until `signal` aborts, then finishes the run in progress and resolves. Rejects on an
 * unexpected error (after closing everything): a service manager restarts it.
 */
export async function watchLoop(
  settings: Settings,
  log: Logger,
  opts: WatchOptions,
  signal: AbortSignal,
): Promise<void> {
  const folders = watchedFolders(settings.status.map((s) => s.path));
  let finish: () => void = () => undefined;
  let fail: (e: unknown) => void = () => undefined;
  const done = new Promise<void>((res, rej) => {
    finish = res;
    fail = rej;
  });
  const st: WatchState = {
    settings,
    log,
    opts,
    folders,
    watchers: new Map(),
    unwatchable: new Set(),
    debounce: null,
    fallback: null,
    firstEventAt: null,
    running: false,
    again: false,
    stopped: false,
    finish,
    fail,
  };
  const onAbort = (): void => {
    closeAll(st);
    if (!st.running) st.finish();
  };
  if (signal.aborted) return;
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    await armFolders(st).catch((e: unknown) => {
      closeAll(st); // open watchers would keep the process alive after the error
      throw e;
    });
    log.info(
      `watch: watching ${[...folders.values()].reduce((n, s) => n + s.size, 0)} status file(s) in ${[...folders.keys()].join(', ')}; a run at least every ${opts.fallbackMs / 1000} s`,
    );
    fire(st);
    await done;
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

function closeAll(st: WatchState): void {
  st.stopped = true;
  if (st.debounce) clearTimeout(st.debounce);
  if (st.fallback) clearTimeout(st.fallback);
  for (const w of st.watchers.values()) w.watcher.close();
  st.watchers.clear();
}

/**
 * Watches every folder not watched yet, and again one that was replaced or removed (an
 * inotify watch follows the old folder, which then reports nothing): checked before each
 * run, so at least every --fallback seconds.
 */
async function armFolders(st: WatchState): Promise<void> {
  for (const [dir, names] of st.folders) {
    const found = await stat(dir).catch(ifMissing(null));
    const current = st.watchers.get(dir);
    if (current && found !== null && found.ino === current.ino) continue;
    if (current) {
      current.watcher.close();
      st.watchers.delete(dir);
    }
    if (found === null) {
      cannotWatch(st, dir, 'ENOENT');
      continue;
    }
    watchFolder(st, dir, names, found.ino);
  }
}

function cannotWatch(st: WatchState, dir: string, code: string): void {
  if (!st.unwatchable.has(dir))
    st.log.warn(
      `watch: cannot watch ${dir} (${code}); trying again with each run, every ${st.opts.fallbackMs / 1000} s at least`,
    );
  st.unwatchable.add(dir);
}

/** Starts one folder's watcher; a folder gone or closed to us is warned about, not fatal. */
function watchFolder(st: WatchState, dir: string, names: Set<string>, ino: number): void {
  let w: FSWatcher;
  try {
    w = watch(dir, { persistent: true }, (_event, name) => {
      // Without a name (some file systems) any change in the folder may be ours.
      if (name === null || names.has(name.toString())) trigger(st);
    });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR' && code !== 'EACCES') throw e;
    cannotWatch(st, dir, code);
    return;
  }
  w.on('error', (e) => {
    st.log.warn(`watch: ${dir}: ${(e as Error).message}; watching it again with the next run`);
    w.close();
    if (st.watchers.get(dir)?.watcher === w) st.watchers.delete(dir);
    trigger(st);
  });
  if (st.unwatchable.delete(dir)) st.log.info(`watch: watching ${dir} again`);
  st.watchers.set(dir, { watcher: w, ino });
}

/** An event: (re)starts the debounce, bounded by maxDelayMs after the first event. */
function trigger(st: WatchState): void {
  if (st.stopped) return;
  const now = Date.now();
  st.firstEventAt ??= now;
  if (st.debounce) clearTimeout(st.debounce);
  st.debounce = setTimeout(() => fire(st), runDelayMs(now, st.firstEventAt, st.opts));
}

/** The debounce or the fallback timer went off: a run now, or once more after the one running. */
function fire(st: WatchState): void {
  st.debounce = null;
  st.firstEventAt = null;
  if (st.stopped) return;
  if (st.running) {
    st.again = true;
    return;
  }
  st.running = true;
  if (st.fallback) clearTimeout(st.fallback);
  runOne(st).then(
    () => {
      st.running = false;
      if (st.stopped) return st.finish();
      st.fallback = setTimeout(() => fire(st), st.opts.fallbackMs);
      if (st.again) {
        st.again = false;
        trigger(st);
      }
    },
    (e: unknown) => {
      st.running = false;
      closeAll(st);
      st.fail(e);
    },
  );
}

async function runOne(st: WatchState): Promise<void> {
  await armFolders(st);
  if (st.stopped) return;
  try {
    const started = Date.now();
    const outcome = await run(st.settings, isoFromMs(started), st.log, { keepChartLoaded: true });
    // Another writer held the lock past lockTimeout (warned): try again soon.
    if (!outcome.ok) st.again = true;
    else st.log.info(describeRun(outcome.value, Date.now() - started));
  } catch (caught) {
    // Bad input (a broken history row, say) or a full disk is reported and waited out; anything else ends the watch.
    const e = asFileSystemError(caught) ?? caught;
    if (!isExpectedError(e)) throw e;
    st.log.warn(`watch: run failed: ${e.message}`);
  }
}
