import type { ScaleInTarget } from './scale-in-target.js';

/**
 * A scale-in target's namespace and pod selector come from the client (scaledObjectRef and
 * `workerPodSelector`), not from anything the registry bounds: one worker set asked about from
 * 2,000 namespaces is 2,000 targets, each a pod list per tick, four series and a Lease entry.
 * So targets have limits of their own: in all, and per worker set (a worker set is one Celery
 * queue list; more than a few Deployments draining it is a mistake or an attack).
 */
export const MAX_TARGETS_PER_WORKER_SET = 4;

export interface ScaleInTargetLimits {
  /** `limits.maxScaleInTargets`. */
  readonly maxTargets: number;
  /** A target KEDA has not asked about for longer than this is dropped, as a worker set is. */
  readonly ttlMs: number;
}

/** What the table keeps per target: the controller's own state, with the target and when KEDA last asked. */
export interface TrackedTarget {
  target: ScaleInTarget;
  lastSeenMs: number;
}

/** Why a new target gets no plan: the table is full, or its worker set has its share. */
export type TargetLimit = 'maxScaleInTargets' | 'perWorkerSet';

/**
 * The scale-in targets being planned, keyed by scaleInTargetKey. Bounded in number, and each
 * expires on its own last request, so a flood of invented namespaces costs at most
 * `maxTargets` plans, for at most `ttlMs`.
 */
export class ScaleInTargetTable<S extends TrackedTarget> {
  private readonly states = new Map<string, S>();
  private readonly perWorkerSet = new Map<string, number>();

  constructor(private readonly limits: ScaleInTargetLimits) {}

  get size(): number {
    return this.states.size;
  }

  /** A known target, its last request now; undefined when unknown. Runs on every RPC: allocates nothing. */
  seen(key: string, nowMs: number): S | undefined {
    const known = this.states.get(key);
    if (known !== undefined) known.lastSeenMs = nowMs;
    return known;
  }

  /**
   * Whether a new target of this worker set fits (null) or which limit it is beyond. When full,
   * targets past their TTL are dropped first and pushed onto `expired`, so their series go.
   */
  room(metricName: string, nowMs: number, expired: S[]): TargetLimit | null {
    if (this.beyond(metricName) !== null) expired.push(...this.prune(nowMs));
    return this.beyond(metricName);
  }

  /** Adds a target that room() found room for. */
  add(state: S): void {
    const { key, metricName } = state.target;
    if (this.states.has(key)) return;
    this.states.set(key, state);
    this.perWorkerSet.set(metricName, (this.perWorkerSet.get(metricName) ?? 0) + 1);
  }

  get(key: string): S | undefined {
    return this.states.get(key);
  }

  /** Drops targets unseen for longer than ttlMs and returns them. */
  prune(nowMs: number): S[] {
    const expired: S[] = [];
    for (const state of this.states.values()) if (nowMs - state.lastSeenMs > this.limits.ttlMs) expired.push(state);
    for (const state of expired) this.remove(state);
    return expired;
  }

  /** Drops every target of a worker set (the registry forgot it) and returns them. */
  forgetWorkerSet(metricName: string): S[] {
    const gone = [...this.states.values()].filter((state) => state.target.metricName === metricName);
    for (const state of gone) this.remove(state);
    return gone;
  }

  values(): IterableIterator<S> {
    return this.states.values();
  }

  private beyond(metricName: string): TargetLimit | null {
    if (this.states.size >= this.limits.maxTargets) return 'maxScaleInTargets';
    return (this.perWorkerSet.get(metricName) ?? 0) >= MAX_TARGETS_PER_WORKER_SET ? 'perWorkerSet' : null;
  }

  private remove(state: S): void {
    const { key, metricName } = state.target;
    if (!this.states.delete(key)) return;
    const left = (this.perWorkerSet.get(metricName) ?? 1) - 1;
    if (left > 0) this.perWorkerSet.set(metricName, left);
    else this.perWorkerSet.delete(metricName);
  }
}
