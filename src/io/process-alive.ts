import { readFileSync } from 'node:fs';

/** True when a process with this pid exists (EPERM means it exists but is not ours). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The kernel's start time of a process (Linux /proc), to tell a reused pid apart. Null where unknown. */
export function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22; the command name (field 2) may contain spaces, so count from the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19] ?? null;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ESRCH' || code === 'EACCES') return null;
    throw e;
  }
}

/** Seconds since the epoch when the machine booted (/proc/stat), or null where unknown. */
function bootTimeS(): number | null {
  try {
    const m = /^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'));
    return m ? Number(m[1]) : null;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

/**
 * When a process started, in ms since the epoch (to about a second: btime is whole seconds),
 * or null where unknown. The start time counts clock ticks since boot; USER_HZ is 100 on
 * every Linux architecture.
 */
export function processStartedAtMs(pid: number): number | null {
  const ticks = processStartTime(pid);
  const boot = ticks === null ? null : bootTimeS();
  return ticks === null || boot === null ? null : boot * 1000 + Number(ticks) * 10;
}
