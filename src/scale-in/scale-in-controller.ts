import { ErrorCode, coerceError, isScalerError } from '../core/errors.js';
import type { DecisionMemo } from '../core/evaluate.js';
import type { Clock, ControlReply, Leadership, Logger, PodDirectory, SnapshotSource, WorkerControl, WorkerPod } from '../core/ports.js';
import { standingCount } from '../core/published-counts.js';
import type { WorkerCounts } from '../core/scale-in-plan.js';
import type { CommandsDue, Plan } from '../core/scale-in-ledger.js';
import { BrokerHealth, publication } from '../core/scale-in-ledger.js';
import type { WorkerSetSpec } from '../core/metadata.js';
import type { ScaleInTarget } from '../core/scale-in-target.js';
import { scaleInTargetKey } from '../core/scale-in-target.js';
import type { Snapshot } from '../core/snapshot.js';
import { runningByWorker } from '../core/snapshot.js';
import { TokenBucket } from '../core/token-bucket.js';
import type { ScaleInStep, TargetState } from './target-book.js';
import { TargetBook } from './target-book.js';

export type { ScaleInStep } from './target-book.js';

/** What the controller reports; telemetry/observers.ts turns it into Prometheus series. */
export interface ScaleInObserver {
  /** A plan was published: its counts, the count reported, and the surplus workers it chose. */
  planned(target: ScaleInTarget, counts: WorkerCounts, reported: number, victims: readonly string[]): void;
  patched(outcome: 'ok' | 'error'): void;
  drained(count: number): void;
  restored(count: number): void;
  failed(step: ScaleInStep, code: string): void;
  forgotten(target: ScaleInTarget): void;
  /** A request for a target beyond the limits: answered with the plain formula, not planned. */
  overLimit(): void;
  brokerAvailable(available: boolean): void;
}

export interface ScaleInControllerOptions {
  /** null: no Kubernetes API, so no plan; the RPCs report the plain formula. */
  readonly pods: PodDirectory | null;
  /** null: no broker, so `drain` degrades to ranking only. */
  readonly control: WorkerControl | null;
  /**
   * Which replica acts on pods and workers (a Lease); null when this process is the only one.
   * A replica that does not lead plans nothing and reports the leader's published counts.
   */
  readonly leadership?: Leadership | null;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly observer: ScaleInObserver;
  /** Where snapshots come from: the newest one plans a newly seen worker set at once. */
  readonly snapshots: SnapshotSource;
  /** The decisions GetMetrics answers from (a stale snapshot is refused, and not planned on). */
  readonly decisions: DecisionMemo;
  /**
   * How long a published count stands without a newer plan (API calls are bounded, so only a
   * persistent failure gets here); after it the RPCs fall back to the formula.
   */
  readonly planTtlMs: number;
  /** `limits.maxScaleInTargets`: targets planned at once (at most MAX_TARGETS_PER_WORKER_SET per worker set). */
  readonly maxTargets: number;
  /** A target KEDA has not asked about for this long is dropped, whatever the worker-set registry says. */
  readonly targetTtlMs: number;
  readonly patchesPerSecond: number;
  /** An unanswered cancel_consumer / add_consumer is sent again after this long. */
  readonly resendAfterMs?: number;
  /** How long a broker outage holds victims before draining is given up (ranking only). */
  readonly brokerGraceMs?: number;
  /** How often pods are listed while no scale-in step is pending (otherwise every tick). */
  readonly idleListIntervalMs?: number;
}

function errorCode(err: unknown): string {
  return isScalerError(err) ? err.code : 'UNKNOWN';
}

/**
 * Drain-then-remove. After every snapshot it plans each worker set that KEDA asked about:
 * chooses the surplus workers, drains busy ones over the broker, writes pod-deletion-cost, and
 * only then publishes the count the RPCs may report. Runs one at a time, so a slow API server
 * delays plans (the RPCs keep the last published count until it is stale) but never piles up.
 */
export class ScaleInController {
  private readonly targets: TargetBook;
  private readonly pendingSnapshots = new Map<string, Snapshot>();
  private readonly patchBudget: TokenBucket;
  private loop: Promise<void> | undefined;
  private stopped = false;
  private readonly broker: BrokerHealth;
  private leading = false;

  constructor(private readonly options: ScaleInControllerOptions) {
    this.patchBudget = new TokenBucket(options.patchesPerSecond, options.patchesPerSecond * 2);
    this.broker = new BrokerHealth(options.brokerGraceMs ?? 60_000);
    this.targets = new TargetBook({
      limits: { maxTargets: options.maxTargets, ttlMs: options.targetTtlMs },
      leadership: options.leadership ?? null,
      logger: options.logger,
      resendAfterMs: options.resendAfterMs ?? 10_000,
      overLimit: () => options.observer.overLimit(),
      forgotten: (target) => options.observer.forgotten(target),
      // A new target is planned on the newest snapshot at once, not at the next tick.
      added: (state) => {
        const snapshot = options.snapshots.latest(state.target.spec.metastore);
        if (snapshot !== undefined) this.onSnapshot(snapshot);
      },
    });
  }

  /**
   * The count GetMetrics reports for a worker set, and what makes the set known: a set is planned
   * once KEDA asks for its metric. Never below the last published plan (whose patches are on the
   * pods), never below the formula (scale-out is never delayed). The formula alone without the
   * Kubernetes API, for scaleIn=off, before a set's first plan, after an RBAC refusal, after
   * planTtlMs without a plan, or for a target beyond the limits.
   */
  reportFor(namespace: string, metricName: string, spec: WorkerSetSpec, desired: number): number {
    if (this.options.pods === null || spec.scaleIn.policy === 'off' || namespace === '' || this.stopped) return desired;
    const nowMs = this.options.clock.now();
    const key = scaleInTargetKey(namespace, metricName, spec);
    const state = this.targets.track(key, namespace, metricName, spec, nowMs);
    const { leadership } = this.options;
    if (leadership !== undefined && leadership !== null && !leadership.isLeader()) {
      // Another replica acts on the pods: answer with its count, so KEDA hears the same from both
      // (also for a target this replica has no room for: the leader may have planned it).
      return Math.max(desired, leadership.publishedByLeader(key, state?.publishedId) ?? desired);
    }
    return Math.max(desired, standingCount(state?.published, nowMs) ?? desired);
  }

  onSnapshot(snapshot: Snapshot): void {
    if (this.stopped || this.targets.size === 0) return;
    this.pendingSnapshots.set(snapshot.metastore, snapshot);
    this.loop ??= this.drainQueue().finally(() => {
      this.loop = undefined;
    });
  }

  /** Resolves once every snapshot handed in so far has been planned. */
  async whenIdle(): Promise<void> {
    while (this.loop !== undefined) await this.loop;
  }

  /** Resolves once the plan in progress (if any) finished; no new plans start. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }

  private async drainQueue(): Promise<void> {
    while (!this.stopped) {
      const next = this.pendingSnapshots.entries().next();
      if (next.done === true) return;
      const [metastore, snapshot] = next.value;
      this.pendingSnapshots.delete(metastore);
      await this.planAll(snapshot);
    }
  }

  private async planAll(snapshot: Snapshot): Promise<void> {
    this.targets.expire(this.options.clock.now());
    if (!this.followLeadership()) return;
    for (const state of [...this.targets.values()]) {
      if (this.stopped) return;
      if (state.target.spec.metastore !== snapshot.metastore) continue;
      try {
        await this.planTarget(state, snapshot);
      } catch (err) {
        this.options.logger.error({ target: state.target.key, err: coerceError(err) }, 'scale-in plan failed');
      }
    }
  }

  /**
   * KEDA stopped asking about a worker set (the worker-set registry dropped it): its plans go.
   * A target also goes on its own once KEDA stopped asking about it (targetTtlMs).
   */
  forget(metricName: string): void {
    this.targets.forget(metricName);
  }

  private async planTarget(state: TargetState, snapshot: Snapshot): Promise<void> {
    const { clock } = this.options;
    const { spec, namespace } = state.target;
    let desired: number;
    try {
      desired = this.options.decisions.decide(spec, snapshot, clock.now()).desired;
    } catch {
      return; // the RPCs report this error themselves
    }
    const pods = await this.currentPods(state, desired);
    if (pods === null) return;

    const drains = spec.scaleIn.policy === 'drain' && this.options.control !== null;
    const input = { desired, pods, running: runningByWorker(snapshot, spec), snapshotTakenAtMs: snapshot.takenAtMs, canDrain: drains };
    const steering = state.ledger.plan(input);
    // While the broker is down the commands still go out, as probes; the victims are the same.
    if (drains && steering.kind === 'plan' && this.mayAct()) await this.steerConsumers(state, steering);
    const plan = drains && this.broker.givenUp(clock.now()) ? state.ledger.plan({ ...input, canDrain: false }) : steering;
    if (plan.kind === 'unsupported') {
      if (state.unsupportedReason !== plan.reason) {
        this.options.logger.warn({ target: state.target.key, reason: plan.reason }, 'scale-in ranking unsupported; reporting the plain formula');
        this.options.observer.failed('plan', 'UNSUPPORTED');
      }
      state.unsupportedReason = plan.reason;
      this.targets.setPublished(state, undefined);
      return;
    }
    state.unsupportedReason = undefined;
    if (plan.order === 'highest-ordinal' && !state.orderReported) {
      state.orderReported = true;
      this.options.logger.warn(
        { target: state.target.key },
        'StatefulSet workers: ranking unsupported (the highest ordinals always go first); those are drained before removal',
      );
    }
    state.ledger.settle(plan);
    if (this.mayAct()) await this.applyCosts(state, plan, namespace);
    this.publish(state, plan, desired);
  }

  /**
   * Whether this process acts on the pods and the broker now (sends Celery commands, writes
   * pod-deletion-cost): the one place that asks the leader election.
   */
  private mayAct(): boolean {
    return this.options.leadership?.isLeader() ?? true;
  }

  /**
   * Plans only while leading. On becoming the leader every worker set starts afresh, as after a
   * restart: whatever the previous leader drained is reconciled from the cluster (the pods and
   * their annotations, listed again) and the broker (add_consumer to every keeper once).
   */
  private followLeadership(): boolean {
    const leading = this.mayAct();
    if (leading !== this.leading) {
      this.leading = leading;
      for (const state of this.targets.values()) this.targets.startAfresh(state);
    }
    return leading;
  }

  /** Computes and publishes the count the RPCs may report, from the pods as annotated now. */
  private publish(state: TargetState, plan: Plan, desired: number): void {
    // Dropped while it was being planned (expired, forgotten): nothing of it may come back.
    if (!this.targets.has(state)) return;
    // While the API refuses us the plan's premise (we can rank) does not hold.
    if (state.refusedSteps.size > 0) {
      this.targets.setPublished(state, undefined);
      return;
    }
    const { reported, unsettled } = publication(plan, state.pods ?? [], desired);
    state.unsettled = unsettled;
    this.targets.setPublished(state, { reported, expiresAtMs: this.options.clock.now() + this.options.planTtlMs });
    this.options.observer.planned(state.target, plan.counts, reported, plan.victims);
    const victims = plan.victims.join(',');
    if (victims !== state.lastVictims) {
      state.lastVictims = victims;
      this.options.logger.info(
        { target: state.target.key, desired, reported, victims: plan.victims, removable: [...plan.removable] },
        plan.victims.length === 0 ? 'scale-in: no surplus workers' : 'scale-in: surplus workers chosen',
      );
    }
  }

  /** Lists pods every tick while scaling in, otherwise every idleListIntervalMs. */
  private async currentPods(state: TargetState, desired: number): Promise<WorkerPod[] | null> {
    const directory = this.options.pods;
    if (directory === null) return null;
    const nowMs = this.options.clock.now();
    const changing = state.pods === null || state.unsettled || desired > state.pods.length;
    const interval = changing ? 0 : (this.options.idleListIntervalMs ?? 5_000);
    if (state.pods !== null && nowMs - state.listedAtMs < interval) return state.pods;
    try {
      state.pods = await directory.list(state.target.namespace, state.target.spec.scaleIn.podSelector);
      state.listedAtMs = nowMs;
      this.recovered(state, 'list');
      return state.pods;
    } catch (err) {
      this.failure(state, 'list', err);
      // An old list could hide new pods or removed ones: no plan until the API answers again.
      state.pods = null;
      return null;
    }
  }

  /** cancel_consumer to new victims (and unanswered ones again), add_consumer to drained pods needed again. */
  private async steerConsumers(state: TargetState, plan: Plan): Promise<void> {
    const { clock } = this.options;
    const nowMs = clock.now();
    const due: CommandsDue = state.ledger.commandsDue(plan, nowMs);
    const toDrain = [...due.drain, ...due.resend];
    if (toDrain.length > 0) {
      const confirmed = await this.command(state, 'drain', toDrain);
      state.ledger.drainsSent(toDrain, nowMs, confirmed, clock.now());
      if (confirmed.size > 0) this.options.observer.drained(confirmed.size);
    }
    const toRestore = [...due.restore, ...due.reconcile];
    if (toRestore.length > 0) {
      const confirmed = await this.command(state, 'restore', toRestore);
      const restored = state.ledger.restoresSent(toRestore, nowMs, confirmed);
      if (restored.length > 0) this.options.observer.restored(restored.length);
    }
  }

  /** Sends one command per queue; returns the pods that confirmed it for every queue. */
  private async command(state: TargetState, step: 'drain' | 'restore', pods: readonly string[]): Promise<Set<string>> {
    const control = this.options.control;
    if (control === null) return new Set();
    const confirmedEverywhere = new Set(pods);
    try {
      for (const queue of state.target.spec.queues) {
        const replies: ControlReply[] =
          step === 'drain' ? await control.cancelConsumer(pods, queue) : await control.addConsumer(pods, queue);
        const ok = new Set(replies.filter((reply) => reply.ok).map((reply) => reply.hostname));
        for (const name of confirmedEverywhere) if (!ok.has(name)) confirmedEverywhere.delete(name);
      }
      this.recovered(state, step);
      if (this.broker.reachable()) {
        this.options.logger.info({}, 'Celery broker reachable again: draining resumed');
        this.options.observer.brokerAvailable(true);
      }
      return confirmedEverywhere;
    } catch (err) {
      this.failure(state, step, err);
      if (isScalerError(err) && err.code === ErrorCode.BrokerControlFailed && this.broker.unreachable(this.options.clock.now())) {
        this.options.logger.warn(
          { graceMs: this.broker.graceMs },
          'Celery broker unreachable: surplus workers are held, then ranked without draining if it stays down',
        );
        this.options.observer.brokerAvailable(false);
      }
      return new Set();
    }
  }

  /** Writes the planned pod-deletion-cost where it differs, within the patch budget. */
  private async applyCosts(state: TargetState, plan: Plan, namespace: string): Promise<void> {
    const directory = this.options.pods;
    if (directory === null || state.pods === null) return;
    const updated: WorkerPod[] = [];
    for (const pod of state.pods) {
      const wanted = plan.costs.get(pod.name);
      if (wanted === undefined || wanted === pod.deletionCost || !this.patchBudget.tryTake(this.options.clock.now())) {
        updated.push(pod);
        continue;
      }
      try {
        await directory.setDeletionCost(namespace, pod.name, wanted);
        updated.push({ ...pod, deletionCost: wanted });
        this.options.observer.patched('ok');
        this.recovered(state, 'patch');
      } catch (err) {
        updated.push(pod);
        this.options.observer.patched('error');
        this.failure(state, 'patch', err);
      }
    }
    state.pods = updated;
  }

  private failure(state: TargetState, step: ScaleInStep, err: unknown): void {
    const code = errorCode(err);
    this.options.observer.failed(step, code);
    if (code === ErrorCode.KubernetesForbidden) {
      // Without permission there is no ranking: report the formula, as without an API at all.
      state.refusedSteps.add(step);
      this.targets.setPublished(state, undefined);
    }
    if (state.failingSteps.has(step)) return;
    state.failingSteps.add(step);
    this.options.logger.warn({ target: state.target.key, step, code, err: coerceError(err) }, 'scale-in step failed');
  }

  private recovered(state: TargetState, step: ScaleInStep): void {
    state.refusedSteps.delete(step);
    if (state.failingSteps.delete(step)) {
      this.options.logger.info({ target: state.target.key, step }, 'scale-in step recovered');
    }
  }
}
