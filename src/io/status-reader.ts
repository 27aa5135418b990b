/**
 * Reads a live status file that OpenVPN rewrites in place (seek 0, a write per line,
 * ftruncate). A read is accepted only when the file did not change during it (size, mtime
 * and inode equal before and after) and its mtime is a little in the past; a torn,
 * empty or unparsable read is retried a few times within about a second.
 */
import { readFile, stat } from 'node:fs/promises';
import { InputError } from '../core/errors.js';
import { parseStatus, type StatusSnapshot } from '../core/parse-status.js';
import { isoFromMs } from '../core/time.js';

export type StatusRead =
  | { kind: 'snapshot'; snapshot: StatusSnapshot; fileModifiedAt: string }
  | { kind: 'missing' }
  | { kind: 'unreadable'; reason: string };

export interface ReadStatusOptions {
  timeZone: string;
  attempts?: number;
  retryDelayMs?: number;
  /** How old the mtime must be before a read is trusted. */
  settleMs?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function readStatusFile(path: string, opts: ReadStatusOptions): Promise<StatusRead> {
  const attempts = opts.attempts ?? 6;
  const retryDelayMs = opts.retryDelayMs ?? 150;
  const settleMs = opts.settleMs ?? 100;
  let reason = 'not read';
  for (let i = 0; i < attempts; i++) {
    if (i > 0) await sleep(retryDelayMs);
    let before;
    try {
      before = await stat(path);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return { kind: 'missing' };
      return { kind: 'unreadable', reason: (e as Error).message };
    }
    const age = Date.now() - before.mtimeMs;
    if (age < settleMs) {
      await sleep(settleMs - age);
      i--; // waiting for the writer to finish is not a failed attempt
      continue;
    }
    let data: Buffer;
    try {
      data = await readFile(path);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return { kind: 'missing' };
      return { kind: 'unreadable', reason: (e as Error).message };
    }
    const after = await stat(path).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return null;
      throw e;
    });
    if (!after || after.size !== before.size || after.mtimeMs !== before.mtimeMs || after.ino !== before.ino || data.length !== after.size) {
      reason = 'the file changed while it was read';
      continue;
    }
    try {
      const snapshot = parseStatus(data.toString('utf8'), { file: path, timeZone: opts.timeZone });
      return { kind: 'snapshot', snapshot, fileModifiedAt: isoFromMs(after.mtimeMs) };
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      reason = e.message;
    }
  }
  return { kind: 'unreadable', reason };
}
