/**
 * Settings: command-line flags over the config file over defaults. Validation is pure and
 * names the offending key; the CLI reads the file and the environment.
 */
import { parseWorkingHours, type WorkingHours } from './anomalies.js';
import { UsageError } from './errors.js';
import { isValidTimeZone } from './time.js';

export interface StatusSource {
  instance: string;
  path: string;
}

export type Lang = 'de' | 'en';

export interface Settings {
  status: StatusSource[];
  history: string;
  aliases: string;
  out: string;
  tz: string;
  lang: Lang;
  /** Seconds after which a status file that was not updated means the server stopped. */
  staleAfter: number;
  /** Seconds to wait for the lock before giving up (exit 0 with a message). */
  lockTimeout: number;
  title: string;
  /** Histories of other hosts (copies) that `build` merges into the site; from extra --history flags only. */
  mergeHistories?: string[];
  /** Sessions that ended longer ago move to a yearly archive CSV; set only when configured (default: keep all). */
  retentionDays?: number;
  /** The endpoint's password file (`serve`); set only when configured. */
  passwd?: string;
  /** The origin the site is served from (`serve` accepts POSTs from it); set only when configured. */
  publicOrigin?: string;
  /** The spool OpenVPN's client-connect/-disconnect hooks append to; set only when configured (default: hookSpoolPath). */
  hookSpool?: string;
  /** Sessions that start outside these hours (in `tz`) are flagged `off-hours`; set only when configured (default: off). */
  workingHours?: WorkingHours;
  /** Users that share their account on purpose: never flagged `overlap`; set only when configured. */
  sharedAccounts?: string[];
  /** `new-country` looks back this many days (default 90); set only when configured. */
  newCountryDays?: number;
  /** Users not seen for this many days are `dormant` (default 90); set only when configured. */
  dormantDays?: number;
}

export const DEFAULTS: Omit<Settings, 'tz'> = {
  status: [{ instance: 'default', path: '/var/log/openvpn-status.log' }],
  history: '/var/log/openvpn-sessions.csv',
  aliases: '/var/log/openvpn-aliases.json',
  out: '/var/www/openvpn-status-web',
  lang: 'de',
  staleAfter: 300,
  lockTimeout: 10,
  title: 'OpenVPN Web Status',
};

/** What the config file may say; every key is optional. */
export type ConfigFile = Partial<Omit<Settings, 'status'>> & { status?: string | string[] | Record<string, string> };

const KEYS: Record<keyof Settings, string> = {
  status: 'a path, a list of [NAME=]PATH, or an object {"NAME": "PATH"}',
  history: 'a path',
  aliases: 'a path',
  out: 'a path',
  tz: 'an IANA time zone such as "Europe/Berlin"',
  lang: '"de" or "en"',
  staleAfter: 'a number of seconds (at least 10)',
  lockTimeout: 'a number of seconds (0 to 600)',
  title: 'a text',
  retentionDays: 'a whole number of days (at least 1)',
  mergeHistories: 'not a config key: give build several --history flags',
  passwd: 'a path',
  publicOrigin: 'an origin such as "https://vpn.example.org" (scheme, host, optional port)',
  hookSpool: 'a path',
  workingHours: 'an object like {"days": "Mon-Fri", "from": "06:00", "to": "20:00"}',
  sharedAccounts: 'a list of user names',
  newCountryDays: 'a whole number of days (at least 1)',
  dormantDays: 'a whole number of days (at least 1)',
};

/** `http(s)://host[:port]` and nothing more: what a browser sends as Origin. */
export function isOrigin(text: string): boolean {
  return /^https?:\/\/[^/?#@\s]+$/.test(text) && URL.canParse(text) && new URL(text).origin === text;
}

/** An instance name: in --status NAME=FILE, in the history, and in `hook --instance NAME`. */
export const INSTANCE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** `udp=/run/openvpn/udp.status` or a bare path (instance `default`). */
export function parseStatusSpec(spec: string, where: string): StatusSource {
  const eq = spec.indexOf('=');
  const slash = spec.indexOf('/');
  if (eq > 0 && (slash < 0 || eq < slash)) {
    const instance = spec.slice(0, eq);
    const path = spec.slice(eq + 1);
    if (!INSTANCE_NAME.test(instance))
      throw new UsageError(`${where}: instance name "${instance}" must be letters, digits, '.', '_' or '-'`);
    if (path === '') throw new UsageError(`${where}: no path after "${instance}="`);
    return { instance, path };
  }
  if (spec === '') throw new UsageError(`${where}: empty path`);
  return { instance: 'default', path: spec };
}

export function checkStatusSources(list: StatusSource[], where: string): StatusSource[] {
  const seen = new Set<string>();
  for (const s of list) {
    if (seen.has(s.instance)) throw new UsageError(`${where}: instance "${s.instance}" is named twice`);
    seen.add(s.instance);
  }
  return list;
}

/** Validates a parsed config file; `file` is named in every error. */
export function validateConfig(data: unknown, file: string): ConfigFile {
  if (typeof data !== 'object' || data === null || Array.isArray(data))
    throw new UsageError(`${file}: expected a JSON object`);
  const out: ConfigFile = {};
  for (const [key, value] of Object.entries(data)) {
    if (key.startsWith('$') || key.startsWith('//')) continue; // "$schema", comments
    if (!Object.hasOwn(KEYS, key)) throw new UsageError(`${file}: unknown key "${key}"`);
    const expect = (ok: boolean): void => {
      if (!ok) throw new UsageError(`${file}: key "${key}" must be ${KEYS[key as keyof Settings]}`);
    };
    switch (key as keyof Settings) {
      case 'status':
        expect(
          typeof value === 'string' ||
            (Array.isArray(value) && value.every((v) => typeof v === 'string')) ||
            (typeof value === 'object' && value !== null && Object.values(value).every((v) => typeof v === 'string')),
        );
        out.status = value as ConfigFile['status'];
        break;
      case 'lang':
        expect(value === 'de' || value === 'en');
        out.lang = value as Lang;
        break;
      case 'tz':
        expect(typeof value === 'string' && isValidTimeZone(value));
        out.tz = value as string;
        break;
      case 'staleAfter':
        expect(typeof value === 'number' && Number.isFinite(value) && value >= 10);
        out.staleAfter = value as number;
        break;
      case 'lockTimeout':
        expect(typeof value === 'number' && value >= 0 && value <= 600);
        out.lockTimeout = value as number;
        break;
      case 'mergeHistories':
        expect(false);
        break;
      case 'retentionDays':
        expect(typeof value === 'number' && Number.isInteger(value) && value >= 1);
        out.retentionDays = value as number;
        break;
      case 'workingHours': {
        const hours = parseWorkingHours(value);
        if (typeof hours === 'string') throw new UsageError(`${file}: key "workingHours" must be ${hours}`);
        out.workingHours = value as WorkingHours;
        break;
      }
      case 'sharedAccounts':
        expect(Array.isArray(value) && value.every((v) => typeof v === 'string' && v !== ''));
        out.sharedAccounts = value as string[];
        break;
      case 'newCountryDays':
      case 'dormantDays':
        expect(typeof value === 'number' && Number.isInteger(value) && value >= 1);
        out[key as 'newCountryDays' | 'dormantDays'] = value as number;
        break;
      case 'publicOrigin':
        expect(typeof value === 'string' && isOrigin(value));
        out.publicOrigin = value as string;
        break;
      default:
        expect(typeof value === 'string' && value !== '');
        (out as Record<string, unknown>)[key] = value;
    }
  }
  return out;
}

export function statusFromConfig(v: NonNullable<ConfigFile['status']>, file: string): StatusSource[] {
  if (typeof v === 'string') return [parseStatusSpec(v, `${file}: key "status"`)];
  if (Array.isArray(v))
    return checkStatusSources(
      v.map((s) => parseStatusSpec(s, `${file}: key "status"`)),
      `${file}: key "status"`,
    );
  return Object.entries(v).map(([instance, path]) => parseStatusSpec(`${instance}=${path}`, `${file}: key "status"`));
}

export interface FlagValues {
  status?: string[];
  history?: string;
  aliases?: string;
  out?: string;
  tz?: string;
  lang?: string;
  staleAfter?: string;
}

export function resolveSettings(
  flags: FlagValues,
  config: ConfigFile,
  configFile: string,
  systemZone: string | (() => string),
): Settings {
  const status = flags.status?.length
    ? checkStatusSources(
        flags.status.map((s) => parseStatusSpec(s, '--status')),
        '--status',
      )
    : config.status !== undefined
      ? statusFromConfig(config.status, configFile)
      : DEFAULTS.status;
  // The system's zone only when asked for: reading it sets up ICU, which most cron runs need not.
  const tz = flags.tz ?? config.tz ?? (typeof systemZone === 'string' ? systemZone : systemZone());
  if (!isValidTimeZone(tz)) throw new UsageError(`--tz: unknown time zone "${tz}"`);
  const lang = flags.lang ?? config.lang ?? DEFAULTS.lang;
  if (lang !== 'de' && lang !== 'en') throw new UsageError(`--lang: must be de or en, not "${lang}"`);
  let staleAfter = config.staleAfter ?? DEFAULTS.staleAfter;
  if (flags.staleAfter !== undefined) {
    staleAfter = Number(flags.staleAfter);
    if (!Number.isFinite(staleAfter) || staleAfter < 10)
      throw new UsageError('--stale-after: must be a number of seconds, at least 10');
  }
  return {
    status,
    history: flags.history ?? config.history ?? DEFAULTS.history,
    aliases: flags.aliases ?? config.aliases ?? DEFAULTS.aliases,
    out: flags.out ?? config.out ?? DEFAULTS.out,
    tz,
    lang,
    staleAfter,
    lockTimeout: config.lockTimeout ?? DEFAULTS.lockTimeout,
    title: config.title ?? DEFAULTS.title,
    // Only when configured, so settings without them look as they always did.
    ...(config.retentionDays !== undefined ? { retentionDays: config.retentionDays } : {}),
    ...(config.passwd !== undefined ? { passwd: config.passwd } : {}),
    ...(config.publicOrigin !== undefined ? { publicOrigin: config.publicOrigin } : {}),
    ...(config.hookSpool !== undefined ? { hookSpool: config.hookSpool } : {}),
    ...(config.workingHours !== undefined ? { workingHours: config.workingHours } : {}),
    ...(config.sharedAccounts !== undefined ? { sharedAccounts: config.sharedAccounts } : {}),
    ...(config.newCountryDays !== undefined ? { newCountryDays: config.newCountryDays } : {}),
    ...(config.dormantDays !== undefined ? { dormantDays: config.dormantDays } : {}),
  };
}

/** Where the hooks append their events and `collect` reads them: `hookSpool`, else beside the history. */
export function hookSpoolPath(s: Pick<Settings, 'history' | 'hookSpool'>): string {
  return s.hookSpool ?? `${s.history}.hook-spool.jsonl`;
}

/** The command-line flag of each setting that has one (the others come from the config file only). */
export const SETTING_FLAGS: Partial<Record<keyof Settings, string>> = {
  status: '--status',
  history: '--history',
  aliases: '--aliases',
  out: '--out',
  tz: '--tz',
  lang: '--lang',
  staleAfter: '--stale-after',
};

export type SettingSource = 'flag' | 'config' | 'default' | 'system';

/**
 * Where each effective setting came from, by the same precedence as resolveSettings
 * (flag, then config file, then default; the zone's default is the system's). For
 * `config check`, so an admin sees which layer to edit.
 */
export function settingSources(
  flags: FlagValues,
  config: ConfigFile,
  settings: Settings,
): Record<string, SettingSource> {
  const out: Record<string, SettingSource> = {};
  for (const key of Object.keys(settings)) {
    const flag = (flags as Record<string, unknown>)[key];
    const given = Array.isArray(flag) ? flag.length > 0 : flag !== undefined;
    out[key] = given
      ? 'flag'
      : (config as Record<string, unknown>)[key] !== undefined
        ? 'config'
        : key === 'tz'
          ? 'system'
          : 'default';
  }
  return out;
}
