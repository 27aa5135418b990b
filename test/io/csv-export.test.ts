import assert from 'node:assert/strict';
import { readFile, stat, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parse } from 'csv-parse/sync';
import { EXPORT_COLUMNS, exportHeaders, exportRows, type ExportRow } from '../../src/core/export-rows.js';
import type { Session } from '../../src/core/session.js';
import { csvDelimiter, csvFields, writeCsv } from '../../src/io/csv-export.js';
import { sampleSession } from '../helpers/sessions.js';
import { listDir, tempDir } from '../helpers/tmp.js';

const NOW = '2026-11-26T17:00:00Z';

function sessions(): Session[] {
  const texts: [string, string, string | null][] = [
    ['=1+2', '@SUM(A1)', '-2+3'],
    ['jdoe', "+cmd|' /C calc'!A0", null],
    ['Jürgen Müller', '<script>alert(1)</script>', 'jürgen'],
    ['tab', '\t=1', null],
    ['cr', '\r=1', null],
    ['quotes', 'say "hi", then; go', null],
    ['lines', 'two\nlines\r\nand\rmore', null],
    ['fullwidth', '＝1+2', null],
  ];
  const out = texts.map(([user, commonName, username], i) =>
    sampleSession({
      id: `s${i}`,
      user,
      commonName,
      username,
      connectedAt: `2026-11-2${i % 6}T10:00:00Z`,
      endedAt: `2026-11-2${i % 6}T11:00:01Z`,
      durationS: 3601,
    }),
  );
  out.push(
    sampleSession({
      id: 'open',
      user: 'open',
      connectedAt: '2026-11-26T16:00:00Z',
      endedAt: null,
      durationS: null,
      endReason: null,
    }),
  );
  out.push(
    sampleSession({
      id: 'legacy',
      user: 'legacy',
      source: 'legacy',
      bytesReceived: null,
      bytesSent: null,
      virtualIpv6: null,
    }),
  );
  return out;
}

const rowsOf = (lang: 'de' | 'en'): ExportRow[] =>
  exportRows(sessions(), {
    lang,
    timeZone: 'Europe/Berlin',
    aliasOf: (s) => (s.user === 'jdoe' ? '=HYPERLINK("http://x")' : null),
    now: NOW,
  });

async function readCsv(path: string, delimiter: string): Promise<{ raw: Buffer; records: string[][] }> {
  const raw = await readFile(path);
  const records = parse(raw, { bom: true, delimiter, relax_column_count: false }) as string[][];
  return { raw, records };
}

describe('writeCsv', () => {
  for (const lang of ['de', 'en'] as const) {
    test(`reads back (${lang}): BOM, header, the same rows, formulas escaped`, async (t) => {
      const dir = await tempDir(t);
      const path = join(dir, 'x.csv');
      const rows = rowsOf(lang);
      const result = await writeCsv(path, rows, { lang });
      assert.deepEqual({ written: result.written, rows: result.rows }, { written: true, rows: rows.length });
      assert.equal(result.bytes, (await stat(path)).size);
      const delimiter = lang === 'de' ? ';' : ',';
      assert.equal(csvDelimiter({ lang }), delimiter);
      const { raw, records } = await readCsv(path, delimiter);
      assert.deepEqual([...raw.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'UTF-8 byte order mark');
      assert.ok(raw.includes('\r\n'), 'CRLF line ends');
      assert.deepEqual(records[0], exportHeaders(lang), 'header row');
      assert.equal(records.length, rows.length + 1, 'one record per row');
      rows.forEach((r, i) => {
        assert.deepEqual(records[i + 1], csvFields(r), `row ${i + 1}`);
      });
      assert.deepEqual(await listDir(dir), ['x.csv'], 'no temp file left');
    });
  }

  test('cells: hostile text escaped, umlauts kept, numbers raw, times in the zone, nulls empty', async (t) => {
    const dir = await tempDir(t);
    const path = join(dir, 'x.csv');
    const rows = rowsOf('de');
    await writeCsv(path, rows, { lang: 'de' });
    const { records } = await readCsv(path, ';');
    const col = (key: keyof ExportRow): number => EXPORT_COLUMNS.findIndex((c) => c.key === key);
    const cell = (row: number, key: keyof ExportRow): string | undefined => records[row]?.[col(key)];
    assert.equal(cell(1, 'user'), "'=1+2");
    assert.equal(cell(1, 'commonName'), "'@SUM(A1)");
    assert.equal(cell(1, 'username'), "'-2+3");
    assert.equal(cell(2, 'commonName'), "'+cmd|' /C calc'!A0");
    assert.equal(cell(2, 'alias'), `'=HYPERLINK("http://x")`);
    assert.equal(cell(3, 'user'), 'Jürgen Müller');
    assert.equal(cell(3, 'commonName'), '<script>alert(1)</script>');
    assert.equal(cell(4, 'commonName'), "'\t=1");
    assert.equal(cell(5, 'commonName'), "'\r=1");
    assert.equal(cell(6, 'commonName'), 'say "hi", then; go');
    assert.equal(cell(7, 'commonName'), 'two\nlines\r\nand\rmore', 'line breaks inside a cell survive');
    assert.equal(cell(8, 'commonName'), "'＝1+2");
    assert.equal(cell(1, 'start'), '2026-11-20 11:00:00', 'wall time in Europe/Berlin');
    assert.equal(cell(1, 'durationS'), '3601');
    assert.equal(cell(1, 'durationText'), '1 Std, 1 Sek');
    assert.equal(cell(1, 'bytesSent'), '3049');
    assert.equal(cell(9, 'end'), '', 'an open session has no end');
    assert.equal(cell(9, 'status'), 'aktiv');
    assert.equal(cell(9, 'durationS'), '', 'open: no duration yet');
    assert.equal(cell(9, 'durationText'), 'läuft…');
    assert.equal(cell(9, 'bytesSent'), '', 'open: traffic is on the live page');
    assert.equal(cell(10, 'bytesReceived'), '', 'unknown bytes are empty');
    assert.equal(cell(10, 'tunnelIpv6'), '');
    // No cell of the file starts like a formula.
    for (const [i, rec] of records.entries()) {
      for (const v of rec)
        assert.ok(!/^[=+\-@\t\r]/.test(v), `record ${i}: ${JSON.stringify(v)} starts like a formula`);
    }
  });

  test('an explicit delimiter wins over the language', async (t) => {
    const dir = await tempDir(t);
    const path = join(dir, 'x.csv');
    await writeCsv(path, rowsOf('de'), { lang: 'de', delimiter: ',' });
    const { records } = await readCsv(path, ',');
    assert.deepEqual(records[0], exportHeaders('de'));
  });

  test('the same rows give the same bytes; an unchanged file keeps its mtime', async (t) => {
    const dir = await tempDir(t);
    const path = join(dir, 'x.csv');
    const rows = rowsOf('en');
    await writeCsv(path, rows, { lang: 'en' });
    const first = await readFile(path);
    const past = new Date('2026-01-01T00:00:00Z');
    await utimes(path, past, past);
    assert.equal((await writeCsv(path, rows, { lang: 'en' })).written, false, 'not rewritten');
    assert.equal((await stat(path)).mtimeMs, past.getTime(), 'mtime unchanged');
    assert.ok((await readFile(path)).equals(first), 'same bytes');
    assert.equal((await writeCsv(path, rows.slice(1), { lang: 'en' })).written, true, 'changed rows rewrite it');
    assert.deepEqual(await listDir(dir), ['x.csv'], 'no temp file left');
  });

  test('rows from a generator; no rows gives the header only', async (t) => {
    const dir = await tempDir(t);
    const base = rowsOf('en')[0] as ExportRow;
    function* gen(): Generator<ExportRow> {
      for (let i = 0; i < 1500; i++) yield { ...base, user: `u${i}` };
    }
    const path = join(dir, 'x.csv');
    assert.equal((await writeCsv(path, gen(), { lang: 'en' })).rows, 1500);
    const { records } = await readCsv(path, ',');
    assert.equal(records.length, 1501);
    assert.equal(records[1500]?.[0], 'u1499');
    const empty = join(dir, 'empty.csv');
    await writeCsv(empty, [], { lang: 'en' });
    assert.deepEqual((await readCsv(empty, ',')).records, [exportHeaders('en')]);
  });

  test('small arrays are written in one piece (csvText), generators and large arrays streamed (csv-stringify): the same bytes', async (t) => {
    const dir = await tempDir(t);
    async function* gen(list: ExportRow[]): AsyncGenerator<ExportRow> {
      yield* list;
    }
    // Fields that need quoting under either delimiter, a lone CR at the end, a lone quote, an empty text.
    const awkward = (rows: ExportRow[]): ExportRow[] => [
      ...rows,
      ...['ends in CR\r', '"', 'a,b', 'a;b', '', ' "x" ', 'LF\n'].map((commonName, i) => ({
        ...(rows[0] as ExportRow),
        commonName,
        alias: i % 2 ? '' : 'x,y;z',
      })),
    ];
    for (const [lang, delimiter] of [
      ['de', undefined],
      ['en', undefined],
      ['de', ','],
      ['en', ';'],
    ] as const) {
      const rows = awkward(rowsOf(lang));
      // Past IN_MEMORY_ROWS (20,000) an array is streamed too.
      const many = Array.from({ length: 20_001 }, (_, i) => rows[i % rows.length] as ExportRow);
      for (const [name, list] of [
        ['few', rows],
        ['none', []],
        ['many', many],
      ] as [string, ExportRow[]][]) {
        const what = `${lang} ${delimiter ?? 'default'} ${name}`;
        const a = await writeCsv(join(dir, `array.csv`), list, { lang, delimiter });
        const b = await writeCsv(join(dir, `gen.csv`), gen(list), { lang, delimiter });
        assert.deepEqual([a.rows, b.rows], [list.length, list.length], `${what}: row counts`);
        assert.equal(a.bytes, b.bytes, `${what}: sizes`);
        assert.ok(
          (await readFile(join(dir, `array.csv`))).equals(await readFile(join(dir, `gen.csv`))),
          `${what}: byte-identical files`,
        );
      }
    }
  });

  test('a failed write rejects and leaves no temp file', async (t) => {
    const dir = await tempDir(t);
    await assert.rejects(writeCsv(join(dir, 'missing', 'x.csv'), rowsOf('de'), { lang: 'de' }), { code: 'ENOENT' });
    const bad = { ...(rowsOf('de')[0] as ExportRow), bytesSent: Number.POSITIVE_INFINITY };
    await assert.rejects(writeCsv(join(dir, 'x.csv'), [bad], { lang: 'de' }), RangeError);
    assert.deepEqual(await listDir(dir), [], 'nothing left behind');
  });
});
