/** A progress bar on stderr for long work (import, full rebuild), only on a terminal: cron mail and journald get none. */
export function progressBar(label: string, total: number, minTotal: number): (done: number) => void {
  if (!process.stderr.isTTY || total < minTotal) return () => undefined;
  let shown = -1;
  return (done) => {
    const pct = Math.min(100, Math.floor((done / total) * 100));
    if (pct === shown) return;
    shown = pct;
    const bar = '#'.repeat(Math.floor(pct / 5)).padEnd(20, '.');
    process.stderr.write(`\r${label} [${bar}] ${pct}%${pct >= 100 ? '\n' : ''}`);
  };
}
