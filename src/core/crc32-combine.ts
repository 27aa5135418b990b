/**
 * CRC-32 of two byte strings joined, from their CRCs and the second one's length (zlib's
 * crc32_combine, which Node does not expose): a whole-history export's zip entry is made of
 * pieces compressed at different times, and its CRC must not need their bytes again.
 */

/** The CRC-32 polynomial, reflected (as zip and zlib use it). */
const POLY = 0xedb88320;

/** `mat` (a 32×32 matrix over GF(2), one column per entry) times `vec`. */
function times(mat: Uint32Array, vec: number): number {
  let sum = 0;
  for (let i = 0, v = vec >>> 0; v !== 0; i++, v >>>= 1) if (v & 1) sum ^= mat[i] as number;
  return sum >>> 0;
}

/** `square` = `mat` × `mat`. */
function square(into: Uint32Array, mat: Uint32Array): void {
  for (let n = 0; n < 32; n++) into[n] = times(mat, mat[n] as number);
}

/** CRC-32 of A followed by B, given crc(A), crc(B) and B's length in bytes. */
export function crc32Combine(crcA: number, crcB: number, lengthB: number): number {
  if (!Number.isSafeInteger(lengthB) || lengthB < 0) throw new RangeError(`crc32Combine: length ${lengthB}`);
  if (lengthB === 0) return crcA >>> 0;
  // The operator for one zero bit, then squared to 2, 4, 8 … zero bits (zlib's method).
  const odd = new Uint32Array(32);
  const even = new Uint32Array(32);
  odd[0] = POLY;
  for (let n = 1, row = 1; n < 32; n++, row <<= 1) odd[n] = row >>> 0;
  square(even, odd); // two zero bits
  square(odd, even); // four zero bits
  let crc = crcA >>> 0;
  let len = lengthB;
  for (;;) {
    square(even, odd); // first pass: one zero byte
    if (len % 2 === 1) crc = times(even, crc);
    len = Math.floor(len / 2);
    if (len === 0) break;
    square(odd, even);
    if (len % 2 === 1) crc = times(odd, crc);
    len = Math.floor(len / 2);
    if (len === 0) break;
  }
  return (crc ^ crcB) >>> 0;
}
