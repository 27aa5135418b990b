/**
 * Issue 17, items 1 and 2, through the compiled CLI: a garbage line in the middle of the
 * history and an old row whose end is before its start no longer stop `run` or `sessions`
 * (they exited 2 on every run, the state frozen). The bad line is set aside once in the
 * quarantine file, the old row read as ending when it started, and collection goes on.
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { test } from 'node:test';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { readState } from '../../src/io/history-store.js';
import { cliOk, sessionsJson } from '../helpers/cli.js';
import { plus, siteArgs, T0, writeStatusFile, writeSyntheticSite } from '../helpers/site.js';
import { tempDir } from '../helpers/tmp.js';

/** Beside the history (the name is part of the contract). */
const quarantinePath = (history: string): string => `${history}.quarantine.csv`;

test('a garbage line in the middle of the CSV and a row ending before it starts: run and sessions go on, the line set aside once', async (t) => {
  const dir = await tempDir(t, 'ovsw-quarantine-');
  const site = await writeSyntheticSite(dir, { sessions: 40, users: 4, spanDays: 3, live: 2 });
  const { history } = site.paths;
  const lines = (await readFile(history, 'utf8')).split('\n');
  // Line 3: an end ten minutes before the start, as older versions wrote after a clock step.
  const [header, row] = parse(`${lines[0]}\n${lines[2]}\n`) as string[][];
  const at = (c: string): number => (header as string[]).indexOf(c);
  const r = [...(row as string[])];
  const connectedAt = r[at('connectedAt')] as string;
  r[at('endedAt')] = plus(connectedAt, -600);
  lines[2] = stringify([r]).trimEnd();
  // Line 21: garbage, by hand, in the middle of the file.
  lines.splice(20, 0, 'this is not a session, "nor is this');
  await writeFile(history, lines.join('\n'));

  const first = await cliOk(['run', ...siteArgs(site.paths, plus(T0, 1))]);
  assert.match(
    first.stderr,
    /openvpn-sessions\.csv:21: .*set aside in .*openvpn-sessions\.csv\.quarantine\.csv/,
    first.stderr,
  );
  assert.match(
    first.stderr,
    new RegExp(
      `openvpn-sessions\\.csv:3: column endedAt: .* is before connectedAt ${connectedAt}; read as ending when it started`,
    ),
  );
  const q = parse(await readFile(quarantinePath(history)), { columns: true }) as Record<string, string>[];
  assert.deepEqual(
    q.map((x) => [x.file, x.line, x.text]),
    [[history, '21', 'this is not a session, "nor is this']],
  );
  const quarantine = await readFile(quarantinePath(history));

  // Collection goes on: a later status update is taken in; nothing is set aside twice.
  await writeStatusFile(site.paths.status, site.clients, plus(T0, 60), site.seed);
  await cliOk(['run', ...siteArgs(site.paths, plus(T0, 61))]);
  assert.equal((await readState(site.paths.state)).instances.default?.lastUpdatedAt, plus(T0, 60));
  assert.deepEqual(await readFile(quarantinePath(history)), quarantine);

  const all = await sessionsJson(history);
  assert.equal(all.length, 40 + 2, 'every good row and both live clients');
  const old = all.find((s) => s.connectedAt === connectedAt && s.endedAt !== null);
  assert.equal(old?.endedAt, connectedAt);
  assert.equal(old?.durationS, 0);
  assert.deepEqual(await readFile(quarantinePath(history)), quarantine);
});
