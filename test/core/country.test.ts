import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { countryCode, countryName, lookupAddress, parseIp, reservedRange } from '../../src/core/country.js';

describe('country: which addresses may have one', () => {
  const reserved: [string, string][] = [
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.178.20', 'private'],
    ['127.0.0.1', 'loopback'],
    ['169.254.10.1', 'link-local'],
    ['100.64.0.1', 'shared address space (CGNAT)'],
    ['100.127.255.254', 'shared address space (CGNAT)'],
    ['192.0.2.10', 'documentation'],
    ['198.51.100.7', 'documentation'],
    ['203.0.113.200', 'documentation'],
    ['0.0.0.0', 'this network'],
    ['192.0.0.9', 'IETF protocol assignments'],
    ['198.18.0.1', 'benchmarking'],
    ['224.0.0.251', 'multicast'],
    ['240.0.0.1', 'reserved'],
    ['255.255.255.255', 'reserved'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fe80::1%eth0', 'link-local'],
    ['fd00:8::1003', 'unique local'],
    ['fc00::1', 'unique local'],
    ['ff02::1', 'multicast'],
    ['2001:db8::1', 'documentation'],
    ['2001:0DB8:ffff::1', 'documentation'],
    ['3fff::1', 'documentation'],
    ['2001::1', 'IETF protocol assignments'],
    ['2002:c000:204::1', '6to4'],
    ['64:ff9b::808:808', 'NAT64'],
    ['::ffff:10.0.0.1', 'private'],
    ['::ffff:192.0.2.1', 'documentation'],
    ['4000::1', 'not global unicast'],
    ['vpn.example.org', 'not an address'],
    ['', 'not an address'],
    ['1.2.3', 'not an address'],
    ['256.1.1.1', 'not an address'],
    ['01.2.3.4', 'not an address'],
    ['1::2::3', 'not an address'],
    ['1:2:3:4:5:6:7:8:9', 'not an address'],
    ['12345::1', 'not an address'],
  ];
  for (const [address, why] of reserved) {
    test(`${JSON.stringify(address)}: no country (${why})`, () => {
      assert.equal(reservedRange(address), why);
      assert.equal(lookupAddress(address), null);
    });
  }

  const publicOnes: [string, string][] = [
    ['8.8.8.8', '8.8.8.8'],
    ['100.63.255.255', '100.63.255.255'],
    ['100.128.0.0', '100.128.0.0'],
    ['172.15.255.255', '172.15.255.255'],
    ['172.32.0.0', '172.32.0.0'],
    ['192.0.3.1', '192.0.3.1'],
    ['::ffff:8.8.4.4', '8.8.4.4'],
    ['::FFFF:193.0.6.139', '193.0.6.139'],
    ['2001:4860:4860::8888', '2001:4860:4860:0:0:0:0:8888'],
    ['2001:0db9::1', '2001:db9:0:0:0:0:0:1'],
    ['2a02:6b8::feed:ff', '2a02:6b8:0:0:0:0:feed:ff'],
  ];
  for (const [address, asked] of publicOnes) {
    test(`${address}: asked as ${asked}`, () => {
      assert.equal(reservedRange(address), null);
      assert.equal(lookupAddress(address), asked);
    });
  }

  test('IPv6 with an IPv4 tail and compressed forms parse to the same bytes', () => {
    assert.deepEqual(parseIp('::ffff:1.2.3.4'), parseIp('0:0:0:0:0:ffff:102:304'));
    assert.deepEqual(parseIp('1::'), parseIp('1:0:0:0:0:0:0:0'));
    assert.equal(parseIp('1:2:3:4:5:6:7::')?.version, 6);
  });

  test('a database answer is kept only as two capital letters', () => {
    assert.equal(countryCode('DE'), 'DE');
    for (const v of ['de', 'DEU', '', null, undefined, 49]) assert.equal(countryCode(v), null);
  });

  test('names in German and English; an unknown code is its own name', () => {
    assert.equal(countryName('DE', 'de'), 'Deutschland');
    assert.equal(countryName('DE', 'en'), 'Germany');
    assert.equal(countryName('CH', 'de'), 'Schweiz');
    assert.equal(countryName('XK', 'en'), 'Kosovo');
    assert.equal(countryName('AP', 'en'), 'AP');
    assert.equal(countryName('constructor', 'en'), 'constructor');
  });
});
