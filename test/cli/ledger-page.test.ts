/**
 * /ledger/ follows the history: a delete with a reason through the endpoint (a real HTTP
 * server on port 0) is on the page once the endpoint has answered, with what the change log
 * records (ids, count, who, why) and nothing else of the session; a `verify` shows on the
 * page from the next build on.
 */
import assert from 'node:assert/strict';
import { userInfo } from 'node:os';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { memoryLog, send, siteSettings, startApi } from '../helpers/api.js';
import { cliOk, sessionsJson } from '../helpers/cli.js';
import { parseHtml, plus, siteArgs, T0, writeSyntheticSite } from '../helpers/site.js';
import { tempDir } from '../helpers/tmp.js';

const REASON = `<script>alert("why")</script> & tests' data`;

const ledgerHtml = async (out: string): Promise<string> => readFile(join(out, 'ledger/index.html'), 'utf8');

test('a delete with a reason is on /ledger/ once the endpoint has answered; nothing of the session but its id', async (t) => {
  const dir = await tempDir(t);
  const site = await writeSyntheticSite(dir, { sessions: 30, users: 4, spanDays: 3, live: 2, seed: 22 });
  await cliOk(['run', ...siteArgs(site.paths, T0)]);
  const first = parseHtml(await ledgerHtml(site.paths.out));
  assert.equal(first.querySelector('p.empty')?.textContent, 'Noch keine Änderungen.');
  const victim = (await sessionsJson(site.paths.history)).find((s) => s.endedAt !== null);
  assert.ok(victim);
  const api = await startApi(t, {
    settings: siteSettings(site.paths),
    log: memoryLog(),
    passwd: null,
    ops: { now: () => plus(T0, 5) },
  });
  const r = await send(api.port, {
    method: 'POST',
    path: '/api/sessions/delete',
    headers: { 'Content-Type': 'application/json', Origin: api.origin },
    body: { ids: [victim.id], reason: REASON },
  });
  assert.equal(r.status, 200, r.text);
  const raw = await ledgerHtml(site.paths.out);
  assert.equal(raw.includes('<script>alert'), false, 'the reason is escaped');
  const d = parseHtml(raw);
  const rows = [...d.querySelectorAll('tr.ledger-entry')];
  assert.equal(rows.length, 1);
  const row = rows[0] as Element;
  assert.equal(row.querySelector('.c-action')?.textContent, 'Gelöscht');
  assert.equal(row.querySelector('.c-reason')?.textContent, REASON);
  assert.equal(row.querySelector('.c-ids')?.textContent, victim.id);
  assert.equal(row.querySelector('.c-count')?.textContent, '1');
  const ledger = JSON.parse(await readFile(join(site.paths.out, 'ledger.json'), 'utf8'));
  assert.equal(d.querySelector('.c-head')?.textContent, ledger.head, 'the head the build published');
  assert.equal(d.querySelector('.c-rows')?.textContent, String(ledger.rows));
  assert.match(row.querySelector('.c-change code')?.textContent ?? '', new RegExp(`→ ${ledger.head.slice(0, 12)}…$`));
  for (const trace of [victim.realAddress, victim.virtualAddress, victim.commonName, victim.connectedAt])
    assert.equal(raw.includes(String(trace)), false, `${trace} is not on the page`);
});

test('/ledger/ says when the history was last verified, from the build after a verify', async (t) => {
  const dir = await tempDir(t);
  const site = await writeSyntheticSite(dir, { sessions: 20, users: 3, spanDays: 2, live: 1, seed: 7 });
  await cliOk(['run', ...siteArgs(site.paths, T0)]);
  const before = parseHtml(await ledgerHtml(site.paths.out)).querySelector('.c-verified')?.textContent;
  assert.equal(before, 'noch nie');
  await cliOk(['verify', '--history', site.paths.history, '--now', plus(T0, 60)]);
  await cliOk(['build', ...siteArgs(site.paths, plus(T0, 120))]);
  const d = parseHtml(await ledgerHtml(site.paths.out));
  const head = d.querySelector('.c-head')?.textContent ?? '';
  assert.equal(
    d.querySelector('.c-verified')?.textContent,
    `2026-03-18 15:01:00: intakt (Kopf ${head.slice(0, 12)}… bei 20 Zeilen) von ${userInfo().username}`,
  );
});
