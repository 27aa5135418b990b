/**
 * Which whole-history export files (the views "all" and "ended" over all users) a build
 * writes, made of which days, and which of them must be written again. Each file is a
 * day's rows after another's, newest day first (src/app/whole-history.ts keeps each day's
 * piece and where it lies in the file). The CSV holds every row; a workbook holds at most
 * a sheet's rows (Excel's 1,048,576 with the header), so a view with more rows is split
 * into one workbook per year, and a year with more than that holds its newest days only.
 */
import { exportFileName, yearFileName } from './export-names.js';

export type WholeStatus = 'all' | 'ended';
export const WHOLE_STATUSES: readonly WholeStatus[] = ['all', 'ended'];

/** The rows a day has in each view. */
export interface DayCount {
  day: string;
  all: number;
  ended: number;
}

export interface WholeFile {
  /** Relative to the output folder. */
  file: string;
  status: WholeStatus;
  ext: 'csv' | 'xlsx';
  /** The year of a year's workbook; null for a file of the whole view. */
  year: string | null;
  /** Newest first. */
  days: string[];
  rows: number;
  /** Rows of the view (of its year) that the file leaves out: a year with more than a sheet holds. */
  leftOut: number;
}

/** The files of the views; `days` newest first, `rowsMax` the data rows a sheet holds. */
export function planWholeFiles(days: readonly DayCount[], rowsMax: number): WholeFile[] {
  const files: WholeFile[] = [];
  for (const status of WHOLE_STATUSES) {
    const withRows = days.filter((d) => d[status] > 0);
    const rows = withRows.reduce((n, d) => n + d[status], 0);
    const all = withRows.map((d) => d.day);
    files.push({
      file: `exports/${exportFileName(null, status, 'csv')}`,
      status,
      ext: 'csv',
      year: null,
      days: all,
      rows,
      leftOut: 0,
    });
    if (rows <= rowsMax) {
      files.push({
        file: `exports/${exportFileName(null, status, 'xlsx')}`,
        status,
        ext: 'xlsx',
        year: null,
        days: all,
        rows,
        leftOut: 0,
      });
      continue;
    }
    for (const [year, list] of byYear(withRows)) files.push(yearFile(status, year, list, rowsMax));
  }
  return files;
}

/** Days grouped by year, in the order given (newest first). */
function byYear(days: readonly DayCount[]): Map<string, DayCount[]> {
  const years = new Map<string, DayCount[]>();
  for (const d of days) {
    const year = d.day.slice(0, 4);
    const list = years.get(year);
    if (list === undefined) years.set(year, [d]);
    else list.push(d);
  }
  return years;
}

/** A year's workbook: its newest days, as many as fit a sheet whole. */
function yearFile(status: WholeStatus, year: string, days: readonly DayCount[], rowsMax: number): WholeFile {
  const kept: string[] = [];
  let rows = 0;
  let leftOut = 0;
  for (const d of days) {
    if (leftOut === 0 && rows + d[status] <= rowsMax) {
      kept.push(d.day);
      rows += d[status];
    } else leftOut += d[status];
  }
  return { file: `exports/${yearFileName(status, year)}`, status, ext: 'xlsx', year, days: kept, rows, leftOut };
}

/** What the last build wrote of a file: its days, in order. */
export interface WrittenFile {
  days: readonly string[];
}

/**
 * The files to write: those not written before (or no longer as they were), those whose
 * days are not the ones they hold, and those holding a day whose rows changed in their
 * view and format (`changedDays` of the file).
 */
export function filesToWrite(
  planned: readonly WholeFile[],
  written: ReadonlyMap<string, WrittenFile>,
  changedDays: (f: WholeFile) => ReadonlySet<string>,
): WholeFile[] {
  return planned.filter((f) => {
    const before = written.get(f.file);
    if (before === undefined || before.days.length !== f.days.length) return true;
    const changed = changedDays(f);
    return f.days.some((day, i) => before.days[i] !== day || changed.has(day));
  });
}
