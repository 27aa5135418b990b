/**
 * One async source read once by several consumers, each through its own async iterable:
 * the whole-history export files (src/app/whole-history.ts) are four writers of the same
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
  const f: Fan<T> = {
    it: source[Symbol.asyncIterator](),
    ahead,
    held: new Map(),
    next: 0,
    dropped: 0,
    ended: false,
    failure: null,
    pulling: null,
    position: new Array<number>(consumers).fill(0),
    active: new Array<boolean>(consumers).fill(true),
    waiting: [],
  };
  return { branches: Array.from({ length: consumers }, (_, i) => branch(f, i)), release: (i) => release(f, i) };
}

/** What the branches share: the source, the items held, and each consumer's position. */
interface Fan<T> {
  readonly it: AsyncIterator<T>;
  readonly ahead: number;
  /** Items by their index, from the slowest active consumer's position up to `next`. */
  readonly held: Map<number, T>;
  next: number;
  dropped: number;
  ended: boolean;
  failure: { error: unknown } | null;
  pulling: Promise<void> | null;
  readonly position: number[];
  readonly active: boolean[];
  /** Consumers waiting until the slowest reaches `until` (half of `ahead` behind them: not a wake-up per item). */
  waiting: { until: number; wake: () => void }[];
}

function slowest<T>(f: Fan<T>): number {
  let min = Number.POSITIVE_INFINITY;
  for (let i = 0; i < f.position.length; i++)
    if (f.active[i] === true && (f.position[i] as number) < min) min = f.position[i] as number;
  return min;
}

/** Drops what every active consumer has passed; wakes those waiting for the slowest. */
function advance<T>(f: Fan<T>): void {
  const min = slowest(f);
  for (const end = Math.min(min, f.next); f.dropped < end; f.dropped++) f.held.delete(f.dropped);
  if (f.waiting.length === 0) return;
  const still: Fan<T>['waiting'] = [];
  for (const w of f.waiting)
    if (w.until <= min) w.wake();
    else still.push(w);
  f.waiting = still;
}

/** Reads the next item of the source (one read at a time, shared by whoever asks meanwhile). */
function pull<T>(f: Fan<T>): Promise<void> {
  f.pulling ??= (async () => {
    try {
      const r = await f.it.next();
      if (r.done === true) f.ended = true;
      else f.held.set(f.next++, r.value);
    } catch (e) {
      f.failure = { error: e };
    } finally {
      f.pulling = null;
    }
  })();
  return f.pulling;
}

async function release<T>(f: Fan<T>, i: number): Promise<void> {
  if (f.active[i] !== true) return;
  f.active[i] = false;
  advance(f);
  if (!f.active.includes(true) && !f.ended && f.failure === null) {
    f.ended = true;
    await f.it.return?.();
  }
}

async function* branch<T>(f: Fan<T>, i: number): AsyncGenerator<T> {
  try {
    for (;;) {
      const at = f.position[i] as number;
      if (at < f.next) {
        if (at - slowest(f) >= f.ahead) {
          const until = at - Math.floor(f.ahead / 2);
          await new Promise<void>((wake) => f.waiting.push({ until, wake }));
          continue;
        }
        const item = f.held.get(at) as T;
        f.position[i] = at + 1;
        advance(f);
        yield item;
      } else if (f.failure !== null) {
        throw f.failure.error;
      } else if (f.ended) {
        return;
      } else {
        await pull(f);
      }
    }
  } finally {
    await release(f, i);
  }
}
