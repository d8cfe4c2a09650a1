import type { DrainState, ScaleInInput, ScaleInPlan } from './scale-in-plan.js';
import { planScaleIn, reportedReplicas } from './scale-in-plan.js';
import type { WorkerPod } from './ports.js';

/*
 * What the scaler keeps between ticks for one worker set while it drains surplus workers: whom it
 * told to stop consuming (Celery `cancel_consumer`), when, and whether they confirmed; whom it put
 * back to work (`add_consumer`). Pure: the caller sends the commands, patches the pods, and tells
 * the ledger what happened, with the time as a parameter. The service's scale-in controller and
 * the simulator drive this one ledger.
 */

export type Plan = Extract<ScaleInPlan, { kind: 'plan' }>;

interface DrainEntry extends DrainState {
  readonly lastSentAtMs: number;
  readonly lastRestoreSentAtMs: number | null;
}

/** The Celery remote-control commands due at one tick. */
export interface CommandsDue {
  /** cancel_consumer to victims told for the first time (a new drain). */
  readonly drain: readonly string[];
  /** cancel_consumer again to victims that never confirmed, resendAfterMs after the last send. */
  readonly resend: readonly string[];
  /** add_consumer to draining workers needed again (restores). */
  readonly restore: readonly string[];
  /**
   * add_consumer to every kept worker, once, at the first plan: after a restart we cannot know
   * whom an earlier process drained, so nothing must stay drained by a process that is gone.
   */
  readonly reconcile: readonly string[];
}

/** What a plan lets the scaler publish, given the pods as they are annotated now. */
export interface Publication {
  /** The count GetMetrics may report: the formula plus victims still held (`reportedReplicas`). */
  readonly reported: number;
  /**
   * A command or a patch is still outstanding, or a victim is still held: the next tick must look
   * at the pods again.
   */
  readonly unsettled: boolean;
}

export class ScaleInLedger {
  private readonly entries = new Map<string, DrainEntry>();
  private reconciled = false;

  /** `resendAfterMs`: an unanswered command is sent again after this long. */
  constructor(private readonly resendAfterMs: number) {}

  /** Workers told to stop consuming and not restored since, with their confirmation time. */
  get draining(): ReadonlyMap<string, DrainState> {
    return this.entries;
  }

  isDraining(pod: string): boolean {
    return this.entries.has(pod);
  }

  /** The pod is gone: nothing to track. */
  forget(pod: string): void {
    this.entries.delete(pod);
  }

  /** Core's plan for this tick, given what the ledger knows of drains. */
  plan(input: Omit<ScaleInInput, 'draining'>): ScaleInPlan {
    return planScaleIn({ ...input, draining: this.entries });
  }

  /** The commands the plan calls for at `nowMs`; the first call also reconciles (see `reconcile`). */
  commandsDue(plan: Plan, nowMs: number): CommandsDue {
    const drain: string[] = [];
    const resend: string[] = [];
    for (const name of plan.drain) {
      const entry = this.entries.get(name);
      if (entry === undefined) drain.push(name);
      else if (entry.confirmedAtMs === null && this.due(entry.lastSentAtMs, nowMs)) resend.push(name);
    }
    let restore: string[] = [];
    let reconcile: string[] = [];
    if (this.reconciled) {
      restore = plan.restore.filter((name) => this.due(this.entries.get(name)?.lastRestoreSentAtMs ?? null, nowMs));
    } else {
      const victims = new Set(plan.victims);
      reconcile = plan.active.filter((name) => !victims.has(name));
      this.reconciled = true;
    }
    return { drain, resend, restore, reconcile };
  }

  /** cancel_consumer went out at `sentAtMs`; `confirmed` answered for every queue by `confirmedAtMs`. */
  drainsSent(names: readonly string[], sentAtMs: number, confirmed: ReadonlySet<string>, confirmedAtMs: number): void {
    for (const name of names) {
      this.entries.set(name, { confirmedAtMs: confirmed.has(name) ? confirmedAtMs : null, lastSentAtMs: sentAtMs, lastRestoreSentAtMs: null });
    }
  }

  /**
   * Replies that arrive after the tick that sent them: every drain sent before `sentBeforeMs` and
   * not yet confirmed is confirmed at `atMs`. Returns how many.
   */
  lateDrainReplies(sentBeforeMs: number, atMs: number): number {
    let confirmed = 0;
    for (const [name, entry] of this.entries) {
      if (entry.confirmedAtMs === null && entry.lastSentAtMs < sentBeforeMs) {
        this.entries.set(name, { ...entry, confirmedAtMs: atMs });
        confirmed += 1;
      }
    }
    return confirmed;
  }

  /**
   * add_consumer went out at `sentAtMs`; `confirmed` answered for every queue. A confirmed worker
   * consumes again; an unconfirmed one stays draining and is asked again later. Returns the
   * workers restored (a reconciled worker that was not draining is not a restore).
   */
  restoresSent(names: readonly string[], sentAtMs: number, confirmed: ReadonlySet<string>): string[] {
    const restored: string[] = [];
    for (const name of names) {
      const entry = this.entries.get(name);
      if (confirmed.has(name)) {
        if (entry !== undefined) restored.push(name);
        this.entries.delete(name);
      } else if (entry !== undefined) {
        this.entries.set(name, { ...entry, lastRestoreSentAtMs: sentAtMs });
      }
    }
    return restored;
  }

  /** After the plan that will be applied: workers no longer among the active pods are forgotten. */
  settle(plan: Plan): void {
    for (const name of [...this.entries.keys()]) if (!plan.active.includes(name)) this.entries.delete(name);
  }

  private due(sentAtMs: number | null, nowMs: number): boolean {
    return sentAtMs === null || nowMs - sentAtMs >= this.resendAfterMs;
  }
}

/** What a plan lets the scaler publish once its patches are on `pods` (those that made it). */
export function publication(plan: Plan, pods: readonly WorkerPod[], desired: number): Publication {
  const unsettled =
    plan.drain.length > 0 ||
    plan.restore.length > 0 ||
    plan.victims.some((name) => !plan.removable.has(name)) ||
    pods.some((pod) => plan.costs.has(pod.name) && plan.costs.get(pod.name) !== pod.deletionCost);
  return { reported: reportedReplicas(plan, pods, desired), unsettled };
}

/**
 * Whether the Celery broker can be used for draining. An outage first holds victims (nothing is
 * removed that might still be saved); after `graceMs` it counts as no broker at all, and victims
 * are ranked but not drained.
 */
export class BrokerHealth {
  private downSinceMs: number | undefined;

  constructor(readonly graceMs: number) {}

  /** A command reached the broker; true when this ends an outage. */
  reachable(): boolean {
    const wasDown = this.downSinceMs !== undefined;
    this.downSinceMs = undefined;
    return wasDown;
  }

  /** A command could not be sent at `nowMs`; true when this starts an outage. */
  unreachable(nowMs: number): boolean {
    if (this.downSinceMs !== undefined) return false;
    this.downSinceMs = nowMs;
    return true;
  }

  givenUp(nowMs: number): boolean {
    return this.downSinceMs !== undefined && nowMs - this.downSinceMs >= this.graceMs;
  }
}
