/**
 * Which history entries a delete, clear or restore may touch, and what the request bodies
 * must look like. Pure: the caller scans the CSV, the state and the trash and passes what
 * it found; every refusal carries the HTTP status the endpoint answers with.
 *
 * Only rows of the CSV (ended, written sessions) can be deleted. A session the state still
 * tracks — open, or held as server-stopped until its server is seen again — would be
 * written (again) by the next run, so deleting it is refused (409) instead of pretending.
 */
import type { TrackedSession } from './reconcile.js';
import { err, ok, type Result } from './result.js';

/** Session ids are hex (src/core/session.ts); this also keeps path and markup characters out. */
export const SESSION_ID = /^[0-9A-Za-z_-]{1,64}$/;
/** More than a 64 KB body can hold (about 2,900 ids): a bound for lists built elsewhere. */
export const MAX_IDS = 5000;
export const CLEAR_CONFIRMATION = 'DELETE ALL';

export interface Refusal {
  kind: 'refused';
  status: 400 | 404 | 409;
  message: string;
  /** The ids the refusal is about (unknown, open, …). */
  ids?: string[];
  /** For clear: how many entries would have been deleted. */
  count?: number;
}

export type Checked<T> = Result<T, Refusal>;

const refusal = (
  status: Refusal['status'],
  message: string,
  more: Pick<Refusal, 'ids' | 'count'> = {},
): Checked<never> => err({ kind: 'refused', status, message, ...more });
const bad = (message: string): Checked<never> => refusal(400, message);

/** "a, b, c and 7 more": ids in a message stay readable however many there are. */
export function listIds(ids: readonly string[], max = 10): string {
  const shown = ids.slice(0, max).join(', ');
  return ids.length > max ? `${shown} and ${ids.length - max} more` : shown;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function onlyKeys(body: Record<string, unknown>, keys: string[]): Checked<never> | null {
  const extra = Object.keys(body).filter((k) => !keys.includes(k));
  return extra.length > 0 ? bad(`unexpected field(s): ${extra.slice(0, 5).join(', ')}`) : null;
}

/** `{ "ids": [...] }` for delete and restore: a non-empty list of session ids, duplicates dropped. */
export function parseIdsBody(body: unknown): Checked<string[]> {
  if (!isPlainObject(body)) return bad('expected a JSON object {"ids": [...]}');
  const extra = onlyKeys(body, ['ids', 'reason']);
  if (extra) return extra;
  const ids = body.ids;
  if (!Array.isArray(ids)) return bad('"ids" must be a list of session ids');
  if (ids.length === 0) return bad('"ids" is empty');
  if (ids.length > MAX_IDS) return bad(`"ids" has ${ids.length} entries; at most ${MAX_IDS} per request`);
  const out: string[] = [];
  const seen = new Set<string>();
  for (const id of ids) {
    if (typeof id !== 'string' || !SESSION_ID.test(id)) {
      return bad(
        `"ids" holds ${JSON.stringify(id).slice(0, 80)}, which is not a session id (letters, digits, '-' and '_')`,
      );
    }
    if (seen.has(id)) continue;
    seen.add(id);
    out.push(id);
  }
  return ok(out);
}

/** `{ "confirm": "DELETE ALL", "expectedCount": N }` for clear. */
export function parseClearBody(body: unknown): Checked<{ expectedCount: number }> {
  if (!isPlainObject(body))
    return bad(`expected a JSON object {"confirm": "${CLEAR_CONFIRMATION}", "expectedCount": N}`);
  const extra = onlyKeys(body, ['confirm', 'expectedCount', 'reason']);
  if (extra) return extra;
  if (body.confirm !== CLEAR_CONFIRMATION) return bad(`"confirm" must be "${CLEAR_CONFIRMATION}"`);
  const n = body.expectedCount;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0)
    return bad('"expectedCount" must be the number of entries to delete (a whole number ≥ 0)');
  return ok({ expectedCount: n });
}

/** Characters a reason may hold at most (it is stored in every copy of the change log). */
export const REASON_MAX = 500;

/**
 * The optional `reason` of a delete, clear or restore: plain text of at most REASON_MAX
 * characters without control characters (one line in the change log); empty means none.
 */
export function parseReason(body: unknown): Checked<string | undefined> {
  if (!isPlainObject(body) || body.reason === undefined) return ok(undefined);
  const r = body.reason;
  if (typeof r !== 'string') return bad('"reason" must be a text');
  if (r.length > REASON_MAX) return bad(`"reason" has ${r.length} characters; at most ${REASON_MAX}`);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(r)) return bad('"reason" must be one line of plain text');
  const trimmed = r.trim();
  return ok(trimmed === '' ? undefined : trimmed);
}

/** The requested ids the state still tracks: open ones, and ones held as server-stopped. */
function trackedAmong(ids: readonly string[], tracked: readonly TrackedSession[]): { open: string[]; held: string[] } {
  const byId = new Map(tracked.map((s) => [s.id, s]));
  const open = ids.filter((id) => byId.get(id)?.endedAt === null);
  const held = ids.filter((id) => {
    const s = byId.get(id);
    return s !== undefined && s.endedAt !== null;
  });
  return { open, held };
}

/**
 * Delete `requested` (deduplicated, valid ids): every one must be a row of the CSV.
 * Unknown ids refuse the whole request (404, naming them), as do tracked ones (409).
 */
export function planDelete(
  requested: readonly string[],
  inHistory: ReadonlySet<string>,
  tracked: readonly TrackedSession[],
): Checked<string[]> {
  const trackedIds = new Set(tracked.map((s) => s.id));
  const unknown = requested.filter((id) => !inHistory.has(id) && !trackedIds.has(id));
  if (unknown.length > 0)
    return refusal(404, `no such session in the history: ${listIds(unknown)}; nothing was deleted`, { ids: unknown });
  // In the CSV and still tracked cannot happen after recovery; if it did, the next run would write it again.
  const { open, held } = trackedAmong(requested, tracked);
  if (open.length > 0 || held.length > 0) {
    const parts: string[] = [];
    if (open.length > 0)
      parts.push(`still connected: ${listIds(open)} (it would reappear on the next run; delete it once it has ended)`);
    if (held.length > 0)
      parts.push(
        `ended by a stopped server and not yet written to the history: ${listIds(held)} (try again once its server is back)`,
      );
    return refusal(409, `cannot delete live sessions, ${parts.join('; ')}; nothing was deleted`, {
      ids: [...open, ...held],
    });
  }
  return ok([...requested]);
}

/** Clear: refused unless the caller names exactly how many entries it is about to delete. */
export function planClear(expectedCount: number, rows: number): Checked<number> {
  if (expectedCount !== rows) {
    return refusal(
      409,
      `the history holds ${rows} ended session(s), not ${expectedCount}; nothing was deleted (reload and confirm again)`,
      { count: rows },
    );
  }
  return ok(rows);
}

export interface RestorePlan {
  /** Ids to write back into the CSV. */
  insert: string[];
  /** Ids already in the CSV again (a restore interrupted after writing it): only taken out of the trash. */
  present: string[];
}

/** Restore `requested`: each must be in the trash (404 otherwise); none may be tracked again (409). */
export function planRestore(
  requested: readonly string[],
  inTrash: ReadonlySet<string>,
  inHistory: ReadonlySet<string>,
  tracked: readonly TrackedSession[],
): Checked<RestorePlan> {
  const unknown = requested.filter((id) => !inTrash.has(id));
  if (unknown.length > 0)
    return refusal(404, `not in the trash: ${listIds(unknown)}; nothing was restored`, { ids: unknown });
  const { open, held } = trackedAmong(requested, tracked);
  const again = [...open, ...held];
  if (again.length > 0) {
    return refusal(
      409,
      `the collector tracks a session with this id again: ${listIds(again)}; restoring it would record it twice; nothing was restored`,
      { ids: again },
    );
  }
  return ok({
    insert: requested.filter((id) => !inHistory.has(id)),
    present: requested.filter((id) => inHistory.has(id)),
  });
}
