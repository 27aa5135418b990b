/**
 * The provenance of the export files, for tests: a workbook's chain stamp (its custom
 * properties), a workbook without its stamp (an incremental build's file is compared with a
 * full build's this way: a file whose rows did not change keeps its older stamp), and the
 * check that every SHA256SUMS lists exactly the export files of its folder, as they are now.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { unzip } from './zip.js';

export interface Stamp {
  head: string;
  rows: number;
}

const CUSTOM = 'docProps/custom.xml';

/** ChainHead and ChainRows from a workbook's custom properties; null when it has none. */
export function workbookStamp(xlsx: Buffer): Stamp | null {
  const entries = unzip(xlsx);
  const custom = entries.get(CUSTOM)?.data.toString('utf8');
  if (custom === undefined) return null;
  const head = /name="ChainHead"><vt:lpwstr>([0-9a-f]{64})<\/vt:lpwstr>/.exec(custom)?.[1];
  const rows = /name="ChainRows"><vt:i4>(\d+)<\/vt:i4>/.exec(custom)?.[1];
  assert.ok(head !== undefined && rows !== undefined, `custom properties name the chain: ${custom}`);
  assert.match(entries.get('[Content_Types].xml')?.data.toString('utf8') ?? '', /PartName="\/docProps\/custom\.xml"/);
  assert.match(entries.get('_rels/.rels')?.data.toString('utf8') ?? '', /Target="docProps\/custom\.xml"/);
  return { head, rows: Number(rows) };
}

/** A workbook's entries (name → text or bytes) with the stamp taken out: its part, content type and relation. */
export function withoutStamp(xlsx: Buffer): Map<string, string> {
  const out = new Map<string, string>();
  for (const [name, e] of unzip(xlsx)) {
    if (name === CUSTOM) continue;
    out.set(
      name,
      e.data
        .toString('latin1')
        .replace(/<Override PartName="\/docProps\/custom\.xml"[^>]*\/>/, '')
        .replace(/<Relationship Id="[^"]*" Type="[^"]*custom-properties" Target="docProps\/custom\.xml"\/>/, ''),
    );
  }
  return out;
}

/** Asserts that two workbooks hold the same entries but for their stamps. */
export function assertSameButStamp(a: Buffer, b: Buffer, message: string): void {
  assert.deepEqual(withoutStamp(a), withoutStamp(b), message);
}

export const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

export interface SumsGroup extends Stamp {
  /** [name, sha256] in the order listed. */
  files: [string, string][];
}

/** A SHA256SUMS text as groups under their `# chain head` lines; fails on any other line. */
export function parseSums(text: string): SumsGroup[] {
  const groups: SumsGroup[] = [];
  assert.ok(text.endsWith('\n'), 'ends with a line feed');
  for (const line of text.slice(0, -1).split('\n')) {
    const head = /^# chain head ([0-9a-f]{64}) at (\d+) rows$/.exec(line);
    if (head) {
      groups.push({ head: head[1] as string, rows: Number(head[2]), files: [] });
      continue;
    }
    const entry = /^([0-9a-f]{64}) {2}([^/\\]+)$/.exec(line);
    assert.ok(entry, `a sums line: ${JSON.stringify(line)}`);
    assert.ok(groups.length > 0, 'a file is listed under a chain head');
    groups.at(-1)?.files.push([entry[2] as string, entry[1] as string]);
  }
  return groups;
}

const isExport = (name: string): boolean => name.endsWith('.xlsx') || name.endsWith('.csv');

/** Sums file (relative to `out`) → the export files it must list (name → SHA-256 of the bytes now). */
async function expectedSums(out: string): Promise<Map<string, Map<string, string>>> {
  const want = new Map<string, Map<string, string>>();
  const add = async (sums: string, dir: string, name: string): Promise<void> => {
    const files = want.get(sums) ?? new Map<string, string>();
    files.set(name, sha256(await readFile(join(out, dir, name))));
    want.set(sums, files);
  };
  for (const dir of ['exports', 'exports/days']) {
    for (const name of await readdir(join(out, dir)).catch(() => [] as string[]))
      if (isExport(name)) await add(`${dir}/SHA256SUMS`, dir, name);
  }
  for (const name of await readdir(join(out, 'exports/reports')).catch(() => [] as string[])) {
    if (!isExport(name)) continue;
    const month = /_(\d{4}-\d{2})\.(?:xlsx|csv)$/.exec(name)?.[1];
    assert.ok(month, `${name}: a report names its month`);
    await add(`exports/reports/SHA256SUMS_${month}`, 'exports/reports', name);
  }
  return want;
}

/** Every sums file below `out/exports` now (relative to `out`). */
async function publishedSums(out: string): Promise<string[]> {
  const found: string[] = [];
  for (const dir of ['exports', 'exports/days', 'exports/reports']) {
    for (const name of await readdir(join(out, dir)).catch(() => [] as string[]))
      if (name.startsWith('SHA256SUMS')) found.push(`${dir}/${name}`);
  }
  return found.sort();
}

/**
 * Asserts that the sums files list exactly the export files there are, with the SHA-256 of
 * their bytes now; that each group's files are sorted and the groups ordered by rows; and
 * that every workbook is listed under the head in its own custom properties.
 * Returns the groups by sums file.
 */
export async function assertSumsCurrent(out: string, when: string): Promise<Map<string, SumsGroup[]>> {
  const want = await expectedSums(out);
  assert.deepEqual(await publishedSums(out), [...want.keys()].sort(), `${when}: a sums file per folder with exports`);
  const all = new Map<string, SumsGroup[]>();
  for (const [sums, files] of want) {
    const groups = parseSums(await readFile(join(out, sums), 'utf8'));
    all.set(sums, groups);
    const listed = new Map(groups.flatMap((g) => g.files));
    assert.equal(listed.size, groups.flatMap((g) => g.files).length, `${when}: ${sums} lists each file once`);
    assert.deepEqual([...listed].sort(), [...files].sort(), `${when}: ${sums} lists every file with its SHA-256 now`);
    const dir = sums.slice(0, sums.lastIndexOf('/'));
    for (const [i, g] of groups.entries()) {
      const names = g.files.map(([n]) => n);
      assert.deepEqual(names, [...names].sort(), `${when}: ${sums}: names sorted in their group`);
      const prev = groups[i - 1];
      if (prev !== undefined)
        assert.ok(
          prev.rows < g.rows || (prev.rows === g.rows && prev.head < g.head),
          `${when}: ${sums}: groups by rows (then head), each head once`,
        );
      for (const [name] of g.files) {
        if (!name.endsWith('.xlsx')) continue;
        const stamp = workbookStamp(await readFile(join(out, dir, name)));
        assert.deepEqual(stamp, { head: g.head, rows: g.rows }, `${when}: ${dir}/${name} is listed under its head`);
      }
    }
  }
  return all;
}
