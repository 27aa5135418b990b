// Takes the history lock (compiled code) and holds it until killed.
// Usage: node hold-lock.mjs DIST_LOCK_JS LOCK_PATH
import { pathToFileURL } from 'node:url';

const [lockModule, lockPath] = process.argv.slice(2);
const { acquireLock } = await import(pathToFileURL(lockModule).href);
await acquireLock(lockPath, 10_000);
process.stdout.write(`locked ${process.pid}\n`);
setInterval(() => undefined, 1 << 30);
