/**
 * The hash chain over the history (issue 22). Every history row carries, in its last column
 * `chainSha256`, h_n = SHA-256(hex(h_{n−1}) ‖ canonical row), where hex is the 64 lowercase
 * hex digits of the row before it (GENESIS for the first row ever) and the canonical row is
 * the UTF-8 text of the row's other fields exactly as written: csv-stringify's quoting,
 * comma-separated, without the chain field and without the line end. A row keeps its value
 * for good: a delete, restore, retention move or withdrawal moves rows, never re-chains them,
 * so an anchor taken earlier still finds its head. The chain runs through the yearly archives
 * (oldest year first) into the history; rows removed through the tool leave a recorded link
 * (trash entry or change-log entry: prev → sha) that verify follows over the gap. A row
 * restored after retention archived its place goes back at the end of the history: the
 * restore's change-log entry records its link and the row it now follows (ChainLinks.place).
 * The change log (HISTORY.audit.jsonl) is chained on its own: each entry's `prev` is the
 * SHA-256 of the line before it (of all the bytes before it for the first chained entry).
 * Pure: plain data in and out (hashing is computation, not I/O).
 */
import { createHash, hash } from 'node:crypto';

export const GENESIS = '0'.repeat(64);
export const CHAIN_COLUMN = 'chainSha256';
export const HEX64 = /^[0-9a-f]{64}$/;

/** Scratch space for chainHash: a million rows must not allocate a hash object each. */
let scratch = Buffer.alloc(4096);

/** h_n from h_{n−1} (hex) and the canonical row (text or its bytes). */
export function chainHash(prev: string, canonical: string | Uint8Array): string {
  const bytes = typeof canonical === 'string' ? Buffer.byteLength(canonical) : canonical.length;
  if (64 + bytes > scratch.length) scratch = Buffer.alloc(2 * (64 + bytes));
  scratch.write(prev, 0, 'latin1');
  if (typeof canonical === 'string') scratch.write(canonical, 64, 'utf8');
  else scratch.set(canonical, 64);
  return hash('sha256', scratch.subarray(0, 64 + bytes), 'hex');
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** The head and row count of a history file's chain, as the state and ledger.json keep them. */
export interface ChainHead {
  /** The chain value of the history's last row (the value the next append chains from). */
  head: string;
  /** Rows in the history CSV. */
  rows: number;
}

/**
 * Links over rows that left the live files through the tool: prev → the chain values of rows
 * that followed it. verify follows them when a row does not follow the live row before it.
 */
export class ChainLinks {
  private readonly next = new Map<string, string[]>();
  private readonly targets = new Set<string>();
  /** Rows put back out of their place (a restore after retention): sha → its prev and the value it now follows. */
  private readonly placed = new Map<string, { prev: string; after: string }[]>();

  /** True when a recorded link leads to `sha` (a row that left through the tool). */
  leadsTo(sha: string): boolean {
    return this.targets.has(sha);
  }

  add(prev: string, sha: string): void {
    this.targets.add(sha);
    const list = this.next.get(prev);
    if (list) {
      if (!list.includes(sha)) list.push(sha);
    } else this.next.set(prev, [sha]);
  }

  /**
   * The value reachable from `from` (itself included) that `fits` accepts, or null. Breadth
   * first, each value once: a clear of many rows is one long path of links.
   */
  find(from: string, fits: (prev: string) => boolean): string | null {
    if (fits(from)) return from;
    const seen = new Set<string>([from]);
    let frontier = [from];
    while (frontier.length > 0) {
      const after: string[] = [];
      for (const v of frontier) {
        for (const n of this.next.get(v) ?? []) {
          if (seen.has(n)) continue;
          if (fits(n)) return n;
          seen.add(n);
          after.push(n);
        }
      }
      frontier = after;
    }
    return null;
  }

  /** Records that the row `sha` (chained from `prev`) was put back right after the row `after`, out of its place. */
  place(prev: string, sha: string, after: string): void {
    const list = this.placed.get(sha) ?? [];
    list.push({ prev, after });
    this.placed.set(sha, list);
  }

  /**
   * True when the row `sha` was recorded as put back right after `cur` (or a row linked from
   * it: one deleted since), and its bytes hash from its own prev (`fits`). Only there: a row
   * put back is not accepted anywhere else.
   */
  placedAfter(cur: string, sha: string, fits: (prev: string) => boolean): boolean {
    return (this.placed.get(sha) ?? []).some(
      (m) => this.find(cur, (v) => v === m.after) !== null && this.find(m.prev, fits) !== null,
    );
  }

  /** True when the row `sha` was put back out of its place and its bytes hash from its own prev. */
  fitsPlaced(sha: string, fits: (prev: string) => boolean): boolean {
    return (this.placed.get(sha) ?? []).some((m) => this.find(m.prev, fits) !== null);
  }

  get size(): number {
    return this.next.size;
  }
}

/** An anchor: what ledger.json published at some time. */
export interface Anchor {
  head: string;
  rows: number;
  generatedAt: string | null;
  logHead: string | null;
  logEntries: number | null;
}
