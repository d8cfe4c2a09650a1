import { parentPort, workerData } from 'node:worker_threads';

import type { Workload } from './model/workload.js';
import { runSimulation } from './model/simulation.js';
import type { WorkerReply, WorkerRequest } from './sweep.js';

/** Sweep worker thread: receives configurations, runs each on its replication's shared workload, replies. */
const { workloads } = workerData as { workloads: Workload[] };
const port = parentPort;
if (port === null) throw new Error('sweep-worker must run as a worker thread');
port.on('message', (request: WorkerRequest) => {
  let reply: WorkerReply;
  try {
    const workload = workloads[request.workload];
    if (workload === undefined) throw new RangeError(`no workload ${request.workload}`);
    reply = { index: request.index, metrics: runSimulation(workload, request.config).metrics };
  } catch (err) {
    reply = { index: request.index, error: err instanceof Error ? (err.stack ?? err.message) : String(err) };
  }
  port.postMessage(reply);
});
