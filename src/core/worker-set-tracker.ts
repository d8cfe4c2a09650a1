import type { WorkerSetSpec } from './metadata.js';

export interface TrackedWorkerSet {
  readonly metricName: string;
  readonly spec: WorkerSetSpec;
  readonly lastSeenMs: number;
}

/**
 * Worker sets that KEDA asked about recently, so per-set gauges can be refreshed on every
 * snapshot. Sets unseen for `ttlMs` are dropped, keeping label cardinality bounded when
 * ScaledObjects are deleted or their metadata changes.
 */
export class WorkerSetTracker {
  private readonly sets = new Map<string, TrackedWorkerSet>();

  constructor(private readonly ttlMs: number) {}

  /** Returns true when the set was not tracked before. `metricName` is metricNameFor(spec). */
  seen(spec: WorkerSetSpec, metricName: string, nowMs: number): boolean {
    const isNew = !this.sets.has(metricName);
    this.sets.set(metricName, { metricName, spec, lastSeenMs: nowMs });
    return isNew;
  }

  /** Removes expired sets and returns them, so their series can be deleted. */
  prune(nowMs: number): TrackedWorkerSet[] {
    const expired = [...this.sets.values()].filter((set) => nowMs - set.lastSeenMs > this.ttlMs);
    for (const set of expired) this.sets.delete(set.metricName);
    return expired;
  }

  forMetastore(metastore: string): TrackedWorkerSet[] {
    return [...this.sets.values()].filter((set) => set.spec.metastore === metastore);
  }
}
