/**
 * Brings the predecessor's CSV into the history. Idempotent (a session already in the
 * history is skipped); bad rows are reported by line and the good rows imported; open rows
 * are skipped (the collector records live sessions itself).
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { parse } from 'csv-parse';
import { GENESIS } from '../core/chain.js';
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
import { ensureChain, localActor, recordChange } from './chain.js';
import { withHistoryLock } from './lock.js';

/** An import's ids in the change log: the first ones (the history holds them all, source "legacy"). */
const IMPORT_IDS_MAX = 10_000;
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
    const state = await ensureChain(settings, recovered.state, now, log);
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
      const before = state.chain ?? { head: GENESIS, rows: 0 };
      const appended = await appendHistory(paths.history, fresh, (m) => log.warn(m), before.head);
      const after = { head: appended.head, rows: before.rows + fresh.length };
      // Old days get new rows: the generation bump makes the builder start afresh.
      const next = {
        ...state,
        historyBytes: appended.bytes,
        historyGeneration: state.historyGeneration + 1,
        chain: after,
      };
      await writeState(paths.state, next);
      const ids = fresh.map((s) => s.id);
      await recordChange(settings, {
        at: now,
        action: 'import',
        ...localActor(),
        ids: ids.slice(0, IMPORT_IDS_MAX),
        count: ids.length,
        ...(ids.length > IMPORT_IDS_MAX ? { idsOmitted: ids.length - IMPORT_IDS_MAX } : {}),
        before,
        after,
      });
    }
    return fresh.length;
  });
}
