/** OpenVPN hook environments recorded from a real server (test/fixtures/hooks/README.md) and spool lines. */
import { readFileSync } from 'node:fs';
import { chmod, mkdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { eventFromRecord, recordFromEnv, type HookEvent } from '../../src/core/hook-line.js';
import type { HookSpoolState } from '../../src/core/reconcile.js';
import { takeSpool, type SpoolIntake } from '../../src/io/hook-spool.js';
import { ROOT } from './build.js';
import { runProcess, type RunResult } from './cli.js';
import { reachableRoot } from './reachable.js';

/** takeSpool with the warnings it gave kept, in order, for assertions. */
export async function takeSpoolWarned(
  spool: string,
  prev: HookSpoolState | undefined,
  now: string,
): Promise<SpoolIntake & { warnings: string[] }> {
  const warnings: string[] = [];
  const intake = await takeSpool(spool, prev, now, (m) => warnings.push(m));
  return { ...intake, warnings };
}

export const HOOK_FIXTURES = fileURLToPath(new URL('../fixtures/hooks/', import.meta.url));

export const RECORDED = [
  'udp4-connect-username',
  'udp4-connect-no-username',
  'udp4-disconnect-username',
  'udp4-disconnect-no-username',
  'udp6-connect-ipv6',
  'udp6-disconnect-ipv6',
  'udp6-connect-mapped-ipv4',
  'udp6-disconnect-mapped-ipv4',
  'tcp-connect-user-nobody',
  'tcp-disconnect-user-nobody',
] as const;
export type Recorded = (typeof RECORDED)[number];

/** A recorded environment: NAME=value lines (split at the first "="), "#" lines are notes. */
export function hookEnv(name: Recorded): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of readFileSync(`${HOOK_FIXTURES}${name}.env`, 'utf8').split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    env[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return env;
}

/** The event a (possibly edited) environment describes; fails the test when it does not decode. */
export function eventOf(env: Record<string, string | undefined>, instance = 'udp', nowS = 1795720400): HookEvent {
  const ev = eventFromRecord(recordFromEnv(env, instance, nowS));
  if (!ev.ok) throw new Error(`not an event: ${ev.error}`);
  return ev.value;
}

/** A client-connect environment as OpenVPN 2.6 sets it, with the variables the hook reads. */
export function connectEnv(over: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return {
    script_type: 'client-connect',
    common_name: 'alice',
    username: 'alice.login',
    trusted_ip: '198.51.100.7',
    trusted_port: '51234',
    untrusted_ip: '198.51.100.7',
    untrusted_port: '51234',
    ifconfig_pool_remote_ip: '10.8.0.2',
    ifconfig_pool_remote_ip6: 'fd00:8::1000',
    time_unix: '1795720334',
    proto_1: 'udp4',
    ...over,
  };
}

/** The client-disconnect environment of the same client after `durationS`. */
export function disconnectEnv(
  durationS: number,
  over: Record<string, string | undefined> = {},
): Record<string, string | undefined> {
  return connectEnv({
    script_type: 'client-disconnect',
    time_duration: String(durationS),
    bytes_received: '2498',
    bytes_sent: '2708',
    ...over,
  });
}

export type HookRun = RunResult;

/**
 * Runs a hook as OpenVPN does: a clean environment of OpenVPN's variables only (plus PATH,
 * by default OpenVPN's own), optionally as another user (`asNobody`, when the tests run as
 * root: root may write anywhere) and in another working directory (`cwd`).
 */
export function runHook(
  cmd: string,
  args: string[],
  env: Record<string, string | undefined>,
  opts: { asNobody?: boolean; cwd?: string; path?: string } = {},
): Promise<HookRun> {
  const clean: Record<string, string> = { PATH: opts.path ?? '/usr/local/bin:/usr/bin:/bin' };
  for (const [k, v] of Object.entries(env)) if (v !== undefined) clean[k] = v;
  const asNobody = opts.asNobody === true && process.getuid?.() === 0;
  const ids = asNobody ? { uid: 65534, gid: 65534 } : {};
  // Nobody may not reach the checkout (under /root, a 0700 home): the package's files from a copy it can.
  const reach = (p: string): string => (asNobody && p.startsWith(ROOT) ? join(reachableRoot(), relative(ROOT, p)) : p);
  return runProcess(reach(cmd), args.map(reach), { env: clean, cwd: opts.cwd, ...ids, hangMs: 30_000 });
}

/** A folder the hook cannot write to: read-only, and (as root) the hook runs as nobody. */
export async function readOnlyDir(parent: string): Promise<string> {
  await chmod(parent, 0o755);
  const dir = join(parent, 'read-only');
  await mkdir(dir, { mode: 0o555 });
  await chmod(dir, 0o555);
  return dir;
}

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)] ?? Number.NaN;
};
