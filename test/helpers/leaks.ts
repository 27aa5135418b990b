/**
 * Searching every file of an output folder for traces of sessions, for the purge tests:
 * each file's bytes, and inside zip files (xlsx) and gzip streams, their inflated entries,
 * nested ones too. A trace ("needle") is a text a session leaves in the files it is in: its
 * id, start and end (ISO UTC, the zone's wall time, the Excel serial, epoch seconds), its addresses.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { SessionJson } from './cli.js';
import { wallIn } from './export-views.js';
import { listFiles } from './site.js';
import { unzip } from './zip.js';

export interface Needle {
  /** What it is, e.g. "id of s1". */
  what: string;
  text: string;
}

/** The Excel serial of a wall time, to its 6th decimal (0.09 s: no other second shares it). */
export function serialPrefix(wall: string): string {
  const [date, time] = wall.split(' ') as [string, string];
  const [y, mo, d] = date.split('-').map(Number) as [number, number, number];
  const [h, mi, s] = time.split(':').map(Number) as [number, number, number];
  const serial = 25569 + Date.UTC(y, mo - 1, d) / 86_400_000 + (h * 3600 + mi * 60 + s) / 86_400;
  const text = String(serial);
  const dot = text.indexOf('.');
  if (dot < 0) throw new Error(`${wall} is a midnight: its serial ${text} is no trace`);
  return text.slice(0, dot + 7);
}

/**
 * A session's traces. `addresses` adds its public and tunnel addresses (only for sessions
 * whose addresses no other session has: the synthetic users keep their tunnel addresses).
 */
export function traces(s: SessionJson, name: string, addresses: boolean): Needle[] {
  const out: Needle[] = [{ what: `id of ${name}`, text: s.id }];
  const times: [string, string | null][] = [
    ['start', s.connectedAt],
    ['end', s.endedAt],
  ];
  for (const [which, iso] of times) {
    if (iso === null) continue;
    const wall = wallIn(iso);
    out.push(
      { what: `${which} of ${name} (ISO)`, text: iso },
      { what: `${which} of ${name} (wall time)`, text: wall },
      { what: `${which} of ${name} (Excel serial)`, text: serialPrefix(wall) },
      // The lookup files (data/lookup/) hold times as epoch seconds.
      { what: `${which} of ${name} (epoch seconds)`, text: String(Date.parse(iso) / 1000) },
    );
  }
  if (addresses) {
    out.push({ what: `public address of ${name}`, text: s.realAddress });
    if (s.virtualAddress !== null) out.push({ what: `tunnel IPv4 of ${name}`, text: s.virtualAddress });
    if (s.virtualIpv6 !== null) out.push({ what: `tunnel IPv6 of ${name}`, text: s.virtualIpv6 });
  }
  return out;
}

/** The texts of a file: itself, or its entries (zip) or its inflated stream (gzip), unpacked again as needed. */
function texts(name: string, data: Buffer): { where: string; text: string }[] {
  if (data.length >= 4 && data.readUInt32LE(0) === 0x04034b50)
    return [...unzip(data)].flatMap(([entry, e]) => texts(`${name}!${entry}`, e.data));
  if (data.length >= 2 && data[0] === 0x1f && data[1] === 0x8b) return texts(`${name}!gunzip`, gunzipSync(data));
  return [{ where: name, text: data.toString('utf8') }];
}

/** Every trace found under `out`: "file[!entry]: what (text)", sorted. */
export async function findTraces(out: string, needles: readonly Needle[]): Promise<string[]> {
  const hits: string[] = [];
  for (const file of await listFiles(out)) {
    for (const { where, text } of texts(file, await readFile(join(out, file)))) {
      for (const n of needles) if (text.includes(n.text)) hits.push(`${where}: ${n.what} (${n.text})`);
    }
  }
  return hits.sort();
}

/** The whole-history export files of all users, whose lag is another item of the same issue. */
export const isWholeHistoryFile = (hit: string): boolean => /^exports\/openvpn-history_all_(all|ended)\./.test(hit);

/** True when `needle` is found nowhere in these sessions' own traces (all of them, addresses included). */
export function uniqueAmong(needle: Needle, others: readonly SessionJson[]): boolean {
  return !others.some((s) => traces(s, 'other', true).some((n) => n.text.includes(needle.text)));
}
