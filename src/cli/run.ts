/** `run` = `collect` then `build`, under one hold of the history lock: the cron command. */
import type { Settings } from '../core/settings.js';
import { buildLocked, describeBuild, type BuildOutcome } from './build.js';
import { collectLocked, describeCollect, type CollectOutcome } from './collect.js';
import type { Command } from './command.js';
import type { Logger } from './context.js';
import { withHistoryLock } from './lock.js';

export async function runOnce(settings: Settings, now: string, log: Logger): Promise<{ collected: CollectOutcome; built: BuildOutcome } | null> {
  return withHistoryLock(settings, log, 'run', async () => {
    const collected = await collectLocked(settings, now, log);
    const built = await buildLocked(settings, now, log);
    return { collected, built };
  });
}

export const runCommand: Command = {
  name: 'run',
  help: `Usage: openvpn-status-web run [--status [NAME=]FILE]... [--history FILE] [--out DIR] [--quiet]

Does "collect" and then "build" while holding the history's lock once, so the pages always
show what was just recorded. Put it in cron or a systemd timer, every minute:

  * * * * * root /usr/bin/node /opt/openvpn-status-web/dist/cli.js run --quiet

A run that cannot get the lock (another one still busy) exits 0 with a message.`,
  options: {},
  async run(ctx) {
    const outcome = await runOnce(ctx.settings, ctx.now, ctx.log);
    if (outcome) ctx.log.info(`${describeCollect(outcome.collected)}; ${describeBuild(outcome.built)}`);
    return 0;
  },
};
