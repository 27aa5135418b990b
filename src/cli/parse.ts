import { readFile } from 'node:fs/promises';
import { decodeFields, latin1Warning } from '../core/decode-fields.js';
import { InputError, UsageError } from '../core/errors.js';
import { parseStatus } from '../core/parse-status.js';
import type { Command } from '../app/command.js';

export const parseCommand: Command = {
  name: 'parse',
  help: `Usage: openvpn-status-web parse FILE [--tz ZONE]

Parses an OpenVPN server status file (status-version 1, 2 or 3, detected from the content)
and prints { schemaVersion, format, title, updatedAt, clients, routes, globalStats } as JSON.
Times without a time_t are read in --tz. A file that is not one complete server status file
(empty, cut without END, client statistics, garbage) prints one line naming the file, line
and reason, and exits 2.`,
  options: {},
  async run(ctx) {
    const [file, ...extra] = ctx.positionals;
    if (file === undefined || extra.length > 0) throw new UsageError('parse: expected exactly one FILE');
    let data: Buffer;
    try {
      data = await readFile(file);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR')
        throw new InputError(file, null, (e as Error).message);
      throw e;
    }
    const { text, latin1Lines } = decodeFields(data);
    if (latin1Lines.length > 0) ctx.log.warn(latin1Warning(file, latin1Lines));
    const snapshot = parseStatus(text, { file, timeZone: ctx.settings.tz });
    process.stdout.write(`${JSON.stringify(snapshot, null, 2)}\n`);
    return 0;
  },
};
