import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, test } from 'node:test';
import { MemorySink, MemoryZip } from '../../src/io/memory-zip.js';
import { unzip } from '../helpers/zip.js';

/** Builds a zip of `add`'s entries; resolves with its bytes once MemoryZip has ended the sink. */
function zipOf(add: (zip: MemoryZip) => void, stampMs = Date.UTC(2026, 10, 27, 3, 4, 58)): Promise<Buffer> {
  const sink = new MemorySink();
  const zip = new MemoryZip(sink, stampMs, /^big\//);
  return new Promise((resolve, reject) => {
    sink.once('finish', () => resolve(Buffer.concat(sink.chunks)));
    zip.once('error', reject);
    add(zip);
    zip.finalize();
  });
}

describe('MemoryZip', () => {
  test('strings, buffers and streams, in the order appended; leading slashes dropped; the named entries deflated', async () => {
    const big = 'row '.repeat(10_000);
    const bytes = await zipOf((zip) => {
      zip.append('<a/>', { name: '/first.xml' });
      zip.append(Readable.from([Buffer.from(big.slice(0, 7)), Buffer.from(big.slice(7))]), { name: 'big/sheet.xml' });
      zip.append(Buffer.from([0, 1, 2, 255]), { name: 'bin' });
      zip.append('ü€', { name: 'unicode.txt' });
    });
    const files = unzip(bytes);
    assert.deepEqual([...files.keys()], ['first.xml', 'big/sheet.xml', 'bin', 'unicode.txt']);
    assert.equal(files.get('first.xml')?.data.toString(), '<a/>');
    assert.equal(files.get('big/sheet.xml')?.data.toString(), big);
    assert.deepEqual([...(files.get('bin')?.data ?? [])], [0, 1, 2, 255]);
    assert.equal(files.get('unicode.txt')?.data.toString(), 'ü€');
    assert.deepEqual(
      [...files].map(([name, f]) => [name, f.method]),
      [
        ['first.xml', 0],
        ['big/sheet.xml', 8],
        ['bin', 0],
        ['unicode.txt', 0],
      ],
      'only big/ deflated',
    );
    assert.ok(bytes.length < big.length / 10, 'the repetitive entry is compressed');
  });

  test('every entry carries the given time (DOS: 2-second steps), in local and central headers', async () => {
    const files = unzip(await zipOf((zip) => zip.append('x', { name: 'a' })));
    const a = files.get('a');
    assert.equal(a?.date, ((2026 - 1980) << 9) | (11 << 5) | 27);
    assert.equal(a?.time, (3 << 11) | (4 << 5) | 29);
  });

  test('the same entries give the same bytes', async () => {
    const add = (zip: MemoryZip): void => {
      zip.append('one', { name: 'one' });
      zip.append(Readable.from(['two']), { name: 'big/two' });
    };
    assert.ok((await zipOf(add)).equals(await zipOf(add)));
  });

  test('an empty zip is the end record alone', async () => {
    const bytes = await zipOf(() => undefined);
    assert.equal(bytes.length, 22);
    assert.equal(bytes.readUInt32LE(0), 0x06054b50);
  });

  test('a failing stream fails the zip (an error event), and nothing is written', async () => {
    const sink = new MemorySink();
    const zip = new MemoryZip(sink, 0, /x/);
    const failing = new Readable({
      read() {
        this.destroy(new Error('disk gone'));
      },
    });
    zip.append('fine', { name: 'a' });
    zip.append(failing, { name: 'b' });
    const failed = new Promise<unknown>((resolve) => zip.once('error', resolve));
    zip.finalize();
    assert.match(String(await failed), /disk gone/);
    assert.equal(sink.chunks.length, 0);
    assert.equal(sink.writableEnded, false);
  });

  test('media files from disk are refused', () => {
    assert.throws(() => new MemoryZip(new MemorySink(), 0, /x/).file(), /not supported/);
  });
});
