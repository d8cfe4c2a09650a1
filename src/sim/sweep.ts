import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

import type { SimConfig } from './model/config.js';
import type { RunMetrics } from './model/metrics.js';
import { replicationSeed } from './model/random.js';
import type { SimulationResult } from './model/run-types.js';
import { runSimulation } from './model/simulation.js';
import type { Workload } from './model/workload.js';

/*
 * Runs configurations × replications, on worker threads (one per core) or in this thread. Each
 * replication r of every configuration runs on workload r (or the one trace) with the seed
 * `replicationSeed(seed, r)`, so configurations meet the same workloads and random streams.
 * Results come back in input order, so the output does not depend on scheduling.
 */

export interface ReplicationOptions {
  /** Replications per configuration. */
  readonly replications: number;
  /** Worker threads; 1 runs in this thread. Default: every core. */
  readonly threads?: number;
  readonly onProgress?: (done: number, total: number) => void;
}

export interface WorkerRequest {
  readonly index: number;
  readonly config: SimConfig;
  readonly workload: number;
}

export interface WorkerReply {
  readonly index: number;
  readonly metrics?: RunMetrics;
  readonly error?: string;
}

interface Job {
  readonly config: SimConfig;
  readonly workload: number;
}

/** Replication r of a configuration: its own seed, and the workload drawn for it. */
export function replicationConfig(config: SimConfig, r: number): SimConfig {
  return { ...config, seed: replicationSeed(config.seed, r) };
}

/** The compiled worker script; from sources (tests, benchmarks) the built one in dist/. */
function workerScript(): URL {
  const sibling = new URL('./sweep-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(sibling))) return sibling;
  const built = new URL('../../dist/sim/sweep-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(built))) return built;
  throw new Error(`sweep worker not found at ${fileURLToPath(sibling)}; run npm run build`);
}

/**
 * Metrics of every replication of every configuration: `result[c][r]`. `workloads` holds one
 * workload per replication (a generated scenario), or one for all (a trace).
 */
export async function runReplications(
  workloads: readonly Workload[],
  configs: readonly SimConfig[],
  options: ReplicationOptions,
): Promise<RunMetrics[][]> {
  const R = options.replications;
  if (workloads.length !== 1 && workloads.length < R) throw new RangeError(`${R} replications need ${R} workloads, got ${workloads.length}`);
  // Replication-major, so a thread tends to stay on one workload.
  const jobs: Job[] = [];
  for (let r = 0; r < R; r++) {
    for (const config of configs) jobs.push({ config: replicationConfig(config, r), workload: workloads.length === 1 ? 0 : r });
  }
  const flat = await runJobs(workloads, jobs, options);
  return configs.map((_, c) => Array.from({ length: R }, (_unused, r) => flat[r * configs.length + c] as RunMetrics));
}

async function runJobs(workloads: readonly Workload[], jobs: readonly Job[], options: ReplicationOptions): Promise<RunMetrics[]> {
  const threads = Math.max(1, Math.min(options.threads ?? availableParallelism(), jobs.length));
  const results = new Array<RunMetrics | undefined>(jobs.length);
  let done = 0;
  if (threads === 1) {
    jobs.forEach((job, i) => {
      results[i] = runSimulation(workloads[job.workload] as Workload, job.config).metrics;
      done += 1;
      options.onProgress?.(done, jobs.length);
    });
    return results as RunMetrics[];
  }
  const script = workerScript();
  let next = 0;
  await new Promise<void>((resolve, reject) => {
    let failed = false;
    const workers: Worker[] = [];
    const stopAll = (): void => {
      for (const worker of workers) void worker.terminate();
    };
    const feed = (worker: Worker): void => {
      if (next >= jobs.length) {
        void worker.terminate();
        return;
      }
      const index = next;
      next += 1;
      const job = jobs[index] as Job;
      const request: WorkerRequest = { index, config: job.config, workload: job.workload };
      worker.postMessage(request);
    };
    for (let t = 0; t < threads; t++) {
      const worker = new Worker(script, { workerData: { workloads } });
      workers.push(worker);
      worker.on('message', (reply: WorkerReply) => {
        if (failed) return;
        if (reply.error !== undefined || reply.metrics === undefined) {
          failed = true;
          stopAll();
          reject(new Error(`simulation ${reply.index + 1} failed: ${reply.error ?? 'no result'}`));
          return;
        }
        results[reply.index] = reply.metrics;
        done += 1;
        options.onProgress?.(done, jobs.length);
        if (done === jobs.length) {
          stopAll();
          resolve();
        } else feed(worker);
      });
      worker.on('error', (err) => {
        if (failed) return;
        failed = true;
        stopAll();
        reject(err);
      });
      feed(worker);
    }
  });
  return results as RunMetrics[];
}

/** Replication 0 run again with its exact timeline and task waits, for the report. */
export function runDetail(workloads: readonly Workload[], config: SimConfig): SimulationResult {
  const workload = workloads[0];
  if (workload === undefined) throw new RangeError('no workload for replication 0');
  return runSimulation(workload, replicationConfig(config, 0), { recordTimeline: true });
}
