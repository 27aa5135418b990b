import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  addressBucket,
  addressNeedles,
  bucketName,
  lineMayHold,
  lookupSessions,
  normaliseAddress,
  parseLookupAddress,
  parseLookupTime,
  planBuckets,
  sessionMatches,
  type LookupQuery,
} from '../../src/core/lookup.js';
import type { Session } from '../../src/core/session.js';
import { sampleSession } from '../helpers/sessions.js';

describe('normaliseAddress', () => {
  const cases: [string, string | null, string][] = [
    ['10.8.0.5', '10.8.0.5', 'IPv4'],
    ['010.008.000.005', '10.8.0.5', 'IPv4 with leading zeros, read as decimal'],
    ['256.1.1.1', null, 'octet out of range'],
    ['1.2.3', null, 'three octets'],
    ['2001:db8::1', '2001:db8::1', 'IPv6 as RFC 5952 prints it'],
    ['2001:DB8::1', '2001:db8::1', 'upper case'],
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1', 'fully written out'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1', 'the first of two equal zero runs is compressed'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1', 'one zero group is not compressed'],
    ['fd00:8::179b', 'fd00:8::179b', 'tunnel IPv6'],
    ['FD00:0008:0:0::179B', 'fd00:8::179b', 'tunnel IPv6, another spelling'],
    ['::', '::', 'all zero'],
    ['::1', '::1', 'loopback'],
    ['::ffff:1.2.3.4', '1.2.3.4', 'v4-mapped: the IPv4 it is'],
    ['::FFFF:102:304', '1.2.3.4', 'v4-mapped in hex'],
    ['64:ff9b::1.2.3.4', '64:ff9b::102:304', 'a dotted tail elsewhere stays IPv6'],
    ['1::2::3', null, 'two "::"'],
    ['1:2:3:4:5:6:7', null, 'seven groups'],
    ['1:2:3:4:5:6:7:8:9', null, 'nine groups'],
    ['12345::1', null, 'group of five digits'],
    ['example.org', null, 'a host name'],
    ['', null, 'empty'],
  ];
  for (const [input, expected, why] of cases) {
    test(`${why}: ${input}`, () => assert.equal(normaliseAddress(input), expected));
  }
});

describe('parseLookupAddress', () => {
  const cases: [string, { address: string; port: number | null } | null][] = [
    ['1.2.3.4', { address: '1.2.3.4', port: null }],
    ['1.2.3.4:5678', { address: '1.2.3.4', port: 5678 }],
    ['[2001:db8::1]:443', { address: '2001:db8::1', port: 443 }],
    ['2001:0db8::0001', { address: '2001:db8::1', port: null }],
    ['udp4:1.2.3.4:5678', { address: '1.2.3.4', port: 5678 }],
    ['vpn.example.org:1194', null],
    ['1.2.3.4:99999', null],
    ['garbage', null],
  ];
  for (const [input, expected] of cases) {
    test(input, () => assert.deepEqual(parseLookupAddress(input), expected));
  }
});

describe('parseLookupTime', () => {
  const cases: [string, string, string | null][] = [
    ['2026-11-26T16:15:23Z', 'UTC', '2026-11-26T16:15:23.000Z'],
    ['2026-11-26T17:15:23+01:00', 'UTC', '2026-11-26T16:15:23.000Z'],
    ['2026-11-26T17:15', 'Europe/Berlin', '2026-11-26T16:15:00.000Z'],
    ['2026-07-01 12:00:30', 'Europe/Berlin', '2026-07-01T10:00:30.000Z'],
    ['2026-02-30T10:00', 'UTC', null],
    ['2026-11-26T24:00', 'UTC', null],
    ['yesterday', 'UTC', null],
    ['1795709723', 'UTC', null],
  ];
  for (const [input, zone, expected] of cases) {
    test(`${input} in ${zone}`, () => {
      const ms = parseLookupTime(input, zone);
      assert.equal(Number.isNaN(ms) ? null : new Date(ms).toISOString(), expected);
    });
  }
});

const at = (iso: string): number => Date.parse(iso);
const q = (address: string, from: string, to = from, port: number | null = null): LookupQuery => ({
  address,
  port,
  fromMs: at(from),
  toMs: at(to),
});

describe('sessionMatches', () => {
  // Connected 16:14:55, ended 16:15:11; real 127.0.0.11:42001, tunnel 10.8.0.3 and fd00:8::1001.
  const s = sampleSession();
  const cases: [string, Session, LookupQuery, boolean][] = [
    ['tunnel IPv4 at the start', s, q('10.8.0.3', '2026-11-26T16:14:55Z'), true],
    ['tunnel IPv4 a second before the start', s, q('10.8.0.3', '2026-11-26T16:14:54Z'), false],
    ['tunnel IPv4 exactly at the end', s, q('10.8.0.3', '2026-11-26T16:15:11Z'), true],
    ['tunnel IPv4 a second after the end', s, q('10.8.0.3', '2026-11-26T16:15:12Z'), false],
    ['tunnel IPv6', s, q('fd00:8::1001', '2026-11-26T16:15:00Z'), true],
    [
      'tunnel IPv6 in another spelling',
      s,
      q(normaliseAddress('FD00:8:0:0:0:0:0:1001') as string, '2026-11-26T16:15:00Z'),
      true,
    ],
    ['real address', s, q('127.0.0.11', '2026-11-26T16:15:00Z'), true],
    ['real address and its port', s, q('127.0.0.11', '2026-11-26T16:15:00Z', undefined, 42001), true],
    ['real address, another port (NAT)', s, q('127.0.0.11', '2026-11-26T16:15:00Z', undefined, 42002), false],
    [
      'a port narrows to the real address: tunnel address no match',
      s,
      q('10.8.0.3', '2026-11-26T16:15:00Z', undefined, 42001),
      false,
    ],
    [
      'port unknown: not ruled out',
      sampleSession({ realPort: null }),
      q('127.0.0.11', '2026-11-26T16:15:00Z', undefined, 5),
      true,
    ],
    [
      'real address stored v4-mapped',
      sampleSession({ realAddress: '::ffff:127.0.0.11' }),
      q('127.0.0.11', '2026-11-26T16:15:00Z'),
      true,
    ],
    [
      'IPv6 real address',
      sampleSession({ realAddress: '2001:db8:0:0::7', realPort: null }),
      q('2001:db8::7', '2026-11-26T16:15:00Z'),
      true,
    ],
    ['another address', s, q('10.8.0.30', '2026-11-26T16:15:00Z'), false],
    ['range around the session', s, q('10.8.0.3', '2026-11-26T00:00:00Z', '2026-11-27T00:00:00Z'), true],
    ['range ending at the start', s, q('10.8.0.3', '2026-11-26T00:00:00Z', '2026-11-26T16:14:55Z'), true],
    ['range starting at the end', s, q('10.8.0.3', '2026-11-26T16:15:11Z', '2026-11-27T00:00:00Z'), true],
    ['range before', s, q('10.8.0.3', '2026-11-26T00:00:00Z', '2026-11-26T16:14:54Z'), false],
    [
      'open session, long after its start',
      sampleSession({ endedAt: null, durationS: null }),
      q('10.8.0.3', '2027-01-01T00:00:00Z'),
      true,
    ],
    [
      'open session, before its start',
      sampleSession({ endedAt: null, durationS: null }),
      q('10.8.0.3', '2026-11-26T16:00:00Z'),
      false,
    ],
    ['empty tunnel IPv6 never matches', sampleSession({ virtualIpv6: '' }), q('::', '2026-11-26T16:15:00Z'), false],
  ];
  for (const [why, session, query, expected] of cases) {
    test(why, () => assert.equal(sessionMatches(session, query), expected));
  }
});

describe('lookupSessions', () => {
  test('an address reused by several users in a range gives all of them, oldest first', () => {
    const a = sampleSession({
      id: 'a',
      user: 'anna',
      connectedAt: '2026-11-26T10:00:00Z',
      endedAt: '2026-11-26T11:00:00Z',
    });
    const b = sampleSession({
      id: 'b',
      user: 'bob',
      connectedAt: '2026-11-26T12:00:00Z',
      endedAt: '2026-11-26T13:00:00Z',
    });
    const c = sampleSession({
      id: 'c',
      user: 'cem',
      connectedAt: '2026-11-26T11:00:00Z',
      endedAt: '2026-11-26T11:30:00Z',
    });
    const other = sampleSession({ id: 'd', virtualAddress: '10.8.0.4', connectedAt: '2026-11-26T11:00:00Z' });
    const found = lookupSessions([b, other, a, c], q('10.8.0.3', '2026-11-26T09:00:00Z', '2026-11-26T14:00:00Z'));
    assert.deepEqual(
      found.map((s) => s.user),
      ['anna', 'cem', 'bob'],
    );
    // At the instant one hands over to the next (11:00), both held it.
    const handover = lookupSessions([b, a, c], q('10.8.0.3', '2026-11-26T11:00:00Z'));
    assert.deepEqual(
      handover.map((s) => s.user),
      ['anna', 'cem'],
    );
  });
});

describe('addressNeedles', () => {
  test('the longest group first, the host part before the prefix', () => {
    assert.deepEqual(addressNeedles('fd00:8::179b'), [['179b', '179B'], ['fd00', 'FD00'], ['8']]);
    assert.deepEqual(addressNeedles('2001:db8::1'), [['2001'], ['db8', 'DB8'], ['1']]);
    assert.deepEqual(addressNeedles('10.8.0.5'), [['10.8.0.5']]);
  });

  test('every spelling of the address in a line contains a needle', () => {
    const spellings: [string, string[]][] = [
      ['1.2.3.4', ['1.2.3.4', '::ffff:1.2.3.4']],
      ['2001:db8::1', ['2001:db8::1', '2001:0DB8:0:0:0:0:0:0001', '2001:db8:0000::1']],
      ['fd00:8::179b', ['fd00:8::179b', 'FD00:0008::179B']],
      ['::', ['::', '0:0:0:0:0:0:0:0']],
    ];
    for (const [address, written] of spellings) {
      const needles = addressNeedles(address);
      for (const w of written) {
        assert.equal(normaliseAddress(w), address, w);
        for (const alternatives of needles)
          assert.ok(
            alternatives.some((n) => w.includes(n)),
            `${w} holds one of ${alternatives.join(' ')}`,
          );
      }
    }
  });
});

describe('lineMayHold', () => {
  const line =
    '465fa63c95fcf31415d8,default,nina,nina,,2001:db8:0:0::1,,,10.8.7.199,FD00:8::179B,1,1947,AES-256-GCM,2024-03-01T12:18:00Z,2024-03-01T12:21:04Z';
  const cases: [string, boolean][] = [
    ['2001:db8::1', true],
    ['fd00:8::179b', true],
    ['10.8.7.199', true],
    ['10.8.7.19', false],
    ['2001:db8::', false],
    ['12:18:00', false],
  ];
  for (const [address, expected] of cases) {
    test(address, () => assert.equal(lineMayHold(line, normaliseAddress(address) ?? address), expected));
  }
});

describe('addressBucket', () => {
  // Computed apart from this code (FNV-1a 32-bit over the bytes, modulo 64); lookup.js must give the same.
  const cases: [string, number, string][] = [
    ['10.8.0.3', 47, '2f'],
    ['1.2.3.4', 37, '25'],
    ['203.0.113.7', 32, '20'],
    ['0.0.0.0', 9, '09'],
    ['255.255.255.255', 49, '31'],
    ['fd00:8::3', 18, '12'],
    ['fd00:8::179b', 62, '3e'],
    ['2001:db8::1', 7, '07'],
    ['2001:db8::42', 46, '2e'],
    ['::', 53, '35'],
  ];
  for (const [address, bucket, name] of cases) {
    test(address, () => {
      assert.equal(addressBucket(address), bucket);
      assert.equal(bucketName(addressBucket(address)), name);
    });
  }
  test('a v4-mapped IPv6 address, spelled as its IPv4, is in the IPv4 bucket', () => {
    const mapped = normaliseAddress('::ffff:1.2.3.4') as string;
    assert.equal(mapped, '1.2.3.4');
    assert.equal(addressBucket(mapped), addressBucket('1.2.3.4'));
    assert.equal(addressBucket(normaliseAddress('FD00:0008:0:0::179B') as string), 62);
  });
});

describe('planBuckets', () => {
  const made = new Map([
    ['00', 'h0'],
    ['2f', 'h2f-new'],
    ['3e', 'h3e'],
  ]);
  const cases: [string, Record<string, string> | null, string[], { write: string[]; remove: string[] }][] = [
    [
      'no index: every bucket written, files of no bucket removed',
      null,
      ['00', '11', '2f'],
      {
        write: ['00', '2f', '3e'],
        remove: ['11'],
      },
    ],
    [
      'the index lists the same hashes: nothing to do',
      { '00': 'h0', '2f': 'h2f-new', '3e': 'h3e' },
      [],
      {
        write: [],
        remove: [],
      },
    ],
    [
      'a changed bucket and a new one are written',
      { '00': 'h0', '2f': 'h2f-old' },
      [],
      {
        write: ['2f', '3e'],
        remove: [],
      },
    ],
    [
      'a bucket left empty is removed, and a file on disk the index does not list (a run killed after the index)',
      { '00': 'h0', '2f': 'h2f-new', '3e': 'h3e', '01': 'x' },
      ['00', '01', '22', '2f', '3e'],
      {
        write: [],
        remove: ['01', '22'],
      },
    ],
  ];
  for (const [why, known, onDisk, expected] of cases) {
    test(why, () => assert.deepEqual(planBuckets(known, onDisk, made), expected));
  }
  test('a month left without sessions loses every bucket', () => {
    assert.deepEqual(planBuckets({ '07': 'a', '2e': 'b' }, [], new Map()), { write: [], remove: ['07', '2e'] });
  });
});
