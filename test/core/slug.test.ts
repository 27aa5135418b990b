import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { longUserSlug, planSlugs, userCacheName, userSlug } from '../../src/core/slug.js';
import { randomInt, seededRng } from '../helpers/random.js';

const SAFE = /^[A-Za-z0-9_~-]+$/;
const PLAIN = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;

/** What every slug must be: safe characters, bounded, no dot segment, no climbing out. */
function assertSafe(user: string, slug: string): void {
  const what = `${JSON.stringify(user)} → ${JSON.stringify(slug)}`;
  assert.match(slug, SAFE, what);
  assert.ok(slug.length >= 1 && slug.length <= 60, what);
  assert.notEqual(slug, '.');
  assert.notEqual(slug, '..');
  // As a path segment it stays where it is put.
  assert.equal(new URL(`u/${slug}/`, 'http://x/').pathname, `/u/${slug}/`, what);
}

describe('userSlug', () => {
  test('plain names are kept as they are', () => {
    for (const user of [
      'alice',
      'flex-RN13P',
      'bob_jones',
      'A',
      '7',
      'x-',
      'a_',
      'a-b',
      'a--b',
      'User123',
      'a'.repeat(60),
    ]) {
      assert.equal(userSlug(user), user);
    }
  });

  const hostile: [string, string][] = [
    ['space', 'a b'],
    ['slash', 'a/b'],
    ['backslash', 'a\\b'],
    ['dot', '.'],
    ['dot dot', '..'],
    ['climbing', '../../etc/passwd'],
    ['leading dot', '.hidden'],
    ['dot inside', 'first.last'],
    ['umlauts', 'Jürgen Müller'],
    ['sharp s', 'Straße'],
    ['control characters', 'a\u0000b\nc\td\u007f'],
    ['script tag', '<script>alert(1)</script>'],
    ['quotes and ampersand', `O'Brien "x" & co`],
    ['percent escapes', '%2e%2e%2f'],
    ['question mark and hash', 'a?b#c'],
    ['501 characters', 'x'.repeat(501)],
    ['61 plain characters', 'a'.repeat(61)],
    ['500 slashes', '/'.repeat(500)],
    ['empty', ''],
    ['only spaces', '   '],
    ['only dashes', '---'],
    ['only underscores', '___'],
    ['leading dash', '-rf'],
    ['leading underscore', '_x'],
    ['tilde', 'a~b'],
    ['emoji', '🦊🦊'],
    ['CJK', '山田太郎'],
    ['right-to-left override', 'a\u202Eb'],
    ['lone surrogate', '\uD800'],
    ['proto', '__proto__'],
    ['email', 'alice@example.org'],
  ];
  for (const [name, user] of hostile) {
    test(`${name}: safe, bounded, marked by a hash`, () => {
      const slug = userSlug(user);
      assertSafe(user, slug);
      assert.notEqual(slug, user);
      assert.match(slug, /~[0-9a-f]{12}$/);
      assert.equal(userSlug(user), slug, 'deterministic');
    });
  }

  test('known answers: the readable part of a sanitised slug', () => {
    const base = (user: string): string => userSlug(user).replace(/~[0-9a-f]{12}$/, '');
    assert.equal(base('a b'), 'a-b');
    assert.equal(base('a/b'), 'a-b');
    assert.equal(base('../../etc/passwd'), 'etc-passwd');
    assert.equal(base('.hidden'), 'hidden');
    // Umlauts keep their letter.
    assert.equal(base('Jürgen Müller'), 'Jurgen-Muller');
    assert.equal(base('<script>alert(1)</script>'), 'script-alert-1-script');
    assert.equal(base('x'.repeat(500)), 'x'.repeat(40));
    for (const empty of ['', '.', '..', '   ', '---', '山田太郎', '🦊'])
      assert.equal(base(empty), 'user', JSON.stringify(empty));
  });

  test('names that sanitise alike get distinct slugs, none equal to a plain name', () => {
    const alike = [
      'a b',
      'a/b',
      'a\\b',
      'a.b',
      'a  b',
      ' a b',
      'a b ',
      'a\u0000b',
      'a\nb',
      'a~b',
      'a-b',
      'a_b',
      'a--b',
      'a-b~',
    ];
    const slugs = alike.map(userSlug);
    assert.equal(new Set(slugs).size, alike.length, slugs.join(' '));
    assert.equal(userSlug('a-b'), 'a-b');
    for (const [i, slug] of slugs.entries()) {
      const user = alike[i] as string;
      if (!PLAIN.test(user) || user.length > 60)
        assert.ok(slug.includes('~'), `${JSON.stringify(user)} is not plain, so its slug carries a hash`);
    }
  });

  test('a sanitised slug never equals a plain one: the hash mark "~" is not a plain character', () => {
    // Even a user whose name looks like a sanitised slug is not plain, so it is hashed again.
    const lookalike = userSlug('a b');
    assert.notEqual(userSlug(lookalike), lookalike);
    assert.equal(userSlug(userSlug(lookalike)).includes('~'), true);
  });

  test('distinct names in the same Unicode normal-form family stay distinct', () => {
    const composed = 'J\u00fcrgen'; // ü as one code point
    const decomposed = 'Ju\u0308rgen'; // u + combining diaeresis
    const compat = 'Ｊürgen'; // fullwidth J
    const slugs = [composed, decomposed, compat, 'Jurgen'].map(userSlug);
    assert.equal(new Set(slugs).size, 4, slugs.join(' '));
    assert.equal(slugs[3], 'Jurgen');
  });

  test('lone surrogates and the replacement character do not collide', () => {
    const users = ['\uD800', '\uDBFF', '\uDC00', '\uFFFD', 'x\uD800', 'x\uFFFD'];
    const slugs = users.map(userSlug);
    assert.equal(new Set(slugs).size, users.length, slugs.join(' '));
  });

  test('case is kept: "Alice" and "alice" are two users with two slugs', () => {
    assert.equal(userSlug('Alice'), 'Alice');
    assert.notEqual(userSlug('Alice'), userSlug('alice'));
  });

  test('property: seeded random names are safe, deterministic and collision-free', () => {
    const rng = seededRng(7);
    const alphabet = [
      'a',
      'b',
      'Z',
      '0',
      '9',
      '-',
      '_',
      '.',
      '/',
      ' ',
      '~',
      'ü',
      'ß',
      '\u0000',
      '\u0308',
      '<',
      '>',
      '%',
      '\uD83E',
      '\uDD8A',
      '山',
      '\\',
      '"',
      "'",
    ];
    const seen = new Map<string, string>();
    for (let i = 0; i < 5000; i++) {
      const len = randomInt(rng, 0, randomInt(rng, 0, 5) === 0 ? 120 : 8);
      let user = '';
      for (let j = 0; j < len; j++) user += alphabet[randomInt(rng, 0, alphabet.length - 1)];
      const slug = userSlug(user);
      assertSafe(user, slug);
      assert.equal(userSlug(user), slug);
      if (PLAIN.test(user) && user.length <= 60) assert.equal(slug, user);
      const other = seen.get(slug);
      if (other !== undefined)
        assert.equal(other, user, `${JSON.stringify(other)} and ${JSON.stringify(user)} share ${slug}`);
      seen.set(slug, user);
    }
    assert.ok(seen.size > 3000, `enough distinct names were tried: ${seen.size}`);
  });

  test('48 bits: two names whose 32-bit hashes collided get distinct slugs', () => {
    const a = userSlug('Max]#]!Muster');
    const b = userSlug('Max>(~&Muster');
    assert.notEqual(a, b);
    assert.match(a, /^Max-Muster~[0-9a-f]{12}$/);
    assert.match(b, /^Max-Muster~[0-9a-f]{12}$/);
  });
});

describe('planSlugs', () => {
  const users = ['alice', 'Max]#]!Muster', 'Max>(~&Muster', 'Jürgen', '__proto__'];

  test('no clash: nobody gets another slug', () => {
    assert.deepEqual(planSlugs(users), { slugs: new Map(), clashes: [] });
  });

  test('a forced clash does not throw: the users that share a slug get the long form, the others keep theirs', () => {
    // Injected: every name that is not plain hashes alike.
    const short = (u: string): string => (/^[a-z]+$/.test(u) ? u : 'Max-Muster~51af6008');
    const plan = planSlugs([...users, 'alice'], short);
    assert.deepEqual(plan.clashes, [
      { slug: 'Max-Muster~51af6008', users: ['Jürgen', 'Max>(~&Muster', 'Max]#]!Muster', '__proto__'] },
    ]);
    assert.deepEqual([...plan.slugs.keys()].sort(), ['Jürgen', 'Max>(~&Muster', 'Max]#]!Muster', '__proto__']);
    for (const [user, slug] of plan.slugs) {
      assert.equal(slug, longUserSlug(user));
      assertSafe(user, slug.slice(0, 60));
    }
    assert.equal(new Set([...plan.slugs.values(), 'alice']).size, 5, 'all distinct');
    assert.deepEqual(planSlugs([...users].reverse(), short), plan, 'the same whatever the order');
  });

  test('when the long forms clash too, ~2, ~3 follow in sorted order', () => {
    const plan = planSlugs(
      ['b', 'a', 'c', 'x'],
      (u) => (u === 'x' ? 'x' : 'same'),
      (u) => (u === 'c' ? 'other' : 'long'),
    );
    assert.deepEqual([...plan.slugs].sort(), [
      ['a', 'long'],
      ['b', 'long~2'],
      ['c', 'other'],
    ]);
  });

  test('cache names: plain names as they are, others with 128 bits of hash', () => {
    assert.equal(userCacheName('alice'), 'alice');
    assert.match(userCacheName('Max]#]!Muster'), /^Max-Muster~[0-9a-f]{32}$/);
    assert.notEqual(userCacheName('Max]#]!Muster'), userCacheName('Max>(~&Muster'));
  });
});
