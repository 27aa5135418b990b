/** `import-legacy FILE`: the command-line door to src/app/import-legacy.ts. */
import type { Command } from '../app/command.js';
import { importSessions, readLegacy } from '../app/import-legacy.js';
import { UsageError } from '../core/errors.js';

export const importLegacyCommand: Command = {
  name: 'import-legacy',
  help: `Usage: openvpn-status-web import-legacy FILE [--tz ZONE] [--instance NAME] [--history FILE]

Imports the Python tool's CSV (user,public_ip,tunnel_ip,start,end,duration_s; local time
read in --tz) into the history as ended sessions (source "legacy", no byte counts).
Importing twice adds nothing. Bad rows are reported with their line numbers and skipped;
rows without an end (open when the old tool last ran) are skipped, since the collector
records live sessions from the status file. --instance (default "default") names the
OpenVPN instance the rows belong to.`,
  options: { instance: { type: 'string' } },
  async run(ctx) {
    const [file, ...extra] = ctx.positionals;
    if (file === undefined || extra.length > 0) throw new UsageError('import-legacy: expected exactly one FILE');
    const instance = (ctx.values.instance as string | undefined) ?? 'default';
    const { rows, bad, open } = await readLegacy(file, ctx.settings.tz, instance);
    const locked = await importSessions(ctx.settings, ctx.now, rows, ctx.log);
    // Busy (warned): nothing was imported; unlike a cron run nobody retries it, so not 0.
    if (!locked.ok) return 2;
    const added = locked.value;
    for (const b of bad) process.stderr.write(`openvpn-status-web: ${b}\n`);
    ctx.log.info(
      `import-legacy: ${added} imported, ${rows.length - added} already present, ${open} open (skipped), ${bad.length} bad row(s)`,
    );
    return bad.length > 0 ? 2 : 0;
  },
};
