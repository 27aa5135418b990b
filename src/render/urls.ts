/**
 * The site's URL scheme. Every view (all users or one user × all/active/ended) has its own
 * bookmarkable URL; older periods hang below it. Links in pages are relative.
 *
 *   /                         dashboard (all users, all sessions)
 *   /active/  /ended/         all users, by status
 *   /d/DAY/                   one day of history (all users); /p2/… for further parts
 *   /u/SLUG/                  a user's page; /u/SLUG/active/, /u/SLUG/ended/
 *   /u/SLUG/m/MONTH/          a user's month
 *   …/more/                   below /, /ended/, /u/SLUG/, /u/SLUG/ended/: the rest of the day
 *                             (month) where the page's newest rows stop, then its "older" link
 *   /live/                    every live connection when the dashboard's list is cut
 *   /archive/                 every day with history
 *   /users/                   every known user (when the filter cannot list them all)
 *   /trash/                   the trash: a shell whose list app.js fetches from the endpoint
 *   /lookup/                  who had an address at a time (searched in the browser)
 *   /anomalies/               what looks unusual
 *   /ledger/                  the history's chain head, its last check and the change log
 */
import type { StatusFilter } from './view-model.js';

export function viewRoot(slug: string | null, status: StatusFilter): string {
  const base = slug === null ? '/' : `/u/${slug}/`;
  return status === 'all' ? base : `${base}${status}/`;
}

const part = (n: number): string => (n > 1 ? `p${n}/` : '');

export function dayUrl(day: string, n = 1): string {
  return `/d/${day}/${part(n)}`;
}

export function userMonthUrl(slug: string, month: string, n = 1): string {
  return `${viewRoot(slug, 'all')}m/${month}/${part(n)}`;
}

export function partUrl(base: string, n: number): string {
  return `${base}${part(n)}`;
}

export const ARCHIVE_URL = '/archive/';
export const LIVE_URL = '/live/';
export const USERS_URL = '/users/';
export const TRASH_URL = '/trash/';
export const LOOKUP_URL = '/lookup/';
export const ANOMALIES_URL = '/anomalies/';
export const LEDGER_URL = '/ledger/';

/** "../../" for "/a/b/": the way back to the site root from a page. */
export function rootOf(url: string): string {
  const depth = url.split('/').filter(Boolean).length;
  return '../'.repeat(depth);
}

/** A link from page `from` to site path `to`, relative. */
export function hrefFrom(from: string, to: string): string {
  const rel = rootOf(from) + to.replace(/^\//, '');
  return rel === '' ? './' : rel;
}

/** The file a page URL is written to, relative to the output folder. */
export function outputFile(url: string): string {
  return `${url.replace(/^\//, '')}index.html`;
}
