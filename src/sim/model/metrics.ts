/** What one run reports; the JSON `runs[i]` minus `config`. Times in seconds. */
export interface RunMetrics {
  readonly queueWaitSeconds: {
    readonly mean: number;
    readonly p50: number;
    readonly p95: number;
    readonly p99: number;
    readonly max: number;
  };
  /**
   * Tasks still running when their worker's grace period ended. Each stayed `running` until the
   * heartbeat timeout, then was retried if it had retries left, else failed.
   */
  readonly tasksKilled: number;
  /** Killed tasks with no retry left: failed for good. */
  readonly tasksFailed: number;
  /** gRPC calls KEDA made to the scaler (GetMetrics and IsActive, for its polls and the HPA's reads). */
  readonly kedaCalls: number;
  /** Nodes the cluster autoscaler added (0 without node provisioning). */
  readonly nodesProvisioned: number;
  /** Scale-in `drain`: workers told to stop consuming (cancel_consumer); 0 for other policies. */
  readonly drains: number;
  /** Scale-in `drain`: draining workers put back to work (add_consumer); 0 for other policies. */
  readonly restores: number;
  /** Pod-seconds of worker pods that existed (starting, ready or draining): the cost. */
  readonly workerSeconds: number;
  /** Share of paid slot-seconds with no task running. */
  readonly idleFraction: number;
  /** Most worker pods alive at once, draining ones included. */
  readonly peakWorkers: number;
  /** Changes of the Deployment's spec.replicas, by KEDA or the HPA. */
  readonly scaleEvents: number;
  readonly scaleEventsByCause: Readonly<Record<string, number>>;
  /** Time with fewer ready workers than ceil((queued + running) / concurrency). */
  readonly underProvisionedSeconds: number;
  /**
   * SPEC RG elasticity metrics (Herbst et al., "Ready for Rain?", SPEC-RG-2016-01), with demand
   * d = ceil((queued + running) / concurrency) and supply s = ready workers over the run's T:
   * accuracy_U = ∫(d−s)⁺/max(d,1) dt / T, accuracy_O = ∫(s−d)⁺/max(d,1) dt / T,
   * timeshare_U/O = share of time with d > s / s > d, instability = share of sampling intervals
   * in which s and d do not change in the same direction.
   */
  readonly elasticity: {
    readonly underProvisioningAccuracy: number;
    readonly overProvisioningAccuracy: number;
    readonly underProvisioningTimeshare: number;
    readonly overProvisioningTimeshare: number;
    readonly instability: number;
  };
  readonly tasks: {
    /** Tasks of the served queues in the workload. */
    readonly total: number;
    readonly completed: number;
    /** Failed for good after being killed (= tasksFailed). */
    readonly failed: number;
    /** Neither done nor failed when the run stopped (only when a configuration cannot drain the workload). */
    readonly unfinished: number;
    /** Task starts, retries included; each gives one queue-wait sample. */
    readonly attempts: number;
  };
  readonly simulatedSeconds: number;
}

export interface RawRun {
  readonly waits: Float64Array;
  readonly tasks: number;
  readonly completed: number;
  readonly tasksKilled: number;
  readonly tasksFailed: number;
  readonly kedaCalls: number;
  readonly nodesProvisioned: number;
  readonly drains: number;
  readonly restores: number;
  readonly simulatedSeconds: number;
  readonly workerSeconds: number;
  readonly busySlotSeconds: number;
  readonly concurrency: number;
  readonly peakWorkers: number;
  readonly scaleEvents: number;
  readonly scaleEventsByCause: Readonly<Record<string, number>>;
  readonly underAccuracy: number;
  readonly overAccuracy: number;
  readonly underSeconds: number;
  readonly overSeconds: number;
  readonly unstableIntervals: number;
  readonly sampleIntervals: number;
}

/** Rounds for output (metrics and JSON): `digits` decimals, no negative zero. */
export function round(value: number, digits: number): number {
  const f = 10 ** digits;
  const r = Math.round(value * f) / f;
  return Object.is(r, -0) ? 0 : r;
}

/** Nearest-rank percentile of sorted values (0 when empty). */
export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil(p * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] as number;
}

export function summarize(raw: RawRun): RunMetrics {
  const waits = raw.waits.slice().sort();
  let sum = 0;
  for (let i = 0; i < waits.length; i++) sum += waits[i] as number;
  const T = raw.simulatedSeconds;
  const share = (x: number): number => (T > 0 ? round(x / T, 4) : 0);
  const paidSlotSeconds = raw.workerSeconds * raw.concurrency;
  return {
    queueWaitSeconds: {
      mean: round(waits.length > 0 ? sum / waits.length : 0, 3),
      p50: round(percentile(waits, 0.5), 3),
      p95: round(percentile(waits, 0.95), 3),
      p99: round(percentile(waits, 0.99), 3),
      max: round(waits.length > 0 ? (waits[waits.length - 1] as number) : 0, 3),
    },
    tasksKilled: raw.tasksKilled,
    tasksFailed: raw.tasksFailed,
    kedaCalls: raw.kedaCalls,
    nodesProvisioned: raw.nodesProvisioned,
    drains: raw.drains,
    restores: raw.restores,
    workerSeconds: round(raw.workerSeconds, 3),
    idleFraction: paidSlotSeconds > 0 ? round(1 - raw.busySlotSeconds / paidSlotSeconds, 4) : 0,
    peakWorkers: raw.peakWorkers,
    scaleEvents: raw.scaleEvents,
    scaleEventsByCause: raw.scaleEventsByCause,
    underProvisionedSeconds: round(raw.underSeconds, 3),
    elasticity: {
      underProvisioningAccuracy: share(raw.underAccuracy),
      overProvisioningAccuracy: share(raw.overAccuracy),
      underProvisioningTimeshare: share(raw.underSeconds),
      overProvisioningTimeshare: share(raw.overSeconds),
      instability: raw.sampleIntervals > 0 ? round(raw.unstableIntervals / raw.sampleIntervals, 4) : 0,
    },
    tasks: {
      total: raw.tasks,
      completed: raw.completed,
      failed: raw.tasksFailed,
      unfinished: raw.tasks - raw.completed - raw.tasksFailed,
      attempts: raw.waits.length,
    },
    simulatedSeconds: round(T, 3),
  };
}
