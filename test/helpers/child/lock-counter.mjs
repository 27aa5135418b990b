// Increments a counter file N times, each read-modify-write under the lock (compiled code).
// Without the lock, concurrent processes would lose increments. Prints "ready", then starts
// when GO_FILE exists, so that all children compete at the same time.
// Usage: node lock-counter.mjs DIST_LOCK_JS LOCK_PATH COUNTER_PATH N GO_FILE
import { appendFile, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const [lockModule, lockPath, counter, n, go] = process.argv.slice(2);
const { withLock } = await import(pathToFileURL(lockModule).href);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
process.stdout.write('ready\n');
while (!existsSync(go)) await sleep(5);
for (let i = 0; i < Number(n); i++) {
  await withLock(lockPath, 30_000, async () => {
    const value = Number(await readFile(counter, 'utf8'));
    // Widen the window between read and write: another holder would overwrite us here.
    await sleep(1);
    await writeFile(counter, String(value + 1));
    await appendFile(`${counter}.log`, `${process.pid} ${value + 1}\n`);
  });
  // Let the others in now and then, so the holders interleave.
  if (i % 5 === 4) await sleep(30);
}
