/**
 * The status parser against every fixture in test/fixtures/status (see its README for where
 * each file comes from). Expected values were read off the files by hand: v2/v3 instants come
 * from the time_t columns, v1 instants are the file's text read in the given zone (UTC here).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { InputError } from '../../src/core/errors.js';
import { parseStatus, type StatusClient, type StatusRoute, type StatusSnapshot } from '../../src/core/parse-status.js';

const DIR = new URL('../fixtures/status/', import.meta.url);
const read = (name: string): string => readFileSync(new URL(name, DIR), 'utf8');
const parse = (name: string, timeZone = 'UTC'): StatusSnapshot => parseStatus(read(name), { file: name, timeZone });

/** The InputError that parsing `text` throws (fails the test when it parses or throws anything else). */
function rejection(text: string, file = 'test.status', timeZone = 'UTC'): InputError {
  let snapshot: StatusSnapshot;
  try {
    snapshot = parseStatus(text, { file, timeZone });
  } catch (e) {
    if (e instanceof InputError) return e;
    throw e;
  }
  assert.fail(`expected an InputError, got a snapshot with ${snapshot.clients.length} clients`);
}

type ClientCheck = { at: number } & Partial<StatusClient>;
type RouteCheck = { at: number } & Partial<StatusRoute>;

interface Good {
  format: 1 | 2 | 3;
  updatedAt: string;
  clients: number;
  routes: number;
  title?: string | null;
  globalStats?: Record<string, string>;
  check: ClientCheck[];
  routeCheck?: RouteCheck[];
  timeZone?: string;
}
interface Bad {
  line: number;
  reason: string;
}

const TITLE_2614 =
  'OpenVPN 2.6.14 x86_64-pc-linux-gnu [SSL (OpenSSL)] [LZO] [LZ4] [EPOLL] [PKCS11] [MH/PKTINFO] [AEAD] [DCO]';
const OJARVA_TITLE = 'OpenVPN 2.1.4 x86_64-unknown-openbsd5.0 [SSL] [LZO2] built on Aug\t4 2011';
/** A v1 client: no username, IDs or cipher columns. */
const V1 = { username: null, clientId: null, peerId: null, cipher: null, protocol: null } as const;

// valid_1 and the broken files derived from it, once line 21 is repaired: the same 10 clients.
const OJARVA_10: Good = {
  format: 3,
  title: OJARVA_TITLE,
  updatedAt: '2012-08-16T09:30:30Z', // time_t 1345109430 (text 12:30:30, server at UTC+3)
  clients: 10,
  routes: 14,
  check: [
    // 2.1 header: no IPv6, username, IDs or cipher columns.
    {
      at: 0,
      commonName: 'aefj-laptop',
      username: null,
      realAddress: '83.243.114.51',
      realPort: 63714,
      virtualAddress: '10.201.6.55',
      virtualIpv6: null,
      bytesReceived: 13483768,
      bytesSent: 22837245,
      connectedAt: '2012-08-16T08:55:59Z',
      clientId: null,
      peerId: null,
      cipher: null,
    },
    {
      at: 2,
      commonName: 'eijbk-ext-home-laptop',
      realAddress: '10.3.0.23',
      realPort: 61674,
      virtualAddress: '10.201.6.56',
      connectedAt: '2012-08-16T09:15:27Z',
    },
  ],
  routeCheck: [
    // The repaired row (line 21), a TAP route by MAC.
    {
      at: 6,
      virtualAddress: '55:fb:d6:3b:40:ae',
      kind: 'mac',
      commonName: 'eijbk-ext-home-laptop',
      realAddress: '10.3.0.23',
      realPort: 61674,
      lastRefAt: '2012-08-16T09:30:29Z',
    },
  ],
};

const CASES: Record<string, Good | Bad> = {
  // --- AntLer-24rus/ovpn-stat: real-looking v1 with site-to-site iroutes.
  'AntLer-24rus__ovpn-stat__openvpn-status.log': {
    line: 2,
    reason: 'Updated "Thu Jul 11 13:40:60 2019" is not a valid time',
  },
  'AntLer-24rus__ovpn-stat__openvpn-status.sec59.log': {
    format: 1,
    updatedAt: '2019-07-11T13:40:59Z',
    clients: 6,
    routes: 14,
    title: null,
    globalStats: { 'Max bcast/mcast queue length': '16' },
    check: [
      // Its routes in file order: 192.168.102.20C (cached), 192.168.102.0/24 (iroute), 10.8.0.2.
      {
        at: 0,
        commonName: 'AntLer-Work',
        ...V1,
        realAddress: '171.33.249.181',
        realPort: 20707,
        virtualAddress: '10.8.0.2',
        virtualIpv6: null,
        bytesReceived: 84070103,
        bytesSent: 379390071,
        connectedAt: '2019-07-04T14:37:00Z',
      },
      // Same NAT address as AptekaGa/AptekaAvt, same port as AntLer-Router: joined on both.
      {
        at: 5,
        commonName: 'AptekaKo',
        realAddress: '212.188.44.38',
        realPort: 13555,
        virtualAddress: '10.8.0.14',
        bytesReceived: 4049039,
        bytesSent: 2227707,
        connectedAt: '2019-07-11T07:20:25Z',
      },
    ],
    routeCheck: [
      {
        at: 1,
        virtualAddress: '192.168.101.17C',
        kind: 'cached',
        commonName: 'AptekaKo',
        lastRefAt: '2019-07-11T13:40:58Z',
      },
      { at: 2, virtualAddress: '192.168.103.0/24', kind: 'subnet', commonName: 'AptekaAvt' },
    ],
  },
  // --- XayOn/pivpn-docker: a v3 file whose TABs became spaces.
  'XayOn__pivpn-docker__openvpn-status.log': { line: 1, reason: 'not an OpenVPN server status file' },

  // --- cmur2/openvpn-status-web: synthetic examples.
  'cmur2__openvpn-status-web__status.v1': {
    format: 1,
    updatedAt: '2012-01-01T23:42:00Z', // "Sun Jan 1 23:42:00 2012": day not padded
    clients: 2,
    routes: 4,
    check: [
      // Bytes beyond 2^32; its /24 route is skipped, 192.168.66.3 is its address.
      {
        at: 0,
        commonName: 'foo',
        ...V1,
        realAddress: '1.2.3.4',
        realPort: 1234,
        virtualAddress: '192.168.66.3',
        virtualIpv6: null,
        bytesReceived: 11811160064,
        bytesSent: 4194304,
        connectedAt: '2012-01-01T23:42:00Z',
      },
      {
        at: 1,
        commonName: 'bar',
        realAddress: '1.2.3.5',
        realPort: 1235,
        virtualAddress: '192.168.66.2',
        virtualIpv6: '2001:db8:0:0::1000',
        bytesReceived: 512,
        bytesSent: 2048,
      },
    ],
    routeCheck: [
      { at: 0, virtualAddress: '192.168.0.0/24', kind: 'subnet' },
      { at: 3, kind: 'ipv6' },
    ],
  },
  'cmur2__openvpn-status-web__status.v2': {
    format: 2,
    title: 'OpenVPN 2.1_rc15 mipsel-unknown-linux-gnu [SSL] [LZO1] [EPOLL] built on Mar 27 2009',
    // The time_t (1238702330) wins over the text (2012-01-01): this synthetic file disagrees with itself.
    updatedAt: '2009-04-02T19:58:50Z',
    clients: 2,
    routes: 4,
    check: [
      // The Virtual Address column is used as written (the routing table says otherwise here).
      {
        at: 0,
        commonName: 'foo',
        username: null,
        realAddress: '1.2.3.4',
        realPort: 1234,
        virtualAddress: '192.168.66.2',
        virtualIpv6: null,
        bytesReceived: 11811160064,
        bytesSent: 4194304,
        connectedAt: '2009-04-02T19:58:50Z',
        clientId: null,
        peerId: null,
        cipher: null,
      },
      // 2.1 printed an IPv6 pool address in "Virtual Address": it moves to virtualIpv6.
      {
        at: 1,
        commonName: 'bar',
        virtualAddress: null,
        virtualIpv6: '2001:db8:0:0::1000',
        bytesReceived: 512,
        bytesSent: 2048,
      },
    ],
  },
  'cmur2__openvpn-status-web__status.v3': {
    format: 3,
    title: 'OpenVPN 2.1_rc15 mipsel-unknown-linux-gnu [SSL] [LZO1] [EPOLL] built on Mar 27 2009',
    updatedAt: '2009-04-02T19:58:50Z',
    clients: 2,
    routes: 4,
    check: [
      { at: 0, commonName: 'foo', virtualAddress: '192.168.66.2', bytesReceived: 11811160064 },
      { at: 1, commonName: 'bar', virtualAddress: null, virtualIpv6: '2001:db8:0:0::1000' },
    ],
  },
  'cmur2__openvpn-status-web__status2_5.v2': {
    format: 2,
    updatedAt: '2009-04-02T19:58:50Z',
    clients: 1,
    routes: 1,
    globalStats: { 'Max bcast/mcast queue length': '42' },
    check: [
      {
        at: 0,
        commonName: 'foo',
        username: null,
        realAddress: '1.2.3.4',
        realPort: 1234,
        virtualAddress: '192.168.66.2',
        virtualIpv6: null,
        bytesReceived: 11811160064,
        bytesSent: 4194304,
        connectedAt: '2009-04-02T19:58:50Z',
        clientId: 1,
        peerId: 0,
        cipher: 'AES-256-GCM',
      },
    ],
  },

  // --- dannluciano/vpnweb: real v1, no newline after END.
  'dannluciano__vpnweb__openvpn-status.log': {
    format: 1,
    updatedAt: '2016-06-26T11:36:36Z',
    clients: 2,
    routes: 2,
    check: [
      {
        at: 0,
        commonName: 'dl-iphone',
        ...V1,
        realAddress: '200.217.145.198',
        realPort: 56455,
        virtualAddress: '10.8.0.14',
        virtualIpv6: null,
        bytesReceived: 6360,
        bytesSent: 9017,
        connectedAt: '2016-06-26T11:36:26Z',
      },
      {
        at: 1,
        commonName: 'dl-macbook',
        realAddress: '200.217.145.198',
        realPort: 55673,
        virtualAddress: '10.8.0.10',
        bytesReceived: 96453,
        bytesSent: 174110,
        connectedAt: '2016-06-26T11:32:07Z',
      },
    ],
  },
  // --- kellyjonbrazil/jc: tonyseek's file plus a client and a route without a port; a blank line after END.
  'kellyjonbrazil__jc__openvpn-status.log': {
    format: 1,
    updatedAt: '2015-06-18T08:12:15Z',
    clients: 6,
    routes: 11,
    check: [
      // Only 192.168.255.118 is a plain address: 10.200.0.0/16 and 2001:db8::1000/124 are iroutes.
      {
        at: 3,
        commonName: 'baz@example.com',
        realAddress: '10.10.10.10',
        realPort: 63414,
        virtualAddress: '192.168.255.118',
        virtualIpv6: null,
      },
      // No port: joined on the bare address to 192.168.255.1.
      {
        at: 5,
        commonName: 'baz@example.com',
        ...V1,
        realAddress: '10.10.10.10',
        realPort: null,
        virtualAddress: '192.168.255.1',
        bytesReceived: 111183,
        bytesSent: 1202203,
        connectedAt: '2015-06-18T07:57:25Z',
      },
    ],
  },

  // --- kumina/openvpn_exporter.
  'kumina__openvpn_exporter__client.status': {
    line: 1,
    reason: 'client-mode "OpenVPN STATISTICS", not a server status file',
  },
  'kumina__openvpn_exporter__server2.status': {
    format: 2,
    title:
      'OpenVPN 2.3.2 x86_64-pc-linux-gnu [SSL (OpenSSL)] [LZO] [EPOLL] [PKCS11] [eurephia] [MH] [IPv6] built on Dec  2 2014',
    updatedAt: '2017-03-21T09:39:14Z', // time_t 1490089154 (text 10:39:14, server at UTC+1)
    clients: 6, // five clients, redacted1 listed twice: both rows stay
    routes: 6,
    check: [
      {
        at: 0,
        commonName: 'redacted1',
        username: null,
        realAddress: '0.0.0.0',
        realPort: 19021,
        virtualAddress: '0.0.0.0',
        virtualIpv6: null,
        bytesReceived: 693438277,
        bytesSent: 228390856,
        connectedAt: '2017-03-16T16:09:03Z',
        clientId: null,
        peerId: null,
        cipher: null,
      },
      {
        at: 3,
        commonName: 'redacted4',
        realPort: 52335,
        bytesReceived: 24289622392,
        bytesSent: 70914674697,
        connectedAt: '2017-03-17T10:16:29Z',
      },
      {
        at: 5,
        commonName: 'redacted1',
        realPort: 19021,
        bytesReceived: 693438277,
        connectedAt: '2017-03-16T16:09:03Z',
      },
    ],
  },
  'kumina__openvpn_exporter__server3.status': {
    format: 3,
    updatedAt: '2017-03-21T09:39:14Z',
    clients: 5,
    routes: 5,
    check: [
      {
        at: 3,
        commonName: 'redacted4',
        username: null,
        bytesReceived: 24289622392,
        bytesSent: 70914674697,
        connectedAt: '2017-03-17T10:16:29Z',
      },
    ],
  },

  // --- ojarva/openvpn-status-parser. valid_1 has a route row with a space instead of a TAB at
  // line 21; the broken files are valid_1 with one more defect, and fail at their first defect.
  'ojarva__openvpn-status-parser__valid_1.status': { line: 21, reason: 'route row has 4 fields, its header has 5' },
  'ojarva__openvpn-status-parser__valid_1.fixed21.status': OJARVA_10,
  'ojarva__openvpn-status-parser__valid_2.status': {
    format: 3,
    title: OJARVA_TITLE,
    updatedAt: '2012-08-16T09:30:30Z',
    clients: 0,
    routes: 0,
    globalStats: { 'Max bcast/mcast queue length': '11' },
    check: [],
  },
  'ojarva__openvpn-status-parser__valid_3.status': {
    format: 3,
    updatedAt: '2022-05-17T05:09:49Z',
    clients: 11,
    routes: 15,
    check: [
      {
        at: 0,
        commonName: 'aefj-laptop',
        username: null,
        virtualIpv6: null,
        clientId: 20718,
        peerId: 32,
        cipher: 'AES-256-GCM',
      },
      // Duplicate CN: two sessions from one host, told apart by port (this edited file repeats the Client ID).
      {
        at: 9,
        commonName: 'ekl6-laptop',
        realAddress: '48.109.171.156',
        realPort: 15916,
        virtualAddress: '10.201.6.53',
        clientId: 1952,
        peerId: 97,
      },
      {
        at: 10,
        commonName: 'ekl6-laptop',
        realAddress: '48.109.171.156',
        realPort: 5396,
        virtualAddress: '10.201.6.50',
        bytesReceived: 30023,
        bytesSent: 10023,
        connectedAt: '2012-08-16T08:55:44Z',
        clientId: 1952,
        peerId: 88,
      },
    ],
  },
  // No TIME row and no ROUTING_TABLE header: the first route row has nothing to map it.
  'ojarva__openvpn-status-parser__broken_1.status': { line: 13, reason: 'ROUTING_TABLE row before its HEADER' },
  'ojarva__openvpn-status-parser__broken_1.fixed21.status': { line: 13, reason: 'ROUTING_TABLE row before its HEADER' },
  // A route row without its record type (line 26) comes after line 21.
  'ojarva__openvpn-status-parser__broken_2.status': { line: 21, reason: 'route row has 4 fields, its header has 5' },
  'ojarva__openvpn-status-parser__broken_2.fixed21.status': {
    line: 26,
    reason: 'unknown record type "da:38:b0:73:ee:40"',
  },
  // Cut after line 16: no END.
  'ojarva__openvpn-status-parser__broken_3.status': { line: 16, reason: 'no END line' },
  // Year 3012 in the TIME text and a route header column renamed "Last Ref (time_t) invalid".
  'ojarva__openvpn-status-parser__broken_4.status': { line: 21, reason: 'route row has 4 fields, its header has 5' },
  'ojarva__openvpn-status-parser__broken_4.fixed21.status': {
    ...OJARVA_10,
    // Tolerated: the time_t (2012) wins and 3012 is a valid calendar year; the renamed column is
    // an unknown one, so Last Ref comes from its text, read in the zone given (UTC here).
    routeCheck: [{ at: 0, virtualAddress: '00:ff:e0:d5:76:ce', kind: 'mac', lastRefAt: '2012-08-16T12:30:29Z' }],
  },
  // A CLIENT_LIST row without its common name (line 10).
  'ojarva__openvpn-status-parser__broken_5.status': { line: 10, reason: 'client row has 6 fields, its header has 7' },
  'ojarva__openvpn-status-parser__broken_5.fixed21.status': {
    line: 10,
    reason: 'client row has 6 fields, its header has 7',
  },
  // Connected Since text "12::27" (line 6); also a Last Ref time_t of 29 (line 19), which is a valid time_t.
  'ojarva__openvpn-status-parser__broken_6.status': {
    line: 6,
    reason: 'Connected Since "Thu Aug 16 12::27 2012" is not a valid time',
  },
  'ojarva__openvpn-status-parser__broken_6.fixed21.status': {
    line: 6,
    reason: 'Connected Since "Thu Aug 16 12::27 2012" is not a valid time',
  },
  'ojarva__openvpn-status-parser__broken_7.status': { line: 6, reason: 'unknown record type "LIENT_LIST"' },
  'ojarva__openvpn-status-parser__broken_7.fixed21.status': { line: 6, reason: 'unknown record type "LIENT_LIST"' },
  'ojarva__openvpn-status-parser__broken_8.status': { line: 14, reason: 'unknown record type "HEDER"' },
  'ojarva__openvpn-status-parser__broken_8.fixed21.status': { line: 14, reason: 'unknown record type "HEDER"' },
  // A route row without its date (line 20).
  'ojarva__openvpn-status-parser__broken_9.status': { line: 20, reason: 'route row has 4 fields, its header has 5' },
  'ojarva__openvpn-status-parser__broken_9.fixed21.status': {
    line: 20,
    reason: 'route row has 4 fields, its header has 5',
  },
  // No CLIENT_LIST header.
  'ojarva__openvpn-status-parser__broken_10.status': { line: 3, reason: 'CLIENT_LIST row before its HEADER' },
  'ojarva__openvpn-status-parser__broken_10.fixed21.status': { line: 3, reason: 'CLIENT_LIST row before its HEADER' },

  // --- patrickjahns/openvpn_exporter.
  'patrickjahns__openvpn_exporter__duplicate.status': {
    format: 1,
    updatedAt: '2020-06-05T09:03:05Z',
    clients: 5, // the identical bar_bar rows stay two clients
    routes: 0, // no ROUTING TABLE section: no virtual addresses
    check: [
      {
        at: 0,
        commonName: 'foo_foo',
        ...V1,
        realAddress: '::ffff:1.1.1.1',
        realPort: null,
        virtualAddress: null,
        virtualIpv6: null,
        bytesReceived: 898582,
        bytesSent: 674355,
        connectedAt: '2020-06-04T08:50:24Z',
      },
      {
        at: 1,
        commonName: 'bar_bar',
        realAddress: '::ffff:2.2.2.2',
        bytesReceived: 1550890,
        connectedAt: '2020-06-03T14:00:04Z',
      },
      {
        at: 2,
        commonName: 'bar_bar',
        realAddress: '::ffff:2.2.2.2',
        bytesReceived: 1550890,
        connectedAt: '2020-06-03T14:00:04Z',
      },
      // An unknown common name stays "UNDEF" (only the username turns UNDEF into null).
      {
        at: 3,
        commonName: 'UNDEF',
        username: null,
        realAddress: '::ffff:3.3.3.3',
        bytesReceived: 527,
        bytesSent: 10441,
      },
    ],
  },
  'patrickjahns__openvpn_exporter__error.status': {
    format: 1,
    updatedAt: '2020-06-05T09:03:05Z',
    clients: 4,
    routes: 0,
    check: [
      { at: 1, commonName: 'bar_bar' },
      { at: 2, commonName: 'UNDEF', realAddress: '::ffff:3.3.3.3' },
    ],
  },
  'patrickjahns__openvpn_exporter__version1.status': {
    format: 1,
    updatedAt: '2020-04-23T20:14:31Z',
    clients: 4,
    routes: 4,
    check: [
      // Edited file: user1's route names port 50976, user1 is on 60102. No guessing: no address.
      {
        at: 0,
        commonName: 'user1',
        realAddress: '1.2.3.4',
        realPort: 60102,
        virtualAddress: null,
        bytesReceived: 7883858,
        connectedAt: '2020-04-22T12:36:42Z',
      },
      { at: 1, commonName: 'user2', virtualAddress: null },
      {
        at: 2,
        commonName: 'user3@test.de',
        realPort: 57688,
        virtualAddress: '10.240.37.214',
        bytesReceived: 19602844,
        bytesSent: 23599532,
      },
      { at: 3, commonName: 'user4', virtualAddress: '10.240.1.222' },
    ],
  },
  'patrickjahns__openvpn_exporter__version2.status': {
    format: 2,
    title:
      'OpenVPN 2.4.4 x86_64-pc-linux-gnu [SSL (OpenSSL)] [LZO] [LZ4] [EPOLL] [PKCS11] [MH/PKTINFO] [AEAD] built on May 14 2019',
    updatedAt: '2020-04-30T13:55:44Z',
    clients: 2,
    routes: 2,
    check: [
      // 2.4 header: IPv6 (empty here), username, IDs; no cipher column.
      {
        at: 0,
        commonName: 'test@localhost',
        username: 'test@localhost',
        realAddress: '1.2.3.4',
        realPort: 54190,
        virtualAddress: '10.80.0.65',
        virtualIpv6: null,
        bytesReceived: 3860,
        bytesSent: 3688,
        connectedAt: '2020-04-30T13:55:38Z',
        clientId: 0,
        peerId: 0,
        cipher: null,
      },
      { at: 1, commonName: 'test1@localhost', clientId: 1, peerId: 1, connectedAt: '2020-04-30T13:55:40Z' },
    ],
  },
  'patrickjahns__openvpn_exporter__version3.status': {
    format: 3,
    updatedAt: '2020-04-30T13:55:44Z',
    clients: 2,
    routes: 2,
    check: [
      {
        at: 1,
        commonName: 'test1@localhost',
        username: 'test1@localhost',
        realAddress: '1.2.3.5',
        realPort: 51053,
        virtualAddress: '10.68.0.25',
        clientId: 1,
        peerId: 1,
      },
    ],
  },

  // --- tonyseek/openvpn-status.
  'tonyseek__openvpn-status__openvpn-status.txt': {
    format: 1,
    updatedAt: '2015-06-18T08:12:15Z',
    clients: 5,
    routes: 10,
    check: [
      // The same CN on two ports: each joined to its own route.
      { at: 0, commonName: 'foo@example.com', realPort: 49502, virtualAddress: '192.168.255.134' },
      { at: 1, commonName: 'foo@example.com', realPort: 49503, virtualAddress: '192.168.255.135' },
      // Its cached routes (…C) are skipped.
      {
        at: 2,
        commonName: 'bar@example.com',
        ...V1,
        realAddress: '10.10.10.10',
        realPort: 64169,
        virtualAddress: '192.168.255.126',
        bytesReceived: 1817262,
        bytesSent: 28981224,
        connectedAt: '2015-06-18T04:08:39Z',
      },
      // TAP: only a MAC route.
      {
        at: 4,
        commonName: 'tap@example.com',
        virtualAddress: null,
        virtualIpv6: null,
        bytesReceived: 0,
        bytesSent: 0,
        connectedAt: '2017-10-19T20:14:19Z',
      },
    ],
  },
  'tonyseek__openvpn-status__broken-openvpn-status-0.txt': { line: 1, reason: 'empty file' },
  'tonyseek__openvpn-status__broken-openvpn-status-1.txt': { line: 1, reason: 'not an OpenVPN server status file' },
  'tonyseek__openvpn-status__broken-openvpn-status-2.txt': { line: 2, reason: 'no END line' },
  'tonyseek__openvpn-status__broken-openvpn-status-3.txt': { line: 1, reason: 'no END line' },
  // 4 and 5 also lack END; the .with-end copies reach their own defects.
  'tonyseek__openvpn-status__broken-openvpn-status-4.txt': { line: 2, reason: 'no END line' },
  'tonyseek__openvpn-status__broken-openvpn-status-4.with-end.txt': {
    line: 2,
    reason: 'Updated "Yo,Hoo" is not a valid time',
  },
  'tonyseek__openvpn-status__broken-openvpn-status-5.txt': { line: 2, reason: 'no END line' },
  'tonyseek__openvpn-status__broken-openvpn-status-5.with-end.txt': { line: 2, reason: 'expected "Updated,<time>"' },
  // "YO TABLE" is read as one more client row.
  'tonyseek__openvpn-status__broken-openvpn-status-6.txt': {
    line: 7,
    reason: 'client row has 1 fields, its header has 5',
  },
  // Cut in the middle of line 4.
  'tonyseek__openvpn-status__broken-openvpn-status-7.txt': { line: 4, reason: 'no END line' },

  // --- Real OpenVPN 2.6.14 (server in UTC, so text and time_t agree).
  'mgmt-v2.txt': {
    format: 2,
    title: TITLE_2614,
    updatedAt: '2026-11-26T16:14:59Z',
    clients: 6,
    routes: 12,
    globalStats: { 'Max bcast/mcast queue length': '6', dco_enabled: '0' },
    check: [
      {
        at: 0,
        commonName: 'flex-RN13P',
        username: 'jdoe',
        realAddress: '127.0.0.11',
        realPort: 42001,
        protocol: null,
        virtualAddress: '10.8.0.3',
        virtualIpv6: 'fd00:8::1001',
        bytesReceived: 2560,
        bytesSent: 2537,
        connectedAt: '2026-11-26T16:14:55Z',
        clientId: 0,
        peerId: 0,
        cipher: 'AES-256-GCM',
      },
      { at: 2, commonName: 'shared-dup', username: 'kiosk1', realPort: 42004, clientId: 4, peerId: 4 },
    ],
  },
  'mgmt-v3.txt': {
    format: 3,
    title: TITLE_2614,
    updatedAt: '2026-11-26T16:15:27Z',
    clients: 6,
    routes: 12,
    check: [
      {
        at: 0,
        commonName: 'shared-dup',
        username: 'kiosk1',
        realAddress: '127.0.0.14',
        realPort: 42004,
        virtualAddress: '10.8.0.4',
        virtualIpv6: 'fd00:8::1002',
        bytesReceived: 2570,
        bytesSent: 2577,
        clientId: 2,
        peerId: 2,
      },
    ],
  },
  'v1-connected.log': {
    format: 1,
    updatedAt: '2026-11-26T16:14:33Z',
    clients: 6,
    routes: 12,
    globalStats: { 'Max bcast/mcast queue length': '6' },
    check: [
      // Two clients with one CN: the join tells them apart by real address.
      {
        at: 0,
        commonName: 'shared-dup',
        ...V1,
        realAddress: '127.0.0.15',
        realPort: 42005,
        virtualAddress: '10.8.0.6',
        virtualIpv6: 'fd00:8::1004',
        bytesReceived: 2507,
        bytesSent: 2537,
        connectedAt: '2026-11-26T16:14:28Z',
      },
      {
        at: 1,
        commonName: 'shared-dup',
        realAddress: '127.0.0.14',
        realPort: 42004,
        virtualAddress: '10.8.0.5',
        virtualIpv6: 'fd00:8::1003',
      },
    ],
  },
  'v1-after-disconnect.log': {
    format: 1,
    updatedAt: '2026-11-26T16:14:39Z',
    clients: 4,
    routes: 8,
    check: [
      {
        at: 2,
        commonName: 'Dave Lee',
        ...V1,
        realAddress: '127.0.0.16',
        realPort: 42006,
        virtualAddress: '10.8.0.7',
        virtualIpv6: 'fd00:8::1005',
        bytesReceived: 2778,
        bytesSent: 2777,
        connectedAt: '2026-11-26T16:14:28Z',
      },
    ],
  },
  'v1-after-reconnect.log': {
    format: 1,
    updatedAt: '2026-11-26T16:14:43Z',
    clients: 5,
    routes: 10,
    check: [
      {
        at: 3,
        commonName: 'alice.smith',
        realAddress: '127.0.0.12',
        realPort: 42102,
        virtualAddress: '10.8.0.3',
        virtualIpv6: 'fd00:8::1001',
        bytesReceived: 2468,
        bytesSent: 2495,
        connectedAt: '2026-11-26T16:14:39Z',
      },
    ],
  },
  'v1-auth-pending.log': {
    format: 1,
    updatedAt: '2026-11-26T16:14:44Z',
    clients: 6,
    routes: 10,
    // Authentication pending: listed, but no route yet.
    check: [
      {
        at: 3,
        commonName: 'client-07',
        ...V1,
        realAddress: '127.0.0.17',
        realPort: 42207,
        virtualAddress: null,
        virtualIpv6: null,
        bytesReceived: 2256,
        bytesSent: 2006,
        connectedAt: '2026-11-26T16:14:43Z',
      },
    ],
  },
  'v2-connected.log': {
    format: 2,
    title: TITLE_2614,
    updatedAt: '2026-11-26T16:14:59Z',
    clients: 6,
    routes: 12,
    globalStats: { 'Max bcast/mcast queue length': '6', dco_enabled: '0' },
    check: [
      {
        at: 2,
        commonName: 'shared-dup',
        username: 'kiosk1',
        realAddress: '127.0.0.14',
        realPort: 42004,
        virtualAddress: '10.8.0.5',
        virtualIpv6: 'fd00:8::1003',
        bytesReceived: 2530,
        bytesSent: 2536,
        connectedAt: '2026-11-26T16:14:55Z',
        clientId: 4,
        peerId: 4,
        cipher: 'AES-256-GCM',
      },
      { at: 3, commonName: 'shared-dup', username: null, realPort: 42005, clientId: 3, peerId: 3 },
    ],
  },
  'v2-after-disconnect.log': {
    format: 2,
    updatedAt: '2026-11-26T16:15:06Z',
    clients: 4,
    routes: 8,
    check: [
      {
        at: 1,
        commonName: 'Dave Lee',
        username: null,
        realAddress: '127.0.0.16',
        realPort: 42006,
        virtualAddress: '10.8.0.6',
        virtualIpv6: 'fd00:8::1004',
        bytesReceived: 2819,
        bytesSent: 2848,
        clientId: 5,
        peerId: 5,
      },
    ],
  },
  'v2-after-reconnect.log': {
    format: 2,
    updatedAt: '2026-11-26T16:15:09Z',
    clients: 5,
    routes: 10,
    // Back from a new port with a new Client ID; Peer ID 1 is reused.
    check: [
      {
        at: 3,
        commonName: 'alice.smith',
        username: null,
        realPort: 42102,
        virtualAddress: '10.8.0.2',
        virtualIpv6: 'fd00:8::1000',
        connectedAt: '2026-11-26T16:15:06Z',
        clientId: 6,
        peerId: 1,
      },
    ],
  },
  'v2-auth-pending.log': {
    format: 2,
    updatedAt: '2026-11-26T16:15:11Z',
    clients: 6,
    routes: 10,
    check: [
      {
        at: 0,
        commonName: 'client-07',
        username: 'user07',
        realAddress: '127.0.0.17',
        realPort: 42207,
        virtualAddress: null,
        virtualIpv6: null,
        bytesReceived: 2256,
        bytesSent: 2006,
        connectedAt: '2026-11-26T16:15:10Z',
        clientId: 7,
        peerId: 4,
        cipher: 'BF-CBC',
      },
    ],
  },
  'v3-connected.log': {
    format: 3,
    title: TITLE_2614,
    updatedAt: '2026-11-26T16:15:27Z',
    clients: 6,
    routes: 12,
    check: [
      {
        at: 4,
        commonName: 'Dave Lee',
        username: null,
        realAddress: '127.0.0.16',
        realPort: 42006,
        virtualAddress: '10.8.0.7',
        virtualIpv6: 'fd00:8::1005',
        bytesReceived: 2506,
        bytesSent: 2497,
        connectedAt: '2026-11-26T16:15:23Z',
        clientId: 5,
        peerId: 5,
        cipher: 'AES-256-GCM',
      },
    ],
  },
  'v3-after-disconnect.log': {
    format: 3,
    updatedAt: '2026-11-26T16:15:33Z',
    clients: 4,
    routes: 8,
    check: [
      {
        at: 0,
        commonName: 'bob_jones',
        username: 'bjones',
        realAddress: '127.0.0.13',
        realPort: 42003,
        virtualAddress: '10.8.0.5',
        virtualIpv6: 'fd00:8::1003',
        bytesReceived: 2762,
        bytesSent: 2697,
        connectedAt: '2026-11-26T16:15:23Z',
        clientId: 3,
        peerId: 3,
      },
    ],
  },
  'v3-after-reconnect.log': {
    format: 3,
    updatedAt: '2026-11-26T16:15:36Z',
    clients: 5,
    routes: 10,
    check: [
      {
        at: 1,
        commonName: 'alice.smith',
        realPort: 42102,
        virtualAddress: '10.8.0.3',
        bytesReceived: 2467,
        bytesSent: 2497,
        connectedAt: '2026-11-26T16:15:33Z',
        clientId: 6,
        peerId: 1,
      },
    ],
  },
  'v3-auth-pending.log': {
    format: 3,
    updatedAt: '2026-11-26T16:15:38Z',
    clients: 6,
    routes: 10,
    check: [
      {
        at: 3,
        commonName: 'client-07',
        username: 'user07',
        virtualAddress: null,
        virtualIpv6: null,
        bytesReceived: 2256,
        bytesSent: 2007,
        connectedAt: '2026-11-26T16:15:37Z',
        clientId: 7,
        peerId: 2,
        cipher: 'BF-CBC',
      },
    ],
  },

  // --- Synthetic files for the gaps test/fixtures/README.md lists.
  'synthetic-v2-2.6-dco1.status': {
    format: 2,
    title: TITLE_2614,
    updatedAt: '2026-11-27T09:00:00Z',
    clients: 4,
    routes: 7,
    globalStats: { 'Max bcast/mcast queue length': '2', dco_enabled: '1' },
    check: [
      {
        at: 0,
        commonName: 'alice.smith',
        username: 'alice',
        realAddress: '203.0.113.10',
        realPort: 50001,
        protocol: null,
        virtualAddress: '10.8.0.2',
        virtualIpv6: 'fd00:8::1000',
        bytesReceived: 123456789012,
        bytesSent: 654321,
        connectedAt: '2026-11-27T08:00:00Z',
        clientId: 10,
        peerId: 3,
        cipher: 'AES-256-GCM',
      },
      // IPv6 real address without a port; IPv6-only tunnel (empty IPv4 Virtual Address).
      {
        at: 1,
        commonName: 'v6only',
        username: null,
        realAddress: '2001:db8:100::5',
        realPort: null,
        virtualAddress: null,
        virtualIpv6: 'fd00:8::1001',
        cipher: 'CHACHA20-POLY1305',
      },
      {
        at: 3,
        commonName: 'shared-dup',
        username: 'kiosk2',
        realAddress: '198.51.100.7',
        realPort: 1195,
        clientId: 13,
      },
    ],
  },
  'synthetic-v3-2.6-dco1.status': {
    format: 3,
    updatedAt: '2026-11-27T09:00:00Z',
    clients: 4,
    routes: 7,
    globalStats: { 'Max bcast/mcast queue length': '2', dco_enabled: '1' },
    check: [
      {
        at: 1,
        commonName: 'v6only',
        realAddress: '2001:db8:100::5',
        realPort: null,
        virtualAddress: null,
        virtualIpv6: 'fd00:8::1001',
      },
    ],
  },
  'synthetic-v2-2.7-protocol.status': {
    format: 2,
    updatedAt: '2026-11-27T09:00:00Z',
    clients: 3,
    routes: 3,
    check: [
      {
        at: 0,
        commonName: 'udp-user',
        realAddress: '192.0.2.10',
        realPort: 5678,
        protocol: 'udp4',
        virtualAddress: '10.8.0.2',
      },
      {
        at: 1,
        commonName: 'tcp-user',
        realAddress: '192.0.2.11',
        realPort: 5678,
        protocol: 'tcp4-server',
        username: 'tcpuser',
      },
      {
        at: 2,
        commonName: 'v6-user',
        realAddress: '2001:db8::1',
        realPort: 1194,
        protocol: 'udp6',
        cipher: 'AES-128-GCM',
      },
    ],
    routeCheck: [
      {
        at: 1,
        virtualAddress: 'fd00:8::1002',
        kind: 'ipv6',
        realAddress: '2001:db8::1',
        realPort: 1194,
        protocol: 'udp6',
      },
    ],
  },
  'synthetic-v1-2.7-protocol.status': {
    format: 1,
    updatedAt: '2026-11-27T09:00:00Z',
    clients: 3,
    routes: 5,
    check: [
      // The join matches the routing table's prefixed Real Address as written.
      {
        at: 0,
        commonName: 'udp-user',
        ...V1,
        protocol: 'udp4',
        realAddress: '192.0.2.10',
        realPort: 5678,
        virtualAddress: '10.8.0.2',
        virtualIpv6: 'fd00:8::1000',
      },
      { at: 1, commonName: 'tcp-user', protocol: 'tcp4-server', virtualAddress: '10.8.0.3', virtualIpv6: null },
      {
        at: 2,
        commonName: 'v6-user',
        protocol: 'udp6',
        realAddress: '2001:db8::1',
        realPort: 1194,
        virtualAddress: '10.8.0.4',
        virtualIpv6: 'fd00:8::1002',
        connectedAt: '2026-11-27T08:45:10Z',
      },
    ],
  },
  'synthetic-v1-2.6-ipv6-real.status': {
    format: 1,
    updatedAt: '2026-11-27T09:00:00Z',
    clients: 2,
    routes: 3,
    check: [
      {
        at: 0,
        commonName: 'v6only',
        ...V1,
        realAddress: '2001:db8:100::5',
        realPort: null,
        virtualAddress: null,
        virtualIpv6: 'fd00:8::1001',
        connectedAt: '2026-11-27T08:30:00Z',
      },
      {
        at: 1,
        commonName: 'alice.smith',
        realPort: 50001,
        virtualAddress: '10.8.0.2',
        virtualIpv6: 'fd00:8::1000',
        bytesReceived: 123456789012,
      },
    ],
  },
  // A common name with a comma: intact with TABs, one field too many with commas.
  'synthetic-v3-comma-cn.status': {
    format: 3,
    updatedAt: '2026-11-27T09:00:00Z',
    clients: 2,
    routes: 2,
    check: [
      {
        at: 0,
        commonName: 'Surname, Given',
        username: 'given.surname',
        realAddress: '203.0.113.20',
        realPort: 40000,
        virtualAddress: '10.8.0.9',
        virtualIpv6: 'fd00:8::1008',
        bytesReceived: 111,
        bytesSent: 222,
      },
    ],
    routeCheck: [{ at: 0, commonName: 'Surname, Given', virtualAddress: '10.8.0.9' }],
  },
  'synthetic-v2-comma-cn.status': { line: 4, reason: 'client row has 13 fields, its header has 12' },
  'synthetic-v1-crlf-bom.status': {
    format: 1,
    updatedAt: '2026-11-26T16:14:33Z',
    clients: 6,
    routes: 12,
    check: [
      {
        at: 5,
        commonName: 'bob_jones',
        realAddress: '127.0.0.13',
        realPort: 42003,
        virtualAddress: '10.8.0.4',
        virtualIpv6: 'fd00:8::1002',
        bytesReceived: 2529,
        bytesSent: 2535,
      },
    ],
  },
  'synthetic-v2-extra-column.status': {
    format: 2,
    updatedAt: '2026-11-27T09:00:00Z',
    clients: 2,
    routes: 2,
    check: [
      // "Future Column" sits between Virtual IPv6 Address and Bytes Received: mapped by name.
      {
        at: 0,
        commonName: 'alice.smith',
        virtualIpv6: 'fd00:8::1000',
        bytesReceived: 1234,
        bytesSent: 5678,
        extra: { 'Future Column': 'future-a' },
      },
      { at: 1, commonName: 'bob_jones', virtualIpv6: null, bytesReceived: 91011, extra: { 'Future Column': '' } },
    ],
    routeCheck: [{ at: 0, virtualAddress: '10.8.0.2', lastRefAt: '2026-11-27T08:59:59Z' }],
  },
  // The new, shorter file followed by the old file's tail: a read before OpenVPN's ftruncate.
  'synthetic-v2-content-after-end.status': { line: 20, reason: 'content after END' },
  'synthetic-v1-dst-berlin.status': {
    timeZone: 'Europe/Berlin',
    format: 1,
    updatedAt: '2026-10-25T02:30:00Z', // 03:30 CET, an hour after the clocks went back
    clients: 6,
    routes: 6,
    check: [
      { at: 0, commonName: 'summer', connectedAt: '2026-10-24T10:00:00Z' }, // CEST, UTC+2
      { at: 1, commonName: 'ambiguous', connectedAt: '2026-10-25T00:30:00Z' }, // 02:30 happened twice: the first (CEST)
      { at: 2, commonName: 'after-fallback', connectedAt: '2026-10-25T02:00:00Z' }, // CET, UTC+1
      { at: 3, commonName: 'after-spring', connectedAt: '2026-03-29T01:00:00Z' }, // first CEST second
      { at: 4, commonName: 'new-year', connectedAt: '2025-12-31T23:00:00Z', virtualAddress: '10.8.0.6' }, // CET, day before in UTC
      { at: 5, commonName: 'hour-before', connectedAt: '2026-10-24T23:30:00Z' }, // still CEST (an hour off before the time.ts fix)
    ],
    routeCheck: [{ at: 0, lastRefAt: '2026-10-25T02:29:59Z' }],
  },
};

describe('every fixture, table-driven', () => {
  test('the table covers every file in test/fixtures/status, and nothing else', () => {
    const files = readdirSync(DIR).sort();
    assert.deepEqual(Object.keys(CASES).sort(), files);
  });

  for (const [name, want] of Object.entries(CASES)) {
    if ('line' in want) {
      test(`${name}: rejected at line ${want.line}`, () => {
        const e = rejection(read(name), name);
        assert.equal(e.file, name);
        assert.equal(e.line, want.line, e.message);
        assert.ok(e.reason.includes(want.reason), `reason "${e.reason}" should contain "${want.reason}"`);
        assert.equal(e.message, `${name}:${want.line}: ${e.reason}`);
      });
      continue;
    }
    test(`${name}: v${want.format}, ${want.clients} clients`, () => {
      const s = parse(name, want.timeZone ?? 'UTC');
      assert.equal(s.schemaVersion, 1);
      assert.equal(s.format, want.format);
      assert.equal(s.updatedAt, want.updatedAt);
      assert.equal(s.clients.length, want.clients);
      assert.equal(s.routes.length, want.routes);
      if (want.title !== undefined) assert.equal(s.title, want.title);
      if (want.format === 1) assert.equal(s.title, null, 'v1 has no TITLE');
      if (want.globalStats) assert.deepEqual(s.globalStats, want.globalStats);
      for (const { at, ...fields } of want.check) {
        const c = s.clients[at];
        assert.ok(c, `no client ${at}`);
        for (const [k, v] of Object.entries(fields))
          assert.deepEqual(c[k as keyof StatusClient], v, `client ${at} (${c.commonName}) ${k}`);
      }
      for (const { at, ...fields } of want.routeCheck ?? []) {
        const r = s.routes[at];
        assert.ok(r, `no route ${at}`);
        for (const [k, v] of Object.entries(fields)) assert.deepEqual(r[k as keyof StatusRoute], v, `route ${at} ${k}`);
      }
    });
  }
});

/** `a{1..3}b` and `a{x,y}b` as a shell expands them (enough for the README's names). */
function expandBraces(word: string): string[] {
  const m = /\{([^{}]*)\}/.exec(word);
  if (!m) return [word];
  const range = /^(\d+)\.\.(\d+)$/.exec(m[1] ?? '');
  const parts = range
    ? Array.from({ length: Number(range[2]) - Number(range[1]) + 1 }, (_, i) => String(Number(range[1]) + i))
    : (m[1] ?? '').split(',');
  return parts.flatMap((p) => expandBraces(word.slice(0, m.index) + p + word.slice(m.index + m[0].length)));
}

test('test/fixtures/README.md names every fixture file', () => {
  const readme = readFileSync(new URL('../README.md', DIR), 'utf8');
  const named = new Set([...readme.matchAll(/`([^`\s]+)`/g)].flatMap((m) => expandBraces(m[1] ?? '')));
  const missing = readdirSync(DIR).filter((f) => !named.has(f));
  assert.deepEqual(missing, []);
});

describe('fixtures that are derived from others are what the README says', () => {
  const lines = (name: string): string[] => read(name).split('\n');

  test('each .fixed21 copy differs from its original in one line: a space before the date became a TAB', () => {
    const fixed = readdirSync(DIR).filter((n) => n.includes('.fixed21.'));
    assert.equal(fixed.length, 10);
    for (const name of fixed) {
      const a = lines(name.replace('.fixed21', ''));
      const b = lines(name);
      assert.equal(a.length, b.length, name);
      const changed = a.flatMap((l, i) => (l === b[i] ? [] : [i]));
      assert.equal(changed.length, 1, name);
      const i = changed[0] ?? -1;
      assert.equal(b[i], (a[i] ?? '').replace('10.3.0.23:61674 Thu', '10.3.0.23:61674\tThu'), name);
    }
  });

  test('AntLer .sec59 only changes the Updated second from 60 to 59', () => {
    const a = lines('AntLer-24rus__ovpn-stat__openvpn-status.log');
    const b = lines('AntLer-24rus__ovpn-stat__openvpn-status.sec59.log');
    assert.deepEqual(
      b,
      a.map((l) => (l === 'Updated,Thu Jul 11 13:40:60 2019' ? 'Updated,Thu Jul 11 13:40:59 2019' : l)),
    );
    assert.notDeepEqual(a, b);
  });

  test('tonyseek .with-end copies only add an END line', () => {
    for (const n of [4, 5]) {
      const base = `tonyseek__openvpn-status__broken-openvpn-status-${n}`;
      assert.equal(read(`${base}.with-end.txt`), `${read(`${base}.txt`)}END\n`);
    }
  });

  test('synthetic-v1-crlf-bom is v1-connected.log with a BOM, CRLF and no final newline, and parses the same', () => {
    const raw = readFileSync(new URL('synthetic-v1-crlf-bom.status', DIR));
    assert.deepEqual([...raw.subarray(0, 3)], [0xef, 0xbb, 0xbf]);
    assert.ok(raw.toString('latin1').endsWith('\r\nEND'));
    assert.equal(
      read('synthetic-v1-crlf-bom.status'),
      `\ufeff${read('v1-connected.log').slice(0, -1).replaceAll('\n', '\r\n')}`,
    );
    assert.deepEqual(parse('synthetic-v1-crlf-bom.status'), parse('v1-connected.log'));
  });

  test('synthetic-v2-content-after-end is v2-after-disconnect.log over v2-connected.log', () => {
    const head = read('v2-after-disconnect.log');
    const old = read('v2-connected.log');
    assert.equal(read('synthetic-v2-content-after-end.status'), head + old.slice(head.length));
  });
});

describe('format twins', () => {
  // The same data with commas (v2) and TABs (v3) must give the same snapshot.
  const pairs: [string, string][] = [
    ['cmur2__openvpn-status-web__status.v2', 'cmur2__openvpn-status-web__status.v3'],
    ['patrickjahns__openvpn_exporter__version2.status', 'patrickjahns__openvpn_exporter__version3.status'],
    ['synthetic-v2-2.6-dco1.status', 'synthetic-v3-2.6-dco1.status'],
  ];
  for (const [v2, v3] of pairs) {
    test(`${v2} and ${v3}`, () => {
      assert.deepEqual({ ...parse(v2), format: 3 }, parse(v3));
    });
  }

  test('kumina server2 is server3 plus the duplicated redacted1 row and route', () => {
    const two = parse('kumina__openvpn_exporter__server2.status');
    const three = parse('kumina__openvpn_exporter__server3.status');
    assert.deepEqual(two.clients.slice(0, 5), three.clients);
    assert.deepEqual(two.clients[5], two.clients[0]);
    assert.deepEqual(two.routes[5], two.routes[0]);
  });

  test('a comma in a common name survives in v3 and is a column-count error in v2', () => {
    assert.equal(parse('synthetic-v3-comma-cn.status').clients[0]?.commonName, 'Surname, Given');
    const e = rejection(read('synthetic-v2-comma-cn.status'));
    assert.equal(e.line, 4);
    assert.match(e.reason, /client row has 13 fields, its header has 12/);
  });
});

describe('time zones', () => {
  test('v1 text is read in the zone given: 2.6.14 in Europe/Berlin (CET) is an hour earlier in UTC', () => {
    const s = parse('v1-connected.log', 'Europe/Berlin');
    assert.equal(s.updatedAt, '2026-11-26T15:14:33Z');
    assert.equal(s.clients[0]?.connectedAt, '2026-11-26T15:14:28Z');
    assert.equal(s.routes[0]?.lastRefAt, '2026-11-26T15:14:28Z');
  });

  test('v1 ctime text in summer: tonyseek in Europe/Berlin (CEST) is two hours earlier', () => {
    const s = parse('tonyseek__openvpn-status__openvpn-status.txt', 'Europe/Berlin');
    assert.equal(s.updatedAt, '2015-06-18T06:12:15Z');
    assert.equal(s.clients[2]?.connectedAt, '2015-06-18T02:08:39Z');
  });

  test('v1 in America/New_York, across the DST file', () => {
    // Oct 25 2026 is still EDT (UTC-4) in New York: the Berlin change does not apply.
    const s = parse('synthetic-v1-dst-berlin.status', 'America/New_York');
    assert.equal(s.updatedAt, '2026-10-25T07:30:00Z');
    assert.equal(s.clients[4]?.connectedAt, '2026-01-01T05:00:00Z'); // EST, UTC-5
  });

  test('v1 wall text in the repeated hour carries its later reading too; other times do not', () => {
    const s = parse('synthetic-v1-dst-berlin.status', 'Europe/Berlin');
    assert.equal(s.updatedAtLater, undefined, '03:30 happened once');
    assert.deepEqual(
      s.clients.map((c) => [c.commonName, c.connectedAtLater]).filter(([, later]) => later !== undefined),
      [['ambiguous', '2026-10-25T01:30:00Z']], // 02:30 CET, an hour after 02:30 CEST
    );
    const text = read('synthetic-v1-dst-berlin.status').replace(
      'Updated,Sun Oct 25 03:30:00 2026',
      'Updated,Sun Oct 25 02:45:00 2026',
    );
    const again = parseStatus(text, { file: 'x', timeZone: 'Europe/Berlin' });
    assert.deepEqual([again.updatedAt, again.updatedAtLater], ['2026-10-25T00:45:00Z', '2026-10-25T01:45:00Z']);
    assert.equal(
      parse('synthetic-v1-dst-berlin.status', 'UTC').clients.some((c) => c.connectedAtLater !== undefined),
      false,
    );
  });

  test('v2/v3 instants come from time_t and do not depend on the zone', () => {
    for (const name of ['v2-connected.log', 'v3-auth-pending.log', 'ojarva__openvpn-status-parser__valid_3.status']) {
      assert.deepEqual(parse(name, 'Europe/Berlin'), parse(name, 'UTC'), name);
      assert.deepEqual(parse(name, 'America/New_York'), parse(name, 'UTC'), name);
    }
  });
});

describe('v1 routing-table join', () => {
  test('route kinds in tonyseek: plain, iroute subnets, a MAC and cached routes', () => {
    const s = parse('tonyseek__openvpn-status__openvpn-status.txt');
    assert.deepEqual(
      s.routes.map((r) => [r.virtualAddress, r.kind]),
      [
        ['192.168.255.118', 'ipv4'],
        ['10.200.0.0/16', 'subnet'],
        ['2001:db8::1000/124', 'subnet'],
        ['192.168.255.134', 'ipv4'],
        ['192.168.255.135', 'ipv4'],
        ['192.168.255.126', 'ipv4'],
        ['22:1d:63:bf:62:38', 'mac'],
        ['192.168.255.126C', 'cached'],
        ['192.168.255.16C', 'cached'],
        ['192.168.255.1C', 'cached'],
      ],
    );
  });

  test('every AntLer client gets its 10.8.0.x address, never a cached route or an iroute', () => {
    const s = parse('AntLer-24rus__ovpn-stat__openvpn-status.sec59.log');
    assert.deepEqual(
      s.clients.map((c) => [c.commonName, c.virtualAddress, c.virtualIpv6]),
      [
        ['AntLer-Work', '10.8.0.2', null],
        ['AptekaGa', '10.8.0.13', null],
        ['AntLer-VXP', '10.8.0.3', null],
        ['AptekaAvt', '10.8.0.17', null],
        ['AntLer-Router', '10.8.0.4', null],
        ['AptekaKo', '10.8.0.14', null],
      ],
    );
  });

  test('the join needs CN and real address to match', () => {
    // A route naming another CN at the same address gives nothing to the client.
    const text = [
      'OpenVPN CLIENT LIST',
      'Updated,2026-11-27 09:00:00',
      'Common Name,Real Address,Bytes Received,Bytes Sent,Connected Since',
      'alice,192.0.2.1:1000,1,2,2026-11-27 08:00:00',
      'bob,192.0.2.2:2000,3,4,2026-11-27 08:00:00',
      'ROUTING TABLE',
      'Virtual Address,Common Name,Real Address,Last Ref',
      '10.8.0.2,mallory,192.0.2.1:1000,2026-11-27 08:59:00',
      '10.8.0.3,bob,192.0.2.2:2001,2026-11-27 08:59:00',
      '10.8.0.4,bob,192.0.2.2:2000,2026-11-27 08:59:00',
      'GLOBAL STATS',
      'END',
      '',
    ].join('\n');
    const s = parseStatus(text, { file: 'join', timeZone: 'UTC' });
    assert.deepEqual(
      s.clients.map((c) => [c.commonName, c.virtualAddress]),
      [
        ['alice', null],
        ['bob', '10.8.0.4'],
      ],
    );
  });
});

test('clients sharing one real address each get the routes of their own CN; the first route of a kind wins', () => {
  const text = [
    'OpenVPN CLIENT LIST',
    'Updated,2026-11-27 09:00:00',
    'Common Name,Real Address,Bytes Received,Bytes Sent,Connected Since',
    'alice,192.0.2.1:1000,1,2,2026-11-27 08:00:00',
    'bob,192.0.2.1:1000,3,4,2026-11-27 08:00:00',
    'carol,192.0.2.1:1000,5,6,2026-11-27 08:00:00',
    'ROUTING TABLE',
    'Virtual Address,Common Name,Real Address,Last Ref',
    '10.8.0.3,bob,192.0.2.1:1000,2026-11-27 08:59:00',
    'fd00::3,carol,192.0.2.1:1000,2026-11-27 08:59:00',
    '10.8.0.2,alice,192.0.2.1:1000,2026-11-27 08:59:00',
    '10.8.0.9,alice,192.0.2.1:1000,2026-11-27 08:59:00',
    'GLOBAL STATS',
    'END',
    '',
  ].join('\n');
  const s = parseStatus(text, { file: 'join', timeZone: 'UTC' });
  assert.deepEqual(
    s.clients.map((c) => [c.commonName, c.virtualAddress, c.virtualIpv6]),
    [
      ['alice', '10.8.0.2', null],
      ['bob', '10.8.0.3', null],
      ['carol', null, 'fd00::3'],
    ],
  );
});

describe('whole-file rules', () => {
  const V2 = read('v2-connected.log');
  const V1 = read('v1-connected.log');
  const lineOf = (text: string, prefix: string): number => text.split('\n').findIndex((l) => l.startsWith(prefix)) + 1;

  test('client-mode statistics are rejected at line 1', () => {
    const e = rejection(read('kumina__openvpn_exporter__client.status'));
    assert.equal(e.line, 1);
    assert.match(e.reason, /OpenVPN STATISTICS/);
  });

  test('an empty or blank file is rejected at line 1', () => {
    for (const text of ['', '\n', '\r\n\r\n', '   \n\t\n', '\ufeff']) {
      const e = rejection(text);
      assert.equal(e.line, 1, JSON.stringify(text));
      assert.equal(e.reason, 'empty file');
    }
  });

  test('a file cut before END is rejected at its last line, in all three formats', () => {
    for (const name of ['v1-connected.log', 'v2-connected.log', 'v3-connected.log']) {
      const text = read(name);
      const cut = text.slice(0, text.lastIndexOf('GLOBAL'));
      const e = rejection(cut);
      assert.equal(e.line, cut.split('\n').length - 1, name);
      assert.match(e.reason, /no END line/);
    }
  });

  test('a line after END is rejected; blank lines after END are not', () => {
    const e = rejection(`${V2}CLIENT_LIST,x\n`);
    assert.equal(e.line, V2.split('\n').length);
    assert.equal(e.reason, 'content after END');
    assert.equal(rejection(`${V1}END\n`).reason, 'content after END');
    assert.equal(parseStatus(`${V2}\n\n  \n`, { file: 'x', timeZone: 'UTC' }).clients.length, 6);
  });

  test('an unknown record type in v2/v3 is an error', () => {
    const e = rejection(V2.replace('GLOBAL_STATS,dco_enabled,0', 'FUTURE_THING,1,2'));
    assert.equal(e.line, lineOf(V2, 'GLOBAL_STATS,dco_enabled'));
    assert.equal(e.reason, 'unknown record type "FUTURE_THING"');
  });

  test('v2 without a TIME row, or without a CLIENT_LIST header, is rejected', () => {
    assert.equal(rejection(V2.replace(/^TIME,.*\n/m, '')).reason, 'no TIME row');
    const noHeader = [
      'TITLE,x',
      'TIME,2026-11-26 16:14:59,1795709699',
      'HEADER,ROUTING_TABLE,Virtual Address,Common Name,Real Address,Last Ref,Last Ref (time_t)',
      'GLOBAL_STATS,Max bcast/mcast queue length,0',
      'END',
      '',
    ].join('\n');
    assert.equal(rejection(noHeader).reason, 'no HEADER for CLIENT_LIST');
  });

  test('a header without a required column is rejected at the header line', () => {
    const e = rejection(V2.replace(',Bytes Sent,', ',Bytes Gesendet,'));
    assert.equal(e.line, 3);
    assert.equal(e.reason, 'CLIENT_LIST header has no "Bytes Sent" column');
  });

  test('TIME and GLOBAL_STATS rows with the wrong field count are rejected', () => {
    assert.match(
      rejection(V2.replace('TIME,2026-11-26 16:14:59,1795709699', 'TIME,2026-11-26 16:14:59,1795709699,9')).reason,
      /TIME row has 4 fields/,
    );
    assert.match(
      rejection(V2.replace('GLOBAL_STATS,dco_enabled,0', 'GLOBAL_STATS,dco_enabled')).reason,
      /GLOBAL_STATS row has 2 fields/,
    );
  });

  test('a field that is not a number, a time or an address is rejected at its line', () => {
    const row = lineOf(V2, 'CLIENT_LIST,flex-RN13P');
    const cases: [string, string, RegExp][] = [
      [',2560,2537,', ',2560,25x7,', /Bytes Sent "25x7" is not a whole number/],
      [',2560,2537,', ',-2560,2537,', /Bytes Received "-2560" is not a whole number/],
      [',2560,2537,', ',99999999999999999,2537,', /is not a whole number/], // beyond 2^53
      [
        '127.0.0.11:42001,10.8.0.3',
        'not an address:42001,10.8.0.3',
        /Real Address "not an address:42001" is not an address/,
      ],
      ['127.0.0.11:42001,10.8.0.3', '127.0.0.11:99999,10.8.0.3', /Real Address "127.0.0.11:99999"/],
      ['jdoe,0,0,', 'jdoe,x,0,', /Client ID "x" is not a whole number/],
      ['10.8.0.3,fd00:8::1001,', '10.8.0.3,fd0008,', /Virtual IPv6 Address "fd0008" is not an IPv6 address/],
      ['127.0.0.11:42001,10.8.0.3,', '127.0.0.11:42001,10.8.0.x,', /Virtual Address "10.8.0.x" is not an address/],
      [
        '2026-11-26 16:14:55,1795709695,jdoe',
        '2026-11-26 16:14:55,17957O9695,jdoe',
        /Connected Since \(time_t\) "17957O9695" is not a time_t/,
      ],
    ];
    for (const [from, to, reason] of cases) {
      const text = V2.replace(from, to);
      assert.notEqual(text, V2, from);
      const e = rejection(text);
      assert.equal(e.line, row, to);
      assert.match(e.reason, reason);
    }
  });

  test('a MAC in Virtual Address (TAP) means no IPv4 address, not an error', () => {
    const s = parseStatus(V2.replace('127.0.0.11:42001,10.8.0.3,', '127.0.0.11:42001,52:54:00:12:34:56,'), {
      file: 'x',
      timeZone: 'UTC',
    });
    assert.equal(s.clients[0]?.virtualAddress, null);
    assert.equal(s.clients[0]?.virtualIpv6, 'fd00:8::1001');
  });

  test('a time_t beyond year 9999 is rejected (it would not print as a four-digit ISO year)', () => {
    const e = rejection(V2.replace('TIME,2026-11-26 16:14:59,1795709699', 'TIME,2026-11-26 16:14:59,253402300800'));
    assert.equal(e.line, 2);
    assert.match(e.reason, /TIME "253402300800" is not a time_t/);
    const ok = parseStatus(V2.replace('TIME,2026-11-26 16:14:59,1795709699', 'TIME,2026-11-26 16:14:59,253402300799'), {
      file: 'x',
      timeZone: 'UTC',
    });
    assert.equal(ok.updatedAt, '9999-12-31T23:59:59Z');
  });

  test('the time text beside a time_t must still be a time (it is not used otherwise)', () => {
    const e = rejection(V2.replace('TIME,2026-11-26 16:14:59,', 'TIME,2026-11-26 16:1:59,'));
    assert.equal(e.line, 2);
    assert.equal(e.reason, 'TIME "2026-11-26 16:1:59" is not a valid time');
    const route = rejection(
      V2.replace(
        'ROUTING_TABLE,fd00:8::1005,shared-dup,127.0.0.15:42005,2026-11-26 16:14:55,',
        'ROUTING_TABLE,fd00:8::1005,shared-dup,127.0.0.15:42005,,',
      ),
    );
    assert.equal(route.line, lineOf(V2, 'ROUTING_TABLE,fd00:8::1005'));
    assert.match(route.reason, /Last Ref "" is not a valid time/);
  });

  test('without a time_t column the text is used (a v2 file from 2.0, TIME with two fields)', () => {
    const text = [
      'TIME,2026-11-26 16:14:59',
      'HEADER,CLIENT_LIST,Common Name,Real Address,Bytes Received,Bytes Sent,Connected Since',
      'CLIENT_LIST,a,192.0.2.1:1,5,6,Thu Nov 26 16:00:00 2026',
      'END',
      '',
    ].join('\n');
    const s = parseStatus(text, { file: 'x', timeZone: 'Europe/Berlin' });
    assert.equal(s.updatedAt, '2026-11-26T15:14:59Z');
    assert.equal(s.clients[0]?.connectedAt, '2026-11-26T15:00:00Z');
    assert.equal(s.title, null);
  });

  test('InputError carries file, line and reason, and its message joins them', () => {
    const e = rejection('garbage\n', '/var/log/openvpn-status.log');
    assert.ok(e instanceof InputError);
    assert.equal(e.code, 'EINPUT');
    assert.equal(e.file, '/var/log/openvpn-status.log');
    assert.equal(e.line, 1);
    assert.equal(e.message, `/var/log/openvpn-status.log:1: ${e.reason}`);
  });
});

describe('a large file', () => {
  // 1,000 clients with distinct addresses, bytes beyond 2^32 and routes in reverse order
  // (OpenVPN prints them in hash order), each also with a cached route and an iroute.
  const N = 1000;
  const ip = (i: number): string => `198.18.${i >> 8}.${i & 255}`;
  const vip = (i: number): string => `10.9.${i >> 8}.${i & 255}`;
  const bytes = (i: number): number => 2 ** 32 + i * 7919;
  const when = (i: number): number => 1795766400 + i; // 2026-11-27T08:00:00Z + i s
  const text = (i: number): string => new Date(when(i) * 1000).toISOString().slice(0, 19).replace('T', ' ');

  function big(format: 1 | 2 | 3): string {
    const lines: string[] = [];
    const indices = [...Array(N).keys()];
    if (format === 1) {
      lines.push(
        'OpenVPN CLIENT LIST',
        'Updated,2026-11-27 09:00:00',
        'Common Name,Real Address,Bytes Received,Bytes Sent,Connected Since',
      );
      for (const i of indices) lines.push(`user-${i},${ip(i)}:${20000 + i},${bytes(i)},${i},${text(i)}`);
      lines.push('ROUTING TABLE', 'Virtual Address,Common Name,Real Address,Last Ref');
      for (const i of [...indices].reverse()) {
        lines.push(`${vip(i)}C,user-${i},${ip(i)}:${20000 + i},${text(i)}`);
        lines.push(`192.168.${i % 250}.0/24,user-${i},${ip(i)}:${20000 + i},${text(i)}`);
        lines.push(`${vip(i)},user-${i},${ip(i)}:${20000 + i},${text(i)}`);
      }
      lines.push('GLOBAL STATS', 'Max bcast/mcast queue length,0', 'END', '');
      return lines.join('\n');
    }
    const sep = format === 2 ? ',' : '\t';
    const row = (...f: (string | number)[]): string => f.join(sep);
    lines.push(row('TITLE', 'OpenVPN 2.6.14 generated'), row('TIME', '2026-11-27 09:00:00', 1795770000));
    lines.push(
      row(
        'HEADER',
        'CLIENT_LIST',
        'Common Name',
        'Real Address',
        'Virtual Address',
        'Virtual IPv6 Address',
        'Bytes Received',
        'Bytes Sent',
        'Connected Since',
        'Connected Since (time_t)',
        'Username',
        'Client ID',
        'Peer ID',
        'Data Channel Cipher',
      ),
    );
    for (const i of indices)
      lines.push(
        row(
          'CLIENT_LIST',
          `user-${i}`,
          `${ip(i)}:${20000 + i}`,
          vip(i),
          `fd00:9::${i.toString(16)}`,
          bytes(i),
          i,
          text(i),
          when(i),
          i % 2 ? 'UNDEF' : `u${i}`,
          i,
          i % 256,
          'AES-256-GCM',
        ),
      );
    lines.push(
      row('HEADER', 'ROUTING_TABLE', 'Virtual Address', 'Common Name', 'Real Address', 'Last Ref', 'Last Ref (time_t)'),
    );
    for (const i of [...indices].reverse())
      lines.push(row('ROUTING_TABLE', vip(i), `user-${i}`, `${ip(i)}:${20000 + i}`, text(i), when(i)));
    lines.push(
      row('GLOBAL_STATS', 'Max bcast/mcast queue length', 0),
      row('GLOBAL_STATS', 'dco_enabled', 0),
      'END',
      '',
    );
    return lines.join('\n');
  }

  for (const format of [1, 2, 3] as const) {
    test(`v${format} with ${N} clients parses completely`, () => {
      const s = parseStatus(big(format), { file: 'big', timeZone: 'UTC' });
      assert.equal(s.format, format);
      assert.equal(s.updatedAt, '2026-11-27T09:00:00Z');
      assert.equal(s.clients.length, N);
      assert.equal(s.routes.length, format === 1 ? 3 * N : N);
      s.clients.forEach((c, i) => {
        assert.equal(c.commonName, `user-${i}`);
        assert.equal(c.realAddress, ip(i));
        assert.equal(c.realPort, 20000 + i);
        assert.equal(c.virtualAddress, vip(i), `user-${i}`);
        assert.equal(c.bytesReceived, bytes(i));
        assert.equal(c.bytesSent, i);
        assert.equal(c.connectedAt, `${text(i).replace(' ', 'T')}Z`);
        if (format !== 1) {
          assert.equal(c.virtualIpv6, `fd00:9::${i.toString(16)}`);
          assert.equal(c.username, i % 2 ? null : `u${i}`);
          assert.equal(c.clientId, i);
        }
      });
    });
  }
});
