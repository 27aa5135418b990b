#!/usr/bin/env node
// Part of `npm run build`: bundles exceljs' streaming WorkbookWriter and the modules it
// requires (archiver, zip-stream, readable-stream, …: a few hundred files) into one file,
// dist/vendor/exceljs-workbook-writer.cjs. Loading it takes about 50 ms against 100–140 ms
// for the package's files one by one, in a cron run that writes workbooks most minutes
// (src/io/xlsx-export.ts loads it; run from the sources, tsx loads the package's file).
// The bundle keeps the packages' licence comments.
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { build } from 'esbuild';

const require = createRequire(import.meta.url);
const out = new URL('../dist/vendor/exceljs-workbook-writer.cjs', import.meta.url);
const result = await build({
  entryPoints: [require.resolve('exceljs/lib/stream/xlsx/workbook-writer.js')],
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
