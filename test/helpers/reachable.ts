/**
 * Tests that run the package as another user (nobody, as OpenVPN runs its hooks) need it
 * where that user can reach it: a checkout under /root, or in a home folder that is 0700
 * (Debian 12's default), is not. A copy of what the command runs (bin/, dist/, scripts/,
 * site/, package.json; the bundle needs no node_modules for the commands run this way) in a
 * world-readable temp folder, made once per test file and removed when its tests end.
 */
import { chmodSync, cpSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ensureBuilt, ROOT } from './build.js';
import { runNode, type RunResult } from './cli.js';
import { tempDirSync } from './tmp.js';

let copy: string | null = null;

/** Folders 0755, files 0644 (0755 when executable): readable by every user, whatever the umask of the checkout. */
function openUp(path: string): void {
  const st = statSync(path);
  if (st.isDirectory()) {
    chmodSync(path, 0o755);
    for (const name of readdirSync(path)) openUp(join(path, name));
  } else chmodSync(path, st.mode & 0o100 ? 0o755 : 0o644);
}

/** The root of a copy of the built package that every user can read and run. */
export function reachableRoot(): string {
  if (copy !== null) return copy;
  ensureBuilt();
  const dir = tempDirSync('ovsw-pkg-');
  for (const name of ['bin', 'dist', 'scripts', 'site', 'package.json']) {
    cpSync(join(ROOT, name), join(dir, name), { recursive: true, dereference: true });
  }
  openUp(dir);
  copy = dir;
  return dir;
}

/** `dist/cli.js` of that copy. */
export const reachableCli = (): string => join(reachableRoot(), 'dist', 'cli.js');

/** The CLI (that copy) run as nobody from `/`: a cron job under the wrong user, when the tests run as root. */
export function runCliAsNobody(args: string[]): Promise<RunResult> {
  return runNode([reachableCli(), ...args], { uid: 65534, gid: 65534, cwd: '/' });
}
