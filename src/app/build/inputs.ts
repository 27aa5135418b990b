/**
 * The build's first stage: what it reads before anything else — the collector's state of
 * this host and of merged copies, the aliases, the manifest of the last build — and whether
 * this build is a full one or applies what changed since.
 */
import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { rewritesSince, type HistoryRewrite } from '../../core/history-rewrite.js';
import { LABELS, type Labels } from '../../core/i18n.js';
import type { CollectorState } from '../../core/reconcile.js';
import type { Settings } from '../../core/settings.js';
import { anomalyRules } from '../../core/anomalies.js';
import { loadAliases } from '../../io/aliases.js';
import {
  cachePaths,
  clearCache,
  emptyManifest,
  loadManifest,
  type CachePaths,
  type Manifest,
} from '../../io/build-cache.js';
import { ifMissing } from '../../io/fs-errors.js';
import { historyPaths, readState, type HistoryPaths } from '../../io/history-store.js';
import { geoDbInfo } from '../../io/geoip.js';
import { siteFingerprint } from '../../render/assets.js';
import type { ModelContext } from '../../render/models.js';
import type { Logger } from '../context.js';
import { hashOf } from './run.js';

/** Bump when the page models or the cache layout change: the next build is then a full one (template changes are seen by their hash). */
export const SITE_VERSION = '14';

/** A history CSV to read: this host's, or a copy from another host (read, never written). */
export interface Source {
  path: string;
  /** Rewrites (delete, restore, retention) since the last build; null: not all are known. */
  rewrites: HistoryRewrite[] | null;
  start: number;
  /** Bytes that may be read: a copy only as far as its state says was written. */
  limit: number;
  generation: number;
}

export interface BuildInputs {
  settings: Settings;
  now: string;
  tz: string;
  t: Labels;
  ctx: ModelContext;
  aliases: Record<string, string>;
  fingerprint: string;
  /** Hash of everything that changes every page; a change means a full build. */
  key: string;
  paths: HistoryPaths;
  cp: CachePaths;
  state: CollectorState;
  extras: { path: string; state: CollectorState; size: number }[];
  sources: Source[];
  full: boolean;
  /** The last build's manifest, or a fresh one for a full build (the cache is then cleared). */
  manifest: Manifest;
}

function sourceOf(
  path: string,
  st: CollectorState,
  size: number,
  built: { csvBytes: number; generation: number } | undefined,
  copy: boolean,
): Source {
  const rewrites = built === undefined ? null : rewritesSince(st, built);
  const limit = copy && st.historyBytes > 0 ? Math.min(size, st.historyBytes) : size;
  return {
    path,
    rewrites,
    start: rewrites?.at(-1)?.bytesAfter ?? built?.csvBytes ?? 0,
    limit,
    generation: st.historyGeneration,
  };
}

const sizeOf = async (path: string): Promise<number> => (await stat(path).catch(ifMissing(null)))?.size ?? 0;

export async function loadBuildInputs(
  settings: Settings,
  now: string,
  log: Logger,
  forceFull: boolean,
): Promise<BuildInputs> {
  const tz = settings.tz;
  const paths = historyPaths(settings.history);
  const cp = cachePaths(settings.history);
  const state = await readState(paths.state);
  // Histories copied from other hosts (extra --history flags): read, never written.
  const extras = await Promise.all(
    (settings.mergeHistories ?? []).map(async (path) => ({
      path,
      state: await readState(historyPaths(path).state),
      size: await sizeOf(path),
    })),
  );
  const aliases = await loadAliases(settings.aliases, log.warn);
  const t = LABELS[settings.lang];
  const fingerprint = await siteFingerprint();
  const sourcesKey = extras.map((x) => resolve(x.path));
  const key = hashOf({
    SITE_VERSION,
    fingerprint,
    tz,
    lang: settings.lang,
    title: settings.title,
    aliases,
    out: resolve(settings.out),
    sources: sourcesKey,
    // Named in every page's footer.
    countryData: geoDbInfo().version,
    // The anomaly rules flag history rows on every page.
    anomalies: anomalyRulesKey(settings),
  });

  const previous = await loadManifest(cp, log.warn);
  const csvSize = await sizeOf(paths.history);
  const outEmpty = (await stat(join(settings.out, 'index.html')).catch(ifMissing(null))) === null;
  // Rewrites of the CSV since the last build (delete, restore, retention) are applied to the
  // cache when the state lists them all; otherwise the build is a full one.
  const sources: Source[] = [
    sourceOf(settings.history, state, csvSize, previous ?? undefined, false),
    ...extras.map((x) => sourceOf(x.path, x.state, x.size, previous?.sources?.[resolve(x.path)], true)),
  ];
  const full =
    forceFull ||
    outEmpty ||
    previous === null ||
    previous.key !== key ||
    sources.some((src) => src.rewrites === null || src.start > src.limit);
  const manifest: Manifest = full ? emptyManifest(key, state.historyGeneration) : previous;
  if (full) await clearCache(cp);
  const ctx: ModelContext = { lang: settings.lang, timeZone: tz, t, aliases, now };
  return { settings, now, tz, t, ctx, aliases, fingerprint, key, paths, cp, state, extras, sources, full, manifest };
}

function anomalyRulesKey(settings: Settings): unknown {
  const r = anomalyRules(settings);
  return { ...r, sharedAccounts: [...r.sharedAccounts].sort(), workingHours: r.workingHours?.text ?? null };
}
