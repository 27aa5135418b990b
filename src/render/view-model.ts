/**
 * What the templates get: plain, display-ready data. Every text is unescaped here;
 * nunjucks autoescape escapes it in the HTML. Every link is relative (`root` is the
 * prefix back to the site root, e.g. "../../"), so the site works under any URL path.
 */
import type { AnomalyKind } from '../core/anomalies.js';
import type { Lang } from '../core/settings.js';

export interface Link {
  href: string;
  label: string;
}

export interface Detail {
  label: string;
  value: string;
}

/**
 * What a row's info control shows: what its columns do not. Unknown values are "–". Named
 * fields, not a list of label/value pairs: the templates write each line themselves, as a
 * nunjucks loop in every row is a large part of a page's render time.
 */
export interface SessionInfo {
  commonName: string;
  username: string;
  port: string;
  /** null when the status file does not say (status-version 1): the line is left out. */
  protocol: string | null;
  clientId: string;
  peerId: string;
  cipher: string;
  instance: string;
}

export type Status = 'active' | 'ended';
export type StatusFilter = 'all' | 'active' | 'ended';

/** The recorded country of a session's real address: its code shown, its name on hover. */
export interface CountryCell {
  code: string;
  name: string;
}

/** One session in a history table. */
export interface HistoryRow {
  id: string;
  user: string;
  alias: string | null;
  /** Link to the user's page. */
  userHref: string;
  day: string;
  realAddress: string;
  country: CountryCell | null;
  /** The tunnel addresses, shown in one column ("–" when neither is known). */
  virtualAddress: string | null;
  virtualIpv6: string | null;
  start: string;
  /** null while the session is open: the template shows "läuft…". */
  end: string | null;
  /** True when OpenVPN's client-disconnect hook reported the end; false for an estimate (the template marks it ≈) and while open. */
  endExact: boolean;
  /** null while open. */
  duration: string | null;
  bytesIn: string;
  bytesOut: string;
  status: Status;
  /** Translated end reason, or null. */
  endReason: string | null;
  /** Everything else, for the info control. */
  info: SessionInfo;
  /** What looks unusual about the session (src/core/anomalies.ts); absent when nothing does. */
  flags?: RowFlag[];
}

/** An anomaly badge on a history row: its kind's name shown, the reason on hover and in the info row. */
export interface RowFlag {
  kind: AnomalyKind;
  label: string;
  reason: string;
}

/** A user's sessions on one day: the latest is the head, the day's others expand under it. */
export interface HistoryGroup {
  key: string;
  head: HistoryRow;
  others: HistoryRow[];
  /** True when this group began on the previous page (a very large group is split). */
  continued: boolean;
}

export interface LiveRow {
  id: string;
  user: string;
  alias: string | null;
  userHref: string;
  instance: string;
  realAddress: string;
  country: CountryCell | null;
  virtualAddress: string | null;
  virtualIpv6: string | null;
  connectedSince: string;
  durationSoFar: string;
  bytesIn: string;
  bytesOut: string;
  info: SessionInfo;
}

export interface FilterOption {
  value: string;
  label: string;
  /** Where choosing this option leads (with the other filter kept). */
  href: string;
  selected: boolean;
}

/** The user and status dropdowns, and the same choices as plain links for use without JS. */
export interface FilterModel {
  users: FilterOption[];
  statuses: FilterOption[];
  /** With more users than a dropdown can carry, `users` holds only "no filter" and the current one, and this leads to the users index. */
  allUsers: Link | null;
}

export interface DownloadLinks {
  /** Pre-built files of exactly this view (issue: exports); absent until they exist. */
  xlsx: string | null;
  csv: string | null;
  /** A whole-history view with more rows than a sheet holds: a workbook per year instead of `xlsx` (src/core/whole-history-plan.ts). */
  years: Link[] | null;
}

interface PageBase {
  url: string;
  /** Relative prefix to the site root: "" for "/", "../" for "/active/", … */
  root: string;
  /** <title> and <h2> context, e.g. "Verbindungs-History — alice (Alice A.)". */
  heading: string;
  /** Older/newer pages of the same view. */
  prev: Link | null;
  next: Link | null;
  /** A short line saying which part of the view this page shows, e.g. "2026-11-25 (Teil 2 von 3)". */
  position: string | null;
}

export interface ChartModel {
  /** The inline SVG, rendered at build time (trusted markup from our own renderer). */
  svg: string;
}

/** "/": the dashboard — reload bar, chart, live table, newest history groups. */
export interface DashboardPage extends PageBase {
  kind: 'dashboard';
  chart: ChartModel;
  /** One line per status file that is missing or stale, saying since when. */
  statusNotes: string[];
  live: LiveRow[];
  /** True when the live table was cut; `liveAll` links to the full list. */
  liveTruncated: boolean;
  liveAll: Link | null;
  showInstance: boolean;
  filter: FilterModel;
  groups: HistoryGroup[];
  archive: Link;
  lookup: Link;
  anomalies: Link;
  ledger: Link;
  downloads: DownloadLinks;
}

/** A history view: all users or one, status all/active/ended, one period or part of it. */
export interface HistoryPage extends PageBase {
  kind: 'history';
  filter: FilterModel | null;
  groups: HistoryGroup[];
  downloads: DownloadLinks;
  /** Links to the view's periods (days or months), newest first, on a view's first page. */
  periods: Link[];
}

export interface DayTotal {
  day: string;
  sessions: number;
  duration: string;
  bytesIn: string;
  bytesOut: string;
}

/** "/u/<slug>/": a user's summary, per-day totals, newest sessions. */
export interface UserPage extends PageBase {
  kind: 'user';
  user: string;
  alias: string | null;
  filter: FilterModel;
  summary: Detail[];
  totals: DayTotal[];
  /** Countries the user connected from, most recent first. */
  countries: UserCountryRow[];
  groups: HistoryGroup[];
  periods: Link[];
  /** The user's monthly reports (one workbook a month), newest first. */
  reports: { month: string; xlsx: string }[];
  downloads: DownloadLinks;
}

export interface UserCountryRow extends CountryCell {
  first: string;
  /** A time, or "connected now". */
  last: string;
}

/** "/live/…": every live connection when the dashboard's table was cut. */
export interface LivePage extends PageBase {
  kind: 'live';
  live: LiveRow[];
  showInstance: boolean;
}

/** "/archive/": every day with history, newest first. */
export interface ArchivePage extends PageBase {
  kind: 'archive';
  /** Each day with its archive files (Excel, CSV), newest first. */
  /** Each month's report of all users (Excel, CSV), newest first. */
  reports: { month: string; xlsx: string; xlsxName: string; csv: string }[];
  days: { link: Link; sessions: number; users: number; xlsx: string; xlsxName: string; csv: string }[];
}

/** "/users/": every known user, for sites with more users than the filter dropdown lists. */
export interface UsersPage extends PageBase {
  kind: 'users';
  users: Link[];
  /** Users not seen for `dormantDays` (on the first page), longest gone first. */
  dormant: DormantRow[];
}

export interface DormantRow {
  user: Link;
  /** When the last session ended, in the zone. */
  last: string;
  reason: string;
}

/** "/anomalies/": what looks unusual, newest first. */
export interface AnomaliesPage extends PageBase {
  kind: 'anomalies';
  rows: AnomalyRow[];
  /** "The newest 500 of 812 …" when the list was cut, else null. */
  more: string | null;
}

export interface AnomalyRow {
  kind: AnomalyKind;
  label: string;
  user: Link;
  /** The time, in the zone. */
  at: string;
  reason: string;
  /** The day page of the (later) session, or null for a user not seen for long. */
  day: Link | null;
}

/** "/ledger/": the history's chain head, its last check, and the change log newest first. */
export interface LedgerPage extends PageBase {
  kind: 'ledger';
  head: string;
  rows: number;
  /** "2026-11-26 03:00:00: intact (head 1a2b3c4d5e6f… at 812 rows)", or "never". */
  verified: string;
  /** Whether the last check found the chain intact; null when it never ran. */
  verifiedOk: boolean | null;
  entries: LedgerRow[];
  /** "The newest 500 of 812 …" when the list was cut, else null. */
  more: string | null;
}

/** One change-log entry; every text but `action` and the heads came from a user or a file. */
export interface LedgerRow {
  action: string;
  label: string;
  /** The time, in the zone. */
  at: string;
  who: string;
  client: string;
  count: number;
  /** Some of the session ids, with "… and 3 more" when there are others. */
  ids: string;
  reason: string;
  /** "1a2b3c4d5e6f… → 6f5e4d3c2b1a…", or "" when the entry names no heads. */
  change: string;
  /** Both heads in full, for the title. */
  changeFull: string;
}

/**
 * "/trash/": a shell only. Deleted sessions must never be in the built site, so the list is
 * fetched from the endpoint (GET api/trash) and drawn by app.js.
 */
export interface TrashPage extends PageBase {
  kind: 'trash';
  /** The zone the page script shows times in, as the other pages do. */
  timeZone: string;
  /** How many of the newest entries the page asks for. */
  limit: number;
}

/** "/lookup/": who had an address at a time, searched in the browser (site/assets/lookup.js). */
export interface LookupPage extends PageBase {
  kind: 'lookup';
  /** The site's zone: the form's times are wall times in it. */
  timeZone: string;
  /** The equivalent command, shown without JavaScript. */
  cli: string;
}

export type PageModel =
  | DashboardPage
  | HistoryPage
  | UserPage
  | LivePage
  | ArchivePage
  | UsersPage
  | TrashPage
  | LookupPage
  | AnomaliesPage
  | LedgerPage;

/** Site-wide values every page shares. */
export interface SiteModel {
  title: string;
  lang: Lang;
  /** "Stand: 2026-11-26 16:14:55 (Europe/Berlin)". */
  generated: string;
  /** Appended to asset URLs so a new version is fetched after an upgrade. */
  assetVersion: string;
  /** The footer's line on the country database: its version and licence. */
  countryData: string;
  /** UI strings in the site's language; keys in src/core/i18n.ts. */
  t: Record<string, string>;
}
