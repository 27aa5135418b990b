// Rewrites a status file in place the way OpenVPN does (status.c: seek to 0, one write per
// line, ftruncate), cycling through complete versions: bursts of rewrites without pause,
// then a quiet spell in which a careful reader can get a stable read. Runs until killed.
// Usage: node rewrite-in-place.mjs TARGET VERSIONS_JSON SEED
import { ftruncateSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';

const [target, versionsFile, seedText] = process.argv.slice(2);
const versions = JSON.parse(readFileSync(versionsFile, 'utf8')).map((v) => v.split(/(?<=\n)/));
let seed = Number(seedText) >>> 0;
const rng = () => {
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const pause = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
const fd = openSync(target, 'r+');
let announced = false;
let slowest = 0;
for (;;) {
  // A burst of rewrites without pause, then a quiet spell longer than the reader's settle time.
  const burstEnd = Date.now() + 10 + Math.floor(rng() * 70);
  while (Date.now() < burstEnd) {
    const lines = versions[Math.floor(rng() * versions.length)];
    const started = performance.now();
    let pos = 0;
    for (const line of lines) {
      const buf = Buffer.from(line);
      writeSync(fd, buf, 0, buf.length, pos);
      pos += buf.length;
    }
    ftruncateSync(fd, pos);
    slowest = Math.max(slowest, performance.now() - started);
  }
  // The slowest rewrite so far: a writer stalled mid-rewrite longer than the reader's quiet
  // window leaves a torn file that looks complete (see src/io/status-reader.ts).
  writeFileSync(`${target}.slowest`, String(Math.round(slowest)));
  if (!announced) {
    process.stdout.write('writing\n');
    announced = true;
  }
  pause(250 + Math.floor(rng() * 200));
}
