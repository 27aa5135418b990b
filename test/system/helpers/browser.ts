/**
 * Debian's Chromium (/usr/bin/chromium), driven by playwright-core, for the browser system
 * test (and the screenshot script). Chromium runs headless with a profile folder of the
 * test's own (so `leftovers('chromium', dir)` finds anything it left) and HOME pointed into
 * that folder (Debian's build writes crash reports below $HOME/.config).
 *
 * `PageWatch` listens to everything a page must not do: console errors and warnings,
 * uncaught exceptions, Content-Security-Policy violations (the `securitypolicyviolation`
 * event, reported through a binding, as the page's CSP would block any script of ours),
 * failed requests and error answers, and dialogs nobody expected (dismissed and recorded).
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import type { BrowserContext, Dialog, Page } from 'playwright-core';
import { missing, REQUIRED, which, type Needs } from './requirements.js';

/** Where Debian installs Chromium; else whatever `chromium` is on PATH. */
export function chromiumPath(): string | null {
  return existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : which('chromium');
}

export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'];

type Playwright = typeof import('playwright-core');

/** playwright-core, or the reason it cannot be loaded. */
export async function loadPlaywright(): Promise<{ pw: Playwright } | { error: string }> {
  try {
    return { pw: await import('playwright-core') };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND')
      return { error: 'the npm package playwright-core (npm install)' };
    throw e;
  }
}

/** What the browser test lacks: programs (requirements.ts's wording), Chromium, playwright-core. */
export async function browserMissing(needs: Needs): Promise<string[]> {
  const out = missing(needs);
  if (chromiumPath() === null) out.push('Chromium at /usr/bin/chromium (apt-get install chromium)');
  const pw = await loadPlaywright();
  if ('error' in pw) out.push(pw.error);
  return out;
}

/** systemGate's rule for a list computed beforehand: skip with the reason, or fail under REQUIRE_SYSTEM_TESTS=1. */
export function gate(t: TestContext, lacking: string[]): boolean {
  if (lacking.length === 0) return true;
  const msg = `system test needs ${lacking.join(', ')}`;
  if (REQUIRED) throw new Error(`${msg}; REQUIRE_SYSTEM_TESTS=1 turns this skip into a failure`);
  t.skip(`${msg} (set REQUIRE_SYSTEM_TESTS=1 to fail instead of skipping)`);
  return false;
}

export interface LaunchOptions {
  /** Profile and HOME go below it (it must exist). */
  dir: string;
  /** HTTP Basic credentials, given when a server asks (nginx and the endpoint). */
  httpCredentials?: { username: string; password: string };
  colorScheme?: 'dark' | 'light';
  viewport?: { width: number; height: number };
  deviceScaleFactor?: number;
  locale?: string;
  timezoneId?: string;
}

/** Chromium with a fresh profile in `dir/chromium-profile`: one context, closed by `close()`. */
export async function launchChromium(
  o: LaunchOptions,
): Promise<{ context: BrowserContext; profile: string; close: () => Promise<void> }> {
  const loaded = await loadPlaywright();
  if ('error' in loaded) throw new Error(`cannot load ${loaded.error}`);
  const executablePath = chromiumPath();
  if (executablePath === null) throw new Error('Chromium is not installed (apt-get install chromium)');
  const profile = join(o.dir, 'chromium-profile');
  const home = join(o.dir, 'chromium-home');
  await mkdir(profile, { recursive: true });
  await mkdir(home, { recursive: true });
  const context = await loaded.pw.chromium.launchPersistentContext(profile, {
    executablePath,
    args: CHROMIUM_ARGS,
    env: { ...process.env, HOME: home, XDG_CONFIG_HOME: join(home, '.config'), XDG_CACHE_HOME: join(home, '.cache') },
    acceptDownloads: true,
    colorScheme: o.colorScheme ?? 'dark',
    viewport: o.viewport ?? { width: 1400, height: 1000 },
    deviceScaleFactor: o.deviceScaleFactor ?? 1,
    locale: o.locale ?? 'de-DE',
    timezoneId: o.timezoneId ?? 'Europe/Berlin',
    ...(o.httpCredentials ? { httpCredentials: o.httpCredentials } : {}),
  });
  let closed = false;
  return {
    context,
    profile,
    close: async () => {
      if (closed) return;
      closed = true;
      // A browser that does not close within 20 s is killed by playwright's own handlers at exit;
      // the test reports it through its leftovers check.
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('Chromium did not close within 20 s')), 20_000);
      });
      try {
        await Promise.race([context.close(), timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** A dialog the test expects next: its type and text, and whether to accept it. */
export interface ExpectedDialog {
  type: 'alert' | 'confirm' | 'prompt' | 'beforeunload';
  message: RegExp;
  accept: boolean;
  /** What to type into a prompt before accepting it. */
  text?: string;
}

export interface CspViolation {
  directive: string;
  blocked: string;
  source: string;
  line: number;
  sample: string;
  page: string;
}

/**
 * Records what a page must not do, for every page of a context. `problems` lists them as
 * text; `take()` returns and clears them (each test asserts its own part is empty).
 */
export class PageWatch {
  readonly problems: string[] = [];
  readonly violations: CspViolation[] = [];
  /** Every dialog seen, expected or not: "type: message". */
  readonly dialogs: string[] = [];
  private expected: ExpectedDialog[] = [];
  /** Answers that are part of HTTP authentication, not errors: nginx's and the endpoint's 401 challenge. */
  private readonly allowedStatus = new Set([401]);

  static async attach(context: BrowserContext): Promise<PageWatch> {
    const w = new PageWatch();
    await context.exposeBinding('__oswCspViolation', (source, v: Omit<CspViolation, 'page'>) => {
      w.violations.push({ ...v, page: source.page.url() });
      w.problems.push(
        `CSP violation on ${source.page.url()}: ${v.directive} blocked ${v.blocked || '(inline)'} at ${v.source}:${v.line} ${v.sample}`,
      );
    });
    // Runs before any script of the page, in every frame; not subject to the page's CSP.
    await context.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e) => {
        const report = (window as unknown as { __oswCspViolation: (v: unknown) => Promise<void> }).__oswCspViolation;
        void report({
          directive: e.violatedDirective,
          blocked: e.blockedURI,
          source: e.sourceFile,
          line: e.lineNumber,
          sample: e.sample,
        });
      });
    });
    for (const p of context.pages()) w.watch(p);
    context.on('page', (p) => w.watch(p));
    return w;
  }

  private watch(page: Page): void {
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning' || m.type() === 'assert') {
        const loc = m.location();
        this.problems.push(`console ${m.type()} on ${page.url()}: ${m.text()} (${loc.url}:${loc.lineNumber})`);
      }
    });
    page.on('pageerror', (e) => this.problems.push(`uncaught exception on ${page.url()}: ${e.stack ?? e.message}`));
    page.on('requestfailed', (r) => {
      // A download that the test saves is not a failure; neither is a navigation the page itself replaced (reload).
      const reason = r.failure()?.errorText ?? '';
      if (reason === 'net::ERR_ABORTED') return;
      this.problems.push(`request failed on ${page.url()}: ${r.method()} ${r.url()}: ${reason}`);
    });
    page.on('response', (r) => {
      if (r.status() >= 400 && !this.allowedStatus.has(r.status()))
        this.problems.push(`HTTP ${r.status()} for ${r.request().method()} ${r.url()} (page ${page.url()})`);
    });
    page.on('dialog', (d) => void this.onDialog(d));
  }

  private async onDialog(d: Dialog): Promise<void> {
    const seen = `${d.type()}: ${d.message()}`;
    this.dialogs.push(seen);
    const want = this.expected.shift();
    if (!want) {
      this.problems.push(`unexpected dialog on ${d.page()?.url() ?? '?'}: ${seen}`);
      await d.dismiss();
      return;
    }
    if (d.type() !== want.type || !want.message.test(d.message())) {
      this.problems.push(`dialog "${seen}" where a ${want.type} matching ${want.message} was expected`);
      await d.dismiss();
      return;
    }
    if (want.accept) await d.accept(want.text);
    else await d.dismiss();
  }

  /** The next dialogs, in order, and how to answer them. */
  expectDialogs(...list: ExpectedDialog[]): void {
    this.expected.push(...list);
  }

  /** Dialogs expected but not (yet) seen. */
  pendingDialogs(): ExpectedDialog[] {
    return [...this.expected];
  }

  /** Returns the problems recorded so far and forgets them. */
  take(): string[] {
    return this.problems.splice(0, this.problems.length);
  }
}
