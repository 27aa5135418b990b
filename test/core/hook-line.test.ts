import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  decodeSpoolLine,
  encodeJsonLine,
  encodeTsvLine,
  eventFromRecord,
  HOOK_VARS,
  recordFromEnv,
  type HookEvent,
  type HookRecord,
} from '../../src/core/hook-line.js';
import { connectEnv, disconnectEnv, eventOf, hookEnv, RECORDED } from '../helpers/hooks.js';

const decode = (line: string): HookRecord => {
  const d = decodeSpoolLine(line.replace(/\n$/, ''));
  assert.ok(d.ok, `does not decode: ${d.ok ? '' : d.error}`);
  assert.equal(d.value.dropped, null, 'nothing dropped');
  return d.value.record;
};

const reasonOf = (r: HookRecord): string => {
  const ev = eventFromRecord(r);
  assert.ok(!ev.ok, `decoded, but should not: ${JSON.stringify(r)}`);
  return ev.error;
};

describe('hook events from recorded OpenVPN 2.6.14 environments', () => {
  const cases: [(typeof RECORDED)[number], Partial<HookEvent>][] = [
    [
      'udp4-connect-username',
      {
        kind: 'connect',
        commonName: 'alice',
        username: 'alice.login',
        realAddress: '127.0.0.1',
        realPort: 37455,
        protocol: 'udp4',
        virtualAddress: '10.98.71.2',
        virtualIpv6: 'fd00:98:71::1000',
        connectedAt: '2026-11-26T19:12:14Z',
        durationS: null,
        bytesReceived: null,
        bytesSent: null,
      },
    ],
    [
      'udp4-connect-no-username',
      {
        kind: 'connect',
        commonName: 'Surname, Given',
        username: null,
        realPort: 41273,
        connectedAt: '2026-11-26T19:12:18Z',
      },
    ],
    [
      'udp4-disconnect-username',
      {
        kind: 'disconnect',
        commonName: 'alice',
        username: 'alice.login',
        realPort: 37455,
        connectedAt: '2026-11-26T19:12:14Z',
        durationS: 7,
        bytesReceived: 2498,
        bytesSent: 2708,
      },
    ],
    [
      'udp4-disconnect-no-username',
      {
        kind: 'disconnect',
        commonName: 'Surname, Given',
        username: null,
        durationS: 3,
        bytesReceived: 2388,
        bytesSent: 2514,
      },
    ],
    [
      'udp6-connect-ipv6',
      {
        kind: 'connect',
        commonName: 'bob',
        realAddress: '::1',
        realPort: 42822,
        protocol: 'udp6',
        virtualAddress: '10.98.73.2',
      },
    ],
    ['udp6-disconnect-ipv6', { kind: 'disconnect', realAddress: '::1', realPort: 42822, durationS: 6 }],
    ['udp6-connect-mapped-ipv4', { kind: 'connect', commonName: 'alice', realAddress: '127.0.0.1', realPort: 49509 }],
    ['udp6-disconnect-mapped-ipv4', { kind: 'disconnect', realAddress: '127.0.0.1', realPort: 49509, durationS: 6 }],
    [
      'tcp-connect-user-nobody',
      { kind: 'connect', protocol: 'tcp4-server', connectedAt: '2026-11-26T19:13:12Z', realPort: 49012 },
    ],
    [
      'tcp-disconnect-user-nobody',
      { kind: 'disconnect', protocol: 'tcp4-server', durationS: 3, bytesReceived: 2412, bytesSent: 2506 },
    ],
  ];
  for (const [name, want] of cases) {
    test(name, () => {
      const ev = eventOf(hookEnv(name), 'udp');
      assert.equal(ev.instance, 'udp');
      for (const [k, v] of Object.entries(want)) assert.deepEqual(ev[k as keyof HookEvent], v, `${name}: ${k}`);
    });
  }

  test('a record keeps only the variables the collector uses, the instance and the writer clock', () => {
    const env = hookEnv('udp4-disconnect-username');
    const r = recordFromEnv(env, 'udp', 1795720341);
    assert.deepEqual(
      Object.keys(r).sort(),
      ['instance', 'hook_time', ...HOOK_VARS.filter((k) => env[k] !== undefined)].sort(),
    );
    assert.equal(r.hook_time, '1795720341');
    assert.ok(
      !('tls_serial_0' in r) && !('IV_PLAT' in r) && !('auth_control_file' in r),
      'nothing else from the environment',
    );
  });
});

describe('spool lines', () => {
  test('JSON (the Node hook) and TSV (the shell hook) carry the same record', () => {
    for (const name of RECORDED) {
      const r = recordFromEnv(hookEnv(name), 'udp-1.main', 1795720400);
      assert.deepEqual(decode(encodeJsonLine(r)), r, `${name}: JSON`);
      assert.deepEqual(decode(encodeTsvLine(r)), r, `${name}: TSV`);
      assert.ok(encodeJsonLine(r).startsWith('{"v":1,"instance":'), 'version first');
      assert.equal(encodeJsonLine(r).split('\n').length, 2, 'one line');
    }
  });

  test('any text in a common name or username survives both encodings, on one line', () => {
    const hostile = [
      '%',
      '%25',
      'a\tb',
      'a\nb',
      'a\r\nb',
      '"quoted" \\ back',
      '{"v":1,"x":"y"}',
      'ovsw1\tinstance=x',
      'Ünïcödé 名前 🙂',
      ' spaced ',
      '=1+2',
    ];
    for (const cn of hostile) {
      const r = recordFromEnv(connectEnv({ common_name: cn, username: cn }), 'udp', 1);
      for (const line of [encodeJsonLine(r), encodeTsvLine(r)]) {
        assert.equal(line.indexOf('\n'), line.length - 1, `${JSON.stringify(cn)}: one line`);
        const back = decode(line);
        assert.equal(back.common_name, cn, JSON.stringify(cn));
        assert.equal(back.username, cn, JSON.stringify(cn));
      }
    }
  });

  test('the TSV escapes only %, TAB, line feed and carriage return', () => {
    const line = encodeTsvLine({ instance: 'udp', common_name: 'a%b\tc\nd\re"f\\g' });
    assert.equal(line, 'ovsw1\tinstance=udp\tcommon_name=a%25b%09c%0Ad%0De"f\\g\n');
  });

  test('a torn write followed by the next hook line: the line is recovered, the fragment reported', () => {
    const full = encodeJsonLine(recordFromEnv(connectEnv(), 'udp', 1)).trimEnd();
    for (const fragment of [
      full.slice(0, 40),
      encodeTsvLine({ instance: 'udp', common_name: 'x' }).slice(0, 12),
      '{"v":1,"instance":"u',
    ]) {
      for (const next of [full, encodeTsvLine(recordFromEnv(connectEnv(), 'udp', 1)).trimEnd()]) {
        const d = decodeSpoolLine(fragment + next);
        assert.ok(d.ok, `recovered after ${JSON.stringify(fragment)}`);
        assert.equal(d.value.dropped, fragment);
        assert.equal(d.value.record.common_name, 'alice');
      }
    }
    // A TSV line whose common name holds a JSON start is still read as TSV.
    const tricky = encodeTsvLine(recordFromEnv(connectEnv({ common_name: 'x{"v":1,"a":"b"}' }), 'udp', 1)).trimEnd();
    const d = decodeSpoolLine(tricky);
    assert.ok(d.ok && d.value.record.common_name === 'x{"v":1,"a":"b"}', 'TSV with a JSON look-alike inside');
  });

  test('what is not a hook line says why', () => {
    for (const [line, why] of [
      ['', /not a hook spool line/],
      ['hello', /not a hook spool line/],
      ['{"v":1,"instance":', /not valid JSON/],
      ['{"v":1,"instance":5}', /instance: not a string/],
      ['{"v":2,"instance":"x"}', /not a hook spool line/],
      ['ovsw1\tinstance', /field 2 is not NAME=VALUE/],
      ['ovsw1\tcommon_name=100%', /"%" that is not followed by two hex digits/],
      ['ovsw1\tBAD KEY=1', /not NAME=VALUE/],
    ] as const) {
      const d = decodeSpoolLine(line);
      assert.ok(!d.ok, `${JSON.stringify(line)} decoded`);
      assert.match(d.error, why, JSON.stringify(line));
    }
  });
});

describe('hook events: checks and fallbacks', () => {
  const rec = (env: Record<string, string | undefined>, instance = 'udp', now = 1795720400): HookRecord =>
    recordFromEnv(env, instance, now);

  test('UNDEF and empty usernames are no username, as in the status file', () => {
    assert.equal(eventOf(connectEnv({ username: 'UNDEF' })).username, null);
    assert.equal(eventOf(connectEnv({ username: '' })).username, null);
    assert.equal(eventOf(connectEnv({ username: undefined })).username, null);
  });

  test('untrusted_ip/untrusted_port stand in when trusted_* are missing; no port is null', () => {
    const ev = eventOf(
      connectEnv({
        trusted_ip: undefined,
        trusted_port: undefined,
        untrusted_ip: '203.0.113.9',
        untrusted_port: '999',
      }),
    );
    assert.equal(ev.realAddress, '203.0.113.9');
    assert.equal(ev.realPort, 999);
    assert.equal(eventOf(connectEnv({ trusted_port: undefined })).realPort, null);
    const v6 = eventOf(connectEnv({ trusted_ip: undefined, untrusted_ip: undefined, trusted_ip6: '2001:db8::7' }));
    assert.equal(v6.realAddress, '2001:db8::7');
  });

  test('without time_unix the writer clock stands in (connect: the start; disconnect: the end)', () => {
    assert.equal(eventOf(connectEnv({ time_unix: undefined }), 'udp', 1795720000).connectedAt, '2026-11-26T19:06:40Z');
    const ev = eventOf(disconnectEnv(100, { time_unix: undefined }), 'udp', 1795720000);
    assert.equal(ev.connectedAt, '2026-11-26T19:05:00Z');
    assert.equal(ev.durationS, 100);
    // And without time_duration at disconnect: the writer clock minus the start.
    assert.equal(eventOf(disconnectEnv(0, { time_duration: undefined }), 'udp', 1795720344).durationS, 10);
  });

  test('a bad or incomplete environment names the variable', () => {
    const cases: [HookRecord, RegExp][] = [
      [rec(connectEnv({ script_type: 'up' })), /script_type "up"/],
      [rec(connectEnv({ script_type: undefined })), /script_type ""/],
      [rec(connectEnv({ common_name: undefined })), /common_name is not set/],
      [rec(connectEnv({ trusted_ip: undefined, untrusted_ip: undefined })), /neither trusted_ip/],
      [rec(connectEnv({ trusted_ip: 'evil.example' })), /"evil.example" is not an IP address/],
      [rec(connectEnv({ trusted_port: '70000' })), /trusted_port "70000" is not a port/],
      [rec(connectEnv({ trusted_port: '12a' })), /trusted_port "12a"/],
      [rec(connectEnv({ ifconfig_pool_remote_ip: 'fd00::1' })), /ifconfig_pool_remote_ip "fd00::1"/],
      [rec(connectEnv({ ifconfig_pool_remote_ip6: '10.0.0.1' })), /ifconfig_pool_remote_ip6/],
      [rec(connectEnv({ time_unix: '-5' })), /time_unix "-5"/],
      [rec(connectEnv({ time_unix: undefined }), 'udp', Number.NaN), /time_unix is not set/],
      [rec(disconnectEnv(5, { time_duration: '5.5' })), /time_duration "5.5"/],
      [rec(disconnectEnv(5, { bytes_sent: 'many' })), /bytes_sent "many"/],
      [{ ...rec(disconnectEnv(5, { time_duration: undefined })), hook_time: '' }, /time_duration is not set/],
      [rec(connectEnv(), 'bad name'), /instance "bad name"/],
      [rec(connectEnv(), ''), /instance ""/],
    ];
    for (const [r, re] of cases) assert.match(reasonOf(r), re, JSON.stringify(r));
  });

  test('an odd proto_1 is left out rather than failing the event', () => {
    assert.equal(eventOf(connectEnv({ proto_1: 'UDP with spaces' })).protocol, null);
  });
});
