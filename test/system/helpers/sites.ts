/**
 * A site to serve through nginx (and to drive with a browser): generated history and live
 * clients (src/demo/synthetic.ts via test/helpers/site.ts), built by the compiled CLI's
 * `run`, and the real endpoint (`serve`) for /api/.
 */
import { chmod, mkdir } from 'node:fs/promises';
import { CLI } from '../../helpers/build.js';
import { cliOk } from '../../helpers/cli.js';
import { siteArgs, writeSyntheticSite, type SyntheticSite, type SyntheticSiteOptions } from '../../helpers/site.js';
import { setPassword } from '../../../src/io/passwd.js';
import type { Proc, Procs } from './procs.js';

/**
 * Writes generated data into `dir` (which must not exist yet) and builds the site into
 * `dir/site` with `run --now T0`. The folders are made readable for nginx's workers.
 */
export async function buildSite(dir: string, o: Partial<SyntheticSiteOptions> = {}): Promise<SyntheticSite> {
  await mkdir(dir, { recursive: true });
  await chmod(dir, 0o755);
  const site = await writeSyntheticSite(dir, { sessions: 400, users: 12, spanDays: 14, live: 5, ...o });
  await cliOk(['run', ...siteArgs(site.paths, site.updatedAt)]);
  return site;
}

/** A password file for the endpoint (cheap scrypt parameters; the format is the real one). */
export async function writeApiPasswd(file: string, user: string, password: string): Promise<string> {
  await setPassword(file, user, password, { ln: 10, r: 8, p: 1 });
  return file;
}

/**
 * `openvpn-status-web serve` on 127.0.0.1 (a free port) over the site's history and output
 * folder; resolves with the port once it listens. Stopped with the other processes of `procs`.
 */
export async function startEndpoint(
  procs: Procs,
  site: SyntheticSite,
  o: { passwd: string; logFile: string; publicOrigin?: string },
): Promise<{ port: number; proc: Proc }> {
  const args = [CLI, 'serve', '--passwd', o.passwd, '--listen', '127.0.0.1:0', ...siteArgs(site.paths, site.updatedAt)];
  if (o.publicOrigin !== undefined) args.push('--public-origin', o.publicOrigin);
  const proc = procs.spawn('openvpn-status-web serve', process.execPath, args, { logFile: o.logFile });
  const m = await procs.waitOutput(proc, /API: http:\/\/127\.0\.0\.1:(\d+)\/api\//, 30_000);
  return { port: Number(m[1]), proc };
}
