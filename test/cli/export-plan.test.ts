/** The pure decisions of the export files: which users and days are written or removed, and when the big files are. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BIG_EVERY_S, planExports, planWholeHistory, type ExportsManifest } from '../../src/app/exports.js';

const userFiles = (u: string): string[] =>
  ['all', 'active', 'ended'].flatMap((s) => [
    `exports/openvpn-history_${u}_${s}.xlsx`,
    `exports/openvpn-history_${u}_${s}.csv`,
  ]);

test('planExports: changed users and days (all on a full build) are written; changed ones that are gone are removed', () => {
  const users = ['alice', 'bob'];
  const days = ['2026-11-26', '2026-11-25'];
  const cases: {
    name: string;
    full: boolean;
    changedUsers: string[];
    changedDays: string[];
    want: ReturnType<typeof planExports>;
  }[] = [
    {
      name: 'nothing changed',
      full: false,
      changedUsers: [],
      changedDays: [],
      want: { users: [], days: [], gone: [] },
    },
    {
      name: 'one user, one day',
      full: false,
      changedUsers: ['bob'],
      changedDays: ['2026-11-25'],
      want: { users: ['bob'], days: ['2026-11-25'], gone: [] },
    },
    {
      name: 'a user and a day that are gone',
      full: false,
      changedUsers: ['carol', 'alice'],
      changedDays: ['2026-11-20', '2026-11-26'],
      want: {
        users: ['alice'],
        days: ['2026-11-26'],
        gone: [...userFiles('carol'), 'exports/days/openvpn-history_2026-11-20.xlsx'],
      },
    },
    // Full: every user and day in the input's order; the gone files are found on disk instead.
    { name: 'full', full: true, changedUsers: [], changedDays: [], want: { users, days, gone: [] } },
    {
      name: 'full, with gone ones',
      full: true,
      changedUsers: ['carol'],
      changedDays: ['2026-11-20'],
      want: { users, days, gone: [] },
    },
    // Changed users come in the order they were changed, not the users' order.
    {
      name: 'order',
      full: false,
      changedUsers: ['bob', 'alice'],
      changedDays: [],
      want: { users: ['bob', 'alice'], days: [], gone: [] },
    },
  ];
  for (const c of cases) {
    const got = planExports({
      full: c.full,
      users,
      days,
      changedUsers: new Set(c.changedUsers),
      changedDays: new Set(c.changedDays),
    });
    assert.deepEqual(got, c.want, c.name);
  }
});

test('planWholeHistory: written on a full build, or when a change waits and the last write is BIG_EVERY_S old', () => {
  const now = '2026-11-26T16:00:00Z';
  const ago = (s: number): string => new Date(Date.parse(now) - s * 1000).toISOString().replace('.000Z', 'Z');
  const m = (bigAt: string | null, bigPending: boolean): ExportsManifest => ({ bigAt, bigPending });
  const cases: {
    name: string;
    m: ExportsManifest;
    full: boolean;
    changedDays: number;
    want: { write: boolean; pending: boolean };
  }[] = [
    { name: 'never written', m: m(null, true), full: false, changedDays: 0, want: { write: true, pending: true } },
    {
      name: 'never written, nothing waits',
      m: m(null, false),
      full: false,
      changedDays: 0,
      want: { write: false, pending: false },
    },
    { name: 'quiet', m: m(ago(3600), false), full: false, changedDays: 0, want: { write: false, pending: false } },
    {
      name: 'a change, due',
      m: m(ago(BIG_EVERY_S), false),
      full: false,
      changedDays: 1,
      want: { write: true, pending: true },
    },
    {
      name: 'a change, not due',
      m: m(ago(BIG_EVERY_S - 1), false),
      full: false,
      changedDays: 2,
      want: { write: false, pending: true },
    },
    {
      name: 'a waiting change, due',
      m: m(ago(BIG_EVERY_S + 1), true),
      full: false,
      changedDays: 0,
      want: { write: true, pending: true },
    },
    {
      name: 'a waiting change, not due',
      m: m(ago(60), true),
      full: false,
      changedDays: 0,
      want: { write: false, pending: true },
    },
    {
      name: 'full, just written',
      m: m(ago(0), false),
      full: true,
      changedDays: 0,
      want: { write: true, pending: true },
    },
  ];
  for (const c of cases) assert.deepEqual(planWholeHistory(c.m, now, c.full, c.changedDays), c.want, c.name);
});
