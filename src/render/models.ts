/**
 * Builds display-ready view models from sessions: formatted in the configured language
 * and zone, aliases applied, links relative to the page they appear on.
 */
import { countryName } from '../core/country.js';
import { dayOf, formatBytes, formatDateTime, formatDuration } from '../core/format.js';
import type { PagedGroup } from '../core/grouping.js';
import type { Labels } from '../core/i18n.js';
import { statusOf, type Session } from '../core/session.js';
import type { Lang } from '../core/settings.js';
import { userSlug } from '../core/slug.js';
import { secondsBetween } from '../core/time.js';
import { hrefFrom, USERS_URL, viewRoot } from './urls.js';
import type {
  CountryCell,
  FilterModel,
  HistoryGroup,
  HistoryRow,
  LiveRow,
  RowFlag,
  SessionInfo,
  StatusFilter,
} from './view-model.js';

export interface ModelContext {
  lang: Lang;
  timeZone: string;
  t: Labels;
  /** user → alias; a user's alias may also be found under its common name or username. */
  aliases: Record<string, string>;
  now: string;
  /** Users whose slug is not userSlug(user): those of a clash (src/core/slug.ts planSlugs). */
  slugs?: ReadonlyMap<string, string>;
  /** The years of a whole-history view's workbooks when it has more rows than a sheet holds (src/core/whole-history-plan.ts). */
  xlsxYears?: Partial<Record<'all' | 'ended', { year: string; leftOut: number }[]>>;
  /** Session id → its anomaly badges (src/app/build/anomalies.ts). */
  flags?: ReadonlyMap<string, RowFlag[]>;
}

/** The path segment of a user's pages. */
export function slugOf(user: string, ctx: Pick<ModelContext, 'slugs'>): string {
  return ctx.slugs?.get(user) ?? userSlug(user);
}

export function aliasOf(
  s: Pick<Session, 'user' | 'commonName' | 'username'>,
  aliases: Record<string, string>,
): string | null {
  // Own keys only: a user named "constructor" must not get Object.prototype's function.
  const own = (key: string | null): string | undefined =>
    key !== null && Object.hasOwn(aliases, key) ? aliases[key] : undefined;
  return own(s.user) ?? own(s.commonName) ?? own(s.username) ?? null;
}

function endReasonLabel(s: Session, t: Labels): string | null {
  if (s.endReason === 'disconnected') return t.reasonDisconnected;
  if (s.endReason === 'server-stopped') return t.reasonServerStopped;
  return null;
}

function countryCell(s: Session, lang: Lang): CountryCell | null {
  return s.country == null ? null : { code: s.country, name: countryName(s.country, lang) };
}

/** What the row's columns do not already show. */
function sessionInfo(s: Session): SessionInfo {
  const known = (v: string | number | null): string => (v === null ? '–' : String(v));
  return {
    commonName: s.commonName,
    username: known(s.username),
    port: known(s.realPort),
    protocol: s.protocol,
    clientId: known(s.clientId),
    peerId: known(s.peerId),
    cipher: known(s.cipher),
    instance: s.instance,
  };
}

export function userHref(page: string, user: string, ctx: Pick<ModelContext, 'slugs'>): string {
  return hrefFrom(page, viewRoot(slugOf(user, ctx), 'all'));
}

/**
 * A history row. Open sessions show no byte counts or duration here: those change every
 * minute and live in the live table, so history pages stay unchanged until a session ends.
 */
export function historyRow(s: Session, page: string, ctx: ModelContext): HistoryRow {
  const ended = s.endedAt !== null;
  const flags = ctx.flags?.get(s.id);
  return {
    id: s.id,
    user: s.user,
    alias: aliasOf(s, ctx.aliases),
    userHref: userHref(page, s.user, ctx),
    day: dayOf(s.connectedAt, ctx.timeZone),
    realAddress: s.realAddress,
    country: countryCell(s, ctx.lang),
    virtualAddress: s.virtualAddress,
    virtualIpv6: s.virtualIpv6,
    start: formatDateTime(s.connectedAt, ctx.timeZone),
    end: ended ? formatDateTime(s.endedAt as string, ctx.timeZone) : null,
    // `=== true`: sessions cached by a build before the hooks existed have no endExact.
    endExact: ended && s.endExact === true,
    duration: ended
      ? formatDuration(s.durationS ?? secondsBetween(s.connectedAt, s.endedAt as string), ctx.lang)
      : null,
    bytesIn: ended ? formatBytes(s.bytesReceived, ctx.lang) : '',
    bytesOut: ended ? formatBytes(s.bytesSent, ctx.lang) : '',
    status: statusOf(s),
    endReason: endReasonLabel(s, ctx.t),
    info: sessionInfo(s),
    // Only where there are some: most rows have none, and every row's model is hashed.
    ...(flags === undefined ? {} : { flags }),
  };
}

export function historyGroups(paged: PagedGroup[], page: string, ctx: ModelContext): HistoryGroup[] {
  return paged.map((p) => {
    const [head, ...others] = p.sessions.map((s) => historyRow(s, page, ctx));
    return { key: `${p.group.day}/${p.group.user}`, head: head as HistoryRow, others, continued: p.continued };
  });
}

/** A live row: bytes are OpenVPN's received/sent as seen from the server. */
export function liveRow(s: Session, page: string, ctx: ModelContext): LiveRow {
  return {
    id: s.id,
    user: s.user,
    alias: aliasOf(s, ctx.aliases),
    userHref: userHref(page, s.user, ctx),
    instance: s.instance,
    realAddress: s.realAddress,
    country: countryCell(s, ctx.lang),
    virtualAddress: s.virtualAddress,
    virtualIpv6: s.virtualIpv6,
    connectedSince: formatDateTime(s.connectedAt, ctx.timeZone),
    durationSoFar: formatDuration(Math.max(0, secondsBetween(s.connectedAt, ctx.now)), ctx.lang),
    bytesIn: formatBytes(s.bytesReceived, ctx.lang),
    bytesOut: formatBytes(s.bytesSent, ctx.lang),
    info: sessionInfo(s),
  };
}

/** Users listed in a filter dropdown before it gives way to the users index. */
export const FILTER_USERS_MAX = 250;

export interface KnownUser {
  user: string;
  alias: string | null;
}

/** "alice (Alice A.)", or just "alice" without an alias. */
export function userLabel(user: string, alias: string | null): string {
  return alias ? `${user} (${alias})` : user;
}

/** The user and status choices; each option links to its view's root. */
export function filterModel(
  page: string,
  users: KnownUser[],
  current: { user: string | null; status: StatusFilter },
  ctx: ModelContext,
): FilterModel {
  const t = ctx.t;
  const slugOrAll = (u: string | null) => (u === null ? null : slugOf(u, ctx));
  // Every page with a filter lists the users; past a few hundred that alone would pass the
  // page size budget, so the list moves to the users index.
  const tooMany = users.length > FILTER_USERS_MAX;
  const listed = tooMany ? users.filter((u) => u.user === current.user) : users;
  return {
    allUsers: tooMany ? { href: hrefFrom(page, USERS_URL), label: `${t.allUsers} (${users.length})` } : null,
    users: [
      {
        value: '',
        label: t.noFilter,
        href: hrefFrom(page, viewRoot(null, current.status)),
        selected: current.user === null,
      },
      ...listed.map((u) => ({
        value: u.user,
        label: userLabel(u.user, u.alias),
        href: hrefFrom(page, viewRoot(slugOrAll(u.user), current.status)),
        selected: current.user === u.user,
      })),
    ],
    statuses: (
      [
        ['all', t.all],
        ['active', t.onlyActive],
        ['ended', t.onlyEnded],
      ] as [StatusFilter, string][]
    ).map(([value, label]) => ({
      value,
      label,
      href: hrefFrom(page, viewRoot(slugOrAll(current.user), value)),
      selected: current.status === value,
    })),
  };
}
