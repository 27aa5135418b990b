/**
 * `build`: renders the output folder from the history. Incremental: the CSV is read only
 * from where the last build stopped, and only pages whose model changed are rendered and
 * rewritten; a journaled rewrite of the CSV (delete, restore) updates only its days and
 * users. A full build happens on the first run, after a rewrite the journal cannot replay,
 * and when zone, language, title, aliases or the version change. Then the export files
 * (src/cli/exports.ts) and the JSON snapshots follow.
 */
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { concurrencySeries } from '../core/chart-series.js';
import { dayOf, formatDateTime } from '../core/format.js';
import { dayFileName } from '../core/export-names.js';
import { rewritesSince, type HistoryRewrite } from '../core/history-rewrite.js';
import { LABELS } from '../core/i18n.js';
import { setBounded } from '../core/memo.js';
import { untrack, type CollectorState } from '../core/reconcile.js';
import type { Session } from '../core/session.js';
import type { Settings } from '../core/settings.js';
import { userSlug } from '../core/slug.js';
import { msFromIso, secondsBetween } from '../core/time.js';
import { loadAliases } from '../io/aliases.js';
import {
  CacheError,
  cachePaths,
  clearCache,
  emptyManifest,
  exportShard,
  loadDay,
  loadManifest,
  loadUserMonth,
  loadUserTotals,
  pageShard,
  saveDay,
  saveManifest,
  saveUserMonth,
  saveUserTotals,
  ShardedHashes,
  type Manifest,
  type Totals,
  type UserTotals,
} from '../io/build-cache.js';
import { ifMissing } from '../io/fs-errors.js';
import { historyPaths, readState } from '../io/history-store.js';
import { historyChunks } from '../io/history-tail.js';
import { publishedPages, publishFiles, removeFiles } from '../io/output.js';
import { siteAssets, siteFingerprint } from '../render/assets.js';
import { RECENT_SESSIONS, snapshotFiles } from '../render/snapshots.js';
import { renderPagesDirect } from '../render/direct.js';
import { aliasOf, type KnownUser, type ModelContext } from '../render/models.js';
import {
  archivePage,
  dashboardPage,
  dayPages,
  LIVE_ON_DASHBOARD,
  livePages,
  ROOT_ROWS,
  userMonthPages,
  userPage,
  usersPages,
  viewRootPages,
  type PageModel,
} from '../render/pages.js';
import { dayUrl, outputFile } from '../render/urls.js';
import type { SiteModel } from '../render/view-model.js';
import type { Command } from './command.js';
import type { Logger } from './context.js';
import { emptyExportsManifest, updateExports } from './exports.js';
import { withHistoryLock } from './lock.js';
import { progressBar } from './progress.js';
import { writeWholeHistoryInWorker } from './whole-history.js';
import { runWorker } from './worker.js';

/** Bump when the page models or the cache layout change: the next build is then a full one (template changes are seen by their hash). */
export const SITE_VERSION = '7';
const RECENT_KEEP_S = 25 * 3600;
/** Pages per Eleventy run: its memory grows with the batch (about 2.5 MB a page). */
const RENDER_BATCH = 100;
/** Sessions read from the CSV at a time (a full build streams it). */
const CHUNK_SESSIONS = 50_000;
/** Day and user-month lists kept in memory at most (each memo; all are on disk as well). */
const MEMO_MAX = 256;
/**
 * The user list's order. One collator (localeCompare with options builds one per call:
 * 40 ms for 400 users here), made only when a list must be sorted: creating it loads
 * ICU's collation data, 12–15 ms, and most runs find the users of the last one
 * (Manifest.userOrder).
 */
let userCollator: Intl.Collator | null = null;
function compareUsers(a: string, b: string): number {
  userCollator ??= new Intl.Collator('en', { sensitivity: 'base' });
  return userCollator.compare(a, b) || (a < b ? -1 : 1);
}

export interface BuildOutcome {
  full: boolean;
  pagesRendered: number;
  filesWritten: number;
  ms: number;
}

const monthOf = (day: string): string => day.slice(0, 7);
const byNewest = (a: string, b: string): number => (a < b ? 1 : a > b ? -1 : 0);

/** What a tracked session shows on history pages; a change means its pages need rebuilding. */
function trackedSignature(s: Session, timeZone: string): string {
  const ended = s.endedAt !== null;
  return JSON.stringify([dayOf(s.connectedAt, timeZone), s.user, s.endedAt, s.virtualAddress, s.virtualIpv6, ended ? [s.bytesReceived, s.bytesSent] : null]);
}

function hashOf(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('base64url').slice(0, 22);
}

export interface BuildOptions {
  /**
   * For a process that builds again and again (watch, demo): draw the chart in this thread,
   * so jsdom is loaded once and each drawing takes milliseconds. A one-shot run (cron)
   * draws it in a worker thread, whose heap (jsdom's, 100 MB or so) goes with it.
   */
  keepChartLoaded?: boolean;
}

/** Builds under the history lock held by the caller. A damaged cache is dropped and the build done in full. */
export async function buildLocked(settings: Settings, now: string, log: Logger, opts: BuildOptions = {}): Promise<BuildOutcome> {
  try {
    return await buildOnce(settings, now, log, false, opts);
  } catch (e) {
    if (!(e instanceof CacheError)) throw e;
    log.warn(`${e.message}; rebuilding the site in full`);
    return buildOnce(settings, now, log, true, opts);
  }
}

async function buildOnce(settings: Settings, now: string, log: Logger, forceFull: boolean, opts: BuildOptions): Promise<BuildOutcome> {
  const started = Date.now();
  /** Milliseconds per step, for --verbose: where a slow build spends its time. */
  const steps: string[] = [];
  let stepAt = performance.now();
  const step = (name: string): void => {
    const t = performance.now();
    steps.push(`${name} ${Math.round(t - stepAt)}`);
    stepAt = t;
  };
  const tz = settings.tz;
  const paths = historyPaths(settings.history);
  const cp = cachePaths(settings.history);
  const state = await readState(paths.state);
  // Histories copied from other hosts (extra --history flags): read, never written.
  const extras = await Promise.all(
    (settings.mergeHistories ?? []).map(async (path) => ({
      path,
      state: await readState(historyPaths(path).state),
      size: (await stat(path).catch(ifMissing(null)))?.size ?? 0,
    })),
  );
  const { aliases, problem } = await loadAliases(settings.aliases);
  if (problem) log.warn(problem);
  const t = LABELS[settings.lang];
  const ctx: ModelContext = { lang: settings.lang, timeZone: tz, t, aliases, now };
  const fingerprint = await siteFingerprint();
  const sourcesKey = extras.map((x) => resolve(x.path));
  const key = hashOf({ SITE_VERSION, fingerprint, tz, lang: settings.lang, title: settings.title, aliases, out: resolve(settings.out), sources: sourcesKey });

  const loaded = await loadManifest(cp);
  if (loaded.problem) log.warn(loaded.problem);
  const csvSize = (await stat(paths.history).catch(ifMissing(null)))?.size ?? 0;
  const previous = loaded.manifest;
  const outEmpty = (await stat(join(settings.out, 'index.html')).catch(ifMissing(null))) === null;
  // Rewrites of the CSV since the last build (delete, restore, retention) are applied to the
  // cache when the state lists them all; otherwise the build is a full one.
  interface Source {
    path: string;
    rewrites: HistoryRewrite[] | null;
    start: number;
    /** Bytes that may be read: a copy only as far as its state says was written. */
    limit: number;
    generation: number;
  }
  const sourceOf = (path: string, st: CollectorState, size: number, built: { csvBytes: number; generation: number } | undefined, copy: boolean): Source => {
    const rewrites = built === undefined ? null : rewritesSince(st, built);
    const limit = copy && st.historyBytes > 0 ? Math.min(size, st.historyBytes) : size;
    return { path, rewrites, start: rewrites?.at(-1)?.bytesAfter ?? built?.csvBytes ?? 0, limit, generation: st.historyGeneration };
  };
  const sources: Source[] = [
    sourceOf(settings.history, state, csvSize, previous ?? undefined, false),
    ...extras.map((x) => sourceOf(x.path, x.state, x.size, previous?.sources?.[resolve(x.path)], true)),
  ];
  const full =
    forceFull || outEmpty || previous === null || previous.key !== key || sources.some((src) => src.rewrites === null || src.start > src.limit);
  const m: Manifest = full ? emptyManifest(key, state.historyGeneration) : previous;
  if (full) await clearCache(cp);
  const oldDays = new Set(Object.keys(m.days));
  step('start');

  // 1. New ended sessions into the day files and the user-month files, a chunk at a time:
  // a full build of a million sessions must not hold them all.
  const dayMemo = new Map<string, Session[]>();
  const userMonthMemo = new Map<string, Session[]>();
  /** Memos only save re-reading files that are on disk already: bounded, dropped when full. */
  const remember = (memo: Map<string, Session[]>, k: string, list: Session[]): void => {
    setBounded(memo, k, list, MEMO_MAX);
  };
  const getDay = async (day: string): Promise<Session[]> => {
    let list = dayMemo.get(day);
    if (!list) {
      list = await loadDay(cp, day);
      remember(dayMemo, day, list);
    }
    return list;
  };
  const userMonthKey = (user: string, month: string): string => `${month}\u0000${user}`;
  const getUserMonth = async (user: string, month: string): Promise<Session[]> => {
    const k = userMonthKey(user, month);
    let list = userMonthMemo.get(k);
    if (!list) {
      list = await loadUserMonth(cp, userSlug(user), month);
      remember(userMonthMemo, k, list);
    }
    return list;
  };
  const dirtyDays = new Set<string>();
  const dirtyUserMonths = new Map<string, Set<string>>();
  const mark = (day: string, user: string): void => {
    dirtyDays.add(day);
    const months = dirtyUserMonths.get(user) ?? new Set<string>();
    months.add(monthOf(day));
    dirtyUserMonths.set(user, months);
  };
  /** User-months (userMonthKey) whose cache file this build rewrote: their totals are due. */
  const savedUserMonths = new Set<string>();
  const merge = (old: Session[], add: Session[]): Session[] => {
    const byId = new Map(old.map((s) => [s.id, s]));
    for (const s of add) byId.set(s.id, s); // a re-read tail after a crash replaces, never doubles
    return [...byId.values()];
  };
  /** One session per user seen in new history (for its alias), and the chart's recent intervals. */
  const sample = new Map<string, Session>();
  const nowMs = msFromIso(now);
  const recentById = new Map<string, [string, string, string]>(m.recent.map((r) => [r[0], r]));
  for (const r of full ? [] : sources.flatMap((src) => src.rewrites ?? [])) {
    const gone = new Set((r.removed ?? []).map((x) => x.id));
    const byDay = new Map<string, Session[]>();
    const byUserMonth = new Map<string, { user: string; month: string; sessions: Session[] }>();
    for (const x of [...(r.removed ?? []), ...(r.added ?? [])]) {
      const day = dayOf(x.connectedAt, tz);
      mark(day, x.user);
      byDay.set(day, byDay.get(day) ?? []);
      const k = userMonthKey(x.user, monthOf(day));
      byUserMonth.set(k, byUserMonth.get(k) ?? { user: x.user, month: monthOf(day), sessions: [] });
    }
    for (const s of r.added ?? []) {
      const day = dayOf(s.connectedAt, tz);
      byDay.get(day)?.push(s);
      byUserMonth.get(userMonthKey(s.user, monthOf(day)))?.sessions.push(s);
      sample.set(s.user, s);
      if (s.endedAt !== null && nowMs - msFromIso(s.endedAt) <= RECENT_KEEP_S * 1000) recentById.set(s.id, [s.id, s.connectedAt, s.endedAt]);
    }
    for (const id of gone) recentById.delete(id);
    for (const [day, added] of byDay) {
      const list = merge((await getDay(day)).filter((s) => !gone.has(s.id)), added);
      remember(dayMemo, day, list);
      await saveDay(cp, day, list);
    }
    for (const [k, { user, month, sessions }] of byUserMonth) {
      const list = merge((await getUserMonth(user, month)).filter((s) => !gone.has(s.id)), sessions);
      remember(userMonthMemo, k, list);
      await saveUserMonth(cp, userSlug(user), month, list);
      savedUserMonths.add(k);
    }
  }
  let newEndedCount = 0;
  const read: Record<string, { csvBytes: number; generation: number }> = {};
  for (const src of sources) {
    // Bad rows are set aside beside this host's history; a copy from another host is only read.
    const quarantine = src.path === settings.history ? 'write' : 'off';
    const history = await historyChunks(src.path, full ? 0 : src.start, CHUNK_SESSIONS, src.limit, { warn: (m) => log.warn(m), quarantine });
    read[resolve(src.path)] = { csvBytes: history.size, generation: src.generation };
    for await (const chunk of history.chunks) {
      newEndedCount += chunk.length;
      const newByDay = new Map<string, Session[]>();
      const newByUserMonth = new Map<string, { user: string; month: string; sessions: Session[] }>();
      for (const s of chunk) {
        const day = dayOf(s.connectedAt, tz);
        const list = newByDay.get(day) ?? [];
        list.push(s);
        newByDay.set(day, list);
        mark(day, s.user);
        const month = monthOf(day);
        const k = userMonthKey(s.user, month);
        const entry = newByUserMonth.get(k) ?? { user: s.user, month, sessions: [] };
        entry.sessions.push(s);
        newByUserMonth.set(k, entry);
        sample.set(s.user, s);
        if (nowMs - msFromIso(s.endedAt as string) <= RECENT_KEEP_S * 1000) recentById.set(s.id, [s.id, s.connectedAt, s.endedAt as string]);
      }
      for (const [day, list] of newByDay) {
        const merged = merge(await getDay(day), list);
        remember(dayMemo, day, merged);
        await saveDay(cp, day, merged);
      }
      // The same sessions by user and month, so a user's pages never need a whole month of everybody.
      for (const [k, { user, month, sessions }] of newByUserMonth) {
        const merged = merge(await getUserMonth(user, month), sessions);
        remember(userMonthMemo, k, merged);
        await saveUserMonth(cp, userSlug(user), month, merged);
        savedUserMonths.add(k);
      }
    }
  }
  const size = read[resolve(settings.history)]?.csvBytes ?? 0;
  m.sources = Object.fromEntries(extras.map((x) => [resolve(x.path), read[resolve(x.path)] as { csvBytes: number; generation: number }]));

  step('history');
  // 2. Open and held sessions: which pages did they change since the last build?
  // Open and held sessions of every host (a session listed twice is one).
  const tracked = [...new Map([state, ...extras.map((x) => x.state)].flatMap((st) => st.tracked.map(untrack)).map((s) => [s.id, s])).values()];
  const live = tracked.filter((s) => s.endedAt === null);
  const trackedSigs: Record<string, string> = {};
  for (const s of tracked) {
    const sig = trackedSignature(s, tz);
    trackedSigs[s.id] = sig;
    if (m.tracked[s.id] !== sig) mark(dayOf(s.connectedAt, tz), s.user);
  }
  const previousTrackedUsers = new Set<string>();
  for (const [id, sig] of Object.entries(m.tracked)) {
    const [day, user] = JSON.parse(sig) as [string, string];
    previousTrackedUsers.add(user);
    if (trackedSigs[id] === undefined) mark(day, user);
  }
  m.tracked = trackedSigs;
  /** Each tracked session's day, worked out once: the lists below ask for it many times. */
  const trackedDay = new Map(tracked.map((s) => [s, dayOf(s.connectedAt, tz)]));
  const dayOfTracked = (s: Session): string => trackedDay.get(s) as string;
  const trackedOnDay = (day: string): Session[] => tracked.filter((s) => dayOfTracked(s) === day);
  const sessionsOfDay = async (day: string): Promise<Session[]> => [...(await getDay(day)), ...trackedOnDay(day)];

  // 3. Day summaries.
  for (const day of dirtyDays) {
    const sessions = await sessionsOfDay(day);
    if (sessions.length === 0) delete m.days[day];
    else m.days[day] = { sessions: sessions.length, users: new Set(sessions.map((s) => s.user)).size };
  }
  const days = Object.keys(m.days).sort(byNewest);
  // A new day changes its neighbours' newer/older links.
  days.forEach((day, i) => {
    if (oldDays.has(day)) return;
    for (const n of [days[i - 1], days[i + 1]]) if (n !== undefined) dirtyDays.add(n);
  });

  // 4. Users: per-month totals of ended sessions, recomputed from the user-month files this
  // build rewrote (a month dirty only for its open sessions keeps its totals).
  const previousUsers = new Set(Object.keys(m.users));
  const totalsByUser = new Map<string, UserTotals>();
  for (const [user, months] of dirtyUserMonths) {
    const slug = userSlug(user);
    const totals = await loadUserTotals(cp, slug);
    let recomputed = false;
    for (const month of months) {
      if (totals[month] !== undefined && !savedUserMonths.has(userMonthKey(user, month))) continue;
      recomputed = true;
      const mine = await getUserMonth(user, month);
      if (mine.length === 0) {
        delete totals[month];
        continue;
      }
      const perDay: Record<string, Totals> = {};
      let first = mine[0]?.connectedAt as string;
      let last = mine[0]?.lastSeenAt as string;
      for (const s of mine) {
        const d = dayOf(s.connectedAt, tz);
        const tt = (perDay[d] ??= [0, 0, 0, 0]);
        tt[0] += 1;
        tt[1] += s.durationS ?? secondsBetween(s.connectedAt, s.endedAt ?? s.lastSeenAt);
        tt[2] += s.bytesReceived ?? 0;
        tt[3] += s.bytesSent ?? 0;
        if (s.connectedAt < first) first = s.connectedAt;
        const end = s.endedAt ?? s.lastSeenAt;
        if (end > last) last = end;
      }
      totals[month] = { days: perDay, first, last };
    }
    if (recomputed) await saveUserTotals(cp, slug, totals);
    totalsByUser.set(user, totals);
    const months2 = Object.keys(totals).sort(byNewest);
    if (months2.length === 0) {
      delete m.users[user];
      continue;
    }
    const entries = months2.map((mo) => totals[mo] as UserTotals[string]);
    m.users[user] = {
      first: entries.reduce((a, e) => (e.first < a ? e.first : a), entries[0]?.first as string),
      last: entries.reduce((a, e) => (e.last > a ? e.last : a), entries[0]?.last as string),
      sessions: entries.reduce((a, e) => a + Object.values(e.days).reduce((b, d) => b + d[0], 0), 0),
      months: months2,
    };
  }

  // Known users (filter dropdown): with history or connected now.
  const userNames = new Set([...Object.keys(m.users), ...tracked.map((s) => s.user)]);
  for (const s of tracked) if (!sample.has(s.user)) sample.set(s.user, s);
  const knownUser = (user: string): KnownUser => {
    const s = sample.get(user);
    return { user, alias: aliasOf(s ?? { user, commonName: user, username: null }, aliases) };
  };
  const previousOrder = m.userOrder;
  const sameUsers = previousOrder !== undefined && previousOrder.length === userNames.size && previousOrder.every((u) => userNames.has(u));
  m.userOrder = sameUsers ? previousOrder : [...userNames].sort(compareUsers);
  const users: KnownUser[] = m.userOrder.map(knownUser);
  const usersChanged =
    full ||
    [...userNames].some((u) => !previousUsers.has(u) && !previousTrackedUsers.has(u)) ||
    [...previousUsers].some((u) => !userNames.has(u));
  /** Users whose sessions changed (before the user-list rule below adds the rest). */
  const changedUsers = new Set(dirtyUserMonths.keys());
  if (usersChanged) {
    // Every filter dropdown lists the users: rebuild every user's root pages.
    for (const u of userNames) if (!dirtyUserMonths.has(u)) dirtyUserMonths.set(u, new Set());
  }

  step('summaries');
  // 5. Chart intervals: open and held sessions plus what ended within the last 25 hours.
  m.recent = [...recentById.values()].filter(([, , end]) => nowMs - msFromIso(end) <= RECENT_KEEP_S * 1000);
  const intervals = [...m.recent.map(([, start, end]) => ({ start, end })), ...tracked.map((s) => ({ start: s.connectedAt, end: s.endedAt }))];
  const series = concurrencySeries(intervals, { now });
  const chartOptions = {
    timeZone: tz,
    lang: settings.lang,
    now,
    labels: { title: t.chartTitle, y: t.chartY, x: t.chartX, desc: t.chartDesc },
    current: live.length,
  };
  // The chart is drawn again when a 5-minute bucket completes (or a finished bucket's count
  // changes, or the settings do); in between the last drawing is reused and jsdom (about 1 s
  // to load here) is not even loaded, so the newest bucket lags by at most 5 minutes.
  const { current: _current, now: _now, ...stable } = chartOptions;
  const chartKey = hashOf([series.slice(0, -1), series[series.length - 1]?.bucketStartMs, stable]);
  let chartSvg = m.chart?.key === chartKey ? m.chart.svg : null;
  if (chartSvg === null) {
    // In a worker (worker.ts) jsdom's heap goes with it, before the rest of the build.
    chartSvg = opts.keepChartLoaded === true
      ? await (await import('../render/chart.js')).renderChartSvg(series, chartOptions)
      : await runWorker<string>('chart', [series, chartOptions]);
    m.chart = { key: chartKey, svg: chartSvg };
  }

  step('chart');
  // 6. Page models, rendered in batches as they come (a full build must not hold them all).
  const site: SiteModel = {
    title: settings.title,
    lang: settings.lang,
    generated: `${t.generated}: ${formatDateTime(now, tz)} (${tz})`,
    assetVersion: fingerprint,
    t: t as unknown as Record<string, string>,
  };
  // Hashes of the models pages were last rendered from (a full build starts with none: the cache was cleared).
  const hashes = new ShardedHashes(cp.pages, pageShard);
  const produced = new Set<string>();
  const queue: PageModel[] = [];
  let pagesRendered = 0;
  let filesWritten = 0;
  const flush = async (): Promise<void> => {
    if (queue.length === 0) return;
    const batch = queue.splice(0);
    pagesRendered += batch.length;
    // Full builds go through Eleventy; the few pages of an incremental build through the
    // same templates with nunjucks directly, as loading Eleventy alone costs about 0.5 s
    // (src/render/direct.ts; a test holds both to the same bytes).
    const html = full ? await (await import('../render/eleventy.js')).renderPages(site, batch) : await renderPagesDirect(site, batch);
    filesWritten += await publishFiles(
      settings.out,
      [...html].map(([url, content]) => ({ path: outputFile(url), content })),
    );
  };
  /** Renders a page unless the same model was rendered before. */
  const emit = async (...list: PageModel[]): Promise<void> => {
    for (const model of list) {
      produced.add(model.url);
      // The dashboard and live pages carry the "as of" time, so they are rendered every run:
      // hashing their models (the largest) would only cost time. Their entry marks them as built.
      const always = model.kind === 'dashboard' || model.kind === 'live';
      const h = always ? 'every run' : hashOf(model);
      const same = !full && !always && hashes.get(model.url) === h;
      hashes.set(model.url, h);
      if (!same) queue.push(model);
    }
    if (queue.length >= RENDER_BATCH) await flush();
  };
  /** Sessions of the newest days until `rows` matching ones are collected. */
  const newest = async (rows: number, keep: (s: Session) => boolean): Promise<Session[]> => {
    const out: Session[] = [];
    for (const day of days) {
      out.push(...(await sessionsOfDay(day)).filter(keep));
      if (out.length >= rows) break;
    }
    return out;
  };
  const recent = await newest(Math.max(ROOT_ROWS, RECENT_SESSIONS), () => true);
  await emit(dashboardPage({ live, chartSvg, recent, users, days }, ctx));
  if (live.length > LIVE_ON_DASHBOARD) await emit(...livePages(live, ctx));
  await emit(
    archivePage(
      days.map((day) => ({ day, ...(m.days[day] as { sessions: number; users: number }) })),
      ctx,
    ),
  );
  await emit(...usersPages(users, ctx));
  await emit(...viewRootPages({ user: null, status: 'active', sessions: live, users, periods: [] }, ctx));
  await emit(...viewRootPages({ user: null, status: 'ended', sessions: await newest(ROOT_ROWS, (s) => s.endedAt !== null), users, periods: days }, ctx));
  // A full build of a large history takes minutes: show where it is (on a terminal only).
  const show = full ? progressBar('build', dirtyDays.size + dirtyUserMonths.size, 1000) : () => undefined;
  let done = 0;
  for (const day of dirtyDays) {
    show(++done);
    if (!m.days[day]) continue;
    const i = days.indexOf(day);
    const sessions = await sessionsOfDay(day);
    const neighbours = { newer: days[i - 1] ?? null, older: days[i + 1] ?? null };
    await emit(...dayPages(day, sessions, neighbours, ctx));
  }
  /** Each rebuilt user's pages: its roots always, its months when listed (null: the user is gone). */
  const userScopes: { prefix: string; months: Set<string> | null }[] = [];
  for (const [user, dirtyMonths] of dirtyUserMonths) {
    show(++done);
    const summary = m.users[user];
    const own = tracked.filter((s) => s.user === user);
    const months = [...new Set([...(summary?.months ?? []), ...own.map((s) => monthOf(dayOfTracked(s)))])].sort(byNewest);
    const scope = { prefix: `/u/${userSlug(user)}/`, months: months.length === 0 ? null : new Set<string>() };
    userScopes.push(scope);
    if (months.length === 0) continue; // every session deleted: all the user's pages go
    const ku = knownUser(user);
    const monthSessions = async (month: string): Promise<Session[]> => [
      ...(await getUserMonth(user, month)),
      ...own.filter((s) => monthOf(dayOfTracked(s)) === month),
    ];
    const newestOwn = async (keep: (s: Session) => boolean): Promise<Session[]> => {
      const out: Session[] = [];
      for (const month of months) {
        out.push(...(await monthSessions(month)).filter(keep));
        if (out.length >= ROOT_ROWS) break;
      }
      return out;
    };
    const totals = totalsByUser.get(user) ?? (await loadUserTotals(cp, userSlug(user)));
    const perDay = Object.values(totals)
      .flatMap((e) => Object.entries(e.days))
      .sort((a, b) => byNewest(a[0], b[0]))
      .map(([day, [n, seconds, bytesIn, bytesOut]]) => ({ day, sessions: n, seconds, bytesIn, bytesOut }));
    const lastTracked = own.reduce<string | null>((a, s) => (a === null || s.lastSeenAt > a ? s.lastSeenAt : a), null);
    const firstTracked = own.reduce<string | null>((a, s) => (a === null || s.connectedAt < a ? s.connectedAt : a), null);
    const pick = (a: string | null | undefined, b: string | null, f: (x: string, y: string) => boolean): string | null =>
      a == null ? b : b === null ? a : f(a, b) ? a : b;
    await emit(
      userPage(
        {
          user: ku,
          users,
          sessions: await newestOwn(() => true),
          months,
          totals: perDay,
          first: pick(summary?.first, firstTracked, (x, y) => x < y),
          last: pick(summary?.last, lastTracked, (x, y) => x > y),
          connected: own.some((s) => s.endedAt === null),
          sessionCount: (summary?.sessions ?? 0) + own.length,
        },
        ctx,
      ),
    );
    await emit(...viewRootPages({ user: ku, status: 'active', sessions: own.filter((s) => s.endedAt === null), users, periods: [] }, ctx));
    await emit(...viewRootPages({ user: ku, status: 'ended', sessions: await newestOwn((s) => s.endedAt !== null), users, periods: months }, ctx));
    const monthsToRender = new Set(dirtyMonths);
    months.forEach((mo, i) => {
      if (!dirtyMonths.has(mo)) return;
      // A month new to this user changes its neighbours' links.
      if (summary && !summary.months.includes(mo)) for (const n of [months[i - 1], months[i + 1]]) if (n) monthsToRender.add(n);
    });
    for (const month of monthsToRender) {
      scope.months?.add(month);
      const i = months.indexOf(month);
      if (i < 0) continue;
      const sessions = await monthSessions(month);
      const neighbours = { newer: months[i - 1] ?? null, older: months[i + 1] ?? null };
      await emit(...userMonthPages(ku, month, sessions, neighbours, ctx));
    }
  }

  await flush();
  step('pages');

  // 7. Export files of the views and days whose sessions changed.
  m.exports ??= emptyExportsManifest();
  const digests = new ShardedHashes(cp.exports, exportShard);
  const exported = await updateExports(
    {
      out: settings.out,
      ctx: { lang: settings.lang, timeZone: tz, aliasOf: (s) => aliasOf(s, aliases), now },
      full,
      tracked,
      users: [...userNames],
      changedUsers,
      changedDays: dirtyDays,
      days,
      sessionsOfDay,
      // The day files are saved by now (step 1): the worker reads them from the cache.
      writeWholeHistory: (views) =>
        writeWholeHistoryInWorker(
          { views, out: settings.out, cache: cp, lang: settings.lang, timeZone: tz, aliases, now, days, tracked },
          Math.max(0, ...days.map((day) => m.days[day]?.sessions ?? 0)) + tracked.length,
        ),
      sessionsOfUser: async (user) => {
        const own = tracked.filter((s) => s.user === user);
        const list = [...own];
        for (const month of m.users[user]?.months ?? []) list.push(...(await getUserMonth(user, month)));
        return list;
      },
    },
    m.exports,
    digests,
  );
  filesWritten += exported.written;
  step('exports');
  // 8. JSON snapshots of what the pages show, for other tools.
  filesWritten += await publishFiles(
    settings.out,
    snapshotFiles({
      now,
      timeZone: tz,
      aliases,
      live,
      recent,
      series,
      days: days.map((day) => ({ day, ...(m.days[day] as { sessions: number; users: number }), xlsx: `exports/days/${dayFileName(day)}` })),
    }),
  );
  step('snapshots');
  log.detail(
    `build: ${newEndedCount} new ended, ${dirtyDays.size} dirty day(s), ${dirtyUserMonths.size} dirty user(s)` +
      `${usersChanged ? ' (user list changed)' : ''}, ${produced.size} page model(s)`,
  );
  // Pages not produced again where they would have been: on a full build every page (all
  // that the output folder holds); else live and users-index parts beyond the current
  // count, the parts of a rebuilt day (or the whole day, when a deletion emptied it), a
  // rebuilt user's roots and months: all in the hash shards of the root, of the rebuilt
  // days' months and of the rebuilt users.
  const known = full
    ? await publishedPages(settings.out)
    : hashes.keysOf(['root', ...[...dirtyDays].map((day) => pageShard(dayUrl(day))), ...userScopes.map((u) => pageShard(u.prefix))]);
  const rebuilt = (url: string): boolean => {
    if (full || url.startsWith('/live/') || url.startsWith('/users/')) return true;
    if (url.startsWith('/d/') && dirtyDays.has(url.slice(3, 13))) return true;
    for (const { prefix, months } of userScopes) {
      if (!url.startsWith(prefix)) continue;
      const rest = url.slice(prefix.length);
      return months === null || !rest.startsWith('m/') || months.has(rest.slice(2, 9));
    }
    return false;
  };
  const gone = known.filter((url) => rebuilt(url) && !produced.has(url));
  for (const url of gone) hashes.delete(url);
  await removeFiles(settings.out, gone.map(outputFile));
  filesWritten += await publishFiles(settings.out, (await siteAssets()).map((a) => ({ path: a.path, content: a.content })));

  await hashes.save();
  await digests.save();
  m.csvBytes = size;
  m.generation = state.historyGeneration;
  m.key = key;
  await saveManifest(cp, m);
  step('finish');
  log.detail(`build steps (ms): ${steps.join(', ')}`);
  return { full, pagesRendered, filesWritten, ms: Date.now() - started };
}

export function describeBuild(o: BuildOutcome): string {
  return `build: ${o.full ? 'full' : 'incremental'}, ${o.pagesRendered} page(s) rendered, ${o.filesWritten} file(s) written, ${o.ms} ms`;
}

export async function build(settings: Settings, now: string, log: Logger): Promise<BuildOutcome | null> {
  return withHistoryLock(settings, log, 'build', () => buildLocked(settings, now, log));
}

export const buildCommand: Command = {
  name: 'build',
  help: `Usage: openvpn-status-web build [--history FILE] [--out DIR] [--aliases FILE] [--tz ZONE] [--lang de|en]

Renders the dashboard, the history views (every user × all/active/ended, by day and by
month), the user pages and the archive into --out. Incremental: only new history is read
and only changed pages are rewritten, each atomically (nginx never sees a half-written
file). Its cache lives in HISTORY.cache/ and may be deleted at any time.`,
  options: {},
  async run(ctx) {
    const outcome = await build(ctx.settings, ctx.now, ctx.log);
    if (outcome) ctx.log.info(describeBuild(outcome));
    return 0;
  },
};

