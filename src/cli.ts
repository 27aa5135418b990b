#!/usr/bin/env node
// The CLI's entry. Compiled, it runs the build's bundle of the CLI (scripts/bundle-cli.mjs:
// far fewer files to load on every cron run) when there is one
// made after the modules (a bare `tsc` leaves it behind them); else, and run from the
// sources, the modules themselves.
import { statSync } from 'node:fs';

type Main = typeof import('./main.js');
const mtime = (url: URL): number => statSync(url, { throwIfNoEntry: false })?.mtimeMs ?? Number.NaN;
const bundle = new URL('./bundle/main.js', import.meta.url);
const useBundle = mtime(bundle) >= mtime(new URL('./main.js', import.meta.url));
const { main } = (useBundle ? await import(bundle.href) : await import('./main.js')) as Main;

process.exitCode = await main(process.argv.slice(2));
