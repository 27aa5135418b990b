/**
 * The pre-built export files of the site (wired here, written by src/io/xlsx-export.ts and
 * csv-export.ts): per view (all users and each user × all/active/ended) an .xlsx and a .csv
 * in `exports/`, and per day of history an .xlsx and a .csv in `exports/days/`.
 *
 * A file is written only when its rows changed: each file's digest of its rows is kept in
 * the build cache (ShardedHashes, exports/). Running sessions are in the files with their
 * start only (duration and traffic are on the live page), so a file changes when sessions
 * start, end or are deleted, not every minute. The files over the whole history of all users
 * are the large ones (a row per session): whole-history.ts writes them piece by piece.
 *
 * Every workbook written names the chain head it was built at (its custom properties), and
 * every file written or removed is recorded in the sums (io/export-sums.ts): a file whose
 * rows did not change keeps its bytes and its older head, which is still on the chain.
 */
import { mkdir, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { dayFileName, exportFileName, type ExportStatus } from '../core/export-names.js';
import { exportDigest, exportRows, type ExportContext, type ExportRow } from '../core/export-rows.js';
import { compareNewestFirst, type Session } from '../core/session.js';
import { writeCsv } from '../io/csv-export.js';
import type { ExportSums } from '../io/export-sums.js';
import { ifMissing } from '../io/fs-errors.js';
import { writeXlsx } from '../io/xlsx-export.js';

/** Excel's sheet holds 1,048,576 rows: the header and the newest sessions. */
export const EXPORT_ROWS_MAX = 1_048_575;

const STATUSES: readonly ExportStatus[] = ['all', 'active', 'ended'];
/**
 * Files written at once. Most are small, and a small one spends a third of its time waiting
 * for zlib and the disk (libuv's threads): three at a time keep both cores busy. A file of
 * more than BIG_ROWS rows is written alone, to bound memory.
 */
const PARALLEL = 3;
const BIG_ROWS = 10_000;

/** File (relative to the output folder) → digest of the rows it holds (the build cache's ShardedHashes; empty on a full build). */
export interface ExportDigests {
  get(file: string): string | undefined;
  set(file: string, digest: string): void;
  delete(file: string): void;
}

export interface ExportInput {
  out: string;
  ctx: ExportContext;
  full: boolean;
  /** Open and held sessions (the state's tracked ones). */
  tracked: Session[];
  /** Every known user. */
  users: string[];
  /** Users whose sessions changed since the last build (new, ended, deleted, restored, started). */
  changedUsers: Set<string>;
  /** Days whose sessions changed, and every day with history (newest first). */
  changedDays: Set<string>;
  days: string[];
  sessionsOfDay(day: string): Promise<Session[]>;
  /** The files over the whole history of all users (whole-history.ts writes them): kept by a full build. */
  wholeFiles: readonly string[];
  /** A user's sessions, tracked ones included. */
  sessionsOfUser(user: string): Promise<Session[]>;
}

/** A view's rows: its sessions newest first, as many as a sheet holds. */
const viewRows = (sessions: Session[], ctx: ExportContext): ExportRow[] =>
  exportRows([...sessions].sort(compareNewestFirst).slice(0, EXPORT_ROWS_MAX), ctx);

/** Whether a session belongs to the view of `status`. */
const inStatus = (s: Session, status: ExportStatus): boolean =>
  status === 'all' || (s.endedAt === null) === (status === 'active');

/** Which users' and days' files a build writes, and which it removes, known from the input alone. */
export interface ExportPlan {
  /** Users whose three views are written: those changed (all on a full build) that still have sessions. */
  users: string[];
  /** Days whose file is written: those changed (all on a full build) that still have history. */
  days: string[];
  /** Files of changed users and days that are gone. A full build lists the folders instead (its digests started empty). */
  gone: string[];
}

export function planExports(
  input: Pick<ExportInput, 'full' | 'users' | 'changedUsers' | 'days' | 'changedDays'>,
): ExportPlan {
  const known = new Set(input.users);
  const withHistory = new Set(input.days);
  const users = (input.full ? input.users : [...input.changedUsers]).filter((u) => known.has(u));
  const days = (input.full ? input.days : [...input.changedDays]).filter((d) => withHistory.has(d));
  const gone: string[] = [];
  if (!input.full) {
    for (const user of input.changedUsers) {
      if (known.has(user)) continue;
      for (const status of STATUSES) gone.push(...Object.values(viewFiles(user, status)));
    }
    for (const day of input.changedDays) if (!withHistory.has(day)) gone.push(...Object.values(dayFiles(day)));
  }
  return { users, days, gone };
}

const viewFiles = (user: string | null, status: ExportStatus): { xlsx: string; csv: string } => ({
  xlsx: `exports/${exportFileName(user, status, 'xlsx')}`,
  csv: `exports/${exportFileName(user, status, 'csv')}`,
});
const dayFiles = (day: string): { xlsx: string; csv: string } => ({
  xlsx: `exports/days/${dayFileName(day, 'xlsx')}`,
  csv: `exports/days/${dayFileName(day, 'csv')}`,
});

/** Writes what changed; returns the number of files written and removed. */
export async function updateExports(
  input: ExportInput,
  digests: ExportDigests,
  sums: ExportSums,
): Promise<{ written: number; removed: number }> {
  const { out, ctx } = input;
  await mkdir(join(out, 'exports', 'days'), { recursive: true });
  const w: Writes = {
    out,
    ctx,
    full: input.full,
    digests,
    sums,
    keep: new Set(),
    running: new Set(),
    failures: [],
    written: 0,
  };
  const plan = planExports(input);
  await writeAllUsers(w, input);
  for (const user of plan.users) await writeUser(w, user, await input.sessionsOfUser(user));
  for (const day of plan.days) await writeView(w, dayFiles(day), viewRows(await input.sessionsOfDay(day), ctx));
  await room(w, 1);
  if (w.failures.length > 0) throw w.failures[0];

  const stale = input.full ? await unkeptFiles(out, w.keep) : plan.gone;
  for (const file of stale) {
    await unlink(join(out, file)).catch(ifMissing(undefined));
    digests.delete(file);
    sums.delete(file);
  }
  return { written: w.written, removed: stale.length };
}

interface ViewFiles {
  xlsx: string;
  csv: string;
}

/** The writes of one build: those in flight (at most PARALLEL, a big file alone) and what they did. */
interface Writes {
  readonly out: string;
  readonly ctx: ExportContext;
  readonly full: boolean;
  readonly digests: ExportDigests;
  readonly sums: ExportSums;
  /** Every export file this build stands for; a full build removes the others. */
  readonly keep: Set<string>;
  readonly running: Set<Promise<void>>;
  /** The first failure is thrown once all writes have settled. */
  readonly failures: unknown[];
  written: number;
}

/** Waits until fewer than `limit` writes run. */
async function room(w: Writes, limit: number): Promise<void> {
  while (w.running.size >= limit) await Promise.race(w.running);
}

/** One view's files: rewritten when the digest of its rows changed (always on a full build). */
async function writeView(w: Writes, files: ViewFiles, rows: ExportRow[]): Promise<void> {
  const digest = exportDigest(rows, w.ctx.lang);
  for (const file of [files.xlsx, files.csv]) {
    w.keep.add(file);
    // A file the sums do not list (their record lost) is written again, so they list it.
    if (!w.full && w.digests.get(file) === digest && w.sums.get(file) !== undefined) continue;
    const big = rows.length > BIG_ROWS;
    await room(w, big ? 1 : PARALLEL);
    const path = join(w.out, file);
    const job = (async () => {
      const done = file.endsWith('.csv')
        ? await writeCsv(path, rows, { lang: w.ctx.lang, durable: false })
        : await writeXlsx(path, rows, { lang: w.ctx.lang, durable: false, stamp: w.sums.stamp });
      if (done.written) w.written++;
      w.digests.set(file, digest);
      w.sums.set(file, done.sha256);
    })().catch((e: unknown) => {
      w.failures.push(e);
    });
    const tracked = job.finally(() => w.running.delete(tracked));
    w.running.add(tracked);
    if (big) await room(w, 1);
  }
}

/** All users: the running sessions (a handful of rows); the whole history's files are another stage's. */
async function writeAllUsers(w: Writes, input: ExportInput): Promise<void> {
  const live = input.tracked.filter((s) => s.endedAt === null);
  await writeView(w, viewFiles(null, 'active'), viewRows(live, w.ctx));
  for (const file of input.wholeFiles) w.keep.add(file);
}

/** A user's three views; each session's row is made once, the views share them. */
async function writeUser(w: Writes, user: string, userSessions: Session[]): Promise<void> {
  const sessions = [...userSessions].sort(compareNewestFirst);
  const rows = exportRows(sessions, w.ctx);
  for (const status of STATUSES) {
    const mine = status === 'all' ? rows : rows.filter((_, i) => inStatus(sessions[i] as Session, status));
    await writeView(w, viewFiles(user, status), mine.slice(0, EXPORT_ROWS_MAX));
  }
}

/** Export files on disk that this build does not stand for (a full build's stale ones). */
async function unkeptFiles(out: string, keep: ReadonlySet<string>): Promise<string[]> {
  const stale: string[] = [];
  for (const dir of ['exports', 'exports/days']) {
    for (const name of await readdir(join(out, dir)).catch(ifMissing([] as string[]))) {
      const file = `${dir}/${name}`;
      if ((name.endsWith('.xlsx') || name.endsWith('.csv')) && !keep.has(file)) stale.push(file);
    }
  }
  return stale;
}
