import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { resolveSettings, validateConfig } from '../../src/core/settings.js';

test('config.example.json is valid and documents every key', () => {
  const raw = JSON.parse(readFileSync(new URL('../../config.example.json', import.meta.url), 'utf8')) as Record<
    string,
    unknown
  >;
  const config = validateConfig(raw, 'config.example.json');
  const settings = resolveSettings({}, config, 'config.example.json', 'UTC');
  // Every setting a config file can hold is shown, each with a "// key" comment.
  for (const key of Object.keys(settings)) {
    assert.ok(key in raw, `config.example.json has no "${key}"`);
    assert.equal(typeof raw[`// ${key}`], 'string', `config.example.json does not explain "${key}"`);
  }
  assert.deepEqual(settings.status, [
    { instance: 'udp', path: '/run/openvpn-server/status-udp.log' },
    { instance: 'tcp', path: '/run/openvpn-server/status-tcp.log' },
  ]);
  assert.equal(settings.tz, 'Europe/Berlin');
  assert.equal(settings.passwd, '/etc/openvpn-status-web/passwd');
  assert.equal(settings.publicOrigin, 'https://vpn.example.org');
  assert.equal(settings.hookSpool, '/var/spool/openvpn-status-web/spool.jsonl');
});
