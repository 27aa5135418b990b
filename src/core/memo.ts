/**
 * Sets `key` to `value` in `map`, first emptying the map when it already holds `max`
 * entries: the bound on the memory of a run's memos (time readings, slugs, cache files),
 * not an eviction policy. A memo only saves work, so starting over is always correct.
 * Returns `value`.
 */
export function setBounded<K, V>(map: Map<K, V>, key: K, value: V, max: number): V {
  if (map.size >= max) map.clear();
  map.set(key, value);
  return value;
}

/**
 * A memo bounded by the total weight of its values, not by their number: the build's day
 * and user-month lists, weighed in sessions (a day of a large history holds a thousand, a
 * user-month ten). Setting a value drops the oldest entries until it fits; a value heavier
 * than the bound alone is not kept. A memo only saves work, so dropping is always correct.
 */
export class WeightedMemo<K, V> {
  private readonly entries = new Map<K, { value: V; weight: number }>();
  private total = 0;

  constructor(
    private readonly max: number,
    private readonly weigh: (value: V) => number,
  ) {}

  get(key: K): V | undefined {
    return this.entries.get(key)?.value;
  }

  /** Sets `key` (as the newest entry) and returns `value`. */
  set(key: K, value: V): V {
    this.drop(key);
    const weight = this.weigh(value);
    if (weight > this.max) return value;
    for (const [oldest] of this.entries) {
      if (this.total + weight <= this.max) break;
      this.drop(oldest);
    }
    this.entries.set(key, { value, weight });
    this.total += weight;
    return value;
  }

  /** The weight of the values held (never more than the bound). */
  get weight(): number {
    return this.total;
  }

  /** The keys held, oldest first. */
  keys(): K[] {
    return [...this.entries.keys()];
  }

  private drop(key: K): void {
    const entry = this.entries.get(key);
    if (entry === undefined) return;
    this.entries.delete(key);
    this.total -= entry.weight;
  }
}
