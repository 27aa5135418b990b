/**
 * Issue 17: a history that can never lock itself up. Real CSV files on disk with bad lines
 * (garbage, stray quotes, bad values, wrong field counts, binary bytes, an end before its
 * start) are read with warnings naming the real line, the bad rows set aside once in the
 * quarantine file, and every good row read.
 */
import assert from 'node:assert/strict';
import { appendFile, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { InputError } from '../../src/core/errors.js';
import { GENESIS } from '../../src/core/chain.js';
import { HISTORY_COLUMNS, HISTORY_HEADER, sessionToRecord } from '../../src/core/history-rows.js';
import { sessionId, type Session } from '../../src/core/session.js';
import { quarantinePath } from '../../src/io/history-quarantine.js';
import {
  prepareHistoryEdit,
  readAllHistory,
  readHistoryHeader,
  rewriteHistory,
  scanHistory,
} from '../../src/io/history-store.js';
import { historyChunks } from '../../src/io/history-tail.js';
import { sampleSession } from '../helpers/sessions.js';
import { tempDir } from '../helpers/tmp.js';

function session(n: number, over: Partial<Session> = {}): Session {
  const connectedAt = `2026-11-26T1${n % 10}:00:00Z`;
  return sampleSession({
    id: sessionId('default', `user${n}`, connectedAt, '192.0.2.1', 40000 + n),
    instance: 'default',
    commonName: `user${n}`,
    user: `user${n}`,
    username: null,
    realPort: 40000 + n,
    connectedAt,
    lastSeenAt: `2026-11-26T1${n % 10}:30:00Z`,
    endedAt: `2026-11-26T1${n % 10}:30:00Z`,
    durationS: 1800,
    ...over,
  });
}

// These tests are about unreadable rows, not the chain: any 64 hex digits do as its value.
const rowText = (s: Session): string => stringify([[...sessionToRecord(s), GENESIS]]);
const withValue = (s: Session, column: string, value: string): string =>
  stringify([[...sessionToRecord(s).map((v, i) => (HISTORY_COLUMNS[i] === column ? value : v)), GENESIS]]);

interface QuarantineRow {
  key: string;
  quarantinedAt: string;
  file: string;
  line: string;
  reason: string;
  text: string;
}
const quarantined = async (history: string): Promise<QuarantineRow[]> =>
  parse(await readFile(quarantinePath(history)), { columns: true }) as QuarantineRow[];

async function collect<T>(it: AsyncIterable<T[]>): Promise<T[]> {
  const all: T[] = [];
  for await (const chunk of it) all.push(...chunk);
  return all;
}

/** Lines 2–3 and 7 good, then garbage of every kind, then good rows again; returns the good ones. */
async function damaged(path: string): Promise<{ good: Session[]; bad: Record<number, string> }> {
  const good = [
    session(0),
    session(1, { commonName: 'two\nlines', user: 'odd' }),
    session(2),
    session(3),
    session(4),
    session(5),
    session(6),
  ];
  await rewriteHistory(path, good.slice(0, 2)); // header line 1, rows on lines 2 and 3–4
  const bad: Record<number, string> = {
    5: 'hello world',
    6: '"an unclosed quote, then a good row',
    8: withValue(session(7), 'endedAt', 'later').trimEnd(),
    9: 'a,b,c',
    10: 'x"y,z',
    12: '\u0001\u0002 \uFFFD binary',
  };
  await appendFile(
    path,
    `${bad[5]}\n${bad[6]}\n${rowText(good[2] as Session)}${bad[8]}\n${bad[9]}\n${bad[10]}\n${rowText(good[3] as Session)}${bad[12]}\n\n`,
  );
  await appendFile(path, rowText(good[4] as Session) + rowText(good[5] as Session) + rowText(good[6] as Session));
  return { good, bad };
}

describe('a bad row is set aside, never a stop', () => {
  test('garbage in the middle: every good row is read, each bad one warned about by its real line and set aside once', async (t) => {
    const dir = await tempDir(t);
    const path = join(dir, 'h.csv');
    const { good, bad } = await damaged(path);
    const warnings: string[] = [];
    const read = await readAllHistory(path, { warn: (m) => warnings.push(m) });
    assert.deepEqual(read, good);
    const lines = Object.keys(bad).map(Number);
    assert.deepEqual(
      warnings.map((w) => Number(w.slice(path.length + 1).split(':')[0])),
      lines,
      warnings.join('\n'),
    );
    for (const w of warnings)
      assert.ok(w.startsWith(`${path}:`) && w.includes(`set aside in ${quarantinePath(path)}`), w);
    assert.match(warnings[2] as string, /:8: column endedAt: "later" is not an ISO UTC time/);
    assert.match(warnings[3] as string, /:9: has 3 field\(s\); the header has 24/);
    const q = await quarantined(path);
    assert.deepEqual(
      q.map((r) => [Number(r.line), r.text, r.file]),
      lines.map((l) => [l, bad[l], path]),
    );
    assert.ok(q.every((r) => /^[0-9a-f]{16}$/.test(r.key) && /^\d{4}-.*Z$/.test(r.quarantinedAt) && r.reason !== ''));

    // Read again (sessions, a full build): nothing is added to the quarantine, and it says why the rows are skipped.
    const before = await readFile(quarantinePath(path));
    const again: string[] = [];
    assert.deepEqual(await readAllHistory(path, { warn: (m) => again.push(m) }), good);
    assert.deepEqual(await readFile(quarantinePath(path)), before);
    assert.equal(again.length, lines.length);
    for (const w of again) assert.match(w, /skipped \(set aside before in /);
    assert.deepEqual(await scanHistory(path, new Set([good[6]!.id]), () => undefined), {
      rows: 7,
      found: new Set([good[6]!.id]),
    });
  });

  test('without a warning sink (strict) the first bad row is an InputError naming its real line', async (t) => {
    const dir = await tempDir(t);
    const path = join(dir, 'h.csv');
    await damaged(path);
    await assert.rejects(
      readAllHistory(path),
      (e: unknown) => e instanceof InputError && e.file === path && e.line === 5,
    );
  });

  test('a bad header is still an InputError naming file and line 1', async (t) => {
    const dir = await tempDir(t);
    const path = join(dir, 'h.csv');
    await writeFile(path, `"id,${HISTORY_HEADER.slice(1).join(',')}\n${rowText(session(1))}`);
    await assert.rejects(
      readHistoryHeader(path),
      (e: unknown) => e instanceof InputError && e.file === path && e.line === 1,
    );
    await assert.rejects(
      readAllHistory(path, { warn: () => undefined }),
      (e: unknown) => e instanceof InputError && e.line === 1,
    );
  });

  test('a row with an end before its start (older versions) is read as ending when it started, with a warning', async (t) => {
    const dir = await tempDir(t);
    const path = join(dir, 'h.csv');
    const s = session(1);
    await rewriteHistory(path, [session(0)]);
    await appendFile(
      path,
      withValue({ ...s, lastSeenAt: '2026-11-26T11:00:00Z', durationS: null }, 'endedAt', '2026-11-26T10:50:00Z'),
    );
    const warnings: string[] = [];
    const read = await readAllHistory(path, { warn: (m) => warnings.push(m) });
    assert.deepEqual(read[1], { ...s, endedAt: s.connectedAt, lastSeenAt: '2026-11-26T11:00:00Z', durationS: 0 });
    assert.deepEqual(warnings, [
      `${path}:3: column endedAt: 2026-11-26T10:50:00Z is before connectedAt ${s.connectedAt}; read as ending when it started (0 s)`,
    ]);
    await assert.rejects(stat(quarantinePath(path)), { code: 'ENOENT' });
  });

  test('a last line without its line end is skipped with a warning, not set aside (the collector repairs it)', async (t) => {
    const dir = await tempDir(t);
    const path = join(dir, 'h.csv');
    await rewriteHistory(path, [session(0)]);
    await appendFile(path, rowText(session(1)).slice(0, 40));
    const warnings: string[] = [];
    assert.deepEqual(await readAllHistory(path, { warn: (m) => warnings.push(m) }), [session(0)]);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] as string, /:3: .*no line end/);
    await assert.rejects(stat(quarantinePath(path)), { code: 'ENOENT' });
  });

  test('the builder\'s tail: a bad row names its real line (not "line 1"), is set aside, and an unfinished last line is left for later', async (t) => {
    const dir = await tempDir(t);
    const path = join(dir, 'h.csv');
    const first = [session(0), session(1), session(2), session(3)];
    const built = await rewriteHistory(path, first); // lines 1–5
    await appendFile(path, `garbage after the last build\n${rowText(session(4))}`); // lines 6, 7
    const full = (await stat(path)).size;
    await appendFile(path, rowText(session(5)).slice(0, 30)); // line 8, unfinished
    const warnings: string[] = [];
    const tail = await historyChunks(path, built, 100, Number.POSITIVE_INFINITY, { warn: (m) => warnings.push(m) });
    assert.equal(tail.size, full, 'the next build starts at the unfinished line');
    assert.deepEqual(await collect(tail.chunks), [session(4)]);
    assert.deepEqual(warnings, [
      `${path}:6: has 1 field(s); the header has 24; set aside in ${quarantinePath(path)}, the other rows are read`,
    ]);
    assert.deepEqual(
      (await quarantined(path)).map((r) => [r.line, r.text]),
      [['6', 'garbage after the last build']],
    );
    // The next build reads from there: the line set aside is not read again.
    await appendFile(path, rowText(session(5)).slice(30));
    const next = await historyChunks(path, tail.size, 100, Number.POSITIVE_INFINITY, { warn: (m) => warnings.push(m) });
    assert.deepEqual(await collect(next.chunks), [session(5)]);
    assert.equal(warnings.length, 1);
  });

  test("the builder's start no longer at a line start (a hand edit before it): the whole file is read again, with a warning", async (t) => {
    const dir = await tempDir(t);
    const path = join(dir, 'h.csv');
    const all = [session(0), session(1), session(2)];
    const built = await rewriteHistory(path, all);
    const text = await readFile(path, 'utf8');
    const cut = text.indexOf('\n') + 1;
    await writeFile(path, `${text.slice(0, cut)}xx\n${text.slice(cut)}`); // 3 bytes in before `built`
    const warnings: string[] = [];
    const tail = await historyChunks(path, built, 100, Number.POSITIVE_INFINITY, { warn: (m) => warnings.push(m) });
    assert.deepEqual(await collect(tail.chunks), all);
    assert.match(warnings[0] as string, /is no longer a line start .*reading the whole file/);
    assert.match(warnings[1] as string, /:2: has 1 field/);
  });

  test('a rewrite (delete, restore, retention) leaves bad rows out only after setting them aside, and fails if it cannot', async (t) => {
    const dir = await tempDir(t);
    const path = join(dir, 'h.csv');
    const { good } = await damaged(path);
    const damagedText = await readFile(path);
    // The quarantine file cannot be written: the edit fails and the CSV stays as it was.
    await mkdir(quarantinePath(path));
    await assert.rejects(
      prepareHistoryEdit(path, { drop: (s) => s.id === good[0]!.id }, () => undefined),
      { code: 'EISDIR' },
    );
    assert.deepEqual(await readFile(path), damagedText);
    // A plain read goes on and says the rows could not be set aside.
    const warnings: string[] = [];
    assert.deepEqual(await readAllHistory(path, { warn: (m) => warnings.push(m) }), good);
    assert.match(warnings.at(-1) as string, /could not set 6 bad row\(s\) aside .*they stay in .* and are skipped/);

    await rm(quarantinePath(path), { recursive: true });
    const edit = await prepareHistoryEdit(path, { drop: (s) => s.id === good[0]!.id }, () => undefined);
    await edit.commit();
    assert.deepEqual(
      await readAllHistory(path),
      good.slice(1),
      'the new CSV holds only good rows (a strict read passes)',
    );
    assert.equal((await quarantined(path)).length, 6);
  });

  test('50,000 lines of garbage: bounded warnings, every good row read', async (t) => {
    const dir = await tempDir(t);
    const path = join(dir, 'h.csv');
    await rewriteHistory(path, [session(0)]);
    const junk: string[] = [];
    for (let i = 0; i < 50_000; i++) junk.push(i % 7 === 0 ? `"quote ${i}` : `junk ${i},${'x'.repeat(i % 50)}`);
    await appendFile(path, `${junk.join('\n')}\n${'y'.repeat(200_000)}\n${rowText(session(1))}`);
    const warnings: string[] = [];
    assert.deepEqual(await readAllHistory(path, { warn: (m) => warnings.push(m) }), [session(0), session(1)]);
    assert.equal(warnings.length, 11);
    assert.match(warnings[10] as string, /: 49991 more problem\(s\) like the above/);
    const q = await quarantined(path);
    assert.equal(q.length, 50_001);
    assert.equal(q.at(-1)?.text.length, 65536, 'a huge line is kept in part');
    assert.match(q.at(-1)?.reason ?? '', /longer than 65536 bytes \(200000\)/);
  });
});
