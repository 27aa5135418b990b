/**
 * Plain-object maps keyed by untrusted text (user names, common names, aliases, instance
 * names): a user named "constructor" must not find Object.prototype's function, and one
 * named "__proto__" must be a key like any other, not the object's prototype. JSON keeps
 * such keys as own properties (JSON.parse), so look-ups must see own properties only.
 */

/** A map without a prototype (own keys only; "__proto__" is an ordinary key), filled from `from`'s own entries. */
export function dict<T>(from?: Readonly<Record<string, T>>): Record<string, T> {
  const d = Object.create(null) as Record<string, T>;
  if (from !== undefined) for (const [k, v] of Object.entries(from)) d[k] = v;
  return d;
}

/** The value of `key` when it is an own property of `map`, never an inherited one. */
export function own<T>(map: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(map, key) ? map[key] : undefined;
}

/** Sets `key` as an own property, "__proto__" too (assignment would replace the prototype). */
export function setOwn<T>(map: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(map, key, { value, writable: true, enumerable: true, configurable: true });
}
