import { LogThrottle } from '../core/log-throttle.js';
import type { WorkerSetSpec } from '../core/metadata.js';
import type { Leadership, Logger, WorkerPod } from '../core/ports.js';
import type { PublishedCount } from '../core/published-counts.js';
import { publishedTargetId } from '../core/published-counts.js';
import { ScaleInLedger } from '../core/scale-in-ledger.js';
import type { ScaleInTarget } from '../core/scale-in-target.js';
import type { ScaleInTargetLimits } from '../core/scale-in-targets.js';
import { MAX_TARGETS_PER_WORKER_SET, ScaleInTargetTable } from '../core/scale-in-targets.js';

export type ScaleInStep = 'list' | 'patch' | 'drain' | 'restore' | 'plan';

/** What the controller keeps per target between ticks. */
export interface TargetState {
  target: ScaleInTarget;
  /** The target's name in the Lease (publishedTargetId of its key), hashed once, not per answer. */
  readonly publishedId: string;
  lastSeenMs: number;
  /** The last pod list, with the annotations we have written since merged in. */
  pods: WorkerPod[] | null;
  listedAtMs: number;
  /** Drains sent and confirmed, restores, reconciliation: core's bookkeeping for this set. */
  ledger: ScaleInLedger;
  /** Set only through TargetBook.setPublished, so the Lease follows it. */
  published: PublishedCount | undefined;
  unsupportedReason: string | undefined;
  orderReported: boolean;
  lastVictims: string;
  /** A drain or a patch is still to be done: list pods again on the next tick. */
  unsettled: boolean;
  readonly failingSteps: Set<ScaleInStep>;
  readonly refusedSteps: Set<ScaleInStep>;
}

export interface TargetBookOptions {
  readonly limits: ScaleInTargetLimits;
  readonly leadership: Leadership | null;
  readonly logger: Logger;
  readonly resendAfterMs: number;
  /** A request beyond the limits (counted), a target dropped (its series go), a target added (plan it). */
  readonly overLimit: () => void;
  readonly forgotten: (target: ScaleInTarget) => void;
  readonly added: (state: TargetState) => void;
}

/** As for worker sets over limits.maxWorkerSets: one line a minute, whatever a client sends. */
const OVER_LIMIT_LOG_INTERVAL_MS = 60_000;

/**
 * The scale-in targets this replica knows (core's bounded, expiring table) and their published
 * counts, which the Lease carries to the other replicas. Every change of a count goes through
 * here, so a target that is dropped also leaves the Lease.
 */
export class TargetBook {
  private readonly table: ScaleInTargetTable<TargetState>;
  /** Every target's plan, by target key: the Lease carries the ones still standing. */
  private readonly published = new Map<string, PublishedCount>();
  private readonly overLimit = new LogThrottle<string>(OVER_LIMIT_LOG_INTERVAL_MS);

  constructor(private readonly options: TargetBookOptions) {
    this.table = new ScaleInTargetTable(options.limits);
  }

  get size(): number {
    return this.table.size;
  }

  values(): IterableIterator<TargetState> {
    return this.table.values();
  }

  /** Still tracked: a target dropped while it was being planned must not publish again. */
  has(state: TargetState): boolean {
    return this.table.get(state.target.key) === state;
  }

  /** The target's state (known, or new if there is room), or undefined beyond the limits. */
  track(key: string, namespace: string, metricName: string, spec: WorkerSetSpec, nowMs: number): TargetState | undefined {
    const known = this.table.seen(key, nowMs);
    if (known !== undefined) {
      // Concurrency and bounds are not in the key; the metadata cache hands out one spec per map.
      if (known.target.spec !== spec) known.target = { ...known.target, spec };
      return known;
    }
    const expired: TargetState[] = [];
    const beyond = this.table.room(metricName, nowMs, expired);
    this.dropped(expired);
    if (beyond !== null) {
      this.options.overLimit();
      this.sayOverLimit(this.overLimit.add(`${namespace}/${metricName}`, nowMs));
      return undefined;
    }
    const state = this.create({ key, namespace, metricName, spec }, nowMs);
    this.table.add(state);
    this.options.added(state);
    return state;
  }

  /** Drops targets KEDA stopped asking about; says what the over-limit throttle held back. */
  expire(nowMs: number): void {
    this.dropped(this.table.prune(nowMs));
    this.sayOverLimit(this.overLimit.flush(nowMs));
  }

  /** Drops every target of a worker set the registry forgot. */
  forget(metricName: string): void {
    this.dropped(this.table.forgetWorkerSet(metricName));
  }

  /** The one place a target's count changes: its own answers and the Lease follow it. */
  setPublished(state: TargetState, published: PublishedCount | undefined): void {
    state.published = published;
    const key = state.target.key;
    if (published !== undefined && this.has(state)) this.published.set(key, published);
    else if (!this.published.delete(key)) return;
    this.options.leadership?.publish(this.published);
  }

  /** As after a restart: no drains remembered, nothing published, pods listed again. */
  startAfresh(state: TargetState): void {
    state.ledger = new ScaleInLedger(this.options.resendAfterMs);
    this.setPublished(state, undefined);
    state.pods = null;
    state.lastVictims = '';
  }

  private create(target: ScaleInTarget, nowMs: number): TargetState {
    return {
      target,
      publishedId: publishedTargetId(target.key),
      lastSeenMs: nowMs,
      pods: null,
      listedAtMs: 0,
      ledger: new ScaleInLedger(this.options.resendAfterMs),
      published: undefined,
      unsupportedReason: undefined,
      orderReported: false,
      lastVictims: '',
      unsettled: true,
      failingSteps: new Set(),
      refusedSteps: new Set(),
    };
  }

  private dropped(states: readonly TargetState[]): void {
    for (const state of states) {
      this.options.forgotten(state.target);
      this.setPublished(state, undefined);
    }
  }

  private sayOverLimit(summary: ReturnType<LogThrottle<string>['flush']>): void {
    if (summary === undefined) return;
    this.options.logger.warn(
      {
        limit: this.options.limits.maxTargets,
        perWorkerSet: MAX_TARGETS_PER_WORKER_SET,
        requests: summary.occurrences,
        targets: summary.examples,
        otherRequests: summary.more,
      },
      'scale-in targets beyond limits.maxScaleInTargets (or per worker set) get no plan: the plain formula is reported for them',
    );
  }
}
