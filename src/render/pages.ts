/**
 * Page models for every kind of page, from sessions that the builder hands in. Pure: no
 * files, no clock. Every HTML page stays under its size budget by a bounded row count.
 */
import { dayFileName, exportFileName, reportFileName, yearFileName } from '../core/export-names.js';
import { monthOf } from '../core/build-plan.js';
import { countryName } from '../core/country.js';
import { dayOf, formatBytes, formatDateTime, formatDuration } from '../core/format.js';
import type { UserCountry } from '../core/totals.js';
import { groupByUserDay, paginateGroups, type PagedGroup } from '../core/grouping.js';
import { compareNewestFirst, type Session } from '../core/session.js';
import { filterModel, historyGroups, liveRow, slugOf, userLabel, type KnownUser, type ModelContext } from './models.js';
import {
  ARCHIVE_URL,
  dayUrl,
  hrefFrom,
  LIVE_URL,
  LOOKUP_URL,
  ANOMALIES_URL,
  LEDGER_URL,
  partUrl,
  rootOf,
  TRASH_URL,
  userMonthUrl,
  USERS_URL,
  viewRoot,
} from './urls.js';
import type { Anomaly } from '../core/anomalies.js';
import type {
  AnomaliesPage,
  ArchivePage,
  DashboardPage,
  DayTotal,
  DownloadLinks,
  HistoryPage,
  Link,
  LivePage,
  LookupPage,
  PageModel,
  StatusFilter,
  TrashPage,
  UserPage,
  UsersPage,
} from './view-model.js';

/** History rows per page: 160 rows with their info details and a day page's filter stay under 300 KB (about 1.6 KB a row). */
export const ROWS_PER_PAGE = 160;
/**
 * History rows on the dashboard and on view roots. 50, not 100: these are the pages a busy
 * cron run renders again (the dashboard, and the root pages of every user whose sessions
 * started or ended), and half the rows took a third off their HTML.
 */
export const ROOT_ROWS = 50;
/**
 * Live rows on the dashboard before the table is cut and /live/ lists them all, and per
 * /live/ page: chosen so that no page passes its 300 KB budget (docs/PERFORMANCE.md).
 */
export const LIVE_ON_DASHBOARD = 100;
export const LIVE_PER_PAGE = 250;

/** Export files live below this folder of the site (written by src/app/exports.ts). */
export const EXPORTS_DIR = '/exports/';
export const DAY_EXPORTS_DIR = '/exports/days/';
/** The monthly reports (src/app/reports.ts). */
export const REPORTS_DIR = '/exports/reports/';

/** The pre-built files of a view (all users when `user` is null), relative to `page`. */
function viewDownloads(page: string, user: string | null, status: StatusFilter, ctx: ModelContext): DownloadLinks {
  const csv = hrefFrom(page, `${EXPORTS_DIR}${exportFileName(user, status, 'csv')}`);
  const years = user === null && status !== 'active' ? ctx.xlsxYears?.[status] : undefined;
  if (years !== undefined) {
    const label = (y: { year: string; leftOut: number }): string =>
      y.leftOut === 0 ? y.year : `${y.year} (${y.leftOut} ${ctx.t.downloadLeftOut})`;
    return {
      xlsx: null,
      csv,
      years: years.map((y) => link(page, `${EXPORTS_DIR}${yearFileName(status, y.year)}`, label(y))),
    };
  }
  return { xlsx: hrefFrom(page, `${EXPORTS_DIR}${exportFileName(user, status, 'xlsx')}`), csv, years: null };
}

/** A day's archive files: the day's view is the history of that day. */
function dayDownloads(page: string, day: string): DownloadLinks {
  return {
    xlsx: hrefFrom(page, `${DAY_EXPORTS_DIR}${dayFileName(day, 'xlsx')}`),
    csv: hrefFrom(page, `${DAY_EXPORTS_DIR}${dayFileName(day, 'csv')}`),
    years: null,
  };
}

function link(from: string, to: string, label: string): Link {
  return { href: hrefFrom(from, to), label };
}

/** "2026-11-25 (Teil 2 von 3)", "Teil 2 von 3" when the heading names the period, or null for a lone part of it. */
function periodPosition(label: string | null, n: number, of: number, ctx: ModelContext): string | null {
  const part = of > 1 ? `${ctx.t.part} ${n} ${ctx.t.of} ${of}` : null;
  if (label === null) return part;
  return part === null ? label : `${label} (${part})`;
}

/** A root page (dashboard, view root, user page): its newest rows, and where its "older" link leads. */
interface RootCut {
  shown: PagedGroup[];
  next: string | null;
  /** The rest of the period the root page stopped in, in parts below `${base}more/`. */
  more: HistoryPage[];
}

interface RootInput {
  /** The root page's url. */
  base: string;
  /** The view's newest sessions: every one of each period they reach into (whole days or months). */
  sessions: Session[];
  /** The view's periods, newest first: days (all users) or months (one user). */
  periods: string[];
  /** A session's period from its day ("YYYY-MM-DD" or its month), and a period's first page. */
  periodOf: (day: string) => string;
  periodUrl: (period: string) => string;
  heading: string;
  downloads: (url: string) => DownloadLinks;
}

/**
 * The newest ROOT_ROWS rows' groups, and the way on from where they stop: the rows of
 * the oldest period shown that were not shown (continuation pages, `${base}more/`), then the
 * next older period. Groups are newest first and the shown rows are a prefix of them, so
 * following "older" never shows a row twice, and leaves none out; a root page that shows
 * everything (say, the live rows after a clear) leads nowhere.
 */
function rootCut(input: RootInput, ctx: ModelContext): RootCut {
  const shown = paginateGroups(groupByUserDay(input.sessions, ctx.timeZone), ROOT_ROWS)[0] ?? [];
  const last = shown[shown.length - 1];
  if (last === undefined) return { shown, next: null, more: [] };
  const period = input.periodOf(last.group.day);
  const older = input.periods.find((p) => p < period) ?? null;
  const olderUrl = older === null ? null : input.periodUrl(older);
  const seen = new Set(shown.flatMap((g) => g.sessions.map((s) => s.id)));
  const rest = input.sessions.filter(
    (s) => !seen.has(s.id) && input.periodOf(dayOf(s.connectedAt, ctx.timeZone)) === period,
  );
  if (rest.length === 0) return { shown, next: olderUrl, more: [] };
  const more = periodPages(
    {
      urlOf: (n) => partUrl(`${input.base}more/`, n),
      downloads: input.downloads,
      label: `${period} (${ctx.t.continued})`,
      sessions: rest,
      newer: input.base,
      older: olderUrl,
      heading: input.heading,
    },
    ctx,
  );
  // A group cut by the root page goes on here: say so, as a group split between parts does.
  const first = more[0]?.groups[0];
  if (first !== undefined && first.key === `${last.group.day}/${last.group.user}`) first.continued = true;
  return { shown, next: (more[0] as HistoryPage).url, more };
}

export interface DashboardInput {
  live: Session[];
  chartSvg: string;
  /** Sessions of the newest days (all statuses); the newest ROOT_ROWS are shown. */
  recent: Session[];
  users: KnownUser[];
  /** Newest first. */
  days: string[];
  /** Status files missing or stale (src/core/reconcile.ts); the instance is named where there are several. */
  statusDown: { instance: string | null; kind: 'missing' | 'stale'; since: string }[];
}

/** "Status file missing since …": the live table cannot be trusted while a file is down. */
function statusNotes(input: DashboardInput, ctx: ModelContext): string[] {
  return input.statusDown.map((d) => {
    const text = (d.kind === 'missing' ? ctx.t.statusMissing : ctx.t.statusStale).replace(
      '{time}',
      formatDateTime(d.since, ctx.timeZone),
    );
    return d.instance === null ? text : `${d.instance}: ${text}`;
  });
}

function dashboardCut(input: DashboardInput, ctx: ModelContext): RootCut {
  return rootCut(
    {
      base: '/',
      sessions: input.recent,
      periods: input.days,
      periodOf: (day) => day,
      periodUrl: (day) => dayUrl(day),
      heading: headingFor(ctx, null, null, 'all'),
      downloads: (url) => viewDownloads(url, null, 'all', ctx),
    },
    ctx,
  );
}

export function dashboardPage(input: DashboardInput, ctx: ModelContext): DashboardPage {
  const url = '/';
  const live = [...input.live].sort(compareNewestFirst);
  const { shown, next } = dashboardCut(input, ctx);
  return {
    kind: 'dashboard',
    url,
    root: rootOf(url),
    heading: ctx.t.history,
    prev: null,
    next: next === null ? null : link(url, next, ctx.t.older),
    position: null,
    chart: { svg: input.chartSvg },
    statusNotes: statusNotes(input, ctx),
    live: live.slice(0, LIVE_ON_DASHBOARD).map((s) => liveRow(s, url, ctx)),
    liveTruncated: live.length > LIVE_ON_DASHBOARD,
    liveAll: live.length > LIVE_ON_DASHBOARD ? link(url, LIVE_URL, `${ctx.t.liveAll} (${live.length})`) : null,
    showInstance: new Set(live.map((s) => s.instance)).size > 1,
    filter: filterModel(url, input.users, { user: null, status: 'all' }, ctx),
    groups: historyGroups(shown, url, ctx),
    archive: link(url, ARCHIVE_URL, ctx.t.archive),
    lookup: link(url, LOOKUP_URL, ctx.t.lookup),
    anomalies: link(url, ANOMALIES_URL, ctx.t.anomalies),
    ledger: link(url, LEDGER_URL, ctx.t.ledger),
    downloads: viewDownloads(url, null, 'all', ctx),
  };
}

/** "/more/", …: where the dashboard's rows stop, the rest of that day (rendered with the dashboard). */
export function dashboardMorePages(input: DashboardInput, ctx: ModelContext): HistoryPage[] {
  return dashboardCut(input, ctx).more;
}

/** Part i (0-based) of `count` of a list split over `base`, `base`p2/, …: the shared page fields. */
function listPart(base: string, i: number, count: number, heading: string, ctx: ModelContext) {
  const url = partUrl(base, i + 1);
  return {
    url,
    root: rootOf(url),
    heading,
    prev: i > 0 ? link(url, partUrl(base, i), ctx.t.newer) : null,
    next: i + 1 < count ? link(url, partUrl(base, i + 2), ctx.t.older) : null,
    position: count > 1 ? `${ctx.t.part} ${i + 1} ${ctx.t.of} ${count}` : null,
  };
}

export function livePages(live: Session[], ctx: ModelContext): LivePage[] {
  const sorted = [...live].sort(compareNewestFirst);
  const count = Math.max(1, Math.ceil(sorted.length / LIVE_PER_PAGE));
  const showInstance = new Set(sorted.map((s) => s.instance)).size > 1;
  return Array.from({ length: count }, (_, i) => {
    const part = listPart(LIVE_URL, i, count, ctx.t.live, ctx);
    return {
      kind: 'live',
      ...part,
      live: sorted.slice(i * LIVE_PER_PAGE, (i + 1) * LIVE_PER_PAGE).map((s) => liveRow(s, part.url, ctx)),
      showInstance,
    };
  });
}

/** Users on one users-index page: about 100 bytes each. */
export const USERS_PER_PAGE = 1000;

/** "/users/" and its parts: every known user with alias, linking to the user's page. */
export function usersPages(users: KnownUser[], ctx: ModelContext, dormant: DormantInput[] = []): UsersPage[] {
  const count = Math.max(1, Math.ceil(users.length / USERS_PER_PAGE));
  return Array.from({ length: count }, (_, i) => {
    const part = listPart(USERS_URL, i, count, ctx.t.allUsers, ctx);
    return {
      kind: 'users',
      ...part,
      users: users
        .slice(i * USERS_PER_PAGE, (i + 1) * USERS_PER_PAGE)
        .map((u) => link(part.url, viewRoot(slugOf(u.user, ctx), 'all'), userLabel(u.user, u.alias))),
      dormant:
        i > 0
          ? []
          : dormant.map((d) => ({
              user: link(part.url, viewRoot(slugOf(d.user.user, ctx), 'all'), userLabel(d.user.user, d.user.alias)),
              last: formatDateTime(d.lastEnd, ctx.timeZone),
              reason: d.reason,
            })),
    };
  });
}

export function archivePage(days: { day: string; sessions: number; users: number }[], ctx: ModelContext): ArchivePage {
  const url = ARCHIVE_URL;
  return {
    kind: 'archive',
    url,
    root: rootOf(url),
    heading: ctx.t.archive,
    prev: null,
    next: null,
    position: null,
    reports: [...new Set(days.map((d) => monthOf(d.day)))].map((month) => ({
      month,
      xlsx: hrefFrom(url, `${REPORTS_DIR}${reportFileName(null, month, 'xlsx')}`),
      xlsxName: reportFileName(null, month, 'xlsx'),
      csv: hrefFrom(url, `${REPORTS_DIR}${reportFileName(null, month, 'csv')}`),
    })),
    days: days.map((d) => ({
      link: link(url, dayUrl(d.day), d.day),
      sessions: d.sessions,
      users: d.users,
      xlsx: hrefFrom(url, `${DAY_EXPORTS_DIR}${dayFileName(d.day, 'xlsx')}`),
      xlsxName: dayFileName(d.day, 'xlsx'),
      csv: hrefFrom(url, `${DAY_EXPORTS_DIR}${dayFileName(d.day, 'csv')}`),
    })),
  };
}

/** Trash entries the trash page asks the endpoint for (the endpoint's default). */
export const TRASH_LIMIT = 100;

/** The trash page: the same for every build (no session in it), so it is rendered once. */
export function trashPage(ctx: ModelContext): TrashPage {
  const url = TRASH_URL;
  return {
    kind: 'trash',
    url,
    root: rootOf(url),
    heading: ctx.t.trash,
    prev: null,
    next: null,
    position: null,
    timeZone: ctx.timeZone,
    limit: TRASH_LIMIT,
  };
}

const headingFor = (ctx: ModelContext, user: string | null, alias: string | null, status: StatusFilter): string => {
  const who = user === null ? '' : ` — ${userLabel(user, alias)}`;
  const what = status === 'active' ? ` — ${ctx.t.onlyActive}` : status === 'ended' ? ` — ${ctx.t.onlyEnded}` : '';
  return `${ctx.t.history}${who}${what}`;
};

export interface PeriodInput {
  /** URL of part n of this period. */
  urlOf: (n: number) => string;
  /** The files to offer on each part. */
  downloads: (url: string) => DownloadLinks;
  /** What the parts are of, for the position line; null when the heading names it already (only the part is said). */
  label: string | null;
  sessions: Session[];
  /** First page of the newer and older period of the same view, if any. */
  newer: string | null;
  older: string | null;
  heading: string;
}

/** A period (a day, a user's month, or the active sessions) split into parts. */
export function periodPages(input: PeriodInput, ctx: ModelContext): HistoryPage[] {
  const pages = paginateGroups(groupByUserDay(input.sessions, ctx.timeZone), ROWS_PER_PAGE);
  return pages.map((paged, i) => {
    const url = input.urlOf(i + 1);
    const prev = i > 0 ? input.urlOf(i) : input.newer;
    const next = i + 1 < pages.length ? input.urlOf(i + 2) : input.older;
    return {
      kind: 'history',
      url,
      root: rootOf(url),
      heading: input.heading,
      prev: prev === null ? null : link(url, prev, ctx.t.newer),
      next: next === null ? null : link(url, next, ctx.t.older),
      position: periodPosition(input.label, i + 1, pages.length, ctx),
      filter: null,
      groups: historyGroups(paged, url, ctx),
      downloads: input.downloads(url),
      periods: [],
    };
  });
}

/**
 * One day of history, all users, every session of the day. Past periods exist once, not per
 * status filter: a day or month that is over holds ended sessions only (bar the odd session
 * still running), so a copy filtered to "ended" would double the site's size for nothing.
 * Its filter leads to the views, like the dashboard's, but lists only the day's users
 * (`users` is every known user, in the site's order): a day page is rendered again only
 * when its own sessions change, not when another user appears.
 */
export function dayPages(
  day: string,
  sessions: Session[],
  neighbours: { newer: string | null; older: string | null },
  ctx: ModelContext,
  users: readonly KnownUser[],
): HistoryPage[] {
  const present = new Set(sessions.map((s) => s.user));
  const dayUsers = users.filter((u) => present.has(u.user));
  const pages = periodPages(
    {
      urlOf: (n) => dayUrl(day, n),
      downloads: (url) => dayDownloads(url, day),
      label: null,
      sessions,
      newer: neighbours.newer === null ? null : dayUrl(neighbours.newer),
      older: neighbours.older === null ? null : dayUrl(neighbours.older),
      heading: `${headingFor(ctx, null, null, 'all')} — ${day}`,
    },
    ctx,
  );
  return pages.map((p) => ({ ...p, filter: filterModel(p.url, dayUsers, { user: null, status: 'all' }, ctx) }));
}

/** One month of a user's history, every session (see dayPages on why not per status). */
export function userMonthPages(
  user: KnownUser,
  month: string,
  sessions: Session[],
  neighbours: { newer: string | null; older: string | null },
  ctx: ModelContext,
): HistoryPage[] {
  const slug = slugOf(user.user, ctx);
  return periodPages(
    {
      urlOf: (n) => userMonthUrl(slug, month, n),
      downloads: (url) => viewDownloads(url, user.user, 'all', ctx),
      label: null,
      sessions,
      newer: neighbours.newer === null ? null : userMonthUrl(slug, neighbours.newer),
      older: neighbours.older === null ? null : userMonthUrl(slug, neighbours.older),
      heading: `${headingFor(ctx, user.user, user.alias, 'all')} — ${month}`,
    },
    ctx,
  );
}

export interface ViewRootInput {
  user: KnownUser | null;
  status: StatusFilter;
  /** For "active": every active session of the view; otherwise the newest sessions (≥ ROOT_ROWS rows' worth). */
  sessions: Session[];
  users: KnownUser[];
  /** Newest first: days (all users) or months (one user). */
  periods: string[];
}

/** The first page of a filtered view (except "/", the dashboard, and "/u/SLUG/", the user page). */
export function viewRootPages(input: ViewRootInput, ctx: ModelContext): HistoryPage[] {
  const slug = input.user === null ? null : slugOf(input.user.user, ctx);
  const base = viewRoot(slug, input.status);
  const heading = headingFor(ctx, input.user?.user ?? null, input.user?.alias ?? null, input.status);
  const filter = filterModel(base, input.users, { user: input.user?.user ?? null, status: input.status }, ctx);
  if (input.status === 'active') {
    // Every active session, in as many parts as needed.
    const downloads = (url: string): DownloadLinks => viewDownloads(url, input.user?.user ?? null, 'active', ctx);
    return periodPages(
      {
        urlOf: (n) => partUrl(base, n),
        downloads,
        label: null,
        sessions: input.sessions,
        newer: null,
        older: null,
        heading,
      },
      ctx,
    ).map((p, i) => ({ ...p, filter: i === 0 ? filter : null }));
  }
  const periodUrl = (p: string): string => (slug === null ? dayUrl(p) : userMonthUrl(slug, p));
  const downloads = (url: string): DownloadLinks => viewDownloads(url, input.user?.user ?? null, input.status, ctx);
  const { shown, next, more } = rootCut(
    {
      base,
      sessions: input.sessions,
      periods: input.periods,
      periodOf: (day) => (slug === null ? day : monthOf(day)),
      periodUrl,
      heading,
      downloads,
    },
    ctx,
  );
  return [
    {
      kind: 'history',
      url: base,
      root: rootOf(base),
      heading,
      prev: null,
      next: next === null ? null : link(base, next, ctx.t.older),
      position: null,
      filter,
      groups: historyGroups(shown, base, ctx),
      downloads: downloads(base),
      periods: input.periods.map((p) => link(base, periodUrl(p), p)),
    },
    ...more,
  ];
}

export interface UserPageInput {
  user: KnownUser;
  users: KnownUser[];
  /** The user's newest sessions (all statuses), at least ROOT_ROWS rows' worth. */
  sessions: Session[];
  /** Newest first. */
  months: string[];
  totals: { day: string; sessions: number; seconds: number; bytesIn: number; bytesOut: number }[];
  first: string | null;
  last: string | null;
  /**
   * True while one of the user's sessions is open: "last seen" then says so. Its time would
   * change every minute, and the page is rendered again only when a session starts or ends.
   */
  connected: boolean;
  sessionCount: number;
  /** Countries connected from, most recent first (src/core/totals.ts userCountries). */
  countries?: UserCountry[];
}

/** Days of per-day totals shown on a user page (a year keeps it well under the size budget). */
export const USER_TOTAL_DAYS = 366;

function userCut(input: UserPageInput, ctx: ModelContext): RootCut {
  const slug = slugOf(input.user.user, ctx);
  return rootCut(
    {
      base: viewRoot(slug, 'all'),
      sessions: input.sessions,
      periods: input.months,
      periodOf: monthOf,
      periodUrl: (month) => userMonthUrl(slug, month),
      heading: headingFor(ctx, input.user.user, input.user.alias, 'all'),
      downloads: (url) => viewDownloads(url, input.user.user, 'all', ctx),
    },
    ctx,
  );
}

/** "/u/SLUG/more/", …: where the user page's rows stop, the rest of that month. */
export function userMorePages(input: UserPageInput, ctx: ModelContext): HistoryPage[] {
  return userCut(input, ctx).more;
}

export function userPage(input: UserPageInput, ctx: ModelContext): UserPage {
  const slug = slugOf(input.user.user, ctx);
  const url = viewRoot(slug, 'all');
  const t = ctx.t;
  const { shown, next } = userCut(input, ctx);
  const sum = { seconds: 0, bytesIn: 0, bytesOut: 0 };
  for (const d of input.totals) {
    sum.seconds += d.seconds;
    sum.bytesIn += d.bytesIn;
    sum.bytesOut += d.bytesOut;
  }
  const totals: DayTotal[] = input.totals.slice(0, USER_TOTAL_DAYS).map((d) => ({
    day: d.day,
    sessions: d.sessions,
    duration: formatDuration(d.seconds, ctx.lang),
    bytesIn: formatBytes(d.bytesIn, ctx.lang),
    bytesOut: formatBytes(d.bytesOut, ctx.lang),
  }));
  return {
    kind: 'user',
    url,
    root: rootOf(url),
    heading: headingFor(ctx, input.user.user, input.user.alias, 'all'),
    prev: null,
    next: next === null ? null : link(url, next, t.older),
    position: null,
    user: input.user.user,
    alias: input.user.alias,
    filter: filterModel(url, input.users, { user: input.user.user, status: 'all' }, ctx),
    summary: [
      { label: t.firstSeen, value: input.first === null ? '–' : formatDateTime(input.first, ctx.timeZone) },
      {
        label: t.lastSeen,
        value: input.connected ? t.connectedNow : input.last === null ? '–' : formatDateTime(input.last, ctx.timeZone),
      },
      { label: t.sessions, value: String(input.sessionCount) },
      { label: t.totalDuration, value: formatDuration(sum.seconds, ctx.lang) },
      { label: t.bytesIn, value: formatBytes(sum.bytesIn, ctx.lang) },
      { label: t.bytesOut, value: formatBytes(sum.bytesOut, ctx.lang) },
    ],
    totals,
    countries: (input.countries ?? []).map((c) => ({
      code: c.country,
      name: countryName(c.country, ctx.lang),
      first: formatDateTime(c.first, ctx.timeZone),
      last: c.connected ? t.connectedNow : formatDateTime(c.last, ctx.timeZone),
    })),
    groups: historyGroups(shown, url, ctx),
    periods: input.months.map((m) => link(url, userMonthUrl(slug, m), m)),
    reports: input.months.map((month) => ({
      month,
      xlsx: hrefFrom(url, `${REPORTS_DIR}${reportFileName(input.user.user, month, 'xlsx')}`),
    })),
    downloads: viewDownloads(url, input.user.user, 'all', ctx),
  };
}

export type { PageModel };

/** "/lookup/": the form; the answer comes from the bucket files in data/lookup/ (src/app/build/lookup.ts). */
export function lookupPage(ctx: ModelContext): LookupPage {
  const url = LOOKUP_URL;
  return {
    kind: 'lookup',
    url,
    root: rootOf(url),
    heading: ctx.t.lookup,
    prev: null,
    next: null,
    position: null,
    timeZone: ctx.timeZone,
    cli: `openvpn-status-web lookup --ip ADDR [--port N] [--at TIME | --from TIME --to TIME] --tz ${ctx.timeZone}`,
  };
}

/** A user not seen for long, for the users page: the last session's end and why it is listed. */
export interface DormantInput {
  user: KnownUser;
  lastEnd: string;
  reason: string;
}

/** Rows on /anomalies/ (about 300 bytes each): the newest; data/anomalies.json has them all. */
export const ANOMALIES_ON_PAGE = 500;

export interface AnomalyInput {
  anomaly: Anomaly;
  label: string;
  reason: string;
  user: KnownUser;
}

/** "/anomalies/": what looks unusual, newest first; `days` are the days that have a page. */
export function anomaliesPage(items: AnomalyInput[], days: ReadonlySet<string>, ctx: ModelContext): AnomaliesPage {
  const url = ANOMALIES_URL;
  const shown = items.slice(-ANOMALIES_ON_PAGE).reverse();
  return {
    kind: 'anomalies',
    url,
    root: rootOf(url),
    heading: ctx.t.anomalies,
    prev: null,
    next: null,
    position: null,
    rows: shown.map(({ anomaly: a, label, reason, user }) => {
      const day = dayOf(a.at, ctx.timeZone);
      return {
        kind: a.kind,
        label,
        user: link(url, viewRoot(slugOf(user.user, ctx), 'all'), userLabel(user.user, user.alias)),
        at: formatDateTime(a.at, ctx.timeZone),
        reason,
        day: a.kind !== 'dormant' && days.has(day) ? link(url, dayUrl(day), day) : null,
      };
    }),
    more:
      items.length > shown.length
        ? (shown.length === 1 ? ctx.t.anomaliesMoreOne : ctx.t.anomaliesMore)
            .replace('{n}', String(shown.length))
            .replace('{total}', String(items.length))
        : null,
  };
}
