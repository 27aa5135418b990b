/**
 * The hook's side of the spool: one line appended with one write() to a descriptor opened
 * with O_APPEND, then fsync. On Linux a write to a regular file opened O_APPEND places the
 * whole buffer at the end under the file's lock, so lines of concurrent hooks (OpenVPN runs
 * one per client event, and several servers may share a spool) never interleave. Only
 * node:fs: the hook must start fast.
 */
import { closeSync, constants, fsyncSync, openSync, writeSync } from 'node:fs';

export class SpoolWriteError extends Error {
  readonly code = 'ESPOOLWRITE';
  constructor(
    readonly path: string,
    reason: string,
  ) {
    super(`${path}: ${reason}`);
    this.name = 'SpoolWriteError';
  }
}

/** Appends `line` (ending in a newline) to the spool, creating it with mode 0600 (the status file's mode). */
export function appendSpoolLine(path: string, line: string): void {
  const data = Buffer.from(line, 'utf8');
  const fd = openSync(path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
  try {
    // One write(2): fs.writeSync does not loop, so a short write (disk full) shows here. The
    // fragment it leaves is recovered by the reader when the next line is appended to it.
    const n = writeSync(fd, data, 0, data.length);
    if (n !== data.length) throw new SpoolWriteError(path, `short write: ${n} of ${data.length} bytes (disk full?)`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
