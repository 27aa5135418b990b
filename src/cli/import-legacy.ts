/**
 * `import-legacy FILE`: brings the predecessor's CSV into the history. Idempotent (a
 * session already in the history is skipped); bad rows are reported by line and the good
 * rows imported; open rows are skipped (the collector records live sessions itself).
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { parse } from 'csv-parse';
import { InputError, UsageError } from '../core/errors.js';
import { checkLegacyHeader, sessionFromLegacy } from '../core/legacy.js';
import type { Session } from '../core/session.js';
import { appendHistory, historyPaths, readHistory, readState, recoverHistory, writeState } from '../io/history-store.js';
import { ifMissing } from '../io/fs-errors.js';
import type { Command } from '../app/command.js';
import { withHistoryLock } from '../app/lock.js';
import { progressBar } from '../app/progress.js';

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
    const st = await stat(file).catch(ifMissing(null));
    if (!st) throw new InputError(file, null, 'no such file');
    const show = progressBar('import-legacy', st.size, 1_000_000);
    const rows: Session[] = [];
    const bad: string[] = [];
    let open = 0;
    const parser = createReadStream(file).pipe(
      parse({ columns: (h: string[]) => (checkLegacyHeader(h, file), h), bom: true, info: true, skip_empty_lines: true, relax_column_count: true }),
    );
    try {
      for await (const item of parser as AsyncIterable<{ record: Record<string, string>; info: { lines: number; bytes: number } }>) {
        show(item.info.bytes);
        try {
          const s = sessionFromLegacy(item.record, file, item.info.lines, ctx.settings.tz, instance);
          if (s) rows.push(s);
          else open++;
        } catch (e) {
          if (!(e instanceof InputError)) throw e;
          bad.push(e.message);
        }
      }
    } catch (e) {
      if (e instanceof InputError) throw e;
      const lines = (e as { lines?: number }).lines;
      if (typeof lines === 'number') throw new InputError(file, lines, (e as Error).message);
      throw e;
    }
    show(st.size);
    const paths = historyPaths(ctx.settings.history);
    const locked = await withHistoryLock(ctx.settings, ctx.log, 'import-legacy', async () => {
      const recovered = await recoverHistory(paths.history, await readState(paths.state), ctx.now, ctx.log.warn);
      const known = new Set<string>();
      for await (const s of readHistory(paths.history, { warn: (m) => ctx.log.warn(m) })) known.add(s.id);
      const fresh: Session[] = [];
      for (const s of rows.sort((a, b) => (a.connectedAt < b.connectedAt ? -1 : a.connectedAt > b.connectedAt ? 1 : 0))) {
        if (known.has(s.id)) continue;
        known.add(s.id);
        fresh.push(s);
      }
      if (fresh.length > 0) {
        const state = recovered.state;
        // Old days get new rows: the generation bump makes the builder start afresh.
        state.historyBytes = (await appendHistory(paths.history, fresh, (m) => ctx.log.warn(m))).bytes;
        state.historyGeneration += 1;
        await writeState(paths.state, state);
      }
      return fresh.length;
    });
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
