/**
 * One cross-process lock, shared by the cron job, the delete endpoint and every other
 * writer of a history. A lock file holding the owner's pid, host and process start time;
 * a lock whose owner died (SIGKILL, power loss) is taken over.
 *
 * The file is written under a temp name and then hard-linked to the lock's name, which
 * fails when the name exists: so the lock appears with its owner in it, never empty, and
 * a process killed at any instant leaves either no lock or one naming it (a dead owner,
 * taken over at once). Lock files written otherwise (empty or torn) still count as held
 * until they are ORPHAN_MS old.
 */
import { hostname } from 'node:os';
import { link, mkdir, open, readFile, rmdir, stat, unlink } from 'node:fs/promises';
import { removeStaleTemps, tempPathFor } from './atomic-write.js';
import { ifMissing, onFile } from './fs-errors.js';
import { isProcessAlive, processStartTime } from './process-alive.js';

export class LockBusyError extends Error {
  readonly code = 'ELOCKED';
  constructor(
    readonly path: string,
    readonly owner: string,
  ) {
    super(`${path}: held by ${owner}`);
    this.name = 'LockBusyError';
  }
}

interface Owner {
  pid: number;
  host: string;
  start: string | null;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** A lock file or takeover folder this old with no readable owner is debris of a crash. */
const ORPHAN_MS = 10_000;

async function readOwner(path: string): Promise<Owner | null> {
  const raw = await readFile(path, 'utf8').catch(ifMissing(null));
  if (raw === null) return null;
  try {
    const o = JSON.parse(raw) as Owner;
    return typeof o.pid === 'number' && typeof o.host === 'string' ? o : null;
  } catch (e) {
    if (e instanceof SyntaxError) return null; // created but not yet written, or torn
    throw e;
  }
}

async function ageMs(path: string): Promise<number> {
  return Date.now() - (await stat(path)).mtimeMs;
}

function ownerIsDead(o: Owner): boolean {
  if (o.host !== hostname()) return false; // cannot tell across hosts
  if (!isProcessAlive(o.pid)) return true;
  const start = processStartTime(o.pid);
  return o.start !== null && start !== null && start !== o.start; // pid reused by another process
}

export interface Lock {
  /** True when this process found the lock held by a dead owner (killed mid-run, say): its temp files may lie anywhere. */
  readonly afterCrash: boolean;
  release(): Promise<void>;
}

/** Links the owner's record (at `tmp`) to the lock's name; false when the lock exists. */
async function tryLink(tmp: string, path: string): Promise<boolean> {
  try {
    await link(tmp, path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
}

/**
 * Removes a dead owner's lock; a takeover folder makes sure only one waiter does it.
 * False when another waiter is doing it (or died doing it: its folder is removed once old).
 */
async function takeOver(path: string, dead: string): Promise<boolean> {
  const guard = `${path}.takeover`;
  try {
    await mkdir(guard);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    if ((await ageMs(guard).catch(ifMissing(0))) <= ORPHAN_MS) return false;
    await rmdir(guard).catch(ifMissing(undefined));
    return true;
  }
  try {
    const now = await readFile(path, 'utf8').catch(ifMissing(null));
    if (now === dead) await unlink(path);
  } finally {
    await rmdir(guard);
  }
  return true;
}

/** Calls of acquireLock in this process so far (names their temp files). */
let attempts = 0;

export async function acquireLock(path: string, timeoutMs: number): Promise<Lock> {
  const me: Owner = { pid: process.pid, host: hostname(), start: processStartTime(process.pid) };
  const deadline = Date.now() + timeoutMs;
  // Temp records of processes killed before they linked theirs, then this one's.
  await removeStaleTemps(path);
  // Numbered: the endpoint may wait for the lock in several requests at once.
  const tmp = `${tempPathFor(path)}-${++attempts}`;
  await onFile(path, 'create the lock', async () => {
    const fh = await open(tmp, 'w', 0o644);
    try {
      await fh.writeFile(JSON.stringify(me));
      await fh.sync();
    } catch (e) {
      await fh.close();
      await unlink(tmp).catch(ifMissing(undefined));
      throw e;
    }
    await fh.close();
  });
  let afterCrash = false;
  try {
    let delay = 20;
    for (;;) {
      if (await tryLink(tmp, path)) break;
      const raw = await readFile(path, 'utf8').catch(ifMissing(null));
      if (raw !== null) {
        const owner = await readOwner(path);
        const orphan = owner === null && (await ageMs(path).catch(ifMissing(0))) > ORPHAN_MS;
        if (orphan || (owner !== null && ownerIsDead(owner))) {
          afterCrash = true;
          // Wait while another waiter takes over, rather than spin on the file system.
          if (!(await takeOver(path, raw))) await sleep(delay);
          continue;
        }
        if (Date.now() >= deadline) {
          throw new LockBusyError(path, owner ? `pid ${owner.pid} on ${owner.host}` : 'an unknown process');
        }
      }
      await sleep(delay);
      delay = Math.min(delay * 2, 250);
    }
  } finally {
    await unlink(tmp);
  }
  let released = false;
  return {
    afterCrash,
    async release() {
      if (released) return;
      released = true;
      const owner = await readOwner(path);
      if (owner && owner.pid === me.pid && owner.host === me.host) await unlink(path);
    },
  };
}

export async function withLock<T>(path: string, timeoutMs: number, fn: () => Promise<T>): Promise<T> {
  const lock = await acquireLock(path, timeoutMs);
  try {
    return await fn();
  } finally {
    await lock.release();
  }
}
