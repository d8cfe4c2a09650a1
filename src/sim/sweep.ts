import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

import { describeValue } from '../core/validation.js';
import type { SimConfig } from './model/config.js';
import { defaultBehavior } from '../core/hpa-behavior.js';
import { fixed } from './model/distribution.js';
import { SimInputError } from './input/errors.js';
import type { RunMetrics } from './model/metrics.js';
import type { RunOptions, SimulationResult, Timeline } from './model/run-types.js';
import { runSimulation } from './model/simulation.js';
import { REPORT_TIMELINE_POINTS, downsampleTimeline } from './output/timeline.js';
import type { Workload } from './model/workload.js';

interface Dimension {
  readonly min: number;
  readonly max: number;
  readonly integer: boolean;
  readonly apply: (config: SimConfig, value: number) => SimConfig;
  readonly describe: string;
}

/** What `--sweep NAME=v1,v2,…` can vary, and which config field each name sets. */
export const SWEEP_DIMENSIONS: Readonly<Record<string, Dimension>> = {
  polling: { min: 1, max: 86400, integer: true, describe: 'pollingInterval (s)', apply: (c, v) => ({ ...c, pollingInterval: v }) },
  cooldown: { min: 0, max: 604800, integer: true, describe: 'cooldownPeriod (s)', apply: (c, v) => ({ ...c, cooldownPeriod: v }) },
  min: { min: 0, max: 100000, integer: true, describe: 'minReplicaCount', apply: (c, v) => ({ ...c, minReplicaCount: v }) },
  max: { min: 1, max: 100000, integer: true, describe: 'maxReplicaCount', apply: (c, v) => ({ ...c, maxReplicaCount: v }) },
  /**
   * behavior.scaleDown.stabilizationWindowSeconds. Setting any behavior switches the HPA from the
   * legacy normalization to behavior policies with Kubernetes defaults (kubernetes
   * `pkg/apis/autoscaling/v2/defaults.go`).
   */
  stabilization: {
    min: 0,
    max: 3600,
    integer: true,
    describe: 'behavior.scaleDown.stabilizationWindowSeconds (s)',
    apply: (c, v) => ({
      ...c,
      hpaBehavior: c.hpaBehavior === null
        ? defaultBehavior({ scaleDown: { stabilizationWindowSeconds: v } })
        : { ...c.hpaBehavior, scaleDown: { ...c.hpaBehavior.scaleDown, stabilizationWindowSeconds: v } },
    }),
  },
  concurrency: { min: 1, max: 1024, integer: true, describe: 'workerConcurrency', apply: (c, v) => ({ ...c, workerConcurrency: v }) },
  startup: { min: 0, max: 86400, integer: false, describe: 'pod startup (s)', apply: (c, v) => ({ ...c, podStartup: fixed(v) }) },
  grace: { min: 0, max: 86400, integer: false, describe: 'terminationGracePeriodSeconds', apply: (c, v) => ({ ...c, terminationGracePeriodSeconds: v }) },
  push: { min: 0, max: 1, integer: true, describe: 'external-push (1) or external (0)', apply: (c, v) => ({ ...c, trigger: v === 1 ? 'external-push' : 'external' }) },
};

export interface SweepAxis {
  readonly name: string;
  readonly values: readonly number[];
}

/** Parses `name=v1,v2,…`; `push` also takes true/false. */
export function parseSweepAxis(text: string): SweepAxis {
  const eq = text.indexOf('=');
  const name = eq < 0 ? text : text.slice(0, eq);
  const dimension = SWEEP_DIMENSIONS[name];
  if (dimension === undefined) {
    throw new SimInputError([`--sweep ${describeValue(text)}: unknown parameter ${describeValue(name)} (known: ${Object.keys(SWEEP_DIMENSIONS).join(', ')})`]);
  }
  const raw = eq < 0 ? '' : text.slice(eq + 1);
  const problems: string[] = [];
  const values = raw.split(',').map((item) => {
    const token = item.trim();
    const value = name === 'push' && (token === 'true' || token === 'false') ? Number(token === 'true') : Number(token);
    const ok = token !== '' && Number.isFinite(value) && (!dimension.integer || Number.isInteger(value)) && value >= dimension.min && value <= dimension.max;
    if (!ok) {
      problems.push(`--sweep ${name}: value ${describeValue(token)} must be a ${dimension.integer ? 'whole number' : 'number'} from ${dimension.min} to ${dimension.max} (${dimension.describe})`);
    }
    return value;
  });
  if (problems.length > 0) throw new SimInputError(problems);
  return { name, values: [...new Set(values)] };
}

/** Every combination of the axes applied to the base config; the last axis varies fastest. */
export function expandGrid(base: SimConfig, axes: readonly SweepAxis[]): { config: SimConfig; point: Record<string, number> }[] {
  let grid: { config: SimConfig; point: Record<string, number> }[] = [{ config: base, point: {} }];
  for (const axis of axes) {
    const dimension = SWEEP_DIMENSIONS[axis.name] as Dimension;
    grid = grid.flatMap((cell) =>
      axis.values.map((value) => ({ config: dimension.apply(cell.config, value), point: { ...cell.point, [axis.name]: value } })),
    );
  }
  return grid;
}

/** A run as a sweep returns it from a worker thread: metrics, the config as run, a small timeline. */
export interface RunSummary {
  readonly config: SimConfig;
  readonly metrics: RunMetrics;
  readonly timeline: Timeline | null;
}

function summarizeRun(result: SimulationResult): RunSummary {
  return {
    config: result.config,
    metrics: result.metrics,
    timeline: result.timeline === null ? null : downsampleTimeline(result.timeline, REPORT_TIMELINE_POINTS),
  };
}

export function runOne(workload: Workload, config: SimConfig, options: RunOptions): RunSummary {
  return summarizeRun(runSimulation(workload, config, options));
}

export interface SweepOptions {
  readonly recordTimeline: boolean;
  /** Worker threads; 1 runs in this thread. Default: every core. */
  readonly threads?: number;
  readonly onProgress?: (done: number, total: number) => void;
}

export interface WorkerRequest {
  readonly index: number;
  readonly config: SimConfig;
  readonly options: RunOptions;
}

export interface WorkerReply {
  readonly index: number;
  readonly summary?: RunSummary;
  readonly error?: string;
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
 * Runs configurations in parallel on worker threads (one per core), each thread taking the next
 * configuration when it finishes one. Results come back in input order, so the output does not
 * depend on scheduling.
 */
export async function runConfigs(workload: Workload, configs: readonly SimConfig[], options: SweepOptions): Promise<RunSummary[]> {
  const threads = Math.max(1, Math.min(options.threads ?? availableParallelism(), configs.length));
  const runOptions: RunOptions = { recordTimeline: options.recordTimeline };
  const results: (RunSummary | undefined)[] = new Array<RunSummary | undefined>(configs.length);
  let done = 0;
  if (threads === 1) {
    configs.forEach((config, i) => {
      results[i] = runOne(workload, config, runOptions);
      done += 1;
      options.onProgress?.(done, configs.length);
    });
    return results as RunSummary[];
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
      if (next >= configs.length) {
        void worker.terminate();
        return;
      }
      const index = next;
      next += 1;
      const request: WorkerRequest = { index, config: configs[index] as SimConfig, options: runOptions };
      worker.postMessage(request);
    };
    for (let t = 0; t < threads; t++) {
      const worker = new Worker(script, { workerData: { workload } });
      workers.push(worker);
      worker.on('message', (reply: WorkerReply) => {
        if (failed) return;
        if (reply.error !== undefined || reply.summary === undefined) {
          failed = true;
          stopAll();
          reject(new Error(`simulation ${reply.index + 1} failed: ${reply.error ?? 'no result'}`));
          return;
        }
        results[reply.index] = reply.summary;
        done += 1;
        options.onProgress?.(done, configs.length);
        if (done === configs.length) {
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
  return results as RunSummary[];
}

/**
 * Indices of the runs on the Pareto frontier of (worker-seconds, p95 wait): no other run is at
 * least as cheap and at least as fast and better in one. Runs that left tasks unfinished are out.
 */
export function paretoFrontier(runs: readonly RunMetrics[]): number[] {
  const order = runs
    .map((run, index) => ({ run, index }))
    .filter(({ run }) => run.tasks.unfinished === 0)
    .sort(
      (a, b) =>
        a.run.workerSeconds - b.run.workerSeconds ||
        a.run.queueWaitSeconds.p95 - b.run.queueWaitSeconds.p95 ||
        a.index - b.index,
    );
  const frontier: number[] = [];
  let best = Number.POSITIVE_INFINITY;
  for (const { run, index } of order) {
    if (run.queueWaitSeconds.p95 < best) {
      frontier.push(index);
      best = run.queueWaitSeconds.p95;
    }
  }
  return frontier;
}

/** The cheapest run whose p95 wait meets the SLO (ties: lower p95, then fewer kills); null if none. */
export function recommend(runs: readonly RunMetrics[], sloP95Seconds: number): number | null {
  let best: number | null = null;
  runs.forEach((run, index) => {
    if (run.tasks.unfinished > 0 || run.queueWaitSeconds.p95 > sloP95Seconds) return;
    if (best === null) {
      best = index;
      return;
    }
    const b = runs[best] as RunMetrics;
    const better =
      run.workerSeconds < b.workerSeconds ||
      (run.workerSeconds === b.workerSeconds &&
        (run.queueWaitSeconds.p95 < b.queueWaitSeconds.p95 ||
          (run.queueWaitSeconds.p95 === b.queueWaitSeconds.p95 && run.tasksKilled < b.tasksKilled)));
    if (better) best = index;
  });
  return best;
}
