/**
 * Entry of the worker thread that writes the whole-history export files (whole-history.ts,
 * started by worker.ts): the job comes as workerData, the result goes back as the one
 * message. An error ends the worker, and the main thread rejects with it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { writeWholeHistory, type WholeHistoryJob } from './whole-history.js';

if (parentPort === null) throw new Error('whole-history-worker runs only as a worker thread');
parentPort.postMessage(await writeWholeHistory(workerData as WholeHistoryJob));
