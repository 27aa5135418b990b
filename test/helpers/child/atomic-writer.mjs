// Replaces TARGET with alternating big contents (compiled writeFileAtomic) until killed.
// Usage: node atomic-writer.mjs DIST_ATOMIC_WRITE_JS TARGET
import { pathToFileURL } from 'node:url';

const [atomicModule, target] = process.argv.slice(2);
const { writeFileAtomic } = await import(pathToFileURL(atomicModule).href);
// Must match contentsFor() in test/io/atomic-write.test.ts.
const contents = [Buffer.alloc(1024 * 1024, 'A'), Buffer.alloc(300 * 1024 + 7, 'B')];
for (let i = 0; ; i++) {
  await writeFileAtomic(target, contents[i % 2]);
  if (i === 0) process.stdout.write('writing\n');
}
