/**
 * Deletes and restores sessions through the endpoint's operations in an endless loop, for
 * the kill -9 test of chained edits (test/cli/chain-edit-crash.test.ts). Args: a JSON of the
 * site's settings, then the ids to work on.
 */
import { historyOps } from '../../../src/app/history-edit.js';

const [settingsJson, ...ids] = process.argv.slice(2);
const settings = JSON.parse(settingsJson as string);
const log = { info: () => undefined, detail: () => undefined, warn: (m: string) => process.stderr.write(`${m}\n`) };
const ops = historyOps({ settings, log });
const actor = { user: 'alice', client: '127.0.0.1', reason: 'crash test' };
process.stdout.write('ready\n');
for (let i = 0; ; i++) {
  const id = ids[i % ids.length] as string;
  const other = ids[(i + 3) % ids.length] as string;
  await ops.deleteSessions([id, other], actor);
  await ops.restoreSessions([id], actor);
}
