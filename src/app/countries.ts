/**
 * Collect gives every session it sees for the first time the country of its real address, so
 * the history keeps what the database said then: a later database never rewrites it.
 */
import type { ReconcileResult } from '../core/reconcile.js';
import type { Session } from '../core/session.js';
import type { Labels } from '../core/i18n.js';
import { countriesOf, geoDbInfo } from '../io/geoip.js';
import type { Logger } from './context.js';

/**
 * Fills `country` where it is absent (new sessions, and once the open ones of a state written
 * before countries were recorded). A database that cannot be read is warned about and the
 * countries left absent, to be looked up by the next run: the sessions are recorded regardless.
 */
export async function recordCountries(result: ReconcileResult, log: Logger): Promise<void> {
  const lists = [result.state.tracked, result.closed, result.opened, result.ended];
  const wanted = new Set<string>();
  for (const list of lists) for (const s of list) if (s.country === undefined) wanted.add(s.realAddress);
  if (wanted.size === 0) return;
  const started = performance.now();
  let found: Map<string, string | null>;
  try {
    found = await countriesOf(wanted);
  } catch (e) {
    log.warn(
      `countries: not looked up this run (${e instanceof Error ? e.message : String(e)}); the next run tries again`,
    );
    return;
  }
  const fill = <T extends Session>(s: T): T =>
    s.country === undefined ? { ...s, country: found.get(s.realAddress) ?? null } : s;
  result.state.tracked = result.state.tracked.map(fill);
  result.closed = result.closed.map(fill);
  result.opened = result.opened.map(fill);
  result.ended = result.ended.map(fill);
  log.detail(`countries: ${wanted.size} address(es) looked up in ${(performance.now() - started).toFixed(1)} ms`);
}

/** The footer's line: which database, in which version, under which licence (its package.json is read, not the database). */
export function countryDataLine(t: Labels): string {
  const db = geoDbInfo();
  return `${t.countryData}: ${db.package} ${db.version} (${db.licence})`;
}
