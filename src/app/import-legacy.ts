/**
 * Brings the predecessor's CSV into the history. Idempotent (a session already in the
 * history is skipped); bad rows are reported by line and the good rows imported; open rows
 * are skipped (the collector records live sessions itself).
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { parse } from 'csv-parse';
import { InputError } from '../core/errors.js';
import { checkLegacyHeader, legacyRecord, sessionFromLegacy } from '../core/legacy.js';
import type { Session } from '../core/session.js';
import type { Settings } from '../core/settings.js';
import { ifMissing } from '../io/fs-errors.js';
import {
  appendHistory,
  historyPaths,
  readHistory,
  readState,
  recoverHistory,
  writeState,
} from '../io/history-store.js';
import type { LockBusy, Result } from '../core/result.js';
import type { Logger } from './context.js';
import { withHistoryLock } from './lock.js';
import { progressBar } from './progress.js';

export interface LegacyRows {
  /** Ended sessions read from the file. */
  rows: Session[];
  /** One message per bad row (file, line, reason). */
  bad: string[];
  /** Rows without an end. */
  open: number;
}

/** Reads the predecessor's CSV; a bad row is reported and skipped, a bad header or broken CSV is an InputError. */
export async function readLegacy(file: string, timeZone: string, instance: string): Promise<LegacyRows> {
  const st = await stat(file).catch(ifMissing(null));
  if (!st) throw new InputError(file, null, 'no such file');
  const show = progressBar('import-legacy', st.size, 1_000_000);
  const out: LegacyRows = { rows: [], bad: [], open: 0 };
  // Rows as lists, not by column: a row with the wrong field count is then told apart.
  const parser = createReadStream(file).pipe(
    parse({ bom: true, info: true, skip_empty_lines: true, relax_column_count: true }),
  );
  let header: string[] | null = null;
  try {
    for await (const item of parser as AsyncIterable<{ record: string[]; info: { lines: number; bytes: number } }>) {
      show(item.info.bytes);
      if (header === null) {
        checkLegacyHeader(item.record, file);
        header = item.record;
        continue;
      }
      try {
        const record = legacyRecord(header, item.record, file, item.info.lines);
        const s = sessionFromLegacy(record, file, item.info.lines, timeZone, instance);
        if (s) out.rows.push(s);
        else out.open++;
      } catch (e) {
        if (!(e instanceof InputError)) throw e;
        out.bad.push(e.message);
      }
    }
  } catch (e) {
    if (e instanceof InputError) throw e;
    const lines = (e as { lines?: number }).lines;
    if (typeof lines === 'number') throw new InputError(file, lines, (e as Error).message);
    throw e;
  }
  show(st.size);
  return out;
}

/** Appends the sessions the history does not hold yet, in connect order, under the lock; returns how many. */
export async function importSessions(
  settings: Settings,
  now: string,
  rows: Session[],
  log: Logger,
): Promise<Result<number, LockBusy>> {
  const paths = historyPaths(settings.history);
  return withHistoryLock(settings, log, 'import-legacy', async () => {
    const recovered = await recoverHistory(paths.history, await readState(paths.state), now, log.warn);
    const known = new Set<string>();
    for await (const s of readHistory(paths.history, { warn: (m) => log.warn(m) })) known.add(s.id);
    const fresh: Session[] = [];
    for (const s of [...rows].sort((a, b) =>
      a.connectedAt < b.connectedAt ? -1 : a.connectedAt > b.connectedAt ? 1 : 0,
    )) {
      if (known.has(s.id)) continue;
      known.add(s.id);
      fresh.push(s);
    }
    if (fresh.length > 0) {
      const state = recovered.state;
      // Old days get new rows: the generation bump makes the builder start afresh.
      state.historyBytes = (await appendHistory(paths.history, fresh, (m) => log.warn(m))).bytes;
      state.historyGeneration += 1;
      await writeState(paths.state, state);
    }
    return fresh.length;
  });
}
