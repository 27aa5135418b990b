/**
 * What every command gets: its parsed flags, the resolved settings, `now`, and a logger.
 * Flags override the config file, which overrides the defaults.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from '../core/errors.js';
import { resolveSettings, validateConfig, type ConfigFile, type Settings } from '../core/settings.js';
import { isoFromMs, normaliseInstant } from '../core/time.js';
import { ifMissing } from '../io/fs-errors.js';

type Options = NonNullable<ParseArgsConfig['options']>;

export const COMMON_OPTIONS: Options = {
  config: { type: 'string' },
  status: { type: 'string', multiple: true },
  history: { type: 'string', multiple: true },
  aliases: { type: 'string' },
  out: { type: 'string' },
  now: { type: 'string' },
  tz: { type: 'string' },
  lang: { type: 'string' },
  'stale-after': { type: 'string' },
  quiet: { type: 'boolean', short: 'q' },
  verbose: { type: 'boolean', short: 'v' },
  help: { type: 'boolean', short: 'h' },
};

export const COMMON_HELP = `Common flags (every command accepts them, ignoring those it does not need):
  --config FILE          JSON config file (see config.example.json); flags override it
  --status [NAME=]FILE   an OpenVPN status file, repeatable; a bare path is instance "default"
                         (default /var/log/openvpn-status.log)
  --history FILE         session history CSV (default /var/log/openvpn-sessions.csv);
                         build and run take several: the first is this host's, the others
                         (copied from other hosts) are merged into the site
                         FILE.state.json and FILE.lock live beside it
  --aliases FILE         JSON object user -> alias (default /var/log/openvpn-aliases.json)
  --out DIR              output folder for the site (default /var/www/openvpn-status-web)
  --now ISO              pretend it is this instant (tests, replays)
  --tz ZONE              IANA zone for times without an offset and for display (default: system)
  --lang de|en           language of pages and exports (default de)
  --stale-after SECONDS  a status file not updated for this long means the server stopped (default 300)
  -q, --quiet            print only warnings and errors
  -v, --verbose          print more detail
  -h, --help             this help`;

export interface Logger {
  info(msg: string): void;
  detail(msg: string): void;
  warn(msg: string): void;
}

export interface Context {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
  settings: Settings;
  now: string;
  log: Logger;
}

export function systemTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

export async function loadConfig(file: string | undefined): Promise<ConfigFile> {
  if (file === undefined) return {};
  const raw = await readFile(file, 'utf8').catch(ifMissing(null));
  if (raw === null) throw new UsageError(`--config: ${file} does not exist`);
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch (e) {
    throw new UsageError(`${file}: not valid JSON: ${(e as Error).message}`);
  }
  return validateConfig(data, file);
}

export async function makeContext(argv: string[], own: Options, name: string): Promise<Context> {
  let parsed: { values: Record<string, unknown>; positionals: string[] };
  try {
    parsed = parseArgs({ args: argv, options: { ...COMMON_OPTIONS, ...own }, allowPositionals: true, strict: true });
  } catch (e) {
    if (e instanceof TypeError && 'code' in e && String(e.code).startsWith('ERR_PARSE_ARGS')) {
      throw new UsageError(`${name}: ${e.message} (see "openvpn-status-web ${name} --help")`);
    }
    throw e;
  }
  const values = parsed.values as Context['values'];
  const str = (k: string): string | undefined => (typeof values[k] === 'string' ? (values[k] as string) : undefined);
  const config = await loadConfig(str('config'));
  const histories = (values.history as string[] | undefined) ?? [];
  if (histories.length > 1 && name !== 'build' && name !== 'run') {
    throw new UsageError(`${name}: --history once (only build and run merge several histories)`);
  }
  const settings = resolveSettings(
    {
      status: own.status ? undefined : (values.status as string[] | undefined),
      history: histories[0],
      aliases: str('aliases'),
      out: str('out'),
      tz: str('tz'),
      lang: str('lang'),
      staleAfter: str('stale-after'),
    },
    config,
    str('config') ?? '',
    systemTimeZone,
  );
  if (histories.length > 1) settings.mergeHistories = histories.slice(1);
  let now = isoFromMs(Date.now());
  const nowFlag = str('now');
  if (nowFlag !== undefined) {
    const n = normaliseInstant(nowFlag);
    if (n === null) throw new UsageError(`--now: "${nowFlag}" is not an ISO 8601 instant with Z or an offset`);
    now = n;
  }
  const quiet = values.quiet === true;
  const verbose = values.verbose === true;
  const log: Logger = {
    info: (m) => {
      if (!quiet) process.stderr.write(`${m}\n`);
    },
    detail: (m) => {
      if (verbose) process.stderr.write(`${m}\n`);
    },
    warn: (m) => process.stderr.write(`openvpn-status-web: warning: ${m}\n`),
  };
  return { values, positionals: parsed.positionals, settings, now, log };
}
