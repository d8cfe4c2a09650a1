import type { SimConfig } from './model/config.js';
import type { RunMetrics } from './model/metrics.js';
import type { Estimate } from './model/statistics.js';
import { estimate } from './model/statistics.js';

/** The figures a decision rests on, one value per replication. */
export interface KeySamples {
  readonly p95WaitSeconds: readonly number[];
  readonly meanWaitSeconds: readonly number[];
  readonly workerHours: readonly number[];
  readonly tasksKilled: readonly number[];
  readonly scaleEvents: readonly number[];
}

export type KeyEstimates = { readonly [K in keyof KeySamples]: Estimate };

/** One configuration over its replications. */
export interface ConfigEstimate {
  /** 1-based, as the table and the JSON number it. */
  readonly run: number;
  readonly config: SimConfig;
  /** The configuration the scenario and options describe (before any sweep). */
  readonly current: boolean;
  readonly replications: number;
  /** Every figure's mean over the replications. */
  readonly metrics: RunMetrics;
  readonly estimates: KeyEstimates;
  readonly samples: KeySamples;
  /** gRPC calls KEDA makes to the scaler per minute: GetMetrics + IsActive per poll and per HPA read. */
  readonly kedaCallsPerMinute: number;
  /**
   * Reads of the metastore per minute: one per scaler tick (`poll.intervalMs`), whatever the
   * ScaledObject says, since every KEDA call is answered from the latest tick.
   */
  readonly metastoreQueriesPerMinute: number;
  /** Replications that ended with tasks neither done nor failed (a configuration that cannot keep up). */
  readonly unfinishedReplications: number;
}

/** The element-wise mean of same-shaped metric objects. */
function meanOf(values: readonly unknown[]): unknown {
  const first = values[0];
  if (typeof first === 'number') return values.reduce<number>((sum, v) => sum + (v as number), 0) / values.length;
  if (typeof first === 'object' && first !== null) {
    const out: Record<string, unknown> = {};
    const keys = new Set(values.flatMap((v) => Object.keys(v as object)));
    for (const key of keys) out[key] = meanOf(values.map((v) => (v as Record<string, unknown>)[key] ?? 0));
    return out;
  }
  return first;
}

export function samplesOf(runs: readonly RunMetrics[]): KeySamples {
  return {
    p95WaitSeconds: runs.map((m) => m.queueWaitSeconds.p95),
    meanWaitSeconds: runs.map((m) => m.queueWaitSeconds.mean),
    workerHours: runs.map((m) => m.workerSeconds / 3600),
    tasksKilled: runs.map((m) => m.tasksKilled),
    scaleEvents: runs.map((m) => m.scaleEvents),
  };
}

export function estimateConfig(run: number, config: SimConfig, current: boolean, runs: readonly RunMetrics[]): ConfigEstimate {
  const samples = samplesOf(runs);
  const calls = runs.map((m) => (m.simulatedSeconds > 0 ? m.kedaCalls / (m.simulatedSeconds / 60) : 0));
  return {
    run,
    config,
    current,
    replications: runs.length,
    metrics: meanOf(runs) as RunMetrics,
    estimates: {
      p95WaitSeconds: estimate(samples.p95WaitSeconds),
      meanWaitSeconds: estimate(samples.meanWaitSeconds),
      workerHours: estimate(samples.workerHours),
      tasksKilled: estimate(samples.tasksKilled),
      scaleEvents: estimate(samples.scaleEvents),
    },
    samples,
    kedaCallsPerMinute: calls.reduce((a, b) => a + b, 0) / calls.length,
    metastoreQueriesPerMinute: 60 / config.scalerTickSeconds,
    unfinishedReplications: runs.filter((m) => m.tasks.unfinished > 0).length,
  };
}
