/**
 * Entry of the worker thread that hashes the whole-history export files once they are
 * published (file-hashes.ts): reading half a gigabyte and hashing it stays off the build's
 * thread. Data in: the files' paths; out: their SHA-256, base64, in the same order.
 */
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { parentPort, workerData } from 'node:worker_threads';
import { fileError } from '../io/fs-errors.js';

if (parentPort === null) throw new Error('sha256-worker runs only as a worker thread');
/** Read a few megabytes at a time: few calls, and one buffer for every file. */
const buffer = Buffer.allocUnsafe(4 << 20);

async function sha256Of(path: string): Promise<string> {
  const fh = await open(path, 'r');
  try {
    const hash = createHash('sha256');
    for (;;) {
      const { bytesRead } = await fh.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) return hash.digest('base64');
      hash.update(buffer.subarray(0, bytesRead));
    }
  } finally {
    await fh.close();
  }
}

const digests: string[] = [];
for (const path of workerData as string[]) {
  try {
    digests.push(await sha256Of(path));
  } catch (e) {
    throw fileError(e, path, 'read');
  }
}
parentPort.postMessage(digests);
