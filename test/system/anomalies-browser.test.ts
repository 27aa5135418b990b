/**
 * /anomalies/ in Debian's Chromium through nginx (the shipped auditors' site and its CSP),
 * on a site the CLI built from generated data plus sessions that are unusual on purpose,
 * one of a user named like markup: the page lists them as text, its links lead to the day
 * page, whose row carries the badge with the reason on hover, and nothing breaks the CSP.
 */
import assert from 'node:assert/strict';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { ensureBuilt } from '../helpers/build.js';
import { cliOk } from '../helpers/cli.js';
import { endedSession } from '../helpers/sessions.js';
import { siteArgs, writeSyntheticSite, type SyntheticSite } from '../helpers/site.js';
import { tempDir } from '../helpers/tmp.js';
import { browserMissing, gate, launchChromium, PageWatch } from './helpers/browser.js';
import { SHIPPED_DIR, startNginx, TEST_CREDENTIALS, type NginxSite } from './helpers/nginx.js';
import { Procs } from './helpers/procs.js';
import type { Needs } from './helpers/requirements.js';

const NEEDS: Needs = { bins: ['nginx', 'openssl'] };
const HOSTILE = '<img src=x onerror="window.__injected=true">';

const session = endedSession;

// Two sessions of the hostile user at once from two addresses, on 2026-03-16 (Berlin).
const FIRST = session('f1', HOSTILE, '2026-03-16T08:00:00Z', '2026-03-16T10:00:00Z', '198.51.100.1');
const SECOND = session('f2', HOSTILE, '2026-03-16T09:00:00Z', '2026-03-16T09:30:00Z', '203.0.113.9');

const procs = new Procs();
let lacking: string[] = [];
let site: SyntheticSite | null = null;
let nginx: NginxSite | null = null;
let browser: Awaited<ReturnType<typeof launchChromium>> | null = null;
let watch: PageWatch | null = null;
let page: Page | null = null;

function need<T>(v: T | null, what: string): T {
  assert.ok(v !== null, `${what} is set up (see the before hook's error)`);
  return v;
}

describe('/anomalies/ in real Chromium through nginx', () => {
  before(async () => {
    lacking = await browserMissing(NEEDS);
    if (lacking.length > 0) return;
    ensureBuilt();
    const root = await tempDir('ovsw-system-anomalies-');
    await chmod(root, 0o755);
    const dir = join(root, 'data');
    await mkdir(dir, { recursive: true });
    await chmod(dir, 0o755);
    site = await writeSyntheticSite(dir, {
      sessions: 120,
      users: 6,
      spanDays: 10,
      live: 2,
      seed: 3,
      mapHistory: (h) => [...h, FIRST, SECOND],
    });
    const hours = join(dir, 'config.json');
    await writeFile(hours, JSON.stringify({ workingHours: { days: 'Mon-Fri', from: '06:00', to: '20:00' } }));
    await cliOk(['run', ...siteArgs(site.paths, site.updatedAt), '--config', hours]);
    // The auditors' site: the pages for those who read them, without /api/.
    const config = join(SHIPPED_DIR, 'openvpn-status-web-auditors.conf');
    nginx = await startNginx({ root: site.paths.out, apiPort: 9, dir: join(root, 'nginx'), procs, config });
    browser = await launchChromium({
      dir: root,
      httpCredentials: { username: TEST_CREDENTIALS.user, password: TEST_CREDENTIALS.password },
    });
    watch = await PageWatch.attach(browser.context);
    page = browser.context.pages()[0] ?? (await browser.context.newPage());
  });

  after(async () => {
    try {
      await browser?.close();
    } finally {
      await procs.stopAll();
    }
  });

  it('lists the anomalies as text, links to the day, whose row has the badge; nothing against the CSP', {
    timeout: 60_000,
  }, async (t) => {
    if (!gate(t, lacking)) return;
    const p = need(page, 'the page');
    const n = need(nginx, 'nginx');
    const res = await p.goto(`${n.url}/anomalies/`, { waitUntil: 'load' });
    assert.equal(res?.status(), 200);
    const csp = res?.headers()['content-security-policy'] ?? '';
    assert.match(csp, /default-src 'self'/, 'served under the shipped CSP');
    const overlap = p.locator('tr.anomaly-overlap').filter({ hasText: HOSTILE });
    assert.equal(await overlap.count(), 1, 'the overlap of the hostile user, its name as text');
    assert.match((await overlap.locator('.c-reason').textContent()) ?? '', /198\.51\.100\.1 und 203\.0\.113\.9/);
    assert.ok((await p.locator('tr.anomaly-off-hours').count()) > 0, 'off-hours sessions of the generated data');
    assert.equal(await p.evaluate(() => (window as unknown as { __injected?: boolean }).__injected), undefined);
    await overlap.locator('.c-day a').click();
    await p.waitForLoadState('load');
    assert.match(p.url(), /\/d\/2026-03-16\/$/);
    const row = p.locator(`tr:has(td[data-session-id="${SECOND.id}"])`);
    const badge = row.locator('.flag-overlap');
    assert.equal(await badge.getAttribute('title'), 'gleichzeitig verbunden von 198.51.100.1 und 203.0.113.9');
    assert.equal(await badge.isVisible(), true, 'the badge shows');
    assert.equal(await p.evaluate(() => (window as unknown as { __injected?: boolean }).__injected), undefined);
    const w = need(watch, 'the page watch');
    assert.deepEqual(w.violations, [], 'no CSP violations');
    // The day page asks api/health whether to offer deleting; the auditors' site has no /api/ (404, by design).
    const problems = w.take().filter((m) => !m.includes('/api/health'));
    assert.deepEqual(problems, [], 'no console errors, exceptions or failed requests');
  });
});
