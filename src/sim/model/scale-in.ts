import type { WorkerPod } from '../../core/ports.js';
import { ScaleInLedger, publication } from '../../core/scale-in-ledger.js';

/*
 * The scaler's side of the `rank` and `drain` scale-in policies as the simulator runs them on
 * every scaler tick: core's ledger plans (core's `planScaleIn`), says which Celery commands are
 * due, and gives the count to publish, exactly as for the service's scale-in controller. This
 * class only stands in for the controller's I/O: the simulated API server applies every patch at
 * once, and the simulated broker confirms add_consumer at once and cancel_consumer one round trip
 * later (its reply arrives after the next tick's snapshot was taken).
 */

/** The scaler's default `scaleIn.resendAfterMs`. */
const RESEND_AFTER_MS = 10_000;

export interface ScaleInTick {
  /** What the scaler answers KEDA and the HPA: the plain formula plus victims still held. */
  readonly reported: number;
  /** Workers told to stop consuming this tick (cancel_consumer, first time). */
  readonly drained: readonly string[];
  /** Draining workers needed again (add_consumer): they take tasks from now on. */
  readonly restored: readonly string[];
  /** The pod-deletion-cost each active pod carries after this tick (null = no annotation). */
  readonly costs: ReadonlyMap<string, number | null>;
  /** Drains confirmed at the end of this tick: the next tick's plan can differ because of them. */
  readonly confirmed: number;
  /** The surplus workers the plan chose (removable or still draining). */
  readonly victims: readonly string[];
  /** The Celery commands sent this tick, resends and the first tick's reconciliation included. */
  readonly commands: { readonly cancelConsumer: readonly string[]; readonly addConsumer: readonly string[] };
}

export class SimulatedScaleIn {
  private readonly ledger = new ScaleInLedger(RESEND_AFTER_MS);
  private drainCount = 0;
  private restoreCount = 0;

  /** `canDrain`: policy `drain` (busy victims are drained); `rank` only ranks them. */
  constructor(private readonly canDrain: boolean) {}

  /** cancel_consumer commands sent, one per worker and drain episode. */
  get drains(): number {
    return this.drainCount;
  }

  /** add_consumer commands that put a draining worker back to work. */
  get restores(): number {
    return this.restoreCount;
  }

  /** Workers told to stop consuming and not restored since. */
  get drainingCount(): number {
    return this.ledger.draining.size;
  }

  isDraining(pod: string): boolean {
    return this.ledger.isDraining(pod);
  }

  /** The pod is gone (deleted by the ReplicaSet or KEDA): nothing to track. */
  forget(pod: string): void {
    this.ledger.forget(pod);
  }

  /**
   * One scaler tick at `nowMs` whose snapshot (taken at `nowMs`) shows `running` tasks per pod;
   * `desired` is the plain formula; `pods` are the active worker pods with the pod-deletion-cost
   * they carry now. The caller applies the returned costs, drains and restores to its pods.
   */
  tick(nowMs: number, desired: number, pods: readonly WorkerPod[], running: ReadonlyMap<string, number>): ScaleInTick {
    const plan = this.ledger.plan({ desired, pods, running, snapshotTakenAtMs: nowMs, canDrain: this.canDrain });
    if (plan.kind !== 'plan') throw new Error(`scale-in plan unsupported for simulated pods: ${plan.reason}`);
    let drained: readonly string[] = [];
    let restored: readonly string[] = [];
    let toDrain: readonly string[] = [];
    let toRestore: readonly string[] = [];
    if (this.canDrain) {
      const due = this.ledger.commandsDue(plan, nowMs);
      toDrain = [...due.drain, ...due.resend];
      this.ledger.drainsSent(toDrain, nowMs, new Set(), nowMs);
      toRestore = [...due.restore, ...due.reconcile];
      restored = this.ledger.restoresSent(toRestore, nowMs, new Set(toRestore));
      drained = due.drain;
      this.drainCount += drained.length;
      this.restoreCount += restored.length;
    }
    // Replies to cancel_consumer sent at earlier ticks arrive now, after this tick's snapshot:
    // the next tick's snapshot is the first that can prove such a worker idle.
    const confirmed = this.ledger.lateDrainReplies(nowMs, nowMs);
    this.ledger.settle(plan);
    const annotated = pods.map((pod) => {
      const cost = plan.costs.get(pod.name);
      return cost === undefined || cost === pod.deletionCost ? pod : { ...pod, deletionCost: cost };
    });
    return {
      reported: publication(plan, annotated, desired).reported,
      drained,
      restored,
      costs: plan.costs,
      confirmed,
      victims: plan.victims,
      commands: { cancelConsumer: toDrain, addConsumer: toRestore },
    };
  }
}
