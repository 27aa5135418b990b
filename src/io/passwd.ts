/**
 * The endpoint's password file: one `USER:$scrypt$ln=14,r=8,p=1$SALT$HASH` line per user
 * (base64 salt and hash; `#` lines are comments). Written by `openvpn-status-web passwd`
 * with mode 0600, read on every authentication, so a changed password counts at once.
 */
import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { InputError, UsageError } from '../core/errors.js';
import { writeFileAtomic } from './atomic-write.js';
import { ifMissing } from './fs-errors.js';

export interface ScryptParams {
  /** log2 of scrypt's cost N. */
  ln: number;
  r: number;
  p: number;
}

/** N = 16384, r = 8: 16 MiB and about 50 ms per check, what OWASP suggests for scrypt. */
export const DEFAULT_SCRYPT: ScryptParams = { ln: 14, r: 8, p: 1 };
const KEY_BYTES = 32;
const SALT_BYTES = 16;
export const MAX_PASSWORD_CHARS = 1024;
const USER = /^[^\s:\p{Cc}]{1,64}$/u;
const LINE = /^([^:]+):\$scrypt\$ln=(\d+),r=(\d+),p=(\d+)\$([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2})$/;

function scrypt(password: string, salt: Buffer, keylen: number, p: ScryptParams): Promise<Buffer> {
  const N = 2 ** p.ln;
  const opts: ScryptOptions = { N, r: p.r, p: p.p, maxmem: 256 * N * p.r };
  return new Promise((resolve, reject) =>
    scryptCb(password.normalize('NFC'), salt, keylen, opts, (e, key) => (e ? reject(e) : resolve(key))),
  );
}

/**
 * Why `user` (taken in NFC, as it is stored and checked) cannot be a user name, or null:
 * what one line of the file cannot hold, and a leading '#', which would read as a comment.
 */
export function userNameProblem(user: string): string | null {
  const name = user.normalize('NFC');
  const shown = JSON.stringify(name).slice(1, -1);
  if (!USER.test(name)) return `user name "${shown}" must be 1–64 characters without ':', spaces or control characters`;
  if (name.startsWith('#')) return `user name "${shown}" must not start with '#' (such a line is a comment)`;
  return null;
}

export async function hashPassword(password: string, params: ScryptParams = DEFAULT_SCRYPT): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await scrypt(password, salt, KEY_BYTES, params);
  return `$scrypt$ln=${params.ln},r=${params.r},p=${params.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

interface StoredHash {
  params: ScryptParams;
  salt: Buffer;
  key: Buffer;
}

/** User → hash, in file order. Every line is checked (bounded cost parameters, base64), naming its line. */
export function parsePasswd(text: string, file: string): Map<string, StoredHash> {
  const users = new Map<string, StoredHash>();
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '' || line.startsWith('#')) return;
    const m = LINE.exec(line);
    if (!m)
      throw new InputError(
        file,
        i + 1,
        'not USER:$scrypt$ln=N,r=R,p=P$SALT$HASH (create lines with "openvpn-status-web passwd FILE USER")',
      );
    const [, user, ln, r, p, salt, key] = m as unknown as [string, string, string, string, string, string, string];
    const params = { ln: Number(ln), r: Number(r), p: Number(p) };
    // Bounds, so that a hand-edited line cannot make each check take seconds or gigabytes.
    if (params.ln < 10 || params.ln > 20 || params.r < 1 || params.r > 32 || params.p < 1 || params.p > 16) {
      throw new InputError(file, i + 1, 'scrypt parameters out of range (ln 10–20, r 1–32, p 1–16)');
    }
    const problem = userNameProblem(user);
    if (problem) throw new InputError(file, i + 1, problem);
    const name = user.normalize('NFC');
    if (users.has(name)) throw new InputError(file, i + 1, `user "${name}" is listed twice`);
    const k = Buffer.from(key, 'base64');
    if (k.length < 16) throw new InputError(file, i + 1, 'hash too short');
    users.set(name, { params, salt: Buffer.from(salt, 'base64'), key: k });
  });
  return users;
}

/** Identifies one version of the file (replaced, grown or touched: another version); '' when it is gone. */
export async function passwdVersion(path: string): Promise<string> {
  const st = await stat(path).catch(ifMissing(null));
  return st === null ? '' : `${st.ino}:${st.size}:${st.mtimeMs}`;
}

/** The file's permission bits when group or others may read or write it, else null (also when it is gone). */
export async function passwdOpenMode(path: string): Promise<number | null> {
  const st = await stat(path).catch(ifMissing(null));
  return st !== null && (st.mode & 0o077) !== 0 ? st.mode & 0o777 : null;
}

/** The file's users (names in NFC), or null when it does not exist. */
export async function readPasswd(path: string): Promise<Map<string, StoredHash> | null> {
  const text = await readFile(path, 'utf8').catch(ifMissing(null));
  return text === null ? null : parsePasswd(text, path);
}

let dummy: Promise<StoredHash> | null = null;
/** A hash nobody knows the password of: an unknown user costs as much time as a known one. */
function dummyHash(): Promise<StoredHash> {
  dummy ??= (async () => {
    const salt = randomBytes(SALT_BYTES);
    return {
      params: DEFAULT_SCRYPT,
      salt,
      key: await scrypt(randomBytes(16).toString('hex'), salt, KEY_BYTES, DEFAULT_SCRYPT),
    };
  })();
  return dummy;
}

/** True when `password` is `user`'s password in `users`; constant time in the password and in whether the user exists. */
export async function verifyUser(
  users: ReadonlyMap<string, StoredHash>,
  user: string,
  password: string,
): Promise<boolean> {
  const known = users.get(user.normalize('NFC'));
  const stored = known ?? (await dummyHash());
  if (password.length > MAX_PASSWORD_CHARS) return false;
  const key = await scrypt(password, stored.salt, stored.key.length, stored.params);
  return timingSafeEqual(key, stored.key) && known !== undefined;
}

/**
 * Adds `user` or changes their password, keeping every other line (comments too), and
 * writes the file atomically with mode 0600. Returns true when the user was new.
 */
export async function setPassword(
  path: string,
  given: string,
  password: string,
  params: ScryptParams = DEFAULT_SCRYPT,
): Promise<boolean> {
  const problem = userNameProblem(given);
  if (problem) throw new UsageError(problem);
  const user = given.normalize('NFC');
  if (password === '') throw new UsageError('the password is empty');
  if (password.length > MAX_PASSWORD_CHARS)
    throw new UsageError(`the password is longer than ${MAX_PASSWORD_CHARS} characters`);
  const text = (await readFile(path, 'utf8').catch(ifMissing(null))) ?? '';
  parsePasswd(text, path); // refuse to rewrite a file we cannot read back
  const line = `${user}:${await hashPassword(password, params)}`;
  const lines = text === '' ? [] : text.replace(/\n$/, '').split('\n');
  // The line of this user, whatever normal form a hand edit left its name in.
  const at = lines.findIndex(
    (l) => !l.startsWith('#') && l.slice(0, Math.max(0, l.indexOf(':'))).normalize('NFC') === user,
  );
  if (at >= 0) lines[at] = line;
  else lines.push(line);
  await writeFileAtomic(path, `${lines.join('\n')}\n`, { mode: 0o600 });
  return at < 0;
}
