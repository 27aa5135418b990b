/**
 * Reads a live status file that OpenVPN rewrites in place (seek 0, a write per line,
 * ftruncate). A read is accepted only when the file did not change during it (size, mtime
 * and inode equal before and after), its mtime is a little in the past, and it is still
 * unchanged a moment after the read; a torn, empty or unparsable read is retried a few
 * times within about a second. A writer stalled mid-rewrite for longer than that quiet
 * window still leaves a complete-looking file: the collector's two-snapshot rule is the
 * defence behind this one.
 */
import type { Stats } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { decodeFields } from '../core/decode-fields.js';
import { InputError } from '../core/errors.js';
import { parseStatus, type StatusSnapshot } from '../core/parse-status.js';
import { err, ok, type Result } from '../core/result.js';
import { isoFromMs } from '../core/time.js';
import { ifMissing } from './fs-errors.js';

export interface StatusFile {
  snapshot: StatusSnapshot;
  fileModifiedAt: string;
  /** Lines with fields that are not valid UTF-8, and those fields as read (Latin-1): for the caller's warning. */
  latin1?: { lines: number[]; fields: string[] };
}

/** Why a status file gave no snapshot this time: not there, or not readable (torn, not a status file, no permission). */
export type StatusReadError = { kind: 'missing' } | { kind: 'unreadable'; reason: string };

export type StatusRead = Result<StatusFile, StatusReadError>;

const missing = (): StatusRead => err({ kind: 'missing' });
const unreadable = (reason: string): StatusRead => err({ kind: 'unreadable', reason });

export interface ReadStatusOptions {
  timeZone: string;
  attempts?: number;
  retryDelayMs?: number;
  /** How old the mtime must be before a read is trusted. */
  settleMs?: number;
  /** How much longer than settleMs the file must stand unchanged, read included (default: settleMs). */
  confirmMs?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function readStatusFile(path: string, opts: ReadStatusOptions): Promise<StatusRead> {
  const attempts = opts.attempts ?? 6;
  const retryDelayMs = opts.retryDelayMs ?? 150;
  const settleMs = opts.settleMs ?? 100;
  const confirmMs = opts.confirmMs ?? settleMs;
  let reason = 'not read';
  let settleWaits = 0;
  for (let i = 0; i < attempts; i++) {
    if (i > 0) await sleep(retryDelayMs);
    const a = await readOnce(path, opts.timeZone, settleMs, confirmMs);
    if (a.kind === 'done') return a.read;
    reason = a.reason;
    // Waiting for the writer to finish is not a failed attempt, but a file that is written
    // without pause (or has a future mtime) must not hold the collector and its lock forever.
    if (a.kind === 'unsettled' && settleWaits < attempts) {
      settleWaits++;
      await sleep(a.waitMs);
      i--;
    }
  }
  return unreadable(reason);
}

/** One read: final (a snapshot, missing, unreadable), worth another try, or too fresh to read yet. */
type ReadOnce =
  | { kind: 'done'; read: StatusRead }
  | { kind: 'retry'; reason: string }
  | { kind: 'unsettled'; reason: string; waitMs: number };

const done = (read: StatusRead): ReadOnce => ({ kind: 'done', read });
const retry = (reason: string): ReadOnce => ({ kind: 'retry', reason });

/** A stat or read that failed: the file is gone, or it cannot be read at all. */
function failedRead(e: unknown): StatusRead {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return missing();
  return unreadable((e as Error).message);
}

/** The file is still the one `before` describes, and `data` is all of it. */
async function unchanged(path: string, before: Stats, data: Buffer): Promise<boolean> {
  const now = await stat(path).catch(ifMissing(null));
  return (
    now !== null &&
    now.size === before.size &&
    now.mtimeMs === before.mtimeMs &&
    now.ino === before.ino &&
    data.length === now.size
  );
}

async function readOnce(path: string, timeZone: string, settleMs: number, confirmMs: number): Promise<ReadOnce> {
  let before: Stats;
  try {
    before = await stat(path);
  } catch (e) {
    return done(failedRead(e));
  }
  const age = Date.now() - before.mtimeMs;
  if (age < settleMs) {
    const reason = age < 0 ? 'its modification time is in the future' : 'it kept being written';
    return { kind: 'unsettled', reason, waitMs: Math.min(settleMs - age, settleMs) };
  }
  let data: Buffer;
  try {
    data = await readFile(path);
  } catch (e) {
    return done(failedRead(e));
  }
  if (!(await unchanged(path, before, data))) return retry('the file changed while it was read');
  let snapshot: StatusSnapshot;
  const decoded = decodeFields(data);
  try {
    snapshot = parseStatus(decoded.text, { file: path, timeZone });
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    return retry(e.message);
  }
  // A writer that paused mid-rewrite (preempted, blocked on the disk) goes on soon: trust
  // the read once the file has stood unchanged for settleMs + confirmMs in all. OpenVPN
  // rewrites it every few seconds, so usually it is that old already and nobody waits.
  const wait = settleMs + confirmMs - (Date.now() - before.mtimeMs);
  if (wait > 0) await sleep(wait);
  if (!(await unchanged(path, before, data))) return retry('the file changed just after it was read');
  const latin1 =
    decoded.latin1Lines.length === 0 ? {} : { latin1: { lines: decoded.latin1Lines, fields: decoded.latin1Fields } };
  return done(ok({ snapshot, fileModifiedAt: isoFromMs(before.mtimeMs), ...latin1 }));
}
