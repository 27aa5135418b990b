/**
 * The model of "/ledger/", the auditors' page: the history's chain head and row count, the
 * last `verify`, and the change log newest first. Only what the change log records (ids,
 * counts, heads): nothing of a deleted session's data. Every text but the labels and the
 * heads comes from a user (who, reason, ids) or a request (client) and is escaped by the
 * template.
 */
import type { ChainHead } from '../core/chain.js';
import { formatDateTime } from '../core/format.js';
import type { Labels } from '../core/i18n.js';
import { msFromIso } from '../core/time.js';
import type { ModelContext } from './models.js';
import { LEDGER_URL, rootOf } from './urls.js';
import type { LedgerPage, LedgerRow } from './view-model.js';

/** Entries on /ledger/ (a few hundred bytes each): the newest; the change log on the server has them all. */
export const LEDGER_ON_PAGE = 500;

/** Session ids listed in a row; a clear of thousands names the rest by their number. */
const IDS_ON_ROW = 5;

/** A change-log entry as the page needs it (src/io/trash.ts AuditEntry has these fields). */
export interface LedgerEntryInput {
  at: string;
  action: string;
  user: string | null;
  client: string;
  ids: string[];
  idsOmitted?: number;
  count: number;
  reason?: string;
  before?: ChainHead;
  after?: ChainHead;
}

export interface LedgerInput {
  head: string;
  rows: number;
  /** The last verify's outcome, or null when it never ran. */
  verified: { at: string; ok: boolean; head: string; rows: number; by?: string | null } | null;
  /** The newest entries, oldest first as the file has them (at most LEDGER_ON_PAGE are shown). */
  newest: LedgerEntryInput[];
  /** Entries in the whole change log. */
  total: number;
  /** The change log's file name on the server. */
  file: string;
}

const ACTION_LABELS: Record<string, keyof Labels> = {
  delete: 'ledgerDelete',
  clear: 'ledgerClear',
  restore: 'ledgerRestore',
  retention: 'ledgerRetention',
  withdraw: 'ledgerWithdraw',
  import: 'ledgerImport',
  upgrade: 'ledgerUpgrade',
};

const short = (head: string): string => `${head.slice(0, 12)}…`;

/** A time in the zone; a time the file holds but no clock could read is shown as it is. */
const timeIn = (iso: string, ctx: ModelContext): string =>
  Number.isNaN(msFromIso(iso)) ? iso : formatDateTime(iso, ctx.timeZone);

export function ledgerPage(input: LedgerInput, ctx: ModelContext): LedgerPage {
  const url = LEDGER_URL;
  const shown = input.newest.slice(-LEDGER_ON_PAGE).reverse();
  const v = input.verified;
  return {
    kind: 'ledger',
    url,
    root: rootOf(url),
    heading: ctx.t.ledger,
    prev: null,
    next: null,
    position: null,
    head: input.head,
    rows: input.rows,
    verified:
      v === null
        ? ctx.t.ledgerNever
        : ctx.t.ledgerVerifiedLine
            .replace('{at}', timeIn(v.at, ctx))
            .replace('{result}', v.ok ? ctx.t.ledgerOk : ctx.t.ledgerBroken)
            .replace('{head}', short(v.head))
            .replace('{rows}', String(v.rows)) + (typeof v.by === 'string' ? ` ${ctx.t.ledgerBy} ${v.by}` : ''),
    verifiedOk: v === null ? null : v.ok,
    entries: shown.map((e) => ledgerRow(e, ctx)),
    more:
      input.total > shown.length
        ? (shown.length === 1 ? ctx.t.ledgerMoreOne : ctx.t.ledgerMore)
            .replace('{n}', String(shown.length))
            .replace('{total}', String(input.total))
            .replace('{file}', input.file)
        : null,
  };
}

function ledgerRow(e: LedgerEntryInput, ctx: ModelContext): LedgerRow {
  const key = Object.hasOwn(ACTION_LABELS, e.action) ? ACTION_LABELS[e.action] : undefined;
  const listed = e.ids.slice(0, IDS_ON_ROW);
  const others = e.ids.length - listed.length + (e.idsOmitted ?? 0);
  const ids =
    others > 0
      ? `${listed.join(', ')} ${(others === 1 ? ctx.t.ledgerIdsMoreOne : ctx.t.ledgerIdsMore).replace('{n}', String(others))}`
      : listed.join(', ');
  const { before: b, after: a } = e;
  return {
    action: key === undefined ? 'other' : e.action,
    label: key === undefined ? e.action : ctx.t[key],
    at: timeIn(e.at, ctx),
    who: e.user ?? ctx.t.ledgerNobody,
    client: e.client,
    count: e.count,
    ids,
    reason: e.reason ?? '',
    change: b && a ? `${short(b.head)} → ${short(a.head)}` : '',
    changeFull: b && a ? `${b.head} (${b.rows}) → ${a.head} (${a.rows})` : '',
  };
}
