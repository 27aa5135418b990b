/**
 * A change the endpoint made but could not publish: the history holds it, the rebuild that
 * would rewrite the site failed. The answer must say so (not "ok", not a bare internal
 * error), so that nobody takes the deleted rows still on the pages for a failed delete.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildLocked } from '../../src/app/build.js';
import { readAllHistory } from '../../src/io/history-store.js';
import { readAudit, trashPaths } from '../../src/io/trash.js';
import { memoryLog, send, siteSettings, startApi } from '../helpers/api.js';
import { T0, writeSyntheticSite } from '../helpers/site.js';
import { tempDir } from '../helpers/tmp.js';

test('a delete whose rebuild fails answers that it is in the history but not yet published', async (t) => {
  const dir = await tempDir(t);
  const site = await writeSyntheticSite(dir, { sessions: 8, users: 2, spanDays: 1, live: 1 });
  const settings = siteSettings(site.paths);
  const log = memoryLog();
  await buildLocked(settings, T0, log);
  let builds = 0;
  const api = await startApi(t, {
    settings,
    log,
    passwd: null,
    ops: {
      now: () => T0,
      // The build before the change runs; the one after it (which publishes it) fails.
      rebuild: async (s, now, l) => {
        if (++builds === 2) throw new Error('ENOSPC: no space left on device, write');
        return buildLocked(s, now, l);
      },
    },
  });
  const id = site.history[0]!.id;
  const r = await send(api.port, {
    method: 'POST',
    path: '/api/sessions/delete',
    headers: { 'Content-Type': 'application/json', Origin: api.origin },
    body: { ids: [id] },
  });
  assert.equal(r.status, 500, r.text);
  assert.equal(r.json?.applied, true, r.text);
  assert.equal(r.json?.published, false, r.text);
  assert.deepEqual(r.json?.ids, [id]);
  assert.match(
    String(r.json?.error),
    /^deleted 1 session\(s\) from the history, but the site could not be rebuilt: the pages and files show them until a run succeeds/,
  );
  assert.ok(!(await readAllHistory(site.paths.history)).some((s) => s.id === id), 'the change itself is kept');
  assert.deepEqual(
    (await readAudit(trashPaths(site.paths.history).audit)).map((a) => [a.action, a.ids]),
    [['delete', [id]]],
  );
  assert.match(
    log.lines.join('\n'),
    /warning: delete: 1 session\(s\) changed in the history, but the rebuild failed: Error: ENOSPC/,
  );
});
