/** The pure decisions of the export files: which users and days are written or removed. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { planExports } from '../../src/app/exports.js';

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
        gone: [
          ...userFiles('carol'),
          'exports/days/openvpn-history_2026-11-20.xlsx',
          'exports/days/openvpn-history_2026-11-20.csv',
        ],
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
