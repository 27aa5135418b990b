import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sessionId } from '../../src/core/session.js';

test('session ids are stable hex and differ by port', () => {
  const a = sessionId('default', 'alice', '2026-11-26T16:14:55Z', '1.2.3.4', 1194);
  assert.match(a, /^[0-9a-f]{20}$/);
  assert.equal(a, sessionId('default', 'alice', '2026-11-26T16:14:55Z', '1.2.3.4', 1194));
  assert.notEqual(a, sessionId('default', 'alice', '2026-11-26T16:14:55Z', '1.2.3.4', 1195));
});
