/**
 * `anomalies`: what looks unusual in the store's sessions (the state's open and held ones and
 * the CSV), by the rules of the settings, with each reason in the settings' language and zone.
 */
import { anomalyReason, anomalyRules, detectAnomalies, type Anomaly } from '../core/anomalies.js';
import { formatDateTime } from '../core/format.js';
import { LABELS } from '../core/i18n.js';
import type { Warn } from '../core/result.js';
import type { Settings } from '../core/settings.js';
import { msFromIso } from '../core/time.js';
import { loadSessions } from './sessions.js';

export interface FoundInHistory {
  anomalies: Anomaly[];
  reason(a: Anomaly): string;
}

/** The anomalies whose time is from `fromMs` to `toMs` (both included), oldest first. */
export async function anomaliesInHistory(
  settings: Settings,
  now: string,
  range: { fromMs: number; toMs: number },
  warn: Warn,
): Promise<FoundInHistory> {
  const rules = anomalyRules(settings);
  const all = detectAnomalies(await loadSessions(settings.history, warn), rules, now);
  const anomalies = all.filter((a) => msFromIso(a.at) >= range.fromMs && msFromIso(a.at) <= range.toMs);
  const when = (iso: string) => formatDateTime(iso, settings.tz);
  return { anomalies, reason: (a) => anomalyReason(a, LABELS[settings.lang], settings.lang, rules, when) };
}
