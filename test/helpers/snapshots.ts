/** Status snapshots and observations built in memory, for the collector's pure core (reconcile, hook events). */
import type { StatusClient, StatusRoute, StatusSnapshot } from '../../src/core/parse-status.js';
import type { Observation } from '../../src/core/reconcile.js';

/** A snapshot; every client with an address gets its route, as OpenVPN lists it. */
export function snap(updatedAt: string, clients: StatusClient[], routes?: StatusRoute[]): StatusSnapshot {
  return {
    schemaVersion: 1,
    format: 3,
    title: 'OpenVPN 2.6.14',
    updatedAt,
    clients,
    routes:
      routes ??
      clients
        .filter((c) => c.virtualAddress !== null)
        .map((c) => ({
          virtualAddress: c.virtualAddress as string,
          kind: 'ipv4' as const,
          commonName: c.commonName,
          realAddress: c.realAddress,
          realPort: c.realPort,
          protocol: null,
          lastRefAt: updatedAt,
        })),
    globalStats: {},
  };
}

/** The snapshot as `collect` observes a status file written at its update time. */
export const seen = (s: StatusSnapshot, instance = 'default'): Observation => ({
  instance,
  kind: 'snapshot',
  snapshot: s,
  fileModifiedAt: s.updatedAt as string,
});

/** Freezes `o` and everything in it: a function that mutates its input then throws. */
export function deepFreeze<T>(o: T): T {
  if (o !== null && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}
