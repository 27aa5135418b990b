/**
 * The last step of every build: `ledger.json` in the output folder, the anchor of the
 * history's chain (head and row count from the state, the change log's head, the last
 * verify), so copies outside the machine (an auditor's download, nginx's access log) can
 * later prove what existed (`verify --anchor`). Told on stderr with --verbose.
 */
import { basename } from 'node:path';
import { type ChainHead, GENESIS, HEX64, sha256Hex } from '../../core/chain.js';
import type { Settings } from '../../core/settings.js';
import { historyPaths, readState } from '../../io/history-store.js';
import { type Ledger, readVerified } from '../../io/ledger.js';
import { publishFiles } from '../../io/output.js';
import { auditLines, trashPaths } from '../../io/trash.js';
import { LEDGER_ON_PAGE, type LedgerEntryInput, type LedgerInput } from '../../render/ledger-page.js';
import type { Logger } from '../context.js';

export async function publishLedger(settings: Settings, now: string, log: Logger): Promise<Ledger> {
  const state = await readState(historyPaths(settings.history).state);
  const { logHead, logEntries } = await readChangeLog(settings.history, 0);
  const ledger: Ledger = {
    schemaVersion: 1,
    head: state.chain?.head ?? GENESIS,
    rows: state.chain?.rows ?? 0,
    generatedAt: now,
    logHead,
    logEntries,
    lastVerified: await readVerified(settings.history),
  };
  await publishFiles(settings.out, [{ path: 'ledger.json', content: `${JSON.stringify(ledger, null, 1)}\n` }]);
  log.detail(`ledger: head ${ledger.head} at ${ledger.rows} row(s), change log ${logEntries} entr(ies)`);
  return ledger;
}

/** The change log's head and length, and its newest `keep` entries (oldest first). */
async function readChangeLog(
  history: string,
  keep: number,
): Promise<{ logHead: string | null; logEntries: number; newest: LedgerEntryInput[] }> {
  let logHead: string | null = null;
  let logEntries = 0;
  let newest: LedgerEntryInput[] = [];
  for await (const { text, value } of auditLines(trashPaths(history).audit)) {
    logHead = sha256Hex(text);
    logEntries++;
    if (keep === 0) continue;
    newest.push(entryOf(value));
    // Cut in batches, so a long log is not shifted one entry at a time.
    if (newest.length >= 2 * keep) newest = newest.slice(-keep);
  }
  return { logHead, logEntries, newest: newest.slice(-keep) };
}

/** What /ledger/ shows of a change-log line, read field by field: the file may have been edited by hand. */
function entryOf(value: unknown): LedgerEntryInput {
  const v = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  const text = (x: unknown): string => (typeof x === 'string' ? x : '');
  const count = (x: unknown): number => (typeof x === 'number' && Number.isSafeInteger(x) ? x : 0);
  const head = (x: unknown): ChainHead | undefined => {
    const h = (typeof x === 'object' && x !== null ? x : {}) as Record<string, unknown>;
    return typeof h.head === 'string' && HEX64.test(h.head) ? { head: h.head, rows: count(h.rows) } : undefined;
  };
  const before = head(v.before);
  const after = head(v.after);
  return {
    at: text(v.at),
    action: text(v.action),
    user: typeof v.user === 'string' ? v.user : null,
    client: text(v.client),
    ids: Array.isArray(v.ids) ? v.ids.map(text) : [],
    idsOmitted: count(v.idsOmitted),
    count: count(v.count),
    ...(typeof v.reason === 'string' ? { reason: v.reason } : {}),
    ...(before === undefined ? {} : { before }),
    ...(after === undefined ? {} : { after }),
  };
}

/** What /ledger/ shows: the chain head the build read from the state, the last verify and the newest change-log entries. */
export async function ledgerPageInput(settings: Settings, chain: ChainHead | undefined): Promise<LedgerInput> {
  const log = await readChangeLog(settings.history, LEDGER_ON_PAGE);
  return {
    head: chain?.head ?? GENESIS,
    rows: chain?.rows ?? 0,
    verified: await readVerified(settings.history),
    newest: log.newest,
    total: log.logEntries,
    file: basename(trashPaths(settings.history).audit),
  };
}
