/**
 * A user's path segment. Plain names (`alice`, `flex-RN13P`, `bob_jones`) are kept as
 * they are; anything else (spaces, slashes, dots only, umlauts, control characters, very
 * long) becomes a sanitised name plus 48 bits of a hash of the exact name, so no slug can
 * climb out of its folder and two users share one only by a hash collision, which
 * planSlugs settles for the site's users (and the build cache names by 128 bits).
 */
import { createHash } from 'node:crypto';
import { setBounded } from './memo.js';

const PLAIN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,59}$/;
/** 48 bits, as the export file names: 32 were found to collide in a fraction of a second. */
const HASH_HEX = 12;
/** 128 bits: what a clash of the short form is settled with, and the build cache's file names. */
const LONG_HASH_HEX = 32;

/** Slugs made so far: a run asks for a user's slug once per row and link. Bounded. */
const made = new Map<string, string>();

export function userSlug(user: string): string {
  if (PLAIN.test(user)) return user;
  return made.get(user) ?? setBounded(made, user, hashedSlug(user, HASH_HEX), 50_000);
}

/** The same with a 128-bit hash (for every name, plain ones too): for names that must never meet. */
export function longUserSlug(user: string): string {
  return hashedSlug(user, LONG_HASH_HEX);
}

/**
 * A user's file and folder name in the build cache: plain names as they are, others with
 * the long hash, so two users never share a cache file (their pages would show each other's
 * sessions), whatever their slugs.
 */
export function userCacheName(user: string): string {
  return PLAIN.test(user) ? user : longUserSlug(user);
}

function hashedSlug(user: string, hex: number): string {
  const base = user
    .normalize('NFKD')
    // NFKD splits "ü" into "u" and a combining mark: keep the letter, drop the mark.
    .replace(/\p{M}+/gu, '')
    .replace(/[^A-Za-z0-9_-]+/g, '-')
    .replace(/^[-_]+|[-_]+$/g, '')
    .slice(0, 40);
  // UTF-16 code units, not UTF-8: UTF-8 turns every lone surrogate into U+FFFD, so distinct
  // names would hash alike.
  const hash = createHash('sha256').update(user, 'utf16le').digest('hex').slice(0, hex);
  return `${base || 'user'}~${hash}`;
}

export interface SlugPlan {
  /** The users whose slug is not slugOf(user), with the slug they get. */
  slugs: Map<string, string>;
  /** Each slug that several users map to, with those users (sorted). */
  clashes: { slug: string; users: string[] }[];
}

/**
 * The slugs of all of a site's users, distinct. Users that share a slug all get the long
 * form instead (it depends on the name alone, so it does not move when other users come or
 * go); should that be taken too, `~2`, `~3`… follow in the users' sorted order.
 */
export function planSlugs(
  users: Iterable<string>,
  slugOf: (user: string) => string = userSlug,
  longSlugOf: (user: string) => string = longUserSlug,
): SlugPlan {
  const byShort = new Map<string, string[]>();
  for (const user of new Set(users)) {
    const slug = slugOf(user);
    const list = byShort.get(slug);
    if (list === undefined) byShort.set(slug, [user]);
    else list.push(user);
  }
  const plan: SlugPlan = { slugs: new Map(), clashes: [] };
  const taken = new Set<string>();
  for (const [slug, list] of byShort) if (list.length === 1) taken.add(slug);
  for (const [slug, list] of byShort) {
    if (list.length === 1) continue;
    const sorted = [...list].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    plan.clashes.push({ slug, users: sorted });
    for (const user of sorted) {
      const long = longSlugOf(user);
      let chosen = long;
      for (let n = 2; taken.has(chosen); n++) chosen = `${long}~${n}`;
      taken.add(chosen);
      plan.slugs.set(user, chosen);
    }
  }
  return plan;
}
