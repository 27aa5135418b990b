/** `run`: the command-line door to collect-then-build (src/app/run.ts), the cron command. */
import type { Command } from '../app/command.js';
import { describeRun, run } from '../app/run.js';

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
    // A one-shot process: a full build runs in a worker thread with a capped heap.
    const outcome = await run(ctx.settings, ctx.now, ctx.log, { fullBuildWorker: true });
    // Busy (already warned): exit 0, the next run a minute later catches up.
    if (outcome.ok) ctx.log.info(describeRun(outcome.value, Date.now() - started));
    return 0;
  },
};
