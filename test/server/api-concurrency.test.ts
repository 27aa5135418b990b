/**
 * Deletes against the cron job: 20 parallel delete requests to the endpoint while the
 * compiled `collect` runs in a loop for 30 s on a status file that keeps changing
 * (clients reconnect, so sessions end and are appended). Every requested deletion is done
 * once, nothing else is lost, no deleted session reappears, and the CSV parses whenever
 * it is read.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { parse } from 'csv-parse/sync';
import { missingRequiredColumns, sessionFromRecord } from '../../src/core/history-rows.js';
import { sessionFromClient } from '../../src/core/session.js';
import { advanceClients } from '../../src/demo/synthetic.js';
import { readAllHistory, readState } from '../../src/io/history-store.js';
import { readAudit, readTrash, trashPaths } from '../../src/io/trash.js';
import {
  basic,
  memoryLog,
  PASSWORD,
  send,
  siteSettings,
  startApi,
  USER,
  writePasswd,
  type Reply,
} from '../helpers/api.js';
import { cliOk } from '../helpers/cli.js';
import { plus, siteArgs, writeStatusFile, writeSyntheticSite } from '../helpers/site.js';
import { tempDir } from '../helpers/tmp.js';

const LOOP_MS = 30_000;

/** The ids of every complete row; throws when a complete line does not parse. A torn tail (an append being written as we read) is left out. */
function idsOfCsv(text: string, file: string): string[] {
  const end = text.lastIndexOf('\n') + 1;
  const rows = parse(text.slice(0, end), { columns: true, bom: true }) as Record<string, string>[];
  if (rows.length > 0) assert.deepEqual(missingRequiredColumns(Object.keys(rows[0]!)), [], 'the header is whole');
  return rows.map((r, i) => sessionFromRecord(r, file, i + 2).id);
}

test('20 parallel deletes while collect runs in a loop: each done once, nothing else lost, nothing reappears', {
  timeout: 240_000,
}, async (t) => {
  const dir = await tempDir(t);
  const site = await writeSyntheticSite(dir, { sessions: 150, users: 6, spanDays: 3, live: 8 });
  const settings = siteSettings(site.paths, { lockTimeout: 60 });
  const log = memoryLog();
  const api = await startApi(t, { settings, log, passwd: await writePasswd(dir) });

  // 18 distinct batches of 3 ended sessions, and two batches asked for twice.
  const history = site.history.map((s) => s.id);
  const batches = Array.from({ length: 18 }, (_, i) => history.slice(i * 3, i * 3 + 3));
  const requests = [...batches, batches[4]!, batches[11]!];
  const requested = new Set(batches.flat());

  // Every session the status files ever list must end up recorded (CSV or state).
  const seen = new Set<string>(site.state.tracked.map((s) => s.id));
  let clients = site.clients;
  let updatedAt = site.updatedAt;
  let stop = false;
  let collects = 0;
  const collectLoop = (async () => {
    const until = Date.now() + LOOP_MS;
    for (let i = 1; Date.now() < until; i++) {
      const next = plus(updatedAt, 10);
      clients = advanceClients(clients, { from: updatedAt, to: next, reconnect: 2, seed: 700 + i });
      updatedAt = next;
      for (const c of clients) seen.add(sessionFromClient('default', c, updatedAt).id);
      await writeStatusFile(site.paths.status, clients, updatedAt, site.seed);
      await cliOk(['collect', ...siteArgs(site.paths, plus(updatedAt, 1))]);
      collects++;
    }
  })();

  // Reads the CSV as nginx or a spreadsheet would, all the time.
  const acknowledged = new Set<string>();
  let samples = 0;
  const sampler = (async () => {
    while (!stop) {
      const ackedBefore = new Set(acknowledged);
      const ids = idsOfCsv(await readFile(site.paths.history, 'utf8'), site.paths.history);
      assert.equal(new Set(ids).size, ids.length, 'no session is in the CSV twice');
      for (const id of ids) assert.ok(!ackedBefore.has(id), `deleted session ${id} reappeared in the CSV`);
      samples++;
      await new Promise((r) => setTimeout(r, 20));
    }
  })();

  await new Promise((r) => setTimeout(r, 2000));
  const sent = Date.now();
  let lastAnswer = 0;
  const replies = await Promise.all(
    requests.map(async (ids): Promise<[string[], Reply]> => {
      const r = await send(api.port, {
        method: 'POST',
        path: '/api/sessions/delete',
        headers: { Authorization: basic(USER, PASSWORD), 'Content-Type': 'application/json', Origin: api.origin },
        body: { ids },
      });
      if (r.status === 200) for (const id of ids) acknowledged.add(id);
      lastAnswer = Date.now();
      return [ids, r];
    }),
  );
  const collectsDuringDeletes = collects;
  await collectLoop;
  stop = true;
  t.diagnostic(
    `deletes answered within ${lastAnswer - sent} ms; ${collects} collect runs (${collectsDuringDeletes} by the last answer); CSV read ${samples} times`,
  );
  await sampler;

  // Each batch was deleted exactly once: the repeated ones answer 404 the second time.
  for (const batch of batches) {
    const answers = replies.filter(([ids]) => ids === batch).map(([, r]) => r);
    const twice = batch === batches[4] || batch === batches[11];
    assert.equal(
      answers.filter((r) => r.status === 200).length,
      1,
      `batch ${batch.join(',')} deleted once: ${answers.map((r) => r.text).join(' | ')}`,
    );
    if (twice) assert.deepEqual(answers.map((r) => r.status).sort(), [200, 404], 'the repeat finds nothing to delete');
  }
  const trashed = [];
  for await (const e of readTrash(trashPaths(site.paths.history).trash)) trashed.push(e.session.id);
  assert.deepEqual([...trashed].sort(), [...requested].sort(), 'the trash holds each deleted session once');
  const audit = (await readAudit(trashPaths(site.paths.history).audit)).filter((a) => a.action === 'delete');
  assert.equal(audit.length, 18, 'one audit line per deletion done');

  const final = (await readAllHistory(site.paths.history)).map((s) => s.id);
  const state = await readState(site.paths.state);
  const recorded = new Set([...final, ...state.tracked.map((s) => s.id)]);
  assert.equal(new Set(final).size, final.length, 'no duplicates in the final CSV');
  for (const id of requested) assert.ok(!recorded.has(id), `deleted session ${id} is not recorded anywhere`);
  const lost = [...history.filter((id) => !requested.has(id)), ...seen].filter((id) => !recorded.has(id));
  assert.deepEqual(lost, [], 'every session that was not deleted is still recorded');
  assert.ok(
    final.length > history.length - requested.size,
    `collect appended ended sessions meanwhile (${final.length} rows)`,
  );
  assert.ok(collects >= 5, `collect ran in a loop (${collects} runs)`);
  assert.ok(samples >= 50, `the CSV was read often (${samples} times)`);
  assert.ok(!log.lines.some((l) => /skipped|internal error/.test(l)), log.lines.join('\n'));
});
