/**
 * Stage 6: page models of what changed, rendered in batches as they come (a full build must
 * not hold them all) and published. A page whose model hashes as last time is not rendered.
 */
import { byNewest, monthOf, monthsToRender, neighbours, type UserScope } from '../../core/build-plan.js';
import { own } from '../../core/dict.js';
import { formatDateTime } from '../../core/format.js';
import type { Session } from '../../core/session.js';
import { userCacheName } from '../../core/slug.js';
import { fromStored, totalsPerDay, userCountries } from '../../core/totals.js';
import { loadUserTotals, pageShard, ShardedHashes } from '../../io/build-cache.js';
import { publishFiles } from '../../io/output.js';
import { renderPages } from '../../render/index.js';
import { ledgerPage } from '../../render/ledger-page.js';
import { slugOf } from '../../render/models.js';
import {
  archivePage,
  dashboardMorePages,
  dashboardPage,
  dayPages,
  LIVE_ON_DASHBOARD,
  livePages,
  lookupPage,
  anomaliesPage,
  ROOT_ROWS,
  trashPage,
  userMonthPages,
  userMorePages,
  userPage,
  usersPages,
  viewRootPages,
  type PageModel,
} from '../../render/pages.js';
import { RECENT_SESSIONS } from '../../render/snapshots.js';
import { outputFile } from '../../render/urls.js';
import type { SiteModel } from '../../render/view-model.js';
import { countryDataLine } from '../countries.js';
import { anomalyPageInputs, type FoundAnomalies } from './anomalies.js';
import { ledgerPageInput } from './ledger.js';
import { progressBar } from '../progress.js';
import { getUserMonth, hashOf, type BuildRun } from './run.js';
import { sessionsOfDay, type Tracked, type Users } from './summaries.js';

/**
 * Pages per render call: Eleventy's memory grows with the batch (about 2.5 MB a page), and
 * a full build runs in a capped heap (full-build.ts); a call costs a few ms more.
 */
export const RENDER_BATCH = 20;
/** What a page held in a render call may take at most, for the full build's heap cap. */
export const RENDER_PAGE_MB = 2.5;

export interface Published {
  /** Hashes of the models pages were last rendered from (a full build starts with none: the cache was cleared). */
  hashes: ShardedHashes;
  /** Every page url this build produced (rendered or unchanged). */
  produced: Set<string>;
  userScopes: UserScope[];
  /** The newest sessions (the dashboard's and the snapshots' recent list). */
  recent: Session[];
  pagesRendered: number;
  filesWritten: number;
}

/** Collects page models; renders and publishes them a batch at a time unless unchanged. */
class PageEmitter {
  private readonly queue: PageModel[] = [];
  constructor(
    private readonly run: BuildRun,
    private readonly site: SiteModel,
    readonly out: Published,
  ) {}

  async emit(...list: PageModel[]): Promise<void> {
    for (const model of list) {
      this.out.produced.add(model.url);
      // The dashboard and live pages carry the "as of" time, so they are rendered every run:
      // hashing their models (the largest) would only cost time. Their entry marks them as built.
      const always = model.kind === 'dashboard' || model.kind === 'live';
      const h = always ? 'every run' : hashOf(model);
      const same = !this.run.full && !always && this.out.hashes.get(model.url) === h;
      this.out.hashes.set(model.url, h);
      if (!same) this.queue.push(model);
    }
    if (this.queue.length >= RENDER_BATCH) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.queue.length === 0) return;
    const batch = this.queue.splice(0);
    this.out.pagesRendered += batch.length;
    const html = await renderPages(this.site, batch, { full: this.run.full });
    this.out.filesWritten += await publishFiles(
      this.run.settings.out,
      [...html].map(([url, content]) => ({ path: outputFile(url), content })),
    );
  }
}

export async function publishPages(
  run: BuildRun,
  tracked: Tracked,
  days: string[],
  people: Users,
  chartSvg: string,
  anomalies: FoundAnomalies,
): Promise<Published> {
  const { m, ctx, settings, now, tz, t } = run;
  const site: SiteModel = {
    title: settings.title,
    lang: settings.lang,
    generated: `${t.generated}: ${formatDateTime(now, tz)} (${tz})`,
    assetVersion: run.fingerprint,
    countryData: countryDataLine(t),
    t: t as unknown as Record<string, string>,
  };
  const published: Published = {
    hashes: new ShardedHashes(run.cp.pages, pageShard),
    produced: new Set(),
    userScopes: [],
    recent: [],
    pagesRendered: 0,
    filesWritten: 0,
  };
  const pages = new PageEmitter(run, site, published);
  const { live } = tracked;
  const { users } = people;
  /** Sessions of the newest days until `rows` matching ones are collected. */
  const newest = async (rows: number, keep: (s: Session) => boolean): Promise<Session[]> => {
    const out: Session[] = [];
    for (const day of days) {
      out.push(...(await sessionsOfDay(run, tracked, day)).filter(keep));
      if (out.length >= rows) break;
    }
    return out;
  };
  const recent = await newest(Math.max(ROOT_ROWS, RECENT_SESSIONS), () => true);
  published.recent = recent;
  const dashboard = { live, chartSvg, recent, users, days, statusDown: statusDown(run) };
  await pages.emit(dashboardPage(dashboard, ctx), ...dashboardMorePages(dashboard, ctx));
  if (live.length > LIVE_ON_DASHBOARD) await pages.emit(...livePages(live, ctx));
  await pages.emit(
    archivePage(
      days.map((day) => ({ day, ...(m.days[day] as { sessions: number; users: number }) })),
      ctx,
    ),
  );
  const found = anomalyPageInputs(anomalies, people.knownUser, run.t);
  const anomalyPage = anomaliesPage(found.items, new Set(days), ctx);
  await pages.emit(...usersPages(users, ctx, found.dormant), trashPage(ctx), lookupPage(ctx), anomalyPage);
  // Every build: an edit's change-log entry and a verify's outcome show on the next one.
  await pages.emit(ledgerPage(await ledgerPageInput(settings, run.state.chain), ctx));
  await pages.emit(...viewRootPages({ user: null, status: 'active', sessions: live, users, periods: [] }, ctx));
  await pages.emit(
    ...viewRootPages(
      {
        user: null,
        status: 'ended',
        sessions: await newest(ROOT_ROWS, (s) => s.endedAt !== null),
        users,
        periods: days,
      },
      ctx,
    ),
  );
  // A full build of a large history takes minutes: show where it is (on a terminal only).
  const show = run.full ? progressBar('build', run.dirty.days.size + run.dirty.userMonths.size, 1000) : () => undefined;
  let done = 0;
  for (const day of run.dirty.days) {
    show(++done);
    if (!m.days[day]) continue;
    await pages.emit(
      ...dayPages(day, await sessionsOfDay(run, tracked, day), neighbours(days, days.indexOf(day)), ctx, users),
    );
  }
  for (const [user, dirtyMonths] of run.dirty.userMonths) {
    show(++done);
    await publishUserPages(run, pages, tracked, people, user, dirtyMonths);
  }
  await pages.flush();
  return published;
}

/** This host's status files that are missing or stale, as the last collection found them. */
function statusDown(run: BuildRun) {
  const several = run.settings.status.length > 1;
  return run.settings.status.flatMap(({ instance }) => {
    const down = own(run.state.instances, instance)?.down;
    return down === undefined ? [] : [{ instance: several ? instance : null, ...down }];
  });
}

/** A rebuilt user's pages: its page, its view roots, and its dirty months (with the neighbours of new ones). */
async function publishUserPages(
  run: BuildRun,
  pages: PageEmitter,
  tracked: Tracked,
  people: Users,
  user: string,
  dirtyMonths: Set<string>,
): Promise<void> {
  const { ctx } = run;
  const { users } = people;
  const summary = run.m.users[user];
  const own = tracked.sessions.filter((s) => s.user === user);
  const months = [...new Set([...(summary?.months ?? []), ...own.map((s) => monthOf(tracked.dayOf(s)))])].sort(
    byNewest,
  );
  const scope: UserScope = {
    prefix: `/u/${slugOf(user, ctx)}/`,
    months: months.length === 0 ? null : new Set<string>(),
  };
  pages.out.userScopes.push(scope);
  if (months.length === 0) return; // every session deleted: all the user's pages go
  const ku = people.knownUser(user);
  const monthSessions = async (month: string): Promise<Session[]> => [
    ...(await getUserMonth(run, user, month)),
    ...own.filter((s) => monthOf(tracked.dayOf(s)) === month),
  ];
  const newestOwn = async (keep: (s: Session) => boolean): Promise<Session[]> => {
    const out: Session[] = [];
    for (const month of months) {
      out.push(...(await monthSessions(month)).filter(keep));
      if (out.length >= ROOT_ROWS) break;
    }
    return out;
  };
  const totals = fromStored(await loadUserTotals(run.cp, userCacheName(user)));
  const lastTracked = own.reduce<string | null>((a, s) => (a === null || s.lastSeenAt > a ? s.lastSeenAt : a), null);
  const firstTracked = own.reduce<string | null>((a, s) => (a === null || s.connectedAt < a ? s.connectedAt : a), null);
  const pick = (a: string | null | undefined, b: string | null, f: (x: string, y: string) => boolean): string | null =>
    a == null ? b : b === null ? a : f(a, b) ? a : b;
  const page = {
    user: ku,
    users,
    sessions: await newestOwn(() => true),
    months,
    totals: totalsPerDay(totals),
    first: pick(summary?.first, firstTracked, (x, y) => x < y),
    last: pick(summary?.last, lastTracked, (x, y) => x > y),
    connected: own.some((s) => s.endedAt === null),
    sessionCount: (summary?.sessions ?? 0) + own.length,
    countries: userCountries(totals, own),
  };
  await pages.emit(userPage(page, ctx), ...userMorePages(page, ctx));
  await pages.emit(
    ...viewRootPages(
      { user: ku, status: 'active', sessions: own.filter((s) => s.endedAt === null), users, periods: [] },
      ctx,
    ),
  );
  await pages.emit(
    ...viewRootPages(
      { user: ku, status: 'ended', sessions: await newestOwn((s) => s.endedAt !== null), users, periods: months },
      ctx,
    ),
  );
  for (const month of monthsToRender(months, dirtyMonths, summary?.months, run.oldMonths.get(user))) {
    scope.months?.add(month);
    const i = months.indexOf(month);
    if (i < 0) continue;
    await pages.emit(...userMonthPages(ku, month, await monthSessions(month), neighbours(months, i), ctx));
  }
}
