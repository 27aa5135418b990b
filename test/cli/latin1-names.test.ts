/**
 * A status file whose names are not UTF-8 (Latin-1 bytes from a certificate or a client's
 * username), written to disk byte for byte: `parse`, `collect` and `sessions --json` keep
 * `J\xfcrgen` and `J\xf6rgen` two users (as U+FFFD they were one) and say so once.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { cliOk } from '../helpers/cli.js';
import { collectArgs } from '../helpers/collector.js';
import { isoPlus, renderV3, writeStatus, type GenClient } from '../helpers/status.js';
import { tempDir } from '../helpers/tmp.js';

const AT = 1795709375; // 2026-11-26T16:09:35Z

const client = (commonName: string, username: string | null, i: number): GenClient => ({
  commonName,
  username,
  ip: `198.51.100.${10 + i}`,
  port: 50000 + i,
  virtualAddress: `10.8.0.${10 + i}`,
  bytesReceived: 1000 * i,
  bytesSent: 2000 * i,
  connectedAt: AT - 600 + i,
  clientId: i,
  peerId: i,
});

/** The v3 file with its placeholders replaced by raw bytes: {ue} = 0xFC (ü in Latin-1), {oe} = 0xF6 (ö). */
function statusBytes(updatedAt: number): Buffer {
  const text = renderV3(updatedAt, [
    client('J{ue}rgen', null, 1),
    client('J{oe}rgen', null, 2),
    client('Zoë', 'M{ue}ller', 3),
  ]);
  return Buffer.concat(
    text
      .split(/(\{ue\}|\{oe\})/)
      .map((p) => (p === '{ue}' ? Buffer.from([0xfc]) : p === '{oe}' ? Buffer.from([0xf6]) : Buffer.from(p, 'utf8'))),
  );
}

interface JsonSession {
  user: string;
  commonName: string;
  username: string | null;
}

test('Latin-1 names in a status file on disk: two users, not one, and a warning', async (t) => {
  const dir = await tempDir(t);
  const status = join(dir, 'status.log');
  const history = join(dir, 'history.csv');
  const data = statusBytes(AT);
  assert.ok(data.includes(Buffer.from([0x4a, 0xfc, 0x72])), 'the raw byte is in the file');
  await writeStatus(status, data);

  const parsed = await cliOk(['parse', status, '--tz', 'UTC']);
  const snap = JSON.parse(parsed.stdout) as { clients: { commonName: string; username: string | null }[] };
  assert.deepEqual(
    snap.clients.map((c) => [c.commonName, c.username]),
    [
      ['Jürgen', null],
      ['Jörgen', null],
      ['Zoë', 'Müller'],
    ],
  );
  assert.match(parsed.stderr, /status\.log: not valid UTF-8 on lines 4, 5, 6, 8, 9; those fields were read as Latin-1/);

  const first = await cliOk(collectArgs([status], history, isoPlus('2026-11-26T16:09:35Z', 1)));
  assert.match(first.stderr, /collect: 3 new/);
  assert.match(first.stderr, /default: .*status\.log: not valid UTF-8 on lines 4, 5, 6, 8, 9/);
  const sessions = (
    JSON.parse((await cliOk(['sessions', '--json', '--history', history])).stdout) as { sessions: JsonSession[] }
  ).sessions;
  assert.deepEqual(sessions.map((s) => s.user).sort(), ['Jörgen', 'Jürgen', 'Müller']);
  assert.deepEqual(
    sessions.find((s) => s.user === 'Müller')?.commonName,
    'Zoë',
    'a UTF-8 field on the same line stays UTF-8',
  );

  // The next update of the same clients: the same sessions, and no warning again.
  await writeStatus(status, statusBytes(AT + 10));
  const next = await cliOk(collectArgs([status], history, isoPlus('2026-11-26T16:09:45Z', 1)));
  assert.match(next.stderr, /collect: 0 new, 0 ended, 0 server-stopped, 0 re-opened, 3 active/);
  assert.doesNotMatch(next.stderr, /UTF-8/);
});
