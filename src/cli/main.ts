/**
 * The one top-level error policy: expected errors (bad input, bad usage) print one line
 * and exit 2; anything unexpected prints its stack and exits 1.
 */
import { isExpectedError, UsageError } from '../core/errors.js';
import type { Command } from './command.js';
import { COMMON_HELP, makeContext } from './context.js';
import { buildCommand } from './build.js';
import { collectCommand } from './collect.js';
import { importLegacyCommand } from './import-legacy.js';
import { parseCommand } from './parse.js';
import { sessionsCommand } from './sessions.js';

export const COMMANDS: Command[] = [parseCommand, collectCommand, buildCommand, sessionsCommand, importLegacyCommand];

function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return `openvpn-status-web — a true record of OpenVPN sessions, published as a static dashboard

Usage: openvpn-status-web <command> [flags]

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}

"openvpn-status-web <command> --help" explains a command and its flags.

${COMMON_HELP}

Exit codes: 0 ok (also when a torn status file was skipped, with a warning), 1 unexpected error, 2 bad input or usage.
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
    const command = COMMANDS.find((c) => c.name === name);
    if (!command) throw new UsageError(`unknown command "${name}" (see "openvpn-status-web --help")`);
    if (rest.includes('--help') || rest.includes('-h')) {
      process.stdout.write(`${command.help}\n\n${COMMON_HELP}\n`);
      return 0;
    }
    const ctx = await makeContext(rest, command.options, command.name);
    return await command.run(ctx);
  } catch (e) {
    if (isExpectedError(e)) {
      process.stderr.write(`openvpn-status-web: ${e.message}\n`);
      return 2;
    }
    process.stderr.write(`openvpn-status-web: unexpected error\n${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    return 1;
  }
}
