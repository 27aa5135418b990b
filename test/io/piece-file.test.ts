/** Files of pieces (src/io/piece-file.ts): deflate pieces joined into one zip entry, text pieces into a file, and copied back. */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  deflatePiece,
  openTextPieces,
  openZipPieces,
  PieceMismatch,
  PieceReader,
  textPiece,
} from '../../src/io/piece-file.js';
import { tempDir } from '../helpers/tmp.js';
import { unzip } from '../helpers/zip.js';

const frame = {
  before: [{ name: 'a.txt', deflate: false, data: Buffer.from('stored first') }],
  pieces: { name: 'big.xml', head: deflatePiece('<head>'), tail: deflatePiece('</tail>', true) },
  after: [{ name: 'z.xml', deflate: true, data: Buffer.from('compressed äfter') }],
  stampMs: Date.UTC(2026, 0, 2, 3, 4, 6),
};

test('deflate pieces compressed one by one make one valid entry, its CRC and sizes from the pieces', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'x.zip');
  const texts = ['<r>1</r>'.repeat(1000), '', 'ü'.repeat(5000), '<r>2</r>'];
  const w = await openZipPieces(path, frame, 0o644);
  const placed = [];
  for (const text of texts) placed.push(await w.add(deflatePiece(text)));
  await w.finish();
  const zip = await readFile(path);
  // unzip checks each entry's CRC-32 and size against its data, and the local headers' times.
  const entries = unzip(zip);
  assert.deepEqual([...entries.keys()], ['a.txt', 'big.xml', 'z.xml']);
  assert.equal(entries.get('big.xml')?.data.toString(), `<head>${texts.join('')}</tail>`);
  assert.equal(entries.get('z.xml')?.data.toString(), 'compressed äfter');
  assert.equal(entries.get('a.txt')?.method, 0, 'stored');
  // Each piece can be copied out again, checked against the CRC of its bytes.
  const reader = await PieceReader.open(path);
  t.after(() => reader.close());
  for (const [i, p] of placed.entries()) {
    const again = await reader.read(p);
    assert.ok(again.data.equals(deflatePiece(texts[i] as string).data), `piece ${i}`);
  }
  await assert.rejects(reader.read({ ...(placed[0] as (typeof placed)[0]), at: 0 }), PieceMismatch);
});

test('text pieces follow the head; a failed writer can be aborted', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'x.csv');
  const w = await openTextPieces(path, textPiece('\uFEFFhead\r\n'), 0o644);
  const a = await w.add(textPiece('a;1\r\n'));
  const b = await w.add(textPiece('b;2\r\n'));
  await w.finish();
  assert.equal(await readFile(path, 'utf8'), '\uFEFFhead\r\na;1\r\nb;2\r\n');
  assert.deepEqual([a.at, b.at], [9, 14], 'offsets after the head (a BOM is 3 bytes)');
  const w2 = await openTextPieces(join(dir, 'y.csv'), textPiece('h'), 0o644);
  await w2.abort();
});
