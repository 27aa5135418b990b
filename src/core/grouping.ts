/**
 * History grouped by user and day (in the configured zone): each group's head is the
 * user's latest session that day, the others expand under it. Groups are newest first.
 * Pages hold a bounded number of rows, so no page grows past its size budget; a group
 * larger than a page continues on the next one.
 */
import { dayOf } from './format.js';
import { compareNewestFirst, type Session } from './session.js';

export interface Group {
  user: string;
  day: string;
  /** Newest first; [0] is the head. */
  sessions: Session[];
}

export function groupByUserDay(sessions: Session[], timeZone: string): Group[] {
  const map = new Map<string, Group>();
  for (const s of sessions) {
    const day = dayOf(s.connectedAt, timeZone);
    const key = `${day}\u0000${s.user}`;
    let g = map.get(key);
    if (!g) {
      g = { user: s.user, day, sessions: [] };
      map.set(key, g);
    }
    g.sessions.push(s);
  }
  const groups = [...map.values()];
  for (const g of groups) g.sessions.sort(compareNewestFirst);
  return groups.sort(compareGroups);
}

export function compareGroups(a: Group, b: Group): number {
  if (a.day !== b.day) return a.day < b.day ? 1 : -1;
  const c = compareNewestFirst(a.sessions[0] as Session, b.sessions[0] as Session);
  if (c !== 0) return c;
  return a.user < b.user ? -1 : a.user > b.user ? 1 : 0;
}

export interface PagedGroup {
  group: Group;
  /** The rows of the group on this page (head first). */
  sessions: Session[];
  continued: boolean;
}

/** Packs groups into pages of at most `maxRows` sessions each; at least one (empty) page. */
export function paginateGroups(groups: Group[], maxRows: number): PagedGroup[][] {
  if (maxRows < 1) throw new RangeError('maxRows must be at least 1');
  const pages: PagedGroup[][] = [[]];
  let rows = 0;
  for (const group of groups) {
    let rest = group.sessions;
    let continued = false;
    // Start a group that fits on a page of its own on a fresh page rather than split it.
    if (rows > 0 && rows + rest.length > maxRows && rest.length <= maxRows) {
      pages.push([]);
      rows = 0;
    }
    while (rest.length > 0) {
      if (rows >= maxRows) {
        pages.push([]);
        rows = 0;
      }
      const take = rest.slice(0, maxRows - rows);
      (pages[pages.length - 1] as PagedGroup[]).push({ group, sessions: take, continued });
      rows += take.length;
      rest = rest.slice(take.length);
      continued = true;
    }
  }
  return pages;
}
