import assert from 'node:assert/strict';
import { crc32, inflateRawSync } from 'node:zlib';

/** The entries of a zip file (name → bytes, DOS time/date), read without a zip library. */
export function unzip(buf: Buffer): Map<string, { data: Buffer; time: number; date: number; method: number }> {
  let eocd = buf.length - 22;
  while (eocd >= 0 && buf.readUInt32LE(eocd) !== 0x06054b50) eocd--;
  assert.ok(eocd >= 0, 'zip end record found');
  const entries = buf.readUInt16LE(eocd + 10);
  let at = buf.readUInt32LE(eocd + 16);
  const out = new Map<string, { data: Buffer; time: number; date: number; method: number }>();
  for (let n = 0; n < entries; n++) {
    assert.equal(buf.readUInt32LE(at), 0x02014b50, 'central directory entry');
    const method = buf.readUInt16LE(at + 10);
    const time = buf.readUInt16LE(at + 12);
    const date = buf.readUInt16LE(at + 14);
    const compressed = buf.readUInt32LE(at + 20);
    const nameLen = buf.readUInt16LE(at + 28);
    const extraLen = buf.readUInt16LE(at + 30);
    const commentLen = buf.readUInt16LE(at + 32);
    const local = buf.readUInt32LE(at + 42);
    const name = buf
      .subarray(at + 46, at + 46 + nameLen)
      .toString('utf8')
      .replace(/^\//, '');
    assert.equal(buf.readUInt16LE(local + 10), time, `${name}: local header time equals the central one`);
    assert.equal(buf.readUInt16LE(local + 12), date, `${name}: local header date equals the central one`);
    const dataAt = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    const raw = buf.subarray(dataAt, dataAt + compressed);
    const data = method === 8 ? inflateRawSync(raw) : Buffer.from(raw);
    assert.equal(crc32(data), buf.readUInt32LE(at + 16), `${name}: CRC-32 of the data`);
    assert.equal(data.length, buf.readUInt32LE(at + 24), `${name}: uncompressed size`);
    out.set(name, { data, time, date, method });
    at += 46 + nameLen + extraLen + commentLen;
  }
  return out;
}
