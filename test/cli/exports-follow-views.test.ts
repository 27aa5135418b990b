/**
 * Every export file holds exactly its view: after each step of a scenario of cron runs (the
 * compiled `run`, rewritten status files, a pinned `--now`) with starts, ends, deletes and
 * restores through the endpoint, a retention move and a clear, the rows of every file (xlsx
 * read back cell by cell, CSV parsed) equal the rows of its view in `sessions --json`, in the
 * same order: all users and each user × all/active/ended, and each day's file.
 */
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { historyOps } from '../../src/app/history-edit.js';
import type { StatusClient } from '../../src/core/parse-status.js';
import { advanceClients } from '../../src/demo/synthetic.js';
import { apiHandler, serveApi } from '../../src/server/api.js';
import { memoryLog, send, siteSettings } from '../helpers/api.js';
import { cliOk } from '../helpers/cli.js';
import { sessionsJson, type SessionJson } from '../helpers/cli.js';
import { assertSumsCurrent } from '../helpers/export-sums.js';
import { exportMismatches } from '../helpers/export-views.js';
import { plus, siteArgs, T0, writeStatusFile, writeSyntheticSite, type SyntheticSite } from '../helpers/site.js';
import { tempDir } from '../helpers/tmp.js';

describe('after every run and edit, every export file holds its view', () => {
  let dir: string;
  let site: SyntheticSite;
  let clients: StatusClient[];
  let port: number;
  let server: Server;
  /** The status file's time and the runs' --now (a second later). */
  let at = T0;
  const log = memoryLog();
  let config: string;

  /** Writes the status file listing `next` one minute on, and runs as cron would. */
  const runWith = async (next: StatusClient[], extra: string[] = []): Promise<void> => {
    const from = at;
    at = plus(at, 60);
    clients = advanceClients(next, { from, to: at, seed: 7 });
    await writeStatusFile(site.paths.status, clients, at, site.seed);
    await cliOk(['run', ...extra, ...siteArgs(site.paths, plus(at, 1))]);
  };
  const post = async (path: string, body: object): Promise<void> => {
    const r = await send(port, {
      method: 'POST',
      path,
      headers: { 'Content-Type': 'application/json', Origin: `http://127.0.0.1:${port}` },
      body,
    });
    assert.equal(r.status, 200, r.text);
  };
  /** Every export file against its view: the other files first, then the whole-history files of all users. */
  const check = async (expect: (sessions: SessionJson[]) => void = () => {}): Promise<void> => {
    const sessions = await sessionsJson(site.paths.history);
    expect(sessions);
    const m = await exportMismatches(site.paths.out, sessions);
    assert.deepEqual(m.other, [], 'the files of each user, each day, and the running sessions of all users');
    assert.deepEqual(m.wholeHistory, [], 'the whole-history files of all users');
    await assertSumsCurrent(site.paths.out, 'the sums files');
  };

  before(async () => {
    dir = await tempDir('ovsw-follow-');
    await mkdir(join(dir, 'site'));
    site = await writeSyntheticSite(join(dir, 'site'), { sessions: 150, users: 6, spanDays: 8, live: 3 });
    clients = site.clients;
    config = join(dir, 'config.json');
    await writeFile(config, JSON.stringify({ retentionDays: 5 }));
    const ops = historyOps({ settings: siteSettings(site.paths), log, now: () => plus(at, 2) });
    server = await serveApi(apiHandler({ ops, passwd: null, publicOrigin: null, warn: log.warn }), '127.0.0.1', 0);
    port = (server.address() as AddressInfo).port;
    await cliOk(['run', ...siteArgs(site.paths, plus(at, 1))]);
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  test('the first run', () => check((s) => assert.equal(s.filter((x) => x.status === 'active').length, 3)));

  test('a client connects: its session is running in every view', async () => {
    const base = clients[0] as StatusClient;
    const newcomer: StatusClient = {
      ...base,
      commonName: 'newcomer',
      username: null,
      realAddress: '198.51.100.77',
      realPort: 50_123,
      virtualAddress: '10.8.9.77',
      virtualIpv6: 'fd00:8::9077',
      connectedAt: plus(at, 30),
      clientId: 9000,
      peerId: 90,
    };
    await runWith([...clients, newcomer]);
    await check((s) => assert.ok(s.some((x) => x.user === 'newcomer' && x.status === 'active')));
  });

  test('a client disconnects: the first update without it, then the second ends its session', async () => {
    const leaving = clients[1] as StatusClient;
    const rest = clients.filter((c) => c !== leaving);
    await runWith(rest);
    await check();
    await runWith(clients);
    await check((s) =>
      assert.ok(
        s.some((x) => x.commonName === leaving.commonName && x.connectedAt === leaving.connectedAt && x.endedAt),
      ),
    );
  });

  test('a delete through the endpoint: the newest ended session, one of the oldest and one in between', async () => {
    const ended = (await sessionsJson(site.paths.history)).filter((s) => s.status === 'ended');
    const gone = [ended[0], ended[Math.floor(ended.length / 2)], ended.at(-1)].map((s) => (s as SessionJson).id);
    await post('/api/sessions/delete', { ids: gone });
    await check((s) => assert.ok(!s.some((x) => gone.includes(x.id))));
  });

  test('a restore through the endpoint: two of the three come back', async () => {
    const trash = await send(port, { path: '/api/trash?limit=10' });
    const ids = ((trash.json?.entries ?? []) as { id: string }[]).map((e) => e.id).slice(0, 2);
    assert.equal(ids.length, 2);
    await post('/api/sessions/restore', { ids });
    await check((s) => assert.ok(ids.every((id) => s.some((x) => x.id === id))));
  });

  test('a reconnect and a retention move in one run', async () => {
    const before = (await sessionsJson(site.paths.history)).length;
    const from = at;
    await runWith(advanceClients(clients, { from, to: plus(from, 30), reconnect: 1, seed: 11 }), ['--config', config]);
    await check((s) => assert.ok(s.length < before - 10, `${before} sessions, ${s.length} after the move`));
  });

  test('a clear through the endpoint: only the running sessions are left', async () => {
    const count = (await sessionsJson(site.paths.history)).filter((s) => s.status === 'ended').length;
    await post('/api/sessions/clear', { confirm: 'DELETE ALL', expectedCount: count });
    await check((s) => assert.ok(s.every((x) => x.status === 'active')));
  });

  test('the next run after the clear', async () => {
    await runWith(clients);
    await check();
  });
});
