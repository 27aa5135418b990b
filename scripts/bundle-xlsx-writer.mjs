#!/usr/bin/env node
// Part of `npm run build`: bundles exceljs' streaming WorkbookWriter and the modules it
// requires (archiver, zip-stream, readable-stream, …: a few hundred files) into one file,
// dist/vendor/exceljs-workbook-writer.cjs. Loading it takes about 50 ms against 100–140 ms
// for the package's files one by one, in a cron run that writes workbooks most minutes
// (src/io/xlsx-export.ts loads it; run from the sources, tsx loads the package's file).
// The bundle keeps the packages' licence comments.
//
// archiver and the packages under it are most of the bundle (about 800 of its 1,000 KB,
// 40 ms of its 65 ms to load here), and a workbook built in memory does not use them
// (src/io/xlsx-export.ts gives it a MemoryZip): in the bundle, the writer's
// require('archiver') gets a stand-in that loads archiver on the first workbook that
// streams, and for one built in memory (zip option `memoryZip: true`) returns a zip that
// does nothing until MemoryZip takes its place.
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { build } from 'esbuild';

const require = createRequire(import.meta.url);
const out = new URL('../dist/vendor/exceljs-workbook-writer.cjs', import.meta.url);
const WRITER = require.resolve('exceljs/lib/stream/xlsx/workbook-writer.js');
const LAZY_ARCHIVER = `
let archiver = null;
module.exports = function lazyArchiver(format, options) {
  if (options && options.memoryZip === true) return { pipe() {}, unpipe() {} };
  if (archiver === null) archiver = require('archiver');
  return archiver(format, options);
};
`;
const lazyArchiver = {
  name: 'lazy-archiver',
  setup(b) {
    b.onResolve({ filter: /^archiver$/ }, (args) =>
      args.importer === WRITER ? { path: 'lazy-archiver', namespace: 'ovsw' } : undefined,
    );
    b.onLoad({ filter: /^lazy-archiver$/, namespace: 'ovsw' }, () => ({
      contents: LAZY_ARCHIVER,
      resolveDir: dirname(WRITER),
      loader: 'js',
    }));
  },
};
const result = await build({
  entryPoints: [WRITER],
  plugins: [lazyArchiver],
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  legalComments: 'inline',
  logLevel: 'warning',
  write: false,
});
let code = result.outputFiles[0].text;
// archiver-utils calls the deprecated `new Buffer()`. Node lets that pass silently in
// node_modules but warns (DEP0005, on stderr: a mail from cron) anywhere else, such as here.
const SAFE = '__ovswBuffer';
code = code.replace(/\bnew Buffer\(/g, `${SAFE}(`);
const left = code.match(/(?<![.\w$])Buffer\(/g);
if (left) throw new Error(`bundle-xlsx-writer: ${left.length} call(s) of Buffer() without new left in the bundle`);
code = `function ${SAFE}(value, encoding) { return typeof value === 'number' ? Buffer.alloc(value) : Buffer.from(value, encoding); }\n${code}`;
mkdirSync(new URL('.', out), { recursive: true });
writeFileSync(out, code);
