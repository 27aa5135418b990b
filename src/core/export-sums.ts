/**
 * The SHA256SUMS files beside the exports: which sums file lists an export file, and its
 * text, in the format `sha256sum -c` reads (`<64 hex>  <name>`, names relative to the sums
 * file's folder), grouped by the chain head each file was built at under a comment line
 * `# chain head <hex> at <n> rows` (GNU sha256sum skips lines that start with `#`). So a
 * downloaded file, a CSV included, can be matched to the ledger (ledger.json, verify).
 */
import type { ChainHead } from './chain.js';

/** What the build keeps of an export file it wrote: the SHA-256 of its bytes and the chain head it was built at. */
export interface SumEntry extends ChainHead {
  sha256: string;
}

/** A sums file: its key in the build cache, its folder and its path (relative to the output folder). */
export interface SumsFile {
  key: string;
  dir: string;
  path: string;
}

const REPORTS = 'exports/reports/';
const MONTH_AT_END = /_(\d{4}-\d{2})\.(?:xlsx|csv)$/;

/**
 * The sums file that lists `file` (relative to the output folder): `exports/SHA256SUMS`,
 * `exports/days/SHA256SUMS`, or the month's `exports/reports/SHA256SUMS_YYYY-MM` (a past
 * month's is then never written again). Null for a file of no export folder.
 */
export function sumsFileOf(file: string): SumsFile | null {
  const slash = file.lastIndexOf('/');
  const dir = file.slice(0, slash);
  const name = file.slice(slash + 1);
  if (dir === 'exports') return { key: 'exports', dir, path: 'exports/SHA256SUMS' };
  if (dir === 'exports/days') return { key: 'days', dir, path: 'exports/days/SHA256SUMS' };
  if (`${dir}/` === REPORTS) {
    // The month is last in every report's name (`openvpn-report_[<user>_]<YYYY-MM>.<ext>`).
    const month = MONTH_AT_END.exec(name)?.[1];
    if (month !== undefined) return { key: `reports/${month}`, dir, path: `${REPORTS}SHA256SUMS_${month}` };
  }
  return null;
}

/** The sums file of the cache key `key` (sumsFileOf's keys). */
export function sumsFileOfKey(key: string): SumsFile {
  if (key === 'exports') return { key, dir: 'exports', path: 'exports/SHA256SUMS' };
  if (key === 'days') return { key, dir: 'exports/days', path: 'exports/days/SHA256SUMS' };
  const month = /^reports\/(\d{4}-\d{2})$/.exec(key)?.[1];
  if (month === undefined) throw new RangeError(`${JSON.stringify(key)} is not a sums file's key`);
  return { key, dir: 'exports/reports', path: `${REPORTS}SHA256SUMS_${month}` };
}

const HEX64 = /^[0-9a-f]{64}$/;
const byCodeUnit = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The text of the sums file of folder `dir` listing `entries` (file relative to the output
 * folder → entry): a group per chain head, oldest (fewest rows) first, each under its
 * comment line, its files sorted by name. Empty text for no entries.
 */
export function sumsText(dir: string, entries: Iterable<[string, SumEntry]>): string {
  const groups = new Map<string, { head: ChainHead; lines: string[] }>();
  for (const [file, e] of entries) {
    const name = file.slice(dir.length + 1);
    if (!file.startsWith(`${dir}/`) || name.includes('/') || /[\\\r\n]/.test(name))
      throw new RangeError(`${JSON.stringify(file)} cannot be listed in the sums of ${dir}`);
    if (!HEX64.test(e.sha256) || !HEX64.test(e.head))
      throw new RangeError(`${file}: ${JSON.stringify(e)} is not a SHA-256 and chain head`);
    const key = `${String(e.rows).padStart(16, '0')} ${e.head}`;
    const group = groups.get(key) ?? { head: { head: e.head, rows: e.rows }, lines: [] };
    group.lines.push(`${e.sha256}  ${name}`);
    groups.set(key, group);
  }
  let text = '';
  for (const key of [...groups.keys()].sort(byCodeUnit)) {
    const g = groups.get(key) as { head: ChainHead; lines: string[] };
    text += `# chain head ${g.head.head} at ${g.head.rows} rows\n`;
    for (const line of g.lines.sort((a, b) => byCodeUnit(a.slice(66), b.slice(66)))) text += `${line}\n`;
  }
  return text;
}
