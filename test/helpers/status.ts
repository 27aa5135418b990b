/** Status files for the collector tests: the real fixtures, and v3 files generated from a client list. */
import { readFileSync } from 'node:fs';
import { utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseStatus } from '../../src/core/parse-status.js';

export const COLLECTOR_FIXTURES = fileURLToPath(new URL('../fixtures/collector/', import.meta.url));

export type Version = 'v1' | 'v2' | 'v3';
export const MOMENTS = ['connected', 'after-disconnect', 'after-reconnect', 'auth-pending'] as const;
export type Moment = (typeof MOMENTS)[number];

export function fixture(version: Version, moment: Moment): Buffer {
  return readFileSync(join(COLLECTOR_FIXTURES, `${version}-${moment}.log`));
}

/** The update time of a status file (v1 text read as UTC), as ISO UTC. */
export function updatedAtOf(data: Buffer | string): string {
  const snap = parseStatus(data.toString(), { file: 'fixture', timeZone: 'UTC' });
  if (snap.updatedAt === null) throw new Error('status file without an update time');
  return snap.updatedAt;
}

export function isoPlus(iso: string, seconds: number): string {
  return new Date(Date.parse(iso) + seconds * 1000).toISOString().replace('.000Z', 'Z');
}

/**
 * Writes a status file with its mtime a minute in the past, so the reader (which trusts a
 * file only once it has settled) does not wait.
 */
export async function writeStatus(path: string, data: Buffer | string): Promise<void> {
  await writeFile(path, data);
  const past = new Date(Date.now() - 60_000);
  await utimes(path, past, past);
}

export interface GenClient {
  commonName: string;
  username: string | null;
  ip: string;
  port: number;
  /** Null while its authentication is pending (listed, no address, no route). */
  virtualAddress: string | null;
  bytesReceived: number;
  bytesSent: number;
  /** time_t */
  connectedAt: number;
  clientId: number;
  peerId: number;
}

const text = (epochS: number): string => new Date(epochS * 1000).toISOString().slice(0, 19).replace('T', ' ');

/** A status-version 3 file (TAB separated, time_t columns) as OpenVPN 2.6 writes it. */
export function renderV3(updatedAt: number, clients: GenClient[]): string {
  const lines = [
    'TITLE\tOpenVPN 2.6.14 x86_64-pc-linux-gnu [SSL (OpenSSL)] [LZO] [LZ4] [EPOLL] [PKCS11] [MH/PKTINFO] [AEAD] [DCO]',
    `TIME\t${text(updatedAt)}\t${updatedAt}`,
    'HEADER\tCLIENT_LIST\tCommon Name\tReal Address\tVirtual Address\tVirtual IPv6 Address\tBytes Received\tBytes Sent\tConnected Since\tConnected Since (time_t)\tUsername\tClient ID\tPeer ID\tData Channel Cipher',
  ];
  for (const c of clients) {
    const pending = c.virtualAddress === null;
    lines.push(
      [
        'CLIENT_LIST',
        c.commonName,
        `${c.ip}:${c.port}`,
        c.virtualAddress ?? '',
        '',
        c.bytesReceived,
        c.bytesSent,
        text(c.connectedAt),
        c.connectedAt,
        c.username ?? 'UNDEF',
        c.clientId,
        c.peerId,
        pending ? 'BF-CBC' : 'AES-256-GCM',
      ].join('\t'),
    );
  }
  lines.push('HEADER\tROUTING_TABLE\tVirtual Address\tCommon Name\tReal Address\tLast Ref\tLast Ref (time_t)');
  for (const c of clients) {
    if (c.virtualAddress !== null)
      lines.push(
        ['ROUTING_TABLE', c.virtualAddress, c.commonName, `${c.ip}:${c.port}`, text(updatedAt), updatedAt].join('\t'),
      );
  }
  lines.push('GLOBAL_STATS\tMax bcast/mcast queue length\t0', 'GLOBAL_STATS\tdco_enabled\t0', 'END', '');
  return lines.join('\n');
}
