import type { WorkerPod } from '../core/ports.js';
import { planScaleIn, reportedReplicas } from '../core/scale-in-plan.js';

/*
 * The scaler's side of the `drain` scale-in policy, as the simulator runs it on every scaler tick:
 * core's `planScaleIn` chooses the surplus workers and the pod-deletion-cost each pod should
 * carry, and `reportedReplicas` gives the count the HPA sees. This class only keeps what the real
 * scaler keeps between ticks (which workers it told to stop consuming, and when they confirmed)
 * and models the broker: cancel_consumer is confirmed one round trip later, i.e. at the next tick.
 */

interface Drain {
  readonly sentAtMs: number;
  confirmedAtMs: number | null;
}

export interface DrainTick {
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
}

export class DrainController {
  private readonly draining = new Map<string, Drain>();
  private drainCount = 0;
  private restoreCount = 0;

  /** cancel_consumer commands sent, one per worker and drain episode. */
  get drains(): number {
    return this.drainCount;
  }

  /** add_consumer commands sent: draining workers put back to work instead of starting new pods. */
  get restores(): number {
    return this.restoreCount;
  }

  /** Workers told to stop consuming and not restored since. */
  get drainingCount(): number {
    return this.draining.size;
  }

  isDraining(pod: string): boolean {
    return this.draining.has(pod);
  }

  /** The pod is gone (deleted by the ReplicaSet or KEDA): nothing to track. */
  forget(pod: string): void {
    this.draining.delete(pod);
  }

  /**
   * One scaler tick at `nowMs` whose snapshot shows `running` tasks per pod; `desired` is the plain
   * formula. `pods` are the active worker pods with the pod-deletion-cost they carry now. The
   * caller applies the returned costs, drains and restores to its pods.
   */
  tick(nowMs: number, desired: number, pods: readonly WorkerPod[], running: ReadonlyMap<string, number>): DrainTick {
    const plan = planScaleIn({
      desired,
      pods,
      running,
      draining: this.draining,
      snapshotTakenAtMs: nowMs,
      canDrain: true,
    });
    if (plan.kind !== 'plan') throw new Error(`scale-in plan unsupported for simulated pods: ${plan.reason}`);
    const drained: string[] = [];
    for (const name of plan.drain) {
      // Unconfirmed drains are re-sent by the real scaler; the worker is already not consuming.
      if (this.draining.has(name)) continue;
      this.draining.set(name, { sentAtMs: nowMs, confirmedAtMs: null });
      drained.push(name);
    }
    for (const name of plan.restore) this.draining.delete(name);
    this.drainCount += drained.length;
    this.restoreCount += plan.restore.length;
    // Replies to cancel_consumer sent at earlier ticks arrive now, after this tick's snapshot:
    // the next tick's snapshot is the first that can prove such a worker idle.
    let confirmed = 0;
    for (const drain of this.draining.values()) {
      if (drain.confirmedAtMs === null && drain.sentAtMs < nowMs) {
        drain.confirmedAtMs = nowMs;
        confirmed += 1;
      }
    }
    // The simulated API server applies every patch at once: the pods now carry the planned costs.
    const annotated = pods.map((pod) => {
      const cost = plan.costs.get(pod.name);
      return cost === undefined || cost === pod.deletionCost ? pod : { ...pod, deletionCost: cost };
    });
    return {
      reported: reportedReplicas(plan, annotated, desired),
      drained,
      restored: plan.restore,
      costs: plan.costs,
      confirmed,
      victims: plan.victims,
    };
  }
}
