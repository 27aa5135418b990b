/**
 * The hook spool under crashes: collect is killed with SIGKILL at random moments while hooks
 * keep appending events (some into a part a late hook still holds open), and at the end every
 * connection is in the history exactly once with OpenVPN's exact times and final bytes.
 */
import assert from 'node:assert/strict';
import { appendFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { encodeJsonLine, encodeTsvLine, recordFromEnv } from '../../src/core/hook-line.js';
import { readAllHistory, readState } from '../../src/io/history-store.js';
import { PART_GRACE_S } from '../../src/io/hook-spool.js';
import { appendSpoolLine } from '../../src/io/spool-append.js';
import { cliOk } from '../helpers/cli.js';
import { killLoop } from '../helpers/crash.js';
import { collectArgs } from '../helpers/collector.js';
import { randomInt, seededRng } from '../helpers/random.js';
import { renderV3, writeStatus, type GenClient } from '../helpers/status.js';
import { listDir, tempDir } from '../helpers/tmp.js';

const POOL = 12;
const MIN_STEPS = 12;
const MIN_KILLS = 25;
const STEP_S = 60;
const T0 = 1795700000;

const iso = (epochS: number): string => new Date(epochS * 1000).toISOString().replace('.000Z', 'Z');

/** One connection as OpenVPN saw it. */
interface Truth {
  commonName: string;
  port: number;
  start: number;
  end: number | null;
  bytesReceived: number;
  bytesSent: number;
  listed: boolean;
}

test('collect killed at random moments while hooks append: every event counted exactly once', {
  timeout: 240_000,
}, async (t) => {
  const dir = await tempDir(t, 'ovsw-hook-crash-');
  const status = join(dir, 'status.log');
  const history = join(dir, 'history.csv');
  const spool = `${history}.hook-spool.jsonl`;
  const rng = seededRng(8008);
  const chaos = seededRng(4711);
  const truth = new Map<string, Truth>();
  const slots: (GenClient | null)[] = Array.from({ length: POOL }, () => null);
  let nextPort = 30000;
  let tsv = false;

  const hookLine = (kind: 'connect' | 'disconnect', tr: Truth): string => {
    const env: Record<string, string> = {
      script_type: `client-${kind}`,
      common_name: tr.commonName,
      username: '',
      trusted_ip: '198.51.100.7',
      trusted_port: String(tr.port),
      time_unix: String(tr.start),
    };
    if (kind === 'disconnect') {
      Object.assign(env, {
        time_duration: String((tr.end as number) - tr.start),
        bytes_received: String(tr.bytesReceived),
        bytes_sent: String(tr.bytesSent),
      });
    }
    // Both writers' formats, alternately.
    tsv = !tsv;
    const rec = recordFromEnv(env, 'default', tr.end ?? tr.start);
    return tsv ? encodeTsvLine(rec) : encodeJsonLine(rec);
  };
  const key = (cn: string, port: number, start: number): string => `${cn}|${port}|${iso(start)}`;
  const newTruth = (cn: string, start: number, listed: boolean): Truth => {
    const tr: Truth = { commonName: cn, port: nextPort++, start, end: null, bytesReceived: 0, bytesSent: 0, listed };
    truth.set(key(cn, tr.port, start), tr);
    return tr;
  };
  /** A connection shorter than a status update: both hooks between two updates, never listed. */
  const shortSession = (now: number): string => {
    const start = now - randomInt(rng, 20, 50);
    const tr = newTruth(`short-${truth.size}`, start, false);
    tr.end = start + randomInt(rng, 1, 15);
    tr.bytesReceived = randomInt(rng, 100, 9000);
    tr.bytesSent = randomInt(rng, 100, 9000);
    return hookLine('connect', tr) + hookLine('disconnect', tr);
  };

  /** Events since the last update (the hooks append as they happen), then the status file OpenVPN writes. */
  const step = async (k: number, churn: boolean, everyoneLeaves = false): Promise<number> => {
    const now = T0 + k * STEP_S;
    for (let i = 0; i < POOL; i++) {
      const c = slots[i] ?? null;
      const tr = c ? truth.get(key(c.commonName, c.port, c.connectedAt)) : undefined;
      if (c && tr) {
        c.bytesReceived += randomInt(rng, 0, 40_000);
        c.bytesSent += randomInt(rng, 0, 40_000);
        if (everyoneLeaves || (churn && rng() < 0.2)) {
          tr.end = now - randomInt(rng, 1, STEP_S - 10);
          tr.bytesReceived = c.bytesReceived + randomInt(rng, 0, 999);
          tr.bytesSent = c.bytesSent + randomInt(rng, 0, 999);
          appendSpoolLine(spool, hookLine('disconnect', tr));
          slots[i] = null;
        }
      } else if (churn && rng() < 0.3) {
        const tr2 = newTruth(`user-${String(i).padStart(2, '0')}`, now - randomInt(rng, 1, STEP_S - 10), true);
        appendSpoolLine(spool, hookLine('connect', tr2));
        slots[i] = {
          commonName: tr2.commonName,
          username: null,
          ip: '198.51.100.7',
          port: tr2.port,
          virtualAddress: `10.8.0.${i + 2}`,
          bytesReceived: randomInt(rng, 100, 5000),
          bytesSent: randomInt(rng, 100, 5000),
          connectedAt: tr2.start,
          clientId: tr2.port,
          peerId: i,
        };
      }
    }
    if (churn && rng() < 0.6) appendSpoolLine(spool, shortSession(now));
    await writeStatus(
      status,
      renderV3(
        now,
        slots.filter((c): c is GenClient => c !== null),
      ),
    );
    return now;
  };
  /** A hook that opened the spool just before collect renamed it writes into the newest part. */
  const lateWriter = async (now: number): Promise<boolean> => {
    const parts = (await readdir(dir))
      .filter((n) => /\.hook-spool\.jsonl\.\d+$/.test(n))
      .sort((a, b) => Number(a.split('.').pop()) - Number(b.split('.').pop()));
    const newest = parts.at(-1);
    if (newest === undefined) return false;
    await appendFile(join(dir, newest), shortSession(now));
    return true;
  };
  const committedAt = async (): Promise<string | null> =>
    (await readState(`${history}.state.json`)).instances.default?.lastUpdatedAt ?? null;

  let lateLines = 0;
  const warnings = new Map<string, number>();
  const note = (stderr: string): void => {
    for (const m of stderr.matchAll(/warning: (.*)/g)) {
      const kind = (m[1] ?? '')
        .replace(/\d+/g, 'N')
        .replace(/\/.*?(hook-spool|history)/g, '…$1')
        .slice(0, 120);
      warnings.set(kind, (warnings.get(kind) ?? 0) + 1);
    }
  };
  let now = 0;
  const loop = await killLoop({
    minSteps: MIN_STEPS,
    minKills: MIN_KILLS,
    chaos,
    lockPath: `${history}.lock`,
    anywhere: 0.6,
    step: async (k) => {
      now = await step(k, true);
      return { args: collectArgs([status], history, iso(now + 1)), updatedAt: iso(now), committedAt };
    },
    onStderr: note,
    afterStep: async () => {
      if (chaos() < 0.4 && (await lateWriter(now))) lateLines++;
    },
  });
  let k = loop.steps;
  const { typicalMs: typical, kills } = loop;
  // Everyone leaves; two more updates; then runs past the parts' grace time.
  let last = await step(++k, false, true);
  note((await cliOk(collectArgs([status], history, iso(last + 1)))).stderr);
  last = await step(++k, false);
  note((await cliOk(collectArgs([status], history, iso(last + 1)))).stderr);
  note((await cliOk(collectArgs([status], history, iso(last + PART_GRACE_S + 1)))).stderr);
  note((await cliOk(collectArgs([status], history, iso(last + PART_GRACE_S + 2)))).stderr);
  t.diagnostic(
    `${k} steps, ${truth.size} connections (${[...truth.values()].filter((x) => !x.listed).length} never listed), typical run ${typical} ms, ` +
      `${kills} kills, ${lateLines} late writes into parts; warnings: ${JSON.stringify(Object.fromEntries(warnings))}`,
  );
  assert.ok(kills >= MIN_KILLS);

  // Nothing left behind: no spool, no parts, no temp files, no lock.
  assert.deepEqual(await listDir(dir), ['history.csv', 'history.csv.state.json', 'status.log']);
  const state = await readState(`${history}.state.json`);
  assert.deepEqual(state.tracked, [], 'every session closed');
  assert.deepEqual(state.hookSpool?.parts, {});

  const rows = await readAllHistory(history);
  assert.equal(new Set(rows.map((s) => s.id)).size, rows.length, 'a session written twice');
  const byKey = new Map(rows.map((s) => [key(s.commonName, s.realPort ?? -1, Date.parse(s.connectedAt) / 1000), s]));
  const lost: string[] = [];
  for (const [k2, tr] of truth) {
    const s = byKey.get(k2);
    if (!s) {
      lost.push(k2);
      continue;
    }
    assert.equal(s.endExact, true, `${k2}: exact end`);
    assert.equal(s.endedAt, iso(tr.end as number), `${k2}: endedAt`);
    assert.equal(s.durationS, (tr.end as number) - tr.start, `${k2}: duration`);
    assert.equal(s.bytesReceived, tr.bytesReceived, `${k2}: bytes`);
    assert.equal(s.bytesSent, tr.bytesSent, `${k2}: bytes`);
    assert.equal(s.source, tr.listed ? 'status' : 'hook', `${k2}: source`);
  }
  assert.deepEqual(lost, [], 'connections lost');
  assert.equal(rows.length, truth.size, 'sessions that never existed');
  assert.ok(
    ![...warnings.keys()].some((w) => /already|not recorded twice|skipped/.test(w)),
    `no event applied twice or unreadable: ${[...warnings.keys()].join('\n')}`,
  );
});
