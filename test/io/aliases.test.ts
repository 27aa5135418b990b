/** The alias file (src/io/aliases.ts): a broken file never stops the build, it is reported. */
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadAliases } from '../../src/io/aliases.js';
import { tempDir } from '../helpers/tmp.js';

/** loadAliases with its warning kept: the aliases and the problem it reported (null: none). */
async function load(path: string): Promise<{ aliases: Record<string, string>; problem: string | null }> {
  const said: string[] = [];
  const aliases = await loadAliases(path, (m) => said.push(m));
  return { aliases, problem: said.length > 0 ? said.join('\n') : null };
}

async function aliasFile(t: Parameters<typeof tempDir>[0], content: string): Promise<string> {
  const path = join(await tempDir(t), 'openvpn-aliases.json');
  await writeFile(path, content);
  return path;
}

test('a missing file: no aliases and no problem', async (t) => {
  const dir = await tempDir(t);
  assert.deepEqual(await load(join(dir, 'openvpn-aliases.json')), { aliases: {}, problem: null });
  assert.deepEqual(await load(join(dir, 'no-such-folder', 'aliases.json')), { aliases: {}, problem: null });
});

test('a valid file: every alias as written, odd names and texts included', async (t) => {
  const aliases = {
    alice: 'Büro Köln',
    'Surname, Given': 'Laptop "Flex"',
    '<script>alert(1)</script>': "O'Brien & Co",
    constructor: 'Kasse 1',
    toString: 'Kasse 2',
    'shared-kiosk': '',
    '🙂': 'Handy 📱',
  };
  const path = await aliasFile(t, `${JSON.stringify(aliases, null, 2)}\n`);
  assert.deepEqual(await load(path), { aliases, problem: null });
  assert.deepEqual(await load(await aliasFile(t, '{}')), { aliases: {}, problem: null });
});

for (const [what, content, reason] of [
  ['invalid JSON', '{"alice": "Büro",', /not valid JSON/],
  ['an empty file', '', /not valid JSON/],
  ['an array', '["alice"]', /expected a JSON object/],
  ['null', 'null', /expected a JSON object/],
  ['a string', '"alice"', /expected a JSON object/],
  ['a number as an alias', '{"alice": "Büro", "bob": 42}', /the alias of "bob" is not a string/],
  ['null as an alias', '{"alice": null}', /the alias of "alice" is not a string/],
  ['an object as an alias', '{"alice": {"name": "x"}}', /the alias of "alice" is not a string/],
] as const) {
  test(`${what}: no aliases at all, and a problem that names the file`, async (t) => {
    const path = await aliasFile(t, content);
    const { aliases, problem } = await load(path);
    assert.deepEqual(aliases, {});
    assert.ok(problem?.startsWith(`${path}: `), `the problem names the file: ${problem}`);
    assert.match(problem ?? '', reason);
    assert.match(problem ?? '', /building without aliases/);
  });
}

test('a user named "__proto__" keeps its alias', async (t) => {
  const path = await aliasFile(t, '{"__proto__": "Proto-Laptop", "alice": "Büro"}');
  const { aliases, problem } = await load(path);
  assert.equal(problem, null);
  assert.equal(Object.hasOwn(aliases, '__proto__'), true, 'the alias is an own property');
  assert.equal(Object.getOwnPropertyDescriptor(aliases, '__proto__')?.value, 'Proto-Laptop');
  assert.equal(aliases.alice, 'Büro');
});

test('a file saved with a byte order mark is read', async (t) => {
  const path = await aliasFile(t, '\uFEFF{"alice": "Büro"}');
  assert.deepEqual(await load(path), { aliases: { alice: 'Büro' }, problem: null });
});

test('a path that cannot be read (a folder) is a problem, not a crash of the build', async (t) => {
  const dir = join(await tempDir(t), 'aliases.json');
  await mkdir(dir);
  const { aliases, problem } = await load(dir);
  assert.deepEqual(aliases, {});
  assert.ok(problem?.startsWith(`${dir}: `), `the problem names the path: ${problem}`);
});
