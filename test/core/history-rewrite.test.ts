import assert from 'node:assert/strict';
import { test } from 'node:test';
import { recordRewrite, REWRITE_ROWS_MAX, REWRITES_KEPT, rewritesSince } from '../../src/core/history-rewrite.js';
import { emptyState } from '../../src/core/reconcile.js';
import type { Session } from '../../src/core/session.js';
import { sampleSession } from '../helpers/sessions.js';

const s1 = sampleSession({ commonName: 'alice' });
const s2 = sampleSession({ commonName: 'bob' });

test('recordRewrite bumps the generation, sets the CSV size and journals the rows', () => {
  const state = { ...emptyState(), historyBytes: 500 };
  const next = recordRewrite(state, { bytesBefore: 500, bytesAfter: 300, removed: [s1], added: [s2] });
  assert.equal(next.historyGeneration, 1);
  assert.equal(next.historyBytes, 300);
  assert.deepEqual(next.rewrites, [
    {
      generation: 1,
      bytesBefore: 500,
      bytesAfter: 300,
      removed: [{ id: s1.id, connectedAt: s1.connectedAt, user: s1.user }],
      added: [s2],
    },
  ]);
  assert.deepEqual(state.rewrites, [], 'the input state is unchanged');
});

test('a rewrite of more rows than can be listed is journaled without them', () => {
  const many: Session[] = Array.from({ length: REWRITE_ROWS_MAX + 1 }, () => s1);
  const next = recordRewrite(emptyState(), { bytesBefore: 0, bytesAfter: 0, removed: many, added: [] });
  assert.equal(next.rewrites[0]?.removed, null);
  assert.equal(rewritesSince(next, { generation: 0, csvBytes: 0 }), null, 'so the next build is a full one');
});

test('rewritesSince chains rewrites from what the build read, or gives up', () => {
  let state = { ...emptyState(), historyBytes: 100 };
  state = recordRewrite(state, { bytesBefore: 100, bytesAfter: 80, removed: [s1], added: [] });
  state = recordRewrite(state, { bytesBefore: 80, bytesAfter: 100, removed: [], added: [s1] });
  assert.deepEqual(rewritesSince(state, { generation: 2, csvBytes: 100 }), [], 'up to date');
  assert.deepEqual(
    rewritesSince(state, { generation: 0, csvBytes: 100 })?.map((r) => r.generation),
    [1, 2],
  );
  assert.deepEqual(
    rewritesSince(state, { generation: 1, csvBytes: 80 })?.map((r) => r.generation),
    [2],
  );
  // The build had not read rows appended before the first rewrite: their place in the new file is unknown.
  assert.equal(rewritesSince(state, { generation: 0, csvBytes: 90 }), null);
  // Rows appended between two rewrites: the same.
  const gap = { ...state, rewrites: state.rewrites.map((r) => (r.generation === 2 ? { ...r, bytesBefore: 95 } : r)) };
  assert.equal(rewritesSince(gap, { generation: 0, csvBytes: 100 }), null);
  // Older than the journal reaches.
  let long = state;
  for (let i = 0; i < REWRITES_KEPT; i++)
    long = recordRewrite(long, { bytesBefore: 100, bytesAfter: 100, removed: [], added: [] });
  assert.equal(long.rewrites.length, REWRITES_KEPT);
  assert.equal(rewritesSince(long, { generation: 0, csvBytes: 100 }), null);
  assert.equal(rewritesSince(long, { generation: long.historyGeneration - 1, csvBytes: 100 })?.length, 1);
});
