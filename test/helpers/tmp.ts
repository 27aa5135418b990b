/**
 * Temporary folders for tests. `tempDir(t)` inside a test: removed when that test ends.
 * `tempDir()` without a test context (in a `before()` hook, which has none to hook into):
 * removed when the test file's last test has ended. KEEP_TEST_DIRS=1 (or
 * KEEP_SYSTEM_TEST_DIRS=1) keeps them all, for a look after a failure, and names them.
 */
import { mkdtempSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, type TestContext } from 'node:test';

const DEFAULT_PREFIX = 'ovsw-test-';
const KEEP = process.env.KEEP_TEST_DIRS === '1' || process.env.KEEP_SYSTEM_TEST_DIRS === '1';
const forTheFile = new Set<string>();

async function remove(dir: string): Promise<void> {
  if (KEEP) process.stderr.write(`test: kept ${dir}\n`);
  else await rm(dir, { recursive: true, force: true });
}

// Registered while the test file loads, so on the file's root test: an after() called
// inside a before() hook would run at once, not at the end.
after(async () => {
  for (const dir of forTheFile) await remove(dir);
  forTheFile.clear();
});

export async function tempDir(prefix?: string): Promise<string>;
export async function tempDir(t: TestContext, prefix?: string): Promise<string>;
export async function tempDir(tOrPrefix?: TestContext | string, prefix?: string): Promise<string> {
  const t = typeof tOrPrefix === 'object' ? tOrPrefix : undefined;
  const dir = await mkdtemp(join(tmpdir(), (typeof tOrPrefix === 'string' ? tOrPrefix : prefix) ?? DEFAULT_PREFIX));
  if (t) t.after(() => remove(dir));
  else forTheFile.add(dir);
  return dir;
}

/** `tempDir()` for synchronous code (a copy made on first use): removed when the file's tests end. */
export function tempDirSync(prefix = DEFAULT_PREFIX): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  forTheFile.add(dir);
  return dir;
}

/** The names in a folder, sorted: to prove that no temp file or lock was left behind. */
export async function listDir(dir: string): Promise<string[]> {
  return (await readdir(dir)).sort();
}
