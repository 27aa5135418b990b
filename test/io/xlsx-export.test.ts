import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFile, stat, utimes } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import ExcelJS from 'exceljs';
import {
  EXPORT_COLUMNS,
  exportHeaders,
  exportRows,
  exportSheetName,
  type ExportRow,
} from '../../src/core/export-rows.js';
import type { Session } from '../../src/core/session.js';
import { exceljsWorkbook, writeXlsx } from '../../src/io/xlsx-export.js';
import { excelSerial, xlsxText } from '../../src/io/xlsx-sheet.js';
import { distPath, ensureBuilt } from '../helpers/build.js';
import { sampleSession } from '../helpers/sessions.js';
import { listDir, tempDir } from '../helpers/tmp.js';
import { unzip } from '../helpers/zip.js';

const NOW = '2026-11-26T17:00:00Z';
const ALIASES: Record<string, string> = { jdoe: 'Größe Ärger', '=1+2': "+cmd|' /C calc'!A0" };

/** Sessions with every kind of awkward text, an open one and a legacy one without byte counts. */
function hostileSessions(): Session[] {
  const texts = [
    ['=1+2', '@SUM(A1)', '-2+3'],
    ['jdoe', "+cmd|' /C calc'!A0", null],
    ['Jürgen Müller', '<script>alert(1)</script>', 'jürgen'],
    ['ctl', 'a\u0001b\rc\u007fd\u001fe', null],
    ['esc', '_x0041_ stays _X0042_', null],
    ['surrogate', 'lone \uD800 and \uFFFE', null],
    ['space', '  padded  ', 'two\nlines'],
    ['emoji', '😀 Zoë', null],
  ] as const;
  const out = texts.map(([user, cn, username], i) =>
    sampleSession({
      id: `s${i}`,
      user,
      commonName: cn,
      username,
      connectedAt: `2026-11-2${i % 6}T0${i}:00:00Z`,
      lastSeenAt: `2026-11-2${i % 6}T0${i}:30:15Z`,
      endedAt: `2026-11-2${i % 6}T0${i}:30:15Z`,
      durationS: 1815,
      bytesReceived: 1000 * (i + 1),
      bytesSent: 2_000_000_000_000 + i,
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
      endReason: 'server-stopped',
    }),
  );
  return out;
}

const rowsOf = (sessions: Session[], lang: 'de' | 'en' = 'de'): ExportRow[] =>
  exportRows(sessions, {
    lang,
    timeZone: 'Europe/Berlin',
    aliasOf: (s) => (Object.hasOwn(ALIASES, s.user) ? (ALIASES[s.user] ?? null) : null),
    now: NOW,
  });

/** Rows one at a time, a turn of the event loop apart: writeXlsx streams them (archiver's zip, a temp file). */
async function* slowly(rows: ExportRow[]): AsyncGenerator<ExportRow> {
  for (const r of rows) {
    await new Promise((resolve) => setImmediate(resolve));
    yield r;
  }
}

/** The two ways a workbook is written: an array from exceljs' template in memory, a generator as deflate pieces streamed to disk. */
const PATHS: [string, (rows: ExportRow[]) => ExportRow[] | AsyncGenerator<ExportRow>][] = [
  ['from the template', (rows) => rows],
  ['streamed', slowly],
];

async function readBack(path: string): Promise<ExcelJS.Worksheet> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.readFile(path);
  const ws = wb.worksheets[0];
  assert.ok(ws, 'the workbook has a sheet');
  return ws;
}

/** A wall time as the Date exceljs reads back from a cell: its UTC fields are the wall time. */
const wallMs = (text: string): number =>
  Date.UTC(
    Number(text.slice(0, 4)),
    Number(text.slice(5, 7)) - 1,
    Number(text.slice(8, 10)),
    Number(text.slice(11, 13)),
    Number(text.slice(14, 16)),
    Number(text.slice(17, 19)),
  );

/**
 * ECMA-376's `_xHHHH_` escapes read back, as Excel reads them in any string: exceljs does so
 * for shared strings but not for inline ones (a streamed workbook's).
 */
const unescapeXstring = (text: string): string =>
  text.replace(/_x([0-9A-F]{4})_/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));

/** Every data row of the sheet equals its export row, cell type by cell type (`inline`: text cells are inline strings). */
function assertRowsEqual(ws: ExcelJS.Worksheet, rows: ExportRow[], inline = false): void {
  rows.forEach((want, i) => {
    const row = ws.getRow(i + 2);
    EXPORT_COLUMNS.forEach((col, c) => {
      const cell = row.getCell(c + 1);
      const v = want[col.key];
      const what = `row ${i + 2} ${col.key} (${JSON.stringify(v)})`;
      if (v === null) {
        assert.equal(cell.type, ExcelJS.ValueType.Null, `${what}: empty cell`);
      } else if (col.kind === 'datetime') {
        assert.ok(cell.value instanceof Date, `${what}: a date cell`);
        assert.equal(cell.value.getTime(), wallMs(String(v)), `${what}: shows the wall time`);
        assert.equal(cell.numFmt, 'yyyy-mm-dd hh:mm:ss', `${what}: date-time format`);
      } else if (col.kind === 'number') {
        assert.equal(cell.type, ExcelJS.ValueType.Number, `${what}: a number cell`);
        assert.equal(cell.value, v, what);
      } else {
        assert.equal(cell.type, ExcelJS.ValueType.String, `${what}: a string cell, never a formula`);
        assert.equal(inline ? unescapeXstring(String(cell.value)) : cell.value, v, `${what}: the exact text`);
      }
    });
  });
}

describe('writeXlsx', () => {
  test('reads back: header, types, hostile text as text, dates in the zone, empty cells', async (t) => {
    const dir = await tempDir(t);
    const path = join(dir, 'x.xlsx');
    const rows = rowsOf(hostileSessions());
    const result = await writeXlsx(path, rows, { lang: 'de' });
    assert.deepEqual({ written: result.written, rows: result.rows }, { written: true, rows: rows.length });
    assert.equal(result.bytes, (await stat(path)).size);
    assert.deepEqual(await listDir(dir), ['x.xlsx'], 'no temp file left');

    const ws = await readBack(path);
    assert.equal(ws.name, exportSheetName('de'));
    assert.equal(ws.rowCount, rows.length + 1, 'header plus one row per session');
    const header = ws.getRow(1);
    exportHeaders('de').forEach((h, c) => {
      assert.equal(header.getCell(c + 1).value, h, `header ${c + 1}`);
      assert.equal(header.getCell(c + 1).font?.bold, true, `header ${c + 1} is bold`);
    });
    assertRowsEqual(ws, rows);
    // The hostile ones, spelled out.
    const first = ws.getRow(2);
    assert.equal(first.getCell(1).value, '=1+2');
    assert.equal(first.getCell(2).value, "+cmd|' /C calc'!A0");
    assert.equal(first.getCell(3).value, '@SUM(A1)');
    assert.equal(first.getCell(4).value, '-2+3');
    assert.equal(ws.getRow(4).getCell(3).value, '<script>alert(1)</script>');
    assert.equal(ws.getRow(4).getCell(1).value, 'Jürgen Müller');
    assert.equal(ws.getRow(3).getCell(2).value, 'Größe Ärger');
  });

  test('frozen header, autofilter over it, a width for every column', async (t) => {
    const dir = await tempDir(t);
    const path = join(dir, 'x.xlsx');
    await writeXlsx(path, rowsOf(hostileSessions()), { lang: 'en' });
    const ws = await readBack(path);
    assert.equal(ws.name, 'Sessions');
    assert.equal(ws.views[0]?.state, 'frozen', 'frozen view');
    assert.equal((ws.views[0] as { ySplit?: number }).ySplit, 1, 'frozen below the header row');
    const last = String.fromCharCode(64 + EXPORT_COLUMNS.length);
    assert.equal(ws.autoFilter, `A1:${last}1`, 'autofilter over the header');
    EXPORT_COLUMNS.forEach((c, i) => {
      assert.equal(ws.getColumn(i + 1).width, c.width, `width of ${c.key}`);
    });
  });

  test('the XML holds no formula: text is shared strings, escaped', async (t) => {
    const dir = await tempDir(t);
    const path = join(dir, 'x.xlsx');
    await writeXlsx(path, rowsOf(hostileSessions()), { lang: 'de' });
    const files = unzip(await readFile(path));
    const sheet = files.get('xl/worksheets/sheet1.xml')?.data.toString('utf8') ?? '';
    assert.ok(sheet.includes('<sheetData>'), 'sheet XML found');
    assert.ok(!/<f[\s>]/.test(sheet), 'no <f> (formula) element');
    const types = new Set([...sheet.matchAll(/<c [^>]*?\bt="([^"]*)"/g)].map((m) => m[1]));
    assert.deepEqual([...types], ['s'], 'every typed cell is a shared string (no "str", no "inlineStr")');
    const strings = files.get('xl/sharedStrings.xml')?.data.toString('utf8') ?? '';
    assert.ok(strings.includes('&lt;script&gt;alert(1)&lt;/script&gt;'), 'markup escaped');
    assert.ok(strings.includes('=1+2'), 'formula-like text stored as text');
    assert.ok(!/[\x00-\x08\x0B\x0C\x0E-\x1F]/.test(strings), 'no control character in the XML');
  });

  test('the same rows give the same bytes; an unchanged file keeps its mtime', async (t) => {
    const dir = await tempDir(t);
    const a = join(dir, 'a.xlsx');
    const b = join(dir, 'b.xlsx');
    const rows = rowsOf(hostileSessions());
    await writeXlsx(a, rows, { lang: 'de' });
    await new Promise((r) => setTimeout(r, 2100)); // past the 2-second resolution of zip times
    await writeXlsx(b, rows, { lang: 'de' });
    assert.ok((await readFile(a)).equals(await readFile(b)), 'byte-identical files');

    const past = new Date('2026-01-01T00:00:00Z');
    await utimes(a, past, past);
    const again = await writeXlsx(a, rows, { lang: 'de' });
    assert.equal(again.written, false, 'not rewritten');
    assert.equal((await stat(a)).mtimeMs, past.getTime(), 'mtime unchanged');

    const changed = rows.map((r, i) => (i === 0 ? { ...r, bytesSent: 1 } : r));
    assert.equal((await writeXlsx(a, changed, { lang: 'de' })).written, true, 'a changed row rewrites the file');
    assert.notEqual((await stat(a)).mtimeMs, past.getTime(), 'new mtime');
    assert.deepEqual(await listDir(dir), ['a.xlsx', 'b.xlsx'], 'no temp file left');
  });

  for (const [how, rowsFrom] of PATHS)
    test(`fixed times (${how}): zip entries and document properties carry \`timestamp\`, not the clock`, async (t) => {
      const dir = await tempDir(t);
      const path = join(dir, 'x.xlsx');
      await writeXlsx(path, rowsFrom(rowsOf(hostileSessions())), { lang: 'de', timestamp: '2026-11-26T17:00:10Z' });
      const files = unzip(await readFile(path));
      for (const [name, f] of files) {
        assert.equal(f.date, ((2026 - 1980) << 9) | (11 << 5) | 26, `${name}: zip date`);
        assert.equal(f.time, (17 << 11) | (0 << 5) | 5, `${name}: zip time`);
      }
      const core = files.get('docProps/core.xml')?.data.toString('utf8') ?? '';
      assert.match(core, /<dcterms:created[^>]*>2026-11-26T17:00:10Z<\/dcterms:created>/, 'created');
      assert.match(core, /<dcterms:modified[^>]*>2026-11-26T17:00:10Z<\/dcterms:modified>/, 'modified');
    });

  for (const [how, rowsFrom] of PATHS)
    test(`only the sheet and its strings are compressed; the fixed parts are stored (${how})`, async (t) => {
      const dir = await tempDir(t);
      const path = join(dir, 'x.xlsx');
      await writeXlsx(path, rowsFrom(rowsOf(hostileSessions())), { lang: 'de' });
      const methods = Object.fromEntries([...unzip(await readFile(path))].map(([name, f]) => [name, f.method]));
      assert.equal(methods['xl/worksheets/sheet1.xml'], 8, 'sheet: deflate');
      assert.equal(methods['xl/sharedStrings.xml'], 8, 'shared strings: deflate');
      for (const name of [
        'xl/styles.xml',
        'xl/theme/theme1.xml',
        'xl/workbook.xml',
        '[Content_Types].xml',
        'docProps/core.xml',
      ]) {
        assert.equal(methods[name], 0, `${name}: stored`);
      }
    });

  test('rows from a generator, across write batches', async (t) => {
    const dir = await tempDir(t);
    const path = join(dir, 'x.xlsx');
    const base = rowsOf([sampleSession()])[0] as ExportRow;
    const n = 2_345;
    function* gen(): Generator<ExportRow> {
      for (let i = 0; i < n; i++) yield { ...base, user: `user ${i}`, durationS: i, bytesReceived: i * 7 };
    }
    const result = await writeXlsx(path, gen(), { lang: 'en' });
    assert.equal(result.rows, n);
    const ws = await readBack(path);
    assert.equal(ws.rowCount, n + 1);
    for (const i of [0, 999, 1000, 1001, 1999, 2000, n - 1]) {
      assert.equal(ws.getRow(i + 2).getCell(1).value, `user ${i}`, `row of item ${i}`);
      assert.equal(ws.getRow(i + 2).getCell(12).value, i, `duration of item ${i}`);
      assert.equal(ws.getRow(i + 2).getCell(14).value, i * 7, `bytes of item ${i}`);
    }
  });

  test('rows from an async generator (deflate pieces, on disk): the same cells as from an array, text inline; the other parts the same', async (t) => {
    const dir = await tempDir(t);
    const rows = rowsOf(hostileSessions());
    await writeXlsx(join(dir, 'a.xlsx'), rows, { lang: 'de' });
    const result = await writeXlsx(join(dir, 'b.xlsx'), slowly(rows), { lang: 'de' });
    assert.equal(result.rows, rows.length);
    assertRowsEqual(await readBack(join(dir, 'b.xlsx')), rows, true);
    const a = unzip(await readFile(join(dir, 'a.xlsx')));
    const b = unzip(await readFile(join(dir, 'b.xlsx')));
    assert.deepEqual([...a.keys()], [...b.keys()], 'the same parts in the same order');
    for (const [name, f] of a) {
      const g = b.get(name);
      assert.ok(g !== undefined);
      assert.deepEqual([g.method, g.time, g.date], [f.method, f.time, f.date], `${name}: the same method and time`);
      if (name !== 'xl/worksheets/sheet1.xml' && name !== 'xl/sharedStrings.xml')
        assert.ok(g.data.equals(f.data), `${name}: the same content`);
    }
    // The streamed sheet holds its text inline: only the header is in the string table.
    const sheet = b.get('xl/worksheets/sheet1.xml')?.data.toString('utf8') ?? '';
    assert.ok(!/<row r="[2-9]\d*"[^>]*>(?:(?!<\/row>).)*t="s"/.test(sheet), 'no data row refers to the string table');
    assert.match(sheet, /t="inlineStr"><is><t>=1\+2<\/t><\/is>/, 'formula-like text is an inline string');
    assert.match(
      b.get('xl/sharedStrings.xml')?.data.toString('utf8') ?? '',
      new RegExp(`count="${EXPORT_COLUMNS.length}" uniqueCount="${EXPORT_COLUMNS.length}"`),
      'the header only',
    );
  });

  test('no rows: a valid workbook with the header only', async (t) => {
    const dir = await tempDir(t);
    const path = join(dir, 'x.xlsx');
    assert.equal((await writeXlsx(path, [], { lang: 'de' })).rows, 0);
    const ws = await readBack(path);
    assert.equal(ws.rowCount, 1);
    assert.equal(ws.getRow(1).getCell(1).value, 'Benutzer');
  });

  test('a failed write rejects and leaves neither the target nor a temp file', async (t) => {
    const dir = await tempDir(t);
    await assert.rejects(writeXlsx(join(dir, 'missing', 'x.xlsx'), rowsOf([sampleSession()]), { lang: 'de' }), {
      code: 'ENOENT',
    });
    const bad = { ...(rowsOf([sampleSession()])[0] as ExportRow), start: 'yesterday' };
    await assert.rejects(writeXlsx(join(dir, 'x.xlsx'), [bad], { lang: 'de' }), RangeError);
    const nan = { ...(rowsOf([sampleSession()])[0] as ExportRow), durationS: Number.NaN };
    await assert.rejects(writeXlsx(join(dir, 'x.xlsx'), [nan], { lang: 'de' }), RangeError);
    assert.deepEqual(await listDir(dir), [], 'nothing left behind');
  });
});

describe("small workbooks from exceljs' template of the fixed parts", () => {
  /** Rows that repeat texts (shared strings used twice) and fill more than a few rows. */
  const many = (): ExportRow[] => {
    const base = rowsOf(hostileSessions());
    return Array.from({ length: 300 }, (_, i) => ({
      ...(base[i % base.length] as ExportRow),
      durationS: i,
      bytesReceived: i * 3,
    }));
  };
  const cases: [string, () => ExportRow[], 'de' | 'en', string | undefined][] = [
    ['no rows', () => [], 'de', undefined],
    ['hostile text (de)', () => rowsOf(hostileSessions()), 'de', undefined],
    ['hostile text (en)', () => rowsOf(hostileSessions(), 'en'), 'en', undefined],
    ['300 rows, texts repeated', many, 'de', undefined],
    ['another timestamp', () => rowsOf(hostileSessions()), 'en', '2026-11-26T17:00:10Z'],
  ];
  for (const [name, rows, lang, timestamp] of cases) {
    test(`the same bytes as exceljs writes alone: ${name}`, async (t) => {
      const dir = await tempDir(t);
      const path = join(dir, 'x.xlsx');
      await writeXlsx(path, rows(), { lang, timestamp });
      const mine = await readFile(path);
      const theirs = await exceljsWorkbook(rows(), { lang, timestamp });
      if (!mine.equals(theirs)) {
        // Name the part that differs.
        const a = unzip(mine);
        const b = unzip(theirs);
        assert.deepEqual([...a.keys()], [...b.keys()], 'the same parts in the same order');
        for (const [part, f] of a) assert.equal(f.data.toString('utf8'), b.get(part)?.data.toString('utf8'), part);
      }
      assert.ok(mine.equals(theirs), 'byte-identical');
    });
  }

  test('compiled, the stored templates are what exceljs makes now, and a small workbook does not load exceljs', async (t) => {
    ensureBuilt();
    const compiled = (await import(distPath('io/xlsx-export.js'))) as typeof import('../../src/io/xlsx-export.js');
    assert.equal(
      await readFile(distPath('vendor/xlsx-templates.json'), 'utf8'),
      await compiled.templatesFile(),
      'dist/vendor/xlsx-templates.json is current',
    );
    const dir = await tempDir(t);
    const script = `import { createRequire } from 'node:module';
      const { writeXlsx } = await import(${JSON.stringify(distPath('io/xlsx-export.js'))});
      const loaded = () => Object.keys(createRequire(import.meta.url).cache).filter((f) => f.includes('exceljs')).map((f) => f.replace(/.*node_modules\\//, ''));
      await writeXlsx(process.argv[1], [], { lang: 'de' });
      await writeXlsx(process.argv[2], [], { lang: 'en' });
      const small = loaded();
      await writeXlsx(process.argv[3], [], { lang: 'de', timestamp: '2026-11-26T17:00:10Z' });
      process.stdout.write(JSON.stringify({ small, otherTimestamp: loaded().some((f) => f.includes('workbook-writer')) }));`;
    const files = ['de.xlsx', 'en.xlsx', 'stamp.xlsx'].map((f) => join(dir, f));
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script, ...files], { encoding: 'utf8' });
    assert.equal(child.status, 0, child.stderr);
    // Of exceljs, only its XML text escaping (sharedStringsXml), unless a template must be made.
    assert.deepEqual(
      JSON.parse(child.stdout),
      { small: ['exceljs/lib/utils/utils.js'], otherTimestamp: true },
      "exceljs' writer loaded only for a timestamp without a stored template",
    );
    for (const [i, f] of files.entries())
      assert.ok(
        (await readFile(f)).equals(
          await exceljsWorkbook([], {
            lang: i === 1 ? 'en' : 'de',
            timestamp: i === 2 ? '2026-11-26T17:00:10Z' : undefined,
          }),
        ),
        `${f}: exceljs' bytes`,
      );
  });
});

describe('exceljs internals the writer relies on', () => {
  test("the writer file is the package's WorkbookWriter; ValueType.Date is 4", () => {
    const require = createRequire(import.meta.url);
    assert.equal(
      require('exceljs/lib/stream/xlsx/workbook-writer.js'),
      ExcelJS.stream.xlsx.WorkbookWriter,
      'same class',
    );
    assert.equal(ExcelJS.ValueType.Date, 4, 'VALUE_TYPE_DATE in xlsx-export.ts');
  });

  test("compiled, neither a small nor a large workbook loads exceljs' writer or archiver, and nothing is printed", async (t) => {
    ensureBuilt();
    const dir = await tempDir(t);
    // graceful-fs, which archiver loads, marks the fs module it patches (Symbol.for('graceful-fs.queue')).
    const script = `import fs from 'node:fs';
      import { createRequire } from 'node:module';
      const { writeXlsx } = await import(${JSON.stringify(distPath('io/xlsx-export.js'))});
      const loaded = () => fs[Symbol.for('graceful-fs.queue')] !== undefined ||
        Object.keys(createRequire(import.meta.url).cache).some((f) => f.includes('workbook-writer'));
      await writeXlsx(process.argv[1], [], { lang: 'de' });
      const inMemory = loaded();
      await writeXlsx(process.argv[2], (async function* () {})(), { lang: 'de' });
      process.stdout.write(JSON.stringify({ inMemory, streamed: loaded() }));`;
    const child = spawnSync(
      process.execPath,
      ['--input-type=module', '-e', script, join(dir, 'memory.xlsx'), join(dir, 'streamed.xlsx')],
      { encoding: 'utf8' },
    );
    assert.equal(child.status, 0, child.stderr);
    assert.equal(child.stderr, '', 'no warning on stderr');
    assert.deepEqual(JSON.parse(child.stdout), { inMemory: false, streamed: false }, 'neither loaded');
    for (const f of ['memory.xlsx', 'streamed.xlsx'])
      assert.equal((await readBack(join(dir, f))).rowCount, 1, `${f}: the header row`);
  });
});

describe('xlsxText', () => {
  test('escapes what XML cannot hold and what looks like an escape; leaves the rest', () => {
    assert.equal(xlsxText('plain Jürgen =1+2 <b>'), 'plain Jürgen =1+2 <b>');
    assert.equal(xlsxText('a\u0001b'), 'a_x0001_b');
    assert.equal(xlsxText('a\rb'), 'a_x000D_b');
    assert.equal(xlsxText('tab\tand\nnewline'), 'tab\tand\nnewline');
    assert.equal(xlsxText('\u007f'), '_x007F_');
    assert.equal(xlsxText('_x0041_'), '_x005F_x0041_');
    assert.equal(xlsxText('\uD800'), '_xD800_');
    assert.equal(xlsxText('😀'), '😀', 'a surrogate pair is one character');
  });
});

describe('excelSerial', () => {
  test("Excel's day number of a wall time", () => {
    assert.equal(excelSerial('1970-01-01 00:00:00'), 25569);
    assert.equal(excelSerial('2024-12-31 12:00:00'), 45657.5);
    assert.equal(excelSerial('1900-03-01 00:00:00'), 61);
    for (const t of ['2026-11-26 17:14:55', '2000-02-29 23:59:59', '2026-03-29 02:30:00']) {
      assert.equal(Math.round((excelSerial(t) - 25569) * 86_400_000), wallMs(t), t);
    }
  });

  test('anything else is a RangeError', () => {
    for (const bad of ['', '2026-11-26', '2026-11-26T17:14:55Z', '2026-13-01 00:00:00', '2026-11-26 24:00:00']) {
      assert.throws(() => excelSerial(bad), RangeError, JSON.stringify(bad));
    }
  });
});
