/**
 * The one shape of an outcome that may fail without being an error (a refusal, a missing
 * file, a busy lock): the caller must look at `ok` before it can reach the value. Warnings
 * are not outcomes: a function that has something to say takes a `Warn` sink and says it.
 */
export type Result<T, E = string> = { ok: true; value: T } | { ok: false; error: E };

export const ok = <T>(value: T): { ok: true; value: T } => ({ ok: true, value });
export const err = <E>(error: E): { ok: false; error: E } => ({ ok: false, error });

/** Where a function sends what the operator should know but that does not stop it (callers pass `log.warn`). */
export type Warn = (message: string) => void;

/** Another process held the history lock past lockTimeout; `what` was not done (and is retried by the next run). */
export interface LockBusy {
  kind: 'lock-busy';
  /** The lock file and who held it, as the lock reported them. */
  path: string;
  owner: string;
}
