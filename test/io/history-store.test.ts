import assert from 'node:assert/strict';
import { appendFile, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { stringify } from 'csv-stringify/sync';
import { InputError } from '../../src/core/errors.js';
import { GENESIS } from '../../src/core/chain.js';
import { HISTORY_COLUMNS, HISTORY_HEADER, sessionToRecord } from '../../src/core/history-rows.js';
import { emptyState, reconcile, type CollectorState, type TrackedSession } from '../../src/core/reconcile.js';
import { sessionId, type Session } from '../../src/core/session.js';
import {
  appendHistory,
  historyPaths,
  readAllHistory,
  readHistoryHeader,
  readState,
  recoverHistory,
  type Recovery,
  rewriteHistory,
  writeState,
} from '../../src/io/history-store.js';
import { sampleSession } from '../helpers/sessions.js';
import { listDir, tempDir } from '../helpers/tmp.js';

/** recoverHistory with the warnings it gives kept, for assertions. */
async function recover(path: string, state: CollectorState, now: string): Promise<Recovery & { notes: string[] }> {
  const notes: string[] = [];
  const r = await recoverHistory(path, state, now, (m) => notes.push(m));
  return { ...r, notes };
}

const NOW = '2026-11-27T08:00:00Z';

function session(commonName: string, n: number, over: Partial<Session> = {}): Session {
  const connectedAt = `2026-11-26T1${n % 10}:00:00Z`;
  return sampleSession({
    id: sessionId('default', commonName, connectedAt, '192.0.2.1', 40000 + n),
    instance: 'default',
    commonName,
    user: commonName,
    username: null,
    realPort: 40000 + n,
    connectedAt,
    lastSeenAt: `2026-11-26T1${n % 10}:30:00Z`,
    endedAt: `2026-11-26T1${n % 10}:30:00Z`,
    durationS: 1800,
    ...over,
  });
}

const ODD_NAMES = [
  'Smith, John',
  'O"Brien "the boss"',
  'line one\nline two',
  '=1+2',
  '  spaced  ',
  'ünïcødé ☃',
  '<script>alert(1)</script>',
  "O'Brien",
  'tab\there',
  'cr\r\nlf',
];

const open = (s: Session, over: Partial<TrackedSession> = {}): TrackedSession => ({
  ...s,
  endedAt: null,
  durationS: null,
  endReason: null,
  missingSince: null,
  ...over,
});

const stateWith = (historyBytes: number, tracked: TrackedSession[]): CollectorState => ({
  ...emptyState(),
  historyBytes,
  instances: { default: { lastUpdatedAt: '2026-11-26T19:00:00Z' } },
  tracked,
});

async function inputError(p: Promise<unknown>, file: string, line: number | null, re: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof InputError, String(e));
    assert.equal(e.file, file);
    assert.equal(e.line, line);
    assert.match(e.message, re);
    return true;
  });
}

describe('history store', () => {
  test('paths beside the history', () => {
    assert.deepEqual(historyPaths('/var/log/openvpn-sessions.csv'), {
      history: '/var/log/openvpn-sessions.csv',
      state: '/var/log/openvpn-sessions.csv.state.json',
      lock: '/var/log/openvpn-sessions.csv.lock',
    });
  });

  test('append + read round trip of every field, nulls and odd common names included', async (t) => {
    const dir = await tempDir(t);
    const path = join(dir, 'h.csv');
    const first = ODD_NAMES.map((cn, i) => session(cn, i, { user: i % 2 ? `alias ${cn}` : cn }));
    const nulls = session('Dave Lee', 20, {
      username: null,
      realPort: null,
      protocol: null,
      virtualAddress: null,
      virtualIpv6: null,
      clientId: null,
      peerId: null,
      cipher: null,
      bytesReceived: null,
      bytesSent: null,
      endReason: 'server-stopped',
      source: 'legacy',
    });
    const a = await appendHistory(path, first);
    assert.equal(a.rewritten, false);
    assert.equal(a.bytes, (await stat(path)).size);
    const b = await appendHistory(path, [nulls]);
    assert.equal(b.bytes, (await stat(path)).size);
    assert.ok(b.bytes > a.bytes);
    assert.deepEqual(await readAllHistory(path), [...first, nulls]);
    const text = await readFile(path, 'utf8');
    assert.ok(text.startsWith(`${HISTORY_HEADER.join(',')}\n`), 'header line first');
    assert.ok(text.includes(',=1+2,'), 'a formula-like name is stored as the text it is');
    assert.deepEqual(await readHistoryHeader(path), [...HISTORY_HEADER]);
    // Appending nothing changes nothing.
    assert.equal((await appendHistory(path, [])).bytes, b.bytes);
    assert.equal(await readFile(path, 'utf8'), text);
  });

  test('a missing or empty history reads as no sessions', async (t) => {
    const dir = await tempDir(t);
    assert.deepEqual(await readAllHistory(join(dir, 'missing.csv')), []);
    await writeFile(join(dir, 'empty.csv'), '');
    assert.deepEqual(await readAllHistory(join(dir, 'empty.csv')), []);
    assert.equal(await readHistoryHeader(join(dir, 'empty.csv')), null);
  });

  test('rewriteHistory replaces the file and returns its size', async (t) => {
    const dir = await tempDir(t);
    const path = join(dir, 'h.csv');
    await appendHistory(path, [session('a', 1), session('b', 2)]);
    const size = await rewriteHistory(path, [session('c', 3)]);
    assert.equal(size, (await stat(path)).size);
    assert.deepEqual(await readAllHistory(path), [session('c', 3)]);
    assert.equal(await rewriteHistory(path, []), `${HISTORY_HEADER.join(',')}\n`.length);
    assert.deepEqual(await listDir(dir), ['h.csv']);
  });

  test("a CSV with an older, different header is read by its header and rewritten once in today's columns", async (t) => {
    const dir = await tempDir(t);
    const path = join(dir, 'h.csv');
    const old = [
      'endedAt,commonName,id,connectedAt,realAddress,username,bytesSent',
      '2026-11-26T10:30:00Z,bob_jones,id-1,2026-11-26T10:00:00Z,127.0.0.13,bjones,99',
      '2026-11-26T11:30:00Z,"Lee, Dave",id-2,2026-11-26T11:00:00Z,127.0.0.16,,',
      '',
    ].join('\n');
    await writeFile(path, old);
    const read = await readAllHistory(path);
    assert.deepEqual(
      read.map((s) => [
        s.id,
        s.commonName,
        s.user,
        s.username,
        s.realAddress,
        s.connectedAt,
        s.endedAt,
        s.lastSeenAt,
        s.bytesSent,
        s.instance,
      ]),
      [
        [
          'id-1',
          'bob_jones',
          'bjones',
          'bjones',
          '127.0.0.13',
          '2026-11-26T10:00:00Z',
          '2026-11-26T10:30:00Z',
          '2026-11-26T10:30:00Z',
          99,
          'default',
        ],
        [
          'id-2',
          'Lee, Dave',
          'Lee, Dave',
          null,
          '127.0.0.16',
          '2026-11-26T11:00:00Z',
          '2026-11-26T11:30:00Z',
          '2026-11-26T11:30:00Z',
          null,
          'default',
        ],
      ],
    );
    const added = session('new', 5);
    const r = await appendHistory(path, [added]);
    assert.equal(r.rewritten, true, 'the caller must bump historyGeneration');
    assert.deepEqual(await readHistoryHeader(path), [...HISTORY_HEADER]);
    assert.deepEqual(await readAllHistory(path), [...read, added]);
  });

  test('a history without the required columns is an InputError naming the file', async (t) => {
    const dir = await tempDir(t);
    const path = join(dir, 'openvpn-sessions.csv');
    await writeFile(
      path,
      'user,public_ip,tunnel_ip,start,end,duration_s\nalice,1.2.3.4,10.8.0.2,2026-01-01 10:00:00,,\n',
    );
    await inputError(
      readAllHistory(path),
      path,
      1,
      /not a session history: no column id, commonName, realAddress, connectedAt, endedAt/,
    );
    await inputError(appendHistory(path, [session('a', 1)]), path, 1, /not a session history/);
  });

  test('a bad row names its line, counting the lines of multi-line fields', async (t) => {
    const dir = await tempDir(t);
    const path = join(dir, 'h.csv');
    await appendHistory(path, [session('line one\nline two', 1, { user: 'odd' })]); // lines 2 and 3
    await appendFile(
      path,
      stringify([
        [
          ...sessionToRecord(session('bad', 2)).map((v, i) => (HISTORY_COLUMNS[i] === 'endedAt' ? 'later' : v)),
          GENESIS,
        ],
      ]),
    );
    await inputError(readAllHistory(path), path, 4, /column endedAt: "later" is not an ISO UTC time/);
  });

  test('the state: missing is empty; written and read back; bad JSON or another schema is an InputError', async (t) => {
    const dir = await tempDir(t);
    const path = join(dir, 'h.csv.state.json');
    assert.deepEqual(await readState(path), emptyState());
    const state = stateWith(123, [open(session('a', 1), { missingSince: '2026-11-26T11:40:00Z' })]);
    state.recentlyClosed = { abc: NOW };
    await writeState(path, state);
    assert.deepEqual(await readState(path), state);
    assert.deepEqual(await listDir(dir), ['h.csv.state.json']);
    await writeFile(path, '{"schemaVersion": 1, "tracked": [');
    await inputError(readState(path), path, null, /not valid JSON/);
    await writeFile(path, '{"schemaVersion": 2, "tracked": [], "instances": {}, "historyBytes": 0}');
    await inputError(readState(path), path, null, /not a collector state file of schemaVersion 1/);
  });
});

describe('history recovery', () => {
  /** A history of two sessions, as the last committed run left it. */
  async function committed(
    dir: string,
    names = ['alice', 'bob'],
  ): Promise<{ path: string; bytes: number; text: string }> {
    const path = join(dir, 'h.csv');
    const { bytes } = await appendHistory(
      path,
      names.map((n, i) => session(n, i)),
    );
    return { path, bytes, text: await readFile(path, 'utf8') };
  }
  // Recovery looks at whole rows, not at their chain values: any 64 hex digits do.
  const rowText = (s: Session): string => stringify([[...sessionToRecord(s), GENESIS]]);

  test('nothing to do when the CSV and the state agree', async (t) => {
    const dir = await tempDir(t);
    const { path, bytes, text } = await committed(dir);
    const state = stateWith(bytes, [open(session('carol', 3))]);
    const r = await recover(path, state, NOW);
    assert.deepEqual(r, { state, repaired: false, notes: [] });
    assert.equal(await readFile(path, 'utf8'), text);
  });

  test('a torn last line is cut', async (t) => {
    const dir = await tempDir(t);
    const { path, bytes, text } = await committed(dir, ['alice', 'Smith, John']);
    const carol = session('carol, "the boss"', 3);
    // Cut at every point of the row: inside plain fields and inside quoted ones.
    const row = rowText(carol);
    for (const cut of [1, 25, row.indexOf('"') + 3, row.length - 2]) {
      await writeFile(path, text + row.slice(0, cut));
      const state = stateWith(bytes, [open(carol, { missingSince: '2026-11-26T13:40:00Z' })]);
      const r = await recover(path, state, NOW);
      assert.equal(await readFile(path, 'utf8'), text, `cut at ${cut}`);
      assert.match(r.notes.join('\n'), /cut a torn last line/);
      assert.equal(r.state.historyBytes, bytes);
      assert.deepEqual(r.state.tracked, state.tracked, 'carol is still to be written');
      assert.equal((await readAllHistory(path)).length, 2);
    }
  });

  test('a torn append whose common name has a line break leaves a CSV that parses', async (t) => {
    const dir = await tempDir(t);
    const { path, bytes, text } = await committed(dir);
    const odd = session('line one\nline two', 3);
    const row = rowText(odd);
    const inside = row.indexOf('\n') + 1; // right after the line break inside the quoted name
    for (const cut of [inside, inside + 3]) {
      await writeFile(path, text + row.slice(0, cut));
      const state = stateWith(bytes, [open(odd, { missingSince: '2026-11-26T13:40:00Z' })]);
      const r = await recover(path, state, NOW);
      assert.equal(await readFile(path, 'utf8'), text, `cut at ${cut}`);
      assert.equal(r.state.historyBytes, bytes);
      assert.deepEqual(r.state.tracked, state.tracked);
      assert.equal((await readAllHistory(path)).length, 2);
    }
  });

  test('rows appended but not recorded in the state are not appended twice', async (t) => {
    const dir = await tempDir(t);
    const { path, bytes } = await committed(dir);
    const carol = session('carol', 3);
    const dave = session('dave', 4);
    // The last run closed carol, appended her, and was killed before it wrote the state.
    const prev = stateWith(bytes, [open(carol, { missingSince: '2026-11-26T13:40:00Z' }), open(dave)]);
    const appended = await appendHistory(path, [carol]);
    const r = await recover(path, prev, NOW);
    assert.match(r.notes.join('\n'), /1 session\(s\) were written by an interrupted run; recorded once/);
    assert.equal(r.state.historyBytes, appended.bytes);
    assert.deepEqual(
      r.state.tracked.map((s) => s.id),
      [dave.id],
    );
    assert.equal(r.state.recentlyClosed[carol.id], NOW);
    // The rerun sees the same snapshot (carol gone): nothing to close again.
    const snapshot = {
      schemaVersion: 1 as const,
      format: 3 as const,
      title: null,
      updatedAt: '2026-11-26T14:40:00Z',
      clients: [],
      routes: [],
      globalStats: {},
    };
    const rerun = reconcile(
      r.state,
      [{ instance: 'default', kind: 'snapshot', snapshot, fileModifiedAt: snapshot.updatedAt }],
      {
        now: '2026-11-26T14:40:01Z',
        staleAfterS: 300,
        instances: ['default'],
        warn: () => {}, // not what this test looks at
      },
    );
    assert.ok(!rerun.closed.some((s) => s.id === carol.id));
    assert.equal((await readAllHistory(path)).filter((s) => s.id === carol.id).length, 1);
  });

  test('an interrupted append cut just before its line end, or inside its last field, is cut', async (t) => {
    const dir = await tempDir(t);
    const { path, bytes, text } = await committed(dir);
    const carol = session('carol', 3);
    for (const partial of [rowText(carol).replace(/\n$/, ''), rowText(carol).replace(/.\n$/, '')]) {
      await writeFile(path, text + partial);
      const state = stateWith(bytes, [open(carol, { missingSince: '2026-11-26T13:40:00Z' })]);
      const r = await recover(path, state, NOW);
      assert.equal(await readFile(path, 'utf8'), text);
      assert.deepEqual(r.state, state, 'carol is still to be written');
    }
  });

  test('a hand-edited history whose last valid row has no line end gets it completed', async (t) => {
    const dir = await tempDir(t);
    const { path, text } = await committed(dir);
    const carol = session('carol', 3);
    await writeFile(path, text + rowText(carol).replace(/\n$/, ''));
    const r = await recover(path, stateWith(0, []), NOW);
    assert.match(r.notes.join('\n'), /no line end; completed it/);
    assert.equal(await readFile(path, 'utf8'), text + rowText(carol));
    assert.equal(r.state.historyBytes, (await stat(path)).size);
    // A row cut in its last field ("fals" for "false") is not valid: cut, not completed.
    await writeFile(path, text + rowText(carol).replace(/.\n$/, ''));
    await recover(path, stateWith(0, []), NOW);
    assert.equal(await readFile(path, 'utf8'), text);
  });

  test('a history first created by the interrupted run (state still at 0 bytes)', async (t) => {
    const dir = await tempDir(t);
    const { path } = await committed(dir);
    const alice = session('alice', 0);
    const r = await recover(path, stateWith(0, [open(alice), open(session('zed', 9))]), NOW);
    assert.deepEqual(
      r.state.tracked.map((s) => s.commonName),
      ['zed'],
    );
    assert.equal(r.state.historyBytes, (await stat(path)).size);
  });

  test('a missing history with a state that expected one: a new one is started', async (t) => {
    const dir = await tempDir(t);
    const r = await recover(join(dir, 'h.csv'), stateWith(500, []), NOW);
    assert.equal(r.state.historyBytes, 0);
    assert.match(r.notes.join('\n'), /missing or empty; a new one is started/);
  });
});
