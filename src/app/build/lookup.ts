/**
 * Stage 8b: the address lookup's index for the browser (site/assets/lookup.js). The sessions
 * that started in a month (in the zone) are split by the bucket of their addresses
 * (addressBucket: 64 buckets) into data/lookup/YYYY-MM/BB.json, a session in the bucket of
 * each of its addresses; data/lookup/index.json lists each month's first start, last end
 * (null while a session is open) and the hash of each bucket file, so a query fetches one
 * small file per month that can touch its period, and only when the month has that bucket.
 *
 * Only the months of the dirty days are made again, and of them only the bucket files whose
 * hash differs from the index's are written (not read to compare). New files go before the
 * index that points at them; files and month folders left without sessions go after it, in
 * the same build, before the endpoint answers a delete. A month folder changed after the
 * index was written (a run killed between the two) is not trusted: its files are compared
 * byte by byte. No index, a damaged one or one of the old layout (schemaVersion 1) means
 * every month again; every build removes what the index does not list.
 */
import { createHash } from 'node:crypto';
import { addressBucket, bucketName, LOOKUP_BUCKETS, normaliseAddress, planBuckets } from '../../core/lookup.js';
import { setBounded } from '../../core/memo.js';
import type { Session } from '../../core/session.js';
import { msFromIso } from '../../core/time.js';
import {
  LOOKUP_DIR,
  monthBucketFiles,
  publishedLookupEntries,
  readLookupIndex,
  removeLookupEntries,
} from '../../io/lookup-files.js';
import { loadLookupDay, pruneLookupDays, saveLookupDay, type LookupDay } from '../../io/build-cache.js';
import { publishFiles, removeFiles } from '../../io/output.js';
import { slugOf } from '../../render/models.js';
import type { BuildRun } from './run.js';
import { sessionsOfDay, type Tracked } from './summaries.js';

/** A month in the index: [month, first start, last end or null while one is open (epoch seconds), bucket → hash]. */
type MonthEntry = [string, number, number | null, Record<string, string>];

/** The published index as this build found it: null when there is none it can trust. */
interface KnownIndex {
  months: Map<string, MonthEntry>;
  writtenMs: number;
}

const seconds = (iso: string): number => Math.floor(msFromIso(iso) / 1000);
const hashText = (text: string): string => createHash('sha256').update(text).digest('base64url').slice(0, 16);

/** Addresses repeat a lot (a user's tunnel address, a NAT's public one): each is spelled and bucketed once. */
const SPELLINGS_KEPT = 100_000;
const SLUGS_KEPT = 10_000;
/** The newest months whose days' rows are cached: the current one, and the last while sessions that began in it end. */
const CACHED_MONTHS = 2;
type Spelled = { address: string; bucket: number };

/**
 * A day's rows: per session and bucket of its addresses (once per bucket, even when two of
 * its addresses share one), the row's JSON after its user index.
 */
function dayRows(day: string, sessions: readonly Session[], spell: (a: string | null) => Spelled | null): LookupDay {
  let first = Number.POSITIVE_INFINITY;
  let last: number | null = 0;
  const rows: LookupDay['rows'] = [];
  for (const s of sessions) {
    const start = seconds(s.connectedAt);
    const end = s.endedAt === null ? null : seconds(s.endedAt);
    first = Math.min(first, start);
    last = last === null || end === null ? null : Math.max(last, end);
    const [real, tun4, tun6] = [spell(s.realAddress), spell(s.virtualAddress), spell(s.virtualIpv6)];
    const rest = [day.slice(8, 10), start, end, real?.address ?? null, s.realPort, tun4?.address ?? null];
    rest.push(tun6?.address ?? null);
    const tail = JSON.stringify(rest).slice(1, -1);
    for (const b of new Set([real, tun4, tun6].flatMap((x) => (x === null ? [] : [x.bucket]))))
      rows.push([b, s.user, tail]);
  }
  return { first, last, rows };
}

/** One bucket file being made: its own users table, then a row per session. */
class Bucket {
  private readonly users: [string, string][] = [];
  private readonly userIndex = new Map<string, number>();
  private readonly rows: string[] = [];

  add(user: string, slug: string, tail: string): void {
    let u = this.userIndex.get(user);
    if (u === undefined) {
      u = this.users.push([user, slug]) - 1;
      this.userIndex.set(user, u);
    }
    this.rows.push(`[${u},${tail}]`);
  }

  /** JSON.stringify({ schemaVersion: 2, month, bucket, users, sessions }), its rows joined as made. */
  text(month: string, name: string): string {
    const head = `{"schemaVersion":2,"month":${JSON.stringify(month)},"bucket":${JSON.stringify(name)}`;
    return `${head},"users":${JSON.stringify(this.users)},"sessions":[${this.rows.join(',')}]}`;
  }
}

/** One month's buckets being made from its days' rows, with the month's first start and last end. */
class MonthBuckets {
  private readonly buckets = new Map<number, Bucket>();
  private readonly slugs = new Map<string, string>();
  first = Number.POSITIVE_INFINITY;
  last: number | null = 0;
  constructor(private readonly run: BuildRun) {}

  add(day: LookupDay): void {
    this.first = Math.min(this.first, day.first);
    this.last = this.last === null || day.last === null ? null : Math.max(this.last, day.last);
    for (const [b, user, tail] of day.rows) {
      const slug = this.slugs.get(user) ?? setBounded(this.slugs, user, slugOf(user, this.run.ctx), SLUGS_KEPT);
      const bucket = this.buckets.get(b) ?? new Bucket();
      this.buckets.set(b, bucket);
      bucket.add(user, slug, tail);
    }
  }

  /** Bucket name → the file's text and its hash. */
  done(month: string): Map<string, { text: string; hash: string }> {
    const made = new Map<string, { text: string; hash: string }>();
    for (const b of [...this.buckets.keys()].sort((x, y) => x - y)) {
      const text = (this.buckets.get(b) as Bucket).text(month, bucketName(b));
      made.set(bucketName(b), { text, hash: hashText(text) });
    }
    return made;
  }
}

/**
 * A day's rows: from the cache when the day is not dirty and its month is one of the newest
 * (`cached`), else made from its sessions (and cached when its month is).
 */
async function rowsOfDay(
  run: BuildRun,
  tracked: Tracked,
  spelled: Map<string, Spelled>,
  day: string,
  cached: boolean,
): Promise<LookupDay> {
  if (cached && !run.dirty.days.has(day)) {
    const kept = await loadLookupDay(run.cp, day);
    if (kept !== null) return kept;
  }
  const spell = (a: string | null): Spelled | null => {
    if (a === null || a === '') return null;
    const known = spelled.get(a);
    if (known !== undefined) return known;
    const address = normaliseAddress(a) ?? a;
    return setBounded(spelled, a, { address, bucket: addressBucket(address) }, SPELLINGS_KEPT);
  };
  const sessions = await sessionsOfDay(run, tracked, day);
  const rows = dayRows(day, sessions, spell);
  if (cached && sessions.length > 0) await saveLookupDay(run.cp, day, rows);
  return rows;
}

const MONTH = /^\d{4}-\d{2}$/;
const BUCKET = /^[0-9a-f]{2}$/;

function validEntry(m: unknown): m is MonthEntry {
  if (!Array.isArray(m) || m.length !== 4 || typeof m[0] !== 'string' || !MONTH.test(m[0])) return false;
  const hashes = m[3] as unknown;
  if (typeof hashes !== 'object' || hashes === null || Array.isArray(hashes)) return false;
  return Object.entries(hashes).every(([b, h]) => BUCKET.test(b) && typeof h === 'string');
}

function parseIndex(found: { text: string; mtimeMs: number } | null): KnownIndex | null {
  if (found === null) return null;
  try {
    const index = JSON.parse(found.text) as { schemaVersion?: number; buckets?: number; months?: unknown[] };
    if (index.schemaVersion !== 2 || index.buckets !== LOOKUP_BUCKETS || !Array.isArray(index.months)) return null;
    if (!index.months.every(validEntry)) return null;
    return { months: new Map(index.months.map((m) => [m[0], m])), writtenMs: found.mtimeMs };
  } catch (e) {
    if (e instanceof SyntaxError) return null;
    throw e;
  }
}

/** Makes one month's buckets and writes those that changed; returns its index entry, files written and files to remove after the index. */
async function writeMonth(
  run: BuildRun,
  tracked: Tracked,
  spelled: Map<string, Spelled>,
  month: string,
  days: string[],
  known: KnownIndex | null,
  cached: boolean,
): Promise<{ entry: MonthEntry; written: number; remove: string[]; untrusted: boolean }> {
  const out = run.settings.out;
  const buckets = new MonthBuckets(run);
  for (const day of days) buckets.add(await rowsOfDay(run, tracked, spelled, day, cached));
  const made = buckets.done(month);
  const disk = await monthBucketFiles(out, month, known?.writtenMs ?? Number.POSITIVE_INFINITY);
  const listed = known?.months.get(month)?.[3];
  // Files the index lists but the disk lacks (removed by hand) are not trusted either.
  const whole = listed !== undefined && Object.keys(listed).every((b) => disk.buckets.includes(b));
  const trusted = whole && !disk.changedSince ? (listed as Record<string, string>) : null;
  const hashes = new Map([...made].map(([b, m]) => [b, m.hash]));
  const plan = planBuckets(trusted, disk.buckets, hashes);
  const path = (b: string): string => `${LOOKUP_DIR}/${month}/${b}.json`;
  const files = plan.write.map((b) => ({ path: path(b), content: made.get(b)?.text ?? '' }));
  // Hashes decide what a trusted month writes; an untrusted one compares bytes (unchanged files keep their mtime).
  const written = await publishFiles(out, files, { compare: trusted === null });
  const entry: MonthEntry = [month, buckets.first, buckets.last, Object.fromEntries(hashes)];
  return { entry, written, remove: plan.remove.map(path), untrusted: disk.changedSince };
}

/** Returns files written. */
export async function writeLookupIndex(run: BuildRun, tracked: Tracked, days: string[]): Promise<number> {
  const out = run.settings.out;
  const known = run.full ? null : parseIndex(await readLookupIndex(out));
  if (!run.full && known === null)
    run.log.detail('build: the lookup index is missing, damaged or old: all months again');
  const months = new Map<string, string[]>();
  for (const day of [...days].sort()) {
    const list = months.get(day.slice(0, 7));
    if (list === undefined) months.set(day.slice(0, 7), [day]);
    else list.push(day);
  }
  // The newest months' days are cached: a busy run makes again only its dirty days' rows.
  const cachedMonths = new Set([...months.keys()].slice(-CACHED_MONTHS));
  const dirty = known === null ? new Set([...months.keys()]) : new Set([...run.dirty.days].map((d) => d.slice(0, 7)));
  const entries = new Map(known?.months ?? []);
  const spelled = new Map<string, Spelled>();
  const remove: string[] = [];
  // Bucket files first (each month written as soon as it is made), then the index that points at them.
  let written = 0;
  let untrusted = false;
  for (const month of [...dirty].sort()) {
    const list = months.get(month);
    if (list === undefined) {
      entries.delete(month);
      continue;
    }
    const done = await writeMonth(run, tracked, spelled, month, list, known, cachedMonths.has(month));
    entries.set(month, done.entry);
    written += done.written;
    remove.push(...done.remove);
    untrusted ||= done.untrusted;
  }
  const index = {
    schemaVersion: 2,
    timeZone: run.tz,
    buckets: LOOKUP_BUCKETS,
    months: [...entries.values()].sort((a, b) => (a[0] < b[0] ? -1 : 1)),
  };
  // What leaves the index goes after it: emptied buckets, months without sessions, the old layout's files.
  // Written anew after a folder changed since the last one, so that folder is trusted again.
  const indexFile = [{ path: `${LOOKUP_DIR}/index.json`, content: JSON.stringify(index) }];
  written += await publishFiles(out, indexFile, { compare: !untrusted });
  await removeFiles(out, remove);
  const present = await publishedLookupEntries(out);
  await removeLookupEntries(out, [...present.months.filter((m) => !entries.has(m)), ...present.others]);
  await pruneLookupDays(run.cp, new Set([...cachedMonths].flatMap((m) => months.get(m) ?? [])));
  return written;
}
