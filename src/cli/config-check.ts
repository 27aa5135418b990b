/**
 * `config check`: validates the config file and the flags the way every command does, and
 * prints the settings a command would use, each with where it came from (flag, config file,
 * default), so an admin sees which layer to edit.
 */
import { readFile } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import { UsageError } from '../core/errors.js';
import {
  DEFAULTS,
  hookSpoolPath,
  SETTING_FLAGS,
  settingSources,
  type ConfigFile,
  type FlagValues,
  type Settings,
  type SettingSource,
} from '../core/settings.js';
import type { Command } from '../app/command.js';
import { loadConfig, type Context } from '../app/context.js';

/** The flags of ctx.values that set a setting, keyed by setting (`--stale-after` → staleAfter). */
function flagValuesOf(values: Context['values']): FlagValues {
  const out: Record<string, string | string[]> = {};
  for (const [key, flag] of Object.entries(SETTING_FLAGS)) {
    const v = values[flag.slice(2)];
    if (typeof v === 'string' || Array.isArray(v)) out[key] = v;
  }
  return out as FlagValues;
}

function describeSource(key: string, source: SettingSource): string {
  switch (source) {
    case 'flag':
      return `flag ${SETTING_FLAGS[key as keyof Settings] ?? key}`;
    case 'config':
      return 'config file';
    case 'system':
      return 'default: the system zone';
    case 'default':
      return 'default';
  }
}

/** Each setting as display lines (status: one per instance). */
function valueLines(value: unknown): string[] {
  if (Array.isArray(value))
    return value.map((s: string | { instance: string; path: string }) =>
      typeof s === 'string' ? s : `${s.instance}=${s.path}`,
    );
  return [typeof value === 'string' ? value : JSON.stringify(value)];
}

/** Paths a command resolves against its working directory: under cron and systemd that is `/`. */
export function relativePathWarnings(settings: Settings): string[] {
  const paths: [string, string][] = [
    ...settings.status.map((s): [string, string] => [`status ${s.instance}`, s.path]),
    ['history', settings.history],
    ['aliases', settings.aliases],
    ['out', settings.out],
  ];
  return paths
    .filter(([, p]) => !isAbsolute(p))
    .map(
      ([what, p]) =>
        `${what}: "${p}" is relative, so it depends on the working directory (cron and systemd start in /); use an absolute path`,
    );
}

/**
 * What the installed `hook` command cannot read in the config file `raw` (`config`, parsed):
 * it is scripts/openvpn-hook.sh, which takes hookSpool (else history) with sed and refuses a
 * value written with an escape, or the key given twice, recording nothing.
 */
export function shellHookWarnings(raw: string, config: ConfigFile): string[] {
  const key = config.hookSpool !== undefined ? 'hookSpool' : config.history !== undefined ? 'history' : null;
  if (key === null) return [];
  const twice = (raw.match(new RegExp(`"${key}"\\s*:`, 'g')) ?? []).length > 1;
  const escaped = new RegExp(`"${key}"\\s*:\\s*"[^"\\\\]*\\\\`).test(raw);
  if (!twice && !escaped) return [];
  const spool = hookSpoolPath({ history: config.history ?? DEFAULTS.history, hookSpool: config.hookSpool });
  const why = twice
    ? `"${key}" is in the file more than once`
    : 'its value is written with an escape (\\" \\\\ \\u...)';
  return [
    `${key}: ${why}, which "openvpn-status-web hook" (scripts/openvpn-hook.sh) does not read: it would record no event; write the value plainly once, or give the hooks --spool ${spool}`,
  ];
}

export const configCommand: Command = {
  name: 'config',
  help: `Usage: openvpn-status-web config check [--config FILE] [flags] [--json]

Validates the config file (unknown keys and wrong types are errors naming the key) and the
flags, then prints the settings every command would use with the same file and flags, and
where each came from: a flag, the config file, or the default. Flags override the config
file, which overrides the defaults.

  --json   print { "config": FILE|null, "settings": {...}, "sources": {...} }

Exit codes: 0 valid (warnings: relative paths, and a hookSpool or history value the shell
hook cannot read), 2 invalid (one line naming the key).`,
  options: { json: { type: 'boolean' } },
  async run(ctx) {
    const [sub, ...extra] = ctx.positionals;
    if (sub !== 'check') {
      throw new UsageError(
        sub === undefined
          ? 'config: missing subcommand (usage: openvpn-status-web config check [--config FILE])'
          : `config: unknown subcommand "${sub}" (only "check")`,
      );
    }
    if (extra.length > 0) throw new UsageError(`config check: unexpected argument "${extra[0]}"`);
    const configFile = typeof ctx.values.config === 'string' ? ctx.values.config : undefined;
    // makeContext has validated the file already; it is read again only to tell its keys apart.
    const config = await loadConfig(configFile);
    const sources = settingSources(flagValuesOf(ctx.values), config, ctx.settings);
    const warnings = relativePathWarnings(ctx.settings);
    if (configFile !== undefined) warnings.push(...shellHookWarnings(await readFile(configFile, 'utf8'), config));
    for (const w of warnings) ctx.log.warn(w);
    if (ctx.values.json === true) {
      process.stdout.write(
        `${JSON.stringify({ config: configFile ?? null, settings: ctx.settings, sources }, null, 2)}\n`,
      );
      return 0;
    }
    const rows: [string, string, string][] = [];
    for (const [key, value] of Object.entries(ctx.settings)) {
      const source = sources[key] ?? 'default';
      valueLines(value).forEach((line, i) => {
        rows.push([i === 0 ? key : '', line, i === 0 ? describeSource(key, source) : '']);
      });
    }
    const keyWidth = Math.max(...rows.map((r) => r[0].length));
    const valueWidth = Math.max(...rows.map((r) => r[1].length));
    const head =
      configFile === undefined
        ? 'no config file (--config FILE): flags and defaults only'
        : `config file ${configFile}: valid`;
    const body = rows
      .map(([k, v, s]) => `  ${k.padEnd(keyWidth)}  ${s === '' ? v : `${v.padEnd(valueWidth)}  (${s})`}`.trimEnd())
      .join('\n');
    process.stdout.write(`${head}\n\nEffective settings (flags > config file > defaults):\n${body}\n`);
    return 0;
  },
};
