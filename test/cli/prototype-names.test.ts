/**
 * Users named like the properties every plain JavaScript object inherits (`constructor`,
 * `toString`, `valueOf`, `hasOwnProperty`, `__proto__`): through the compiled `run` (their
 * first sessions, then later ones), `sessions --json`, their aliases, and a delete through
 * the endpoint on a real HTTP server, each with a page of its own.
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import type { StatusClient } from '../../src/core/parse-status.js';
import { userSlug } from '../../src/core/slug.js';
import { syntheticClients } from '../../src/demo/synthetic.js';
import { memoryLog, send, siteSettings, startApi } from '../helpers/api.js';
import { cliOk } from '../helpers/cli.js';
import { plus, readHtml, siteArgs, T0, writeStatusFile, writeSyntheticSite } from '../helpers/site.js';
import { tempDir } from '../helpers/tmp.js';

const NAMES = ['constructor', 'toString', 'valueOf', 'hasOwnProperty', '__proto__'];

interface JsonSession {
  id: string;
  user: string;
  status: string;
}

test('users named constructor, toString, valueOf, hasOwnProperty and __proto__', async (t) => {
  const dir = await tempDir(t);
  const site = await writeSyntheticSite(dir, { sessions: 30, users: 3, spanDays: 2, live: 0 });
  const p = site.paths;
  // Written as text: an object literal would take "__proto__" as its prototype.
  await writeFile(
    p.aliases,
    `{${NAMES.map((n) => `${JSON.stringify(n)}: ${JSON.stringify(`Alias ${n}`)}`).join(', ')}}\n`,
  );
  const run = (now: string) => cliOk(['run', ...siteArgs(p, now)]);
  const sessions = async (): Promise<JsonSession[]> =>
    (JSON.parse((await cliOk(['sessions', '--json', '--history', p.history])).stdout) as { sessions: JsonSession[] })
      .sessions;
  await run(plus(T0, 1));

  // Their first sessions: no history, no cached summary yet.
  const first: StatusClient[] = syntheticClients({ count: NAMES.length, updatedAt: plus(T0, 60), seed: 7 }).map(
    (c, i) => ({
      ...c,
      commonName: NAMES[i] as string,
      username: null,
    }),
  );
  await writeStatusFile(p.status, first, plus(T0, 60));
  assert.match((await run(plus(T0, 61))).stderr, /collect: 5 new/);
  // Two updates without them end them; then they connect again (later sessions, with history).
  await writeStatusFile(p.status, [], plus(T0, 120));
  await run(plus(T0, 121));
  await writeStatusFile(p.status, [], plus(T0, 180));
  assert.match((await run(plus(T0, 181))).stderr, /collect: 0 new, 5 ended/);
  const again = first.map((c) => ({
    ...c,
    connectedAt: plus(T0, 200),
    clientId: (c.clientId ?? 0) + 100,
    realPort: (c.realPort ?? 1000) + 1,
  }));
  await writeStatusFile(p.status, again, plus(T0, 240));
  assert.match((await run(plus(T0, 241))).stderr, /collect: 5 new/);
  await writeStatusFile(p.status, again, plus(T0, 300));
  await run(plus(T0, 301));

  const listed = await sessions();
  for (const name of NAMES) {
    const own = listed.filter((s) => s.user === name);
    assert.deepEqual(own.map((s) => s.status).sort(), ['active', 'ended'], `${name}: one ended and one active session`);
  }
  const slugs = NAMES.map(userSlug);
  assert.equal(new Set(slugs).size, NAMES.length, 'a page of its own for each');
  for (const [i, name] of NAMES.entries()) {
    const doc = await readHtml(p.out, `u/${slugs[i]}/index.html`);
    const heading = doc.querySelector('#page-heading')?.textContent ?? '';
    assert.ok(heading.includes(`${name} (Alias ${name})`), `${name}'s page names it with its alias: ${heading}`);
  }

  // Delete their ended sessions through the endpoint: it rebuilds the site before it answers.
  const log = memoryLog();
  const api = await startApi(t, { settings: siteSettings(p), log, passwd: null, ops: { now: () => plus(T0, 302) } });
  const ended = listed.filter((s) => NAMES.includes(s.user) && s.status === 'ended').map((s) => s.id);
  const r = await send(api.port, {
    method: 'POST',
    path: '/api/sessions/delete',
    headers: { Origin: api.origin, 'Content-Type': 'application/json' },
    body: { ids: ended },
  });
  assert.equal(r.status, 200, `${r.text}\n${log.lines.join('\n')}`);
  assert.deepEqual(r.json?.ids, ended);
  const left = await sessions();
  for (const name of NAMES)
    assert.deepEqual(
      left.filter((s) => s.user === name).map((s) => s.status),
      ['active'],
      name,
    );
  for (const slug of slugs)
    assert.ok(
      (await readFile(join(p.out, `u/${slug}/index.html`), 'utf8')).includes('Alias'),
      `u/${slug}/ is still there`,
    );
  await writeStatusFile(p.status, again, plus(T0, 360));
  await run(plus(T0, 361));
});
