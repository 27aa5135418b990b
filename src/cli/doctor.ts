/** `doctor`: checks everything a run needs on this host and says how to fix what is wrong. */
import { UsageError } from '../core/errors.js';
import { diagnose, formatLines, hasFailure } from '../core/doctor.js';
import { gatherDoctorFacts } from '../io/doctor-facts.js';
import type { Command } from '../app/command.js';

const DEFAULT_WAIT_S = 25;

export const doctorCommand: Command = {
  name: 'doctor',
  help: `Usage: openvpn-status-web doctor [--config FILE] [flags] [--wait SECONDS | --no-wait]

Checks, with the same settings a run would use, and as the user it runs as:
  - each status file: present, readable (OpenVPN creates it 0600), its format and
    status-version, how fresh it is (against staleAfter), and how often OpenVPN rewrites
    it (watched for up to --wait seconds, until two rewrites were seen)
  - the history CSV and its state: readable and writable, or their folder creatable
  - the output folder: writable, or creatable
  - the history lock: free, or who holds it
  - the alias file: valid JSON, when there is one
  - the country database shipped with the package: which version is in use
Each line is OK, WARN or FAIL; every WARN and FAIL says how to fix it. Run it as the
user the cron job or the systemd unit runs as (root, with the shipped ones).

  --wait SECONDS   how long to watch for rewrites (default ${DEFAULT_WAIT_S})
  --no-wait        do not watch (the rewrite interval is not checked)
  -q, --quiet      print only WARN and FAIL lines

Exit codes: 0 no FAIL (warnings allowed), 1 at least one FAIL, 2 bad usage.`,
  options: { wait: { type: 'string' }, 'no-wait': { type: 'boolean' } },
  async run(ctx) {
    if (ctx.positionals.length > 0) throw new UsageError(`doctor: unexpected argument "${ctx.positionals[0]}"`);
    const waitFlag = ctx.values.wait;
    let waitS = DEFAULT_WAIT_S;
    if (typeof waitFlag === 'string') {
      waitS = Number(waitFlag);
      if (!/^\d+(\.\d+)?$/.test(waitFlag) || waitS > 600)
        throw new UsageError('--wait: must be a number of seconds from 0 to 600');
    }
    if (ctx.values['no-wait'] === true) waitS = 0;
    const facts = await gatherDoctorFacts(ctx.settings, {
      waitMs: waitS * 1000,
      onWatchStart: (ms) =>
        ctx.log.info(
          `doctor: watching the status file(s) for up to ${Math.round(ms / 1000)} s to see how often OpenVPN rewrites them (--no-wait skips this)…`,
        ),
    });
    const lines = diagnose(facts);
    const quiet = ctx.values.quiet === true;
    const text = formatLines(lines, quiet);
    if (text !== '') process.stdout.write(`${text}\n`);
    const count = (level: string) => lines.filter((l) => l.level === level).length;
    const summary = `doctor: ${count('OK')} OK, ${count('WARN')} WARN, ${count('FAIL')} FAIL`;
    if (!quiet || hasFailure(lines)) process.stdout.write(`${summary}\n`);
    return hasFailure(lines) ? 1 : 0;
  },
};
