// Appends COUNT hook lines to SPOOL with the compiled appendSpoolLine, as concurrent hooks do.
// Each line's common name is WRITER:SEQ padded to SIZE bytes, so a line torn apart or mixed
// with another writer's shows. Usage: node spool-writer.mjs DIST_SPOOL_APPEND_JS SPOOL WRITER COUNT SIZE
import { pathToFileURL } from 'node:url';

const [module, spool, writer, count, size] = process.argv.slice(2);
const { appendSpoolLine } = await import(pathToFileURL(module).href);
for (let i = 0; i < Number(count); i++) {
  const cn = `${writer}:${i}:`.padEnd(Number(size), 'x');
  appendSpoolLine(
    spool,
    `${JSON.stringify({ v: 1, instance: 'udp', script_type: 'client-connect', common_name: cn, trusted_ip: '192.0.2.1', time_unix: '1' })}\n`,
  );
}
