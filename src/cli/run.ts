/** `run` = `collect` then `build`, under one hold of the history lock: the cron command. */
import type { Settings } from '../core/settings.js';
import { buildLocked, describeBuild, type BuildOptions, type BuildOutcome } from './build.js';
import { collectLocked, describeCollect, type CollectOutcome } from './collect.js';
import type { Command } from './command.js';
import type { Logger } from './context.js';
import { withHistoryLock } from './lock.js';

export async function runOnce(settings: Settings, now: string, log: Logger, opts: BuildOptions = {}): Promise<{ collected: CollectOutcome; built: BuildOutcome } | null> {
  return withHistoryLock(settings, log, 'run', async () => {
    const collected = await collectLocked(settings, now, log);
    const built = await buildLocked(settings, now, log, opts);
    return { collected, built };
  });
}

/** The one line a run prints on stderr: sessions new, ended and active, pages, and the time it took (lock wait included). */
export function describeRun(o: { collected: CollectOutcome; built: BuildOutcome }, ms: number): string {
  return `${describeCollect(o.collected)}; ${describeBuild(o.built)}; run: ${ms} ms`;
}

export const runCommand: Command = {
  name: 'run',
  help: `Usage: openvpn-status-web run [--status [NAME=]FILE]... [--history FILE] [--out DIR] [--quiet]

Does "collect" and then "build" while holding the history's lock once, so the pages always
show what was just recorded. Put it in cron or a systemd timer, every minute:

  * * * * * root /usr/local/bin/openvpn-status-web run --config /etc/openvpn-status-web/config.json --quiet

The package's scripts/cron/ and scripts/systemd/ hold the complete crontab line and units.

A run that cannot get the lock (another one still busy) exits 0 with a message.

It prints one line on stderr (new, ended and active sessions, pages written, times);
--quiet leaves only warnings and errors, --verbose adds detail. "watch" does the same
within a second of each status file change.`,
  options: {},
  async run(ctx) {
    const started = Date.now();
    const outcome = await runOnce(ctx.settings, ctx.now, ctx.log);
    if (outcome) ctx.log.info(describeRun(outcome, Date.now() - started));
    return 0;
  },
};
