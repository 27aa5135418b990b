// Preload for the benchmark (`node --import ./scripts/lib/report-rss.mjs dist/cli.js …`):
// when the process exits, writes `<peak RSS in KiB> <CPU time in ms>` to the file named by
// BENCH_RSS_FILE (does nothing when the variable is unset). The CPU time (user + system, all
// threads) helps to read wall times taken on a busy machine.
//
// The figure is VmHWM from /proc/self/status, not process.resourceUsage().maxRSS: Linux
// carries ru_maxrss over exec, so a child forked from a big parent (the benchmark holding a
// million sessions) reports the parent's size. VmHWM belongs to the process's own memory
// map, which exec replaces. maxRSS stays the fallback where there is no /proc.
import { readFileSync, writeFileSync } from 'node:fs';

const file = process.env.BENCH_RSS_FILE;

function peakKb() {
  let status = null;
  try {
    status = readFileSync('/proc/self/status', 'utf8');
  } catch (e) {
    if (e.code !== 'ENOENT') throw e; // not Linux: use getrusage below
  }
  const hwm = status === null ? null : /^VmHWM:\s*(\d+)\s*kB/m.exec(status);
  return hwm ? Number(hwm[1]) : process.resourceUsage().maxRSS;
}

if (file) {
  process.on('exit', () => {
    const cpu = process.cpuUsage();
    writeFileSync(file, `${peakKb()} ${Math.round((cpu.user + cpu.system) / 1000)}\n`);
  });
}
