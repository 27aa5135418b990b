/**
 * One async source read once by several consumers, each through its own async iterable:
 * the whole-history export files (src/cli/whole-history.ts) are four writers of the same
 * million rows, and making the rows is most of the work.
 *
 * A consumer `ahead` items in front of the slowest one waits for it, so at most `ahead`
 * items are held. A consumer that stops (returns or throws) no longer holds the others back;
 * when all have stopped the source is closed. A failure of the source is thrown to every
 * consumer that reaches it.
 */
export interface FanOut<T> {
  /** One iterable per consumer, each of every item of the source in order (iterate each once). */
  branches: AsyncIterable<T>[];
  /**
   * Consumer `i` wants no more items. Iterating to the end, returning or throwing does this
   * too; call it for a consumer that may never have started iterating (a writer that failed
   * first), or the others would wait for it. Closes the source once no consumer is left.
   */
  release(i: number): Promise<void>;
}

export function fanOut<T>(source: AsyncIterable<T>, consumers: number, ahead: number): FanOut<T> {
  if (!Number.isInteger(consumers) || consumers < 1) throw new RangeError(`fanOut: ${consumers} consumers`);
  if (!Number.isInteger(ahead) || ahead < 2) throw new RangeError(`fanOut: ahead ${ahead}`);
  const it = source[Symbol.asyncIterator]();
  /** Items by their index, from the slowest active consumer's position up to `next`. */
  const held = new Map<number, T>();
  let next = 0;
  let dropped = 0;
  let ended = false;
  let failure: { error: unknown } | null = null;
  let pulling: Promise<void> | null = null;
  const position = new Array<number>(consumers).fill(0);
  const active = new Array<boolean>(consumers).fill(true);
  /** Consumers waiting until the slowest reaches `until` (half of `ahead` behind them: not a wake-up per item). */
  let waiting: { until: number; wake: () => void }[] = [];

  const slowest = (): number => {
    let min = Number.POSITIVE_INFINITY;
    for (let i = 0; i < consumers; i++) if (active[i] === true && (position[i] as number) < min) min = position[i] as number;
    return min;
  };
  /** Drops what every active consumer has passed; wakes those waiting for the slowest. */
  const advance = (): void => {
    const min = slowest();
    for (const end = Math.min(min, next); dropped < end; dropped++) held.delete(dropped);
    if (waiting.length === 0) return;
    const still: typeof waiting = [];
    for (const w of waiting) if (w.until <= min) w.wake(); else still.push(w);
    waiting = still;
  };
  const pull = (): Promise<void> =>
    (pulling ??= (async () => {
      try {
        const r = await it.next();
        if (r.done === true) ended = true;
        else held.set(next++, r.value);
      } catch (e) {
        failure = { error: e };
      } finally {
        pulling = null;
      }
    })());

  const release = async (i: number): Promise<void> => {
    if (active[i] !== true) return;
    active[i] = false;
    advance();
    if (!active.includes(true) && !ended && failure === null) {
      ended = true;
      await it.return?.();
    }
  };

  async function* branch(i: number): AsyncGenerator<T> {
    try {
      for (;;) {
        const at = position[i] as number;
        if (at < next) {
          if (at - slowest() >= ahead) {
            const until = at - Math.floor(ahead / 2);
            await new Promise<void>((wake) => waiting.push({ until, wake }));
            continue;
          }
          const item = held.get(at) as T;
          position[i] = at + 1;
          advance();
          yield item;
        } else if (failure !== null) {
          throw failure.error;
        } else if (ended) {
          return;
        } else {
          await pull();
        }
      }
    } finally {
      await release(i);
    }
  }
  return { branches: Array.from({ length: consumers }, (_, i) => branch(i)), release };
}
