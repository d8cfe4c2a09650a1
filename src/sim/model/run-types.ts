import type { ScaleCause } from '../../core/keda-operator.js';
import type { SimConfig } from './config.js';
import type { RunMetrics } from './metrics.js';

export type { ScaleCause } from '../../core/keda-operator.js';

export interface ScaleLogEntry {
  readonly time: number;
  readonly from: number;
  readonly to: number;
  readonly cause: ScaleCause;
}

export interface PollLogEntry {
  readonly time: number;
  readonly active: boolean;
  readonly desired: number;
}

export interface ScaleInLogEntry {
  readonly time: number;
  /** `drain`: cancel_consumer sent; `restore`: add_consumer sent (policy `drain`). */
  readonly action: 'drain' | 'restore';
  readonly pod: string;
}

export interface SimLog {
  readonly scale: ScaleLogEntry[];
  /** `desired` is the metric KEDA received: the plain formula, or with rank/drain the reported count. */
  readonly polls: PollLogEntry[];
  readonly pushes: number[];
  readonly hpaSyncs: { readonly time: number; readonly replicas: number }[];
  readonly scaleIn: ScaleInLogEntry[];
}

/**
 * What the report's charts draw, as a step function: one entry whenever one of the series
 * changed (each value holds until the next entry's time).
 */
export interface Timeline {
  readonly time: Float64Array;
  readonly queued: Float64Array;
  readonly running: Float64Array;
  /** Ready worker pods (serving tasks). */
  readonly workers: Float64Array;
  /** The Deployment's spec.replicas. */
  readonly replicas: Float64Array;
  /** What the scaler would answer now: decide().desired, or with rank/drain the reported count. */
  readonly desired: Float64Array;
}

/** Every task start of a run: when the task was queued and how long it waited. */
export interface TaskWaits {
  readonly queuedAt: Float64Array;
  readonly wait: Float64Array;
}

export interface RunOptions {
  /** Record the exact timeline and every task's wait (the report's detail runs). */
  readonly recordTimeline?: boolean;
  readonly recordLog?: boolean;
  /**
   * Policies `rank` and `drain`: call core's planner on every scaler tick, even when nothing it
   * reads could change its answer. Slower, same result; tests compare the two.
   */
  readonly planEveryTick?: boolean;
}

export interface SimulationResult {
  /** The configuration as run, with the loops' phases resolved. */
  readonly config: SimConfig;
  readonly metrics: RunMetrics;
  readonly timeline: Timeline | null;
  readonly taskWaits: TaskWaits | null;
  readonly log: SimLog | null;
}

/**
 * Event kinds, in the order they are handled when they fall on the same instant: work finishing
 * and pods becoming ready first, then new work, then the control loops observing the result.
 */
export const EventKind = {
  complete: 0,
  podReady: 1,
  requeue: 2,
  zombieFound: 3,
  graceExpired: 4,
  scalerTick: 5,
  kedaPoll: 6,
  hpaSync: 7,
  sample: 8,
} as const;
