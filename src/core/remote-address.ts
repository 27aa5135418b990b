/**
 * OpenVPN's "Real Address" in all the forms it has printed:
 *   1.2.3.4:5678         IPv4 with port
 *   1.2.3.4              IPv4 without port (seen in hand-edited files)
 *   2001:db8::1          IPv6 without port (2.4 to 2.6)
 *   ::ffff:1.2.3.4       v4-mapped IPv6, no port
 *   [2001:db8::1]:1194   bracketed IPv6 with port
 *   udp4:1.2.3.4:5678, tcp4-server:1.2.3.4:5678, udp6:[2001:db8::1]:1194   (2.7 adds the protocol)
 */
export interface RemoteAddress {
  host: string;
  port: number | null;
  protocol: string | null;
}

const PROTOCOL = /^((?:udp|tcp)(?:4|6)?(?:-server|-client)?):(.*)$/;
const IPV4 = /^\d{1,3}(?:\.\d{1,3}){3}$/;
// Hex digits, dots and at least one colon, then an optional zone. The lookahead finds the
// colon without backtracking: the old form `[…]*:[…]*` took quadratic time on long colon runs.
const IPV6 = /^(?=[0-9a-fA-F.]*:)[0-9a-fA-F:.]+(?:%[\w.-]+)?$/;
const HOSTNAME = /^[A-Za-z0-9.-]+$/;

function parsePort(text: string): number | null {
  if (!/^\d{1,5}$/.test(text)) return null;
  const n = Number(text);
  return n <= 65535 ? n : null;
}

/** Null when the text is not an address in any of these forms. */
const IPV4_PORT = /^(\d{1,3}(?:\.\d{1,3}){3}):(\d{1,5})$/;

export function parseRemoteAddress(text: string): RemoteAddress | null {
  // The common case (a.b.c.d:port) in one step.
  const fast = IPV4_PORT.exec(text);
  if (fast) {
    const port = Number(fast[2]);
    if (port <= 65535) return { host: fast[1] as string, port, protocol: null };
  }
  let rest = text.trim();
  let protocol: string | null = null;
  const c0 = rest.charCodeAt(0);
  const p = c0 === 0x75 || c0 === 0x74 ? PROTOCOL.exec(rest) : null; // starts with u or t
  if (p) {
    protocol = p[1] ?? null;
    rest = p[2] ?? '';
  }
  const bracket = rest.charCodeAt(0) === 0x5b ? /^\[([^\]]+)\](?::(\d+))?$/.exec(rest) : null;
  if (bracket) {
    const host = bracket[1] ?? '';
    if (!IPV6.test(host)) return null;
    const port = bracket[2] === undefined ? null : parsePort(bracket[2]);
    if (bracket[2] !== undefined && port === null) return null;
    return { host, port, protocol };
  }
  let colons = 0;
  for (let i = rest.indexOf(':'); i >= 0 && colons < 2; i = rest.indexOf(':', i + 1)) colons++;
  if (colons === 1) {
    const [host = '', portText = ''] = rest.split(':');
    const port = parsePort(portText);
    // Same host rule as without a port: "garbage text:12" is not an address.
    if (port === null || !HOSTNAME.test(host)) return null;
    return { host, port, protocol };
  }
  if (colons === 0) {
    return HOSTNAME.test(rest) ? { host: rest, port: null, protocol } : null;
  }
  return IPV6.test(rest) ? { host: rest, port: null, protocol } : null;
}

export const isIpv4 = (s: string): boolean => IPV4.test(s);
export const isMacAddress = (s: string): boolean => /^[0-9a-fA-F]{2}(?::[0-9a-fA-F]{2}){5}(?:@\d+)?$/.test(s);
export const isIpv6 = (s: string): boolean => !isMacAddress(s) && IPV6.test(s) && s.includes(':');
