import type { ScaleCause, ScaleDecision } from '../../core/keda-operator.js';
import { KedaScaledObject } from '../../core/keda-operator.js';
import { Accounting } from './accounting.js';
import type { SimConfig } from './config.js';
import { WorkerDeployment } from './deployment.js';
import { EventQueue } from './event-queue.js';
import { summarize } from './metrics.js';
import { Stream, createRng } from './random.js';
import type { RunOptions, SimLog, SimulationResult } from './run-types.js';
import { EventKind } from './run-types.js';
import { SimulatedScaler } from './scaler.js';
import { MAX_CONCURRENCY } from './worker-pod.js';
import type { Workload } from './workload.js';

/*
 * A discrete-event simulation, in virtual seconds, of one Celery worker Deployment scaled by KEDA
 * and the HPA from this scaler's metric. KEDA and the HPA are core's model (`KedaScaledObject`),
 * every scaler answer is core's `decide()` and the scale-in core's ledger; this folder models what
 * happens around them: tasks, pods, the ReplicaSet, and when each control loop runs.
 */

/** Runs one configuration over one workload. Pure: the same inputs give the same result. */
export function runSimulation(workload: Workload, config: SimConfig, options: RunOptions = {}): SimulationResult {
  return new Simulation(workload, config, options).run();
}

class Simulation {
  private readonly config: SimConfig;
  private readonly served: Uint8Array;
  private readonly servedTasks: number;
  private readonly events = new EventQueue(4096);
  private readonly deployment: WorkerDeployment;
  private readonly scaler: SimulatedScaler;
  /** KEDA's operator and the HPA it made, as core models them. */
  private readonly keda: KedaScaledObject;
  private readonly accounting: Accounting;
  private readonly log: SimLog | null;
  private now = 0;
  private nextArrival = 0;
  private lastPolledDesired = 0;
  private scaleEvents = 0;
  private readonly scaleEventsByCause: Record<ScaleCause, number> = { 'keda-activation': 0, 'keda-cooldown': 0, 'keda-min': 0, hpa: 0 };

  constructor(
    private readonly workload: Workload,
    config: SimConfig,
    options: RunOptions,
  ) {
    if (config.workerConcurrency > MAX_CONCURRENCY) {
      throw new RangeError(`workerConcurrency ${config.workerConcurrency} exceeds ${MAX_CONCURRENCY}`);
    }
    const phaseRng = createRng(config.seed, Stream.phase);
    const hpaOffset = config.hpaSyncOffsetSeconds ?? Math.round(phaseRng.next() * config.hpaSyncPeriodSeconds * 1000) / 1000;
    this.config = { ...config, hpaSyncOffsetSeconds: hpaOffset, initialReplicas: config.initialReplicas ?? config.minReplicaCount };
    this.log = options.recordLog === true ? { scale: [], polls: [], pushes: [], hpaSyncs: [], scaleIn: [] } : null;

    this.served = new Uint8Array(workload.queueNames.length);
    const servedNames = new Set(config.queues ?? workload.queueNames);
    workload.queueNames.forEach((name, i) => {
      this.served[i] = servedNames.has(name) ? 1 : 0;
    });
    let servedTasks = 0;
    for (let i = 0; i < workload.queuedAt.length; i++) servedTasks += this.served[workload.queue[i] as number] as number;
    this.servedTasks = servedTasks;

    this.deployment = new WorkerDeployment(
      workload,
      this.config,
      this.events,
      servedTasks,
      createRng(config.seed, Stream.pods),
      createRng(config.seed, Stream.scaleIn),
      (name) => this.scaler.scaleIn?.forget(name),
    );
    this.scaler = new SimulatedScaler(this.config, workload, this.deployment, options.planEveryTick === true, this.log?.scaleIn ?? null);
    this.keda = new KedaScaledObject({
      minReplicaCount: config.minReplicaCount,
      maxReplicaCount: config.maxReplicaCount,
      cooldownPeriodMs: config.cooldownPeriod * 1000,
      initialCooldownPeriodMs: config.initialCooldownPeriod * 1000,
      createdAtMs: 0,
      fallback: null,
      hpaTolerance: config.hpaTolerance,
      hpaBehavior: config.hpaBehavior,
    });
    this.accounting = new Accounting(config.workerConcurrency, options.recordTimeline === true);
  }

  run(): SimulationResult {
    const { queuedAt, duration } = this.workload;
    const n = queuedAt.length;
    const config = this.config;
    const d = this.deployment;

    d.startWith(config.initialReplicas ?? config.minReplicaCount, 0);
    // KEDA's loop polls at once when the ScaledObject appears, then every pollingInterval
    // (kedacore/keda `pkg/scaling/scale_handler.go` `startScaleLoop`).
    this.events.push(0, EventKind.kedaPoll, 0, 0);
    this.events.push(config.hpaSyncOffsetSeconds ?? 0, EventKind.hpaSync, 0, 0);
    this.events.push(0, EventKind.sample, 0, 0);
    if (config.trigger === 'external-push' || this.scaler.scaleIn !== null) this.events.push(0, EventKind.scalerTick, 0, 0);

    let totalWork = 0;
    for (let i = 0; i < n; i++) totalWork += duration[i] as number;
    const lastArrival = n > 0 ? (queuedAt[n - 1] as number) : 0;
    // A safety stop for configurations that never drain; unfinished tasks are reported.
    const horizon = lastArrival + totalWork / (config.maxReplicaCount * config.workerConcurrency) + 7 * 86400;

    const events = this.events;
    for (;;) {
      if (this.nextArrival < n) {
        const ta = queuedAt[this.nextArrival] as number;
        const te = events.peekTime();
        if (ta < te || (ta === te && events.peekKind() >= EventKind.requeue)) {
          this.advance(ta);
          const task = this.nextArrival;
          this.nextArrival += 1;
          if (this.served[this.workload.queue[task] as number] === 1) {
            d.enqueue(task, this.now);
            d.dispatch(this.now);
          }
          continue;
        }
      }
      const id = events.pop();
      const t = events.timeOf(id);
      const kind = events.kindOf(id);
      if (t > horizon) break;
      this.advance(t);
      this.handle(kind, events.aOf(id), events.bOf(id), t);
      if (kind >= EventKind.kedaPoll && this.quiescent()) break;
    }
    return this.result();
  }

  private handle(kind: number, a: number, b: number, t: number): void {
    const { config, deployment: d, events } = this;
    switch (kind) {
      case EventKind.complete:
        d.complete(a, b, t);
        break;
      case EventKind.podReady:
        d.podReady(a, t);
        break;
      case EventKind.requeue:
        d.requeue(a, t);
        break;
      case EventKind.graceExpired:
        d.graceExpired(a, t);
        break;
      case EventKind.scalerTick:
        this.scalerTick();
        events.push(t + config.scalerTickSeconds, EventKind.scalerTick, 0, 0);
        break;
      case EventKind.kedaPoll:
        this.kedaPoll();
        events.push(t + config.pollingInterval, EventKind.kedaPoll, 0, 0);
        break;
      case EventKind.hpaSync:
        this.hpaSync();
        events.push(t + config.hpaSyncPeriodSeconds, EventKind.hpaSync, 0, 0);
        break;
      case EventKind.sample:
        this.accounting.sample(t, d, () => this.scaler.metricFor(this.scaler.decide().desired));
        events.push(t + config.sampleSeconds, EventKind.sample, 0, 0);
        break;
    }
  }

  /** Nothing left to happen: all work done, and the Deployment at rest at its floor. */
  private quiescent(): boolean {
    const d = this.deployment;
    return (
      this.nextArrival >= this.workload.queuedAt.length &&
      d.waiting.length === 0 &&
      d.running === 0 &&
      d.pendingRequeues === 0 &&
      d.nStarting === 0 &&
      d.nTerminating === 0 &&
      d.specReplicas === this.config.minReplicaCount
    );
  }

  private advance(t: number): void {
    const dt = t - this.now;
    if (dt <= 0) return;
    this.accounting.integrate(dt, this.deployment);
    this.now = t;
  }

  /** The simulated instant in whole milliseconds, the unit of core's KEDA and HPA model. */
  private nowMs(): number {
    return Math.round(this.now * 1000);
  }

  /** Sets the Deployment's spec.replicas; the ReplicaSet creates or removes pods at once. */
  private apply(change: ScaleDecision | null): void {
    if (change === null || change.replicas === this.deployment.specReplicas) return;
    this.log?.scale.push({ time: this.now, from: this.deployment.specReplicas, to: change.replicas, cause: change.cause });
    this.scaleEvents += 1;
    this.scaleEventsByCause[change.cause] += 1;
    this.deployment.scaleTo(change.replicas, this.now);
  }

  /** One operator poll: core's `decide()` answers IsActive and GetMetrics, core's KEDA acts. */
  private kedaPoll(): void {
    const decision = this.scaler.decide();
    this.lastPolledDesired = this.scaler.metricFor(decision.desired);
    this.log?.polls.push({ time: this.now, active: decision.active, desired: this.lastPolledDesired });
    this.apply(this.keda.poll(this.nowMs(), this.deployment.specReplicas, { active: decision.active }));
  }

  /**
   * One tick of the scaler's own loop. `external-push`: StreamIsActive sends `true` on an
   * inactive → active edge and KEDA ≥ 2.18 applies it at once. `rank`/`drain`: it plans the
   * scale-in for this tick's snapshot.
   */
  private scalerTick(): void {
    const decision = this.scaler.decide();
    if (this.config.trigger === 'external-push' && this.scaler.pushEdge(decision.active)) {
      this.log?.pushes.push(this.now);
      this.apply(this.keda.push(this.nowMs(), this.deployment.specReplicas));
    }
    this.scaler.planScaleIn(decision.desired, this.now);
  }

  /** One HPA reconcile; the metric is our GetMetrics answer, fresh or from KEDA's cache. */
  private hpaSync(): void {
    const d = this.deployment;
    this.apply(
      this.keda.hpaSync(this.nowMs(), d.specReplicas, d.nStarting + d.nReady, () =>
        this.config.useCachedMetrics ? this.lastPolledDesired : this.scaler.metricFor(this.scaler.decide().desired),
      ),
    );
    this.log?.hpaSyncs.push({ time: this.now, replicas: d.specReplicas });
  }

  private result(): SimulationResult {
    const { accounting: a, deployment: d } = this;
    const metrics = summarize({
      waits: d.waits.view(),
      tasks: this.servedTasks,
      completed: d.completed,
      tasksKilled: d.tasksKilled,
      drains: this.scaler.scaleIn?.drains ?? 0,
      restores: this.scaler.scaleIn?.restores ?? 0,
      simulatedSeconds: this.now,
      workerSeconds: a.workerSeconds,
      busySlotSeconds: a.busySlotSeconds,
      concurrency: this.config.workerConcurrency,
      peakWorkers: d.peakWorkers,
      scaleEvents: this.scaleEvents,
      scaleEventsByCause: { ...this.scaleEventsByCause },
      underAccuracy: a.underAccuracy,
      overAccuracy: a.overAccuracy,
      underSeconds: a.underSeconds,
      overSeconds: a.overSeconds,
      unstableIntervals: a.unstableIntervals,
      sampleIntervals: a.sampleIntervals,
    });
    return { config: this.config, metrics, timeline: this.accounting.finishTimeline(), log: this.log };
  }
}
