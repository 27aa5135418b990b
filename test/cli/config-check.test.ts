/** `config check`: the effective settings with their sources, and errors naming the key (exit 2). */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT } from '../helpers/build.js';
import { cliOk, runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

test('prints every setting with its source: flag over config file over default', async (t) => {
  const dir = await tempDir(t);
  const config = join(dir, 'config.json');
  await writeFile(
    config,
    JSON.stringify({
      '// note': 'comments are ignored',
      status: { udp: '/run/u.log', tcp: '/run/t.log' },
      lang: 'en',
      tz: 'Europe/Berlin',
      title: 'VPN',
    }),
  );
  const r = await cliOk(['config', 'check', '--config', config, '--lang', 'de', '--out', '/srv/www']);
  assert.match(r.stdout, new RegExp(`^config file ${config}: valid$`, 'm'));
  const row = (key: string) => r.stdout.split('\n').find((l) => l.trimStart().startsWith(`${key} `)) ?? '';
  assert.match(row('status'), /udp=\/run\/u\.log +\(config file\)/);
  assert.match(r.stdout, /^ +tcp=\/run\/t\.log$/m);
  assert.match(row('lang'), /de +\(flag --lang\)/);
  assert.match(row('out'), /\/srv\/www +\(flag --out\)/);
  assert.match(row('tz'), /Europe\/Berlin +\(config file\)/);
  assert.match(row('title'), /VPN +\(config file\)/);
  assert.match(row('history'), /\/var\/log\/openvpn-sessions\.csv +\(default\)/);
  assert.match(row('staleAfter'), /300 +\(default\)/);
  assert.match(row('lockTimeout'), /10 +\(default\)/);
  assert.equal(r.stderr, '', 'nothing to warn about');
});

test('--json: settings and sources, the zone defaulting to the system', async () => {
  const r = await cliOk(['config', 'check', '--json', '--stale-after', '60', '--status', 'a=/run/a.log']);
  const data = JSON.parse(r.stdout) as {
    config: string | null;
    settings: Record<string, unknown>;
    sources: Record<string, string>;
  };
  assert.equal(data.config, null);
  assert.deepEqual(data.settings.status, [{ instance: 'a', path: '/run/a.log' }]);
  assert.equal(data.settings.staleAfter, 60);
  assert.equal(data.sources.staleAfter, 'flag');
  assert.equal(data.sources.status, 'flag');
  assert.equal(data.sources.tz, 'system');
  assert.equal(data.sources.title, 'default');
  assert.deepEqual(Object.keys(data.sources).sort(), Object.keys(data.settings).sort());
});

test('config.example.json checks clean', async () => {
  const r = await cliOk(['config', 'check', '--config', join(ROOT, 'config.example.json')]);
  assert.match(r.stdout, /valid/);
  assert.equal(r.stderr, '');
});

test('errors name the key or flag, one line, exit 2', async (t) => {
  const dir = await tempDir(t);
  const cases: [object | string, RegExp][] = [
    [{ staleAfter: 5 }, /key "staleAfter" must be a number of seconds \(at least 10\)/],
    [{ lang: 'fr' }, /key "lang" must be "de" or "en"/],
    [{ tz: 'Mars/Olympus' }, /key "tz" must be an IANA time zone/],
    [{ histroy: '/x.csv' }, /unknown key "histroy"/],
    [{ status: ['bad name=/x'] }, /key "status": instance name "bad name"/],
    ['{ "lang": "de", }', /not valid JSON/],
  ];
  for (const [i, [content, expected]] of cases.entries()) {
    const file = join(dir, `c${i}.json`);
    await writeFile(file, typeof content === 'string' ? content : JSON.stringify(content));
    const r = await runCli(['config', 'check', '--config', file]);
    assert.equal(r.code, 2, `${JSON.stringify(content)}: exit 2 expected, got ${r.code}: ${r.stderr}`);
    assert.match(r.stderr, expected);
    assert.ok(r.stderr.startsWith(`openvpn-status-web: ${file}: `), `the error names the file: ${r.stderr}`);
    assert.equal(r.stderr.trimEnd().split('\n').length, 1, `one line: ${r.stderr}`);
    assert.equal(r.stdout, '', 'no settings printed for an invalid config');
  }
  const flag = await runCli(['config', 'check', '--stale-after', 'soon']);
  assert.equal(flag.code, 2);
  assert.match(flag.stderr, /--stale-after: must be a number of seconds/);
  const missing = await runCli(['config', 'check', '--config', join(dir, 'none.json')]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /--config: .*none\.json does not exist/);
});

test('usage: a subcommand is required and only "check" exists', async () => {
  for (const args of [['config'], ['config', 'show'], ['config', 'check', 'extra']]) {
    const r = await runCli(args);
    assert.equal(r.code, 2, `${args.join(' ')}: exit 2 expected`);
    assert.match(r.stderr, /^openvpn-status-web: config/);
  }
  const help = await cliOk(['config', '--help']);
  assert.match(help.stdout, /Usage: openvpn-status-web config check/);
});

test('relative paths are valid but warned about (cron and systemd start in /)', async () => {
  const r = await cliOk(['config', 'check', '--history', 'sessions.csv']);
  assert.match(r.stderr, /warning: history: "sessions\.csv" is relative/);
});

test('a hookSpool or history the shell hook cannot read is warned about (exit 0)', async (t) => {
  const dir = await tempDir(t);
  const cases: [string, RegExp | null][] = [
    [
      '{"hookSpool": "/var/spool/o\\"v.jsonl"}',
      /^openvpn-status-web: warning: hookSpool: its value is written with an escape \(\\" \\\\ \\u\.\.\.\), which "openvpn-status-web hook" \(scripts\/openvpn-hook\.sh\) does not read: it would record no event; write the value plainly once, or give the hooks --spool \/var\/spool\/o"v\.jsonl$/m,
    ],
    [
      '{"history": "/var/lib/sp\\u00e4ter.csv"}',
      /warning: history: its value is written with an escape .* --spool \/var\/lib\/später\.csv\.hook-spool\.jsonl$/m,
    ],
    [
      '{"history": "/a.csv", "history": "/b.csv"}',
      /warning: history: "history" is in the file more than once, .* --spool \/b\.csv\.hook-spool\.jsonl$/m,
    ],
    // hookSpool is what the hook reads: an escape in history then does not matter.
    ['{"hookSpool": "/s.jsonl", "history": "/h\\\\1.csv", "title": "\\"hookSpool\\": x"}', null],
    ['{"status": {"hookSpool": "/run/x.log"}, "history": "/h.csv"}', null],
  ];
  for (const [i, [content, expected]] of cases.entries()) {
    const file = join(dir, `c${i}.json`);
    await writeFile(file, content);
    const r = await cliOk(['config', 'check', '--config', file]);
    if (expected === null) assert.equal(r.stderr, '', content);
    else assert.match(r.stderr, expected, content);
  }
});

test('the anomaly settings: printed as set, and checked like every key (exit 2 naming it)', async (t) => {
  const dir = await tempDir(t);
  const config = join(dir, 'config.json');
  await writeFile(
    config,
    JSON.stringify({
      workingHours: { days: 'Mon-Fri', from: '06:00', to: '20:00' },
      sharedAccounts: ['helpdesk', 'lab'],
      newCountryDays: 30,
      dormantDays: 60,
    }),
  );
  const r = await cliOk(['config', 'check', '--config', config]);
  const row = (key: string) => r.stdout.split('\n').find((l) => l.trimStart().startsWith(`${key} `)) ?? '';
  assert.match(row('workingHours'), /\{"days":"Mon-Fri","from":"06:00","to":"20:00"\} +\(config file\)/);
  assert.match(row('sharedAccounts'), /helpdesk +\(config file\)/);
  assert.match(r.stdout, /^ +lab$/m);
  assert.match(row('newCountryDays'), /30 +\(config file\)/);
  assert.match(row('dormantDays'), /60 +\(config file\)/);
  for (const [value, message] of [
    [{ workingHours: { days: 'Mon-Fri', from: '06:00' } }, /key "workingHours" must be an object with exactly/],
    [
      { workingHours: { days: 'Mo-Fr', from: '06:00', to: '20:00' } },
      /key "workingHours" must be "days" like "Mon-Fri"/,
    ],
    [{ newCountryDays: 1.5 }, /key "newCountryDays" must be a whole number of days/],
    [{ sharedAccounts: [1] }, /key "sharedAccounts" must be a list of user names/],
  ] as const) {
    await writeFile(config, JSON.stringify(value));
    const bad = await runCli(['config', 'check', '--config', config]);
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(bad.stderr, message);
  }
});
