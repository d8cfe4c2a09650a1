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
