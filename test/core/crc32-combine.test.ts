import assert from 'node:assert/strict';
import { test } from 'node:test';
import { crc32 } from 'node:zlib';
import { crc32Combine } from '../../src/core/crc32-combine.js';

test("crc32Combine: the CRC-32 of A then B from A's and B's CRCs and B's length, as zlib computes it of the joined bytes", () => {
  const cases: [string, Buffer, Buffer][] = [
    ['two words', Buffer.from('hello '), Buffer.from('world')],
    ['empty first', Buffer.alloc(0), Buffer.from('x')],
    ['empty second', Buffer.from('abc'), Buffer.alloc(0)],
    ['odd and even lengths', Buffer.alloc(1001, 7), Buffer.alloc(77_777, 0xa5)],
    ['a megabyte of text', Buffer.from('ä'.repeat(1000)), Buffer.from('<row>x</row>'.repeat(90_000))],
  ];
  for (const [name, a, b] of cases)
    assert.equal(crc32Combine(crc32(a), crc32(b), b.length), crc32(Buffer.concat([a, b])), name);
  // Chained over many pieces, as a whole-history sheet is.
  const pieces = Array.from({ length: 50 }, (_, i) => Buffer.from(`piece ${i} `.repeat(i * 13)));
  const chained = pieces.reduce((crc, p) => crc32Combine(crc, crc32(p), p.length), 0);
  assert.equal(chained, crc32(Buffer.concat(pieces)));
  assert.throws(() => crc32Combine(0, 0, -1), RangeError);
});
