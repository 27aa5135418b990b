/**
 * Expected failures: bad input, bad usage, a machine that refuses a file operation. The CLI
 * prints them as one line (`openvpn-status-web: <file>:<line>: <reason>`) and exits 2.
 * Anything else is a bug and is printed with its stack (exit 1).
 */
export class InputError extends Error {
  readonly code = 'EINPUT';
  constructor(
    readonly file: string,
    readonly line: number | null,
    readonly reason: string,
  ) {
    super(line === null ? `${file}: ${reason}` : `${file}:${line}: ${reason}`);
    this.name = 'InputError';
  }
}

/** A wrong flag, command or value on the command line or in the config file. */
export class UsageError extends Error {
  readonly code = 'EUSAGE';
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/**
 * The machine refused a file operation (disk full, no permission, read-only file system, too
 * many open files): the operator's to fix, not a bug. `code` is the system's (ENOSPC, …), so
 * code that tells errors apart by it still can.
 */
export class FileSystemError extends Error {
  constructor(
    readonly file: string,
    /** What was tried, as in "cannot <operation>": "write", "append to", "create the folder". */
    readonly operation: string,
    readonly code: string,
    /** What went wrong and how to fix it, e.g. "no space left on device (ENOSPC); free disk space on …". */
    readonly reason: string,
  ) {
    super(`${file}: cannot ${operation}: ${reason}`);
    this.name = 'FileSystemError';
  }
}

export function isExpectedError(e: unknown): e is InputError | UsageError | FileSystemError {
  return e instanceof InputError || e instanceof UsageError || e instanceof FileSystemError;
}
