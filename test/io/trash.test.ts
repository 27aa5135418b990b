/** Trash and audit log (src/io/trash.ts) and the streamed history edits of src/io/history-store.ts, on real files. */
import assert from 'node:assert/strict';
import { appendFile, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { GENESIS, sha256Hex } from '../../src/core/chain.js';
import { InputError } from '../../src/core/errors.js';
import { sessionId, type Session } from '../../src/core/session.js';
import { prepareHistoryEdit, readAllHistory, rewriteHistory, scanHistory } from '../../src/io/history-store.js';
import {
  appendAudit,
  appendTrash,
  openTrashWriter,
  readAudit,
  readTrash,
  removeFromTrash,
  trashPaths,
  type TrashEntry,
} from '../../src/io/trash.js';
import { sampleSession } from '../helpers/sessions.js';
import { listDir, tempDir } from '../helpers/tmp.js';

/** Session i, ended at minute i (so a list in index order is in end order). */
function session(i: number, over: Partial<Session> = {}): Session {
  const connectedAt = `2026-11-26T10:${String(i).padStart(2, '0')}:00Z`;
  const endedAt = `2026-11-26T11:${String(i).padStart(2, '0')}:00Z`;
  return sampleSession({
    id: sessionId('udp', `cn${i}`, connectedAt, '127.0.0.1', 1000 + i),
    commonName: `cn${i}`,
    user: `u${i % 3}`,
    connectedAt,
    endedAt,
    lastSeenAt: endedAt,
    durationS: 3600,
    ...over,
  });
}

const entry = (s: Session, by: string | null = 'alice'): TrashEntry => ({
  deletedAt: '2026-11-27T08:00:00Z',
  deletedBy: by,
  session: s,
});

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('trash', () => {
  test('entries go in and come back exactly; removeFromTrash takes out the given ids', async (t) => {
    const dir = await tempDir(t);
    const { trash } = trashPaths(join(dir, 'h.csv'));
    assert.equal(trash, join(dir, 'h.csv.trash.jsonl'));
    assert.deepEqual(await collect(readTrash(trash)), [], 'no trash yet');
    const hostile = session(3, {
      commonName: 'a,"b"\nc',
      user: '=1+2',
      username: null,
      protocol: null,
      bytesReceived: null,
      bytesSent: null,
      source: 'legacy',
    });
    await appendTrash(trash, [entry(session(1)), entry(session(2), null)]);
    await appendTrash(trash, [entry(hostile)]);
    assert.equal((await stat(trash)).mode & 0o777, 0o600, 'deleted rows are not for everybody');
    assert.deepEqual(await collect(readTrash(trash)), [entry(session(1)), entry(session(2), null), entry(hostile)]);
    assert.equal(await removeFromTrash(trash, new Set([session(2).id, 'unknown'])), 1);
    assert.deepEqual(await collect(readTrash(trash)), [entry(session(1)), entry(hostile)]);
    assert.equal(await removeFromTrash(trash, new Set(['unknown'])), 0);
    assert.deepEqual(await listDir(dir), ['h.csv.trash.jsonl'], 'no temp file left');
  });

  test('a torn last line (a crash mid-append) is skipped, and cut by the next append', async (t) => {
    const dir = await tempDir(t);
    const { trash } = trashPaths(join(dir, 'h.csv'));
    await appendTrash(trash, [entry(session(1))]);
    const whole = JSON.stringify(entry(session(2)));
    await appendFile(trash, whole.slice(0, 40));
    assert.deepEqual(await collect(readTrash(trash)), [entry(session(1))]);
    await appendTrash(trash, [entry(session(3))]);
    assert.deepEqual(await collect(readTrash(trash)), [entry(session(1)), entry(session(3))]);
    // A whole entry that only lacks its newline is kept.
    await appendFile(trash, whole);
    assert.equal((await collect(readTrash(trash))).length, 3);
    await appendTrash(trash, [entry(session(4))]);
    assert.deepEqual(
      (await collect(readTrash(trash))).map((e) => e.session.id),
      [1, 3, 2, 4].map((i) => session(i).id),
    );
  });

  test('the country comes back with the session; an entry deleted before countries has none (null)', async (t) => {
    const dir = await tempDir(t);
    const { trash } = trashPaths(join(dir, 'h.csv'));
    const { country: _c, ...before } = session(1);
    await writeFile(trash, `${JSON.stringify({ ...entry(session(1)), session: before })}\n`);
    await appendTrash(trash, [entry(session(2, { country: 'NL' }))]);
    assert.deepEqual(
      (await collect(readTrash(trash))).map((e) => e.session.country),
      [null, 'NL'],
    );
    await writeFile(trash, `${JSON.stringify(entry(session(3, { country: 'nl' })))}\n`);
    await assert.rejects(
      collect(readTrash(trash)),
      (e: unknown) => e instanceof InputError && /column country/.test(e.message),
    );
  });

  test('a bad line in the middle is an error naming the line; so is an entry that is not a session', async (t) => {
    const dir = await tempDir(t);
    const { trash } = trashPaths(join(dir, 'h.csv'));
    await writeFile(trash, `${JSON.stringify(entry(session(1)))}\nnot json\n${JSON.stringify(entry(session(2)))}\n`);
    await assert.rejects(collect(readTrash(trash)), (e: unknown) => e instanceof InputError && e.line === 2);
    const noEnd = { ...entry(session(1)), session: { ...session(1), endedAt: null } };
    await writeFile(trash, `${JSON.stringify(noEnd)}\n`);
    await assert.rejects(
      collect(readTrash(trash)),
      (e: unknown) => e instanceof InputError && /no end/.test(e.message),
    );
    const { id: _id, ...noId } = session(1);
    await writeFile(trash, `${JSON.stringify({ ...entry(session(1)), session: noId })}\n`);
    await assert.rejects(
      collect(readTrash(trash)),
      (e: unknown) => e instanceof InputError && /session\.id/.test(e.message),
    );
  });

  test('openTrashWriter appends many entries in batches', async (t) => {
    const dir = await tempDir(t);
    const { trash } = trashPaths(join(dir, 'h.csv'));
    await appendTrash(trash, [entry(session(0))]);
    const w = await openTrashWriter(trash);
    for (let i = 1; i < 60; i++) await w.add(entry(session(i)));
    await w.close();
    const ids = (await collect(readTrash(trash))).map((e) => e.session.id);
    assert.deepEqual(
      ids,
      Array.from({ length: 60 }, (_, i) => session(i).id),
    );
  });
});

describe('audit log', () => {
  test('one JSON line per change, appended', async (t) => {
    const dir = await tempDir(t);
    const { audit } = trashPaths(join(dir, 'h.csv'));
    const a = {
      at: '2026-11-27T08:00:00Z',
      action: 'delete' as const,
      user: 'alice',
      client: '203.0.113.9',
      ids: ['a', 'b'],
      count: 2,
    };
    const b = {
      at: '2026-11-27T08:01:00Z',
      action: 'clear' as const,
      user: null,
      client: '127.0.0.1',
      ids: ['c'],
      count: 70_000,
      idsOmitted: 69_999,
    };
    const headA = await appendAudit(audit, a);
    const headB = await appendAudit(audit, b);
    const lines = (await readFile(audit, 'utf8')).split('\n');
    assert.equal(headA, sha256Hex(lines[0] as string));
    assert.equal(headB, sha256Hex(lines[1] as string));
    // Each entry names the hash of the one before (the first: of every byte before it, none).
    assert.deepEqual(await readAudit(audit), [
      { ...a, prev: sha256Hex('') },
      { ...b, prev: headA },
    ]);
    assert.equal((await readFile(audit, 'utf8')).split('\n').length, 3, 'two lines and the final newline');
  });
});

describe('history edits', () => {
  test('scanHistory counts rows and finds ids', async (t) => {
    const path = join(await tempDir(t), 'h.csv');
    assert.deepEqual(await scanHistory(path, new Set(['x'])), { rows: 0, found: new Set() }, 'no file');
    await rewriteHistory(path, [session(1), session(2), session(3)]);
    assert.deepEqual(await scanHistory(path, new Set([session(2).id, 'x'])), {
      rows: 3,
      found: new Set([session(2).id]),
    });
  });

  test('drop then insert gives back the same bytes; nothing changes before commit', async (t) => {
    const dir = await tempDir(t);
    const path = join(dir, 'h.csv');
    const all = Array.from({ length: 12 }, (_, i) => session(i));
    await rewriteHistory(path, all);
    const original = await readFile(path);
    const drop = new Set([all[0]!.id, all[5]!.id, all[11]!.id]);
    const edit = await prepareHistoryEdit(path, { drop: (s) => drop.has(s.id) });
    assert.deepEqual(
      edit.removed.map((s) => s.id),
      [all[0]!.id, all[5]!.id, all[11]!.id],
    );
    assert.deepEqual(await readFile(path), original, 'the CSV is untouched until commit');
    await edit.commit();
    assert.equal((await stat(path)).size, edit.bytes);
    assert.deepEqual(
      (await readAllHistory(path)).map((s) => s.id),
      all.filter((s) => !drop.has(s.id)).map((s) => s.id),
    );
    // Back where they were, each after the row it followed ('' = first), keeping its chain value.
    const after = new Map(edit.removedRows.map((r) => [r.prev === GENESIS ? '' : r.prev, [r]]));
    const back = await prepareHistoryEdit(path, { insertAfter: after });
    await back.commit();
    assert.deepEqual(await readFile(path), original, 'byte-identical after the round trip');
    assert.deepEqual(await listDir(dir), ['h.csv'], 'no temp file left');
  });

  test('abort leaves the CSV and removes the temp file', async (t) => {
    const dir = await tempDir(t);
    const path = join(dir, 'h.csv');
    await rewriteHistory(path, [session(1), session(2)]);
    const original = await readFile(path);
    const edit = await prepareHistoryEdit(path, { drop: () => true });
    assert.equal(edit.removed.length, 2);
    await edit.abort();
    await edit.abort();
    assert.deepEqual(await readFile(path), original);
    assert.deepEqual(await listDir(dir), ['h.csv']);
    await assert.rejects(edit.commit(), /already committed or aborted/);
  });

  test('a large history is streamed: rows past the flush size survive intact', async (t) => {
    const path = join(await tempDir(t), 'h.csv');
    const all = Array.from({ length: 3000 }, (_, i) =>
      session(i % 60, {
        id: `id${i}`,
        endedAt: `2026-11-26T12:00:${String(i % 60).padStart(2, '0')}Z`,
        lastSeenAt: '2026-11-26T12:00:00Z',
      }),
    ).sort((a, b) => (a.endedAt! < b.endedAt! ? -1 : a.endedAt! > b.endedAt! ? 1 : 0));
    await rewriteHistory(path, all);
    const edit = await prepareHistoryEdit(path, { drop: (s) => s.id === 'id1500' });
    await edit.commit();
    const after = await readAllHistory(path);
    assert.equal(after.length, 2999);
    assert.ok(!after.some((s) => s.id === 'id1500'), 'the dropped row is gone');
  });
});
