/**
 * What the system tests need (root, /dev/net/tun, Debian's openvpn, nginx, openssl) and what
 * happens when something is missing: the test skips with a message naming it, unless
 * REQUIRE_SYSTEM_TESTS=1 (set by .ci/run), where a missing requirement fails the test.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { TestContext } from 'node:test';

export const REQUIRED = process.env.REQUIRE_SYSTEM_TESTS === '1';

export interface Needs {
  root?: boolean;
  tun?: boolean;
  /** Programs that must be on PATH (or in /usr/sbin, /sbin: Debian puts openvpn and nginx there). */
  bins?: string[];
}

const SEARCH = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/sbin', '/usr/bin', '/bin'].filter(
  (d) => d !== '',
);

/** Absolute path of a program, or null when it is not installed. */
export function which(bin: string): string | null {
  for (const dir of SEARCH) {
    const p = join(dir, bin);
    try {
      accessSync(p, constants.X_OK);
      if (statSync(p).isFile()) return p;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'EACCES' && code !== 'ENOTDIR') throw e;
    }
  }
  return null;
}

/** The program's absolute path; throws when it is missing (call after `systemGate`). */
export function bin(name: string): string {
  const p = which(name);
  if (p === null) throw new Error(`${name} is not installed`);
  return p;
}

/** Debian packages of the programs whose package is named otherwise. */
const PACKAGE: Record<string, string> = {
  ip: 'iproute2',
  ss: 'iproute2',
  pgrep: 'procps',
  prlimit: 'util-linux',
  soffice: 'libreoffice-calc-nogui',
};

/** What is missing for `needs`, one phrase each; empty when everything is there. */
export function missing(needs: Needs): string[] {
  const out: string[] = [];
  if (needs.root && process.getuid?.() !== 0) out.push('root (run as uid 0)');
  if (needs.tun) {
    try {
      accessSync('/dev/net/tun', constants.R_OK | constants.W_OK);
    } catch (e) {
      out.push(`/dev/net/tun (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
    }
  }
  for (const b of needs.bins ?? [])
    if (which(b) === null) out.push(`the program "${b}" (apt-get install ${PACKAGE[b] ?? b})`);
  return out;
}

/**
 * Call first in a system test: true when it can run. Otherwise it skips the test with a
 * message (and returns false), or, with REQUIRE_SYSTEM_TESTS=1, throws so the test fails.
 */
export function systemGate(t: TestContext, needs: Needs): boolean {
  const lacking = missing(needs);
  if (lacking.length === 0) return true;
  const msg = `system test needs ${lacking.join(', ')}`;
  if (REQUIRED) throw new Error(`${msg}; REQUIRE_SYSTEM_TESTS=1 turns this skip into a failure`);
  t.skip(`${msg} (set REQUIRE_SYSTEM_TESTS=1 to fail instead of skipping)`);
  return false;
}
