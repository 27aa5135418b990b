/*
 * openvpn-status-web: the address lookup page (/lookup/), loaded by that page only.
 *
 * The query is in the URL (?ip=&port=&at= or &from=&to=, times as wall times in the site's
 * zone), so an answer can be bookmarked and sent. The build writes data/lookup/index.json
 * (schemaVersion 2: each month with the first start and the last end of its sessions and the
 * address buckets it has) and, per month, a file per bucket (data/lookup/YYYY-MM/BB.json:
 * the sessions that started that month holding an address of that bucket, addresses in one
 * spelling). A query fetches, for each month whose sessions can touch the period, only its
 * address's bucket, and only when the month has it. The bucket is src/core/lookup.ts's
 * addressBucket; the two must agree. Every text from the files (user names are untrusted)
 * goes in with textContent.
 */
(() => {
  // biome-ignore lint/suspicious/noRedundantUseStrict: a classic script, not a module
  'use strict';

  // The script's own URL locates the site root (…/assets/lookup.js).
  const self = document.currentScript || document.querySelector('script[src*="assets/lookup.js"]');
  const siteRoot = new URL('../', self.src);

  // --- Addresses: the same one spelling as src/core/lookup.ts (normaliseAddress) ---------
  function ipv4Octets(text) {
    const parts = text.split('.');
    if (parts.length !== 4) return null;
    const out = [];
    for (let i = 0; i < 4; i++) {
      if (!/^\d{1,3}$/.test(parts[i])) return null;
      const n = Number(parts[i]);
      if (n > 255) return null;
      out.push(n);
    }
    return out;
  }
  function ipv6Groups(text) {
    if (!/^[0-9a-fA-F:.]+$/.test(text) || text.indexOf(':') < 0) return null;
    let head = text;
    const lastColon = text.lastIndexOf(':');
    if (text.indexOf('.', lastColon) >= 0) {
      const v4 = ipv4Octets(text.slice(lastColon + 1));
      if (v4 === null) return null;
      head = `${text.slice(0, lastColon + 1)}${((v4[0] << 8) | v4[1]).toString(16)}:${((v4[2] << 8) | v4[3]).toString(16)}`;
    }
    const halves = head.split('::');
    if (halves.length > 2) return null;
    function groups(s) {
      if (s === '') return [];
      const out = [];
      const list = s.split(':');
      for (let i = 0; i < list.length; i++) {
        if (!/^[0-9a-fA-F]{1,4}$/.test(list[i])) return null;
        out.push(parseInt(list[i], 16));
      }
      return out;
    }
    const front = groups(halves[0]);
    const back = halves.length === 2 ? groups(halves[1]) : [];
    if (front === null || back === null) return null;
    const given = front.length + back.length;
    if (halves.length === 1) return given === 8 ? front : null;
    if (given > 7) return null;
    const zeros = [];
    for (let z = given; z < 8; z++) zeros.push(0);
    return front.concat(zeros, back);
  }
  function ipv6Text(g) {
    let best = -1;
    let bestLen = 1;
    for (let i = 0; i < 8; ) {
      if (g[i] !== 0) {
        i++;
        continue;
      }
      let j = i;
      while (j < 8 && g[j] === 0) j++;
      if (j - i > bestLen) {
        best = i;
        bestLen = j - i;
      }
      i = j;
    }
    function hex(xs) {
      return xs.map((x) => x.toString(16)).join(':');
    }
    return best < 0 ? hex(g) : `${hex(g.slice(0, best))}::${hex(g.slice(best + bestLen))}`;
  }
  function normaliseAddress(text) {
    const v4 = ipv4Octets(text);
    if (v4 !== null) return v4.join('.');
    const g = ipv6Groups(text);
    if (g === null) return null;
    if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff)
      return [g[6] >> 8, g[6] & 255, g[7] >> 8, g[7] & 255].join('.');
    return ipv6Text(g);
  }
  /** FNV-1a 32-bit over the one spelling, modulo the index's bucket count, as two hex digits (addressBucket). */
  function bucketOf(address, buckets) {
    let h = 0x811c9dc5;
    for (let i = 0; i < address.length; i++) h = Math.imul(h ^ address.charCodeAt(i), 0x01000193);
    const b = (h >>> 0) % buckets;
    return b < 16 ? `0${b.toString(16)}` : b.toString(16);
  }
  /** "1.2.3.4", "1.2.3.4:5678", "[2001:db8::1]:443" → {address, port}; null when none. */
  function parseAddress(text) {
    const t = text.trim();
    const plain = normaliseAddress(t);
    if (plain !== null) return { address: plain, port: null };
    const m = /^\[([^\]]+)\]:(\d{1,5})$/.exec(t) || /^([\d.]+):(\d{1,5})$/.exec(t);
    const address = m ? normaliseAddress(m[1]) : null;
    if (address === null || Number(m[2]) > 65535) return null;
    return { address: address, port: Number(m[2]) };
  }

  // --- Times: wall times in the site's zone ------------------------------------------------
  function offsetMs(ms, zone) {
    const parts = {};
    new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    })
      .formatToParts(new Date(ms))
      .forEach((p) => {
        parts[p.type] = Number(p.value);
      });
    const wall = Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second);
    return wall - Math.floor(ms / 1000) * 1000;
  }
  /** Epoch ms of "2026-11-26T16:15[:SS]" in `zone` (the earlier reading in a repeated hour); NaN when unreadable. */
  function wallToMs(text, zone) {
    const m = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?$/.exec(text);
    if (!m) return Number.NaN;
    const guess = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +(m[6] || 0));
    const check = new Date(guess);
    if (check.getUTCDate() !== +m[3] || check.getUTCHours() !== +m[4]) return Number.NaN;
    const fits = [guess - offsetMs(guess - 86400000, zone), guess - offsetMs(guess + 86400000, zone)].filter(
      (t) => t + offsetMs(t, zone) === guess,
    );
    return fits.length > 0 ? Math.min.apply(null, fits) : guess - offsetMs(guess - 86400000, zone);
  }
  function wallText(seconds, zone) {
    const ms = seconds * 1000;
    const d = new Date(ms + offsetMs(ms, zone));
    return d.toISOString().slice(0, 19).replace('T', ' ');
  }

  // --- The search -------------------------------------------------------------------------
  function fetchJson(path) {
    return fetch(new URL(path, siteRoot)).then((r) => {
      if (!r.ok) throw new Error(`${path}: HTTP ${r.status}`);
      return r.json();
    });
  }

  /** Rows of the bucket files that held the address at some instant of [from, to] (seconds), oldest first. */
  function search(q) {
    return fetchJson('data/lookup/index.json').then((index) => {
      if (index.schemaVersion !== 2) throw new Error(`data/lookup/index.json: schemaVersion ${index.schemaVersion}`);
      const bucket = bucketOf(q.address, index.buckets);
      // [month, first start, last end|null, {bucket: hash}]: months without the bucket hold no session of the address.
      const months = index.months.filter(
        (m) => m[1] <= q.to && (m[2] === null || m[2] >= q.from) && Object.hasOwn(m[3], bucket),
      );
      return Promise.all(months.map((m) => fetchJson(`data/lookup/${m[0]}/${bucket}.json`))).then((shards) => {
        const found = [];
        shards.forEach((shard) => {
          shard.sessions.forEach((s) => {
            // [user, day, start, end|null, real, port|null, tunnel IPv4|null, tunnel IPv6|null]
            if (s[2] > q.to || (s[3] !== null && s[3] < q.from)) return;
            const tunnel = q.port === null && (s[6] === q.address || s[7] === q.address);
            const real = s[4] === q.address && (q.port === null || s[5] === null || s[5] === q.port);
            if (tunnel || real) found.push({ shard: shard, row: s });
          });
        });
        return found.sort((a, b) => a.row[2] - b.row[2]);
      });
    });
  }

  function cell(tr, text, href) {
    const td = document.createElement('td');
    if (href) {
      const a = document.createElement('a');
      a.href = href;
      a.textContent = text;
      td.appendChild(a);
    } else {
      td.textContent = text;
    }
    tr.appendChild(td);
  }

  function show(section, found) {
    const zone = section.getAttribute('data-tz');
    const body = section.querySelector('[data-lookup-rows]');
    const running = body.getAttribute('data-running');
    body.textContent = '';
    found.forEach((f) => {
      const s = f.row;
      const user = f.shard.users[s[0]];
      const day = `${f.shard.month}-${s[1]}`;
      const tr = document.createElement('tr');
      cell(tr, user[0], new URL(`u/${user[1]}/`, siteRoot).href);
      cell(tr, day, new URL(`d/${day}/`, siteRoot).href);
      cell(tr, wallText(s[2], zone));
      cell(tr, s[3] === null ? running : wallText(s[3], zone));
      cell(tr, s[5] === null ? s[4] : s[4].indexOf(':') >= 0 ? `[${s[4]}]:${s[5]}` : `${s[4]}:${s[5]}`);
      cell(tr, s[6] === null ? '–' : s[6]);
      cell(tr, s[7] === null ? '–' : s[7]);
      body.appendChild(tr);
    });
    section.querySelector('[data-lookup-results]').hidden = found.length === 0;
  }

  function run(section) {
    const form = section.querySelector('[data-lookup-form]');
    const status = section.querySelector('[data-lookup-status]');
    const params = new URLSearchParams(window.location.search);
    ['ip', 'port', 'at', 'from', 'to'].forEach((k) => {
      if (params.has(k)) form.elements[k].value = params.get(k);
    });
    const ip = params.get('ip');
    if (ip === null || ip.trim() === '') return;
    const zone = section.getAttribute('data-tz');
    const parsed = parseAddress(ip);
    if (parsed === null) {
      status.textContent = status.getAttribute('data-bad-address');
      return;
    }
    const portText = (params.get('port') || '').trim();
    const port = portText === '' ? parsed.port : /^\d{1,5}$/.test(portText) ? Number(portText) : Number.NaN;
    const at = (params.get('at') || '').trim();
    const fromText = (params.get('from') || '').trim();
    const toText = (params.get('to') || '').trim();
    const now = Date.now();
    const from = fromText !== '' && at === '' ? wallToMs(fromText, zone) : at === '' ? now : wallToMs(at, zone);
    const to = fromText !== '' && at === '' ? (toText === '' ? now : wallToMs(toText, zone)) : from;
    if (Number.isNaN(from) || Number.isNaN(to) || from > to || Number.isNaN(port) || port > 65535) {
      status.textContent = status.getAttribute('data-bad-time');
      return;
    }
    status.textContent = status.getAttribute('data-loading');
    search({ address: parsed.address, port: port, from: Math.floor(from / 1000), to: Math.floor(to / 1000) }).then(
      (found) => {
        show(section, found);
        status.textContent = found.length === 0 ? status.getAttribute('data-none') : '';
        section.setAttribute('data-lookup-done', String(found.length));
      },
      () => {
        status.textContent = status.getAttribute('data-failed');
        section.setAttribute('data-lookup-done', 'failed');
      },
    );
  }

  function start() {
    document.querySelectorAll('[data-lookup]').forEach(run);
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
