/**
 * `openvpn-status-web parse FILE`: the compiled CLI, as users and scripts run it. Output is
 * the contract in docs/CONTRACTS.md ("`parse` JSON"): JSON on stdout and exit 0, or one line on
 * stderr and exit 2.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { CLI, ensureBuilt, ROOT } from '../helpers/build.js';

const FIXTURES = 'test/fixtures/status';

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `node dist/cli.js ARGS` in the project folder (so fixture paths are relative). */
function cli(...args: string[]): Result {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  if (r.error) throw r.error;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Exit 2, nothing on stdout, exactly one line on stderr that starts with `prefix`. */
function assertOneLineError(r: Result, prefix: string): string {
  assert.equal(r.code, 2, r.stderr);
  assert.equal(r.stdout, '');
  assert.ok(
    r.stderr.endsWith('\n') && r.stderr.indexOf('\n') === r.stderr.length - 1,
    `not one line: ${JSON.stringify(r.stderr)}`,
  );
  assert.ok(r.stderr.startsWith(prefix), `${JSON.stringify(r.stderr)} should start with ${JSON.stringify(prefix)}`);
  return r.stderr.slice(prefix.length, -1);
}

// Every client field of the contract, with its JSON types ("extra" is an addition).
const CLIENT_FIELDS: Record<string, string[]> = {
  commonName: ['string'],
  username: ['string', 'null'],
  realAddress: ['string'],
  realPort: ['number', 'null'],
  protocol: ['string', 'null'],
  virtualAddress: ['string', 'null'],
  virtualIpv6: ['string', 'null'],
  bytesReceived: ['number'],
  bytesSent: ['number'],
  connectedAt: ['string'],
  clientId: ['number', 'null'],
  peerId: ['number', 'null'],
  cipher: ['string', 'null'],
};
const typeOf = (v: unknown): string => (v === null ? 'null' : typeof v);

describe('openvpn-status-web parse', () => {
  before(() => {
    // Builds dist/ once if it is missing or older than src/ (shared lock with the other CLI tests).
    ensureBuilt();
  });

  test('a v3 file from OpenVPN 2.6.14: exit 0 and the contract JSON', () => {
    const r = cli('parse', `${FIXTURES}/v3-auth-pending.log`, '--tz', 'UTC');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    const out = JSON.parse(r.stdout) as Record<string, unknown>;
    assert.equal(out.schemaVersion, 1);
    assert.equal(out.format, 3);
    assert.equal(
      out.title,
      'OpenVPN 2.6.14 x86_64-pc-linux-gnu [SSL (OpenSSL)] [LZO] [LZ4] [EPOLL] [PKCS11] [MH/PKTINFO] [AEAD] [DCO]',
    );
    assert.equal(out.updatedAt, '2026-11-26T16:15:38Z');
    assert.ok(Array.isArray(out.routes));
    assert.equal((out.routes as unknown[]).length, 10);
    const clients = out.clients as Record<string, unknown>[];
    assert.equal(clients.length, 6);
    for (const c of clients) {
      for (const [k, types] of Object.entries(CLIENT_FIELDS)) {
        assert.ok(k in c, `client ${String(c.commonName)} has no ${k}`);
        assert.ok(types.includes(typeOf(c[k])), `${k} is ${typeOf(c[k])}`);
      }
      assert.match(c.connectedAt as string, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    }
    // Row 4 of the file: client-07, listed while its authentication is pending.
    const { extra, ...pending } = clients[3] ?? {};
    assert.deepEqual(pending, {
      commonName: 'client-07',
      username: 'user07',
      realAddress: '127.0.0.17',
      realPort: 42207,
      protocol: null,
      virtualAddress: null,
      virtualIpv6: null,
      bytesReceived: 2256,
      bytesSent: 2007,
      connectedAt: '2026-11-26T16:15:37Z',
      clientId: 7,
      peerId: 2,
      cipher: 'BF-CBC',
    });
    assert.deepEqual(extra, {});
    // UNDEF usernames come out as null.
    assert.equal(clients.find((c) => c.commonName === 'Dave Lee')?.username, null);
  });

  test('a v1 file: its time text is read in --tz', () => {
    const utc = JSON.parse(cli('parse', `${FIXTURES}/v1-connected.log`, '--tz', 'UTC').stdout) as {
      format: number;
      updatedAt: string;
    };
    assert.equal(utc.format, 1);
    assert.equal(utc.updatedAt, '2026-11-26T16:14:33Z');
    const berlin = cli('parse', `${FIXTURES}/v1-connected.log`, '--tz', 'Europe/Berlin');
    assert.equal(berlin.code, 0, berlin.stderr);
    assert.equal((JSON.parse(berlin.stdout) as { updatedAt: string }).updatedAt, '2026-11-26T15:14:33Z');
  });

  test('an absolute path and CRLF line ends (the management interface reply)', () => {
    const r = cli('parse', join(ROOT, FIXTURES, 'mgmt-v2.txt'), '--tz', 'UTC');
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { format: number; clients: { commonName: string; cipher: string }[] };
    assert.equal(out.format, 2);
    assert.equal(out.clients.length, 6);
    assert.equal(out.clients[0]?.cipher, 'AES-256-GCM');
  });

  // Not a complete server status file: one line naming file and line, exit 2.
  const bad: [string, number, string][] = [
    ['tonyseek__openvpn-status__broken-openvpn-status-0.txt', 1, 'empty file'],
    ['kumina__openvpn_exporter__client.status', 1, 'client-mode "OpenVPN STATISTICS"'],
    ['tonyseek__openvpn-status__broken-openvpn-status-7.txt', 4, 'no END line'],
    ['synthetic-v2-content-after-end.status', 20, 'content after END'],
    ['XayOn__pivpn-docker__openvpn-status.log', 1, 'not an OpenVPN server status file'],
    ['ojarva__openvpn-status-parser__valid_1.status', 21, 'route row has 4 fields, its header has 5'],
    ['AntLer-24rus__ovpn-stat__openvpn-status.log', 2, 'is not a valid time'],
  ];
  for (const [name, line, reason] of bad) {
    test(`${name}: exit 2, "${reason}" at line ${line}`, () => {
      const file = `${FIXTURES}/${name}`;
      const rest = assertOneLineError(cli('parse', file, '--tz', 'UTC'), `openvpn-status-web: ${file}:${line}: `);
      assert.ok(rest.includes(reason), rest);
    });
  }

  test('a missing file: exit 2, one line naming it', () => {
    const file = `${FIXTURES}/no-such-file.status`;
    const rest = assertOneLineError(cli('parse', file), `openvpn-status-web: ${file}: `);
    assert.match(rest, /ENOENT/);
  });

  test('a folder instead of a file: exit 2', () => {
    assertOneLineError(cli('parse', FIXTURES), `openvpn-status-web: ${FIXTURES}: `);
  });

  test('no FILE, or two: exit 2 with a usage message', () => {
    assert.equal(assertOneLineError(cli('parse'), 'openvpn-status-web: '), 'parse: expected exactly one FILE');
    assert.equal(
      assertOneLineError(
        cli('parse', `${FIXTURES}/v1-connected.log`, `${FIXTURES}/v2-connected.log`),
        'openvpn-status-web: ',
      ),
      'parse: expected exactly one FILE',
    );
  });

  test('an unknown --tz: exit 2 before reading anything', () => {
    const rest = assertOneLineError(
      cli('parse', `${FIXTURES}/v1-connected.log`, '--tz', 'Mars/Olympus_Mons'),
      'openvpn-status-web: ',
    );
    assert.match(rest, /Mars\/Olympus_Mons/);
  });
});
