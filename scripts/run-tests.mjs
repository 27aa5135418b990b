#!/usr/bin/env node
// Runs every *.test.ts below the given folders (and the test files given) with Node's test
// runner (TypeScript via tsx).
// Node 20's --test does not expand globs itself, hence this small walker.
//
// test/system (real OpenVPN, nginx; slow, needs root) is left out when walking a folder
// above it: `npm test` skips it, `npm run test:system` names it. --concurrency=N sets how
// many test files run at once (default 2). TEST_REPORTER=tap (or dot) picks another reporter.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

const args = process.argv.slice(2);
const concurrency = args.find((a) => a.startsWith('--concurrency='))?.slice('--concurrency='.length) ?? '2';
if (!/^[1-9]\d*$/.test(concurrency)) {
  console.error(`run-tests: --concurrency must be a positive number, not "${concurrency}"`);
  process.exit(2);
}
const roots = args.filter((a) => !a.startsWith('--'));
const SYSTEM = resolve('test', 'system');
const files = [];
const walk = (dir) => {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) {
      if (name !== 'fixtures' && name !== 'node_modules' && resolve(p) !== SYSTEM) walk(p);
    } else if (name.endsWith('.test.ts')) files.push(p);
  }
};
// A folder is walked; a test file named directly runs as it is (test/system ones too).
for (const r of roots.length ? roots : ['test']) {
  if (statSync(r).isDirectory()) walk(r);
  else files.push(r);
}
if (files.length === 0) {
  console.error('run-tests: no test files found');
  process.exit(1);
}
// The spec reporter: one line per test, and the failures again, with their errors, at the end.
const reporter = process.env.TEST_REPORTER ?? 'spec';
const r = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, `--test-reporter=${reporter}`, ...files],
  { stdio: 'inherit' },
);
process.exit(r.status ?? 1);
