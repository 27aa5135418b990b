/**
 * Bad rows of a history CSV are set aside, never a stop: each goes once to
 * <history>.quarantine.csv (key, quarantinedAt, file, line, reason, text: the line's original
 * bytes), appended with one fsync'd write, and a warning names the file and the real line.
 * The key (line number and bytes) keeps a row that stays in the CSV from being added again
 * by every later read; a rewrite of the CSV (delete, restore, retention) leaves such rows out,
 * so they then live on only in the quarantine file.
 */
import { createHash } from 'node:crypto';
import { open, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { InputError } from '../core/errors.js';
import type { Warn } from '../core/result.js';
import { fsyncDir } from './atomic-write.js';
import { ifMissing } from './fs-errors.js';
import { linesBefore, LINE_KEEP, type RawLine } from './history-records.js';

/**
 * 'write': set bad rows aside, or warn when the quarantine file cannot be written (a reader
 * without write access); 'required': that failure is an error (a rewrite drops the rows);
 * 'off': warn only (a copy from another host, which is never written).
 */
export type QuarantineMode = 'write' | 'required' | 'off';

export const quarantinePath = (history: string): string => `${history}.quarantine.csv`;

const HEADER = 'key,quarantinedAt,file,line,reason,text\n';
/** Warnings per read told one by one; the rest are counted in one line. */
const TELL_MAX = 10;
/** Held rows are written (one fsync) once they reach this many bytes, and at the end of the read. */
const FLUSH_BYTES = 1 << 22;
const KEY = /^([0-9a-f]{16}),/gm;

interface Held {
  key: string;
  line: number;
  reason: string;
  text: Buffer;
}

const quoted = (s: string): string => `"${s.replaceAll('"', '""')}"`;
/** The original bytes in a quoted field (latin1 maps bytes to characters one to one). */
const quotedBytes = (b: Buffer): Buffer => Buffer.from(`"${b.toString('latin1').replaceAll('"', '""')}"`, 'latin1');

async function appendQuarantine(path: string, file: string, rows: Held[]): Promise<void> {
  let created = false;
  const at = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  const parts = rows.flatMap((r) => [
    Buffer.from(`${r.key},${at},${quoted(file)},${r.line},${quoted(r.reason)},`),
    quotedBytes(r.text),
    Buffer.from('\n'),
  ]);
  const fh = await open(path, 'a+', 0o640);
  try {
    const { size } = await fh.stat();
    created = size === 0;
    let lead = created ? HEADER : '';
    if (size > 0) {
      const last = Buffer.alloc(1);
      await fh.read(last, 0, 1, size - 1);
      if (last[0] !== 0x0a) lead = '\n'; // after a killed append: a fresh line
    }
    const data = Buffer.concat([Buffer.from(lead), ...parts]);
    await fh.write(data, 0, data.length);
    await fh.sync();
  } finally {
    await fh.close();
  }
  if (created) await fsyncDir(dirname(path));
}

/** What one read of a history CSV found wrong: told, counted and set aside. */
export class HistoryProblems {
  private held: Held[] = [];
  private heldBytes = 0;
  private known: Set<string> | null = null;
  private told = 0;
  private untold = 0;
  private lineBase: number | null;
  private readonly quarantine: string;

  constructor(
    private readonly file: string,
    private readonly start: number,
    private readonly warn: Warn | undefined,
    private readonly mode: QuarantineMode,
  ) {
    this.lineBase = start === 0 ? 1 : null;
    this.quarantine = quarantinePath(file);
  }

  /** The real line number, counted from the file's start even when the read began later. */
  async lineOf(l: RawLine): Promise<number> {
    this.lineBase ??= (await linesBefore(this.file, this.start)) + 1;
    return this.lineBase + l.index;
  }

  /** A row that cannot be read. Without a warning sink it is an InputError, as it always was. */
  async bad(lines: RawLine[], reason: string): Promise<void> {
    const line = await this.lineOf(lines[0] as RawLine);
    if (!this.warn) throw new InputError(this.file, line, reason);
    const where = `${this.file}:${line}: ${reason}`;
    if (!(lines.at(-1) as RawLine).ended) {
      this.tell(`${where}; the last line has no line end (an unfinished write?): skipped, the next collect repairs it`);
      return;
    }
    if (this.mode === 'off') {
      this.tell(`${where}; skipped`);
      return;
    }
    const text = Buffer.concat(lines.flatMap((l, i) => (i === 0 ? [l.bytes] : [Buffer.from('\n'), l.bytes])));
    const cut = lines.reduce((n, l) => n + l.dropped, 0);
    const key = createHash('sha256').update(`${line}\n`).update(text).update(String(cut)).digest('hex').slice(0, 16);
    const noted = cut > 0 ? `${reason}; text: its first ${LINE_KEEP} bytes` : reason;
    const known = await this.knownKeys();
    if (known?.has(key)) {
      this.tell(
        `${where}; skipped (set aside before in ${this.quarantine}; delete the line from the CSV to silence this)`,
      );
      return;
    }
    known?.add(key);
    this.held.push({ key, line, reason: noted, text });
    this.heldBytes += text.length + 200;
    this.tell(`${where}; set aside in ${this.quarantine}, the other rows are read`);
    if (this.heldBytes >= FLUSH_BYTES) await this.flush();
  }

  /** A row read back corrected (see sessionFromRecord). */
  async fixed(l: RawLine, reason: string): Promise<void> {
    this.tell(`${this.file}:${await this.lineOf(l)}: ${reason}`);
  }

  /** Writes what is held and sums up what was not told; call once the read ends, however it ends. */
  async close(): Promise<void> {
    await this.flush();
    if (this.untold > 0)
      this.warn?.(
        `${this.file}: ${this.untold} more problem(s) like the above (bad rows are set aside in ${this.quarantine})`,
      );
    this.untold = 0;
  }

  private tell(msg: string): void {
    if (this.told < TELL_MAX) {
      this.told++;
      this.warn?.(msg);
    } else this.untold++;
  }

  /** Keys of the rows set aside before; null when the file cannot be read (told once the rows cannot be written either). */
  private async knownKeys(): Promise<Set<string> | null> {
    if (this.known === null) {
      const text = await readFile(this.quarantine, 'latin1')
        .catch(ifMissing(''))
        .catch((e: unknown) => this.unwritable(e, null));
      if (text === null) return null;
      this.known = new Set([...text.matchAll(KEY)].map((m) => m[1] as string));
    }
    return this.known;
  }

  private async flush(): Promise<void> {
    if (this.held.length === 0) return;
    const rows = this.held;
    this.held = [];
    this.heldBytes = 0;
    await appendQuarantine(this.quarantine, this.file, rows).catch((e: unknown) => {
      this.unwritable(e, undefined);
      this.warn?.(
        `${this.quarantine}: could not set ${rows.length} bad row(s) aside (${(e as Error).message}); they stay in ${this.file} and are skipped`,
      );
    });
  }

  /** A file error from the quarantine file: fatal when a rewrite is to drop the rows, else `fallback`. */
  private unwritable<T>(e: unknown, fallback: T): T {
    if (this.mode === 'required' || typeof (e as NodeJS.ErrnoException).code !== 'string') throw e;
    return fallback;
  }
}
