/**
 * Sample view models for the template tests: one page of every kind, hostile names
 * (`<script>alert(1)</script>`, `O'Brien "x"`, `a&b`) in every kind of slot, and the empty
 * states. Built by hand from the types, independent of the model builders.
 */
import { LABELS } from '../../src/core/i18n.js';
import { ledgerPage } from '../../src/render/ledger-page.js';
import { anomaliesPage, lookupPage } from '../../src/render/pages.js';
import type { Lang } from '../../src/core/settings.js';
import type {
  ArchivePage,
  DashboardPage,
  FilterModel,
  HistoryGroup,
  HistoryPage,
  HistoryRow,
  LivePage,
  LiveRow,
  PageModel,
  SessionInfo,
  SiteModel,
  TrashPage,
  UserPage,
} from '../../src/render/view-model.js';

export const EVIL_CN = '<script>alert(1)</script>';
export const QUOTE_CN = `O'Brien "x"`;
export const AMP_ALIAS = 'a&b';

/** Our chart renderer's kind of markup: classes only. */
export const CHART_SVG =
  '<svg class="chart" viewBox="0 0 600 200" role="img" aria-labelledby="chart-t"><title id="chart-t">Verbindungen letzte 24h</title>' +
  '<path class="chart-area" d="M0,200L600,100L600,200Z"></path><path class="chart-line" d="M0,200L600,100"></path>' +
  '<text class="chart-title" x="300" y="14">Verbindungen letzte 24h</text></svg>';

export function siteModel(lang: Lang = 'de'): SiteModel {
  return {
    title: 'OpenVPN Web Status',
    lang,
    generated:
      lang === 'de' ? 'Stand: 2026-11-26 16:14:55 (Europe/Berlin)' : 'As of: 2026-11-26 16:14:55 (Europe/Berlin)',
    assetVersion: '0.1.0',
    countryData: `${LABELS[lang].countryData}: @ip-location-db/geo-whois-asn-country-mmdb 2.3.2026061719 (CC BY 4.0, NRO)`,
    t: { ...LABELS[lang] },
  };
}

function info(user: string, over: Partial<SessionInfo> = {}): SessionInfo {
  return {
    commonName: user,
    username: '–',
    port: '51234',
    protocol: 'udp4',
    clientId: '7',
    peerId: '3',
    cipher: 'AES-256-GCM',
    instance: 'udp-main',
    ...over,
  };
}

function row(id: string, user: string, alias: string | null, over: Partial<HistoryRow> = {}): HistoryRow {
  return {
    id,
    user,
    alias,
    userHref: `u/${encodeURIComponent(user)}/`,
    day: '2026-11-25',
    realAddress: '203.0.113.7',
    country: null,
    virtualAddress: '10.8.0.2',
    virtualIpv6: 'fd00::2',
    start: '2026-11-25 08:00:00',
    end: '2026-11-25 09:30:00',
    duration: '1 Std, 30 Min',
    bytesIn: '12,3 MB',
    bytesOut: '4,5 MB',
    status: 'ended',
    endReason: 'getrennt',
    endExact: true,
    info: info(user),
    ...over,
  };
}

function liveRow(id: string, user: string, alias: string | null, over: Partial<LiveRow> = {}): LiveRow {
  return {
    id,
    user,
    alias,
    userHref: `u/${encodeURIComponent(user)}/`,
    instance: 'udp-main',
    realAddress: '198.51.100.23',
    country: null,
    virtualAddress: '10.8.0.6',
    virtualIpv6: null,
    connectedSince: '2026-11-26 15:55:51',
    durationSoFar: '19 Min',
    bytesIn: '1,2 MB',
    bytesOut: '300 kB',
    info: info(user, { username: user, protocol: null }),
    ...over,
  };
}

/** alice: head active + two others; O'Brien: no others; <script>: continued group. */
export function sampleGroups(): HistoryGroup[] {
  return [
    {
      key: 'alice|2026-11-25',
      head: row('h-alice-3', 'alice', 'Alice A.', {
        start: '2026-11-25 15:00:00',
        end: null,
        endExact: false,
        duration: null,
        status: 'active',
        endReason: null,
      }),
      others: [
        row('o-alice-2', 'alice', 'Alice A.', {
          start: '2026-11-25 12:00:00',
          end: '2026-11-25 12:10:00',
          country: { code: 'NL', name: 'Niederlande' },
        }),
        row('o-alice-1', 'alice', 'Alice A.', {
          start: '2026-11-25 07:00:00',
          end: '2026-11-25 07:42:00',
          endReason: 'Server gestoppt',
          endExact: false,
        }),
      ],
      continued: false,
    },
    {
      key: `${QUOTE_CN}|2026-11-25`,
      head: row('h-obrien', QUOTE_CN, AMP_ALIAS),
      others: [],
      continued: false,
    },
    {
      key: `${EVIL_CN}|2026-11-24`,
      head: row('h-evil', EVIL_CN, EVIL_CN, {
        day: '2026-11-24',
        virtualAddress: null,
        virtualIpv6: null,
        info: info(EVIL_CN, { protocol: null }),
      }),
      others: [row('o-evil', EVIL_CN, EVIL_CN, { day: '2026-11-24' })],
      continued: true,
    },
  ];
}

function filterModel(root: string, selectedUser: string | null): FilterModel {
  const users = [
    { value: '', label: '(kein Filter)', href: `${root}`, selected: selectedUser === null },
    { value: 'alice', label: 'alice (Alice A.)', href: `${root}u/alice/`, selected: selectedUser === 'alice' },
    { value: QUOTE_CN, label: `${QUOTE_CN} (${AMP_ALIAS})`, href: `${root}h/u/O%27Brien%20%22x%22/`, selected: false },
    { value: EVIL_CN, label: EVIL_CN, href: `${root}h/u/%3Cscript%3E/`, selected: false },
  ];
  const statuses = [
    { value: 'all', label: 'alle', href: `${root}`, selected: true },
    { value: 'active', label: 'nur aktiv', href: `${root}h/active/`, selected: false },
    { value: 'ended', label: 'nur beendet', href: `${root}h/ended/`, selected: false },
  ];
  return { users, statuses, allUsers: null };
}

export function dashboardPage(): DashboardPage {
  return {
    kind: 'dashboard',
    url: '/',
    root: '',
    heading: 'OpenVPN Web Status',
    prev: null,
    next: { href: 'd/2026-11-25/p2/', label: 'Ältere Einträge' },
    position: null,
    chart: { svg: CHART_SVG },
    statusNotes: [],
    live: [
      liveRow('l1', 'flex-RN13P', 'Handy Flex', { instance: 'udp-main', country: { code: 'DE', name: 'Deutschland' } }),
      liveRow('l2', EVIL_CN, AMP_ALIAS, { instance: 'tcp-backup', virtualIpv6: 'fd00::6' }),
      liveRow('l3', QUOTE_CN, QUOTE_CN),
    ],
    liveTruncated: true,
    liveAll: { href: 'live/', label: 'Alle aktiven Verbindungen' },
    showInstance: true,
    filter: filterModel('', null),
    groups: sampleGroups(),
    archive: { href: 'archive/', label: 'Archiv (alle Tage)' },
    lookup: { href: 'lookup/', label: 'Adresse suchen' },
    anomalies: { href: 'anomalies/', label: 'Auffälligkeiten' },
    ledger: { href: 'ledger/', label: 'Prüfprotokoll' },
    downloads: { xlsx: 'downloads/history-all.xlsx', csv: 'downloads/history-all.csv', years: null },
  };
}

/** A dashboard with nothing live and no history (the predecessor's second screenshot). */
export function emptyDashboardPage(): DashboardPage {
  return {
    ...dashboardPage(),
    next: null,
    live: [],
    liveTruncated: false,
    liveAll: null,
    showInstance: false,
    groups: [],
    downloads: { xlsx: null, csv: null, years: null },
  };
}

export function historyPage(): HistoryPage {
  return {
    kind: 'history',
    url: '/d/2026-11-25/',
    root: '../../',
    heading: 'Verbindungs-History — 2026-11-25',
    prev: null,
    next: { href: 'p2/', label: 'Ältere Einträge' },
    position: '2026-11-25 (Teil 1 von 2)',
    filter: filterModel('../../', null),
    groups: sampleGroups(),
    downloads: { xlsx: '../../downloads/2026-11-25.xlsx', csv: null, years: null },
    periods: [
      { href: '../../d/2026-11-25/', label: '2026-11-25' },
      { href: '../../d/2026-11-24/', label: '2026-11-24' },
    ],
  };
}

/** The last part of a day: no filter, no periods, no downloads, no groups. */
export function historyPage2(): HistoryPage {
  return {
    kind: 'history',
    url: '/d/2026-11-25/p2/',
    root: '../../../',
    heading: 'Verbindungs-History — 2026-11-25',
    prev: { href: '../', label: 'Neuere Einträge' },
    next: null,
    position: '2026-11-25 (Teil 2 von 2)',
    filter: null,
    groups: [],
    downloads: { xlsx: null, csv: null, years: null },
    periods: [],
  };
}

export function userPage(): UserPage {
  return {
    kind: 'user',
    url: '/u/alice/',
    root: '../../',
    heading: 'Verbindungs-History — alice (Alice A.)',
    prev: null,
    next: null,
    position: null,
    user: 'alice',
    alias: 'Alice A.',
    filter: filterModel('../../', 'alice'),
    summary: [
      { label: 'Zuerst gesehen', value: '2026-11-01 08:00:00' },
      { label: 'Zuletzt gesehen', value: '2026-11-26 16:14:55' },
      { label: 'Sitzungen', value: '42' },
    ],
    totals: [
      { day: '2026-11-25', sessions: 3, duration: '2 Std, 12 Min', bytesIn: '30 MB', bytesOut: '9 MB' },
      { day: '2026-11-24', sessions: 1, duration: '5 Min', bytesIn: '1 MB', bytesOut: '200 kB' },
    ],
    countries: [
      { code: 'DE', name: 'Deutschland', first: '2026-11-01 08:00:00', last: 'jetzt verbunden' },
      { code: 'NL', name: 'Niederlande', first: '2026-11-03 09:00:00', last: '2026-11-24 17:00:00' },
    ],
    groups: sampleGroups().slice(0, 1),
    periods: [{ href: '../../u/alice/m/2026-11/', label: '2026-11' }],
    reports: [{ month: '2026-11', xlsx: '../../exports/reports/openvpn-report_alice_2026-11.xlsx' }],
    downloads: { xlsx: '../../downloads/u-alice.xlsx', csv: '../../downloads/u-alice.csv', years: null },
  };
}

/** A user whose name and alias are hostile. */
export function evilUserPage(): UserPage {
  return {
    ...userPage(),
    url: '/u/script-alert-1-script~5d41402a/',
    heading: `Verbindungs-History — ${EVIL_CN} (${AMP_ALIAS})`,
    user: EVIL_CN,
    alias: AMP_ALIAS,
    summary: [{ label: 'Common Name', value: QUOTE_CN }],
    totals: [],
    groups: sampleGroups().slice(2),
    periods: [],
    reports: [],
    downloads: { xlsx: null, csv: null, years: null },
  };
}

export function livePage(): LivePage {
  return {
    kind: 'live',
    url: '/live/',
    root: '../',
    heading: 'Alle aktiven Verbindungen',
    prev: null,
    next: { href: 'p2/', label: 'Ältere Einträge' },
    position: 'Teil 1 von 2',
    live: [liveRow('l1', 'flex-RN13P', 'Handy Flex'), liveRow('l2', EVIL_CN, AMP_ALIAS)],
    showInstance: false,
  };
}

export function emptyLivePage(): LivePage {
  return {
    ...livePage(),
    url: '/live/p2/',
    root: '../../',
    prev: { href: '../', label: 'Neuere Einträge' },
    next: null,
    live: [],
  };
}

export function archivePage(): ArchivePage {
  return {
    kind: 'archive',
    url: '/archive/',
    root: '../',
    heading: 'Archiv (alle Tage)',
    prev: null,
    next: null,
    position: null,
    reports: [
      {
        month: '2026-11',
        xlsx: '../exports/reports/openvpn-report_2026-11.xlsx',
        xlsxName: 'openvpn-report_2026-11.xlsx',
        csv: '../exports/reports/openvpn-report_2026-11.csv',
      },
    ],
    days: [
      {
        link: { href: '../d/2026-11-25/', label: '2026-11-25' },
        sessions: 17,
        users: 4,
        xlsx: '../exports/days/openvpn-history_2026-11-25.xlsx',
        xlsxName: 'openvpn-history_2026-11-25.xlsx',
        csv: '../exports/days/openvpn-history_2026-11-25.csv',
      },
      {
        link: { href: '../d/2026-11-24/', label: '2026-11-24' },
        sessions: 3,
        users: 2,
        xlsx: '../exports/days/openvpn-history_2026-11-24.xlsx',
        xlsxName: 'openvpn-history_2026-11-24.xlsx',
        csv: '../exports/days/openvpn-history_2026-11-24.csv',
      },
    ],
  };
}

export function emptyArchivePage(): ArchivePage {
  return { ...archivePage(), url: '/archive/empty/', root: '../../', days: [] };
}

export function trashPage(): TrashPage {
  return {
    kind: 'trash',
    url: '/trash/',
    root: '../',
    heading: 'Papierkorb',
    prev: null,
    next: null,
    position: null,
    timeZone: 'Europe/Berlin',
    limit: 100,
  };
}

/** One page of every kind (and the empty states), all with distinct urls. */
export function allPages(): PageModel[] {
  return [
    dashboardPage(),
    historyPage(),
    historyPage2(),
    userPage(),
    evilUserPage(),
    livePage(),
    emptyLivePage(),
    archivePage(),
    emptyArchivePage(),
    trashPage(),
    lookupPage(staticPageContext()),
    sampleAnomaliesPage(),
    sampleLedgerPage(),
  ];
}

/** The context the lookup, anomalies and ledger samples are built in. */
const staticPageContext = () => ({
  lang: 'de' as const,
  timeZone: 'Europe/Berlin',
  t: LABELS.de,
  aliases: {},
  now: '2026-11-26T16:15:00Z',
});

/** /anomalies/ with a hostile user name and reason, built by its model builder. */
export function sampleAnomaliesPage() {
  const ctx = staticPageContext();
  const anomaly = (kind: 'overlap' | 'dormant', user: string, at: string) => ({
    anomaly: { kind, user, sessionIds: ['s1', 's2'], at, detail: [] },
    label: kind === 'overlap' ? LABELS.de.anomalyOverlap : LABELS.de.anomalyDormant,
    reason: `${EVIL_CN} & "reason"`,
    user: { user, alias: AMP_ALIAS },
  });
  return anomaliesPage(
    [anomaly('overlap', EVIL_CN, '2026-11-25T08:00:00Z'), anomaly('dormant', QUOTE_CN, '2026-11-26T08:00:00Z')],
    new Set(['2026-11-25']),
    ctx,
  );
}

/** /ledger/ with a hostile user, reason and id, built by its model builder. */
export function sampleLedgerPage() {
  const ctx = staticPageContext();
  const before = { head: 'a'.repeat(64), rows: 12 };
  const after = { head: 'b'.repeat(64), rows: 11 };
  return ledgerPage(
    {
      head: after.head,
      rows: after.rows,
      verified: { at: '2026-11-26T02:00:00Z', ok: true, head: after.head, rows: after.rows },
      newest: [
        { at: '2026-11-25T08:00:00Z', action: 'upgrade', user: null, client: 'cli', ids: [], count: 12 },
        {
          at: '2026-11-26T08:00:00Z',
          action: 'delete',
          user: EVIL_CN,
          client: '127.0.0.1',
          ids: [QUOTE_CN],
          count: 1,
          reason: `${EVIL_CN} & "reason"`,
          before,
          after,
        },
      ],
      total: 2,
      file: 'history.csv.audit.jsonl',
    },
    ctx,
  );
}
