import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isIpv4, isIpv6, isMacAddress, parseRemoteAddress, type RemoteAddress } from '../../src/core/remote-address.js';

const addr = (host: string, port: number | null, protocol: string | null = null): RemoteAddress => ({
  host,
  port,
  protocol,
});

describe('parseRemoteAddress', () => {
  // Every form listed in remote-address.ts's comment, plus the variants OpenVPN prints.
  const accepted: [string, RemoteAddress, string][] = [
    ['1.2.3.4:5678', addr('1.2.3.4', 5678), 'IPv4 with port'],
    ['1.2.3.4', addr('1.2.3.4', null), 'IPv4 without port (hand-edited files, e.g. jc)'],
    ['2001:db8::1', addr('2001:db8::1', null), 'IPv6 without port (2.4 to 2.6)'],
    ['2001:db8:0:0::1000', addr('2001:db8:0:0::1000', null), 'IPv6, not compressed'],
    ['::ffff:1.2.3.4', addr('::ffff:1.2.3.4', null), 'v4-mapped IPv6, no port'],
    ['fe80::1%eth0', addr('fe80::1%eth0', null), 'IPv6 with a zone'],
    ['[2001:db8::1]:1194', addr('2001:db8::1', 1194), 'bracketed IPv6 with port'],
    ['[::1]', addr('::1', null), 'bracketed IPv6 without port'],
    ['udp4:1.2.3.4:5678', addr('1.2.3.4', 5678, 'udp4'), '2.7 UDP over IPv4'],
    ['tcp4-server:1.2.3.4:5678', addr('1.2.3.4', 5678, 'tcp4-server'), '2.7 TCP server side'],
    ['tcp6-client:[::1]:443', addr('::1', 443, 'tcp6-client'), '2.7 TCP client side over IPv6'],
    ['udp6:[2001:db8::1]:1194', addr('2001:db8::1', 1194, 'udp6'), '2.7 UDP over IPv6'],
    ['udp:1.2.3.4:1', addr('1.2.3.4', 1, 'udp'), 'protocol without family'],
    ['1.2.3.4:0', addr('1.2.3.4', 0), 'port 0 is a number, not "no port"'],
    ['1.2.3.4:65535', addr('1.2.3.4', 65535), 'highest port'],
    ['vpn.example.org:1194', addr('vpn.example.org', 1194), 'host name with port'],
    ['  1.2.3.4:5678 ', addr('1.2.3.4', 5678), 'surrounding blanks are trimmed'],
  ];
  for (const [text, expected, why] of accepted) {
    test(`accepts ${JSON.stringify(text)}: ${why}`, () => {
      assert.deepEqual(parseRemoteAddress(text), expected);
    });
  }

  const rejected: [string, string][] = [
    ['', 'empty'],
    ['   ', 'blank'],
    ['1.2.3.4:', 'port missing after the colon'],
    [':1194', 'host missing'],
    ['1.2.3.4:65536', 'port out of range'],
    ['1.2.3.4:123456', 'port with six digits'],
    ['1.2.3.4:12a', 'port not a number'],
    ['[::1', 'unclosed bracket'],
    ['[::1]:', 'bracket with an empty port'],
    ['[::1]:99999', 'bracket with a port out of range'],
    ['[zz]:1', 'bracket around something that is not IPv6'],
    ['udp4:', 'protocol and nothing else'],
    ['sctp4:1.2.3.4:5', 'unknown protocol'],
    ['x:y:z', 'colons but not IPv6'],
    [':', 'a lone colon'],
    ['a b', 'blank inside a host'],
    ['garbage text:12', 'blank inside a host with a port (was accepted before the fix)'],
    ['10.3.0.23:61674 Thu Aug 16', 'a field that swallowed its neighbour'],
  ];
  for (const [text, why] of rejected) {
    test(`rejects ${JSON.stringify(text)}: ${why}`, () => {
      assert.equal(parseRemoteAddress(text), null);
    });
  }

  test('a long run of colons is rejected in linear time (the IPv6 pattern used to backtrack)', () => {
    // 200,000 characters took seconds with the old `[…]*:[…]*` pattern; now well under one.
    const start = performance.now();
    assert.equal(parseRemoteAddress(`${':'.repeat(200_000)}x`), null);
    assert.equal(isIpv6(`${'1:'.repeat(100_000)}g`), false);
    assert.ok(performance.now() - start < 1000, 'took a second or more');
  });
});

describe('address predicates', () => {
  const cases: [string, { v4: boolean; v6: boolean; mac: boolean }][] = [
    ['10.8.0.2', { v4: true, v6: false, mac: false }],
    ['192.168.255.126C', { v4: false, v6: false, mac: false }], // a cached route, not an address
    ['10.200.0.0/16', { v4: false, v6: false, mac: false }],
    ['fd00:8::1000', { v4: false, v6: true, mac: false }],
    ['2001:db8:0:0::1000', { v4: false, v6: true, mac: false }],
    ['::ffff:1.2.3.4', { v4: false, v6: true, mac: false }],
    ['22:1d:63:bf:62:38', { v4: false, v6: false, mac: true }], // TAP route: a MAC is not IPv6
    ['00:FF:E0:D5:76:CE', { v4: false, v6: false, mac: true }],
    ['52:54:00:12:34:56@7', { v4: false, v6: false, mac: true }], // MAC with a VLAN id
    ['', { v4: false, v6: false, mac: false }],
    ['UNDEF', { v4: false, v6: false, mac: false }],
  ];
  for (const [text, want] of cases) {
    test(`${JSON.stringify(text)}: ipv4 ${want.v4}, ipv6 ${want.v6}, mac ${want.mac}`, () => {
      assert.deepEqual({ v4: isIpv4(text), v6: isIpv6(text), mac: isMacAddress(text) }, want);
    });
  }
});
