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

/** Sampled every `sampleSeconds`: what the report's timelines draw. */
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

export interface RunOptions {
  readonly recordTimeline?: boolean;
  readonly recordLog?: boolean;
  /**
   * Policies `rank` and `drain`: call core's planner on every scaler tick, even when nothing it
   * reads could change its answer. Slower, same result; tests compare the two.
   */
  readonly planEveryTick?: boolean;
}

export interface SimulationResult {
  /** The configuration as run, with the HPA phase resolved. */
  readonly config: SimConfig;
  readonly metrics: RunMetrics;
  readonly timeline: Timeline | null;
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
  graceExpired: 3,
  scalerTick: 4,
  kedaPoll: 5,
  hpaSync: 6,
  sample: 7,
} as const;
