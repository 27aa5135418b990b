/**
 * The anchors of the history's chain: `ledger.json` in the output folder (what every build
 * publishes: head, rows, the change log's head), `HISTORY.verified.json` beside the history
 * (the last verify's outcome, shown in the ledger), and reading an anchor back for
 * `verify --anchor`. Only hashes and counts: nothing of a deleted row.
 */
import { readFile } from 'node:fs/promises';
import { type Anchor, HEX64 } from '../core/chain.js';
import { InputError } from '../core/errors.js';
import { msFromIso } from '../core/time.js';
import { PRIVATE_FILE_MODE, writeFileAtomic } from './atomic-write.js';
import { ifMissing } from './fs-errors.js';

export interface Verified {
  at: string;
  ok: boolean;
  head: string;
  rows: number;
  /** The system user who ran verify (absent in files written before it was recorded). */
  by?: string | null;
}

export interface Ledger {
  schemaVersion: 1;
  head: string;
  rows: number;
  generatedAt: string;
  logHead: string | null;
  logEntries: number;
  lastVerified: Verified | null;
}

export const verifiedPath = (history: string): string => `${history}.verified.json`;

export async function writeVerified(history: string, v: Verified): Promise<void> {
  await writeFileAtomic(verifiedPath(history), `${JSON.stringify(v)}\n`, { mode: PRIVATE_FILE_MODE });
}

/** The last verify's outcome, or null (none yet, or a file this version cannot read). */
export async function readVerified(history: string): Promise<Verified | null> {
  const raw = await readFile(verifiedPath(history), 'utf8').catch(ifMissing(null));
  if (raw === null) return null;
  try {
    const v = JSON.parse(raw) as Verified;
    return typeof v.at === 'string' && typeof v.ok === 'boolean' ? v : null;
  } catch (e) {
    if (e instanceof SyntaxError) return null; // torn by hand: the ledger then says "not verified"
    throw e;
  }
}

/** An anchor file (a ledger.json kept elsewhere); a bad one is an InputError (exit 2). */
export async function readAnchor(path: string): Promise<Anchor> {
  const raw = await readFile(path, 'utf8').catch(ifMissing(null));
  if (raw === null) throw new InputError(path, null, 'no such anchor file');
  let v: Record<string, unknown>;
  try {
    v = JSON.parse(raw) as Record<string, unknown>;
  } catch (e) {
    if (!(e instanceof SyntaxError)) throw e;
    throw new InputError(path, null, `not valid JSON (${e.message}); expected a ledger.json`);
  }
  const bad = (why: string): never => {
    throw new InputError(path, null, `not a ledger.json of schemaVersion 1: ${why}`);
  };
  if (typeof v !== 'object' || v === null || v.schemaVersion !== 1) bad('no schemaVersion 1');
  if (typeof v.head !== 'string' || !HEX64.test(v.head)) bad('head is not 64 hex digits');
  if (typeof v.rows !== 'number' || !Number.isSafeInteger(v.rows) || v.rows < 0) bad('rows is not a whole number');
  const generatedAt =
    typeof v.generatedAt === 'string' && !Number.isNaN(msFromIso(v.generatedAt)) ? v.generatedAt : null;
  const logHead = typeof v.logHead === 'string' && HEX64.test(v.logHead) ? v.logHead : null;
  const logEntries = typeof v.logEntries === 'number' && Number.isSafeInteger(v.logEntries) ? v.logEntries : null;
  return { head: v.head as string, rows: v.rows as number, generatedAt, logHead, logEntries };
}
