/**
 * The pre-built export files of the site (wired here, written by src/io/xlsx-export.ts and
 * csv-export.ts): per view (all users and each user × all/active/ended) an .xlsx and a .csv
 * in `exports/`, and per day of history an .xlsx in `exports/days/`.
 *
 * A file is written only when its rows changed: each file's digest of its rows is kept in
 * the build cache (ShardedHashes, exports/). Running sessions are in the files with their
 * start only (duration and traffic are on the live page), so a file changes when sessions
 * start, end or are deleted, not every minute. The two files over the whole history of all users are the
 * large ones (a row per session): they follow changes at most every BIG_EVERY_S.
 */
import { mkdir, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { dayFileName, exportFileName, type ExportStatus } from '../core/export-names.js';
import { exportDigest, exportRows, type ExportContext, type ExportRow } from '../core/export-rows.js';
import { compareNewestFirst, type Session } from '../core/session.js';
import { msFromIso } from '../core/time.js';
import { writeCsv } from '../io/csv-export.js';
import { ifMissing } from '../io/fs-errors.js';
import { writeXlsx } from '../io/xlsx-export.js';
import type { WholeHistoryJob, WholeHistoryResult } from './whole-history.js';

/** How often at most the whole-history files of all users are rewritten (they take seconds on a large history). */
export const BIG_EVERY_S = 15 * 60;
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

/** What the build manifest keeps about the export files. */
export interface ExportsManifest {
  /** When the whole-history files of all users were last checked, and whether a change waits. */
  bigAt: string | null;
  bigPending: boolean;
}

export const emptyExportsManifest = (): ExportsManifest => ({ bigAt: null, bigPending: true });

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
  /** Writes the files over the whole history of all users (whole-history.ts: in a worker thread). */
  writeWholeHistory(views: WholeHistoryJob['views']): Promise<WholeHistoryResult>;
  /** A user's sessions, tracked ones included. */
  sessionsOfUser(user: string): Promise<Session[]>;
}

/** A view's rows: its sessions newest first, as many as a sheet holds. */
const viewRows = (sessions: Session[], ctx: ExportContext): ExportRow[] => exportRows([...sessions].sort(compareNewestFirst).slice(0, EXPORT_ROWS_MAX), ctx);

/** Whether a session belongs to the view of `status`. */
const inStatus = (s: Session, status: ExportStatus): boolean => status === 'all' || (s.endedAt === null) === (status === 'active');

/** Writes what changed; returns the number of files written and removed. */
export async function updateExports(input: ExportInput, m: ExportsManifest, digests: ExportDigests): Promise<{ written: number; removed: number }> {
  const { out, ctx } = input;
  await mkdir(join(out, 'exports', 'days'), { recursive: true });
  const keep = new Set<string>();
  let written = 0;
  const running = new Set<Promise<void>>();
  const failures: unknown[] = [];
  /** Waits until fewer than `limit` writes run (the first failure is thrown once all have settled). */
  const room = async (limit: number): Promise<void> => {
    while (running.size >= limit) await Promise.race(running);
  };
  /** One view's files: rewritten when the digest of its rows changed (or a file is missing on a full build). */
  const write = async (files: { xlsx: string; csv: string | null }, rows: ExportRow[]): Promise<void> => {
    const digest = exportDigest(rows, ctx.lang);
    for (const file of [files.xlsx, files.csv]) {
      if (file === null) continue;
      keep.add(file);
      if (!input.full && digests.get(file) === digest) continue;
      const big = rows.length > BIG_ROWS;
      await room(big ? 1 : PARALLEL);
      const path = join(out, file);
      const job = (async () => {
        const done = file.endsWith('.csv')
          ? await writeCsv(path, rows, { lang: ctx.lang, durable: false })
          : await writeXlsx(path, rows, { lang: ctx.lang, durable: false });
        if (done.written) written++;
        digests.set(file, digest);
      })().catch((e: unknown) => {
        failures.push(e);
      });
      const tracked = job.finally(() => running.delete(tracked));
      running.add(tracked);
      if (big) await room(1);
    }
  };
  const viewFiles = (user: string | null, status: ExportStatus) => ({
    xlsx: `exports/${exportFileName(user, status, 'xlsx')}`,
    csv: `exports/${exportFileName(user, status, 'csv')}`,
  });
  // All users: the running sessions every build (a handful of rows), the whole history when due.
  const live = input.tracked.filter((s) => s.endedAt === null);
  await write(viewFiles(null, 'active'), viewRows(live, ctx));
  if (input.full || input.changedDays.size > 0) m.bigPending = true;
  const due = m.bigAt === null || msFromIso(ctx.now) - msFromIso(m.bigAt) >= BIG_EVERY_S * 1000;
  for (const status of ['all', 'ended'] as const) for (const f of Object.values(viewFiles(null, status))) keep.add(f);
  if (input.full || (m.bigPending && due)) {
    await room(1);
    const views = (['all', 'ended'] as const).map((status) => ({ status, ...viewFiles(null, status) }));
    written += (await input.writeWholeHistory(views)).written;
    // Written in full and compared byte for byte (whole-history.ts): no digests kept.
    for (const v of views) for (const f of [v.xlsx, v.csv]) digests.delete(f);
    m.bigAt = ctx.now;
    m.bigPending = false;
  }

  // Each user whose sessions changed (every user on a full build).
  const known = new Set(input.users);
  for (const user of input.full ? input.users : [...input.changedUsers]) {
    if (!known.has(user)) continue;
    // Each session's row is made once: the user's three views share them.
    const sessions = [...(await input.sessionsOfUser(user))].sort(compareNewestFirst);
    const rows = exportRows(sessions, ctx);
    for (const status of STATUSES) {
      const mine = status === 'all' ? rows : rows.filter((_, i) => inStatus(sessions[i] as Session, status));
      await write(viewFiles(user, status), mine.slice(0, EXPORT_ROWS_MAX));
    }
  }

  // Each changed day (every day on a full build).
  const withHistory = new Set(input.days);
  for (const day of input.full ? input.days : [...input.changedDays]) {
    if (withHistory.has(day)) await write({ xlsx: `exports/days/${dayFileName(day)}`, csv: null }, viewRows(await input.sessionsOfDay(day), ctx));
  }

  await room(1);
  if (failures.length > 0) throw failures[0];

  // Files of users and days that are gone: all not kept on a full build (whose digests
  // started empty); else those of changed users and days.
  const stale: string[] = [];
  if (input.full) {
    for (const dir of ['exports', 'exports/days']) {
      for (const name of await readdir(join(out, dir)).catch(ifMissing([] as string[]))) {
        const file = `${dir}/${name}`;
        if ((name.endsWith('.xlsx') || name.endsWith('.csv')) && !keep.has(file)) stale.push(file);
      }
    }
  } else {
    for (const user of input.changedUsers) {
      if (known.has(user)) continue;
      for (const status of STATUSES) stale.push(...Object.values(viewFiles(user, status)));
    }
    for (const day of input.changedDays) if (!withHistory.has(day)) stale.push(`exports/days/${dayFileName(day)}`);
  }
  for (const file of stale) {
    await unlink(join(out, file)).catch(ifMissing(undefined));
    digests.delete(file);
  }
  return { written, removed: stale.length };
}
