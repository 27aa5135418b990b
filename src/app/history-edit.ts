/**
 * Deleting, clearing and restoring history entries: what the endpoint (`serve`, and `demo`
 * without authentication) does behind its HTTP checks. Each change holds the history lock
 * (the one `collect` and `run` take), in this order, so that a crash at any instant loses
 * nothing and duplicates nothing:
 *   1. the removed rows are appended to the trash (fsync'd), each with its chain value and
 *      the one before it; then the change log gets its entry (who, why, ids, the chain's
 *      head before and after): a crash later leaves a record too many, never one too few;
 *   2. the state is written with historyGeneration bumped and historyBytes 0 (the next
 *      collect re-reads the CSV's ids instead of trusting an
 *      offset into a file that is about to be replaced);
 *   3. the new CSV, written and fsync'd beside the old one, is renamed over it;
 *   4. the state gets the new CSV size and the rewrite in its journal (what left and what
 *      came back: the next build updates only those days and users) and the chain's head;
 *   5. the site is rebuilt, so the response comes after the pages show the change. If that
 *      build fails the change stays (it is in the history and the change log) and the answer
 *      says it is not yet published: the next run that builds publishes it.
 * The site is brought up to date before step 1 too: the journal only helps a build that had
 * read the CSV up to the rewrite (src/core/history-rewrite.ts).
 * A crash after 1 leaves rows both in the CSV and the trash: restoring them only takes them
 * out of the trash. Restore works the same way round (CSV first, then the trash).
 */
import type { ChainHead } from '../core/chain.js';
import { planClear, planDelete, planRestore, type Refusal } from '../core/deletion.js';
import { recordRewrite, REWRITE_ROWS_MAX } from '../core/history-rewrite.js';
import type { CollectorState } from '../core/reconcile.js';
import { isExpectedError } from '../core/errors.js';
import { err, ok, type LockBusy, type Result } from '../core/result.js';
import type { Session } from '../core/session.js';
import type { Settings } from '../core/settings.js';
import { isoFromMs } from '../core/time.js';
import {
  historyPaths,
  prepareHistoryEdit,
  readState,
  recoverHistory,
  type ChainedRow,
  type PreparedHistoryEdit,
  readHistoryRows,
  rewriteHistory,
  scanHistory,
  writeState,
  type HistoryEdit,
} from '../io/history-store.js';
import {
  appendAudit,
  appendTrash,
  openTrashWriter,
  readTrash,
  removeFromTrash,
  trashPaths,
  type AuditAction,
  type ChainLink,
  type TrashEntry,
} from '../io/trash.js';
import { buildLocked, type BuildOutcome } from './build.js';
import type { Logger } from './context.js';
import { ensureChain, headAfterEdit, historyStart } from './chain.js';
import { withHistoryLock } from './lock.js';

/** Who asked: the authenticated user (null without authentication) and the client's address; and why, if they said. */
export interface Actor {
  user: string | null;
  client: string;
  /** The reason given (plain text, checked by the door), stored in the change log. */
  reason?: string;
}

export interface EditDone {
  /** Ids the change applied to (a clear lists the first 10,000). */
  ids: string[];
  count: number;
  build: Pick<BuildOutcome, 'full' | 'pagesRendered' | 'ms'> | null;
}

/** The change is in the history, but the build that would publish it failed: the site shows the old state. */
/** The endpoint's edits. */
export type EditAction = Extract<AuditAction, 'delete' | 'clear' | 'restore'>;

export interface Unpublished {
  kind: 'unpublished';
  action: EditAction;
  ids: string[];
  count: number;
  /** The build's error where it names what to fix (a damaged file), else a pointer to the log. */
  reason: string;
}

/**
 * Done, refused (nothing changed), not tried (another process held the history lock past
 * lockTimeout), or done but not published.
 */
export type EditResult = Result<EditDone, Refusal | LockBusy | Unpublished>;

export interface TrashItem {
  id: string;
  user: string;
  commonName: string;
  realAddress: string;
  connectedAt: string;
  endedAt: string | null;
  deletedAt: string;
  deletedBy: string | null;
}

export interface HistoryOps {
  deleteSessions(ids: string[], actor: Actor): Promise<EditResult>;
  clearHistory(expectedCount: number, actor: Actor): Promise<EditResult>;
  restoreSessions(ids: string[], actor: Actor): Promise<EditResult>;
  /** How many entries a clear would delete. */
  countSessions(): Promise<Result<number, LockBusy>>;
  /** The newest `limit` trash entries, newest first, and how many there are. */
  listTrash(limit: number): Promise<{ total: number; entries: TrashItem[] }>;
}

/** Longer than the lock's longest poll interval (src/io/lock.ts). */
const FAIR_GAP_MS = 300;
/** A clear of a large history lists this many ids in its audit line; the trash holds them all. */
const AUDIT_IDS_MAX = 10_000;

export interface HistoryOpsOptions {
  settings: Settings;
  log: Logger;
  /** The clock for trash, audit and build times (tests pin it). */
  now?: () => string;
  /** Rebuilds the site under the lock; default buildLocked. */
  rebuild?: (settings: Settings, now: string, log: Logger) => Promise<BuildOutcome>;
}

/** What every operation of one historyOps() shares: its settings, clock, paths and request queue. */
interface EditContext {
  settings: Settings;
  log: Logger;
  now: () => string;
  rebuild: (settings: Settings, now: string, log: Logger) => Promise<BuildOutcome>;
  paths: ReturnType<typeof historyPaths>;
  tp: ReturnType<typeof trashPaths>;
  warn: (m: string) => void;
  /** One change at a time in this process (see `serial`). */
  lane: { queue: Promise<unknown>; waiting: number };
}

export function historyOps(opts: HistoryOpsOptions): HistoryOps {
  const { settings, log } = opts;
  const ctx: EditContext = {
    settings,
    log,
    now: opts.now ?? (() => isoFromMs(Date.now())),
    rebuild: opts.rebuild ?? buildLocked,
    paths: historyPaths(settings.history),
    tp: trashPaths(settings.history),
    warn: (m: string): void => log.warn(m),
    lane: { queue: Promise.resolve(), waiting: 0 },
  };
  return {
    deleteSessions: (ids, actor) => edit(ctx, 'delete', () => deleteSessions(ctx, ids, actor)),
    clearHistory: (expectedCount, actor) => edit(ctx, 'clear', () => clearHistory(ctx, expectedCount, actor)),
    restoreSessions: (ids, actor) => edit(ctx, 'restore', () => restoreSessions(ctx, ids, actor)),
    countSessions: () =>
      locked(ctx, 'count', async () => (await scanHistory(ctx.paths.history, new Set(), ctx.warn)).rows),
    listTrash: (limit) => listTrash(ctx, limit),
  };
}

/**
 * One change at a time in this process: requests queue here rather than poll the lock file,
 * so lockTimeout bounds only the wait for other processes (the cron job).
 */
function serial<T>(ctx: EditContext, fn: () => Promise<T>): Promise<T> {
  const lane = ctx.lane;
  lane.waiting++;
  const step = async (): Promise<T> => {
    lane.waiting--;
    return fn();
  };
  const run = lane.queue.then(step, step);
  lane.queue = run.catch(() => undefined); // the caller gets the error; the queue only moves on
  return run;
}

function locked<T>(ctx: EditContext, what: string, fn: () => Promise<T>): Promise<Result<T, LockBusy>> {
  return serial(ctx, async () => {
    const r = await withHistoryLock(ctx.settings, ctx.log, what, fn);
    // Queued changes would take the lock again at once, and the cron job, which polls for
    // it every 250 ms at most, could wait past its timeout: leave it a gap.
    if (ctx.lane.waiting > 0) await new Promise((resolve) => setTimeout(resolve, FAIR_GAP_MS));
    return r;
  });
}

/** An edit under the lock: its own outcome, or LockBusy. */
async function edit(
  ctx: EditContext,
  what: string,
  fn: () => Promise<Result<EditDone, Refusal | Unpublished>>,
): Promise<EditResult> {
  const r = await locked(ctx, what, fn);
  return r.ok ? r.value : r;
}

/** The state after the repairs `collect` would make first (a torn tail, an unrecorded append). */
async function recovered(ctx: EditContext, at: string): Promise<CollectorState> {
  const { paths } = ctx;
  const r = await recoverHistory(paths.history, await readState(paths.state), at, ctx.warn);
  if (r.repaired) await writeState(paths.state, r.state);
  return ensureChain(ctx.settings, r.state, at, ctx.log);
}

/** Steps 2–4 for a CSV change; `trash` runs first (step 1) with the rows that leave the CSV. */
async function rewrite(
  ctx: EditContext,
  state: CollectorState,
  change: HistoryEdit,
  trash: (removed: ChainedRow[]) => Promise<void>,
  record: (after: ChainHead, misplaced: PreparedHistoryEdit['misplaced']) => Promise<void>,
): Promise<ChainHead> {
  const { paths } = ctx;
  await ctx.rebuild(ctx.settings, ctx.now(), ctx.log);
  const prepared = await prepareHistoryEdit(
    paths.history,
    { ...change, prev: await historyStart(paths.history) },
    ctx.warn,
  );
  const after = headAfterEdit(prepared);
  try {
    await trash(prepared.removedRows);
    // Recorded before the CSV changes: a crash in between leaves a record too many, never one too few.
    await record(after, prepared.misplaced);
    const bumped: CollectorState = { ...state, historyGeneration: state.historyGeneration + 1, historyBytes: 0 };
    await writeState(paths.state, bumped);
    await prepared.commit();
    const added = [...[...(change.insertAfter?.values() ?? [])].flat().map((r) => r.session), ...(change.append ?? [])];
    const rewritten = { bytesBefore: state.historyBytes, bytesAfter: prepared.bytes, removed: prepared.removed, added };
    await writeState(paths.state, { ...recordRewrite(state, rewritten), chain: after });
  } finally {
    await prepared.abort(); // a no-op once committed
  }
  return after;
}

type Done = { ids: string[]; count: number; at: string; before?: ChainHead; after?: ChainHead; links?: ChainLink[] };

/** The change-log entry of an edit: who, why, which ids, the chain's head before and after. */
async function audit(ctx: EditContext, action: EditAction, actor: Actor, done: Done): Promise<void> {
  const { ids, count, at } = done;
  await appendAudit(ctx.tp.audit, {
    at,
    action,
    user: actor.user,
    client: actor.client,
    ids,
    count,
    ...(count > ids.length ? { idsOmitted: count - ids.length } : {}),
    ...(actor.reason === undefined ? {} : { reason: actor.reason }),
    ...(done.before === undefined ? {} : { before: done.before }),
    ...(done.after === undefined ? {} : { after: done.after }),
    ...(done.links === undefined || done.links.length === 0 ? {} : { links: done.links }),
  });
}

/** Log line and rebuild (Unpublished when it fails); the change log has the entry already. */
async function finish(
  ctx: EditContext,
  action: EditAction,
  actor: Actor,
  done: Done,
  changed: boolean,
): Promise<Result<EditDone, Unpublished>> {
  const { ids, count } = done;
  ctx.log.info(`${action}: ${count} session(s) by ${actor.user ?? '(no authentication)'} from ${actor.client}`);
  let build: EditDone['build'] = null;
  if (changed) {
    try {
      const b = await ctx.rebuild(ctx.settings, ctx.now(), ctx.log);
      build = { full: b.full, pagesRendered: b.pagesRendered, ms: b.ms };
    } catch (e) {
      // The history changed for good: the answer must not read as "nothing happened".
      ctx.log.warn(
        `${action}: ${count} session(s) changed in the history, but the rebuild failed: ${(e as Error).stack ?? String(e)}`,
      );
      const reason = isExpectedError(e) ? (e as Error).message : 'see the server log';
      return err({ kind: 'unpublished', action, ids, count, reason });
    }
  }
  return ok({ ids, count, build });
}

async function deleteSessions(
  ctx: EditContext,
  ids: string[],
  actor: Actor,
): Promise<Result<EditDone, Refusal | Unpublished>> {
  const at = ctx.now();
  const state = await recovered(ctx, at);
  const { found } = await scanHistory(ctx.paths.history, new Set(ids), ctx.warn);
  const plan = planDelete(ids, found, state.tracked);
  if (!plan.ok) return plan;
  const drop = new Set(plan.value);
  const done: Done = { ids: plan.value, count: plan.value.length, at, before: state.chain };
  const trash = (removed: ChainedRow[]): Promise<void> =>
    appendTrash(
      ctx.tp.trash,
      removed.map(
        (r): TrashEntry => ({
          deletedAt: at,
          deletedBy: actor.user,
          session: r.session,
          chain: { prev: r.prev, sha: r.sha },
        }),
      ),
    );
  done.after = await rewrite(ctx, state, { drop: (s) => drop.has(s.id) }, trash, (after) =>
    audit(ctx, 'delete', actor, { ...done, after }),
  );
  return finish(ctx, 'delete', actor, done, true);
}

async function clearHistory(
  ctx: EditContext,
  expectedCount: number,
  actor: Actor,
): Promise<Result<EditDone, Refusal | Unpublished>> {
  const { paths } = ctx;
  const at = ctx.now();
  const state = await recovered(ctx, at);
  const { rows } = await scanHistory(paths.history, new Set(), ctx.warn);
  const plan = planClear(expectedCount, rows);
  if (!plan.ok) return plan;
  if (rows === 0) {
    // Nothing changes, but the entry still names the head, as every change-log entry does.
    const done: Done = { ids: [], count: 0, at, before: state.chain, after: state.chain };
    await audit(ctx, 'clear', actor, done);
    return finish(ctx, 'clear', actor, done, false);
  }
  await ctx.rebuild(ctx.settings, ctx.now(), ctx.log);
  const { ids, count, removed, head } = await trashWholeHistory(ctx, at, actor);
  const after: ChainHead = { head, rows: 0 };
  // Recorded before the CSV is emptied: a crash in between leaves a record too many, never one too few.
  await audit(ctx, 'clear', actor, { ids, count, at, before: state.chain, after });
  const bumped: CollectorState = { ...state, historyGeneration: state.historyGeneration + 1, historyBytes: 0 };
  await writeState(paths.state, bumped);
  const bytes = await rewriteHistory(paths.history, []);
  await writeState(paths.state, {
    ...recordRewrite(state, { bytesBefore: state.historyBytes, bytesAfter: bytes, removed, added: [] }),
    chain: after,
  });
  return finish(ctx, 'clear', actor, { ids, count, at, before: state.chain, after }, true);
}

/**
 * Step 1 of a clear: every row streamed into the trash (a clear of a million rows must not hold
 * them in memory), then the CSV is emptied by the caller.
 */
async function trashWholeHistory(
  ctx: EditContext,
  at: string,
  actor: Actor,
): Promise<{ ids: string[]; count: number; removed: Session[]; head: string }> {
  const ids: string[] = [];
  let count = 0;
  // For the build's journal; past REWRITE_ROWS_MAX the next build is a full one anyway.
  const removed: Session[] = [];
  let prev = await historyStart(ctx.paths.history);
  const writer = await openTrashWriter(ctx.tp.trash);
  try {
    // The CSV is emptied next: its bad rows must be set aside first.
    for await (const row of readHistoryRows(ctx.paths.history, { warn: ctx.warn, quarantine: 'required' })) {
      const { session } = row;
      const sha = row.chain as string; // the history is chained (ensureChain ran)
      count++;
      if (ids.length < AUDIT_IDS_MAX) ids.push(session.id);
      if (removed.length <= REWRITE_ROWS_MAX) removed.push(session);
      await writer.add({ deletedAt: at, deletedBy: actor.user, session, chain: { prev, sha } });
      prev = sha;
    }
  } finally {
    await writer.close();
  }
  return { ids, count, removed, head: prev };
}

async function restoreSessions(
  ctx: EditContext,
  ids: string[],
  actor: Actor,
): Promise<Result<EditDone, Refusal | Unpublished>> {
  const at = ctx.now();
  const state = await recovered(ctx, at);
  const wanted = new Set(ids);
  // The newest trash entry of each id (an id deleted, restored and deleted again is in it once, but be sure).
  const entries = new Map<string, TrashEntry>();
  // Which row each chain value belongs to, to find where a restored row goes back.
  const prevOf = new Map<string, string>();
  for await (const e of readTrash(ctx.tp.trash)) {
    if (wanted.has(e.session.id)) entries.set(e.session.id, e);
    if (e.chain) prevOf.set(e.chain.sha, e.chain.prev);
  }
  const { found } = await scanHistory(ctx.paths.history, wanted, ctx.warn);
  const plan = planRestore(ids, new Set(entries.keys()), found, state.tracked);
  if (!plan.ok) return plan;
  const back = plan.value.insert.map((id) => entries.get(id) as TrashEntry);
  const change = await placeRestored(ctx, back, prevOf);
  const done: Done = { ids, count: ids.length, at, before: state.chain, after: state.chain };
  // Rows whose place went to an archive are put back at the end: verify needs where they came from and went.
  const record = (after: ChainHead | undefined, misplaced: PreparedHistoryEdit['misplaced'] = []): Promise<void> => {
    const links = misplaced.map((r) => ({ id: r.session.id, prev: r.prev, sha: r.sha, after: r.after }));
    return audit(ctx, 'restore', actor, { ...done, after, links });
  };
  if (back.length > 0) done.after = await rewrite(ctx, state, change, async () => undefined, record);
  else await record(state.chain);
  await removeFromTrash(ctx.tp.trash, new Set(ids));
  return finish(ctx, 'restore', actor, done, back.length > 0);
}

/**
 * Where restored rows go: each right after the row it followed when it was deleted (the
 * nearest row before it that is not in the trash, or another row restored now), so its
 * chain value and its neighbours' stay valid. A row whose place went to an archive (the rows
 * before and after it archived) goes at the end: its change-log entry records that (`links`).
 * Rows deleted before the chain have none: they are appended with a new one.
 */
async function placeRestored(ctx: EditContext, back: TrashEntry[], prevOf: Map<string, string>): Promise<HistoryEdit> {
  const start = await historyStart(ctx.paths.history);
  const restored = new Set(back.flatMap((e) => (e.chain ? [e.chain.sha] : [])));
  const insertAfter = new Map<string, ChainedRow[]>();
  const append: Session[] = [];
  for (const e of back) {
    if (!e.chain) {
      append.push(e.session);
      continue;
    }
    let key = e.chain.prev;
    for (let p = prevOf.get(key); p !== undefined && !restored.has(key); p = prevOf.get(key)) key = p;
    if (key === start) key = '';
    const list = insertAfter.get(key) ?? [];
    list.push({ session: e.session, prev: e.chain.prev, sha: e.chain.sha });
    insertAfter.set(key, list);
  }
  return { insertAfter, append };
}

async function listTrash(ctx: EditContext, limit: number): Promise<{ total: number; entries: TrashItem[] }> {
  // Read without the lock: the trash is only ever appended to or replaced by a rename.
  const ring: TrashEntry[] = [];
  let total = 0;
  for await (const e of readTrash(ctx.tp.trash)) {
    if (limit > 0) ring[total % limit] = e;
    total++;
  }
  const newest: TrashEntry[] = [];
  for (let i = total - 1; i >= Math.max(0, total - limit); i--) newest.push(ring[i % limit] as TrashEntry);
  const entries = newest.map(
    (e): TrashItem => ({
      id: e.session.id,
      user: e.session.user,
      commonName: e.session.commonName,
      realAddress: e.session.realAddress,
      connectedAt: e.session.connectedAt,
      endedAt: e.session.endedAt,
      deletedAt: e.deletedAt,
      deletedBy: e.deletedBy,
    }),
  );
  return { total, entries };
}
