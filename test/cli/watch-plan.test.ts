/** The watch loop's pure decisions: which folders to watch, and how long to wait before a run. */
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { test } from 'node:test';
import { runDelayMs, watchedFolders, WATCH_DEFAULTS } from '../../src/app/watch.js';

test('watchedFolders: one entry per folder, holding the base names that matter there', () => {
  const cases: { paths: string[]; want: Record<string, string[]> }[] = [
    { paths: [], want: {} },
    { paths: ['/run/openvpn/a.status'], want: { '/run/openvpn': ['a.status'] } },
    { paths: ['/run/openvpn/a.status', '/run/openvpn/b.status'], want: { '/run/openvpn': ['a.status', 'b.status'] } },
    { paths: ['/run/a/s.status', '/run/b/s.status'], want: { '/run/a': ['s.status'], '/run/b': ['s.status'] } },
    // The same file named twice, once through "..": one name in one folder.
    { paths: ['/run/a/s.status', '/run/x/../a/s.status'], want: { '/run/a': ['s.status'] } },
    { paths: ['rel/s.status'], want: { [resolve('rel')]: ['s.status'] } },
  ];
  for (const { paths, want } of cases) {
    const got = Object.fromEntries([...watchedFolders(paths)].map(([dir, names]) => [dir, [...names]]));
    assert.deepEqual(got, want, paths.join(', '));
  }
});

test('runDelayMs: the debounce, cut short to keep a run within maxDelayMs of the first event', () => {
  const opts = { debounceMs: 200, maxDelayMs: 1000 };
  const cases: { now: number; first: number; want: number }[] = [
    { now: 5000, first: 5000, want: 200 }, // the first event: a full debounce
    { now: 5700, first: 5000, want: 200 }, // still room for a full debounce
    { now: 5800, first: 5000, want: 200 }, // exactly enough room
    { now: 5900, first: 5000, want: 100 }, // cut short to the deadline
    { now: 6000, first: 5000, want: 0 }, // at the deadline: now
    { now: 7500, first: 5000, want: 0 }, // past it (a slow timer): now, never negative
  ];
  for (const { now, first, want } of cases)
    assert.equal(runDelayMs(now, first, opts), want, `now ${now}, first ${first}`);
  assert.equal(runDelayMs(0, 0, WATCH_DEFAULTS), WATCH_DEFAULTS.debounceMs);
});
