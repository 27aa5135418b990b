/** `watch`: the command-line door to the watch loop (src/app/watch.ts). */
import type { Command } from '../app/command.js';
import { WATCH_DEFAULTS, watchLoop, type WatchOptions } from '../app/watch.js';
import { UsageError } from '../core/errors.js';

function seconds(flag: unknown, name: string, min: number, fallback: number): number {
  if (flag === undefined) return fallback;
  const n = Number(flag);
  if (typeof flag !== 'string' || !Number.isFinite(n) || n < min)
    throw new UsageError(`${name}: must be a number of seconds, at least ${min}`);
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
    const opts: WatchOptions = {
      ...WATCH_DEFAULTS,
      fallbackMs: seconds(ctx.values.fallback, '--fallback', 1, WATCH_DEFAULTS.fallbackMs / 1000) * 1000,
    };
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
