import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';

import type { TrackedSession } from '../../src/core/reconcile.js';
import { emptyState } from '../../src/core/reconcile.js';
import { appendHistory, readAllHistory, writeState } from '../../src/io/history-store.js';
import { cliOk, runCli, sessionsJson, type SessionJson } from '../helpers/cli.js';
import { replay } from '../helpers/collector.js';
import { sampleSession } from '../helpers/sessions.js';
import { tempDir } from '../helpers/tmp.js';

/** The fields `sessions --json` promises (docs/CONTRACTS.md, "`sessions --json`"). */
const CONTRACT = [
  'id',
  'instance',
  'user',
  'commonName',
  'username',
  'realAddress',
  'realPort',
  'virtualAddress',
  'virtualIpv6',
  'clientId',
  'cipher',
  'connectedAt',
  'lastSeenAt',
  'endedAt',
  'durationS',
  'bytesReceived',
  'bytesSent',
  'status',
  'endReason',
];
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

const newestFirst = (list: SessionJson[]): boolean =>
  list.every((s, i) => {
    const prev = list[i - 1];
    return !prev || prev.connectedAt > s.connectedAt || (prev.connectedAt === s.connectedAt && prev.id < s.id);
  });

describe('sessions', () => {
  let dir = '';
  let history = '';
  before(async () => {
    dir = await tempDir('ovsw-sessions-');
    history = (await replay(dir, 'v3')).history;
  });

  test('--json lists every session the store knows, open ones included, newest first, with the contract fields', async () => {
    const all = await sessionsJson(history);
    assert.equal(all.length, 7);
    assert.ok(newestFirst(all), 'newest first');
    assert.equal(all[0]?.commonName, 'alice.smith', 'the reconnected alice is the newest');
    for (const s of all) {
      for (const f of CONTRACT) assert.ok(f in s, `field ${f}`);
      assert.match(s.id, /^[0-9a-f]{20}$/);
      assert.match(s.connectedAt, ISO);
      assert.match(s.lastSeenAt, ISO);
      assert.ok(s.endedAt === null || ISO.test(s.endedAt));
      assert.equal(typeof s.durationS, 'number');
      assert.equal(s.status, s.endedAt === null ? 'active' : 'ended');
      assert.equal(s.endReason, s.endedAt === null ? null : 'disconnected');
      assert.equal(s.user, s.username ?? s.commonName);
      assert.equal(typeof s.bytesReceived, 'number');
    }
    const r = await cliOk(['sessions', '--history', history, '--json']);
    assert.equal(JSON.parse(r.stdout).schemaVersion, 1);
  });

  test('--status active: open sessions, duration so far', async () => {
    const active = await sessionsJson(history, ['--status', 'active']);
    assert.equal(active.length, 5);
    assert.ok(newestFirst(active));
    for (const s of active) {
      assert.equal(s.status, 'active');
      assert.equal(s.endedAt, null);
      assert.equal(s.endReason, null);
      assert.equal(s.lastSeenAt, '2026-11-26T16:15:38Z');
      assert.equal(s.durationS, (Date.parse(s.lastSeenAt) - Date.parse(s.connectedAt)) / 1000);
    }
  });

  test('--status ended', async () => {
    const ended = await sessionsJson(history, ['--status', 'ended']);
    assert.deepEqual(ended.map((s) => s.user).sort(), ['alice.smith', 'kiosk1']);
    assert.ok(ended.every((s) => s.status === 'ended' && s.endedAt === '2026-11-26T16:15:27Z' && s.durationS === 4));
    assert.deepEqual(await sessionsJson(history, ['--status', 'all']), await sessionsJson(history));
  });

  test('--user matches the user, the common name or the username', async () => {
    const users = async (...args: string[]) => (await sessionsJson(history, args)).map((s) => `${s.user}/${s.status}`);
    assert.deepEqual(await users('--user', 'alice.smith'), ['alice.smith/active', 'alice.smith/ended'], 'newest first');
    assert.deepEqual(await users('--user', 'kiosk1'), ['kiosk1/ended']);
    assert.deepEqual((await users('--user', 'shared-dup')).sort(), ['kiosk1/ended', 'shared-dup/active']);
    assert.deepEqual(await users('--user', 'jdoe'), ['jdoe/active']);
    assert.deepEqual(await users('--user', 'flex-RN13P'), ['jdoe/active']);
    assert.deepEqual(await users('--user', 'Dave Lee'), ['Dave Lee/active']);
    assert.deepEqual(await users('--user', 'nobody'), []);
    assert.deepEqual(await users('--status', 'ended', '--user', 'alice.smith'), ['alice.smith/ended']);
    assert.deepEqual(await users('--status', 'active', '--user', 'kiosk1'), []);
  });

  test('without --json: a table, one line per session', async () => {
    const r = await cliOk(['sessions', '--history', history]);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 8);
    assert.match(
      lines[0] ?? '',
      /^status\s+user\s+real address\s+virtual\s+connected\s+ended\s+seconds\s+end reason\s+instance$/,
    );
    assert.match(
      lines[1] ?? '',
      /^active\s+alice\.smith\s+127\.0\.0\.12\s+10\.8\.0\.3\s+2026-11-26T16:15:33Z\s+-\s+5\s+-\s+default$/,
    );
  });

  test('--status with another value exits 2', async () => {
    const r = await runCli(['sessions', '--history', history, '--status', 'open']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /sessions: --status must be active, ended or all, not "open"/);
  });
});

describe('sessions on other stores', () => {
  test('a missing history: no sessions', async (t) => {
    const dir = await tempDir(t);
    assert.deepEqual(await sessionsJson(join(dir, 'h.csv')), []);
  });

  test('a session in both the state and the CSV (moved by a concurrent run) is listed once, as the CSV has it', async (t) => {
    const dir = await tempDir(t);
    const path = join(dir, 'h.csv');
    const ended = sampleSession({ instance: 'default' });
    const open: TrackedSession = {
      ...ended,
      endedAt: null,
      durationS: null,
      endReason: null,
      missingSince: '2026-11-26T16:15:20Z',
    };
    await appendHistory(path, [ended]);
    await writeState(`${path}.state.json`, { ...emptyState(), tracked: [open] });
    const all = await sessionsJson(path);
    assert.equal(all.length, 1);
    assert.equal(all[0]?.status, 'ended');
    assert.equal(all[0]?.endedAt, ended.endedAt);
    assert.equal((await readAllHistory(path)).length, 1);
  });
});
