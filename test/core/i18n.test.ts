/** The labels: every counted phrase has its singular, in both languages. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LABELS } from '../../src/core/i18n.js';

test('every phrase with a count ({n}) has a form for exactly one (…One), in German and English', () => {
  for (const [lang, labels] of Object.entries(LABELS)) {
    const all = labels as unknown as Record<string, string>;
    const counted = Object.keys(all).filter((k) => all[k]?.includes('{n}') && !k.endsWith('One'));
    assert.ok(counted.length >= 3, `${lang}: the counted phrases (${counted.join(', ')})`);
    for (const key of counted) {
      const one = all[`${key}One`];
      assert.ok(one?.includes('{n}'), `${lang}: ${key} has ${key}One with the count`);
      assert.notEqual(one, all[key], `${lang}: ${key}One differs from the plural`);
    }
    for (const key of Object.keys(all).filter((k) => k.endsWith('One'))) {
      assert.ok(all[key.slice(0, -3)] !== undefined, `${lang}: ${key} belongs to a plural`);
    }
  }
});
