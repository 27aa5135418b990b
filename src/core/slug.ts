/**
 * A user's path segment. Plain names (`alice`, `flex-RN13P`, `bob_jones`) are kept as
 * they are; anything else (spaces, slashes, dots only, umlauts, control characters, very
 * long) becomes a sanitised name plus a hash of the exact name, so two users never share
 * a slug and no slug can climb out of its folder.
 */
import { createHash } from 'node:crypto';
import { setBounded } from './memo.js';

const PLAIN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,59}$/;

/** Slugs made so far: a run asks for a user's slug once per row and link. Bounded. */
const made = new Map<string, string>();

export function userSlug(user: string): string {
  if (PLAIN.test(user)) return user;
  return made.get(user) ?? setBounded(made, user, hashedSlug(user), 50_000);
}

function hashedSlug(user: string): string {
  const base = user
    .normalize('NFKD')
    // NFKD splits "ü" into "u" and a combining mark: keep the letter, drop the mark.
    .replace(/\p{M}+/gu, '')
    .replace(/[^A-Za-z0-9_-]+/g, '-')
    .replace(/^[-_]+|[-_]+$/g, '')
    .slice(0, 40);
  // UTF-16 code units, not UTF-8: UTF-8 turns every lone surrogate into U+FFFD, so distinct
  // names would hash alike.
  const hash = createHash('sha256').update(user, 'utf16le').digest('hex').slice(0, 8);
  return `${base || 'user'}~${hash}`;
}
