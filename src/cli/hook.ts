/**
 * `hook` in Node: OpenVPN's client-connect and client-disconnect script. Appends one line
 * (the event's variables from OpenVPN's environment) to the hook spool and exits 0 —
 * always: OpenVPN rejects a client whose client-connect script fails, and a bookkeeping
 * problem must never lock anyone out. Whatever goes wrong is one line on stderr, which
 * OpenVPN writes to its log.
 *
 * The installed command does not run this: bin/openvpn-status-web hands `hook` to
 * scripts/openvpn-hook.sh, the same job in POSIX sh with the same flags, with no Node start
 * and no threads (OpenVPN waits for the hook; bench H), and under Debian's openvpn-server@ unit (LimitNPROC=10) as nobody Node cannot
 * start its threads at all. It stays as `node dist/cli.js hook`, tested like the script, and
 * imports nothing heavy.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { encodeJsonLine, eventFromRecord, recordFromEnv, type HookEvent } from '../core/hook-line.js';
import { DEFAULTS, hookSpoolPath, INSTANCE_NAME, validateConfig, type ConfigFile } from '../core/settings.js';
import { appendSpoolLine } from '../io/spool-append.js';
import type { Command } from '../app/command.js';

const HELP = `Usage: openvpn-status-web hook [--instance NAME] [--spool FILE | --config FILE | --history FILE]

For OpenVPN's client-connect and client-disconnect (script-security 2):

  client-connect    "/usr/local/bin/openvpn-status-web hook --instance NAME --config /etc/openvpn-status-web/config.json"
  client-disconnect "/usr/local/bin/openvpn-status-web hook --instance NAME --config /etc/openvpn-status-web/config.json"

Appends one line with the event (common name, username, real address and port, tunnel
addresses, OpenVPN's connect time, and at disconnect the duration and byte counts) to the
hook spool, with one write and fsync, and exits 0 even when that fails (the reason goes to
stderr, i.e. OpenVPN's log), so a client is never rejected or held up by it. "collect" (and
"run") read the spool; the hooks' times are exact, the status file's are estimates.

The installed command runs this hook as a POSIX sh script (scripts/openvpn-hook.sh), not in
Node: it takes a few milliseconds and starts no threads, where the Node hook takes about
0.1 s and cannot start under Debian's openvpn-server@ unit (LimitNPROC=10) as nobody. The
script reads hookSpool and history from the config file with sed: a value with an escape
(\\" \\\\ \\u...) or a key given twice is refused (the event is not recorded; use --spool).
"node PKG/dist/cli.js hook" runs the same hook in Node.

  --instance NAME   the instance this OpenVPN is, as named in --status NAME=FILE (default: default)
  --spool FILE      the spool (default: config key hookSpool, else HISTORY.hook-spool.jsonl)
  --config FILE     the config file whose hookSpool (or history) collect uses too
  --history FILE    the history, when the spool is the default one beside it

The folder of the spool must be writable, and the config file readable, by the user OpenVPN
runs scripts as (after "user nobody": nobody). Arguments OpenVPN appends (client-connect's config file) are ignored.`;

const OPTIONS = {
  instance: { type: 'string' },
  spool: { type: 'string' },
  config: { type: 'string' },
  history: { type: 'string' },
  quiet: { type: 'boolean', short: 'q' },
  verbose: { type: 'boolean', short: 'v' },
} as const;

/** A problem that keeps the event from being recorded; reported as one line. */
class HookError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HookError';
  }
}

const describe = (ev: HookEvent): string =>
  `client-${ev.kind} of ${ev.commonName} (${ev.realAddress}${ev.realPort === null ? '' : `:${ev.realPort}`})`;

function configOf(file: string): ConfigFile {
  let raw: string;
  try {
    raw = readFileSync(file, 'utf8');
  } catch (e) {
    throw new HookError(`--config ${file}: ${(e as Error).message}`);
  }
  try {
    return validateConfig(JSON.parse(raw), file);
  } catch (e) {
    throw new HookError(`--config ${file}: ${(e as Error).message}`);
  }
}

export interface HookOutcome {
  spool: string | null;
  event: HookEvent | null;
  /**
   * The one line for stderr, or null when all went well. Not a Result and not the logger: the
   * hook runs inside OpenVPN with no logger, always exits 0, and this line is all it says.
   */
  problem: string | null;
}

const messageOf = (e: unknown): string =>
  e instanceof HookError ? e.message : `unexpected error: ${e instanceof Error ? e.message : String(e)}`;
const problemLine = (notes: string[]): string | null =>
  notes.length > 0 ? `openvpn-status-web hook: ${notes.join('; ')} (exit 0: OpenVPN goes on)` : null;

/** Instance and spool from the flags; odd flags are noted in `notes`, fatal problems throw HookError. */
function hookTarget(argv: string[], notes: string[]): { instance: string; spool: string } {
  // Lenient: a typo in OpenVPN's config must not cost the event (strict parsing would throw).
  const { values, tokens } = parseArgs({
    args: argv,
    options: OPTIONS,
    allowPositionals: true,
    strict: false,
    tokens: true,
  });
  const unknown = tokens.flatMap((t) => (t.kind === 'option' && !Object.hasOwn(OPTIONS, t.name) ? [t.rawName] : []));
  if (unknown.length > 0) notes.push(`unknown flag(s) ${unknown.join(' ')} ignored`);
  const str = (k: keyof typeof OPTIONS): string | undefined => {
    const v = values[k];
    if (v === true) throw new HookError(`--${k} needs a value`);
    return typeof v === 'string' ? v : undefined;
  };
  const instance = str('instance') ?? 'default';
  if (!INSTANCE_NAME.test(instance))
    throw new HookError(`--instance "${instance}" must be letters, digits, '.', '_' or '-'`);
  const spool = str('spool');
  if (spool !== undefined) return { instance, spool };
  const configFile = str('config');
  const config = configFile === undefined ? {} : configOf(configFile);
  return {
    instance,
    spool: hookSpoolPath({
      history: str('history') ?? config.history ?? DEFAULTS.history,
      hookSpool: config.hookSpool,
    }),
  };
}

/** Appends the event `env` describes to `spool`. Never throws: a failure is in `problem`. */
export function recordEvent(
  instance: string,
  spool: string,
  env: Record<string, string | undefined>,
  nowS: number,
  notes: string[] = [],
): HookOutcome {
  const out: HookOutcome = { spool, event: null, problem: null };
  try {
    const record = recordFromEnv(env, instance, nowS);
    const ev = eventFromRecord(record);
    if (!ev.ok)
      throw new HookError(
        `event not recorded: not an OpenVPN client-connect/client-disconnect environment: ${ev.error}`,
      );
    out.event = ev.value;
    try {
      appendSpoolLine(spool, encodeJsonLine(record));
    } catch (e) {
      throw new HookError(`${describe(ev.value)} not recorded: ${(e as Error).message}`);
    }
  } catch (e) {
    // Everything, expected or not, ends here: the hook reports and OpenVPN carries on.
    notes.unshift(messageOf(e));
  }
  out.problem = problemLine(notes);
  return out;
}

/** The hook as OpenVPN runs it: flags, then the event from `env`. Never throws. */
export function recordHook(argv: string[], env: Record<string, string | undefined>, nowS: number): HookOutcome {
  const notes: string[] = [];
  let target: { instance: string; spool: string };
  try {
    target = hookTarget(argv, notes);
  } catch (e) {
    return { spool: null, event: null, problem: problemLine([`event not recorded: ${messageOf(e)}`, ...notes]) };
  }
  return recordEvent(target.instance, target.spool, env, nowS, notes);
}

function report(outcome: HookOutcome): number {
  if (outcome.problem !== null) process.stderr.write(`${outcome.problem}\n`);
  return 0;
}

export const hookCommand: Command = {
  name: 'hook',
  help: HELP,
  options: OPTIONS,
  // main passes the raw arguments: no usage error or bad config file may make it exit non-zero.
  runRaw: async (argv) => report(recordHook(argv, process.env, Math.floor(Date.now() / 1000))),
  // The same from an already parsed context (main uses runRaw).
  run: async (ctx) => {
    const instance = typeof ctx.values.instance === 'string' ? ctx.values.instance : 'default';
    const spool = typeof ctx.values.spool === 'string' ? ctx.values.spool : hookSpoolPath(ctx.settings);
    return report(recordEvent(instance, spool, process.env, Math.floor(Date.now() / 1000)));
  },
};
