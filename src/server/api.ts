/**
 * The endpoint behind nginx's /api/: delete, clear and restore history entries. Every
 * request passes, in this order: Host (421 unless a name this server answers for: DNS
 * rebinding); route (404) and method (405); for POST, a cross-site check (403: an Origin
 * other than this host or the public origin, or Sec-Fetch-Site cross-site/same-site); HTTP
 * Basic authentication against the password file (401), with a per-client slowdown after
 * failed attempts (429; IPv6 clients counted by /64); for POST, Content-Type
 * application/json (415: an HTML form cannot send it, and a cross-site fetch with it needs
 * a CORS preflight this server never grants), a body of at most 64 KB (413) that parses
 * and is at most 16 levels deep (400). Answers are JSON, never cached; every log line has
 * its control characters escaped.
 *
 *   GET  /api/health            {ok: true}: no authentication; the page shows its delete controls when this answers
 *   GET  /api/sessions/count    {count}: what a clear would delete
 *   GET  /api/trash?limit=N     {total, entries}: the newest deleted entries (default 100, at most 1000)
 *   POST /api/sessions/delete   {ids: [...]}
 *   POST /api/sessions/clear    {confirm: "DELETE ALL", expectedCount: N}
 *   POST /api/sessions/restore  {ids: [...]}
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import { parseClearBody, parseIdsBody, parseReason, type Checked, type Refusal } from '../core/deletion.js';
import { InputError, isExpectedError } from '../core/errors.js';
import { logSafe } from '../core/log-safe.js';
import type { LockBusy } from '../core/result.js';
import { passwdVersion, readPasswd, verifyUser } from '../io/passwd.js';
import type { Actor, EditResult, HistoryOps, Unpublished } from '../app/history-edit.js';
import { SECURITY_HEADERS } from './static.js';

export const BODY_LIMIT = 64 * 1024;
/** How much of an oversized body is read (and dropped) so the client sees the 413 before the connection closes. */
const DRAIN_LIMIT = 1024 * 1024;
const REALM = 'openvpn-status-web';

export interface SlowdownOptions {
  /** Failed attempts allowed before the slowdown starts. */
  free: number;
  /** The wait after the first counted failure; doubled with each further one. */
  baseMs: number;
  maxMs: number;
  /** A client's failures are forgotten this long after its last one. */
  forgetMs: number;
  /** At most this many clients are remembered (the oldest are forgotten first). */
  maxClients: number;
}

/** Checks of one client that may wait for its checks in progress; more are refused at once. */
const MAX_WAITING = 64;

export const DEFAULT_SLOWDOWN: SlowdownOptions = {
  free: 3,
  baseMs: 1000,
  maxMs: 60_000,
  forgetMs: 15 * 60_000,
  maxClients: 10_000,
};

interface ClientAttempts {
  failures: number;
  /** Checks started and not yet settled: they count against the free attempts until they settle. */
  inFlight: number;
  last: number;
  until: number;
}

/**
 * Failed logins per client: after `free` of them, each further attempt must wait, twice as
 * long each time. A check is reserved before the password is verified, so that parallel
 * guesses cannot all start before the first one has failed.
 */
export class FailedAttempts {
  private readonly clients = new Map<string, ClientAttempts>();
  /** Checks that wait for a client's checks in progress, woken when one settles (apart from `clients`: never forgotten early). */
  private readonly waiting = new Map<string, (() => void)[]>();
  constructor(
    private readonly opts: SlowdownOptions = DEFAULT_SLOWDOWN,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Milliseconds `client` must still wait before its credentials are checked again; 0 = now. */
  waitMs(client: string): number {
    const c = this.clients.get(client);
    if (!c) return 0;
    const now = this.clock();
    if (c.inFlight === 0 && now - c.last > this.opts.forgetMs) {
      this.clients.delete(client);
      return 0;
    }
    return Math.max(0, c.until - now);
  }

  /**
   * Starts a check for `client`: resolves with 0 when it may go ahead (then `settle` must
   * follow), else with the milliseconds it must wait first. While checks of the client are
   * in progress that, if they failed, would use up its free attempts, a further one waits
   * for them (at most MAX_WAITING per client), so parallel requests fare as serial ones:
   * the right password goes on, guesses meet the slowdown.
   */
  async reserve(client: string): Promise<number> {
    for (;;) {
      const wait = this.waitMs(client);
      if (wait > 0) return wait;
      const c = this.clients.get(client);
      if (c === undefined || c.inFlight === 0 || c.failures + c.inFlight <= this.opts.free) {
        this.touch(client).inFlight++;
        return 0;
      }
      const waiting = this.waiting.get(client) ?? [];
      if (waiting.length >= MAX_WAITING) return this.delay(c.failures + c.inFlight - this.opts.free);
      this.waiting.set(client, waiting);
      await new Promise<void>((resolve) => waiting.push(resolve));
    }
  }

  /** Ends a check begun with `reserve`; the client's waiting checks look again. */
  settle(client: string, ok: boolean): void {
    const c = this.touch(client);
    c.inFlight = Math.max(0, c.inFlight - 1);
    if (ok) this.succeed(client);
    else this.fail(client);
    const waiting = this.waiting.get(client);
    this.waiting.delete(client);
    for (const wake of waiting ?? []) wake();
  }

  fail(client: string): void {
    const now = this.clock();
    const c = this.touch(client);
    c.failures++;
    c.last = now;
    const over = c.failures - this.opts.free;
    c.until = over > 0 ? now + this.delay(over) : 0;
  }

  succeed(client: string): void {
    const c = this.clients.get(client);
    if (c === undefined) return;
    if (c.inFlight > 0) Object.assign(c, { failures: 0, until: 0 });
    else this.clients.delete(client);
  }

  private delay(over: number): number {
    return Math.min(this.opts.maxMs, this.opts.baseMs * 2 ** Math.min(over - 1, 30));
  }

  /** The client's entry, moved to the end of the forgetting order (created if new); the oldest beyond maxClients are forgotten. */
  private touch(client: string): ClientAttempts {
    const c = this.clients.get(client) ?? { failures: 0, inFlight: 0, last: this.clock(), until: 0 };
    this.clients.delete(client); // re-insert: the map's order is the forgetting order
    this.clients.set(client, c);
    while (this.clients.size > this.opts.maxClients) {
      const oldest = this.clients.keys().next().value;
      if (oldest === undefined || oldest === client) break;
      this.clients.delete(oldest);
    }
    return c;
  }
}

/**
 * Null when a state-changing request may come from where it says, else why not. Browsers
 * send Origin with every POST and Sec-Fetch-Site with every request; a request with
 * neither is not from a browser (curl, a script with the password), so no page can have
 * made it.
 */
export function crossSiteProblem(headers: IncomingMessage['headers'], publicOrigin: string | null): string | null {
  const origin = headers.origin;
  if (origin !== undefined) {
    const host = headers.host;
    const same = host !== undefined && (origin === `http://${host}` || origin === `https://${host}`);
    return same || (publicOrigin !== null && origin === publicOrigin)
      ? null
      : `requests from origin ${origin.slice(0, 200)} are not accepted`;
  }
  const site = headers['sec-fetch-site'];
  if (site === 'cross-site' || site === 'same-site') return `${site} requests are not accepted`;
  return null;
}

const LOOPBACK = (a: string): boolean => a === '::1' || /^(::ffff:)?127\./.test(a);

/** Host header → lower-case name (IPv6 in brackets) and port (null without one), or null when malformed. */
function splitHost(host: string): { name: string; port: string | null } | null {
  const m = /^(\[[0-9a-f:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/i.exec(host);
  return m ? { name: (m[1] as string).toLowerCase(), port: m[2] ?? null } : null;
}

const isLoopbackName = (name: string): boolean => {
  const bare = name.replace(/^\[|\]$/g, '');
  return name === 'localhost' || (isIP(bare) !== 0 && LOOPBACK(bare));
};

/**
 * Which Host headers `serve` answers: loopback names (nginx on this machine, curl) on any
 * port, and the public origin's host. A page of another name that resolves to this machine
 * (DNS rebinding) sends its own name and is refused.
 */
export function loopbackOrPublicHost(publicOrigin: string | null): (host: string) => boolean {
  const publicHost = publicOrigin === null ? null : new URL(publicOrigin).host.toLowerCase();
  return (host) => {
    const h = splitHost(host);
    return h !== null && (isLoopbackName(h.name) || `${h.name}${h.port === null ? '' : `:${h.port}`}` === publicHost);
  };
}

/** The Host headers that name `host:port` itself (on a loopback address, every loopback name); port 80 may be left out. */
export function listenHosts(host: string, port: number): string[] {
  const literal = host.includes(':') ? `[${host.toLowerCase()}]` : host.toLowerCase();
  const names = isLoopbackHost(host) ? [...new Set([literal, '127.0.0.1', 'localhost', '[::1]'])] : [literal];
  return names.flatMap((n) => (port === 80 ? [`${n}:80`, n] : [`${n}:${port}`]));
}

/** The client's address; behind nginx (a loopback peer) the X-Real-IP it sets. */
export function clientAddress(req: IncomingMessage, trustProxy: boolean): string {
  const peer = req.socket.remoteAddress ?? 'unknown';
  const real = req.headers['x-real-ip'];
  if (trustProxy && LOOPBACK(peer) && typeof real === 'string' && isIP(real.trim()) !== 0) return real.trim();
  return peer;
}

/** The 8 groups of an IPv6 address (without zone), or null when it is none. */
function ipv6Groups(address: string): number[] | null {
  let text = address.replace(/%.*$/, '');
  if (isIP(text) !== 6) return null;
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const part = (p: string | undefined): number[] =>
    p === undefined || p === '' ? [] : p.split(':').map((g) => parseInt(g, 16));
  const front = part(head);
  const back = part(tail);
  const zeros = tail === undefined ? [] : new Array<number>(8 - front.length - back.length).fill(0);
  return [...front, ...zeros, ...back];
}

/**
 * Whose failed logins an address counts as: an IPv4 address (also written IPv4-mapped,
 * ::ffff:a.b.c.d) by itself, an IPv6 address by its /64, which one subscriber usually holds whole.
 */
export function attemptKey(address: string): string {
  const g = ipv6Groups(address);
  if (g === null) return address;
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) {
    const [hi, lo] = [g[6] as number, g[7] as number];
    return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  }
  return `${g
    .slice(0, 4)
    .map((x) => x.toString(16))
    .join(':')}::/64`;
}

/** User and password of a Basic Authorization header, or null. */
export function parseBasicAuth(header: string | undefined): { user: string; password: string } | null {
  if (header === undefined) return null;
  const m = /^Basic[ ]+([A-Za-z0-9+/]+={0,2})[ ]*$/i.exec(header);
  if (!m) return null;
  const text = Buffer.from(m[1] as string, 'base64').toString('utf8');
  const colon = text.indexOf(':');
  if (colon <= 0) return null;
  return { user: text.slice(0, colon), password: text.slice(colon + 1) };
}

export interface ApiOptions {
  ops: HistoryOps;
  /** The password file; null runs without authentication (the demo, on a loopback address only). */
  passwd: string | null;
  publicOrigin: string | null;
  /** Where refused logins and unexpected errors are reported. */
  warn: (msg: string) => void;
  /**
   * The Host headers answered (421 otherwise): a list (exact, any case) or a test; default
   * loopbackOrPublicHost(publicOrigin).
   */
  hosts?: readonly string[] | ((host: string) => boolean);
  /** Use nginx's X-Real-IP for requests from a loopback address (default true). */
  trustProxy?: boolean;
  slowdown?: SlowdownOptions;
  clock?: () => number;
}

class HttpRefusal extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
    readonly headers: Record<string, string> = {},
  ) {
    super(String(body.error));
    this.name = 'HttpRefusal';
  }
}

const refuse = (status: number, error: string, headers: Record<string, string> = {}): HttpRefusal =>
  new HttpRefusal(status, { error }, headers);

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const data = Buffer.from(`${JSON.stringify(body)}\n`);
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(data.length),
    'Cache-Control': 'no-store',
    ...headers,
  });
  res.end(data);
}

/** The body, or a 413 once it passes BODY_LIMIT (the rest is read and dropped, up to DRAIN_LIMIT). */
function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    const tooLarge = (): HttpRefusal =>
      refuse(413, `the body is larger than ${BODY_LIMIT} bytes`, { Connection: 'close' });
    if (Number.isFinite(declared) && declared > BODY_LIMIT) {
      drain(req);
      reject(tooLarge());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (c: Buffer): void => {
      size += c.length;
      if (size > BODY_LIMIT) {
        req.off('data', onData);
        drain(req);
        reject(tooLarge());
        return;
      }
      chunks.push(c);
    };
    req.on('data', onData);
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function drain(req: IncomingMessage): void {
  let dropped = 0;
  req.on('data', (c: Buffer) => {
    dropped += c.length;
    if (dropped > DRAIN_LIMIT) req.socket.destroy();
  });
  req.resume();
}

function jsonBody(req: IncomingMessage, raw: Buffer): unknown {
  const type = req.headers['content-type'] ?? '';
  const [media, ...params] = type.split(';').map((p) => p.trim().toLowerCase());
  if (media !== 'application/json')
    throw refuse(415, 'the body must be JSON, sent with Content-Type: application/json');
  const charset = params.find((p) => p.startsWith('charset='));
  if (charset !== undefined && charset.replace(/^charset="?|"?$/g, '') !== 'utf-8')
    throw refuse(415, 'the body must be UTF-8');
  let value: unknown;
  try {
    value = JSON.parse(raw.toString('utf8')) as unknown;
  } catch (e) {
    if (e instanceof SyntaxError) throw refuse(400, `the body is not valid JSON: ${e.message}`);
    throw e;
  }
  // Every valid body is two levels deep; a deeper one would only overflow the stack of what reads it.
  if (nestedDeeperThan(value, MAX_JSON_DEPTH))
    throw refuse(400, `the body is nested more than ${MAX_JSON_DEPTH} levels deep`);
  return value;
}

const MAX_JSON_DEPTH = 16;

/** True when `value` has arrays or objects nested more than `max` deep (without recursion). */
function nestedDeeperThan(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const [v, depth] = item;
    if (v === null || typeof v !== 'object') continue;
    if (depth >= max) return true;
    for (const child of Object.values(v)) stack.push([child, depth + 1]);
  }
  return false;
}

/** The actor with the request's optional reason (refused with 400 when it is not plain text). */
function withReason(actor: Actor, body: unknown): Actor {
  const r = parseReason(body);
  if (!r.ok) throw new HttpRefusal(r.error.status, { error: r.error.message });
  const reason = r.value;
  return reason === undefined ? actor : { ...actor, reason };
}

interface Route {
  method: 'GET' | 'POST';
  auth: boolean;
  run(ctx: { req: IncomingMessage; url: URL; actor: Actor; body: unknown }): Promise<[number, unknown]>;
}

const DONE: Record<Unpublished['action'], string> = { delete: 'deleted', clear: 'deleted', restore: 'restored' };

/**
 * A busy lock is worth a retry (503); a refusal names what was wrong with the request; a
 * change made but not published says both (500: the pages still show the old state).
 */
function failureReply(e: Refusal | LockBusy | Unpublished): [number, unknown] {
  if (e.kind === 'lock-busy') return [503, { error: 'the history is locked by another run; try again in a minute' }];
  if (e.kind === 'unpublished') {
    const where = e.action === 'restore' ? 'into' : 'from';
    const error =
      `${DONE[e.action]} ${e.count} session(s) ${where} the history, but the site could not be rebuilt: ` +
      `the pages and files show ${e.action === 'restore' ? 'them missing' : 'them'} until a run succeeds (${e.reason})`;
    return [500, { error, applied: true, published: false, count: e.count, ids: e.ids }];
  }
  const { kind: _kind, status, message, ...rest } = e;
  return [status, { error: message, ...rest }];
}

function editReply(r: EditResult): [number, unknown] {
  if (r.ok) return [200, { ok: true, count: r.value.count, ids: r.value.ids, rebuilt: r.value.build !== null }];
  return failureReply(r.error);
}

function routes(ops: HistoryOps): Record<string, Route> {
  const checked = <T>(c: Checked<T>): T => {
    if (!c.ok) throw new HttpRefusal(c.error.status, { error: c.error.message });
    return c.value;
  };
  return {
    '/api/health': { method: 'GET', auth: false, run: async () => [200, { ok: true }] },
    '/api/sessions/count': {
      method: 'GET',
      auth: true,
      run: async () => {
        const r = await ops.countSessions();
        return r.ok ? [200, { count: r.value }] : failureReply(r.error);
      },
    },
    '/api/trash': {
      method: 'GET',
      auth: true,
      run: async ({ url }) => {
        const raw = url.searchParams.get('limit') ?? '100';
        if (!/^\d{1,4}$/.test(raw) || Number(raw) > 1000)
          throw refuse(400, 'limit must be a whole number from 0 to 1000');
        return [200, await ops.listTrash(Number(raw))];
      },
    },
    '/api/sessions/delete': {
      method: 'POST',
      auth: true,
      run: async ({ body, actor }) =>
        editReply(await ops.deleteSessions(checked(parseIdsBody(body)), withReason(actor, body))),
    },
    '/api/sessions/clear': {
      method: 'POST',
      auth: true,
      run: async ({ body, actor }) =>
        editReply(await ops.clearHistory(checked(parseClearBody(body)).expectedCount, withReason(actor, body))),
    },
    '/api/sessions/restore': {
      method: 'POST',
      auth: true,
      run: async ({ body, actor }) =>
        editReply(await ops.restoreSessions(checked(parseIdsBody(body)), withReason(actor, body))),
    },
  };
}

type Users = NonNullable<Awaited<ReturnType<typeof readPasswd>>>;

/**
 * The password file's users. A damaged file is reported to the log once per version of the
 * file, and answered with a bare 500: a client that has not logged in learns no path.
 */
function passwdLoader(path: string, warn: (msg: string) => void): () => Promise<Users> {
  let reported: string | null = null;
  return async () => {
    try {
      const users = await readPasswd(path);
      if (users === null) throw new Error(`${path}: the password file is gone`);
      return users;
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      const version = `${await passwdVersion(path)} ${e.message}`;
      if (version !== reported)
        warn(`api: ${e.message}; every request that needs a login answers 500 until the file is fixed`);
      reported = version;
      throw refuse(500, 'internal error; see the server log');
    }
  };
}

/** Basic authentication with the per-client slowdown; the user name, or null without a password file. */
function authenticator(
  opts: ApiOptions,
  warn: (msg: string) => void,
): (req: IncomingMessage, client: string) => Promise<string | null> {
  const attempts = new FailedAttempts(opts.slowdown ?? DEFAULT_SLOWDOWN, opts.clock ?? Date.now);
  const loadUsers = opts.passwd === null ? null : passwdLoader(opts.passwd, warn);
  const challenge = { 'WWW-Authenticate': `Basic realm="${REALM}", charset="UTF-8"` };
  const slowed = (wait: number): HttpRefusal =>
    refuse(429, 'too many failed logins; wait before trying again', { 'Retry-After': String(Math.ceil(wait / 1000)) });
  return async (req, client) => {
    if (loadUsers === null) return null;
    const key = attemptKey(client);
    const wait = attempts.waitMs(key);
    if (wait > 0) throw slowed(wait);
    // No credentials at all is how a browser's first request looks: not a failed attempt.
    if (req.headers.authorization === undefined) throw refuse(401, 'authentication required', challenge);
    const users = await loadUsers();
    // Reserved before the (slow) check: parallel guesses count as soon as they start.
    const reserved = await attempts.reserve(key);
    if (reserved > 0) throw slowed(reserved);
    const creds = parseBasicAuth(req.headers.authorization);
    let ok = false;
    try {
      ok = creds !== null && (await verifyUser(users, creds.user, creds.password));
    } finally {
      attempts.settle(key, ok);
    }
    if (creds && ok) return creds.user.normalize('NFC');
    warn(
      `api: failed login${creds ? ` as "${creds.user.slice(0, 64)}"` : ' (malformed Authorization header)'} from ${client}`,
    );
    throw refuse(401, 'wrong user or password', challenge);
  };
}

/** The request handler (for serveApi, or mounted at /api/ of another server). */
export function apiHandler(opts: ApiOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const table = routes(opts.ops);
  // Log lines quote what clients sent: one line each, control characters escaped.
  const warn = (msg: string): void => opts.warn(logSafe(msg));
  const authenticate = authenticator(opts, warn);
  const trustProxy = opts.trustProxy ?? true;
  const hosts = opts.hosts ?? loopbackOrPublicHost(opts.publicOrigin);
  const hostAllowed =
    typeof hosts === 'function' ? hosts : (h: string) => hosts.some((x) => x.toLowerCase() === h.toLowerCase());

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const host = req.headers.host ?? '';
    if (!hostAllowed(host)) throw refuse(421, `this endpoint does not answer for host "${host.slice(0, 200)}"`);
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://api.invalid');
    } catch (e) {
      if (e instanceof TypeError) throw refuse(400, 'bad request target');
      throw e;
    }
    const route = table[url.pathname];
    if (!route) throw refuse(404, 'no such endpoint');
    if (req.method !== route.method) throw refuse(405, `use ${route.method}`, { Allow: route.method });
    if (route.method === 'POST') {
      const problem = crossSiteProblem(req.headers, opts.publicOrigin);
      if (problem) throw refuse(403, problem);
    }
    const client = clientAddress(req, trustProxy);
    const user = route.auth ? await authenticate(req, client) : null;
    let body: unknown = null;
    if (route.method === 'POST') {
      const type = req.headers['content-type'];
      // Refused before the body is read: a form post or an empty POST never costs more than its headers.
      if (type === undefined || type.split(';')[0]?.trim().toLowerCase() !== 'application/json') {
        drain(req);
        throw refuse(415, 'the body must be JSON, sent with Content-Type: application/json');
      }
      body = jsonBody(req, await readBody(req));
    } else {
      req.resume();
    }
    // A client that hung up while its body was read will not learn the outcome: change nothing for it.
    if (req.socket.destroyed) return;
    const [status, reply] = await route.run({ req, url, actor: { user, client }, body });
    send(res, status, reply);
  };

  return (req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (e instanceof HttpRefusal) {
        send(res, e.status, e.body, e.headers);
        return;
      }
      warn(`api: ${req.method} ${req.url}: ${(e as Error).stack ?? String(e)}`);
      // A damaged history or trash file names itself and its line: the admin can act on that.
      send(res, 500, { error: isExpectedError(e) ? e.message : 'internal error; see the server log' });
    });
  };
}

/** A server that answers only the API; resolves once it listens. */
export function serveApi(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
  host: string,
  port: number,
): Promise<Server> {
  const server = createServer(handler);
  return new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(port, host, () => {
      server.off('error', fail);
      ok(server);
    });
  });
}

/**
 * Routes `/api/…` of an existing server (the demo's static one) to `handler`; every other
 * request still goes to the server's own listeners.
 */
export function mountApi(server: Server, handler: (req: IncomingMessage, res: ServerResponse) => void): void {
  const others = server.listeners('request') as ((req: IncomingMessage, res: ServerResponse) => void)[];
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if ((req.url ?? '').startsWith('/api/')) handler(req, res);
    else for (const l of others) l(req, res);
  });
}

/** True for addresses only this machine can reach: where the API may run without a password. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || LOOPBACK(host);
}
