/**
 * The last step of every build: `ledger.json` in the output folder, the anchor of the
 * history's chain (head and row count from the state, the change log's head, the last
 * verify), so copies outside the machine (an auditor's download, nginx's access log) can
 * later prove what existed (`verify --anchor`). Told on stderr with --verbose.
 */
import { GENESIS, sha256Hex } from '../../core/chain.js';
import type { Settings } from '../../core/settings.js';
import { historyPaths, readState } from '../../io/history-store.js';
import { type Ledger, readVerified } from '../../io/ledger.js';
import { publishFiles } from '../../io/output.js';
import { auditLines, trashPaths } from '../../io/trash.js';
import type { Logger } from '../context.js';

export async function publishLedger(settings: Settings, now: string, log: Logger): Promise<Ledger> {
  const state = await readState(historyPaths(settings.history).state);
  let logHead: string | null = null;
  let logEntries = 0;
  for await (const { text } of auditLines(trashPaths(settings.history).audit)) {
    logHead = sha256Hex(text);
    logEntries++;
  }
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
