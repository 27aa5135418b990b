/**
 * The collector's side of the hook spool (the hooks append to SPOOL; see spool-append.ts).
 *
 * Hooks append without any lock, at any moment, so the collector never reads or shortens
 * the file they append to. Under the history lock, each run:
 *   1. renames SPOOL (when it holds anything) to a new part SPOOL.N (N never reused) and
 *      fsyncs the folder; the next hook creates a new SPOOL. A hook that opened SPOOL just
 *      before the rename still appends to the part, which is why parts are read to their
 *      end on every run and kept for PART_GRACE_S;
 *   2. reads every part from the offset the state records for it (0 for a part the state
 *      does not know: renamed by a run that died before committing), whole lines only: a
 *      torn last line (a hook killed mid-write) waits for the next run;
 *   3. the caller applies the events and commits the state with the new offsets before it
 *      appends to the CSV; a run that dies before that commit consumed nothing, one that
 *      dies after it never reads those lines again (exactly once);
 *   4. after the final commit, removePartsDone deletes the parts that are read to their end
 *      and were first seen at least PART_GRACE_S ago. A part the state names that is gone
 *      was deleted that way (only this code deletes parts), so the next run forgets it.
 */
import { constants, type Stats } from 'node:fs';
import { lstat, open, readdir, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { decodeFields } from '../core/decode-fields.js';
import { decodeSpoolLine, eventFromRecord, type HookEvent } from '../core/hook-line.js';
import type { HookSpoolState } from '../core/reconcile.js';
import type { Warn } from '../core/result.js';
import { msFromIso } from '../core/time.js';
import { fsyncDir } from './atomic-write.js';
import { ifMissing } from './fs-errors.js';

/** How long a part is kept after it was first seen: far longer than a hook takes from open() to write(). */
export const PART_GRACE_S = 300;
/** Read at most this much of a part per run (the rest next run), so a huge backlog cannot exhaust memory. */
export const READ_MAX_BYTES = 8 << 20;
/** A "line" this long without a newline is not a hook's line. */
const LINE_MAX_BYTES = 1 << 16;

export interface SpoolIntake {
  events: HookEvent[];
  /** The spool state to commit together with the events. */
  next: HookSpoolState;
  /** True when `next` differs from the state read (events, a new part, a part forgotten): commit it before the CSV append. */
  changed: boolean;
}

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

async function partsOnDisk(spool: string): Promise<Map<string, number>> {
  const names = await readdir(dirname(spool)).catch(ifMissing([] as string[]));
  const re = new RegExp(`^${escapeRe(basename(spool))}\\.(\\d{1,15})$`);
  const parts = new Map<string, number>();
  for (const name of names) {
    const m = re.exec(name);
    if (m) parts.set(name, Number(m[1]));
  }
  return parts;
}

/** Renames SPOOL to the next part when it holds anything; the part's name, or null. */
async function takeLive(spool: string, seq: number): Promise<string | null> {
  const st = await lstat(spool).catch(ifMissing(null));
  if (st === null || st.size === 0) return null;
  const name = `${basename(spool)}.${seq}`;
  await rename(spool, join(dirname(spool), name));
  // The state about to name this part must not outlive the rename in a power loss.
  await fsyncDir(dirname(spool));
  return name;
}

interface PartRead {
  events: HookEvent[];
  offset: number;
}

/**
 * Whole lines of one part from `offset` on. `quiet`: no hook can still append to it, so
 * a last line without a newline is debris of a failed write and is consumed (with a warning).
 */
async function readPart(path: string, offset: number, quiet: boolean, warn: Warn): Promise<PartRead> {
  const out: PartRead = { events: [], offset };
  // O_NOFOLLOW and a regular-file check: the spool's folder belongs to OpenVPN's user, not to us.
  const fh = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ELOOP') return null;
    throw e;
  });
  if (fh === null) {
    warn(`${path}: a symbolic link, not a spool part; left alone`);
    return out;
  }
  try {
    const st: Stats = await fh.stat();
    if (!st.isFile()) {
      warn(`${path}: not a regular file; left alone`);
      return out;
    }
    if (st.size < offset) {
      warn(
        `${path}: shorter (${st.size} bytes) than the ${offset} bytes already read; someone changed it, the rest is skipped`,
      );
      out.offset = st.size;
      return out;
    }
    const length = Math.min(st.size - offset, READ_MAX_BYTES);
    if (length === 0) return out;
    const buf = Buffer.alloc(length);
    const { bytesRead } = await fh.read(buf, 0, length, offset);
    let start = 0;
    for (let nl = buf.indexOf(0x0a, 0); nl >= 0 && nl < bytesRead; nl = buf.indexOf(0x0a, start)) {
      take(buf.subarray(start, nl), offset + start, out, path, warn);
      start = nl + 1;
    }
    const rest = bytesRead - start;
    const atEnd = offset + bytesRead === st.size;
    if (rest > 0 && ((quiet && atEnd) || rest >= LINE_MAX_BYTES)) {
      warn(`${path} at byte ${offset + start}: ${rest} bytes without a line end (a hook's write cut short); dropped`);
      start = bytesRead;
    }
    out.offset = offset + start;
    return out;
  } finally {
    await fh.close();
  }
}

function take(line: Buffer, at: number, out: PartRead, path: string, warn: Warn): void {
  if (line.length === 0) return;
  const where = `${path} at byte ${at}`;
  if (line.length >= LINE_MAX_BYTES) {
    warn(`${where}: a line of ${line.length} bytes is not a hook's line; skipped`);
    return;
  }
  // The shell hook writes OpenVPN's variables as they are: a name need not be UTF-8.
  const text = decodeFields(line);
  if (text.latin1Lines.length > 0)
    warn(
      `${where}: not valid UTF-8; its fields were read as Latin-1 (ISO-8859-1), so names that differ in their bytes stay distinct`,
    );
  const decoded = decodeSpoolLine(text.text);
  if (!decoded.ok) {
    warn(`${where}: ${decoded.error}; skipped`);
    return;
  }
  if (decoded.value.dropped !== null) {
    warn(`${where}: dropped ${Buffer.byteLength(decoded.value.dropped)} bytes left by a hook's write cut short`);
  }
  const ev = eventFromRecord(decoded.value.record);
  if (ev.ok) out.events.push(ev.value);
  else warn(`${where}: ${ev.error}; skipped`);
}

/** Steps 1 and 2: takes the live spool as a new part and reads every part's new lines. Call under the history lock. */
export async function takeSpool(
  spool: string,
  prev: HookSpoolState | undefined,
  now: string,
  warn: Warn,
): Promise<SpoolIntake> {
  const onDisk = await partsOnDisk(spool);
  const nowMs = msFromIso(now);
  const seqBefore = Math.max(prev?.seq ?? 0, ...onDisk.values());
  const taken = await takeLive(spool, seqBefore + 1);
  if (taken !== null) onDisk.set(taken, seqBefore + 1);
  const intake: SpoolIntake = {
    events: [],
    next: { seq: taken === null ? seqBefore : seqBefore + 1, parts: {} },
    changed: false,
  };
  for (const [name] of [...onDisk].sort((a, b) => a[1] - b[1])) {
    const known = prev?.parts[name];
    const seenAt = known?.seenAt ?? now;
    const quiet = nowMs - msFromIso(seenAt) >= PART_GRACE_S * 1000;
    const read = await readPart(join(dirname(spool), name), known?.offset ?? 0, quiet, warn);
    intake.events.push(...read.events);
    intake.next.parts[name] = { offset: read.offset, seenAt };
    if (known === undefined || read.offset !== known.offset) intake.changed = true;
  }
  // Parts the state names that are gone were deleted by removePartsDone after their last line was committed.
  const forgotten = Object.keys(prev?.parts ?? {}).some((name) => !onDisk.has(name));
  if (forgotten || intake.next.seq !== (prev?.seq ?? 0)) intake.changed = true;
  return intake;
}

/**
 * Step 4, after the state holding `committed` was written: deletes parts read to their end
 * and first seen PART_GRACE_S ago or earlier. Returns the names deleted.
 */
export async function removePartsDone(
  spool: string,
  committed: HookSpoolState | undefined,
  now: string,
): Promise<string[]> {
  const removed: string[] = [];
  if (committed === undefined) return removed;
  const nowMs = msFromIso(now);
  for (const [name, part] of Object.entries(committed.parts)) {
    if (nowMs - msFromIso(part.seenAt) < PART_GRACE_S * 1000) continue;
    const path = join(dirname(spool), name);
    const st = await lstat(path).catch(ifMissing(null));
    // Larger: a late hook appended after the read; it is read next run and the part kept until then.
    if (st === null || !st.isFile() || st.size !== part.offset) continue;
    await unlink(path).catch(ifMissing(undefined));
    removed.push(name);
  }
  return removed;
}
