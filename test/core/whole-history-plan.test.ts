/** Which whole-history files there are, of which days, and which a build writes again. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { filesToWrite, planWholeFiles, type DayCount } from '../../src/core/whole-history-plan.js';

const d = (day: string, all: number, ended = all): DayCount => ({ day, all, ended });
const brief = (files: ReturnType<typeof planWholeFiles>) =>
  files.map((f) => `${f.file} ${f.days.join(',')} rows=${f.rows}${f.leftOut ? ` leftOut=${f.leftOut}` : ''}`);

test('planWholeFiles: a CSV of every row per view; one workbook while it fits a sheet, else one per year', () => {
  const cases: { name: string; days: DayCount[]; max: number; want: string[] }[] = [
    {
      name: 'no history: empty files',
      days: [],
      max: 10,
      want: [
        'exports/openvpn-history_all_all.csv  rows=0',
        'exports/openvpn-history_all_all.xlsx  rows=0',
        'exports/openvpn-history_all_ended.csv  rows=0',
        'exports/openvpn-history_all_ended.xlsx  rows=0',
      ],
    },
    {
      name: 'fits; a day with open sessions only is not in "ended"',
      days: [d('2026-01-02', 2, 0), d('2026-01-01', 3)],
      max: 5,
      want: [
        'exports/openvpn-history_all_all.csv 2026-01-02,2026-01-01 rows=5',
        'exports/openvpn-history_all_all.xlsx 2026-01-02,2026-01-01 rows=5',
        'exports/openvpn-history_all_ended.csv 2026-01-01 rows=3',
        'exports/openvpn-history_all_ended.xlsx 2026-01-01 rows=3',
      ],
    },
    {
      name: 'one row too many for "all": a workbook per year; "ended" still fits',
      days: [d('2026-01-02', 2, 0), d('2026-01-01', 3), d('2025-12-31', 1)],
      max: 5,
      want: [
        'exports/openvpn-history_all_all.csv 2026-01-02,2026-01-01,2025-12-31 rows=6',
        'exports/openvpn-history_all_all_2026.xlsx 2026-01-02,2026-01-01 rows=5',
        'exports/openvpn-history_all_all_2025.xlsx 2025-12-31 rows=1',
        'exports/openvpn-history_all_ended.csv 2026-01-01,2025-12-31 rows=4',
        'exports/openvpn-history_all_ended.xlsx 2026-01-01,2025-12-31 rows=4',
      ],
    },
    {
      name: 'a year over a sheet: its newest whole days, the rest left out (and said)',
      days: [d('2026-03-01', 2), d('2026-02-01', 2), d('2026-01-01', 2), d('2025-06-01', 1)],
      max: 5,
      want: [
        'exports/openvpn-history_all_all.csv 2026-03-01,2026-02-01,2026-01-01,2025-06-01 rows=7',
        'exports/openvpn-history_all_all_2026.xlsx 2026-03-01,2026-02-01 rows=4 leftOut=2',
        'exports/openvpn-history_all_all_2025.xlsx 2025-06-01 rows=1',
        'exports/openvpn-history_all_ended.csv 2026-03-01,2026-02-01,2026-01-01,2025-06-01 rows=7',
        'exports/openvpn-history_all_ended_2026.xlsx 2026-03-01,2026-02-01 rows=4 leftOut=2',
        'exports/openvpn-history_all_ended_2025.xlsx 2025-06-01 rows=1',
      ],
    },
  ];
  for (const c of cases) assert.deepEqual(brief(planWholeFiles(c.days, c.max)), c.want, c.name);
});

test('filesToWrite: new files, files whose days moved, and files holding a changed day', () => {
  const days = [d('2026-01-03', 1), d('2026-01-02', 1), d('2026-01-01', 1)];
  const planned = planWholeFiles(days, 10);
  const all = new Map(planned.map((f) => [f.file, { days: f.days }]));
  const names = (files: ReturnType<typeof filesToWrite>) =>
    files.map((f) => f.file.replace('exports/openvpn-history_', ''));
  const cases: { name: string; written: Map<string, { days: string[] }>; changed: string[]; want: string[] }[] = [
    { name: 'nothing changed', written: all, changed: [], want: [] },
    {
      name: 'a day changed',
      written: all,
      changed: ['2026-01-02'],
      want: ['all_all.csv', 'all_all.xlsx', 'all_ended.csv', 'all_ended.xlsx'],
    },
    { name: 'a changed day no file holds', written: all, changed: ['2025-01-01'], want: [] },
    {
      name: 'never written',
      written: new Map([...all].filter(([f]) => !f.endsWith('all_all.xlsx'))),
      changed: [],
      want: ['all_all.xlsx'],
    },
    {
      name: 'a new day: the list differs',
      written: new Map([...all].map(([f, w]) => [f, { days: w.days.slice(1) }])),
      changed: [],
      want: ['all_all.csv', 'all_all.xlsx', 'all_ended.csv', 'all_ended.xlsx'],
    },
    {
      name: 'the same number of days, another one',
      written: new Map([...all].map(([f, w]) => [f, { days: [...w.days.slice(0, 2), '2025-12-31'] }])),
      changed: [],
      want: ['all_all.csv', 'all_all.xlsx', 'all_ended.csv', 'all_ended.xlsx'],
    },
  ];
  for (const c of cases)
    assert.deepEqual(names(filesToWrite(planned, c.written, () => new Set(c.changed))), c.want, c.name);
});
