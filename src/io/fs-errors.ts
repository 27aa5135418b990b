/** For `.catch(ifMissing(fallback))`: a vanished file is expected in races; anything else is rethrown. */
export function ifMissing<T>(fallback: T): (e: unknown) => T {
  return (e: unknown) => {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return fallback;
    throw e;
  };
}
