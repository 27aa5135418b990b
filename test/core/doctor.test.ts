/** doctor's verdicts from facts: each problem a server can have, its level and its fix. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  diagnose,
  formatLines,
  hasFailure,
  type DoctorFacts,
  type DoctorLine,
  type StatusFacts,
  type WritableFacts,
} from '../../src/core/doctor.js';

const NOW = Date.parse('2026-03-18T14:00:00Z');
const ok = { ok: true, value: undefined } as const;
const denied = (code = 'EACCES') => ({ ok: false as const, error: { code, message: `${code}: permission denied` } });

function status(over: Partial<StatusFacts> = {}): StatusFacts {
  return {
    instance: 'udp',
    path: '/run/openvpn-server/status-udp.log',
    info: { mode: 0o100600, uid: 0, owner: 'root', group: 'root', size: 900, mtimeMs: NOW - 4000 },
    statError: ok,
    read: ok,
    parse: { ok: true, value: { format: 3, updatedAt: new Date(NOW - 4000).toISOString(), clients: 7 } },
    watch: { watchedMs: 21_000, mtimes: [NOW - 4000, NOW + 6000, NOW + 16_000], wentMissing: false },
    ...over,
  };
}

function file(path: string, over: Partial<WritableFacts> = {}): WritableFacts {
  return {
    path,
    exists: true,
    read: ok,
    write: ok,
    info: { mode: 0o100644, uid: 0, owner: 'root', group: 'root', size: 1234, mtimeMs: NOW - 60_000 },
    creatableIn: null,
    wrongKind: false,
    ...over,
  };
}

function facts(over: Partial<DoctorFacts> = {}): DoctorFacts {
  return {
    nowMs: NOW,
    runAs: { uid: 0, user: 'root', group: 'root' },
    nodeVersion: 'v20.20.2',
    staleAfterS: 300,
    lockTimeoutS: 10,
    tz: 'Europe/Berlin',
    status: [status()],
    history: file('/var/lib/openvpn-status-web/sessions.csv'),
    state: file('/var/lib/openvpn-status-web/sessions.csv.state.json'),
    historyFolder: file('/var/lib/openvpn-status-web', { read: null }),
    out: file('/var/www/openvpn-status-web', { read: null }),
    lock: { path: '/var/lib/openvpn-status-web/sessions.csv.lock', held: false },
    aliases: { path: '/etc/openvpn-status-web/aliases.json', exists: true, count: 2, problem: null },
    ...over,
  };
}

function only(lines: DoctorLine[], check: string): DoctorLine {
  const found = lines.filter((l) => l.check === check);
  assert.equal(found.length, 1, `exactly one "${check}" line expected, got:\n${formatLines(lines)}`);
  return found[0] as DoctorLine;
}

test('a healthy server: every line OK, no fixes, and every check present', () => {
  const lines = diagnose(facts());
  assert.ok(!hasFailure(lines), formatLines(lines));
  for (const l of lines) {
    assert.equal(l.level, 'OK', `expected OK: ${l.subject}: ${l.message}`);
    assert.equal(l.fix, null, `an OK line has no fix: ${l.check}`);
  }
  for (const check of [
    'node',
    'status.present',
    'status.readable',
    'status.format',
    'status.fresh',
    'status.interval',
    'history',
    'state',
    'history.folder',
    'out',
    'lock',
    'aliases',
  ]) {
    only(lines, check);
  }
  assert.match(only(lines, 'status.interval').message, /every 10 s \(2 updates seen: 10 s, 10 s\)/);
  assert.match(only(lines, 'status.format').message, /status-version 3, 7 clients listed/);
});

describe('status file', () => {
  test('missing: FAIL, telling the OpenVPN status line to add; no further status checks', () => {
    const lines = diagnose(
      facts({ status: [status({ info: null, statError: denied('ENOENT'), read: null, parse: null, watch: null })] }),
    );
    const l = only(lines, 'status.present');
    assert.equal(l.level, 'FAIL');
    assert.match(l.fix ?? '', /status \/run\/openvpn-server\/status-udp\.log 10/);
    assert.ok(
      !lines.some((x) => x.check.startsWith('status.') && x.check !== 'status.present'),
      'no checks on a missing file',
    );
    assert.ok(hasFailure(lines), 'a FAIL line makes the doctor fail');
  });

  test('0600 and not ours: FAIL naming the owner and mode, advising root with the systemd unit or a group-readable mode', () => {
    const lines = diagnose(
      facts({
        runAs: { uid: 1000, user: 'admin', group: 'admins' },
        status: [
          status({
            read: denied(),
            parse: null,
            info: { mode: 0o100600, uid: 65534, owner: 'nobody', group: 'nogroup', size: 1, mtimeMs: NOW - 4000 },
          }),
        ],
      }),
    );
    const l = only(lines, 'status.readable');
    assert.equal(l.level, 'FAIL');
    assert.match(l.message, /not readable as admin \(uid 1000\) \(EACCES; owner nobody:nogroup, mode 0600\)/);
    assert.match(l.fix ?? '', /OpenVPN creates the status file with mode 0600/);
    assert.match(
      l.fix ?? '',
      /Run openvpn-status-web as root: the shipped scripts\/systemd\/openvpn-status-web\.service does, sandboxed.*; or run it as nobody\./,
    );
    assert.match(l.fix ?? '', /chgrp admins \/run\/openvpn-server\/status-udp\.log && chmod 0640/);
  });

  test('a folder on the way that cannot be entered: FAIL', () => {
    const l = only(
      diagnose(facts({ status: [status({ info: null, statError: denied(), read: null, parse: null, watch: null })] })),
      'status.present',
    );
    assert.equal(l.level, 'FAIL');
    assert.match(l.message, /cannot be looked at/);
  });

  test('not a server status file: FAIL with the parser reason', () => {
    const l = only(
      diagnose(
        facts({
          status: [status({ parse: { ok: false, error: 'x.log:1: a client status file (OpenVPN STATISTICS)' } })],
        }),
      ),
      'status.format',
    );
    assert.equal(l.level, 'FAIL');
    assert.match(l.message, /OpenVPN STATISTICS/);
  });

  test('status-version 1: WARN recommending status-version 3; version 2 is OK', () => {
    const v1 = only(
      diagnose(
        facts({
          status: [
            status({
              parse: { ok: true, value: { format: 1, updatedAt: new Date(NOW - 4000).toISOString(), clients: 1 } },
            }),
          ],
        }),
      ),
      'status.format',
    );
    assert.equal(v1.level, 'WARN');
    assert.match(v1.message, /read in Europe\/Berlin/);
    assert.match(v1.fix ?? '', /status-version 3/);
    const v2 = only(
      diagnose(
        facts({
          status: [
            status({
              parse: { ok: true, value: { format: 2, updatedAt: new Date(NOW - 4000).toISOString(), clients: 1 } },
            }),
          ],
        }),
      ),
      'status.format',
    );
    assert.equal(v2.level, 'OK');
  });

  test('freshness against staleAfter: OK, WARN past half of it, FAIL past it', () => {
    const aged = (s: number) =>
      only(
        diagnose(
          facts({
            status: [
              status({
                parse: {
                  ok: true,
                  value: { format: 3, updatedAt: new Date(NOW - s * 1000).toISOString(), clients: 0 },
                },
                info: { mode: 0o100600, uid: 0, owner: 'root', group: 'root', size: 1, mtimeMs: NOW - s * 1000 },
              }),
            ],
          }),
        ),
        'status.fresh',
      );
    assert.equal(aged(20).level, 'OK');
    assert.equal(aged(200).level, 'WARN');
    const stale = aged(400);
    assert.equal(stale.level, 'FAIL');
    assert.match(stale.message, /last updated 7 min ago .* server-stopped/);
  });

  test("OpenVPN's update time far from the mtime: WARN, for version 1 pointing at tz", () => {
    const lines = diagnose(
      facts({
        status: [
          status({
            parse: {
              ok: true,
              value: { format: 1, updatedAt: new Date(NOW - 3600_000 - 4000).toISOString(), clients: 1 },
            },
          }),
        ],
      }),
    );
    const l = only(lines, 'status.clock');
    assert.equal(l.level, 'WARN');
    assert.match(l.fix ?? '', /tz = Europe\/Berlin/);
  });

  test('rewrite interval: OK at 10 s, WARN above 30 s, FAIL at staleAfter or more, WARN when not rewritten at all', () => {
    const every = (s: number, staleAfterS = 300) =>
      only(
        diagnose(
          facts({
            staleAfterS,
            status: [
              status({ watch: { watchedMs: 25_000, mtimes: [NOW - 1000, NOW - 1000 + s * 1000], wentMissing: false } }),
            ],
          }),
        ),
        'status.interval',
      );
    assert.equal(every(10).level, 'OK');
    const slow = every(60);
    assert.equal(slow.level, 'WARN');
    assert.match(slow.fix ?? '', /status \/run\/openvpn-server\/status-udp\.log 10/);
    assert.equal(every(120, 100).level, 'FAIL');
    const none = only(
      diagnose(facts({ status: [status({ watch: { watchedMs: 25_000, mtimes: [NOW - 4000], wentMissing: false } })] })),
      'status.interval',
    );
    assert.equal(none.level, 'WARN');
    assert.match(none.message, /not rewritten while watched for 25 s \(unchanged for 29 s\)/);
    assert.match(none.fix ?? '', /default 60/);
  });

  test('not watched (--no-wait): no interval line', () => {
    assert.ok(
      !diagnose(facts({ status: [status({ watch: null })] })).some((l) => l.check === 'status.interval'),
      'no interval line without a watch',
    );
  });

  test('gone for a moment while watched: WARN', () => {
    const l = only(
      diagnose(
        facts({
          status: [
            status({ watch: { watchedMs: 21_000, mtimes: [NOW - 4000, NOW + 6000, NOW + 16_000], wentMissing: true } }),
          ],
        }),
      ),
      'status.interval',
    );
    assert.equal(l.level, 'WARN');
    assert.match(l.message, /missing for a moment/);
  });
});

describe('history, output, lock, aliases', () => {
  test('history not writable: FAIL; EROFS points at ReadWritePaths', () => {
    const plain = diagnose(
      facts({
        runAs: { uid: 1000, user: 'admin', group: 'admins' },
        history: file('/var/log/s.csv', { write: denied() }),
      }),
    );
    const l = only(plain, 'history.writable');
    assert.equal(l.level, 'FAIL');
    assert.match(l.fix ?? '', /chown admin \/var\/log\/s\.csv/);
    const ro = only(
      diagnose(facts({ history: file('/var/log/s.csv', { write: denied('EROFS') }) })),
      'history.writable',
    );
    assert.match(ro.fix ?? '', /ReadWritePaths=/);
  });

  test('history not readable: FAIL', () => {
    assert.equal(
      only(diagnose(facts({ history: file('/x.csv', { read: denied() }) })), 'history.readable').level,
      'FAIL',
    );
  });

  test('a history that does not exist yet is OK when its folder can be created', () => {
    const missing = file('/var/lib/ovsw/s.csv', { exists: false, read: null, write: null, info: null });
    const lines = diagnose(
      facts({
        history: missing,
        state: { ...missing, path: '/var/lib/ovsw/s.csv.state.json' },
        historyFolder: file('/var/lib/ovsw', {
          exists: false,
          read: null,
          write: null,
          info: null,
          creatableIn: { dir: '/var/lib', write: ok },
        }),
      }),
    );
    assert.equal(only(lines, 'history').level, 'OK');
    assert.match(
      only(lines, 'history.folder').message,
      /does not exist yet; the first run creates it \(\/var\/lib is writable\)/,
    );
    const cannot = diagnose(
      facts({
        historyFolder: file('/var/lib/ovsw', {
          exists: false,
          read: null,
          write: null,
          info: null,
          creatableIn: { dir: '/var/lib', write: denied() },
        }),
      }),
    );
    assert.equal(only(cannot, 'history.folder').level, 'FAIL');
  });

  test('output folder not writable, or a file: FAIL', () => {
    assert.equal(
      only(diagnose(facts({ out: file('/var/www/x', { read: null, write: denied() }) })), 'out').level,
      'FAIL',
    );
    assert.equal(only(diagnose(facts({ out: file('/var/www/x', { wrongKind: true }) })), 'out').level, 'FAIL');
  });

  test('lock: free OK; a short run OK; held past lockTimeout WARN naming the process; dead owner, other host, no owner WARN', () => {
    const lock = (l: Partial<Extract<DoctorFacts['lock'], { held: true }>>) =>
      only(
        diagnose(
          facts({
            lock: {
              path: '/v/s.csv.lock',
              held: true,
              ageMs: 2000,
              owner: { pid: 4242, host: 'vpn1' },
              sameHost: true,
              alive: true,
              command: 'node cli.js run',
              ...l,
            },
          }),
        ),
        'lock',
      );
    assert.equal(lock({}).level, 'OK');
    const long = lock({ ageMs: 600_000 });
    assert.equal(long.level, 'WARN');
    assert.match(long.message, /pid 4242 on vpn1 \(node cli\.js run\) for 10 min/);
    assert.match(long.fix ?? '', /ps -p 4242/);
    assert.match(lock({ alive: false }).message, /which is gone/);
    assert.equal(lock({ alive: false }).level, 'WARN');
    assert.equal(lock({ sameHost: false, alive: null }).level, 'WARN');
    assert.equal(lock({ owner: null }).level, 'WARN');
  });

  test('a broken alias file: WARN with its problem', () => {
    const l = only(
      diagnose(facts({ aliases: { path: '/a.json', exists: true, count: 0, problem: '/a.json: not valid JSON' } })),
      'aliases',
    );
    assert.equal(l.level, 'WARN');
    assert.match(l.message, /not valid JSON/);
  });

  test('an old Node: FAIL', () => {
    assert.equal(only(diagnose(facts({ nodeVersion: 'v18.19.0' })), 'node').level, 'FAIL');
    assert.equal(only(diagnose(facts({ nodeVersion: 'v22.1.0' })), 'node').level, 'OK');
  });
});

test('formatLines: level, subject, message, the fix indented on the next line; quiet keeps only problems', () => {
  const lines = diagnose(
    facts({
      status: [
        status({
          parse: { ok: true, value: { format: 1, updatedAt: new Date(NOW - 4000).toISOString(), clients: 1 } },
        }),
      ],
    }),
  );
  const text = formatLines(lines);
  assert.match(text, /^OK {4}node: v20\.20\.2$/m);
  assert.match(text, /^WARN {2}status udp: status-version 1.*\n {6}fix: add "status-version 3"/m);
  assert.equal(
    formatLines(lines, true)
      .split('\n')
      .filter((l) => !l.startsWith('      fix:')).length,
    1,
  );
});

test('the country database: its version, build time and licence; one that cannot be read is a warning with a fix', () => {
  const built = { ipv4: '2026-06-17T19:51:50Z', ipv6: '2026-06-17T19:51:53Z' };
  const ok = only(
    diagnose(facts({ countryDb: { ok: true, package: 'geo-db', version: '2.3.1', licence: 'CC BY 4.0', built } })),
    'countries',
  );
  assert.equal(ok.level, 'OK');
  assert.equal(ok.message, 'geo-db 2.3.1 (built IPv4 2026-06-17T19:51:50Z, IPv6 2026-06-17T19:51:53Z; CC BY 4.0)');
  const same = { ipv4: built.ipv4, ipv6: built.ipv4 };
  assert.match(
    only(
      diagnose(facts({ countryDb: { ok: true, package: 'geo-db', version: '2.3.1', licence: 'x', built: same } })),
      'countries',
    ).message,
    /\(built 2026-06-17T19:51:50Z; x\)/,
  );
  const bad = only(diagnose(facts({ countryDb: { ok: false, problem: 'ENOENT' } })), 'countries');
  assert.equal(bad.level, 'WARN');
  assert.match(bad.message, /cannot be read \(ENOENT\): new sessions are recorded without a country/);
  assert.match(bad.fix ?? '', /install the package again/);
});
