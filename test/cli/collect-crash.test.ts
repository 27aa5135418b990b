/**
 * Kills the compiled `collect` with SIGKILL at random moments while sessions come and go,
 * and proves against the generated ground truth that nothing is lost or written twice.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'csv-parse/sync';
import { HISTORY_HEADER } from '../../src/core/history-rows.js';
import { readAllHistory, readState } from '../../src/io/history-store.js';
import { cliOk, runCli, sessionsJson, type SessionJson } from '../helpers/cli.js';
import { killLoop } from '../helpers/crash.js';
import { collectArgs } from '../helpers/collector.js';
import { randomInt, seededRng } from '../helpers/random.js';
import { renderV3, writeStatus, type GenClient } from '../helpers/status.js';
import { listDir, tempDir } from '../helpers/tmp.js';

const POOL = 30;
const CHURN_STEPS = 20;
const MIN_KILLS = 50;
const STEP_S = 60;
const T0 = 1795700000;

const iso = (epochS: number): string => new Date(epochS * 1000).toISOString().replace('.000Z', 'Z');
const identity = (s: {
  commonName: string;
  realAddress: string;
  realPort: number | null;
  connectedAt: string;
}): string => `${s.commonName}|${s.realAddress}|${s.realPort}|${s.connectedAt}`;

/** What really happened to one session: the last snapshot that listed it fully connected. */
interface Truth {
  commonName: string;
  username: string | null;
  ip: string;
  port: number;
  connectedAt: string;
  lastSeen: number | null;
  bytesReceived: number;
  bytesSent: number;
}

test('collect killed with SIGKILL at random moments loses nothing and writes nothing twice', {
  timeout: 180_000,
}, async (t) => {
  const dir = await tempDir(t, 'ovsw-crash-');
  const status = join(dir, 'status.log');
  const history = join(dir, 'history.csv');
  // Two sequences: the timeline does not depend on how many kills a step took.
  const rng = seededRng(424242);
  const chaos = seededRng(777);
  const truth = new Map<string, Truth>();
  const slots: (GenClient | null)[] = Array.from({ length: POOL }, () => null);
  let nextPort = 20000;
  let nextClientId = 0;

  /** One status update: some clients leave, some arrive (a few listed while their authentication is pending). */
  const step = (k: number, churn: boolean): number => {
    const now = T0 + k * STEP_S;
    for (let i = 0; i < POOL; i++) {
      const c = slots[i] ?? null;
      if (c) {
        if (churn && rng() < 0.15) {
          slots[i] = null;
          continue;
        }
        c.bytesReceived += randomInt(rng, 0, 50_000);
        c.bytesSent += randomInt(rng, 0, 50_000);
        if (c.virtualAddress === null) c.virtualAddress = `10.8.${Math.floor(i / 200)}.${(i % 200) + 2}`;
      } else if (churn ? rng() < 0.2 : false) {
        // Slots 0 and 1 share a common name (duplicate-cn), from different addresses.
        slots[i] = {
          commonName: i < 2 ? 'shared-dup' : `user-${String(i).padStart(2, '0')}`,
          username: i % 3 === 0 ? `login${i}` : null,
          ip: `198.51.100.${i + 1}`,
          port: nextPort++,
          virtualAddress: rng() < 0.2 ? null : `10.8.${Math.floor(i / 200)}.${(i % 200) + 2}`,
          bytesReceived: randomInt(rng, 100, 5000),
          bytesSent: randomInt(rng, 100, 5000),
          connectedAt: now - randomInt(rng, 1, STEP_S - 1),
          clientId: nextClientId++,
          peerId: i,
        };
      }
    }
    const listed = slots.filter((c): c is GenClient => c !== null);
    for (const c of listed) {
      const id = identity({
        commonName: c.commonName,
        realAddress: c.ip,
        realPort: c.port,
        connectedAt: iso(c.connectedAt),
      });
      const tr = truth.get(id) ?? {
        commonName: c.commonName,
        username: c.username,
        ip: c.ip,
        port: c.port,
        connectedAt: iso(c.connectedAt),
        lastSeen: null,
        bytesReceived: 0,
        bytesSent: 0,
      };
      if (c.virtualAddress !== null) {
        tr.lastSeen = now;
        tr.bytesReceived = c.bytesReceived;
        tr.bytesSent = c.bytesSent;
      }
      truth.set(id, tr);
    }
    return now;
  };

  const write = async (now: number): Promise<string[]> => {
    // Shuffle the rows: OpenVPN lists clients in hash order.
    const listed = slots.filter((c): c is GenClient => c !== null).sort(() => rng() - 0.5);
    await writeStatus(status, renderV3(now, listed));
    return collectArgs([status], history, iso(now + 1));
  };
  const committedAt = async (): Promise<string | null> =>
    (await readState(`${history}.state.json`)).instances.default?.lastUpdatedAt ?? null;

  const notes = new Map<string, number>();
  const noteFrom = (stderr: string) => {
    for (const m of stderr.matchAll(
      /warning: .*?: (cut a torn last line|the last row had no line end|\d+ session\(s\) were written by an interrupted run|cut an interrupted append)/g,
    )) {
      const n = (m[1] ?? '').replace(/^\d+/, 'N');
      notes.set(n, (notes.get(n) ?? 0) + 1);
    }
  };
  // Step 0 runs normally (to time a run); kills land anywhere in a run, or, a third of the
  // time, a few milliseconds after it took the lock.
  const loop = await killLoop({
    minSteps: CHURN_STEPS,
    minKills: MIN_KILLS,
    chaos,
    lockPath: `${history}.lock`,
    anywhere: 0.67,
    step: async (k) => {
      const now = step(k, true);
      return { args: await write(now), updatedAt: iso(now), committedAt };
    },
    onStderr: noteFrom,
  });
  let k = loop.steps;
  const { typicalMs: typical, kills, killedAfterCommit, reruns } = loop;
  // No more churn: two more updates end everyone who left, then a few plain reruns.
  let last = 0;
  for (let i = 0; i < 2; i++) {
    k++;
    last = step(k, false);
    const args = await write(last);
    noteFrom((await cliOk(args)).stderr);
  }
  for (let i = 0; i < 2; i++) noteFrom((await cliOk(collectArgs([status], history, iso(last + 1)))).stderr);
  t.diagnostic(
    `${k} status updates, ${truth.size} sessions; typical run ${typical} ms; ${kills} kills (${killedAfterCommit} after the state was written), ` +
      `${reruns} normal reruns; recoveries: ${JSON.stringify(Object.fromEntries(notes))}`,
  );
  assert.ok(kills >= MIN_KILLS);

  // Nothing left behind: no temp files, no lock, no takeover folder.
  assert.deepEqual(await listDir(dir), ['history.csv', 'history.csv.state.json', 'status.log']);

  // The CSV parses completely, with today's header, and ends with a line end.
  const raw = await readFile(history, 'utf8');
  assert.ok(raw.endsWith('\n'));
  const records = parse(raw, { columns: true }) as Record<string, string>[];
  assert.deepEqual(Object.keys(records[0] ?? {}), [...HISTORY_HEADER]);
  const csv = await readAllHistory(history);
  assert.equal(csv.length, records.length);
  // Every chained append, killed or not, left a chain that verify accepts.
  const verified = await runCli(['verify', '--history', history]);
  assert.equal(verified.code, 0, verified.stdout + verified.stderr);

  // Every session that existed is there exactly once, and ended ones end when they were last listed.
  const expected = [...truth.values()].filter((tr) => tr.lastSeen !== null);
  assert.ok(expected.length > 40, `only ${expected.length} sessions generated`);
  assert.ok(truth.size > expected.length, 'some clients left while their authentication was pending');
  const all = await sessionsJson(history);
  assert.equal(new Set(all.map((s) => s.id)).size, all.length, 'duplicate ids');
  const byIdentity = new Map<string, SessionJson>();
  for (const s of all) {
    const id = identity(s);
    assert.ok(!byIdentity.has(id), `duplicate identity ${id}`);
    byIdentity.set(id, s);
  }
  assert.equal(new Set(csv.map((s) => s.id)).size, csv.length, 'a session written twice to the CSV');
  const stillListed = new Set(
    slots
      .filter((c): c is GenClient => c !== null)
      .map((c) =>
        identity({ commonName: c.commonName, realAddress: c.ip, realPort: c.port, connectedAt: iso(c.connectedAt) }),
      ),
  );
  const lost: string[] = [];
  for (const tr of expected) {
    const id = identity({
      commonName: tr.commonName,
      realAddress: tr.ip,
      realPort: tr.port,
      connectedAt: tr.connectedAt,
    });
    const s = byIdentity.get(id);
    if (!s) {
      lost.push(id);
      continue;
    }
    assert.equal(s.user, tr.username ?? tr.commonName, id);
    assert.equal(s.lastSeenAt, iso(tr.lastSeen as number), `${id}: lastSeenAt`);
    assert.equal(s.bytesReceived, tr.bytesReceived, `${id}: bytes`);
    assert.equal(s.bytesSent, tr.bytesSent, `${id}: bytes`);
    if (stillListed.has(id)) {
      assert.equal(s.status, 'active', id);
      assert.equal(s.lastSeenAt, iso(last));
    } else {
      assert.equal(s.status, 'ended', id);
      assert.equal(s.endedAt, iso(tr.lastSeen as number), `${id}: endedAt`);
      assert.equal(s.endReason, 'disconnected', id);
      assert.equal(s.durationS, (tr.lastSeen as number) - Date.parse(tr.connectedAt) / 1000, id);
    }
  }
  assert.deepEqual(lost, [], 'sessions lost');
  assert.equal(all.length, expected.length, 'sessions that never existed');
  assert.deepEqual(
    csv.map((s) => s.id).sort(),
    all
      .filter((s) => s.status === 'ended')
      .map((s) => s.id)
      .sort(),
    'the CSV holds exactly the ended sessions',
  );
});
