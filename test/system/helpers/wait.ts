/** Waiting for a condition with a deadline: the system tests never sleep a fixed long time. */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface WaitOptions {
  timeoutMs: number;
  /** How often `check` runs (default 50 ms). */
  intervalMs?: number;
  /** Added to the timeout error (a log tail, the last value seen). */
  detail?: () => string;
}

/** Polls `check` until it returns something other than undefined/false, and returns that. */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  opts: WaitOptions,
): Promise<T> {
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) {
      const extra = opts.detail ? `\n${opts.detail()}` : '';
      throw new Error(`timed out after ${opts.timeoutMs} ms waiting for ${what}${extra}`);
    }
    await sleep(opts.intervalMs ?? 50);
  }
}
