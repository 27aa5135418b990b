/**
 * Torn reads from a real OpenVPN server. OpenVPN rewrites its status file in place, so a
 * reader catches it empty, cut short or spliced (a new head over the old tail). Here the
 * live file is read in a tight loop while clients keep connecting and disconnecting, and
 * every read goes to the parser and the reconciler as the collector feeds them (an
 * InputError is a torn read and is skipped), without the status reader's settle delay:
 * the two-snapshot rule alone must keep every session of a connected client open.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { InputError } from '../../src/core/errors.js';
import { parseStatus } from '../../src/core/parse-status.js';
import { emptyState, reconcile, type CollectorState } from '../../src/core/reconcile.js';
import type { Session } from '../../src/core/session.js';
import { isoFromMs } from '../../src/core/time.js';
import { tempDir } from '../helpers/tmp.js';
import { isSessionOf, Server, type Client, type StatusVersion } from './helpers/openvpn.js';
import { makePki, type Pki } from './helpers/pki.js';
import { leftovers, Procs } from './helpers/procs.js';
import { missing, systemGate, type Needs } from './helpers/requirements.js';
import { sleep } from './helpers/wait.js';

const NEEDS: Needs = { root: true, tun: true, bins: ['openvpn', 'openssl', 'ip', 'ss', 'pgrep'] };
/** Clients connecting and disconnecting at the same time. */
const SLOTS = 6;
const CHURN_MS = 20_000;

const procs = new Procs();
let root = '';
let pki: Pki | null = null;

interface Stats {
  reads: number;
  torn: number;
  parsed: number;
  /** Update times for which two parsed reads listed different clients (spliced reads that parsed). */
  splicedUpdates: number;
  updates: number;
}

async function churn(t: TestContext, version: StatusVersion): Promise<void> {
  if (!systemGate(t, NEEDS) || pki === null) return;
  const dir = await mkdtemp(join(root, `v${version}-`));
  const server = await Server.start({ dir, pki, procs, proto: 'udp', statusVersion: version });
  t.after(() => server.shutdown());
  const file = server.statusFile;

  let reading = true;
  let state: CollectorState = emptyState();
  const opened: Session[] = [];
  const ended: { session: Session; readAt: number }[] = [];
  const warnings: string[] = [];
  const stats: Stats = { reads: 0, torn: 0, parsed: 0, splicedUpdates: 0, updates: 0 };
  const listingsByUpdate = new Map<string, Set<string>>();

  const reader = (async () => {
    while (reading) {
      const readAt = Date.now();
      const text = await readFile(file, 'utf8');
      stats.reads++;
      let snapshot: ReturnType<typeof parseStatus>;
      try {
        snapshot = parseStatus(text, { file, timeZone: 'UTC' });
      } catch (e) {
        if (!(e instanceof InputError)) throw e;
        stats.torn++; // skipped, as the collector skips a torn read
        continue;
      }
      stats.parsed++;
      const key = snapshot.updatedAt ?? '';
      const listing = snapshot.clients
        .map((c) => `${c.commonName}:${c.realPort}`)
        .sort()
        .join(' ');
      const seen = listingsByUpdate.get(key) ?? new Set<string>();
      seen.add(listing);
      listingsByUpdate.set(key, seen);
      const now = isoFromMs(readAt);
      const r = reconcile(state, [{ instance: 'default', kind: 'snapshot', snapshot, fileModifiedAt: now }], {
        now,
        staleAfterS: 300,
        instances: ['default'],
        warn: (m) => warnings.push(m),
      });
      state = r.state;
      opened.push(...r.opened);
      for (const s of r.ended) ended.push({ session: s, readAt });
    }
  })();

  const clients: Client[] = [];
  let churning = true;
  let generation = 0;
  const slot = async (n: number): Promise<void> => {
    await sleep(n * 300);
    while (churning) {
      generation++;
      const c = await server.connect({
        commonName: 'churn',
        username: `u${n}g${generation}`,
        name: `slot ${n} #${generation}`,
      });
      clients.push(c);
      await sleep(500 + Math.floor(Math.random() * 2500));
      await c.disconnect();
    }
  };
  try {
    const started = Date.now();
    const slots = Array.from({ length: SLOTS }, (_, n) => slot(n));
    await sleep(CHURN_MS);
    churning = false;
    await Promise.all(slots);
    // Every client is gone now: read on until the reconciler has ended every session.
    const deadline = Date.now() + 30_000;
    while (state.tracked.some((s) => s.endedAt === null) && Date.now() < deadline) await sleep(200);
    reading = false;
    await reader;
    const secs = ((Date.now() - started) / 1000).toFixed(1);
    stats.updates = listingsByUpdate.size;
    stats.splicedUpdates = [...listingsByUpdate.values()].filter((s) => s.size > 1).length;
    t.diagnostic(`${clients.length} connections in ${secs} s; ${JSON.stringify(stats)}`);

    const byPort = (s: Session): Client | undefined => clients.find((c) => isSessionOf(s, c));
    const reused = clients.filter((c) =>
      clients.some((o) => o !== c && o.commonName === c.commonName && o.realPort === c.realPort),
    );
    if (reused.length > 0)
      t.diagnostic(`ports used by more than one client: ${reused.map((c) => `${c.name} ${c.realPort}`).join(', ')}`);
    const falseEnds = ended
      .filter(({ session, readAt }) => {
        const c = byPort(session);
        return c === undefined || c.stoppedAt === null || c.stoppedAt > readAt;
      })
      .map(({ session, readAt }) => {
        const c = byPort(session);
        const restarted =
          c !== undefined && /process restarting/.test(c.proc.output()) ? ' (its client restarted on its own)' : '';
        return `${session.username ?? session.commonName} port ${session.realPort}: ended by a read at ${isoFromMs(readAt)}, client stopped at ${c?.stoppedAt ? isoFromMs(c.stoppedAt) : 'never'}${restarted}`;
      });
    assert.deepEqual(falseEnds, [], 'no session ends while its client is still connected');
    assert.deepEqual(
      warnings.filter((w) => /listed again/.test(w)),
      [],
      'no session is listed again after it was ended',
    );
    assert.ok(
      stats.reads > 1000 && stats.parsed > 0,
      `the loop read the file often (${stats.reads} reads, ${stats.parsed} parsed)`,
    );
    assert.ok(clients.length >= SLOTS * 2, `the clients churned (${clients.length} connections)`);

    // And the record is complete: every connection is exactly one session, opened and ended.
    const strays = opened
      .filter((s) => byPort(s) === undefined)
      .map((s) => `${s.commonName} port ${s.realPort} since ${s.connectedAt}`);
    assert.deepEqual(strays, [], 'every session belongs to a client that ran when it began');
    for (const c of clients) {
      const mine = opened.filter((s) => byPort(s) === c);
      assert.equal(
        mine.length,
        1,
        `${c.name} (port ${c.realPort}) was opened as exactly one session, found ${mine.length}: ${JSON.stringify(mine.map((s) => [s.connectedAt, s.endedAt]))}`,
      );
      if (version !== 1) assert.equal(mine[0]?.username, c.username, `${c.name}: username`);
    }
    assert.equal(
      opened.length,
      clients.length,
      `one session per connection (${opened.length} sessions, ${clients.length} connections)`,
    );
    assert.equal(ended.length, opened.length, 'every session ended once its client left');
    assert.ok(
      ended.every(({ session }) => session.endReason === 'disconnected'),
      'every end is a disconnect',
    );
  } catch (e) {
    (e as Error).message += `\n${server.proc.tail(10)}`;
    throw e;
  } finally {
    churning = false;
    reading = false;
    await reader.catch((e: unknown) => t.diagnostic(`reader: ${(e as Error).message}`));
  }
}

describe('torn reads of a real status file', () => {
  before(async () => {
    if (missing(NEEDS).length > 0) return;
    root = await tempDir('ovsw-system-torn-');
    pki = await makePki(join(root, 'pki'), ['churn']);
  });

  after(() => procs.stopAll());

  it('status-version 3: a tight read loop during churn ends no session falsely', { timeout: 120_000 }, (t) =>
    churn(t, 3),
  );
  it('status-version 1: a tight read loop during churn ends no session falsely', { timeout: 120_000 }, (t) =>
    churn(t, 1),
  );

  it('leaves no openvpn process behind', async (t) => {
    if (!systemGate(t, NEEDS)) return;
    await procs.stopAll();
    assert.deepEqual(
      procs.all.filter((p) => p.exit === null).map((p) => `${p.pid} ${p.name}`),
      [],
      'every process the tests started has exited',
    );
    assert.deepEqual(await leftovers('openvpn', root), [], `pgrep openvpn: nothing started from ${root} still runs`);
  });
});
