import type { WorkerPod } from '../../core/ports.js';
import { modelledWorkerPod } from '../../core/replica-set-ranking.js';
import type { VictimCandidate } from '../../core/scale-in-plan.js';

export const PodState = { starting: 0, ready: 1, terminating: 2, gone: 3 } as const;
export type PodState = (typeof PodState)[keyof typeof PodState];

export const POD_NAME_PREFIX = 'worker-';
export const MAX_CONCURRENCY = 1024;

/** A pod as core's victim choice weighs it, kept per pod and refreshed in place before a plan. */
export interface PodCandidate extends VictimCandidate {
  pod: WorkerPod;
  load: number;
  draining: boolean;
  readonly owner: SimPod;
}

/** One simulated Celery worker pod. */
export class SimPod {
  state: PodState = PodState.starting;
  readyAt = -1;
  busy = 0;
  /** Told to stop consuming (Celery cancel_consumer, policy `drain`): ready, but takes no task. */
  draining = false;
  /** The pod-deletion-cost annotation the scaler applied (policies `rank`, `drain`); null = none. */
  deletionCost: number | null = null;
  readonly name: string;
  readonly slots: Int32Array;
  /** 1 while the slot's id is in the free-slot FIFO (a draining pod's entries stay there). */
  readonly offered: Uint8Array;
  readonly candidate: PodCandidate;
  /** The pod as the scale-in planner sees it; null when its state or cost changed since. */
  private view: WorkerPod | null = null;

  constructor(
    readonly id: number,
    readonly uid: number,
    readonly createdAt: number,
    concurrency: number,
  ) {
    this.name = `${POD_NAME_PREFIX}${id}`;
    this.slots = new Int32Array(concurrency).fill(-1);
    this.offered = new Uint8Array(concurrency);
    this.candidate = { pod: this.asWorkerPod(), load: 0, draining: false, owner: this };
  }

  get ready(): boolean {
    return this.state === PodState.ready;
  }

  /** Its state or annotation changed: the next `asWorkerPod` builds a fresh view. */
  changed(): void {
    this.view = null;
  }

  /** The pod as the Kubernetes API would list it (never terminating: only active pods are asked). */
  asWorkerPod(): WorkerPod {
    this.view ??= modelledWorkerPod(this.name, this.ready, this.deletionCost);
    return this.view;
  }
}
