/**
 * Entry of the worker thread that does a full build (build/full-build.ts). Data in: a
 * FullBuildJob; out: FullBuildNote log lines as notes, then the BuildOutcome.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { FullBuildJob, FullBuildNote } from './build/full-build.js';
import { buildOnce } from './build/pipeline.js';
import type { Logger } from './context.js';

if (parentPort === null) throw new Error('full-build-worker runs only as a worker thread');
const port = parentPort;
const { settings, now } = workerData as FullBuildJob;
const note = (level: keyof Logger) => (msg: string) => port.postMessage({ note: [level, msg] satisfies FullBuildNote });
const log: Logger = { info: note('info'), detail: note('detail'), warn: note('warn') };
port.postMessage(await buildOnce(settings, now, log, true, {}));
