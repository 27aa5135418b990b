/**
 * Heavy jobs of a build run in worker threads: drawing the chart (jsdom's large heap) and
 * a full build (a capped heap). A worker's heap goes when it ends, and its limits can keep
 * V8 from growing a heap for garbage.
 */
import { Worker, type ResourceLimits } from 'node:worker_threads';
import { FileSystemError } from '../core/errors.js';
import { CacheError } from '../io/build-cache.js';

/**
 * The entry `NAME-worker` beside this module: compiled, a .js file (in dist/app/ or, bundled,
 * in dist/bundle/: scripts/bundle-cli.mjs); run from the sources by tsx, the .ts file, loaded
 * through tsx's API (a worker does not inherit the `--import tsx` hooks of its parent).
 */
function entry(name: string): URL {
  // Loaded by tsx's API (in a worker itself), the URL carries a query after the path.
  if (!new URL(import.meta.url).pathname.endsWith('.ts')) return new URL(`./${name}-worker.js`, import.meta.url);
  const file = new URL(`./${name}-worker.ts`, import.meta.url).href;
  const tsx = import.meta.resolve('tsx/esm/api');
  const boot = `import { tsImport } from ${JSON.stringify(tsx)}; await tsImport(${JSON.stringify(file)}, ${JSON.stringify(file)});`;
  return new URL(`data:text/javascript,${encodeURIComponent(boot)}`);
}

/** A message a worker posts before its result (a log line of the full build's worker), not the result. */
export interface WorkerNote {
  note: unknown;
}

const isNote = (m: unknown): m is WorkerNote => typeof m === 'object' && m !== null && 'note' in m;

/**
 * Runs the worker `NAME-worker` on `data` (its workerData); resolves with the one message it
 * posts that is not a WorkerNote (those go to `onNote` as they come), rejects with its error.
 */
export function runWorker<R>(
  name: string,
  data: unknown,
  resourceLimits?: ResourceLimits,
  onNote?: (note: unknown) => void,
): Promise<R> {
  return new Promise((resolve, reject) => {
    let result: { value: R } | null = null;
    // No Node options of the parent's (they default to it): `--input-type` or `-e` would stop
    // the worker's own entry from loading, and neither compiled code nor tsx needs any.
    const worker = new Worker(entry(name), {
      workerData: data,
      execArgv: [],
      ...(resourceLimits ? { resourceLimits } : {}),
    });
    worker.on('message', (value: R | WorkerNote) => {
      if (isNote(value)) onNote?.(value.note);
      else result ??= { value };
    });
    // A worker's error arrives as an Error with its name, message and own fields, not its
    // class: a CacheError is made again, so the build still starts over in full on it, and a
    // FileSystemError (disk full in an export) so that it stays an expected one.
    worker.once('error', (e: Error & Partial<CacheError> & Partial<FileSystemError>) => {
      if (e.name === 'CacheError' && typeof e.file === 'string' && typeof e.reason === 'string')
        reject(new CacheError(e.file, e.reason));
      else if (
        e.name === 'FileSystemError' &&
        typeof e.file === 'string' &&
        typeof e.operation === 'string' &&
        typeof e.code === 'string' &&
        typeof e.reason === 'string'
      ) {
        reject(new FileSystemError(e.file, e.operation, e.code, e.reason));
      } else reject(e);
    });
    worker.once('exit', (code) => {
      if (result !== null) resolve(result.value);
      else reject(new Error(`the ${name} worker exited with code ${code} before it finished`));
    });
  });
}
