/**
 * The CLI tests run the compiled CLI (`dist/cli.js`, which runs the build's bundle of it,
 * dist/bundle/), as cron and users do. When `dist/` is missing or older than `src/`, or the
 * bundle older than the modules, it is rebuilt once (`npm run build`), under a lock folder
 * so that test files running in parallel do not build at the same time.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CLI = join(ROOT, 'dist', 'cli.js');

/** Absolute path of a compiled module, e.g. `distPath('io/lock.js')`, for child processes. */
export function distPath(rel: string): string {
  return join(ROOT, 'dist', rel);
}

function staleOutput(): string | null {
  const src = join(ROOT, 'src');
  const walk = (dir: string): string | null => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      const st = statSync(p);
      if (st.isDirectory()) {
        const found = walk(p);
        if (found) return found;
      } else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) {
        const out = join(ROOT, 'dist', relative(src, p).replace(/\.ts$/, '.js'));
        if (!existsSync(out) || statSync(out).mtimeMs < st.mtimeMs) return out;
      }
    }
    return null;
  };
  const found = walk(src);
  if (found !== null) return found;
  // dist/cli.js runs the bundle only when it is not older than the modules (else the modules).
  const bundle = join(ROOT, 'dist', 'bundle', 'main.js');
  if (!existsSync(bundle) || statSync(bundle).mtimeMs < statSync(join(ROOT, 'dist', 'main.js')).mtimeMs) return bundle;
  return null;
}

const pause = (ms: number): void => {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
};

let checked = false;

export function ensureBuilt(): void {
  if (checked) return;
  if (staleOutput() === null) {
    checked = true;
    return;
  }
  const lock = join(ROOT, 'node_modules', '.cache', 'openvpn-status-web-test-build.lock');
  mkdirSync(join(lock, '..'), { recursive: true });
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      // Left by a killed test run: a build never takes two minutes.
      if (Date.now() - statSync(lock).mtimeMs > 120_000) rmdirSync(lock);
      else pause(200);
    }
  }
  try {
    const stale = staleOutput();
    if (stale !== null) {
      const r = spawnSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, encoding: 'utf8' });
      // tsc emits JavaScript despite type errors; those are the type check's to report
      // (`npm test` runs it first). Only output that was not emitted stops the tests.
      const still = staleOutput();
      if (still !== null)
        throw new Error(`npm run build did not produce ${still} (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
      if (r.status !== 0)
        process.stderr.write(`test/helpers/build.ts: npm run build reported errors; testing the emitted JavaScript\n`);
    }
  } finally {
    rmdirSync(lock);
  }
  checked = true;
}
