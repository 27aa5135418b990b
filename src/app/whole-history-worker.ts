/**
 * Entry of the worker thread that writes the whole-history export files of an incremental
 * build (build/whole-history.ts). Data in: a WholeHistoryJob; out: warnings as notes, then
 * the WholeHistoryResult.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { writeWholeHistoryJob, type WholeHistoryJob, type WholeHistoryNote } from './build/whole-history.js';

if (parentPort === null) throw new Error('whole-history-worker runs only as a worker thread');
const port = parentPort;
const warn = (m: string): void => port.postMessage({ note: { warn: m } satisfies WholeHistoryNote });
port.postMessage(await writeWholeHistoryJob(workerData as WholeHistoryJob, warn));
