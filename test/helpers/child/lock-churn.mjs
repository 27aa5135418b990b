// Takes and releases the history lock (compiled code) in a tight loop until killed, so a
// SIGKILL lands at any instant of taking it.
// Usage: node lock-churn.mjs DIST_LOCK_JS LOCK_PATH
import { pathToFileURL } from 'node:url';

const [lockModule, lockPath] = process.argv.slice(2);
const { acquireLock } = await import(pathToFileURL(lockModule).href);
process.stdout.write(`churning ${process.pid}\n`);
for (;;) {
  const lock = await acquireLock(lockPath, 10_000);
  await lock.release();
}
