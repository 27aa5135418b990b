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
import { isExpectedError, UsageError } from '../core/errors.js';
import type { Settings } from '../core/settings.js';
import { isoFromMs } from '../core/time.js';
import { asFileSystemError, ifMissing } from '../io/fs-errors.js';
import type { Command } from '../app/command.js';
import type { Logger } from '../app/context.js';
import { describeRun, runOnce } from '../app/run.js';

export interface WatchOptions {
  /** Quiet time after the last event before a run: OpenVPN writes its file a line at a time. */
  debounceMs: number;
  /** A file written without pause still gets a run this long after its first event. */
  maxDelayMs: number;
  /** A run at least this often, whatever the events. */
  fallbackMs: number;
}

export const WATCH_DEFAULTS: WatchOptions = { debounceMs: 200, maxDelayMs: 1000, fallbackMs: 60_000 };

/**
 * Runs until `signal` aborts, then finishes the run in progress and resolves. Rejects on an
 * unexpected error (after closing everything): a service manager restarts it.
 */
export async function watchLoop(settings: Settings, log: Logger, opts: WatchOptions, signal: AbortSignal): Promise<void> {
  // Which file names matter in which folder.
  const folders = new Map<string, Set<string>>();
  for (const s of settings.status) {
    const full = resolve(s.path);
    const names = folders.get(dirname(full)) ?? new Set<string>();
    names.add(basename(full));
    folders.set(dirname(full), names);
  }
  const watchers = new Map<string, { watcher: FSWatcher; ino: number }>();
  const unwatchable = new Set<string>();
  let debounce: NodeJS.Timeout | null = null;
  let fallback: NodeJS.Timeout | null = null;
  let firstEventAt: number | null = null;
  let running = false;
  let again = false;
  let stopped = false;
  let fail: (e: unknown) => void = () => undefined;
  let finish: () => void = () => undefined;
  const done = new Promise<void>((res, rej) => {
    finish = res;
    fail = rej;
  });

  const closeAll = (): void => {
    stopped = true;
    if (debounce) clearTimeout(debounce);
    if (fallback) clearTimeout(fallback);
    for (const w of watchers.values()) w.watcher.close();
    watchers.clear();
  };

  /**
   * Watches every folder not watched yet, and again one that was replaced or removed (an
   * inotify watch follows the old folder, which then reports nothing): checked before each
   * run, so at least every --fallback seconds.
   */
  const arm = async (): Promise<void> => {
    for (const [dir, names] of folders) {
      const st = await stat(dir).catch(ifMissing(null));
      const current = watchers.get(dir);
      if (current && st !== null && st.ino === current.ino) continue;
      if (current) {
        current.watcher.close();
        watchers.delete(dir);
      }
      const cannot = (code: string): void => {
        if (!unwatchable.has(dir)) log.warn(`watch: cannot watch ${dir} (${code}); trying again with each run, every ${opts.fallbackMs / 1000} s at least`);
        unwatchable.add(dir);
      };
      if (st === null) {
        cannot('ENOENT');
        continue;
      }
      let w: FSWatcher;
      try {
        w = watch(dir, { persistent: true }, (_event, name) => {
          // Without a name (some file systems) any change in the folder may be ours.
          if (name === null || names.has(name.toString())) trigger();
        });
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code !== 'ENOENT' && code !== 'ENOTDIR' && code !== 'EACCES') throw e;
        cannot(code);
        continue;
      }
      w.on('error', (e) => {
        log.warn(`watch: ${dir}: ${(e as Error).message}; watching it again with the next run`);
        w.close();
        if (watchers.get(dir)?.watcher === w) watchers.delete(dir);
        trigger();
      });
      if (unwatchable.delete(dir)) log.info(`watch: watching ${dir} again`);
      watchers.set(dir, { watcher: w, ino: st.ino });
    }
  };

  const trigger = (): void => {
    if (stopped) return;
    const now = Date.now();
    firstEventAt ??= now;
    if (debounce) clearTimeout(debounce);
    debounce = setTimeout(fire, Math.max(0, Math.min(opts.debounceMs, firstEventAt + opts.maxDelayMs - now)));
  };

  const fire = (): void => {
    debounce = null;
    firstEventAt = null;
    if (stopped) return;
    if (running) {
      again = true; // a change during a run: run once more after it
      return;
    }
    running = true;
    if (fallback) clearTimeout(fallback);
    runOne().then(
      () => {
        running = false;
        if (stopped) return finish();
        fallback = setTimeout(fire, opts.fallbackMs);
        if (again) {
          again = false;
          trigger();
        }
      },
      (e: unknown) => {
        running = false;
        closeAll();
        fail(e);
      },
    );
  };

  const runOne = async (): Promise<void> => {
    await arm();
    if (stopped) return;
    try {
      const started = Date.now();
      const outcome = await runOnce(settings, isoFromMs(started), log, { keepChartLoaded: true });
      // null: another writer held the lock past lockTimeout (warned); try again soon.
      if (outcome === null) again = true;
      else log.info(describeRun(outcome, Date.now() - started));
    } catch (caught) {
      // Bad input (a broken history row, say) or a full disk is reported and waited out; anything else ends the watch.
      const e = asFileSystemError(caught) ?? caught;
      if (!isExpectedError(e)) throw e;
      log.warn(`watch: run failed: ${e.message}`);
    }
  };

  const onAbort = (): void => {
    closeAll();
    if (!running) finish();
  };
  if (signal.aborted) return;
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    await arm().catch((e: unknown) => {
      closeAll(); // open watchers would keep the process alive after the error
      throw e;
    });
    log.info(`watch: watching ${[...folders.values()].reduce((n, s) => n + s.size, 0)} status file(s) in ${[...folders.keys()].join(', ')}; a run at least every ${opts.fallbackMs / 1000} s`);
    fire();
    await done;
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

function seconds(flag: unknown, name: string, min: number, fallback: number): number {
  if (flag === undefined) return fallback;
  const n = Number(flag);
  if (typeof flag !== 'string' || !Number.isFinite(n) || n < min) throw new UsageError(`${name}: must be a number of seconds, at least ${min}`);
  return n;
}

export const watchCommand: Command = {
  name: 'watch',
  help: `Usage: openvpn-status-web watch [--config FILE] [flags] [--fallback SECONDS]

Keeps running and does what "run" does (collect, then build, under the history's lock)
within about a second of a change to a status file, for a near-live dashboard; use it
instead of the cron job or timer, not with it (both would work, under the lock, but twice).
The status files' folders are watched, so a file that is truncated, replaced by a rename
or missing for a while is picked up again; a run also happens every --fallback seconds,
which notices stopped servers (their files stop changing) and changes the file system did
not report. SIGINT or SIGTERM stop it once the run in progress is done (exit 0).
scripts/systemd/openvpn-status-web-watch.service runs it as a service.

  --fallback SECONDS   a run at least this often (default 60, at least 1)

Each run prints one line on stderr (like "run"); --quiet leaves only warnings.`,
  options: { fallback: { type: 'string' } },
  async run(ctx) {
    if (ctx.positionals.length > 0) throw new UsageError(`watch: unexpected argument "${ctx.positionals[0]}"`);
    if (ctx.values.now !== undefined) throw new UsageError('watch: --now cannot be used; every run uses the clock');
    const opts: WatchOptions = { ...WATCH_DEFAULTS, fallbackMs: seconds(ctx.values.fallback, '--fallback', 1, WATCH_DEFAULTS.fallbackMs / 1000) * 1000 };
    const stop = new AbortController();
    const onSignal = (sig: NodeJS.Signals): void => {
      ctx.log.info(`watch: ${sig}, stopping after the run in progress`);
      stop.abort();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    try {
      await watchLoop(ctx.settings, ctx.log, opts, stop.signal);
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    ctx.log.info('watch: stopped');
    return 0;
  },
};
