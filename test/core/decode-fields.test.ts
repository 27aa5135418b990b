import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeFields, latin1Warning } from '../../src/core/decode-fields.js';

/** Bytes of `parts`: strings as UTF-8, numbers as raw bytes. */
const bytes = (...parts: (string | number[])[]): Buffer =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p))));

test('valid UTF-8 is read as UTF-8, nothing to say', () => {
  const text = 'TITLE\tx\nCLIENT_LIST\tJürgen\t山田\t🦊\n';
  assert.deepEqual(decodeFields(Buffer.from(text)), { text, latin1Lines: [], latin1Fields: [] });
});

test('Latin-1 bytes: two names stay two names, and each field is decoded on its own', () => {
  const d = decodeFields(
    bytes('HEADER\tx\nCLIENT_LIST\tJ', [0xfc], 'rgen\tZoë\n', 'CLIENT_LIST,J', [0xf6], 'rgen,x\r\nEND'),
  );
  assert.equal(d.text, 'HEADER\tx\nCLIENT_LIST\tJürgen\tZoë\nCLIENT_LIST,Jörgen,x\r\nEND');
  assert.deepEqual(d.latin1Lines, [2, 3]);
  assert.deepEqual(d.latin1Fields, ['Jürgen', 'Jörgen']);
  // The UTF-8 field beside a Latin-1 one keeps its UTF-8 reading (a per-file fallback would give "ZoÃ«").
  assert.ok(d.text.includes('\tZoë\n'));
});

test('every byte string of a field maps to its own text (no U+FFFD)', () => {
  const seen = new Map<string, string>();
  for (let b = 0x80; b <= 0xff; b++) {
    const raw = bytes('a\t', [0x4a, b, 0x72], '\n');
    const { text } = decodeFields(raw);
    assert.ok(!text.includes('\uFFFD'), `byte ${b.toString(16)}`);
    assert.equal(seen.get(text), undefined, `byte ${b.toString(16)} reads like another`);
    seen.set(text, raw.toString('hex'));
  }
});

test('the warning names the file and its first lines', () => {
  assert.equal(
    latin1Warning('/run/openvpn/udp.status', [3]),
    '/run/openvpn/udp.status: not valid UTF-8 on line 3; those fields were read as Latin-1 (ISO-8859-1), so names that differ in their bytes stay distinct',
  );
  assert.match(latin1Warning('f', [1, 2, 3, 4, 5, 6, 7]), /on lines 1, 2, 3, 4, 5 and 2 more;/);
});
