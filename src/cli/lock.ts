import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Settings } from '../core/settings.js';
import { historyPaths } from '../io/history-store.js';
import { acquireLock, LockBusyError } from '../io/lock.js';
import type { Logger } from './context.js';

/**
 * Runs `fn` holding the history's lock (the one the cron job, the endpoint and every other
 * writer share). Null when another process holds it past --lock-timeout: the caller exits 0,
 * since the next run a minute later catches up.
 */
export async function withHistoryLock<T>(settings: Settings, log: Logger, what: string, fn: () => Promise<T>): Promise<T | null> {
  const { lock: path } = historyPaths(settings.history);
  await mkdir(dirname(path), { recursive: true });
  let lock;
  try {
    lock = await acquireLock(path, settings.lockTimeout * 1000);
  } catch (e) {
    if (e instanceof LockBusyError) {
      log.warn(`${what} skipped: the history is locked by ${e.owner} (${e.path})`);
      return null;
    }
    throw e;
  }
  try {
    return await fn();
  } finally {
    await lock.release();
  }
}
