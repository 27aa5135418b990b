/** What a delete, clear or restore may touch (src/core/deletion.ts), and the endpoint's config keys. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  CLEAR_CONFIRMATION,
  listIds,
  type Checked,
  type Refusal,
  MAX_IDS,
  REASON_MAX,
  parseClearBody,
  parseIdsBody,
  parseReason,
  planClear,
  planDelete,
  planRestore,
} from '../../src/core/deletion.js';
import { UsageError } from '../../src/core/errors.js';
import type { TrackedSession } from '../../src/core/reconcile.js';
import { isOrigin, resolveSettings, validateConfig } from '../../src/core/settings.js';
import { sampleSession } from '../helpers/sessions.js';

const live = (id: string): TrackedSession => ({
  ...sampleSession({ id, endedAt: null, endReason: null, durationS: null }),
  missingSince: null,
});
const held = (id: string): TrackedSession => ({
  ...sampleSession({ id, endReason: 'server-stopped' }),
  missingSince: null,
});

function refused<T>(r: Checked<T>, status: number, re: RegExp): Partial<Refusal> {
  assert.equal(r.ok, false, `expected a refusal with ${status}`);
  if (r.ok) return {};
  assert.equal(r.error.status, status, r.error.message);
  assert.match(r.error.message, re);
  return r.error;
}

describe('parseIdsBody', () => {
  test('a list of ids, duplicates dropped, order kept', () => {
    assert.deepEqual(parseIdsBody({ ids: ['b1', 'a2', 'b1'] }), { ok: true, value: ['b1', 'a2'] });
  });

  test('refuses everything else with 400, naming the problem', () => {
    refused(parseIdsBody(null), 400, /JSON object/);
    refused(parseIdsBody([]), 400, /JSON object/);
    refused(parseIdsBody('ids'), 400, /JSON object/);
    refused(parseIdsBody({}), 400, /list of session ids/);
    refused(parseIdsBody({ ids: 'abc' }), 400, /list/);
    refused(parseIdsBody({ ids: [] }), 400, /empty/);
    refused(parseIdsBody({ ids: ['a'], extra: 1 }), 400, /unexpected field\(s\): extra/);
    refused(parseIdsBody({ ids: Array.from({ length: MAX_IDS + 1 }, (_, i) => `x${i}`) }), 400, /at most/);
    for (const bad of [
      '../state.json',
      'a/b',
      'a\\b',
      '',
      'x'.repeat(65),
      'a b',
      '<script>',
      'a\u0000',
      7,
      null,
      { id: 'a' },
    ]) {
      refused(parseIdsBody({ ids: [bad] }), 400, /not a session id/);
    }
  });
});

describe('parseClearBody', () => {
  test('needs the confirmation text and a whole expected count', () => {
    assert.deepEqual(parseClearBody({ confirm: CLEAR_CONFIRMATION, expectedCount: 12 }), {
      ok: true,
      value: { expectedCount: 12 },
    });
    assert.deepEqual(parseClearBody({ confirm: 'DELETE ALL', expectedCount: 0 }), {
      ok: true,
      value: { expectedCount: 0 },
    });
    refused(parseClearBody({}), 400, /"confirm" must be "DELETE ALL"/);
    refused(parseClearBody({ confirm: 'delete all', expectedCount: 1 }), 400, /confirm/);
    refused(parseClearBody({ confirm: 'DELETE ALL' }), 400, /expectedCount/);
    for (const n of [-1, 1.5, '3', null, Number.MAX_SAFE_INTEGER + 1])
      refused(parseClearBody({ confirm: 'DELETE ALL', expectedCount: n }), 400, /expectedCount/);
    refused(parseClearBody({ confirm: 'DELETE ALL', expectedCount: 1, ids: [] }), 400, /unexpected/);
    refused(parseClearBody(null), 400, /JSON object/);
  });
});

describe('planDelete', () => {
  const history = new Set(['a1', 'a2', 'a3']);

  test('rows of the CSV can be deleted', () => {
    assert.deepEqual(planDelete(['a1', 'a3'], history, [live('l1')]), { ok: true, value: ['a1', 'a3'] });
  });

  test('an unknown id refuses the whole request with 404, naming it', () => {
    const r = refused(
      planDelete(['a1', 'zz', 'yy'], history, []),
      404,
      /no such session in the history: zz, yy; nothing was deleted/,
    );
    assert.deepEqual(r.ids, ['zz', 'yy']);
  });

  test('a live session is refused with 409 saying it would reappear', () => {
    const r = refused(
      planDelete(['a1', 'l1'], history, [live('l1')]),
      409,
      /still connected: l1 \(it would reappear on the next run/,
    );
    assert.deepEqual(r.ids, ['l1']);
  });

  test('a session held as server-stopped (not yet in the CSV) is refused with 409 too', () => {
    refused(planDelete(['h1'], history, [held('h1')]), 409, /stopped server and not yet written/);
  });

  test('unknown ids are reported before open ones', () => {
    refused(planDelete(['l1', 'nope'], history, [live('l1')]), 404, /nope/);
  });
});

describe('planClear', () => {
  test('only when the expected count is exactly what the history holds', () => {
    assert.deepEqual(planClear(5, 5), { ok: true, value: 5 });
    const r = refused(planClear(4, 5), 409, /holds 5 ended session\(s\), not 4; nothing was deleted/);
    assert.equal(r.count, 5);
  });
});

describe('planRestore', () => {
  test('trash entries go back; ones already in the CSV are only taken out of the trash', () => {
    assert.deepEqual(planRestore(['t1', 't2'], new Set(['t1', 't2']), new Set(['t2']), []), {
      ok: true,
      value: { insert: ['t1'], present: ['t2'] },
    });
  });

  test('an id not in the trash: 404; tracked again: 409', () => {
    refused(planRestore(['t1', 'x'], new Set(['t1']), new Set(), []), 404, /not in the trash: x; nothing was restored/);
    refused(
      planRestore(['t1'], new Set(['t1']), new Set(), [live('t1')]),
      409,
      /tracks a session with this id again: t1/,
    );
  });
});

test('listIds keeps long lists readable', () => {
  assert.equal(listIds(['a', 'b']), 'a, b');
  assert.equal(
    listIds(Array.from({ length: 13 }, (_, i) => `i${i}`)),
    'i0, i1, i2, i3, i4, i5, i6, i7, i8, i9 and 3 more',
  );
});

describe('settings for the endpoint', () => {
  test('passwd and publicOrigin are read from the config file, and absent unless configured', () => {
    const s = resolveSettings(
      {},
      validateConfig({ passwd: '/etc/o/passwd', publicOrigin: 'https://vpn.example.org:8443' }, 'c.json'),
      'c.json',
      'UTC',
    );
    assert.equal(s.passwd, '/etc/o/passwd');
    assert.equal(s.publicOrigin, 'https://vpn.example.org:8443');
    const plain = resolveSettings({}, {}, '', 'UTC');
    assert.ok(!('passwd' in plain) && !('publicOrigin' in plain), 'not configured: not in the settings');
  });

  test('publicOrigin must be an origin: scheme, host, optional port, nothing else', () => {
    for (const ok of ['https://vpn.example.org', 'http://127.0.0.1:8050', 'https://[::1]:8443'])
      assert.ok(isOrigin(ok), ok);
    for (const bad of [
      'vpn.example.org',
      'https://vpn.example.org/',
      'https://vpn.example.org/status',
      'ftp://x',
      'https://u:p@x',
      'https://X.org',
      'https://x.org:443',
      'https://x.org?a',
    ]) {
      assert.ok(!isOrigin(bad), bad);
      assert.throws(
        () => validateConfig({ publicOrigin: bad }, 'c.json'),
        (e: unknown) => e instanceof UsageError && /publicOrigin/.test(e.message),
        bad,
      );
    }
    assert.throws(() => validateConfig({ passwd: '' }, 'c.json'), UsageError);
  });
});

test('parseReason: optional plain text of one line, at most REASON_MAX characters', () => {
  assert.deepEqual(parseReason({ ids: ['a'] }), { ok: true, value: undefined });
  assert.deepEqual(parseReason({ ids: ['a'], reason: '  wrong user  ' }), { ok: true, value: 'wrong user' });
  assert.deepEqual(parseReason({ reason: '   ' }), { ok: true, value: undefined }, 'blank is none');
  for (const bad of [42, 'two\nlines', 'x'.repeat(REASON_MAX + 1), 'bell\u0007'])
    assert.equal(parseReason({ reason: bad }).ok, false, JSON.stringify(bad).slice(0, 40));
  assert.equal(parseIdsBody({ ids: ['a'], reason: 'ok' }).ok, true, 'the ids body takes it');
});
