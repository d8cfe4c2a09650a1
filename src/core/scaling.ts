import type { WorkerSetSpec } from './metadata.js';
import type { TaskCounts } from './snapshot.js';

export type Bound = 'min' | 'max' | null;

export interface ScalingDecision {
  readonly queued: number;
  readonly running: number;
  /** Tasks of scheduled runs about to start (pre-warming), 0 without it. */
  readonly forecast: number;
  /** ceil((queued + running + forecast) / workerConcurrency) before the bounds. */
  readonly needed: number;
  readonly desired: number;
  /** Which bound changed `needed`, if any. */
  readonly clampedBy: Bound;
  readonly active: boolean;
}

/**
 * The scaling rule, shared by the gRPC service and the simulator:
 * desired = clamp(ceil((queued + running + forecast) / workerConcurrency), min, max),
 * active  = queued + running + forecast > activationThreshold.
 * Running tasks count because KEDA drops straight to zero once the trigger is inactive for
 * `cooldownPeriod`, which would kill them. The forecast (pre-warming, core/prewarm.ts) counts
 * toward activation too: at zero replicas only activation can start the first worker early.
 */
export function decide(counts: TaskCounts, spec: WorkerSetSpec): ScalingDecision {
  const forecast = counts.forecast ?? 0;
  const total = counts.queued + counts.running + forecast;
  const needed = Math.ceil(total / spec.workerConcurrency);
  let desired = needed;
  let clampedBy: Bound = null;
  if (desired < spec.minReplicaCount) {
    desired = spec.minReplicaCount;
    clampedBy = 'min';
  }
  if (spec.maxReplicaCount !== null && desired > spec.maxReplicaCount) {
    desired = spec.maxReplicaCount;
    clampedBy = 'max';
  }
  return {
    queued: counts.queued,
    running: counts.running,
    forecast,
    needed,
    desired,
    clampedBy,
    active: total > spec.activationThreshold,
  };
}

/** StreamIsActive pushes only on an inactive→active edge; `false` is never sent (KEDA ≤2.17 acts on it). */
export function shouldPush(previouslyActive: boolean, nowActive: boolean): boolean {
  return nowActive && !previouslyActive;
}
