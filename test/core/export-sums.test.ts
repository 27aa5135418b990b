import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sumsFileOf, sumsFileOfKey, sumsText } from '../../src/core/export-sums.js';

const hex = (c: string): string => c.repeat(64);

test('each export folder has its sums file; the reports one per month', () => {
  assert.deepEqual(sumsFileOf('exports/openvpn-history_all_all.xlsx'), {
    key: 'exports',
    dir: 'exports',
    path: 'exports/SHA256SUMS',
  });
  assert.equal(sumsFileOf('exports/days/openvpn-history_2026-03-18.csv')?.path, 'exports/days/SHA256SUMS');
  assert.equal(sumsFileOf('exports/reports/openvpn-report_2026-03.xlsx')?.path, 'exports/reports/SHA256SUMS_2026-03');
  // A user named like a month: the month is always last in the name.
  assert.equal(
    sumsFileOf('exports/reports/openvpn-report_2025-01_2026-03.xlsx')?.path,
    'exports/reports/SHA256SUMS_2026-03',
  );
  assert.equal(sumsFileOf('index.html'), null);
  for (const file of ['exports/a.csv', 'exports/days/b.csv', 'exports/reports/openvpn-report_2026-03.csv']) {
    const sums = sumsFileOf(file);
    assert.deepEqual(sumsFileOfKey(sums?.key ?? ''), sums, file);
  }
});

test('sums text: sha256sum -c lines under a comment per head, oldest head first, names sorted', () => {
  const text = sumsText('exports/days', [
    ['exports/days/b.xlsx', { sha256: hex('1'), head: hex('f'), rows: 12 }],
    ['exports/days/a.csv', { sha256: hex('2'), head: hex('e'), rows: 9 }],
    ['exports/days/a.xlsx', { sha256: hex('3'), head: hex('f'), rows: 12 }],
  ]);
  assert.equal(
    text,
    `# chain head ${hex('e')} at 9 rows\n${hex('2')}  a.csv\n` +
      `# chain head ${hex('f')} at 12 rows\n${hex('3')}  a.xlsx\n${hex('1')}  b.xlsx\n`,
  );
  assert.equal(sumsText('exports', []), '');
  assert.throws(() => sumsText('exports', [['exports/days/x.csv', { sha256: hex('1'), head: hex('f'), rows: 1 }]]));
  assert.throws(() => sumsText('exports', [['exports/x\n.csv', { sha256: hex('1'), head: hex('f'), rows: 1 }]]));
});
