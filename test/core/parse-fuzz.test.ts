/**
 * Fuzzing the status parser with mutated real files. Whatever the input, parseStatus either
 * returns a well-formed snapshot or throws an InputError naming a line: never a TypeError, a
 * RangeError, an "Invalid Date" or a NaN that would reach the session history.
 * Deterministic: a fixed seed per source file, so a failure names an input that can be rebuilt.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { InputError } from '../../src/core/errors.js';
import { parseStatus, type StatusSnapshot } from '../../src/core/parse-status.js';
import { isIpv4 } from '../../src/core/remote-address.js';
import { randomInt, seededRng, type Rng } from '../helpers/random.js';

const DIR = new URL('../fixtures/status/', import.meta.url);
const read = (name: string): string => readFileSync(new URL(name, DIR), 'utf8');

// Good files of every format and OpenVPN generation; all parse unmutated.
const SOURCES = [
  'v1-connected.log',
  'v1-auth-pending.log',
  'v2-connected.log',
  'v3-auth-pending.log',
  'mgmt-v2.txt',
  'tonyseek__openvpn-status__openvpn-status.txt',
  'kellyjonbrazil__jc__openvpn-status.log',
  'AntLer-24rus__ovpn-stat__openvpn-status.sec59.log',
  'ojarva__openvpn-status-parser__valid_1.fixed21.status',
  'ojarva__openvpn-status-parser__valid_3.status',
  'kumina__openvpn_exporter__server2.status',
  'cmur2__openvpn-status-web__status.v1',
  'cmur2__openvpn-status-web__status2_5.v2',
  'patrickjahns__openvpn_exporter__duplicate.status',
  'synthetic-v1-crlf-bom.status',
  'synthetic-v1-2.7-protocol.status',
  'synthetic-v2-2.7-protocol.status',
  'synthetic-v3-2.6-dco1.status',
  'synthetic-v3-comma-cn.status',
  'synthetic-v2-extra-column.status',
];
const PER_SOURCE = 520; // 20 × 520 = 10,400 mutated inputs, plus the ~30,000 cuts below
const ZONES = ['UTC', 'Europe/Berlin', 'America/New_York'];

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
function assertInstant(v: unknown, what: string): void {
  assert.equal(typeof v, 'string', what);
  assert.match(v as string, ISO, what);
  // A real instant that prints back to itself (not "2026-02-30").
  assert.equal(new Date(v as string).toISOString().replace('.000Z', 'Z'), v, what);
}
const isCount = (v: unknown): boolean => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const nullOr = (v: unknown, ok: (x: unknown) => boolean): boolean => v === null || ok(v);
const nonEmpty = (v: unknown): boolean => typeof v === 'string' && v.length > 0;

/** Everything the collector relies on in a snapshot. */
function assertWellFormed(s: StatusSnapshot, where: string): void {
  assert.equal(s.schemaVersion, 1, where);
  assert.ok([1, 2, 3].includes(s.format), where);
  assert.ok(
    nullOr(s.title, (t) => typeof t === 'string'),
    where,
  );
  assertInstant(s.updatedAt, `${where}: updatedAt`);
  s.clients.forEach((c, i) => {
    const w = `${where}: client ${i}`;
    assert.equal(typeof c.commonName, 'string', w);
    assert.ok(nullOr(c.username, nonEmpty) && c.username !== 'UNDEF', `${w}: username ${c.username}`);
    assert.ok(nonEmpty(c.realAddress), `${w}: realAddress`);
    assert.ok(
      nullOr(c.realPort, (p) => isCount(p) && (p as number) <= 65535),
      `${w}: realPort ${c.realPort}`,
    );
    assert.ok(nullOr(c.protocol, nonEmpty), `${w}: protocol`);
    assert.ok(
      nullOr(c.virtualAddress, (v) => isIpv4(v as string)),
      `${w}: virtualAddress ${c.virtualAddress}`,
    );
    assert.ok(
      nullOr(c.virtualIpv6, (v) => typeof v === 'string' && v.includes(':')),
      `${w}: virtualIpv6 ${c.virtualIpv6}`,
    );
    assert.ok(isCount(c.bytesReceived), `${w}: bytesReceived ${c.bytesReceived}`);
    assert.ok(isCount(c.bytesSent), `${w}: bytesSent ${c.bytesSent}`);
    assertInstant(c.connectedAt, `${w}: connectedAt`);
    assert.ok(nullOr(c.clientId, isCount), `${w}: clientId ${c.clientId}`);
    assert.ok(nullOr(c.peerId, isCount), `${w}: peerId ${c.peerId}`);
    assert.ok(nullOr(c.cipher, nonEmpty), `${w}: cipher`);
    for (const v of Object.values(c.extra)) assert.equal(typeof v, 'string', `${w}: extra`);
  });
  s.routes.forEach((r, i) => {
    const w = `${where}: route ${i}`;
    assert.equal(typeof r.virtualAddress, 'string', w);
    assert.ok(['ipv4', 'ipv6', 'mac', 'cached', 'subnet', 'other'].includes(r.kind), w);
    assert.equal(typeof r.commonName, 'string', w);
    assert.ok(nonEmpty(r.realAddress), w);
    assert.ok(
      nullOr(r.realPort, (p) => isCount(p) && (p as number) <= 65535),
      w,
    );
    if (r.lastRefAt !== null) assertInstant(r.lastRefAt, `${w}: lastRefAt`);
  });
  for (const [k, v] of Object.entries(s.globalStats)) assert.ok(typeof k === 'string' && typeof v === 'string', where);
}

/** Parses and checks the outcome; returns whether the input was accepted. */
function check(text: string, timeZone: string, where: string): boolean {
  let s: StatusSnapshot;
  try {
    s = parseStatus(text, { file: 'fuzz.status', timeZone });
  } catch (e) {
    if (!(e instanceof InputError))
      assert.fail(`${where}: threw ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    assert.equal(e.file, 'fuzz.status', where);
    assert.ok(Number.isInteger(e.line) && (e.line ?? 0) >= 1, `${where}: line ${e.line}`);
    // The line must exist in the input (the first line for an empty file).
    assert.ok((e.line ?? 0) <= Math.max(1, text.split('\n').length), `${where}: line ${e.line} beyond the input`);
    assert.ok(e.reason.trim().length > 0, `${where}: empty reason`);
    return false;
  }
  assertWellFormed(s, where);
  return true;
}

// --- Mutations. Each takes the text and the generator, returns new text.
const pick = <T>(rng: Rng, items: readonly T[]): T => items[randomInt(rng, 0, items.length - 1)] as T;
const at = (rng: Rng, text: string): number => randomInt(rng, 0, text.length);
const splice = (text: string, i: number, del: number, ins: string): string =>
  text.slice(0, i) + ins + text.slice(i + del);
const editLines = (text: string, f: (lines: string[]) => void): string => {
  const lines = text.split('\n');
  f(lines);
  return lines.join('\n');
};

// Characters that matter to the parser, and some that should not.
const SEPARATORS = [',', '\t', '\r', '\n', '\r\n', ' ', ':', '[', ']', '/', '.', 'C', '%'];
const UNICODE = [
  '\ufeff',
  '\u0000',
  '\u2028',
  '\u00a0',
  'e\u0301',
  '\u{1f600}',
  '\ud800',
  '\u202e',
  '\uff11',
  '\u0663',
  'ß',
  'İ',
  '\u200b',
  '\ufffd',
];

const MUTATIONS: Record<string, (text: string, rng: Rng) => string> = {
  // Bit flips in the UTF-8 bytes, decoded the way the reader decodes (bad sequences become U+FFFD).
  flipBytes(text, rng) {
    const buf = Buffer.from(text, 'utf8');
    if (buf.length === 0) return text;
    for (let n = randomInt(rng, 1, 4); n > 0; n--) {
      const i = randomInt(rng, 0, buf.length - 1);
      buf[i] = (buf[i] ?? 0) ^ (1 << randomInt(rng, 0, 7));
    }
    return buf.toString('utf8');
  },
  deleteLine: (text, rng) => editLines(text, (l) => l.splice(randomInt(rng, 0, l.length - 1), 1)),
  duplicateLine: (text, rng) =>
    editLines(text, (l) => {
      const i = randomInt(rng, 0, l.length - 1);
      l.splice(i, 0, l[i] ?? '');
    }),
  swapLines: (text, rng) =>
    editLines(text, (l) => {
      const i = randomInt(rng, 0, l.length - 1);
      const j = randomInt(rng, 0, l.length - 1);
      [l[i], l[j]] = [l[j] ?? '', l[i] ?? ''];
    }),
  // A torn read: the file cut at any byte (possibly inside a UTF-8 sequence).
  truncate: (text, rng) => {
    const buf = Buffer.from(text, 'utf8');
    return buf.subarray(0, randomInt(rng, 0, buf.length)).toString('utf8');
  },
  insertSeparator: (text, rng) => splice(text, at(rng, text), 0, pick(rng, SEPARATORS)),
  deleteChars: (text, rng) => splice(text, at(rng, text), randomInt(rng, 1, 8), ''),
  // Lines past OpenVPN's 512-character limit: a field blown up, or a whole line repeated.
  longLine: (text, rng) => {
    const filler = pick(rng, ['A', '9', ':', 'f:', '\t', ',', ' ', 'é', '[', '1.']).repeat(randomInt(rng, 256, 20_000));
    return splice(text, at(rng, text), 0, filler);
  },
  repeatLine: (text, rng) =>
    editLines(text, (l) => {
      const i = randomInt(rng, 0, l.length - 1);
      l[i] = (l[i] ?? '').repeat(randomInt(rng, 2, 60));
    }),
  insertUnicode: (text, rng) => {
    // Mostly the awkward ones above, sometimes any code point of any plane (lone surrogates too).
    const ch = rng() < 0.7 ? pick(rng, UNICODE) : String.fromCodePoint(randomInt(rng, 0x80, 0x10ffff));
    return splice(text, at(rng, text), 0, ch);
  },
  // Numbers replaced by other digit runs: zero, huge, a time_t past 9999.
  changeNumber: (text, rng) => {
    const runs = [...text.matchAll(/\d+/g)];
    if (runs.length === 0) return text;
    const m = pick(rng, runs);
    const to = pick(rng, [
      '0',
      '00',
      '9'.repeat(randomInt(rng, 1, 30)),
      '253402300800',
      '4294967296',
      '65536',
      String(randomInt(rng, 0, 1e9)),
    ]);
    return splice(text, m.index ?? 0, m[0].length, to);
  },
  // A blank line in the middle, or a CR without its LF.
  insertBlankLine: (text, rng) => splice(text, at(rng, text), 0, pick(rng, ['\n', '\n\n', '\r', '\n   \n'])),
};
const NAMES = Object.keys(MUTATIONS);

describe('parseStatus under random mutations of real files', () => {
  test('every source parses unmutated and is well-formed', () => {
    for (const name of SOURCES) {
      for (const zone of ZONES) assert.equal(check(read(name), zone, name), true, name);
    }
  });

  test(`${SOURCES.length * PER_SOURCE} mutated inputs: only InputError, or a well-formed snapshot`, (t) => {
    const accepted: Record<string, number> = {};
    const rejected: Record<string, number> = {};
    for (const name of NAMES) accepted[name] = rejected[name] = 0;
    SOURCES.forEach((name, s) => {
      const original = read(name);
      const rng = seededRng(0x5eed + s);
      for (let i = 0; i < PER_SOURCE; i++) {
        // One to three mutations in a row; the outcome is counted under the first.
        const steps = Array.from({ length: randomInt(rng, 1, 3) }, () => pick(rng, NAMES));
        let text = original;
        for (const step of steps) text = (MUTATIONS[step] as (x: string, r: Rng) => string)(text, rng);
        const ok = check(text, ZONES[i % ZONES.length] ?? 'UTC', `${name} #${i} [${steps.join(', ')}]`);
        const first = steps[0] ?? '';
        if (ok) accepted[first] = (accepted[first] ?? 0) + 1;
        else rejected[first] = (rejected[first] ?? 0) + 1;
      }
    });
    t.diagnostic(`accepted ${JSON.stringify(accepted)}`);
    t.diagnostic(`rejected ${JSON.stringify(rejected)}`);
    // The fuzzer reaches both outcomes with every kind of mutation, or it tests nothing. Except
    // that a truncation almost always cuts before END, and must then be rejected (see below).
    for (const name of NAMES) {
      assert.ok((rejected[name] ?? 0) > 0, `${name} never led to a rejection`);
      if (name !== 'truncate') assert.ok((accepted[name] ?? 0) > 0, `${name} never led to a snapshot`);
    }
  });

  test('a file cut anywhere before the end of END never parses (every offset of every source)', () => {
    // The key promise: a torn read is an error, not a snapshot with fewer clients.
    let inputs = 0;
    for (const name of SOURCES) {
      const text = read(name);
      const end = text.lastIndexOf('END') + 'END'.length;
      for (let cut = 0; cut < end; cut++) {
        assert.equal(check(text.slice(0, cut), 'UTC', `${name} cut at ${cut}`), false, `${name} cut at ${cut} parsed`);
        inputs++;
      }
      // And the complete file, with or without its final newline, does parse.
      assert.equal(check(text.slice(0, end), 'UTC', `${name} up to END`), true);
    }
    assert.ok(inputs > 20_000, `only ${inputs} cuts`);
  });

  test('the same input gives the same result', () => {
    const rng = seededRng(7);
    const text = read('v2-connected.log');
    for (let i = 0; i < 200; i++) {
      const mutated = MUTATIONS.flipBytes?.(text, rng) ?? text;
      const run = (): string => {
        try {
          return JSON.stringify(parseStatus(mutated, { file: 'f', timeZone: 'UTC' }));
        } catch (e) {
          if (e instanceof InputError) return e.message;
          throw e;
        }
      };
      assert.equal(run(), run());
    }
  });
});
