/**
 * Regenerates the README's screenshots in images/ (PNG): the dashboard with connections and
 * empty (no history, no connections), each in the dark and the light theme, like the two
 * screenshots of the predecessor.
 *
 *   npm run screenshots            (node --import tsx scripts/screenshots.ts [--out DIR])
 *
 * The data is the demo's kind (src/demo/synthetic.ts: 60 days of history for 30 users with
 * aliases, six connected clients), generated with a fixed seed at a fixed time (--now), and
 * built by `run` as cron would; the pages are served by the demo's static server with the
 * delete endpoint mounted (no password, loopback only), so the delete controls show. Debian's
 * Chromium (/usr/bin/chromium, driven by playwright-core) takes the pictures at a fixed
 * window size, so the same Chromium and fonts give the same images.
 */
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { historyOps } from '../src/app/history-edit.js';
import type { Logger } from '../src/app/context.js';
import { run } from '../src/app/run.js';
import type { StatusClient } from '../src/core/parse-status.js';
import { DEFAULTS, type Settings } from '../src/core/settings.js';
import { isoFromMs, msFromIso } from '../src/core/time.js';
import { syntheticClients, syntheticSessions, syntheticState, syntheticStatusV3 } from '../src/demo/synthetic.js';
import { writeFileAtomic } from '../src/io/atomic-write.js';
import { historyPaths, rewriteHistory, writeState } from '../src/io/history-store.js';
import { apiHandler, mountApi } from '../src/server/api.js';
import { serveStatic } from '../src/server/static.js';

/** A Wednesday, 15:00 in Berlin: the dashboard's "Stand", the live durations and the chart are fixed by it. */
const NOW = '2026-03-18T14:00:00Z';
const TZ = 'Europe/Berlin';
const SEED = 8050;
const USERS = 30;
const LIVE = 6;
const VIEWPORT = { width: 1440, height: 1240 };
const CHROMIUM = '/usr/bin/chromium';
const ALIASES = [
  'Handy Flex',
  'Laptop Mint Flex',
  'Büro Köln',
  'Außendienst Süd',
  'Home-Office Jana',
  'Tablet Lager',
  'Kasse 1',
  'Werkstatt',
  'Vertrieb Nord',
  'Buchhaltung',
];

const log: Logger = {
  info: (msg) => process.stderr.write(`${msg}\n`),
  detail: () => undefined,
  warn: (msg) => process.stderr.write(`warning: ${msg}\n`),
};

/** Generated data in `dir` (history, state, aliases, status file at NOW) and the site built from it. */
async function buildSite(dir: string, withData: boolean): Promise<Settings> {
  const settings: Settings = {
    ...DEFAULTS,
    tz: TZ,
    lang: 'de',
    status: [{ instance: 'default', path: join(dir, 'openvpn-status.log') }],
    history: join(dir, 'openvpn-sessions.csv'),
    aliases: join(dir, 'openvpn-aliases.json'),
    out: join(dir, 'site'),
  };
  const history = withData
    ? syntheticSessions({
        count: USERS * 60 * 2,
        users: USERS,
        endAt: isoFromMs(msFromIso(NOW) - 600_000),
        spanDays: 60,
        seed: SEED,
      })
    : [];
  const clients: StatusClient[] = withData ? syntheticClients({ count: LIVE, updatedAt: NOW, seed: SEED }) : [];
  const users = [...new Set([...clients.map((c) => c.username ?? c.commonName), ...history.map((s) => s.user)])];
  await writeFile(
    settings.aliases,
    `${JSON.stringify(Object.fromEntries(users.slice(0, ALIASES.length).map((u, i) => [u, ALIASES[i]])), null, 2)}\n`,
  );
  const historyBytes = history.length === 0 ? 0 : await rewriteHistory(historyPaths(settings.history).history, history);
  await writeState(
    historyPaths(settings.history).state,
    syntheticState({ clients, updatedAt: NOW, historyBytes, history, seed: SEED }),
  );
  const status = settings.status[0]?.path as string;
  await writeFileAtomic(status, syntheticStatusV3({ clients, updatedAt: NOW, seed: SEED }));
  const written = new Date(msFromIso(NOW) - 1000);
  await utimes(status, written, written);
  const outcome = await run(settings, NOW, log);
  if (!outcome.ok) throw new Error(`the history lock of ${settings.history} is taken`);
  log.info(
    `screenshots: ${withData ? 'with connections' : 'empty'}: ${outcome.value.built.pagesRendered} pages in ${outcome.value.built.ms} ms`,
  );
  return settings;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { out: { type: 'string', default: 'images' } } });
  const outDir = resolve(values.out as string);
  await mkdir(outDir, { recursive: true });
  const work = await mkdtemp(join(tmpdir(), 'openvpn-status-web-screenshots-'));
  const servers: import('node:http').Server[] = [];
  let browser: import('playwright-core').Browser | null = null;
  const problems: string[] = [];
  try {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
      // Debian's build writes crash reports below $HOME/.config: keep them in the temp folder.
      env: { ...process.env, HOME: work },
    });
    for (const variant of [
      { name: 'dashboard', withData: true },
      { name: 'dashboard-empty', withData: false },
    ]) {
      const dir = join(work, variant.name);
      await mkdir(dir);
      const settings = await buildSite(dir, variant.withData);
      const server = await serveStatic(settings.out, '127.0.0.1', 0);
      servers.push(server);
      // The endpoint as the demo mounts it (no password, loopback only): the page shows its delete controls.
      mountApi(
        server,
        apiHandler({ ops: historyOps({ settings, log }), passwd: null, publicOrigin: null, warn: log.warn }),
      );
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
      for (const theme of ['dark', 'light'] as const) {
        const context = await browser.newContext({
          viewport: VIEWPORT,
          deviceScaleFactor: 1,
          colorScheme: theme,
          locale: 'de-DE',
          timezoneId: TZ,
        });
        try {
          const page = await context.newPage();
          page.on('console', (m) => {
            if (m.type() === 'error' || m.type() === 'warning')
              problems.push(`${variant.name} ${theme}: console ${m.type()}: ${m.text()}`);
          });
          page.on('pageerror', (e) => problems.push(`${variant.name} ${theme}: ${e.message}`));
          await page.goto(url, { waitUntil: 'load' });
          await page.locator('[data-delete-bar]:not([hidden])').first().waitFor({ timeout: 15_000 });
          const shown = await page.evaluate(() => document.documentElement.getAttribute('data-theme'));
          if (shown !== theme) throw new Error(`${variant.name}: the page shows the ${shown} theme, not ${theme}`);
          await page.evaluate(() => document.fonts.ready.then(() => undefined));
          const file = join(outDir, `${variant.name}-${theme}.png`);
          await page.screenshot({ path: file, animations: 'disabled', caret: 'hide' });
          process.stdout.write(`${file}\n`);
        } finally {
          await context.close();
        }
      }
    }
  } finally {
    await browser?.close();
    for (const s of servers) {
      await new Promise<void>((done) => {
        s.close(() => done());
        s.closeAllConnections();
      });
    }
    await rm(work, { recursive: true, force: true });
  }
  if (problems.length > 0) throw new Error(`the pages reported problems:\n${problems.join('\n')}`);
}

main().catch((e: unknown) => {
  process.stderr.write(`screenshots: ${(e as Error).stack ?? String(e)}\n`);
  process.exitCode = 1;
});
