/**
 * The one top-level error policy: expected errors (bad input, bad usage, a disk full or a
 * permission the machine refuses) print one line and exit 2; anything unexpected prints its
 * stack and exits 1.
 */
import { isExpectedError, UsageError } from './core/errors.js';
import { asFileSystemError } from './io/fs-errors.js';
import type { Command } from './app/command.js';
import { COMMON_HELP, makeContext } from './app/context.js';

interface CommandEntry {
  name: string;
  summary: string;
  /** Loaded only when run: `collect` must not pay for Eleventy, jsdom and d3 (about 0.7 s). */
  load: () => Promise<Command>;
}

export const COMMANDS: CommandEntry[] = [
  {
    name: 'parse',
    summary: 'parse one status file and print it as JSON',
    load: async () => (await import('./cli/parse.js')).parseCommand,
  },
  {
    name: 'collect',
    summary: 'read the status file(s) and update the session history',
    load: async () => (await import('./cli/collect.js')).collectCommand,
  },
  {
    name: 'build',
    summary: 'render the static site into the output folder',
    load: async () => (await import('./cli/build.js')).buildCommand,
  },
  {
    name: 'run',
    summary: 'collect, then build: the command for cron (every minute)',
    load: async () => (await import('./cli/run.js')).runCommand,
  },
  {
    name: 'watch',
    summary: 'stay running and run within a second of each status file change',
    load: async () => (await import('./cli/watch.js')).watchCommand,
  },
  {
    name: 'sessions',
    summary: 'list the recorded sessions (open ones included)',
    load: async () => (await import('./cli/sessions.js')).sessionsCommand,
  },
  {
    name: 'lookup',
    summary: 'who had an address (tunnel or real, IPv4 or IPv6) at a time: exit 0 found, 1 not found',
    load: async () => (await import('./cli/lookup.js')).lookupCommand,
  },
  {
    name: 'anomalies',
    summary: 'what looks unusual: sessions at once, a new country, off hours, users not seen for long',
    load: async () => (await import('./cli/anomalies.js')).anomaliesCommand,
  },
  {
    name: 'verify',
    summary: 'check the history, archives, trash and change log against their hash chain: exit 0 intact, 1 broken',
    load: async () => (await import('./cli/verify.js')).verifyCommand,
  },
  {
    name: 'import-legacy',
    summary: "import the predecessor's openvpn-sessions.csv",
    load: async () => (await import('./cli/import-legacy.js')).importLegacyCommand,
  },
  {
    name: 'config',
    summary: 'config check: validate the config and print the effective settings and their sources',
    load: async () => (await import('./cli/config-check.js')).configCommand,
  },
  {
    name: 'doctor',
    summary: 'check status files, history, output folder and lock; say how to fix problems',
    load: async () => (await import('./cli/doctor.js')).doctorCommand,
  },
  {
    name: 'demo',
    summary: 'build a site from generated sample data and serve it on http://127.0.0.1:8050',
    load: async () => (await import('./server/demo.js')).demoCommand,
  },
  {
    name: 'serve',
    summary: 'run the endpoint that deletes and restores history entries (behind nginx at /api/)',
    load: async () => (await import('./server/serve.js')).serveCommand,
  },
  {
    name: 'passwd',
    summary: "add a user to the endpoint's password file, or change their password",
    load: async () => (await import('./cli/passwd.js')).passwdCommand,
  },
  {
    name: 'hook',
    summary: "OpenVPN's client-connect/client-disconnect script: spool the event for collect (always exits 0)",
    load: async () => (await import('./cli/hook.js')).hookCommand,
  },
];

function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return `openvpn-status-web — a true record of OpenVPN sessions, published as a static dashboard

Usage: openvpn-status-web <command> [flags]

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}

"openvpn-status-web <command> --help" explains a command and its flags.

${COMMON_HELP}

Exit codes: 0 ok (also when a torn status file was skipped, with a warning), 1 unexpected error,
2 bad input or usage, or a file the machine would not write (disk full, permission, read-only).
`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  try {
    if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
      process.stdout.write(usage());
      return name === undefined ? 2 : 0;
    }
    if (name === '--version') {
      process.stdout.write('openvpn-status-web 0.1.0\n');
      return 0;
    }
    const entry = COMMANDS.find((c) => c.name === name);
    if (!entry) throw new UsageError(`unknown command "${name}" (see "openvpn-status-web --help")`);
    const command = await entry.load();
    if (rest.includes('--help') || rest.includes('-h')) {
      process.stdout.write(`${command.help}\n\n${COMMON_HELP}\n`);
      return 0;
    }
    if (command.runRaw) return await command.runRaw(rest);
    const ctx = await makeContext(rest, command.options, command.name);
    return await command.run(ctx);
  } catch (caught) {
    const e = asFileSystemError(caught) ?? caught;
    if (isExpectedError(e)) {
      process.stderr.write(`openvpn-status-web: ${e.message}\n`);
      return 2;
    }
    process.stderr.write(
      `openvpn-status-web: unexpected error\n${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
    );
    return 1;
  }
}
