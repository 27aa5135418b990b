import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isoFromMs } from '../../src/core/time.js';
import { ROOT_ROWS } from '../../src/render/pages.js';
import { RECENT_SESSIONS, snapshotFiles } from '../../src/render/snapshots.js';
import { sampleSession } from '../helpers/sessions.js';

const NOW = '2026-11-26T17:00:00Z';

describe('snapshotFiles', () => {
  test(`history-recent.json keeps the newest RECENT_SESSIONS (${RECENT_SESSIONS}) sessions, more than the dashboard's ${ROOT_ROWS} rows`, () => {
    assert.ok(RECENT_SESSIONS > ROOT_ROWS);
    // Oldest first on purpose: the file sorts them.
    const recent = Array.from({ length: RECENT_SESSIONS + 30 }, (_, i) => {
      const at = isoFromMs(Date.parse('2026-11-26T08:00:00Z') + i * 60_000);
      return sampleSession({ id: `s${i}`, connectedAt: at, lastSeenAt: at, endedAt: at, durationS: 0 });
    });
    const files = snapshotFiles({ now: NOW, timeZone: 'UTC', aliases: {}, live: [], recent, series: [], days: [] });
    const file = files.find((f) => f.path === 'data/history-recent.json');
    assert.ok(file, 'data/history-recent.json is written');
    const ids = (JSON.parse(file.content) as { sessions: { id: string }[] }).sessions.map((s) => s.id);
    assert.deepEqual(
      ids,
      Array.from({ length: RECENT_SESSIONS }, (_, k) => `s${RECENT_SESSIONS + 29 - k}`),
    );
  });
});
