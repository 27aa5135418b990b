/**
 * The /lookup/ page against the bucket files a real build wrote: its script (site/assets/lookup.js)
 * runs in jsdom with fetch served from the output folder, and every fetch is recorded, so the
 * test sees which files a query loads (found only when the script's buckets agree with the build's).
 */
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { JSDOM } from 'jsdom';
import { appendHistory } from '../../src/io/history-store.js';
import { cliOk } from '../helpers/cli.js';
import { sampleSession } from '../helpers/sessions.js';
import { tempDir } from '../helpers/tmp.js';

const EVIL = '<img src=x onerror=alert(1)>';
const sessions = [
  // Over the month's end: started in October (Berlin), live at 1 November 00:30.
  sampleSession({
    id: 'a0000000000000000001',
    user: 'anna',
    commonName: 'anna',
    username: null,
    realAddress: '203.0.113.7',
    realPort: 40001,
    virtualAddress: '10.8.0.3',
    virtualIpv6: 'fd00:8::3',
    connectedAt: '2026-10-31T21:00:00Z',
    lastSeenAt: '2026-11-01T01:00:00Z',
    endedAt: '2026-11-01T01:00:00Z',
    durationS: 14400,
  }),
  sampleSession({
    id: 'b0000000000000000002',
    user: EVIL,
    commonName: EVIL,
    username: null,
    realAddress: '203.0.113.7',
    realPort: 40002,
    virtualAddress: '10.8.0.3',
    virtualIpv6: 'fd00:8::3',
    connectedAt: '2026-11-20T10:00:00Z',
    lastSeenAt: '2026-11-20T11:00:00Z',
    endedAt: '2026-11-20T11:00:00Z',
    durationS: 3600,
  }),
  sampleSession({
    id: 'c0000000000000000003',
    user: 'carl',
    commonName: 'carl',
    username: null,
    realAddress: '2001:db8::42',
    realPort: null,
    virtualAddress: '10.8.0.9',
    virtualIpv6: 'fd00:8::9',
    connectedAt: '2026-09-10T08:00:00Z',
    lastSeenAt: '2026-09-10T09:00:00Z',
    endedAt: '2026-09-10T09:00:00Z',
    durationS: 3600,
  }),
];

describe('the lookup page', () => {
  let out = '';
  before(async () => {
    const dir = await tempDir('ovsw-lookup-page-');
    const history = join(dir, 'openvpn-sessions.csv');
    out = join(dir, 'site');
    await appendHistory(history, sessions);
    await cliOk([
      'build',
      '--history',
      history,
      '--status',
      join(dir, 'none.log'),
      '--aliases',
      join(dir, 'none.json'),
      '--out',
      out,
      '--now',
      '2026-11-26T12:00:00Z',
      '--tz',
      'Europe/Berlin',
      '--lang',
      'en',
      '-q',
    ]);
  });

  async function query(search: string) {
    const html = await readFile(join(out, 'lookup/index.html'), 'utf8');
    const dom = new JSDOM(html, { url: `https://vpn.example/site/lookup/${search}`, runScripts: 'outside-only' });
    const w = dom.window;
    const fetched: string[] = [];
    (w as unknown as { fetch: unknown }).fetch = async (url: URL) => {
      const path = url.pathname.replace(/^\/site\//, '');
      fetched.push(path);
      const body = await readFile(join(out, path), 'utf8').catch(() => null);
      return { ok: body !== null, status: body === null ? 404 : 200, json: async () => JSON.parse(body as string) };
    };
    for (const s of ['app.js', 'lookup.js']) w.eval(await readFile(join(out, 'assets', s), 'utf8'));
    const section = w.document.querySelector('[data-lookup]') as HTMLElement;
    for (let i = 0; i < 200 && !section.hasAttribute('data-lookup-done'); i++)
      await new Promise((r) => setTimeout(r, 5));
    const rows = [...w.document.querySelectorAll('[data-lookup-rows] tr')].map((tr) =>
      [...tr.querySelectorAll('td')].map((td) => ({ text: td.textContent, href: td.querySelector('a')?.href ?? null })),
    );
    const status = (w.document.querySelector('[data-lookup-status]') as HTMLElement).textContent;
    return { w, rows, fetched: fetched.filter((f) => f.endsWith('.json')), status, section };
  }

  test('the build wrote a file per month and address bucket, and the index', async () => {
    const index = JSON.parse(await readFile(join(out, 'data/lookup/index.json'), 'utf8'));
    assert.equal(index.schemaVersion, 2);
    assert.equal(index.timeZone, 'Europe/Berlin');
    assert.equal(index.buckets, 64);
    assert.deepEqual(
      index.months.map((m: [string, number, number, Record<string, string>]) => [m[0], Object.keys(m[3]).sort()]),
      [
        // carl: 2001:db8::42, 10.8.0.9, fd00:8::9
        ['2026-09', ['04', '2d', '2e']],
        // anna: 203.0.113.7, 10.8.0.3, fd00:8::3
        ['2026-10', ['12', '20', '2f']],
        ['2026-11', ['12', '20', '2f']],
      ],
    );
    const row = [0, '31', 1793480400, 1793494800, '203.0.113.7', 40001, '10.8.0.3', 'fd00:8::3'];
    for (const bucket of ['12', '20', '2f']) {
      const text = await readFile(join(out, `data/lookup/2026-10/${bucket}.json`), 'utf8');
      const file = JSON.parse(text);
      assert.deepEqual(
        [file.month, file.bucket, file.users, file.sessions],
        ['2026-10', bucket, [['anna', 'anna']], [row]],
      );
      assert.equal(typeof index.months[1][3][bucket], 'string');
    }
    assert.deepEqual((await readdir(join(out, 'data/lookup'))).sort(), ['2026-09', '2026-10', '2026-11', 'index.json']);
  });

  test('a time at the start of a month finds the session begun the month before, loading only the shards it can be in', async () => {
    const { rows, fetched, section } = await query('?ip=10.8.0.3&at=2026-11-01T00%3A30');
    assert.equal(section.getAttribute('data-lookup-done'), '1');
    // November's first session starts on the 20th: its file is not fetched; October's only in the address's bucket.
    assert.deepEqual(fetched, ['data/lookup/index.json', 'data/lookup/2026-10/2f.json']);
    assert.deepEqual(
      rows[0]?.map((c) => c.text),
      [
        'anna',
        '2026-10-31',
        '2026-10-31 22:00:00',
        '2026-11-01 02:00:00',
        '203.0.113.7:40001',
        '10.8.0.3',
        'fd00:8::3',
      ],
    );
    assert.equal(rows[0]?.[0]?.href, 'https://vpn.example/site/u/anna/');
    assert.equal(rows[0]?.[1]?.href, 'https://vpn.example/site/d/2026-10-31/');
  });

  test('a range lists every user of the address in time order; names stay text', async () => {
    const { w, rows, fetched } = await query('?ip=10.8.0.3&from=2026-10-01T00%3A00&to=2026-11-30T00%3A00');
    assert.deepEqual(fetched, ['data/lookup/index.json', 'data/lookup/2026-10/2f.json', 'data/lookup/2026-11/2f.json']);
    assert.deepEqual(
      rows.map((r) => r[0]?.text),
      ['anna', EVIL],
    );
    assert.equal(w.document.querySelectorAll('img').length, 0, 'the name is text, not markup');
    const page = rows[1]?.[0]?.href ?? '';
    assert.match(page, /^https:\/\/vpn\.example\/site\/u\/[^/<>]+\/$/);
    // The link leads to a page the build wrote.
    await readFile(join(out, new URL(page).pathname.replace(/^\/site\//, ''), 'index.html'));
  });

  test('the port narrows a shared address; IPv6 in another spelling; the form shows the query', async () => {
    const port = await query('?ip=203.0.113.7&port=40002&from=2026-10-01T00%3A00&to=2026-11-30T00%3A00');
    assert.deepEqual(
      port.rows.map((r) => r[0]?.text),
      [EVIL],
    );
    assert.equal((port.w.document.querySelector('input[name=port]') as HTMLInputElement).value, '40002');
    const v6 = await query('?ip=2001%3ADB8%3A0%3A0%3A0%3A0%3A0%3A42&at=2026-09-10T10%3A30');
    assert.deepEqual(
      v6.rows.map((r) => r[0]?.text),
      ['carl'],
    );
    assert.deepEqual(v6.fetched, ['data/lookup/index.json', 'data/lookup/2026-09/2e.json']);
  });

  test('nothing found, a bad address, and no query', async () => {
    const none = await query('?ip=10.8.0.3&at=2026-11-25T10%3A00');
    assert.equal(none.rows.length, 0);
    assert.equal(none.status, 'No session had this address at that time.');
    // No month of the period has the bucket of 10.8.0.9 (only September does): nothing but the index is fetched.
    const absent = await query('?ip=10.8.0.9&from=2026-10-01T00%3A00&to=2026-11-30T00%3A00');
    assert.deepEqual([absent.rows.length, absent.fetched], [0, ['data/lookup/index.json']]);
    const bad = await query('?ip=not-an-address');
    assert.equal(bad.status, 'That is not an IPv4 or IPv6 address.');
    assert.deepEqual(bad.fetched, []);
    const empty = await query('');
    assert.deepEqual(empty.fetched, []);
    assert.equal((empty.w.document.querySelector('[data-lookup-form]') as HTMLElement).hidden, false);
  });
});
