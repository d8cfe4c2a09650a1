import type { WorkerSetSpec } from './metadata.js';
import type { ForecastDemand } from './prewarm-demand.js';
import { PrewarmDemandLedger } from './prewarm-demand.js';

/** The ScaledObject that asked about a worker set, as KEDA names it in `scaledObjectRef`. */
export interface ScaledObjectName {
  readonly namespace: string;
  readonly name: string;
}

export interface TrackedWorkerSet {
  /** metricNameFor(spec): what is counted, the set's identity in metrics and logs. */
  readonly metricName: string;
  /** The latest spec KEDA sent (concurrency and bounds may change without renaming the set). */
  spec: WorkerSetSpec;
  /** The ScaledObject that asked last. */
  scaledObject: ScaledObjectName;
  lastSeenMs: number;
  /** The value of the set's last GetMetrics answer (null before the first): what KEDA was told. */
  reportedWorkers: number | null;
}

export type Registration =
  | { readonly kind: 'new' | 'known'; readonly set: TrackedWorkerSet }
  /** The registry is full: the set is answered like any other but gets no series and no plan. */
  | { readonly kind: 'over-limit' };

/**
 * The worker sets KEDA asked about recently: the one list that per-set metrics and scale-in
 * plans follow. A set unseen for `ttlMs` is dropped (its series go with it), and at most
 * `maxSets` are tracked, so no client can grow series or plans without limit by inventing sets.
 * Registering a known set allocates nothing: it runs on every RPC.
 */
export class WorkerSetRegistry {
  private readonly sets = new Map<string, TrackedWorkerSet>();
  private readonly prewarm: PrewarmDemandLedger;

  constructor(
    private readonly ttlMs: number,
    private readonly maxSets: number,
  ) {
    this.prewarm = new PrewarmDemandLedger(ttlMs);
  }

  get size(): number {
    return this.sets.size;
  }

  get limit(): number {
    return this.maxSets;
  }

  register(metricName: string, spec: WorkerSetSpec, scaledObject: ScaledObjectName, nowMs: number): Registration {
    // Before the limit: a set over it is still answered with its forecast.
    this.prewarm.note(spec.metastore, spec.prewarm, nowMs);
    const known = this.sets.get(metricName);
    if (known !== undefined) {
      known.lastSeenMs = nowMs;
      if (known.spec !== spec) known.spec = spec;
      if (known.scaledObject.name !== scaledObject.name || known.scaledObject.namespace !== scaledObject.namespace) {
        known.scaledObject = { namespace: scaledObject.namespace, name: scaledObject.name };
      }
      return { kind: 'known', set: known };
    }
    if (this.sets.size >= this.maxSets) return { kind: 'over-limit' };
    const set: TrackedWorkerSet = { metricName, spec, scaledObject: { namespace: scaledObject.namespace, name: scaledObject.name }, lastSeenMs: nowMs, reportedWorkers: null };
    this.sets.set(metricName, set);
    return { kind: 'new', set };
  }

  get(metricName: string): TrackedWorkerSet | undefined {
    return this.sets.get(metricName);
  }

  /** Removes sets unseen for longer than ttlMs and returns them, so their series can go too. */
  prune(nowMs: number): TrackedWorkerSet[] {
    const expired: TrackedWorkerSet[] = [];
    for (const [name, set] of this.sets) {
      if (nowMs - set.lastSeenMs <= this.ttlMs) continue;
      this.sets.delete(name);
      expired.push(set);
    }
    return expired;
  }

  /** What the sets of `metastore` that asked within the TTL, tracked or over the limit, pre-warm with. */
  forecastDemand(metastore: string, nowMs: number): ForecastDemand | null {
    return this.prewarm.demand(metastore, nowMs);
  }

  all(): IterableIterator<TrackedWorkerSet> {
    return this.sets.values();
  }

  forMetastore(metastore: string): TrackedWorkerSet[] {
    return [...this.sets.values()].filter((set) => set.spec.metastore === metastore);
  }
}
