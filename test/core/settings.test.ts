import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { UsageError } from '../../src/core/errors.js';
import {
  DEFAULTS,
  parseStatusSpec,
  resolveSettings,
  statusFromConfig,
  validateConfig,
} from '../../src/core/settings.js';

const usage = (fn: () => unknown, re: RegExp) =>
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof UsageError, String(e));
    assert.match(e.message, re);
    return true;
  });

describe('settings', () => {
  test('seed-compatible defaults', () => {
    const s = resolveSettings({}, {}, '', 'Europe/Berlin');
    assert.deepEqual(s.status, [{ instance: 'default', path: '/var/log/openvpn-status.log' }]);
    assert.equal(s.history, '/var/log/openvpn-sessions.csv');
    assert.equal(s.aliases, '/var/log/openvpn-aliases.json');
    assert.equal(s.tz, 'Europe/Berlin', 'the system zone');
    assert.equal(s.lang, 'de');
    assert.equal(s.staleAfter, 300);
    assert.equal(s.lockTimeout, 10);
    assert.equal(s.title, DEFAULTS.title);
  });

  test('the system zone is read only when neither flag nor config names one', () => {
    let asked = 0;
    const system = (): string => {
      asked++;
      return 'Europe/Berlin';
    };
    assert.equal(resolveSettings({ tz: 'UTC' }, {}, '', system).tz, 'UTC');
    assert.equal(
      resolveSettings({}, validateConfig({ tz: 'Asia/Tokyo' }, 'c.json'), 'c.json', system).tz,
      'Asia/Tokyo',
    );
    assert.equal(asked, 0, 'not read');
    assert.equal(resolveSettings({}, {}, '', system).tz, 'Europe/Berlin');
    assert.equal(asked, 1, 'read once');
  });

  test('flags > config file > defaults', () => {
    const config = validateConfig(
      {
        status: { udp: '/run/openvpn/udp.status', tcp: '/run/openvpn/tcp.status' },
        history: '/srv/h.csv',
        aliases: '/srv/aliases.json',
        out: '/srv/www',
        tz: 'America/New_York',
        lang: 'en',
        staleAfter: 120,
        lockTimeout: 3,
        title: 'VPN',
      },
      'c.json',
    );
    const fromConfig = resolveSettings({}, config, 'c.json', 'UTC');
    assert.deepEqual(fromConfig, {
      status: [
        { instance: 'udp', path: '/run/openvpn/udp.status' },
        { instance: 'tcp', path: '/run/openvpn/tcp.status' },
      ],
      history: '/srv/h.csv',
      aliases: '/srv/aliases.json',
      out: '/srv/www',
      tz: 'America/New_York',
      lang: 'en',
      staleAfter: 120,
      lockTimeout: 3,
      title: 'VPN',
    });
    const flags = resolveSettings(
      {
        status: ['/tmp/s.log'],
        history: '/tmp/h.csv',
        aliases: '/tmp/a.json',
        out: '/tmp/out',
        tz: 'UTC',
        lang: 'de',
        staleAfter: '60',
      },
      config,
      'c.json',
      'Asia/Tokyo',
    );
    assert.deepEqual(flags.status, [{ instance: 'default', path: '/tmp/s.log' }]);
    assert.equal(flags.history, '/tmp/h.csv');
    assert.equal(flags.aliases, '/tmp/a.json');
    assert.equal(flags.out, '/tmp/out');
    assert.equal(flags.tz, 'UTC');
    assert.equal(flags.lang, 'de');
    assert.equal(flags.staleAfter, 60);
    assert.equal(flags.lockTimeout, 3, 'no flag: from the config');
    // An empty --status list is no flag.
    assert.equal(resolveSettings({ status: [] }, config, 'c.json', 'UTC').status.length, 2);
  });

  test('--status [NAME=]FILE', () => {
    assert.deepEqual(parseStatusSpec('udp=/run/openvpn/udp.status', '--status'), {
      instance: 'udp',
      path: '/run/openvpn/udp.status',
    });
    assert.deepEqual(parseStatusSpec('/var/log/openvpn-status.log', '--status'), {
      instance: 'default',
      path: '/var/log/openvpn-status.log',
    });
    assert.deepEqual(
      parseStatusSpec('/var/log/a=b.log', '--status'),
      { instance: 'default', path: '/var/log/a=b.log' },
      '= after a slash is part of the path',
    );
    assert.deepEqual(parseStatusSpec('status.log', '--status'), { instance: 'default', path: 'status.log' });
    assert.deepEqual(parseStatusSpec('tcp-1.2=rel/x.log', '--status'), { instance: 'tcp-1.2', path: 'rel/x.log' });
    usage(() => parseStatusSpec('udp=', '--status'), /--status: no path after "udp="/);
    usage(() => parseStatusSpec('', '--status'), /--status: empty path/);
    usage(() => parseStatusSpec('-x=/a', '--status'), /instance name "-x"/);
    usage(
      () => resolveSettings({ status: ['udp=/a', 'udp=/b'] }, {}, '', 'UTC'),
      /--status: instance "udp" is named twice/,
    );
    usage(() => resolveSettings({ status: ['/a', '/b'] }, {}, '', 'UTC'), /instance "default" is named twice/);
    const two = resolveSettings({ status: ['udp=/a', 'tcp=/b'] }, {}, '', 'UTC');
    assert.deepEqual(
      two.status.map((s) => s.instance),
      ['udp', 'tcp'],
    );
  });

  test('status in the config file: a path, a list or an object', () => {
    assert.deepEqual(statusFromConfig('/a.log', 'c.json'), [{ instance: 'default', path: '/a.log' }]);
    assert.deepEqual(statusFromConfig(['udp=/a', 'tcp=/b'], 'c.json'), [
      { instance: 'udp', path: '/a' },
      { instance: 'tcp', path: '/b' },
    ]);
    assert.deepEqual(statusFromConfig({ udp: '/a' }, 'c.json'), [{ instance: 'udp', path: '/a' }]);
    usage(() => statusFromConfig(['/a', '/b'], 'c.json'), /c\.json: key "status": instance "default" is named twice/);
    usage(() => statusFromConfig({ 'bad name': '/a' }, 'c.json'), /c\.json: key "status": instance name "bad name"/);
  });

  test('unknown keys and wrong types are UsageErrors naming the file and the key', () => {
    usage(() => validateConfig({ histroy: '/x' }, 'c.json'), /^c\.json: unknown key "histroy"$/);
    usage(
      () => validateConfig({ staleAfter: '5 minutes' }, 'c.json'),
      /c\.json: key "staleAfter" must be a number of seconds/,
    );
    usage(() => validateConfig({ staleAfter: 5 }, 'c.json'), /key "staleAfter"/);
    usage(
      () => validateConfig({ lockTimeout: -1 }, 'c.json'),
      /key "lockTimeout" must be a number of seconds \(0 to 600\)/,
    );
    usage(() => validateConfig({ lockTimeout: '1' }, 'c.json'), /key "lockTimeout"/);
    usage(() => validateConfig({ lang: 'fr' }, 'c.json'), /key "lang" must be "de" or "en"/);
    usage(() => validateConfig({ tz: 'Mars/Olympus' }, 'c.json'), /key "tz" must be an IANA time zone/);
    usage(() => validateConfig({ history: '' }, 'c.json'), /key "history" must be a path/);
    usage(() => validateConfig({ history: 42 }, 'c.json'), /key "history"/);
    usage(() => validateConfig({ title: null }, 'c.json'), /key "title" must be a text/);
    usage(() => validateConfig({ status: 7 }, 'c.json'), /key "status" must be a path, a list/);
    usage(() => validateConfig({ status: ['/a', 1] }, 'c.json'), /key "status"/);
    usage(() => validateConfig({ status: { udp: 1 } }, 'c.json'), /key "status"/);
    usage(() => validateConfig([], 'c.json'), /c\.json: expected a JSON object/);
    usage(() => validateConfig(null, 'c.json'), /expected a JSON object/);
  });

  test('"$schema" and "//" comment keys are allowed', () => {
    assert.deepEqual(validateConfig({ $schema: './config.schema.json', '// note': 'hello', lang: 'en' }, 'c.json'), {
      lang: 'en',
    });
  });

  test('bad flag values are UsageErrors naming the flag', () => {
    usage(() => resolveSettings({ tz: 'Nowhere/Town' }, {}, '', 'UTC'), /--tz: unknown time zone "Nowhere\/Town"/);
    usage(() => resolveSettings({ lang: 'fr' }, {}, '', 'UTC'), /--lang: must be de or en/);
    usage(() => resolveSettings({ staleAfter: 'soon' }, {}, '', 'UTC'), /--stale-after/);
    usage(() => resolveSettings({ staleAfter: '5' }, {}, '', 'UTC'), /--stale-after: .*at least 10/);
  });
});
