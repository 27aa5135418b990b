/** `passwd FILE USER`: adds a user to the endpoint's password file, or changes their password. */
import { stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { ReadStream } from 'node:tty';
import { UsageError } from '../core/errors.js';
import { ifMissing } from '../io/fs-errors.js';
import { MAX_PASSWORD_CHARS, setPassword, userNameProblem } from '../io/passwd.js';
import type { Command } from '../app/command.js';

/** Reads one line from the terminal without echoing it. */
function readHidden(prompt: string): Promise<string> {
  const stdin = process.stdin as ReadStream;
  // Echo off before the prompt shows: whatever is typed after it must never appear.
  stdin.setRawMode(true);
  process.stderr.write(prompt);
  stdin.setEncoding('utf8');
  stdin.resume();
  return new Promise((resolve, reject) => {
    let text = '';
    const done = (): void => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
    };
    function onData(chunk: string): void {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') {
          done();
          resolve(text);
          return;
        }
        if (ch === '\u0003') {
          done();
          reject(new UsageError('passwd: cancelled; nothing changed'));
          return;
        }
        if (ch === '\u007f' || ch === '\b') text = [...text].slice(0, -1).join('');
        else if (ch >= ' ') text += ch;
      }
    }
    stdin.on('data', onData);
  });
}

async function readStdinLine(): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of process.stdin as AsyncIterable<Buffer>) {
    chunks.push(c);
    size += c.length;
    if (size > 4 * MAX_PASSWORD_CHARS + 2) break; // a password is one short line; more is a mistake
  }
  const text = Buffer.concat(chunks).toString('utf8');
  const end = text.search(/\r?\n/);
  return end < 0 ? text : text.slice(0, end);
}

export const passwdCommand: Command = {
  name: 'passwd',
  help: `Usage: openvpn-status-web passwd FILE USER [--password-stdin]

Adds USER to the endpoint's password file FILE (created with mode 0600 if missing), or
changes USER's password; other users and comment lines are kept. The password is stored as
a salted scrypt hash. It is asked for twice on the terminal without being shown, or, with
--password-stdin, read from the first line of standard input:

  printf '%s\\n' "$PASSWORD" | openvpn-status-web passwd /etc/openvpn-status-web/passwd alice --password-stdin

Then start the endpoint with: openvpn-status-web serve --passwd FILE`,
  options: { 'password-stdin': { type: 'boolean' } },
  async run(ctx) {
    const [file, user, ...extra] = ctx.positionals;
    if (file === undefined || user === undefined || extra.length > 0)
      throw new UsageError('passwd: expected FILE and USER (see "openvpn-status-web passwd --help")');
    const problem = userNameProblem(user);
    if (problem) throw new UsageError(`passwd: ${problem}`);
    const folder = await stat(dirname(resolve(file))).catch(ifMissing(null));
    if (!folder?.isDirectory())
      throw new UsageError(
        `passwd: the folder of ${file} does not exist; create it first (mode 0700 is a good choice)`,
      );
    let password: string;
    if (ctx.values['password-stdin'] === true) {
      password = await readStdinLine();
    } else if (process.stdin.isTTY) {
      password = await readHidden(`Password for ${user}: `);
      const again = await readHidden('Once more: ');
      if (again !== password) throw new UsageError('passwd: the two passwords differ; nothing changed');
    } else {
      throw new UsageError(
        'passwd: standard input is not a terminal; pass --password-stdin to read the password from it',
      );
    }
    if (password === '') throw new UsageError('passwd: the password is empty; nothing changed');
    const added = await setPassword(file, user, password);
    ctx.log.info(added ? `passwd: added ${user} to ${file}` : `passwd: changed the password of ${user} in ${file}`);
    return 0;
  },
};
