// Child process of `npm run bench -- X`: writes one export file of synthetic sessions with
// the compiled modules in dist/ (what the site build runs), and prints on stdout
// `{"wallMs":…,"cpuMs":…,"rowsMs":…,"bytes":…,"rows":…,"written":…}`: wall and CPU time of
// the writer (export rows in, file on disk, exceljs' loading included), and apart from it
// the time exportRows took to make the rows from the sessions. The generation of the
// sessions, which stand in for the history the build already holds, is not timed.
//
//   node --import ./scripts/lib/report-rss.mjs scripts/lib/bench-export.mjs DIST OUT FORMAT COUNT USERS SEED
//
// FORMAT is xlsx or csv. The peak RSS that report-rss.mjs records covers the whole process,
// sessions included.
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';

const [dist, out, format, count, users, seed] = process.argv.slice(2);
if (!dist || !out || (format !== 'xlsx' && format !== 'csv') || !count || !users || !seed) {
  throw new Error(
    `usage: bench-export.mjs DIST OUT xlsx|csv COUNT USERS SEED (got ${process.argv.slice(2).join(' ')})`,
  );
}
const load = (path) => import(pathToFileURL(join(dist, path)).href);
const { syntheticSessions } = await load('demo/synthetic.js');
const { exportRows } = await load('core/export-rows.js');
const { writeXlsx } = await load('io/xlsx-export.js');
const { writeCsv } = await load('io/csv-export.js');

const now = '2026-11-26T12:00:00Z';
const sessions = syntheticSessions({
  count: Number(count),
  users: Number(users),
  endAt: now,
  spanDays: 365,
  seed: Number(seed),
});
const ctx = { lang: 'de', timeZone: 'Europe/Berlin', aliasOf: () => null, now };

// The rows are the build's work (like formatting a page), timed apart; the figure that
// counts against the goal is the writer's: rows in, file on disk.
const rowsStarted = performance.now();
const rows = exportRows(sessions, ctx);
const rowsMs = performance.now() - rowsStarted;
const started = performance.now();
const cpu = process.cpuUsage();
const write = format === 'xlsx' ? writeXlsx : writeCsv;
const result = await write(out, rows, { lang: 'de' });
const used = process.cpuUsage(cpu);
process.stdout.write(
  `${JSON.stringify({ wallMs: performance.now() - started, cpuMs: (used.user + used.system) / 1000, rowsMs, bytes: result.bytes, rows: result.rows, written: result.written })}\n`,
);
