/**
 * A real spreadsheet program reads our workbooks: Debian's LibreOffice (headless) converts
 * the whole-history xlsx, a day's xlsx and a user's xlsx of a site the CLI built from
 * generated data to CSV, and every cell must be what we wrote. The common names are hostile
 * (formulas, numbers with leading zeros or signs, a date, a line feed, quotes, umlauts).
 *
 * Each workbook is converted twice: to CSV as its cells are shown (their number format), with
 * every text cell quoted, and to flat ODF (.fods), which names each cell's type and value.
 * Every cell shown must equal our own CSV of the view (its formula apostrophes taken off);
 * text is a quoted string cell, never a formula; bytes and seconds are float cells of the
 * same value; start and end are date cells of the wall time shown.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { parse } from 'csv-parse/sync';
import { JSDOM } from 'jsdom';
import { dayFileName, exportFileName, reportFileName } from '../../src/core/export-names.js';
import { LABELS } from '../../src/core/i18n.js';
import { REPORT_COLUMNS, sheetNames } from '../../src/core/report.js';
import { EXPORT_COLUMNS, exportSheetName } from '../../src/core/export-rows.js';
import type { Session } from '../../src/core/session.js';
import { ensureBuilt } from '../helpers/build.js';
import { workbookStamp } from '../helpers/export-sums.js';
import { sessionsJson, type SessionJson } from '../helpers/cli.js';
import { dayIn, type SyntheticSite } from '../helpers/site.js';
import { leftovers, Procs } from './helpers/procs.js';
import { missing, systemGate, type Needs } from './helpers/requirements.js';
import { buildSite } from './helpers/sites.js';

const NEEDS: Needs = { bins: ['soffice', 'pgrep'] };

/** Names a spreadsheet would turn into a formula, a number, a date or a boolean if it read them as input. */
const HOSTILE = [
  '=1+2',
  '@SUM(A1)',
  '-3',
  '+49 30',
  '007',
  '123456789012345678901',
  '2026-03-18',
  '1e5',
  'TRUE',
  'two\nlines',
  '"quotes", and a comma',
  'Jürgen Müßig',
];
/** Each hostile name is the user (and common name) of every session whose index ≡ its position (mod this). */
const EVERY = 3;
/** A conversion hangs rarely, but then for good: a safety net, not a speed check. */
const CONVERT_TIMEOUT_MS = 120_000;

/**
 * LibreOffice's CSV filter options (help: "CSV Filter Options"): comma-separated, `"` around
 * text, UTF-8 (76), from line 1, no column formats, system language; 7: quote every text
 * cell; 8: detect special numbers (import only); 9: save cell contents as shown; 10: formula
 * results, not formulas; 11: keep spaces; 12: the first sheet (ours have one).
 */
const CSV_FILTER = 'csv:Text - txt - csv (StarCalc):44,34,76,1,,0,true,true,true,false,false,1';

const procs = new Procs();
let root = '';
let site: SyntheticSite | null = null;
let recorded: SessionJson[] = [];
const exportsOut = (): string => join((site as SyntheticSite).paths.out, 'exports');

/** A field of a CSV record and whether it was quoted. */
interface Field {
  text: string;
  quoted: boolean;
}

/** RFC 4180 records (`"` doubled inside quotes, CR LF or LF between records), keeping which fields were quoted. */
function fieldsOf(text: string): Field[][] {
  const records: Field[][] = [];
  let rec: Field[] = [];
  let i = 0;
  for (;;) {
    let f: Field;
    if (text[i] === '"') {
      let s = '';
      i++;
      for (;;) {
        const q = text.indexOf('"', i);
        assert.ok(q >= 0, 'a quoted field ends');
        s += text.slice(i, q);
        i = q + 1;
        if (text[i] !== '"') break;
        s += '"';
        i++;
      }
      f = { text: s, quoted: true };
    } else {
      let j = i;
      while (j < text.length && text[j] !== ',' && text[j] !== '\n' && text[j] !== '\r') j++;
      f = { text: text.slice(i, j), quoted: false };
      i = j;
    }
    rec.push(f);
    if (text[i] === ',') {
      i++;
      continue;
    }
    records.push(rec);
    rec = [];
    if (text[i] === '\r') i++;
    if (text[i] === '\n') i++;
    if (i >= text.length) return records;
  }
}

/**
 * `soffice --convert-to FILTER` of `xlsx` in a profile folder of its own (parallel runs and
 * the machine's own profile stay apart); the one file it writes, as text.
 */
async function convert(
  t: TestContext,
  xlsx: string,
  filter: string,
  ext: string,
  firstSheet = exportSheetName('de'),
): Promise<string> {
  const base = basename(xlsx, '.xlsx');
  const tag = `${base}-${ext}`;
  const outDir = join(root, 'lo-out', tag);
  const profile = join(root, 'lo-profile', tag);
  await mkdir(outDir, { recursive: true });
  const args = [
    '--headless',
    '--norestore',
    `-env:UserInstallation=file://${profile}`,
    '--convert-to',
    filter,
    '--outdir',
    outDir,
    xlsx,
  ];
  const p = procs.spawn(`soffice ${tag}`, 'soffice', args, {
    logFile: join(root, `soffice-${tag}.log`),
    env: { ...process.env, HOME: profile },
  });
  const timer = setTimeout(() => void procs.stop(p, 'SIGKILL'), CONVERT_TIMEOUT_MS);
  const exit = await p.exited.finally(() => clearTimeout(timer));
  assert.equal(exit.code, 0, `soffice ${tag} exits 0\n${p.tail()}`);
  // Given a sheet number, the CSV filter names its file after the workbook and that sheet.
  const name = ext === 'csv' ? `${base}-${firstSheet}.csv` : `${base}.${ext}`;
  assert.deepEqual(await readdir(outDir), [name], `soffice ${tag} writes one file\n${p.tail()}`);
  const text = await readFile(join(outDir, name), 'utf8');
  t.diagnostic(`${tag}: ${text.length} characters`);
  return text;
}

/** The custom properties LibreOffice read from a workbook (a .fods file's user-defined metadata): name → text. */
function odsUserDefined(xml: string): Map<string, string> {
  const META_NS = 'urn:oasis:names:tc:opendocument:xmlns:meta:1.0';
  const doc = new JSDOM(xml, { contentType: 'application/xml' }).window.document;
  const props = new Map<string, string>();
  for (const el of doc.getElementsByTagNameNS(META_NS, 'user-defined'))
    props.set(el.getAttributeNS(META_NS, 'name') ?? '', el.textContent ?? '');
  return props;
}

/**
 * Asserts that LibreOffice reads the chain stamp of `xlsx` (its custom properties, shown
 * under File > Properties > Custom) as written: the head and row count of the ledger.
 */
async function checkStamp(xlsx: string, fods: string): Promise<void> {
  const stamp = workbookStamp(await readFile(xlsx));
  const ledger = JSON.parse(await readFile(join(exportsOut(), '..', 'ledger.json'), 'utf8')) as {
    head: string;
    rows: number;
  };
  assert.deepEqual(
    stamp,
    { head: ledger.head, rows: ledger.rows },
    `${basename(xlsx)}: stamped with the ledger's head`,
  );
  const props = odsUserDefined(fods);
  assert.equal(props.get('ChainHead'), ledger.head, `${basename(xlsx)}: LibreOffice reads ChainHead`);
  assert.equal(Number(props.get('ChainRows')), ledger.rows, `${basename(xlsx)}: LibreOffice reads ChainRows`);
}

/** A cell of a flat ODF spreadsheet (.fods): LibreOffice's own type and value. */
interface OdsCell {
  type: string | null;
  value: string | null;
  date: string | null;
  formula: string | null;
}

const TABLE_NS = 'urn:oasis:names:tc:opendocument:xmlns:table:1.0';
const OFFICE_NS = 'urn:oasis:names:tc:opendocument:xmlns:office:1.0';

/** A table row's cells (repeated cells expanded, up to `columns`). */
function rowCells(tr: Element, columns: number): OdsCell[] {
  const cells: OdsCell[] = [];
  for (const td of tr.children) {
    if (td.localName !== 'table-cell') continue;
    const repeat = Number(td.getAttributeNS(TABLE_NS, 'number-columns-repeated') ?? '1');
    const cell = {
      type: td.getAttributeNS(OFFICE_NS, 'value-type'),
      value: td.getAttributeNS(OFFICE_NS, 'value'),
      date: td.getAttributeNS(OFFICE_NS, 'date-value'),
      formula: td.getAttributeNS(TABLE_NS, 'formula'),
    };
    for (let k = 0; k < repeat && cells.length < columns; k++) cells.push(cell);
  }
  return cells;
}

/** The first `rows` rows of the first sheet of a .fods file, `columns` cells each. */
function odsCells(xml: string, rows: number, columns: number): OdsCell[][] {
  const doc = new JSDOM(xml, { contentType: 'application/xml' }).window.document;
  return [...doc.getElementsByTagNameNS(TABLE_NS, 'table-row')].slice(0, rows).map((tr) => rowCells(tr, columns));
}

/** Each sheet of a .fods file: its name and its rows' cells (up to `columns` each; empty rows dropped). */
function odsTables(xml: string, columns: number): { name: string; rows: OdsCell[][] }[] {
  const doc = new JSDOM(xml, { contentType: 'application/xml' }).window.document;
  return [...doc.getElementsByTagNameNS(TABLE_NS, 'table')].map((table) => ({
    name: table.getAttributeNS(TABLE_NS, 'name') ?? '',
    rows: [...table.getElementsByTagNameNS(TABLE_NS, 'table-row')]
      .map((tr) => rowCells(tr, columns))
      .filter((cells) => cells.some((c) => c.type !== null)),
  }));
}

/** Our own CSV export of a view (UTF-8 with BOM, `;`), its formula apostrophes taken off text cells. */
async function ourCsv(file: string): Promise<string[][]> {
  const text = await readFile(file, 'utf8');
  assert.ok(text.startsWith('\uFEFF'), `${file}: UTF-8 with BOM`);
  const records = parse(text.slice(1), { delimiter: ';' }) as string[][];
  return records.map((rec, n) =>
    rec.map((v, i) =>
      n > 0 && EXPORT_COLUMNS[i]?.kind === 'text' && /^'[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20]/.test(v) ? v.slice(1) : v,
    ),
  );
}

/** What LibreOffice must hold for our CSV field `text` in a column of `kind` (the header is text). */
function checkCell(where: string, kind: string, text: string, shown: Field, ods: OdsCell | undefined): void {
  assert.equal(ods?.formula ?? null, null, `${where}: no formula`);
  if (text === '') {
    assert.equal(ods?.type ?? null, null, `${where}: an empty cell`);
    return;
  }
  if (kind === 'text') {
    assert.ok(shown.quoted, `${where}: written as a text cell`);
    assert.equal(ods?.type, 'string', `${where}: a string cell`);
  } else if (kind === 'number') {
    assert.ok(!shown.quoted, `${where}: written as a number`);
    assert.deepEqual([ods?.type, ods?.value], ['float', text], `${where}: a number cell of that value`);
  } else {
    assert.ok(!shown.quoted, `${where}: written as a value, not text`);
    assert.deepEqual(
      [ods?.type, ods?.date],
      ['date', text.replace(' ', 'T')],
      `${where}: a date cell of that wall time`,
    );
  }
}

/**
 * The workbook `xlsx` as LibreOffice reads it, against `want` (our rows, header first): every
 * cell as shown is our text, and LibreOffice's type for it is its column's kind.
 */
async function checkWorkbook(t: TestContext, xlsx: string, want: string[][]): Promise<void> {
  const name = basename(xlsx);
  const text = await convert(t, xlsx, CSV_FILTER, 'csv');
  const shown = fieldsOf(text.startsWith('\uFEFF') ? text.slice(1) : text);
  assert.deepEqual(
    shown.map((rec) => rec.map((f) => f.text)),
    want,
    `${name}: every cell as shown is the text we wrote, row by row`,
  );
  const fods = await convert(t, xlsx, 'fods', 'fods');
  await checkStamp(xlsx, fods);
  const ods = odsCells(fods, want.length, EXPORT_COLUMNS.length);
  for (const [n, rec] of want.entries()) {
    for (const [i, v] of rec.entries()) {
      const col = EXPORT_COLUMNS[i];
      assert.ok(col, `${name} row ${n + 1}: no cell past the last column`);
      const where = `${name} row ${n + 1} ${col.key} ${JSON.stringify(v)}`;
      checkCell(where, n === 0 ? 'text' : col.kind, v, shown[n]?.[i] as Field, ods[n]?.[i]);
    }
  }
}

describe('LibreOffice reads the exported workbooks', () => {
  before(async () => {
    if (missing(NEEDS).length > 0) return; // each test skips (or fails) with the reason
    ensureBuilt();
    root = await mkdtemp(join(tmpdir(), 'ovsw-system-lo-'));
    site = await buildSite(join(root, 'data'), {
      sessions: 150,
      users: 5,
      spanDays: 4,
      live: 3,
      seed: 19,
      mapHistory: (h: Session[]) =>
        h.map((s, i) => {
          const name = HOSTILE[Math.floor(i / EVERY) % HOSTILE.length] as string;
          return i % EVERY === 0 ? { ...s, user: name, commonName: name, username: null } : s;
        }),
    });
    recorded = await sessionsJson(site.paths.history);
  });

  after(async () => {
    await procs.stopAll();
    if (root === '') return;
    if (process.env.KEEP_SYSTEM_TEST_DIRS === '1') process.stderr.write(`system test: kept ${root}\n`);
    else await rm(root, { recursive: true, force: true });
  });

  const exports = exportsOut;

  it('the whole-history workbook: every row and cell as our CSV of it, typed', async (t) => {
    if (!systemGate(t, NEEDS) || site === null) return;
    const want = await ourCsv(join(exports(), exportFileName(null, 'all', 'csv')));
    assert.equal(want.length - 1, site.history.length + site.clients.length, 'our CSV holds every session');
    const names = want.slice(1).map((r) => r[2]);
    for (const h of HOSTILE) assert.ok(names.includes(h), `${JSON.stringify(h)} is a common name in the data`);
    assert.deepEqual(
      [...names].sort(),
      recorded.map((s) => s.commonName).sort(),
      'the same sessions as sessions --json (the live ones included)',
    );
    await checkWorkbook(t, join(exports(), exportFileName(null, 'all', 'xlsx')), want);
  });

  it("a hostile user's workbook", async (t) => {
    if (!systemGate(t, NEEDS) || site === null) return;
    for (const user of ['=1+2', '007', 'two\nlines']) {
      const want = await ourCsv(join(exports(), exportFileName(user, 'all', 'csv')));
      assert.ok(
        want.length > 1 && want.slice(1).every((r) => r[0] === user),
        `${JSON.stringify(user)}: our CSV holds their sessions`,
      );
      await checkWorkbook(t, join(exports(), exportFileName(user, 'all', 'xlsx')), want);
    }
  });

  it("a day's workbook: the whole history's rows of that day", async (t) => {
    if (!systemGate(t, NEEDS) || site === null) return;
    const all = await ourCsv(join(exports(), exportFileName(null, 'all', 'csv')));
    const startCol = EXPORT_COLUMNS.findIndex((c) => c.key === 'start');
    const day = dayIn(site.history[Math.floor(site.history.length / 2)]?.connectedAt ?? '');
    const want = [all[0] as string[], ...all.slice(1).filter((r) => r[startCol]?.startsWith(day))];
    assert.ok(want.length > 2, `${day} has sessions`);
    await checkWorkbook(t, join(exports(), 'days', dayFileName(day)), want);
  });

  it("a monthly report: the summary as our CSV of it, typed, and each user's sheet of their sessions", async (t) => {
    if (!systemGate(t, NEEDS) || site === null) return;
    const month = dayIn(site.history[0]?.connectedAt ?? '').slice(0, 7);
    const reports = join(exports(), 'reports');
    const csv = await readFile(join(reports, reportFileName(null, month, 'csv')), 'utf8');
    const ours = (parse(csv.slice(1), { delimiter: ';' }) as string[][]).map((rec, n) =>
      rec.map((v, i) => (n > 0 && REPORT_COLUMNS[i]?.kind === 'text' && /^'[=+\-@]/.test(v) ? v.slice(1) : v)),
    );
    const users = ours.slice(1).map((r) => r[0] as string);
    for (const h of ['=1+2', '007', 'two\nlines']) assert.ok(users.includes(h), `${JSON.stringify(h)} has a row`);
    const xlsx = join(reports, reportFileName(null, month, 'xlsx'));
    const summaryName = LABELS.de.reportSummary;
    const shown = fieldsOf((await convert(t, xlsx, CSV_FILTER, 'csv', summaryName)).replace(/^\uFEFF/, ''));
    const columns = REPORT_COLUMNS.length + 1;
    const fods = await convert(t, xlsx, 'fods', 'fods');
    await checkStamp(xlsx, fods);
    const tables = odsTables(fods, columns);
    const names = sheetNames(users, [summaryName]);
    assert.deepEqual(
      tables.map((x) => x.name),
      [summaryName, ...names],
      'the summary, then a sheet per user, named as we named them',
    );
    const summary = tables[0]?.rows ?? [];
    assert.equal(summary.length, ours.length, 'a row per user and the header');
    for (const [n, rec] of ours.entries()) {
      for (const [i, v] of rec.slice(0, REPORT_COLUMNS.length).entries()) {
        const where = `summary row ${n + 1} column ${i + 1} ${JSON.stringify(v)}`;
        const cell = summary[n]?.[i];
        const field = shown[n]?.[i] as Field;
        assert.equal(cell?.formula ?? null, null, `${where}: no formula`);
        if (v === '') assert.equal(cell?.type ?? null, null, `${where}: empty`);
        else if (n === 0 || REPORT_COLUMNS[i]?.kind === 'text') {
          assert.deepEqual([cell?.type, field.quoted, field.text], ['string', true, v], `${where}: the text we wrote`);
        } else {
          assert.deepEqual(
            [cell?.type, Number(cell?.value)],
            ['float', Number(v.replace(',', '.'))],
            `${where}: a number`,
          );
        }
      }
    }
    // Each user's sheet: a row per session of the month, cells typed by their column.
    for (const [k, user] of users.entries()) {
      const rows = tables[k + 1]?.rows ?? [];
      assert.equal(rows.length - 1, Number(ours[k + 1]?.[2]), `${JSON.stringify(user)}: a row per session`);
      for (const [n, cells] of rows.slice(1).entries()) {
        for (const [i, col] of EXPORT_COLUMNS.entries()) {
          const cell = cells[i];
          const where = `${JSON.stringify(user)} row ${n + 2} ${col.key}`;
          assert.equal(cell?.formula ?? null, null, `${where}: no formula`);
          if (cell?.type == null) continue;
          const want = col.kind === 'text' ? 'string' : col.kind === 'number' ? 'float' : 'date';
          assert.equal(cell.type, want, where);
        }
      }
    }
  });

  it('leaves no LibreOffice process behind', async (t) => {
    if (!systemGate(t, NEEDS)) return;
    await procs.stopAll();
    assert.deepEqual(
      await leftovers('soffice.bin', root),
      [],
      `pgrep soffice.bin: nothing started with a profile in ${root} still runs`,
    );
  });
});
