/**
 * Issue 22: rows that leave their place in the chain through the tool keep `verify` at 0.
 * A server-stopped session is held until its instance is fresh again, so its row is written
 * after rows of other instances that ended later: retention must not move rows that are not
 * a prefix of the history, nor (across New Year) put them into two year files in another order
 * than the chain's. A row deleted and restored after retention archived its neighbours goes
 * back at the end of the history, recorded. Real collect runs on real status files, real files
 * on disk.
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { historyOps } from '../../src/app/history-edit.js';
import { archivePath } from '../../src/app/retention.js';
import type { StatusClient } from '../../src/core/parse-status.js';
import { readAllHistory } from '../../src/io/history-store.js';
import { trashPaths } from '../../src/io/trash.js';
import { memoryLog, siteSettings } from '../helpers/api.js';
import { cliOk, runCli } from '../helpers/cli.js';
import { plus, siteArgs, T0, writeStatusFile, writeSyntheticSite } from '../helpers/site.js';
import { tempDir } from '../helpers/tmp.js';

interface Report {
  ok: boolean;
  rows: number;
  problems: { file: string; line: number | null; reason: string }[];
}

async function verify(history: string): Promise<{ code: number | null; report: Report }> {
  const r = await runCli(['verify', '--history', history, '--json']);
  assert.ok(r.code === 0 || r.code === 1, `exit ${r.code}: ${r.stderr}`);
  return { code: r.code, report: JSON.parse(r.stdout) as Report };
}

function client(commonName: string, connectedAt: string, realPort: number): StatusClient {
  return {
    commonName,
    username: null,
    realAddress: '198.51.100.7',
    realPort,
    protocol: null,
    virtualAddress: `10.8.0.${realPort % 200}`,
    virtualIpv6: null,
    bytesReceived: 1000,
    bytesSent: 2000,
    connectedAt,
    clientId: realPort,
    peerId: realPort,
    cipher: null,
    extra: {},
  };
}

interface Held {
  history: string;
  config: string;
  collect: (now: string) => Promise<void>;
}

/**
 * Two instances, a and b. b's session W ends on Dec 30; a's status file stops being updated
 * at Dec 31 23:50 (its session X is held as server-stopped), b's session Y ends at Jan 1
 * 00:05 and is written; a comes back at 00:20 and X is written: the history is W, Y, X.
 */
async function heldAcrossNewYear(t: Parameters<typeof tempDir>[0]): Promise<Held> {
  const dir = await tempDir(t);
  const a = join(dir, 'a.status');
  const b = join(dir, 'b.status');
  const history = join(dir, 'h.csv');
  const config = join(dir, 'config.json');
  await writeFile(config, JSON.stringify({ retentionDays: 1 }));
  const collect = async (now: string): Promise<void> => {
    const args = ['collect', '--status', `a=${a}`, '--status', `b=${b}`, '--history', history];
    await cliOk([...args, '--tz', 'UTC', '--now', now, '--config', config]);
  };
  const x = client('xavier', '2025-12-31T19:00:00Z', 40001);
  const w = client('wanda', '2025-12-30T19:30:00Z', 40002);
  const y = client('yusuf', '2025-12-30T19:40:00Z', 40003);
  const step = async (at: string, onA: StatusClient[] | null, onB: StatusClient[]): Promise<void> => {
    if (onA) await writeStatusFile(a, onA, at);
    await writeStatusFile(b, onB, at);
    await collect(plus(at, 1));
  };
  await step('2025-12-30T20:00:00Z', [x], [w, y]);
  await step('2025-12-30T20:10:00Z', [x], [y]);
  await step('2025-12-30T20:11:00Z', [x], [y]); // W ended
  await step('2025-12-31T23:50:00Z', [x], [y]); // a's last update
  await step('2026-01-01T00:05:00Z', null, [y]); // a is stale: X held
  await step('2026-01-01T00:10:00Z', null, []);
  await step('2026-01-01T00:11:00Z', null, []); // Y ended (at 00:05) and written
  await step('2026-01-01T00:20:00Z', [], []); // a is back without X
  await step('2026-01-01T00:21:00Z', [], []); // and still without it: X written after Y
  const rows = await readAllHistory(history);
  assert.deepEqual(
    rows.map((s) => [s.commonName, s.endedAt]),
    [
      ['wanda', '2025-12-30T20:00:00Z'],
      ['yusuf', '2026-01-01T00:05:00Z'],
      ['xavier', '2025-12-31T23:50:00Z'],
    ],
    'the held row is written after a row that ended later',
  );
  return { history, config, collect };
}

test("retention moves rows in the history's order: a held row due after a newer one that is not waits, and verify stays 0", async (t) => {
  const h = await heldAcrossNewYear(t);
  // Cutoff Jan 1 00:00: W and X are due, Y (between them) is not: X waits for Y.
  await h.collect('2026-01-02T00:00:00Z');
  const names = async (path: string): Promise<string[]> => (await readAllHistory(path)).map((s) => s.commonName);
  assert.deepEqual(await names(h.history), ['yusuf', 'xavier']);
  assert.deepEqual(await names(archivePath(h.history, '2025')), ['wanda']);
  const first = await verify(h.history);
  assert.deepEqual(first.report.problems, []);
  assert.equal(first.code, 0);
  // Cutoff Jan 3 (the oldest row, Y, a day past it): X (of Dec 31) follows Y into 2026's file.
  await h.collect('2026-01-04T00:00:00Z');
  assert.deepEqual(await names(h.history), []);
  assert.deepEqual(await names(archivePath(h.history, '2025')), ['wanda']);
  assert.deepEqual(await names(archivePath(h.history, '2026')), ['yusuf', 'xavier']);
  const second = await verify(h.history);
  assert.deepEqual(second.report.problems, []);
  assert.equal(second.code, 0);
});

test("a held row of Dec 31 written after a row of Jan 1 goes to the later year's file with it; verify stays 0", async (t) => {
  const h = await heldAcrossNewYear(t);
  // Cutoff Jan 2: all three are due at once.
  await h.collect('2026-01-03T00:00:00Z');
  const names = async (path: string): Promise<string[]> => (await readAllHistory(path)).map((s) => s.commonName);
  assert.deepEqual(await names(archivePath(h.history, '2025')), ['wanda']);
  assert.deepEqual(await names(archivePath(h.history, '2026')), ['yusuf', 'xavier']);
  const { code, report } = await verify(h.history);
  assert.deepEqual(report.problems, []);
  assert.equal(code, 0);
});

test('a row restored after retention archived the rows before and after it keeps verify at 0, also once it is archived itself', async (t) => {
  const dir = await tempDir(t);
  const site = await writeSyntheticSite(dir, { sessions: 120, users: 5, spanDays: 12, live: 2, seed: 25 });
  const p = site.paths;
  await cliOk(['run', ...siteArgs(p, T0)]);
  const now = plus(T0, 1);
  const cutoff = Date.parse(now) - 5 * 86_400_000;
  const rows = await readAllHistory(p.history);
  // A row in the middle of those retention moves: the rows before and after it go too.
  const due = (i: number): boolean => Date.parse(rows[i]?.endedAt as string) < cutoff - 10_000;
  const k = rows.findIndex((_s, i) => i > 2 && due(i - 1) && due(i) && due(i + 1));
  assert.ok(k > 0, 'such a row exists');
  const id = (rows[k] as { id: string }).id;
  const ops = historyOps({ settings: siteSettings(p), log: memoryLog(), now: () => now });
  const actor = { user: 'alice', client: '127.0.0.1' };
  assert.ok((await ops.deleteSessions([id], actor)).ok);
  const config = join(dir, 'config.json');
  await writeFile(config, JSON.stringify({ retentionDays: 5 }));
  await cliOk(['run', ...siteArgs(p, now, ['--config', config])]);
  assert.ok((await ops.restoreSessions([id], actor)).ok);
  assert.equal((await readAllHistory(p.history)).at(-1)?.id, id, 'its place is gone: it is back at the end');
  const restored = await verify(p.history);
  assert.deepEqual(restored.report.problems, []);
  assert.equal(restored.code, 0);
  const entry = JSON.parse((await readFile(trashPaths(p.history).audit, 'utf8')).trim().split('\n').at(-1) as string);
  assert.deepEqual(
    entry.links.map((l: { id: string }) => l.id),
    [id],
    'the restore records where the row came from and went',
  );
  // Deleted from its new place and restored there again: verify follows.
  assert.ok((await ops.deleteSessions([id], actor)).ok);
  assert.deepEqual((await verify(p.history)).report.problems, []);
  assert.ok((await ops.restoreSessions([id], actor)).ok);
  assert.equal((await readAllHistory(p.history)).at(-1)?.id, id);
  assert.deepEqual((await verify(p.history)).report.problems, []);
  // Retention moves it to the archive once the rows before it are due too, right after them.
  await cliOk(['run', ...siteArgs(p, plus(now, 7 * 86_400), ['--config', config])]);
  const archived = (await readAllHistory(archivePath(p.history, '2026'))).map((s) => s.id);
  assert.ok(archived.includes(id), 'archived');
  const after = await verify(p.history);
  assert.deepEqual(after.report.problems, []);
  assert.equal(after.code, 0);
  const log = (await readFile(trashPaths(p.history).audit, 'utf8')).trim().split('\n');
  assert.deepEqual(
    log.map((l) => JSON.parse(l).action),
    ['delete', 'retention', 'restore', 'delete', 'restore', 'retention'],
  );
});
