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
