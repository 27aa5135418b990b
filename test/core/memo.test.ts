import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setBounded, WeightedMemo } from '../../src/core/memo.js';

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

describe('WeightedMemo', () => {
  // Each case: the bound, the [key, weight] set in order; the keys kept (oldest first) and their weight.
  const cases: { name: string; max: number; sets: [string, number][]; kept: string[]; weight: number }[] = [
    {
      name: 'below the bound all stay',
      max: 10,
      sets: [
        ['a', 3],
        ['b', 4],
      ],
      kept: ['a', 'b'],
      weight: 7,
    },
    {
      name: 'exactly the bound',
      max: 10,
      sets: [
        ['a', 3],
        ['b', 7],
      ],
      kept: ['a', 'b'],
      weight: 10,
    },
    {
      name: 'the oldest goes first',
      max: 10,
      sets: [
        ['a', 3],
        ['b', 4],
        ['c', 5],
      ],
      kept: ['b', 'c'],
      weight: 9,
    },
    {
      name: 'as many as needed go',
      max: 10,
      sets: [
        ['a', 3],
        ['b', 4],
        ['c', 9],
      ],
      kept: ['c'],
      weight: 9,
    },
    {
      name: 'one heavier than the bound is not kept',
      max: 10,
      sets: [
        ['a', 3],
        ['b', 11],
      ],
      kept: ['a'],
      weight: 3,
    },
    {
      name: 'setting a key again replaces it and makes it the newest',
      max: 10,
      sets: [
        ['a', 3],
        ['b', 4],
        ['a', 5],
        ['c', 2],
      ],
      kept: ['a', 'c'],
      weight: 7,
    },
    {
      name: 'a key set again too heavy is gone',
      max: 10,
      sets: [
        ['a', 3],
        ['a', 12],
      ],
      kept: [],
      weight: 0,
    },
    {
      name: 'empty values weigh nothing',
      max: 2,
      sets: [
        ['a', 0],
        ['b', 2],
        ['c', 0],
      ],
      kept: ['a', 'b', 'c'],
      weight: 2,
    },
    {
      name: 'many days of a full build: never more than the bound',
      max: 1000,
      sets: Array.from({ length: 730 }, (_, i): [string, number] => [`d${i}`, 137 + (i % 5)]),
      kept: ['d723', 'd724', 'd725', 'd726', 'd727', 'd728', 'd729'],
      weight: 140 + 141 + 137 + 138 + 139 + 140 + 141,
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const memo = new WeightedMemo<string, number[]>(c.max, (v) => v.length);
      for (const [key, weight] of c.sets) {
        const value = new Array<number>(weight).fill(0);
        assert.equal(memo.set(key, value), value, 'set returns the value');
        assert.ok(memo.weight <= c.max, `after ${key}: ${memo.weight} > ${c.max}`);
      }
      assert.deepEqual(memo.keys(), c.kept);
      assert.equal(memo.weight, c.weight);
      for (const key of c.kept) assert.equal(memo.get(key)?.length, c.sets.findLast(([k]) => k === key)?.[1]);
    });
  }
});
