import type { SimConfig } from '../../../src/sim/model/config.js';
import { DEFAULT_CONFIG } from '../../../src/sim/model/config.js';
import { fixed } from '../../../src/sim/model/distribution.js';
import type { Workload } from '../../../src/sim/model/workload.js';
import { WorkloadBuilder } from '../../../src/sim/model/workload.js';

/** Tasks as [queuedAt, duration] (seconds), all on one queue. */
export function workloadOf(tasks: readonly (readonly [number, number])[], queue = 'default'): Workload {
  const builder = new WorkloadBuilder();
  const id = builder.queueId(queue);
  for (const [at, duration] of tasks) builder.add(id, at, duration);
  return builder.build({ name: 'test', source: 'scenario', startEpochMs: 0 });
}

/** n identical tasks queued at `at`. */
export function burst(n: number, at: number, duration: number): [number, number][] {
  return Array.from({ length: n }, () => [at, duration] as [number, number]);
}

/**
 * A config with instant pod start and every loop at phase 0 (KEDA's first poll, the HPA's first
 * sync and the scaler's first tick at t = 0), so times are easy to reason about.
 */
export function simConfig(overrides: Partial<SimConfig> = {}): SimConfig {
  return { ...DEFAULT_CONFIG, podStartup: fixed(0), kedaPollOffsetSeconds: 0, hpaSyncOffsetSeconds: 0, scalerTickOffsetSeconds: 0, ...overrides };
}

/** A task of a workload with runs: queued at `at` (s), on `queue`, in run `run` of `dag` if given. */
export interface RunTask {
  readonly at: number;
  readonly duration: number;
  readonly queue?: string;
  readonly dag?: string;
  readonly run?: string;
  /** Default true. */
  readonly scheduled?: boolean;
  /** Default: the run's first task's `at`. */
  readonly runAfter?: number;
}

export function runWorkloadOf(tasks: readonly RunTask[]): Workload {
  const builder = new WorkloadBuilder();
  for (const task of tasks) {
    const queueId = builder.queueId(task.queue ?? 'default');
    const run = task.dag === undefined || task.run === undefined ? -1 : builder.runId(task.dag, task.run, task.scheduled ?? true, task.runAfter ?? task.at);
    builder.add(queueId, task.at, task.duration, run);
  }
  return builder.build({ name: 'test', source: 'trace', startEpochMs: 0 });
}

/** `n` tasks of one run of `dag`, due at `due`, queued from `due + delay` over `spread` seconds. */
export function runBurst(dag: string, due: number, n: number, options: { delay?: number; spread?: number; duration?: number; scheduled?: boolean; queue?: string } = {}): RunTask[] {
  const { delay = 1, spread = 10, duration = 60, scheduled = true, queue = 'default' } = options;
  return Array.from({ length: n }, (_, i) => ({ at: due + delay + (spread * i) / n, duration, queue, dag, run: `${scheduled ? 'scheduled' : 'manual'}__${due}`, scheduled, runAfter: due }));
}
