import { parentPort, workerData } from 'node:worker_threads';

import type { WorkerReply, WorkerRequest } from './sweep.js';
import { runOne } from './sweep.js';
import type { Workload } from './model/workload.js';

/** Sweep worker thread: receives configurations, runs them on the shared workload, replies. */
const { workload } = workerData as { workload: Workload };
const port = parentPort;
if (port === null) throw new Error('sweep-worker must run as a worker thread');
port.on('message', (request: WorkerRequest) => {
  let reply: WorkerReply;
  try {
    reply = { index: request.index, summary: runOne(workload, request.config, request.options) };
  } catch (err) {
    reply = { index: request.index, error: err instanceof Error ? (err.stack ?? err.message) : String(err) };
  }
  port.postMessage(reply);
});
