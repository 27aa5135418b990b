import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setBounded } from '../../src/core/memo.js';

describe('setBounded', () => {
  test('sets and returns the value; below the bound the other entries stay', () => {
    const map = new Map([['a', 1]]);
    assert.equal(setBounded(map, 'b', 2, 3), 2);
    assert.equal(setBounded(map, 'a', 5, 3), 5, 'a key replaced');
    assert.deepEqual(
      [...map],
      [
        ['a', 5],
        ['b', 2],
      ],
    );
  });

  test('at the bound the map starts over with the new entry alone', () => {
    const map = new Map([
      ['a', 1],
      ['b', 2],
      ['c', 3],
    ]);
    assert.equal(setBounded(map, 'd', 4, 3), 4);
    assert.deepEqual([...map], [['d', 4]]);
  });
});
