import { userInfo } from 'node:os';
import { dirname } from 'node:path';
import { FileSystemError } from '../core/errors.js';

/** For `.catch(ifMissing(fallback))`: a vanished file is expected in races; anything else is rethrown. */
export function ifMissing<T>(fallback: T): (e: unknown) => T {
  return (e: unknown) => {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return fallback;
    throw e;
  };
}

/** The user this process runs as, for "… must be able to write it". */
function who(): string {
  const uid = process.getuid?.() ?? -1;
  try {
    return `${userInfo().username} (uid ${uid})`;
  } catch (e) {
    // No passwd entry for this uid (a container, a deleted user): the uid says enough.
    if ((e as { info?: { code?: string } }).info?.code !== 'ENOENT') throw e;
    return `uid ${uid}`;
  }
}

const write = (operation: string): string => (/^(read|open|list)/.test(operation) ? 'read' : 'write');

/** Errors the machine causes, not the program: what each means and how to fix it. */
const MACHINE: Record<string, (file: string, operation: string) => string> = {
  ENOSPC: (f) =>
    `no space left on device (ENOSPC); free disk space on the file system holding ${dirname(f)} (df -h ${dirname(f)})`,
  EDQUOT: (f) =>
    `disk quota exceeded (EDQUOT); free space or raise the quota of ${who()} on the file system holding ${dirname(f)}`,
  EACCES: (f, op) =>
    `permission denied (EACCES); check the owner and mode of ${f} and its folder: ${who()} runs this and must be able to ${write(op)} it`,
  EPERM: (f, op) =>
    `operation not permitted (EPERM); check the owner, mode and attributes (lsattr) of ${f} and its folder: ${who()} runs this and must be able to ${write(op)} it`,
  EROFS: (f) =>
    `read-only file system (EROFS); remount the file system holding ${dirname(f)} read-write, or choose a path on a writable one`,
  EMFILE: () =>
    `too many open files in this process (EMFILE); raise its limit (ulimit -n, or LimitNOFILE= in the systemd unit)`,
  ENFILE: () =>
    `too many open files on this machine (ENFILE); raise fs.file-max (sysctl) or find the program holding them`,
  EIO: (f) =>
    `input/output error (EIO); the disk or file system holding ${dirname(f)} reported an error: check it (dmesg)`,
};

/** "cannot <operation>" for a system call that failed on its own path (the top-level fallback). */
const OPERATION: Record<string, string> = {
  open: 'open',
  read: 'read',
  scandir: 'list',
  mkdir: 'create the folder',
  rmdir: 'remove the folder',
  rename: 'rename',
  unlink: 'remove',
  link: 'link',
  chmod: 'change the mode of',
  copyfile: 'copy',
};

/** A FileSystemError naming `file` for an error the machine caused; any other error as it is. */
export function fileError(e: unknown, file: string, operation: string): unknown {
  if (e instanceof FileSystemError) return e;
  const code = (e as NodeJS.ErrnoException | null)?.code;
  const reason = typeof code === 'string' ? MACHINE[code] : undefined;
  return reason === undefined ? e : new FileSystemError(file, operation, code as string, reason(file, operation));
}

/** Runs `fn`, which works on `file`: an error the machine causes comes out naming the file. */
export async function onFile<T>(file: string, operation: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw fileError(e, file, operation);
  }
}

/**
 * The top-level fallback: a machine error that no caller named a file for, named by the
 * path its system call carries (Node sets one on most); null for any other error.
 */
export function asFileSystemError(e: unknown): FileSystemError | null {
  if (e instanceof FileSystemError) return e;
  const err = e as NodeJS.ErrnoException | null;
  if (typeof err?.code !== 'string' || MACHINE[err.code] === undefined) return null;
  const syscall = err.syscall ?? 'write';
  const dest = (err as { dest?: string }).dest;
  const operation = `${OPERATION[syscall] ?? syscall}${dest !== undefined ? ` to ${dest}` : ''}`;
  return fileError(e, err.path ?? '(a file it did not name)', operation) as FileSystemError;
}
