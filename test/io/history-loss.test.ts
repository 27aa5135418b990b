/**
 * Issue 17, item 5: no silent or misleading loss. A history cut below what the state records
 * as committed, a state file that was deleted, a state entry of the wrong shape: each is
 * said, naming the file, on real files on disk.
 */
import assert from 'node:assert/strict';
import { readFile, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { InputError } from '../../src/core/errors.js';
import { emptyState, type CollectorState, type TrackedSession } from '../../src/core/reconcile.js';
import { sessionId, type Session } from '../../src/core/session.js';
import {
  historyPaths,
  readState,
  recoverHistory,
  rewriteHistory,
  type Recovery,
  writeState,
} from '../../src/io/history-store.js';
import { sampleSession } from '../helpers/sessions.js';
import { tempDir } from '../helpers/tmp.js';

/** recoverHistory with the warnings it gives kept, for assertions. */
async function recover(path: string, state: CollectorState, now: string): Promise<Recovery & { notes: string[] }> {
  const notes: string[] = [];
  const r = await recoverHistory(path, state, now, (m) => notes.push(m));
  return { ...r, notes };
}

const NOW = '2026-11-27T08:00:00Z';

function session(n: number): Session {
  const connectedAt = `2026-11-26T1${n}:00:00Z`;
  return sampleSession({
    id: sessionId('default', `user${n}`, connectedAt, '192.0.2.1', 40000 + n),
    commonName: `user${n}`,
    user: `user${n}`,
    connectedAt,
  });
}

const tracked = (s: Session): TrackedSession => ({
  ...s,
  endedAt: null,
  durationS: null,
  endReason: null,
  missingSince: null,
});

describe('loss is said, never silent', () => {
  test('a history cut below its committed size says how many committed bytes are gone, not only "torn last line"', async (t) => {
    const dir = await tempDir(t);
    const path = join(dir, 'h.csv');
    const bytes = await rewriteHistory(path, [1, 2, 3, 4].map(session));
    const state: CollectorState = { ...emptyState(), historyBytes: bytes };
    const text = await readFile(path, 'utf8');
    const cut = text.indexOf('\n', text.indexOf('\n') + 1) + 40; // in the middle of the second row
    await truncate(path, cut);
    const r = await recover(path, state, NOW);
    assert.match(
      r.notes[0] as string,
      new RegExp(
        `h\\.csv: the file has shrunk to ${cut} bytes, ${bytes - cut} bytes below the ${bytes} bytes the state records as committed: committed rows are gone`,
      ),
    );
    assert.match(r.notes.join('\n'), /torn last line/);
    assert.equal(r.state.historyBytes, text.indexOf('\n', text.indexOf('\n') + 1) + 1);
    // Cut at a line end: no torn line, and the loss is still said.
    const again = await rewriteHistory(path, [1, 2, 3, 4].map(session));
    await truncate(path, text.indexOf('\n') + 1);
    const r2 = await recover(path, { ...emptyState(), historyBytes: again }, NOW);
    assert.equal(r2.notes.length, 1);
    assert.match(r2.notes[0] as string, /shrunk to \d+ bytes, \d+ bytes below/);
  });

  test('a history with rows but no state file: the lost state is said once, naming it', async (t) => {
    const dir = await tempDir(t);
    const path = join(dir, 'h.csv');
    const paths = historyPaths(path);
    await rewriteHistory(path, [1, 2, 3].map(session));
    const r = await recover(path, await readState(paths.state), NOW);
    assert.equal(r.notes.length, 1);
    assert.match(
      r.notes[0] as string,
      new RegExp(
        `^${paths.state.replaceAll('.', '\\.')}: the collector state is missing while .*h\\.csv holds 3 session\\(s\\): sessions that were open or held`,
      ),
    );
    // Once a state is written (the collector does), nothing more is said.
    await writeState(paths.state, r.state);
    assert.deepEqual((await recover(path, await readState(paths.state), NOW)).notes, []);
    // A state at 0 bytes that exists (a rewrite in progress) is not a lost one.
    await writeState(paths.state, { ...r.state, historyBytes: 0 });
    assert.doesNotMatch((await recover(path, await readState(paths.state), NOW)).notes.join('\n'), /missing/);
  });

  test('a state entry of the wrong shape is an InputError naming the state file and the entry', async (t) => {
    const dir = await tempDir(t);
    const path = join(dir, 'h.csv.state.json');
    const good: CollectorState = {
      ...emptyState(),
      historyBytes: 10,
      instances: { default: { lastUpdatedAt: NOW } },
      tracked: [tracked(session(1)), tracked(session(2))],
      recentlyClosed: { abc: NOW },
      hookSpool: { seq: 1, parts: { 'p-1': { offset: 0, seenAt: NOW } } },
    };
    await writeState(path, good);
    assert.deepEqual(await readState(path), good);
    const cases: [string, (s: Record<string, unknown>) => unknown, RegExp][] = [
      [
        'tracked[1].connectedAt',
        (s) => ((s.tracked as Record<string, unknown>[])[1]!.connectedAt = 5),
        /tracked\[1\]\.connectedAt is not an ISO UTC time/,
      ],
      [
        'tracked[0].realPort',
        (s) => ((s.tracked as Record<string, unknown>[])[0]!.realPort = '42001'),
        /tracked\[0\]\.realPort is not a whole number ≥ 0 or null/,
      ],
      ['tracked[0].id', (s) => delete (s.tracked as Record<string, unknown>[])[0]!.id, /tracked\[0\]\.id is missing/],
      ['tracked[0]', (s) => ((s.tracked as unknown[])[0] = 'x'), /tracked\[0\] is not an object/],
      ['tracked', (s) => (s.tracked = {}), /tracked is not a list/],
      ['instances', (s) => (s.instances = { default: 3 }), /instances\["default"\] is not an object/],
      ['historyBytes', (s) => (s.historyBytes = -1), /historyBytes is not a whole number/],
      ['recentlyClosed', (s) => (s.recentlyClosed = { abc: 7 }), /recentlyClosed\["abc"\] is not an ISO UTC time/],
      [
        'hookSpool',
        (s) => ((s.hookSpool as { parts: unknown }).parts = { 'p-1': { offset: 'x', seenAt: NOW } }),
        /hookSpool\.parts\["p-1"\]\.offset is not a whole number/,
      ],
      [
        'rewrites',
        (s) => (s.rewrites = [{ generation: 1, bytesBefore: 1, bytesAfter: 2, removed: [{ id: 'a' }], added: null }]),
        /rewrites\[0\]\.removed\[0\]\.connectedAt is missing/,
      ],
    ];
    for (const [what, damage, re] of cases) {
      const data = JSON.parse(JSON.stringify(good)) as Record<string, unknown>;
      damage(data);
      await writeFile(path, JSON.stringify(data));
      await assert.rejects(readState(path), (e: unknown) => {
        assert.ok(e instanceof InputError, `${what}: ${String(e)}`);
        assert.equal(e.file, path);
        assert.match(e.message, re, what);
        assert.match(e.message, /restore it from a backup; removing it starts afresh but loses the open sessions/);
        return true;
      });
    }
    // A state written before the hooks (no endExact, no hookSpool) still reads.
    const old = JSON.parse(JSON.stringify({ ...good, hookSpool: undefined })) as CollectorState;
    for (const s of old.tracked) delete (s as Partial<TrackedSession>).endExact;
    await writeFile(path, JSON.stringify(old));
    assert.deepEqual((await readState(path)).tracked, good.tracked);
  });
});
