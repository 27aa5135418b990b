import assert from 'node:assert/strict';
import { appendFile, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { decodeSpoolLine, encodeJsonLine, encodeTsvLine, recordFromEnv } from '../../src/core/hook-line.js';
import type { HookSpoolState } from '../../src/core/reconcile.js';
import { PART_GRACE_S, removePartsDone, type SpoolIntake } from '../../src/io/hook-spool.js';
import { appendSpoolLine } from '../../src/io/spool-append.js';
import { distPath, ensureBuilt } from '../helpers/build.js';
import { runNode } from '../helpers/cli.js';
import { connectEnv, disconnectEnv, takeSpoolWarned } from '../helpers/hooks.js';
import { isoPlus } from '../helpers/status.js';
import { listDir, tempDir } from '../helpers/tmp.js';

const NOW = '2026-11-26T16:00:00Z';
const WRITER = new URL('../helpers/child/spool-writer.mjs', import.meta.url).pathname;
const line = (cn: string, env = connectEnv({ common_name: cn })): string =>
  encodeJsonLine(recordFromEnv(env, 'udp', 1795720400));
const names = (i: SpoolIntake): string[] => i.events.map((e) => `${e.kind}:${e.commonName}`);

describe('hook spool: the hook side', () => {
  test('appends whole lines to a file it creates with mode 0600', async (t) => {
    const dir = await tempDir(t);
    const spool = join(dir, 'spool.jsonl');
    appendSpoolLine(spool, line('alice'));
    appendSpoolLine(spool, line('bob'));
    assert.equal((await stat(spool)).mode & 0o777, 0o600);
    assert.equal(await readFile(spool, 'utf8'), line('alice') + line('bob'));
    await writeFile(join(dir, 'link-target'), '');
    await symlink(join(dir, 'link-target'), join(dir, 'link'));
    assert.throws(() => appendSpoolLine(join(dir, 'link'), line('x')), /ELOOP/, 'a symbolic link is not followed');
  });

  test('concurrent writers in several processes never interleave or lose a line', async (t) => {
    ensureBuilt();
    const dir = await tempDir(t);
    const spool = join(dir, 'spool.jsonl');
    const WRITERS = 6;
    const EACH = 150;
    // Lines of 6 KB: larger than a pipe's atomic size, so only O_APPEND keeps them whole.
    const results = await Promise.all(
      Array.from({ length: WRITERS }, (_, w) =>
        runNode([WRITER, distPath('io/spool-append.js'), spool, `w${w}`, String(EACH), '6000']),
      ),
    );
    for (const r of results) assert.equal(r.code, 0, r.stderr);
    const lines = (await readFile(spool, 'utf8')).split('\n');
    assert.equal(lines.pop(), '', 'ends with a line end');
    assert.equal(lines.length, WRITERS * EACH);
    const seen = new Set<string>();
    for (const l of lines) {
      const d = decodeSpoolLine(l);
      assert.ok(d.ok && d.value.dropped === null, `a mixed-up line: ${l.slice(0, 80)}…`);
      const cn = d.value.record.common_name ?? '';
      assert.equal(cn.length, 6000);
      seen.add(cn.split(':').slice(0, 2).join(':'));
    }
    assert.equal(seen.size, WRITERS * EACH, 'every line once');
  });
});

describe('hook spool: the collector side', () => {
  test('nothing to do without a spool (or its folder)', async (t) => {
    const dir = await tempDir(t);
    for (const spool of [join(dir, 'spool.jsonl'), join(dir, 'missing', 'spool.jsonl')]) {
      const i = await takeSpoolWarned(spool, undefined, NOW);
      assert.deepEqual(i, { events: [], warnings: [], next: { seq: 0, parts: {} }, changed: false });
    }
  });

  test('takes the spool as a part, reads whole lines, leaves a torn last line for later', async (t) => {
    const dir = await tempDir(t);
    const spool = join(dir, 'spool.jsonl');
    const torn = line('carol').slice(0, 50);
    await writeFile(spool, line('alice') + encodeTsvLine(recordFromEnv(disconnectEnv(5), 'udp', 1)) + torn);
    const a = await takeSpoolWarned(spool, undefined, NOW);
    assert.deepEqual(names(a), ['connect:alice', 'disconnect:alice']);
    assert.deepEqual(a.warnings, []);
    assert.ok(a.changed);
    assert.deepEqual(await listDir(dir), ['spool.jsonl.1'], 'the hooks start a new spool');
    const size = (await stat(join(dir, 'spool.jsonl.1'))).size;
    assert.deepEqual(a.next, { seq: 1, parts: { 'spool.jsonl.1': { offset: size - torn.length, seenAt: NOW } } });

    // A hook that opened the spool before the rename appends to the part; new hooks to a new spool.
    await appendFile(join(dir, 'spool.jsonl.1'), line('dave'));
    appendSpoolLine(spool, line('erin'));
    const b = await takeSpoolWarned(spool, a.next, isoPlus(NOW, 60));
    assert.deepEqual(names(b), ['connect:dave', 'connect:erin']);
    assert.match(
      b.warnings.join('\n'),
      /spool\.jsonl\.1 at byte \d+: dropped 50 bytes left by a hook's write cut short/,
    );
    assert.deepEqual(Object.keys(b.next.parts), ['spool.jsonl.1', 'spool.jsonl.2']);
    assert.equal(b.next.seq, 2);

    // Read again with the same state (a run that died before committing): the same events.
    const again = await takeSpoolWarned(spool, a.next, isoPlus(NOW, 61));
    assert.deepEqual(names(again), ['connect:dave', 'connect:erin']);
    // With the committed state: nothing new.
    const c = await takeSpoolWarned(spool, b.next, isoPlus(NOW, 62));
    assert.deepEqual(c.events, []);
    assert.equal(c.changed, false);
  });

  test('Latin-1 bytes in a name (the shell hook writes them as they are): two names stay two, with a warning', async (t) => {
    const dir = await tempDir(t);
    const spool = join(dir, 'spool.jsonl');
    const tsv = (cn: string): string =>
      encodeTsvLine(recordFromEnv(connectEnv({ common_name: cn }), 'udp', 1795720400));
    const raw = (text: string): Buffer =>
      Buffer.concat(
        text
          .split(/(\{ue\}|\{oe\})/)
          .map((p) => (p === '{ue}' ? Buffer.from([0xfc]) : p === '{oe}' ? Buffer.from([0xf6]) : Buffer.from(p))),
      );
    await writeFile(spool, Buffer.concat([raw(tsv('J{ue}rgen')), raw(tsv('J{oe}rgen')), raw(tsv('Jürgen Müller'))]));
    const i = await takeSpoolWarned(spool, undefined, NOW);
    assert.deepEqual(names(i), ['connect:Jürgen', 'connect:Jörgen', 'connect:Jürgen Müller']);
    assert.equal(i.warnings.length, 2);
    for (const w of i.warnings)
      assert.match(w, /spool\.jsonl\.1 at byte \d+: not valid UTF-8; its fields were read as Latin-1/);
  });

  test('a part the state does not know (renamed by a run that died) is read from the start', async (t) => {
    const dir = await tempDir(t);
    const spool = join(dir, 'spool.jsonl');
    await writeFile(join(dir, 'spool.jsonl.7'), line('alice'));
    const committed: HookSpoolState = { seq: 6, parts: {} };
    const i = await takeSpoolWarned(spool, committed, NOW);
    assert.deepEqual(names(i), ['connect:alice']);
    assert.equal(i.next.seq, 7);
    appendSpoolLine(spool, line('bob'));
    const j = await takeSpoolWarned(spool, i.next, NOW);
    assert.deepEqual(names(j), ['connect:bob']);
    assert.ok('spool.jsonl.8' in j.next.parts, 'the next part number');
  });

  test('parts are removed once read to the end and past the grace time; their numbers are never reused', async (t) => {
    const dir = await tempDir(t);
    const spool = join(dir, 'spool.jsonl');
    appendSpoolLine(spool, line('alice'));
    const a = await takeSpoolWarned(spool, undefined, NOW);
    assert.deepEqual(
      await removePartsDone(spool, a.next, isoPlus(NOW, PART_GRACE_S - 1)),
      [],
      'a hook may still hold it open',
    );
    // A late line: kept until it is read.
    await appendFile(join(dir, 'spool.jsonl.1'), line('bob'));
    assert.deepEqual(await removePartsDone(spool, a.next, isoPlus(NOW, PART_GRACE_S)), []);
    const b = await takeSpoolWarned(spool, a.next, isoPlus(NOW, PART_GRACE_S));
    assert.deepEqual(names(b), ['connect:bob']);
    assert.deepEqual(await removePartsDone(spool, b.next, isoPlus(NOW, PART_GRACE_S)), ['spool.jsonl.1']);
    assert.deepEqual(await listDir(dir), []);
    // The next run forgets it, and numbers on.
    appendSpoolLine(spool, line('carol'));
    const c = await takeSpoolWarned(spool, b.next, isoPlus(NOW, PART_GRACE_S + 60));
    assert.ok(c.changed);
    assert.deepEqual(Object.keys(c.next.parts), ['spool.jsonl.2']);
    assert.deepEqual(names(c), ['connect:carol']);
  });

  test('a quiet part that ends in a torn line: the fragment is dropped with a warning, so the part can go', async (t) => {
    const dir = await tempDir(t);
    const spool = join(dir, 'spool.jsonl');
    await writeFile(spool, line('alice') + line('bob').slice(0, 30));
    const a = await takeSpoolWarned(spool, undefined, NOW);
    assert.deepEqual(names(a), ['connect:alice']);
    const later = isoPlus(NOW, PART_GRACE_S);
    const b = await takeSpoolWarned(spool, a.next, later);
    assert.match(b.warnings.join('\n'), /30 bytes without a line end \(a hook's write cut short\); dropped/);
    assert.deepEqual(await removePartsDone(spool, b.next, later), ['spool.jsonl.1']);
  });

  test('bad lines are reported with their place and skipped; links and folders are left alone', async (t) => {
    const dir = await tempDir(t);
    const spool = join(dir, 'spool.jsonl');
    await writeFile(spool, `garbage\n${line('alice')}\n${encodeJsonLine({ instance: 'udp', script_type: 'up' })}`);
    const a = await takeSpoolWarned(spool, undefined, NOW);
    assert.deepEqual(names(a), ['connect:alice']);
    assert.match(a.warnings[0] ?? '', /spool\.jsonl\.1 at byte 0: not a hook spool line; skipped/);
    assert.match(a.warnings[1] ?? '', /script_type "up" is not client-connect/);
    assert.equal(a.warnings.length, 2, 'the empty line is no warning');

    await writeFile(join(dir, 'secret'), 'root:x:0:0\n');
    await symlink(join(dir, 'secret'), join(dir, 'spool.jsonl.5'));
    const b = await takeSpoolWarned(spool, a.next, NOW);
    assert.deepEqual(b.events, []);
    assert.match(b.warnings.join('\n'), /spool\.jsonl\.5: a symbolic link, not a spool part; left alone/);
    assert.doesNotMatch(b.warnings.join('\n'), /root:x/, 'its content is not shown');
  });

  test('the spool as a symbolic link is taken as a part but not followed', async (t) => {
    const dir = await tempDir(t);
    await writeFile(join(dir, 'elsewhere'), line('alice'));
    await symlink(join(dir, 'elsewhere'), join(dir, 'spool.jsonl'));
    const a = await takeSpoolWarned(join(dir, 'spool.jsonl'), undefined, NOW);
    assert.deepEqual(a.events, []);
    assert.match(a.warnings.join('\n'), /a symbolic link/);
  });
});
