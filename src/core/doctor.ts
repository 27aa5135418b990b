/**
 * `doctor`'s judgement: facts about the files a run needs (gathered by src/io/doctor-facts.ts)
 * in, one line per check out, each OK, WARN or FAIL, and every WARN or FAIL with the fix.
 * Pure, so each verdict and its advice is tested without a server in a bad state.
 */
import type { Result } from './result.js';

export type Level = 'OK' | 'WARN' | 'FAIL';

export interface DoctorLine {
  level: Level;
  /** A stable id for tests and scripts: `status.readable`, `history.folder`, … */
  check: string;
  /** What was checked: `status udp`, `history`, `output folder`, … */
  subject: string;
  message: string;
  /** What to do about it; null on OK lines. */
  fix: string | null;
}

/** Why an attempt failed: the fs error's code (EACCES, EROFS, …) and text. */
export interface FsFailure {
  code: string;
  message: string;
}

/** The outcome of an attempt to open, read or write something. */
export type Attempt = Result<void, FsFailure>;

export interface RunAs {
  uid: number;
  user: string;
  /** The primary group's name. */
  group: string;
}

export interface FileInfo {
  mode: number;
  uid: number;
  /** The owner's name, or null when the uid has no name here. */
  owner: string | null;
  group: string | null;
  size: number;
  mtimeMs: number;
}

/** What the collector's reader made of a status file, or why it refused it. */
export type StatusParse = Result<{ format: 1 | 2 | 3; updatedAt: string | null; clients: number }, string>;

export interface StatusWatch {
  /** How long the file was watched. */
  watchedMs: number;
  /** The file's settled mtimes, the one seen first included, in order. */
  mtimes: number[];
  /** The file was missing at some moment while it was watched. */
  wentMissing: boolean;
}

export interface StatusFacts {
  instance: string;
  path: string;
  /** null: missing (or its folder cannot be searched: see statError). */
  info: FileInfo | null;
  statError: Attempt;
  read: Attempt | null;
  parse: StatusParse | null;
  /** null: not watched (--no-wait, or the file is missing). */
  watch: StatusWatch | null;
}

/** A file the runs write (history CSV, state) or a folder they write in (history, output). */
export interface WritableFacts {
  path: string;
  exists: boolean;
  /** For a file: it can be opened for reading. */
  read: Attempt | null;
  /** For a file: it can be opened for writing; for a folder: a file can be created in it. */
  write: Attempt | null;
  info: FileInfo | null;
  /** When it does not exist: the nearest folder above it that does, and whether it can be created there. */
  creatableIn: { dir: string; write: Attempt } | null;
  /** It exists but is of the wrong kind (a file where a folder belongs, or the reverse). */
  wrongKind: boolean;
}

export type LockFacts =
  | { path: string; held: false }
  /** The lock file could not be looked at (its folder is missing or not ours to read). */
  | { path: string; held: 'unknown'; reason: string }
  | {
      path: string;
      held: true;
      ageMs: number;
      /** Null when the lock file holds no readable owner (being written, or debris of a crash). */
      owner: { pid: number; host: string } | null;
      sameHost: boolean;
      /** Only known on the same host. */
      alive: boolean | null;
      /** The owner's command line, when alive and visible. */
      command: string | null;
    };

export interface AliasFacts {
  path: string;
  exists: boolean;
  count: number;
  problem: string | null;
}

export interface DoctorFacts {
  nowMs: number;
  runAs: RunAs;
  nodeVersion: string;
  staleAfterS: number;
  lockTimeoutS: number;
  tz: string;
  status: StatusFacts[];
  history: WritableFacts;
  state: WritableFacts;
  historyFolder: WritableFacts;
  out: WritableFacts;
  lock: LockFacts;
  aliases: AliasFacts;
  /** The country database collect reads (absent: not looked at). */
  countryDb?: CountryDbFacts;
}

/** The shipped country database: its package, version, licence and the files' build times, or why it cannot be read. */
export type CountryDbFacts =
  | { ok: true; package: string; version: string; licence: string; built: { ipv4: string; ipv6: string } }
  | { ok: false; problem: string };

/** Status files older than this (relative to staleAfter) get a warning before they count as stopped. */
const STALE_WARN_FRACTION = 0.5;
/** Above this OpenVPN status interval, ends are noticed late enough to say so. */
const SLOW_INTERVAL_S = 30;
/** OpenVPN's update time and the file's mtime may differ by the time a rewrite takes, not more. */
const CLOCK_SLACK_S = 90;
const MIN_NODE: [number, number] = [20, 19];

const SYSTEMD_HINT =
  'the shipped scripts/systemd/openvpn-status-web.service does, sandboxed: a read-only system, writable only where it writes';

export function modeText(mode: number): string {
  return `0${(mode & 0o777).toString(8).padStart(3, '0')}`;
}

function ownerText(info: FileInfo): string {
  return `owner ${info.owner ?? `uid ${info.uid}`}${info.group ? `:${info.group}` : ''}, mode ${modeText(info.mode)}`;
}

function asUser(r: RunAs): string {
  return r.uid === 0 ? 'root' : `${r.user} (uid ${r.uid})`;
}

export function secondsText(s: number): string {
  const r = Math.round(s);
  if (r < 120) return `${r} s`;
  if (r < 7200) return `${Math.round(r / 60)} min`;
  if (r < 172_800) return `${Math.round(r / 3600)} h`;
  return `${Math.round(r / 86_400)} days`;
}

function line(level: Level, check: string, subject: string, message: string, fix: string | null = null): DoctorLine {
  return { level, check, subject, message, fix: level === 'OK' ? null : fix };
}

function nodeLine(version: string): DoctorLine {
  const m = /^v?(\d+)\.(\d+)/.exec(version);
  const ok =
    m !== null && (Number(m[1]) > MIN_NODE[0] || (Number(m[1]) === MIN_NODE[0] && Number(m[2]) >= MIN_NODE[1]));
  return ok
    ? line('OK', 'node', 'node', `${version}`)
    : line('FAIL', 'node', 'node', `${version} is too old`, `install Node.js ${MIN_NODE.join('.')} or newer`);
}

/** Read permission on the status file: OpenVPN creates it 0600, so this is the usual snag. */
function unreadableFix(s: StatusFacts, runAs: RunAs): string {
  const owner = s.info?.owner ?? (s.info ? `uid ${s.info.uid}` : 'its owner');
  const group = runAs.uid === 0 ? 'GROUP' : runAs.group;
  return (
    `OpenVPN creates the status file with mode 0600, owned by the user it runs as (${owner}). ` +
    `Run openvpn-status-web as root: the shipped scripts/systemd/openvpn-status-web.service does, sandboxed, and so does ` +
    `the line in scripts/cron/openvpn-status-web.cron${owner === 'root' ? '' : `; or run it as ${owner}`}. ` +
    `Or let the group ${group} read it: chgrp ${group} ${s.path} && chmod 0640 ${s.path} — OpenVPN keeps the mode while it ` +
    `rewrites the file, but a new file (after a reboot when it lives in /run) is 0600 again, so do it after every ` +
    `OpenVPN start, e.g. with ExecStartPost= in a drop-in for OpenVPN's unit`
  );
}

function statusLines(s: StatusFacts, f: DoctorFacts): DoctorLine[] {
  const subject = `status ${s.instance}`;
  const out: DoctorLine[] = [];
  if (s.info === null) {
    if (!s.statError.ok && s.statError.error.code !== 'ENOENT') {
      out.push(
        line(
          'FAIL',
          'status.present',
          subject,
          `${s.path}: cannot be looked at (${s.statError.error.message})`,
          `${asUser(f.runAs)} must be able to enter every folder on the way: run as root or fix the folders' permissions`,
        ),
      );
      return out;
    }
    out.push(
      line(
        'FAIL',
        'status.present',
        subject,
        `${s.path} does not exist`,
        `is OpenVPN running? Its server config needs "status ${s.path} 10" (and "status-version 3"); or point --status / the config's "status" at the file OpenVPN writes`,
      ),
    );
    return out;
  }
  out.push(line('OK', 'status.present', subject, `${s.path} (${ownerText(s.info)})`));
  if (s.read !== null && !s.read.ok) {
    out.push(
      line(
        'FAIL',
        'status.readable',
        subject,
        `not readable as ${asUser(f.runAs)} (${s.read.error.code}; ${ownerText(s.info)})`,
        unreadableFix(s, f.runAs),
      ),
    );
  } else if (s.read !== null) {
    out.push(line('OK', 'status.readable', subject, `readable as ${asUser(f.runAs)}`));
  }

  let updatedMs: number | null = null;
  if (s.parse !== null && !s.parse.ok) {
    out.push(
      line(
        'FAIL',
        'status.format',
        subject,
        `not a complete server status file: ${s.parse.error}`,
        `point "status" at the file of OpenVPN's own "status" line (a server's, not a client's; status-version 1, 2 or 3)`,
      ),
    );
  } else if (s.parse !== null) {
    const p = s.parse.value;
    const what = `status-version ${p.format}, ${p.clients} client${p.clients === 1 ? '' : 's'} listed`;
    if (p.format === 1) {
      out.push(
        line(
          'WARN',
          'status.format',
          subject,
          `${what}: version 1 has no time_t, so its times are read in ${f.tz}`,
          'add "status-version 3" to the OpenVPN server config (exact instants; a comma in a common name stays intact)',
        ),
      );
    } else {
      out.push(
        line(
          'OK',
          'status.format',
          subject,
          p.format === 2 ? `${what} (status-version 3 also keeps a comma in a common name intact)` : what,
        ),
      );
    }
    if (p.updatedAt !== null) updatedMs = Date.parse(p.updatedAt);
  }

  // Freshness: what the collector judges by is OpenVPN's own update time; the mtime stands in without one.
  const lastMs = updatedMs ?? s.info.mtimeMs;
  const ageS = (f.nowMs - lastMs) / 1000;
  const source = updatedMs !== null ? 'its update time' : 'its modification time';
  if (ageS >= f.staleAfterS) {
    out.push(
      line(
        'FAIL',
        'status.fresh',
        subject,
        `last updated ${secondsText(ageS)} ago (${source}); after staleAfter = ${f.staleAfterS} s the collector ends this server's sessions as server-stopped`,
        `is OpenVPN running (systemctl status openvpn-server@NAME)? Is this the file of its "status" line? If its interval is longer than ${f.staleAfterS} s, set "status FILE 10" or raise staleAfter`,
      ),
    );
  } else if (ageS < -CLOCK_SLACK_S) {
    out.push(
      line(
        'WARN',
        'status.fresh',
        subject,
        `${source} is ${secondsText(-ageS)} in the future`,
        `check the clock${updatedMs !== null && s.parse?.ok && s.parse.value.format === 1 ? ` and the time zone (tz = ${f.tz})` : ''}`,
      ),
    );
  } else if (ageS > f.staleAfterS * STALE_WARN_FRACTION) {
    out.push(
      line(
        'WARN',
        'status.fresh',
        subject,
        `last updated ${secondsText(ageS)} ago (${source}), close to staleAfter = ${f.staleAfterS} s`,
        'set "status FILE 10" in the OpenVPN server config, or raise staleAfter',
      ),
    );
  } else {
    out.push(
      line(
        'OK',
        'status.fresh',
        subject,
        `updated ${secondsText(Math.max(0, ageS))} ago (staleAfter ${f.staleAfterS} s)`,
      ),
    );
  }
  if (updatedMs !== null) {
    const skewS = (updatedMs - s.info.mtimeMs) / 1000;
    if (Math.abs(skewS) > CLOCK_SLACK_S) {
      const v1 = s.parse?.ok === true && s.parse.value.format === 1;
      out.push(
        line(
          'WARN',
          'status.clock',
          subject,
          `OpenVPN's update time differs from the file's modification time by ${secondsText(Math.abs(skewS))}`,
          v1
            ? `status-version 1 times are read in tz = ${f.tz}: set tz to the zone OpenVPN's host runs in, or use "status-version 3"`
            : 'is the file copied from another host with a different clock?',
        ),
      );
    }
  }

  // A stale file that was not rewritten either has said all there is to say above.
  const staleAndStill = ageS >= f.staleAfterS && s.watch !== null && s.watch.mtimes.length < 2;
  if (s.watch !== null && !staleAndStill) out.push(intervalLine(s, s.watch, f, subject));
  return out;
}

function intervalLine(s: StatusFacts, w: StatusWatch, f: DoctorFacts, subject: string): DoctorLine {
  const watched = secondsText(w.watchedMs / 1000);
  const intervals: number[] = [];
  for (let i = 1; i < w.mtimes.length; i++)
    intervals.push(((w.mtimes[i] as number) - (w.mtimes[i - 1] as number)) / 1000);
  const missing = w.wentMissing ? '; it was missing for a moment (OpenVPN restarted?)' : '';
  if (intervals.length === 0) {
    const first = w.mtimes[0];
    // nowMs is when the file was read, just before the watch began.
    const quietS = (first === undefined ? 0 : (f.nowMs - first) / 1000) + w.watchedMs / 1000;
    return line(
      'WARN',
      'status.interval',
      subject,
      `not rewritten while watched for ${watched} (unchanged for ${secondsText(quietS)})${missing}`,
      `OpenVPN rewrites it every N seconds of "status ${s.path} N" (default 60): set 10, or watch longer with --wait SECONDS`,
    );
  }
  const every = Math.max(...intervals);
  const seen = `every ${secondsText(every)} (${intervals.length} update${intervals.length === 1 ? '' : 's'} seen: ${intervals.map((i) => secondsText(i)).join(', ')})${missing}`;
  if (every >= f.staleAfterS) {
    return line(
      'FAIL',
      'status.interval',
      subject,
      `OpenVPN rewrites it ${seen}, not within staleAfter = ${f.staleAfterS} s`,
      `set "status ${s.path} 10" in the OpenVPN server config`,
    );
  }
  if (every > SLOW_INTERVAL_S || w.wentMissing) {
    return line(
      'WARN',
      'status.interval',
      subject,
      `OpenVPN rewrites it ${seen}`,
      w.wentMissing && every <= SLOW_INTERVAL_S
        ? 'a missing status file for longer than staleAfter ends its sessions as server-stopped: check that OpenVPN does not keep restarting'
        : `an end is noticed two updates late: set "status ${s.path} 10" in the OpenVPN server config`,
    );
  }
  return line('OK', 'status.interval', subject, `OpenVPN rewrites it ${seen}`);
}

function accessFix(a: Attempt, path: string, runAs: RunAs, info: FileInfo | null): string {
  if (!a.ok && a.error.code === 'EROFS') {
    return `${path} is on a read-only file system here; under systemd's ProtectSystem=strict its folder must be listed in ReadWritePaths= (or be the StateDirectory=) of the unit`;
  }
  const owner = info ? ` (now ${ownerText(info)})` : '';
  return `run as root (${SYSTEMD_HINT}), or let ${runAs.user} write it: chown ${runAs.user} ${path}${owner}`;
}

function writableFileLines(w: WritableFacts, check: string, subject: string, runAs: RunAs, role: string): DoctorLine[] {
  if (w.wrongKind) return [line('FAIL', check, subject, `${w.path} is not a regular file`, `move it away; ${role}`)];
  // Whether it can be created is the folder line's to say.
  if (!w.exists) return [line('OK', check, subject, `${w.path}: does not exist yet`)];
  if (w.info === null && w.read !== null && !w.read.ok) {
    // Not even its metadata could be read: one line, not one per attempt.
    return [
      line(
        'FAIL',
        check,
        subject,
        `${w.path}: cannot be looked at as ${asUser(runAs)} (${w.read.error.code})`,
        accessFix(w.read, w.path, runAs, null),
      ),
    ];
  }
  const out: DoctorLine[] = [];
  const size = w.info ? `, ${w.info.size} bytes` : '';
  if (w.read !== null && !w.read.ok) {
    out.push(
      line(
        'FAIL',
        `${check}.readable`,
        subject,
        `${w.path}: not readable as ${asUser(runAs)} (${w.read.error.code})`,
        accessFix(w.read, w.path, runAs, w.info),
      ),
    );
  }
  if (w.write !== null && !w.write.ok) {
    out.push(
      line(
        'FAIL',
        `${check}.writable`,
        subject,
        `${w.path}: not writable as ${asUser(runAs)} (${w.write.error.code}); ${role}`,
        accessFix(w.write, w.path, runAs, w.info),
      ),
    );
  }
  if (out.length === 0) out.push(line('OK', check, subject, `${w.path}: readable and writable${size}`));
  return out;
}

function folderLine(w: WritableFacts, check: string, subject: string, runAs: RunAs, role: string): DoctorLine {
  if (w.wrongKind)
    return line('FAIL', check, subject, `${w.path} is not a folder`, `move it away or choose another path; ${role}`);
  if (!w.exists) {
    const c = w.creatableIn;
    if (c === null)
      return line(
        'FAIL',
        check,
        subject,
        `${w.path} does not exist, nor does any folder above it`,
        `create it: install -d ${w.path}`,
      );
    if (!c.write.ok) {
      const fix =
        c.write.error.code === 'EROFS'
          ? accessFix(c.write, c.dir, runAs, null)
          : `create it as root: install -d${runAs.uid === 0 ? '' : ` -o ${runAs.user}`} ${w.path}`;
      return line(
        'FAIL',
        check,
        subject,
        `${w.path} does not exist and cannot be created in ${c.dir} as ${asUser(runAs)} (${c.write.error.code})`,
        fix,
      );
    }
    return line('OK', check, subject, `${w.path} does not exist yet; the first run creates it (${c.dir} is writable)`);
  }
  if (w.write !== null && !w.write.ok) {
    return line(
      'FAIL',
      check,
      subject,
      `${w.path}: cannot create files in it as ${asUser(runAs)} (${w.write.error.code}); ${role}`,
      accessFix(w.write, w.path, runAs, w.info),
    );
  }
  return line('OK', check, subject, `${w.path}: writable`);
}

function lockLine(l: LockFacts, lockTimeoutS: number): DoctorLine {
  const subject = 'lock';
  if (l.held === false) return line('OK', 'lock', subject, `${l.path}: free`);
  if (l.held === 'unknown')
    return line('WARN', 'lock', subject, `${l.path}: cannot be looked at (${l.reason})`, 'see the history folder line');
  const age = secondsText(l.ageMs / 1000);
  if (l.owner === null) {
    return line(
      'WARN',
      'lock',
      subject,
      `${l.path}: present for ${age} with no readable owner`,
      'the next run removes it once it is 10 s old; if it stays, delete it',
    );
  }
  const who = `pid ${l.owner.pid} on ${l.owner.host}`;
  if (!l.sameHost) {
    return line(
      'WARN',
      'lock',
      subject,
      `${l.path}: held by ${who} for ${age}; this host cannot tell whether it still runs`,
      `if nothing on ${l.owner.host} runs openvpn-status-web on this folder, delete ${l.path}`,
    );
  }
  if (l.alive === false) {
    return line(
      'WARN',
      'lock',
      subject,
      `${l.path}: left by ${who}, which is gone (killed?)`,
      'nothing to do: the next run takes it over',
    );
  }
  const cmd = l.command ? ` (${l.command})` : '';
  if (l.ageMs / 1000 >= lockTimeoutS) {
    return line(
      'WARN',
      'lock',
      subject,
      `${l.path}: held by ${who}${cmd} for ${age}, longer than lockTimeout = ${lockTimeoutS} s: runs give up waiting for it`,
      `a first (full) build takes a while; otherwise check "ps -p ${l.owner.pid}" and stop it if it hangs (the next run takes the lock over)`,
    );
  }
  return line('OK', 'lock', subject, `${l.path}: held by a run in progress, ${who}${cmd}, for ${age}`);
}

function aliasLine(a: AliasFacts): DoctorLine {
  if (!a.exists) return line('OK', 'aliases', 'aliases', `${a.path}: none (the file does not exist)`);
  if (a.problem !== null)
    return line('WARN', 'aliases', 'aliases', a.problem, `fix the file: a JSON object {"user": "alias"}`);
  return line('OK', 'aliases', 'aliases', `${a.path}: ${a.count} alias${a.count === 1 ? '' : 'es'}`);
}

function countryDbLine(c: CountryDbFacts): DoctorLine {
  if (!c.ok) {
    return line(
      'WARN',
      'countries',
      'country database',
      `cannot be read (${c.problem}): new sessions are recorded without a country until it can`,
      'install the package again (npm ci, or npm install -g openvpn-status-web): the database comes inside it',
    );
  }
  const built = c.built.ipv4 === c.built.ipv6 ? c.built.ipv4 : `IPv4 ${c.built.ipv4}, IPv6 ${c.built.ipv6}`;
  return line('OK', 'countries', 'country database', `${c.package} ${c.version} (built ${built}; ${c.licence})`);
}

export function diagnose(f: DoctorFacts): DoctorLine[] {
  const out: DoctorLine[] = [nodeLine(f.nodeVersion)];
  for (const s of f.status) out.push(...statusLines(s, f));
  const historyRole = 'collect appends ended sessions to it';
  out.push(...writableFileLines(f.history, 'history', 'history', f.runAs, historyRole));
  out.push(
    ...writableFileLines(f.state, 'state', 'history state', f.runAs, 'every run rewrites the open sessions in it'),
  );
  out.push(
    folderLine(
      f.historyFolder,
      'history.folder',
      'history folder',
      f.runAs,
      'the history, its state, lock and cache live there',
    ),
  );
  out.push(folderLine(f.out, 'out', 'output folder', f.runAs, 'build writes the site into it'));
  out.push(lockLine(f.lock, f.lockTimeoutS));
  out.push(aliasLine(f.aliases));
  if (f.countryDb !== undefined) out.push(countryDbLine(f.countryDb));
  return out;
}

export function hasFailure(lines: DoctorLine[]): boolean {
  return lines.some((l) => l.level === 'FAIL');
}

/** `OK   subject: message`, the fix on the next line. */
export function formatLines(lines: DoctorLine[], onlyProblems = false): string {
  return lines
    .filter((l) => !onlyProblems || l.level !== 'OK')
    .map((l) => `${l.level.padEnd(4)}  ${l.subject}: ${l.message}${l.fix ? `\n      fix: ${l.fix}` : ''}`)
    .join('\n');
}
