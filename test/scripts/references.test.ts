/**
 * Every file of this repository that the docs, comments and tests name by path exists:
 * after a move or a rename, a stale reference fails here instead of misleading a reader.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT } from '../helpers/build.js';

/** A repository path (src/…, docs/…) with a known ending, or a Markdown file named in capitals. */
const PATH =
  /(?<![\w./@-])((?:src|test|scripts|docs|site|bin|images)\/[\w./-]+\.(?:ts|mjs|js|md|sh|json|conf|service|timer|cron|njk|css|png)|[A-Z][A-Z-]+\.md)\b/g;

test('every repository path named in docs, comments and tests exists', () => {
  const tracked = execFileSync(
    'git',
    ['ls-files', 'src', 'test', 'scripts', 'docs', 'site', 'bin', 'README.md', 'CHANGELOG.md'],
    { cwd: ROOT, encoding: 'utf8' },
  )
    .split('\n')
    .filter((f) => f !== '' && (!f.startsWith('test/fixtures/') || f.endsWith('.md')));
  const missing: string[] = [];
  for (const file of tracked) {
    for (const m of readFileSync(join(ROOT, file), 'utf8').matchAll(PATH)) {
      const named = m[1] as string;
      if (!existsSync(join(ROOT, named)) && !existsSync(join(ROOT, 'docs', named))) missing.push(`${file}: ${named}`);
    }
  }
  assert.ok(tracked.length > 100, `git ls-files found ${tracked.length} files`);
  assert.deepEqual([...new Set(missing)], []);
});
