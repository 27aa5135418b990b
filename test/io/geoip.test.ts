import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Reader } from 'mmdb-lib';
import { reservedRange } from '../../src/core/country.js';
import { countriesOf, geoDbDetails, geoDbInfo } from '../../src/io/geoip.js';

describe('the shipped country database', () => {
  // Addresses of the registries themselves and of large public resolvers: their country has
  // not moved in years. Checked against the shipped database when it was added.
  const known: [string, string, string][] = [
    ['ARIN', '8.8.8.8', 'US'],
    ['ARIN', '2001:4860:4860::8888', 'US'],
    ['ARIN', '2606:4700:4700::1111', 'US'],
    ['RIPE', '193.0.6.139', 'NL'],
    ['RIPE', '2001:67c:2e8:22::c100:68b', 'NL'],
    ['APNIC', '202.12.29.205', 'AU'],
    ['APNIC', '2001:dc0:2001:11::205', 'AU'],
    ['LACNIC', '200.3.14.10', 'UY'],
    ['LACNIC', '2001:13c7:7001:110::10', 'UY'],
    ['LACNIC', '200.160.0.8', 'BR'],
    ['AFRINIC', '196.216.2.6', 'ZA'],
    ['AFRINIC', '2001:43f8:120::6', 'MU'],
  ];
  test('known public addresses of every registry, IPv4 and IPv6', async () => {
    const found = await countriesOf(known.map(([, a]) => a));
    for (const [rir, address, country] of known) assert.equal(found.get(address), country, `${rir} ${address}`);
  });

  test('a v4-mapped address is looked up as IPv4; reserved ranges and names get null', async () => {
    const found = await countriesOf(['::ffff:193.0.6.139', '10.0.0.1', '100.64.0.1', '2001:db8::1', 'vpn.example.org']);
    assert.deepEqual(Object.fromEntries(found), {
      '::ffff:193.0.6.139': 'NL',
      '10.0.0.1': null,
      '100.64.0.1': null,
      '2001:db8::1': null,
      'vpn.example.org': null,
    });
  });

  test("the tree walked here agrees with mmdb-lib's own lookup, for random addresses of both families", async () => {
    let seed = 7;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const v4 = Array.from({ length: 3000 }, () => [rnd(224), rnd(256), rnd(256), rnd(256)].join('.'));
    const hex = (): string => rnd(65536).toString(16);
    const v6 = Array.from(
      { length: 3000 },
      () => `2${rnd(4096).toString(16).padStart(3, '0')}:${hex()}:${hex()}:${hex()}::${hex()}`,
    );
    const found = await countriesOf([...v4, ...v6]);
    const dir = geoDbInfo().dir;
    for (const [family, list] of [
      ['4', v4],
      ['6', v6],
    ] as const) {
      const reader = new Reader(readFileSync(join(dir, `geo-whois-asn-country-ipv${family}.mmdb`)));
      let known = 0;
      for (const a of list) {
        const want =
          reservedRange(a) === null
            ? ((reader.get(a) as { country_code?: string } | null)?.country_code ?? null)
            : null;
        if (want !== null) known += 1;
        assert.equal(found.get(a), want, a);
      }
      assert.ok(known > list.length / 20, `IPv${family}: ${known} of ${list.length} known`);
    }
  });

  test('version and licence from the package; build times from the files', async () => {
    const info = geoDbInfo();
    assert.equal(info.package, '@ip-location-db/geo-whois-asn-country-mmdb');
    assert.match(info.version, /^\d+\.\d+\.\d{10}$/);
    assert.match(info.licence, /CC BY 4\.0/);
    const { built } = await geoDbDetails();
    assert.match(built.ipv4, /^\d{4}-\d\d-\d\dT/);
    assert.match(built.ipv6, /^\d{4}-\d\d-\d\dT/);
  });
});
