/** The endpoint's password file (src/io/passwd.ts), on disk. */
import assert from 'node:assert/strict';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { InputError, UsageError } from '../../src/core/errors.js';
import {
  hashPassword,
  parsePasswd,
  readPasswd,
  setPassword,
  userNameProblem,
  verifyUser,
} from '../../src/io/passwd.js';
import { listDir, tempDir } from '../helpers/tmp.js';

/** Cheaper than the default (ln 14) so the suite stays quick; the format and the checks are the same. */
const FAST = { ln: 10, r: 8, p: 1 };

describe('password file', () => {
  test('setPassword creates the file with mode 0600; verifyUser accepts only the right password', async (t) => {
    const dir = await tempDir(t);
    const file = join(dir, 'passwd');
    assert.equal(await setPassword(file, 'alice', 'correct horse', FAST), true, 'alice is new');
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    const text = await readFile(file, 'utf8');
    assert.match(text, /^alice:\$scrypt\$ln=10,r=8,p=1\$[A-Za-z0-9+/]+={0,2}\$[A-Za-z0-9+/]+={0,2}\n$/);
    assert.ok(!text.includes('correct horse'), 'the password itself is not stored');
    const users = await readPasswd(file);
    assert.ok(users, 'the file is read back');
    assert.equal(await verifyUser(users, 'alice', 'correct horse'), true);
    assert.equal(await verifyUser(users, 'alice', 'correct horsE'), false);
    assert.equal(await verifyUser(users, 'alice', ''), false);
    assert.equal(await verifyUser(users, 'bob', 'correct horse'), false, 'unknown user');
    assert.equal(await verifyUser(users, 'alice', 'x'.repeat(5000)), false, 'an absurdly long password');
    assert.deepEqual(await listDir(dir), ['passwd'], 'no temp file left');
  });

  test('changing a password replaces only that line; comments and other users stay', async (t) => {
    const dir = await tempDir(t);
    const file = join(dir, 'passwd');
    await writeFile(file, `# admins\nbob:${await hashPassword('bob-pw', FAST)}\n`);
    assert.equal(await setPassword(file, 'alice', 'one', FAST), true);
    const before = await readFile(file, 'utf8');
    assert.equal(await setPassword(file, 'alice', 'two', FAST), false, 'alice existed');
    const after = await readFile(file, 'utf8');
    const lines = after.trimEnd().split('\n');
    assert.equal(lines.length, 3);
    assert.equal(lines[0], '# admins');
    assert.equal(lines[1], before.split('\n')[1], 'bob unchanged');
    const users = (await readPasswd(file))!;
    assert.equal(await verifyUser(users, 'alice', 'two'), true);
    assert.equal(await verifyUser(users, 'alice', 'one'), false);
    assert.equal(await verifyUser(users, 'bob', 'bob-pw'), true);
  });

  test('the same password hashes differently each time (salted)', async () => {
    assert.notEqual(await hashPassword('pw', FAST), await hashPassword('pw', FAST));
  });

  test('user names: no colon, space or control character; passwords not empty', async (t) => {
    // '#…' would read back as a comment; the others the line format cannot hold.
    for (const bad of [
      '',
      'a:b',
      'a b',
      'a\tb',
      'a\u0000',
      'x'.repeat(65),
      '#admin',
      'a\u0085',
      'a\u2028b',
      'a\u007f',
      'a\nb',
    ]) {
      assert.ok(userNameProblem(bad), JSON.stringify(bad));
    }
    for (const ok of ['alice', 'Jürgen.Müller', 'a@b.example', 'x'.repeat(64)])
      assert.equal(userNameProblem(ok), null, ok);
    const file = join(await tempDir(t), 'passwd');
    await assert.rejects(setPassword(file, 'a:b', 'pw', FAST), UsageError);
    await assert.rejects(setPassword(file, 'alice', '', FAST), UsageError);
  });

  test('a user name starting with # is refused, not written as a comment', async (t) => {
    const file = join(await tempDir(t), 'passwd');
    await assert.rejects(
      setPassword(file, '#admin', 'pw', FAST),
      (e: unknown) => e instanceof UsageError && /#/.test(e.message),
    );
    await assert.rejects(readFile(file), /ENOENT/, 'nothing written');
  });

  test('user names are NFC-normalised when written, read and checked', async (t) => {
    const file = join(await tempDir(t), 'passwd');
    const nfd = 'Ju\u0308rgen';
    const nfc = 'J\u00fcrgen';
    assert.equal(await setPassword(file, nfd, 'one', FAST), true);
    assert.equal(
      await setPassword(file, nfc, 'two', FAST),
      false,
      'the same user in the other form: a change, not a second user',
    );
    const text = await readFile(file, 'utf8');
    assert.equal(text.trimEnd().split('\n').length, 1);
    assert.ok(text.startsWith(`${nfc}:`));
    // A hand-edited line in NFD is found by either form too.
    const users = parsePasswd(`${nfd}:${await hashPassword('three', FAST)}\n`, 'pw');
    assert.equal(await verifyUser(users, nfc, 'three'), true);
    assert.equal(await verifyUser(users, nfd, 'three'), true);
    const h = await hashPassword('four', FAST);
    assert.throws(
      () => parsePasswd(`${nfd}:${h}\n${text}`, 'pw'),
      (e: unknown) => e instanceof InputError && e.line === 2 && /twice/.test(e.message),
    );
  });

  test('a missing file reads as null; a bad line is an error naming its line', async (t) => {
    const dir = await tempDir(t);
    assert.equal(await readPasswd(join(dir, 'nope')), null);
    const h = await hashPassword('x', FAST);
    const line = (text: string) =>
      assert.throws(
        () => parsePasswd(text, 'pw'),
        (e: unknown) => e instanceof InputError && e.line === 2,
        text,
      );
    line(`a:${h}\nb:plaintext\n`);
    line(`a:${h}\na:${h}\n`);
    line(`a:${h}\nb:${h.replace('ln=10', 'ln=30')}\n`);
    line(`a:${h}\nb:${h.replace('r=8', 'r=0')}\n`);
    assert.equal(parsePasswd(`\n# c\n\na:${h}\r\n`, 'pw').size, 1, 'blank lines, comments and CRLF are fine');
    // A file that cannot be read back is never rewritten.
    const file = join(dir, 'broken');
    await writeFile(file, 'garbage\n');
    await assert.rejects(setPassword(file, 'alice', 'pw', FAST), InputError);
    assert.equal(await readFile(file, 'utf8'), 'garbage\n');
  });
});
