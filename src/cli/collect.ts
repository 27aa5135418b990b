/** `collect`: the command-line door to the collection (src/app/collect.ts). */
import { collect, describeCollect } from '../app/collect.js';
import type { Command } from '../app/command.js';

export const collectCommand: Command = {
  name: 'collect',
  help: `Usage: openvpn-status-web collect [--status [NAME=]FILE]... [--history FILE]

Takes the events that OpenVPN's client-connect/client-disconnect hooks appended to the
hook spool ("openvpn-status-web hook"; config key hookSpool, default
HISTORY.hook-spool.jsonl): their connect and end times are exact and win. Then reads each
status file (retrying torn reads for about a second), records new sessions, ends sessions
that two consecutive status updates no longer list (end = the update time of the last file
that listed them, an estimate), and ends the sessions of a server whose file has not been
updated for --stale-after seconds (reason server-stopped). Ended sessions are appended to
the history CSV; open ones live in HISTORY.state.json. A torn or unreadable status file
changes nothing for its instance (warning, exit 0).`,
  options: {},
  async run(ctx) {
    const outcome = await collect(ctx.settings, ctx.now, ctx.log);
    if (outcome.ok) ctx.log.info(describeCollect(outcome.value)); // busy: warned, exit 0 (the next run catches up)
    return 0;
  },
};
