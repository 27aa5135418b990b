/**
 * Expected failures: bad input, bad usage. The CLI prints them as one line
 * (`openvpn-status-web: <file>:<line>: <reason>`) and exits 2. Anything else is a bug
 * and is printed with its stack (exit 1).
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

export function isExpectedError(e: unknown): e is InputError | UsageError {
  return e instanceof InputError || e instanceof UsageError;
}
