import { mkdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { err, ok, type LockBusy, type Result } from '../core/result.js';
import type { Settings } from '../core/settings.js';
import { PRIVATE_DIR_MODE, removeLeftoverTemps } from '../io/atomic-write.js';
import { cachePaths } from '../io/build-cache.js';
import { historyPaths } from '../io/history-store.js';
import { acquireLock, LockBusyError } from '../io/lock.js';
import type { Logger } from './context.js';

/**
 * Removes what writers killed mid-write left (`FILE.tmp-PID`; see removeLeftoverTemps), in
 * the folders that runs write: the history's own files beside it, and the folders of the
 * output and the cache that every build writes. After a crash (the lock's owner had died)
 * the whole output folder and cache: a killed run may have been writing anywhere in them.
 * Only lock holders write these, so it is done holding the lock.
 */
async function removeLeftovers(settings: Settings, afterCrash: boolean, log: Logger): Promise<void> {
  const { history, out } = settings;
  const cache = cachePaths(history);
  const everyRun = [
    out,
    join(out, 'live'),
    join(out, 'data'),
    join(out, 'assets'),
    join(out, 'exports'),
    cache.dir,
    cache.pages,
  ];
  const removed = await removeLeftoverTemps(dirname(history), { prefix: basename(history) });
  for (const dir of afterCrash ? [out, cache.dir] : everyRun)
    removed.push(...(await removeLeftoverTemps(dir, { recursive: afterCrash })));
  if (removed.length > 0)
    log.detail(
      `removed ${removed.length} temp file(s) of killed writers: ${removed.slice(0, 3).join(', ')}${removed.length > 3 ? ', …' : ''}`,
    );
}

/**
 * Runs `fn` holding the history's lock (the one the cron job, the endpoint and every other
 * writer share). LockBusy (warned) when another process holds it past lockTimeout: the
 * cron commands exit 0, since the next run a minute later catches up.
 */
export async function withHistoryLock<T>(
  settings: Settings,
  log: Logger,
  what: string,
  fn: () => Promise<T>,
): Promise<Result<T, LockBusy>> {
  const { lock: path } = historyPaths(settings.history);
  // The history's folder holds names and addresses: not for other local users (when created here).
  await mkdir(dirname(path), { recursive: true, mode: PRIVATE_DIR_MODE });
  let lock: Awaited<ReturnType<typeof acquireLock>>;
  try {
    lock = await acquireLock(path, settings.lockTimeout * 1000);
  } catch (e) {
    if (e instanceof LockBusyError) {
      log.warn(`${what} skipped: the history is locked by ${e.owner} (${e.path})`);
      return err({ kind: 'lock-busy', path: e.path, owner: e.owner });
    }
    throw e;
  }
  try {
    await removeLeftovers(settings, lock.afterCrash, log);
    return ok(await fn());
  } finally {
    await lock.release();
  }
}
