import assert from 'node:assert/strict';
import { setImmediate as tick } from 'node:timers/promises';
import { describe, test } from 'node:test';
import { fanOut } from '../../src/core/fan-out.js';

/** A source of 0..n-1 that counts how far it was read and whether it was closed. */
function counted(
  n: number,
  failAt = -1,
): { source: AsyncGenerator<number>; read: () => number; closed: () => boolean } {
  let read = 0;
  let closed = false;
  async function* source(): AsyncGenerator<number> {
    try {
      for (let i = 0; i < n; i++) {
        if (i === failAt) throw new Error(`source failed at ${i}`);
        read = i + 1;
        yield i;
      }
    } finally {
      closed = true;
    }
  }
  return { source: source(), read: () => read, closed: () => closed };
}

/** Reads an iterable to its end, yielding to the event loop after every item when `slow`. */
async function collect(
  rows: AsyncIterable<number>,
  slow = false,
  stopAt = Number.POSITIVE_INFINITY,
): Promise<number[]> {
  const out: number[] = [];
  for await (const r of rows) {
    if (out.length === stopAt) break;
    out.push(r);
    if (slow) for (let k = 0; k < 3; k++) await tick();
  }
  return out;
}

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

describe('fanOut', () => {
  test('every consumer gets every item in order, from one read of the source', async () => {
    const src = counted(1_000);
    const fan = fanOut(src.source, 3, 10);
    const got = await Promise.all([
      collect(fan.branches[0]!),
      collect(fan.branches[1]!, true),
      collect(fan.branches[2]!),
    ]);
    for (const g of got) assert.deepEqual(g, range(1_000));
    assert.equal(src.read(), 1_000);
    assert.equal(src.closed(), true);
  });

  test('a fast consumer waits for a slow one: the source is never read more than `ahead` past the slowest', async () => {
    const src = counted(500);
    const fan = fanOut(src.source, 2, 20);
    let furthest = 0;
    const slow = (async () => {
      const out: number[] = [];
      for await (const r of fan.branches[1]!) {
        out.push(r);
        furthest = Math.max(furthest, src.read() - out.length);
        for (let k = 0; k < 5; k++) await tick();
      }
      return out;
    })();
    const [fast, slowGot] = await Promise.all([collect(fan.branches[0]!), slow]);
    assert.deepEqual(fast, range(500));
    assert.deepEqual(slowGot, range(500));
    assert.ok(furthest <= 20, `read ${furthest} items past the slow consumer`);
    assert.ok(furthest >= 10, `the fast consumer ran ahead (${furthest} items)`);
  });

  test('a consumer that stops early holds nobody back; the source closes once all have stopped', async () => {
    const src = counted(10_000);
    const fan = fanOut(src.source, 2, 4);
    const [short, long] = await Promise.all([
      collect(fan.branches[0]!, false, 5),
      collect(fan.branches[1]!, false, 300),
    ]);
    assert.deepEqual(short, range(5));
    assert.deepEqual(long, range(300));
    assert.ok(src.read() <= 305, `source read ${src.read()} items`);
    assert.equal(src.closed(), true, 'closed when both stopped');
  });

  test('release() frees the others from a consumer that never started', async () => {
    const src = counted(100);
    const fan = fanOut(src.source, 2, 3);
    const reading = collect(fan.branches[0]!);
    await tick();
    await fan.release(1);
    assert.deepEqual(await reading, range(100));
    await fan.release(1);
    assert.equal(src.closed(), true);
  });

  test("the source's failure reaches every consumer, after the items before it", async () => {
    const src = counted(100, 42);
    const fan = fanOut(src.source, 2, 8);
    const seen: number[][] = [[], []];
    const results = await Promise.allSettled(
      [0, 1].map(async (i) => {
        for await (const r of fan.branches[i]!) seen[i]!.push(r);
      }),
    );
    for (const r of results) {
      assert.equal(r.status, 'rejected');
      assert.match(String((r as PromiseRejectedResult).reason), /source failed at 42/);
    }
    assert.deepEqual(seen, [range(42), range(42)]);
  });

  test('rejects nonsense counts', () => {
    const src = counted(1);
    assert.throws(() => fanOut(src.source, 0, 10), RangeError);
    assert.throws(() => fanOut(src.source, 2, 1), RangeError);
  });
});
