/** `verify [--anchor FILE] [--json]`: the command-line door to src/app/verify.ts. */
import type { Command } from '../app/command.js';
import { localActor } from '../app/chain.js';
import { verifyLocked } from '../app/verify.js';
import { FileSystemError, UsageError } from '../core/errors.js';
import { readAnchor, writeVerified } from '../io/ledger.js';

export const verifyCommand: Command = {
  name: 'verify',
  help: `Usage: openvpn-status-web verify [--anchor FILE] [--json] [--history FILE]

Recomputes the hash chain over the history, its yearly archives, the trash and the change
log (HISTORY.audit.jsonl). Exit 0 when everything is intact; 1 naming the first place that
breaks (file, line, reason) and every later one; 2 on bad input, or when another process
holds the history's lock past lockTimeout (verify reads under it). --anchor FILE checks an
older ledger.json (kept outside this machine): its head must still be on the chain at its
row count, or have been moved off it by a change the change log records. --json prints
{"schemaVersion": 1, "ok", "rows", "head", "problems": [{"file", "line", "reason"}]}.
The outcome is kept in HISTORY.verified.json for the ledger (when the file can be written).`,
  options: { anchor: { type: 'string' }, json: { type: 'boolean' } },
  async run(ctx) {
    if (ctx.positionals.length > 0) throw new UsageError('verify: no arguments expected (see --help)');
    const file = ctx.values.anchor as string | undefined;
    const anchor = file === undefined ? null : { anchor: await readAnchor(file), file };
    const verified = await verifyLocked(ctx.settings, anchor, ctx.log);
    // Not checked: neither intact nor broken (the warning names who holds the lock).
    if (!verified.ok) return 2;
    const report = verified.value;
    try {
      const { user } = localActor();
      await writeVerified(ctx.settings.history, {
        at: ctx.now,
        ok: report.ok,
        head: report.head,
        rows: report.rows,
        by: user,
      });
    } catch (e) {
      // An auditor may verify a copy they cannot write beside: the verdict still stands.
      if (!(e instanceof FileSystemError)) throw e;
      ctx.log.detail(`verify: could not record the outcome: ${e.message}`);
    }
    if (ctx.values.json === true) process.stdout.write(`${JSON.stringify(report, null, 1)}\n`);
    else {
      for (const p of report.problems)
        process.stdout.write(`${p.file}${p.line === null ? '' : `:${p.line}`}: ${p.reason}\n`);
      process.stdout.write(
        `verify: ${report.ok ? 'intact' : `${report.problems.length} problem(s)`}: ${report.rows} row(s) in the history, ` +
          `${report.archivedRows} archived, ${report.trashEntries} in the trash, ${report.logEntries} change-log entr(ies); head ${report.head}\n`,
      );
    }
    return report.ok ? 0 : 1;
  },
};
