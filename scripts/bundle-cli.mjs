#!/usr/bin/env node
// Part of `npm run build`, after tsc: bundles the compiled CLI (dist/main.js, the
// modules it imports and the small packages they use: nunjucks, csv-parse, csv-stringify)
// into dist/bundle/. dist/cli.js loads it when it is there. Node then reads a few dozen
// files instead of about 150 on every cron run: `run --help` takes 130 ms against 175 ms
// here. Each command's modules stay a chunk of their own, loaded when it runs, and the
// large packages stay outside (Eleventy, jsdom and d3 load only for full builds and chart
// drawings; exceljs only where a workbook template must be made).
// The chunks lie one folder below dist/, as the modules do, so the paths they reckon from
// their own URL (../../site/, ../vendor/, ../render/) hold for both.
import { rmSync } from 'node:fs';
import { build } from 'esbuild';

const dist = new URL('../dist/', import.meta.url);
const out = new URL('bundle/', dist);
rmSync(out, { recursive: true, force: true });
await build({
  // The worker threads' entries (src/app/*-worker.ts) beside the chunks, where src/app/worker.ts looks for them.
  entryPoints: {
    main: new URL('main.js', dist).pathname,
    ...Object.fromEntries(
      ['chart-worker', 'full-build-worker'].map((name) => [name, new URL(`app/${name}.js`, dist).pathname]),
    ),
  },
  outdir: out.pathname,
  chunkNames: 'chunk-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['@11ty/eleventy', 'jsdom', 'd3', 'd3-*', 'exceljs', 'chokidar', 'fsevents'],
  // The CommonJS packages inside (nunjucks) call require(): give each chunk one.
  banner: {
    js: "import { createRequire as __ovswCreateRequire } from 'node:module';\nconst require = __ovswCreateRequire(import.meta.url);",
  },
  legalComments: 'inline',
  logLevel: 'warning',
});
