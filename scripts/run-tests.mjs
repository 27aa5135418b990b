#!/usr/bin/env node
// Runs every *.test.ts below the given folders with Node's test runner (TypeScript via tsx).
// Node 20's --test does not expand globs itself, hence this small walker.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const roots = process.argv.slice(2);
const files = [];
const walk = (dir) => {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) {
      if (name !== 'fixtures' && name !== 'node_modules') walk(p);
    } else if (name.endsWith('.test.ts')) files.push(p);
  }
};
for (const r of roots.length ? roots : ['test']) walk(r);
if (files.length === 0) {
  console.error('run-tests: no test files found');
  process.exit(1);
}
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', ...files], { stdio: 'inherit' });
process.exit(r.status ?? 1);
