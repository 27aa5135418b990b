/** `build`: the command-line door to the build (src/app/build.ts). */
import { build, describeBuild } from '../app/build.js';
import type { Command } from '../app/command.js';

export const buildCommand: Command = {
  name: 'build',
  help: `Usage: openvpn-status-web build [--history FILE] [--out DIR] [--aliases FILE] [--tz ZONE] [--lang de|en]

Renders the dashboard, the history views (every user × all/active/ended, by day and by
month), the user pages and the archive into --out. Incremental: only new history is read
and only changed pages are rewritten, each atomically (nginx never sees a half-written
file). Its cache lives in HISTORY.cache/ and may be deleted at any time.`,
  options: {},
  async run(ctx) {
    const outcome = await build(ctx.settings, ctx.now, ctx.log, { fullBuildWorker: true });
    if (outcome.ok) ctx.log.info(describeBuild(outcome.value)); // busy: warned, exit 0 (the next run catches up)
    return 0;
  },
};
