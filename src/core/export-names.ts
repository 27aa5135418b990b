/**
 * File names of the export files: `openvpn-history_<user>_<status>.<ext>` per view (the
 * seed's scheme) and `openvpn-history_<day>.<ext>` per day of the archive.
 *
 * A name depends on its own user only (no list of taken names, no order), so the same user
 * gets the same file name in every build and a link never moves. Safety follows userSlug's
 * rule: a plain name (ASCII letters, digits, `.`, `_`, `-`, starting with a letter or digit,
 * at most 64 characters) is kept as it is; any other name becomes a transliterated ASCII base
 * plus `~` and a hash of the exact name. Plain names cannot contain `~`, and distinct names
 * have distinct hashes, so two users never share a file name even when they sanitise alike.
 * The view over all users is `all`; a user literally named `all` (any case) counts as not
 * plain and gets a hash, so it cannot take that name.
 *
 * Every name is one path segment of printable ASCII: no `/` or `\`, no control characters,
 * no leading dot (it starts with `openvpn-history_`), at most 96 bytes.
 */
import { createHash } from 'node:crypto';

export type ExportStatus = 'all' | 'active' | 'ended';
export type ExportExt = 'xlsx' | 'csv';

const PREFIX = 'openvpn-history_';
/** The user part for the view over all users. */
export const ALL_USERS = 'all';

const PLAIN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const BASE_MAX = 48;
const HASH_HEX = 12;

/** The user part of a file name: the name itself when plain, else base~hash (see above). */
export function fileUserPart(user: string | null): string {
  if (user === null) return ALL_USERS;
  if (PLAIN.test(user) && user.toLowerCase() !== ALL_USERS) return user;
  const base = user
    .replace(/ß/g, 'ss')
    .normalize('NFKD')
    // NFKD splits "ü" into "u" and a combining mark: keep the letter, drop the mark.
    .replace(/\p{M}+/gu, '')
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    // No leading or trailing separators, and no dot runs: `..` looks like a path even where it is not one.
    .replace(/\.{2,}/g, '.')
    .replace(/^[._-]+|[._-]+$/g, '')
    .slice(0, BASE_MAX)
    .replace(/[._-]+$/, '');
  // UTF-16 code units, not UTF-8: UTF-8 turns every lone surrogate into U+FFFD, so distinct
  // names would hash alike. 48 bits: a collision among a server's users is out of reach.
  const hash = createHash('sha256').update(user, 'utf16le').digest('hex').slice(0, HASH_HEX);
  return `${base || 'user'}~${hash}`;
}

/** `openvpn-history_<user>_<status>.<ext>`; user null is the view over all users (`all`). */
export function exportFileName(user: string | null, status: ExportStatus, ext: ExportExt): string {
  return `${PREFIX}${fileUserPart(user)}_${status}.${ext}`;
}

/**
 * `openvpn-history_all_<status>_<year>.xlsx`: one year of a whole-history view of all users,
 * when the view has more rows than one sheet holds (src/core/whole-history-plan.ts).
 */
export function yearFileName(status: ExportStatus, year: string): string {
  if (!/^\d{4}$/.test(year)) throw new RangeError(`year ${JSON.stringify(year)} is not YYYY`);
  return `${PREFIX}${ALL_USERS}_${status}_${year}.xlsx`;
}

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** `openvpn-history_2026-11-25.xlsx`: the daily archive's file for a `YYYY-MM-DD` day. */
export function dayFileName(day: string, ext: ExportExt = 'xlsx'): string {
  const m = DAY.exec(day);
  const month = Number(m?.[2]);
  const date = Number(m?.[3]);
  if (!m || month < 1 || month > 12 || date < 1 || date > 31)
    throw new RangeError(`day ${JSON.stringify(day)} is not YYYY-MM-DD`);
  return `${PREFIX}${day}.${ext}`;
}

/** The characters fileUserPart gives, starting with a letter or digit (plain names and base~hash alike). */
const USER_PART = /^[A-Za-z0-9][A-Za-z0-9._~-]*$/;
const VIEW_STEM = /^(.+)_(?:all|active|ended)$/;

/**
 * Whose file a name exportFileName or dayFileName gave is: its view owner's user part
 * (`all` for the view over all users) or its day. Null for any other name (a file an older
 * version or an admin left in the folder).
 */
export function exportNameOwner(name: string): { userPart: string } | { day: string } | null {
  const ext = /\.(?:xlsx|csv)$/.exec(name);
  if (!name.startsWith(PREFIX) || ext === null) return null;
  const stem = name.slice(PREFIX.length, ext.index);
  if (DAY.test(stem)) return { day: stem };
  const userPart = VIEW_STEM.exec(stem)?.[1];
  return userPart !== undefined && USER_PART.test(userPart) ? { userPart } : null;
}

/**
 * The file names of every (user, status) view at once, checked to be distinct: the map is
 * keyed by user (null = all users), then by status.
 */
export function exportFileNames(
  users: Iterable<string | null>,
  statuses: readonly ExportStatus[],
  ext: ExportExt,
): Map<string | null, Map<ExportStatus, string>> {
  const out = new Map<string | null, Map<ExportStatus, string>>();
  const owner = new Map<string, string | null>();
  for (const user of users) {
    if (out.has(user)) continue;
    const byStatus = new Map<ExportStatus, string>();
    for (const status of statuses) {
      const name = exportFileName(user, status, ext);
      const prev = owner.get(name);
      // Unreachable unless two names share 48 bits of SHA-256; a wrong download would be worse than a failed build.
      if (prev !== undefined)
        throw new Error(
          `export file name ${name} is shared by users ${JSON.stringify(prev)} and ${JSON.stringify(user)}`,
        );
      owner.set(name, user);
      byStatus.set(status, name);
    }
    out.set(user, byStatus);
  }
  return out;
}

const REPORT_PREFIX = 'openvpn-report_';

/**
 * A monthly report (src/core/report.ts): `openvpn-report_<YYYY-MM>.<ext>` for all users,
 * `openvpn-report_<user>_<YYYY-MM>.<ext>` for one (the user part as in exportFileName, so
 * a user named like a month cannot take the all-users name: the month is always last).
 */
export function reportFileName(user: string | null, month: string, ext: ExportExt): string {
  const m = /^(\d{4})-(\d{2})$/.exec(month);
  const mo = Number(m?.[2]);
  if (m === null || mo < 1 || mo > 12) throw new RangeError(`month ${JSON.stringify(month)} is not YYYY-MM`);
  return user === null ? `${REPORT_PREFIX}${month}.${ext}` : `${REPORT_PREFIX}${fileUserPart(user)}_${month}.${ext}`;
}
