import { DEFAULT_DOWNSCALE_STABILIZATION_SECONDS } from '../../core/hpa-behavior.js';
import type { ScaleCause, ScaleDecision } from '../../core/keda-operator.js';
import { KedaScaledObject, kedaSettings } from '../../core/keda-operator.js';
import { Accounting } from './accounting.js';
import type { SimConfig } from './config.js';
import { WorkerDeployment } from './deployment.js';
import { EventQueue } from './event-queue.js';
import { summarize } from './metrics.js';
import { NodePool } from './nodes.js';
import { Stream, createRng } from './random.js';
import type { RunOptions, SimLog, SimulationResult } from './run-types.js';
import { EventKind } from './run-types.js';
import { SimulatedScaler } from './scaler.js';
import { TimelineRecorder } from './timeline-recorder.js';
import { MAX_CONCURRENCY } from './worker-pod.js';
import type { Workload } from './workload.js';

/*
 * A discrete-event simulation, in virtual seconds, of one Celery worker Deployment scaled by KEDA
 * and the HPA from this scaler's metric. KEDA and the HPA are core's model (`KedaScaledObject`),
 * every scaler answer is core's `decide()` and the scale-in core's ledger; this folder models what
 * happens around them: tasks, pods, nodes, the ReplicaSet, and when each control loop runs.
 *
 * The control loops (KEDA's poll, the HPA's sync, the scaler's tick) keep their instants in whole
 * milliseconds, each a fixed phase plus a whole number of periods, so the times core's KEDA and
 * HPA compare are exact. Each loop's phase is drawn uniformly from the seed, as a cluster's loops
 * run wherever their process started them.
 */

/** Converts seconds to whole milliseconds (the unit of core's KEDA and HPA). */
function ms(seconds: number): number {
  return Math.round(seconds * 1000);
}

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
  /** When spec.replicas last changed, and since when no work is left (NaN while some is). */
  private lastScaleAt = 0;
  private idleSince = Number.NaN;
  private readonly restSeconds: number;
  /** gRPC calls KEDA made to the scaler: GetMetrics + IsActive per poll and per HPA read. */
  private kedaCalls = 0;
  private readonly pollPeriodMs: number;
  private readonly hpaPeriodMs: number;
  private readonly tickPeriodMs: number;
  private nextPollMs: number;
  private nextHpaMs: number;
  private nextTickMs: number;
  private readonly nodes: NodePool | null;
  private readonly timeline: TimelineRecorder | null;
  private readonly scaleEventsByCause: Record<ScaleCause, number> = { 'keda-activation': 0, 'keda-cooldown': 0, 'keda-min': 0, hpa: 0 };

  constructor(
    private readonly workload: Workload,
    config: SimConfig,
    options: RunOptions,
  ) {
    if (config.workerConcurrency > MAX_CONCURRENCY) {
      throw new RangeError(`workerConcurrency ${config.workerConcurrency} exceeds ${MAX_CONCURRENCY}`);
    }
    this.pollPeriodMs = ms(config.pollingInterval);
    this.hpaPeriodMs = ms(config.hpaSyncPeriodSeconds);
    this.tickPeriodMs = ms(config.scalerTickSeconds);
    // One draw per loop, always in this order, so fixing one phase leaves the others as they were.
    const phaseRng = createRng(config.seed, Stream.phase);
    const phase = (fixedSeconds: number | null, periodMs: number): number => {
      const drawn = Math.floor(phaseRng.next() * periodMs);
      return fixedSeconds === null ? drawn : ms(fixedSeconds);
    };
    this.nextPollMs = phase(config.kedaPollOffsetSeconds, this.pollPeriodMs);
    this.nextHpaMs = phase(config.hpaSyncOffsetSeconds, this.hpaPeriodMs);
    this.nextTickMs = phase(config.scalerTickOffsetSeconds, this.tickPeriodMs);
    this.config = {
      ...config,
      kedaPollOffsetSeconds: this.nextPollMs / 1000,
      hpaSyncOffsetSeconds: this.nextHpaMs / 1000,
      scalerTickOffsetSeconds: this.nextTickMs / 1000,
      initialReplicas: config.initialReplicas ?? config.minReplicaCount,
    };
    this.log = options.recordLog === true ? { scale: [], polls: [], pushes: [], hpaSyncs: [], scaleIn: [] } : null;
    this.nodes = config.nodes === null ? null : new NodePool(config.nodes, createRng(config.seed, Stream.nodes));
    this.timeline = options.recordTimeline === true ? new TimelineRecorder() : null;

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
      this.nodes,
      (name) => this.scaler.scaleIn?.forget(name),
      options.recordTimeline === true,
    );
    this.scaler = new SimulatedScaler(this.config, workload, this.deployment, options.planEveryTick === true, this.log?.scaleIn ?? null);
    this.keda = new KedaScaledObject(kedaSettings(config, 0));
    this.accounting = new Accounting(config.workerConcurrency);
    // The longest any loop can still wait before acting on an unchanging answer: KEDA's cooldown,
    // the HPA's scale-down window (legacy: the controller's 300 s) or the longest scale-down
    // policy period, plus one poll and one sync to see it.
    const scaleDown = config.hpaBehavior?.scaleDown;
    this.restSeconds =
      Math.max(
        config.cooldownPeriod,
        scaleDown?.stabilizationWindowSeconds ?? DEFAULT_DOWNSCALE_STABILIZATION_SECONDS,
        ...(scaleDown?.policies ?? []).map((policy) => policy.periodSeconds),
      ) +
      config.pollingInterval +
      config.hpaSyncPeriodSeconds;
  }

  run(): SimulationResult {
    const { queuedAt, duration } = this.workload;
    const n = queuedAt.length;
    const config = this.config;
    const d = this.deployment;

    d.startWith(config.initialReplicas ?? config.minReplicaCount, 0);
    // KEDA's loop polls when the ScaledObject appears, then every pollingInterval (kedacore/keda
    // `pkg/scaling/scale_handler.go` `startScaleLoop`); the ScaledObject is older than the
    // workload, so the first poll of the run falls at the loop's phase.
    this.events.push(this.nextPollMs / 1000, EventKind.kedaPoll, 0, 0);
    this.events.push(this.nextHpaMs / 1000, EventKind.hpaSync, 0, 0);
    this.events.push(0, EventKind.sample, 0, 0);
    if (config.trigger === 'external-push' || this.scaler.scaleIn !== null) this.events.push(this.nextTickMs / 1000, EventKind.scalerTick, 0, 0);
    this.record();

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
            this.record();
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
      this.record();
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
      case EventKind.zombieFound:
        d.zombieFound(a, t);
        break;
      case EventKind.graceExpired:
        d.graceExpired(a, t);
        break;
      case EventKind.scalerTick:
        this.scalerTick();
        this.nextTickMs += this.tickPeriodMs;
        events.push(this.nextTickMs / 1000, EventKind.scalerTick, 0, 0);
        break;
      case EventKind.kedaPoll:
        this.kedaPoll();
        this.nextPollMs += this.pollPeriodMs;
        events.push(this.nextPollMs / 1000, EventKind.kedaPoll, 0, 0);
        break;
      case EventKind.hpaSync:
        this.hpaSync();
        this.nextHpaMs += this.hpaPeriodMs;
        events.push(this.nextHpaMs / 1000, EventKind.hpaSync, 0, 0);
        break;
      case EventKind.sample:
        this.accounting.sample(d);
        events.push(t + config.sampleSeconds, EventKind.sample, 0, 0);
        break;
    }
  }

  /**
   * Nothing left to happen: all work done, no pod coming or going, and the Deployment at its
   * floor, or unchanged for longer than any loop could still wait to act (the HPA holds a count
   * within its tolerance of the metric, e.g. 20 pods when minReplicaCount is 18, for ever).
   */
  private quiescent(): boolean {
    const d = this.deployment;
    const idle =
      this.nextArrival >= this.workload.queuedAt.length &&
      d.waiting.length === 0 &&
      d.running === 0 &&
      d.zombies === 0 &&
      d.pendingRequeues === 0 &&
      d.nStarting === 0 &&
      d.nTerminating === 0;
    if (!idle) {
      this.idleSince = Number.NaN;
      return false;
    }
    if (Number.isNaN(this.idleSince)) this.idleSince = this.now;
    if (d.specReplicas === this.config.minReplicaCount) return true;
    return this.now - Math.max(this.idleSince, this.lastScaleAt) >= this.restSeconds;
  }

  private advance(t: number): void {
    const dt = t - this.now;
    if (dt <= 0) return;
    this.accounting.integrate(dt, this.deployment);
    this.now = t;
  }

  /**
   * The simulated instant in whole milliseconds, the unit of core's KEDA and HPA model. Called
   * only from the control loops, whose instants are whole milliseconds divided by 1000, so the
   * rounding gives back exactly the loop's own count.
   */
  private nowMs(): number {
    return ms(this.now);
  }

  /** The report's timeline: the state after this event, when it is recorded. */
  private record(): void {
    this.timeline?.record(this.now, this.deployment, this.scaler.metricFor(this.scaler.decide(this.now).desired));
  }

  /** Sets the Deployment's spec.replicas; the ReplicaSet creates or removes pods at once. */
  private apply(change: ScaleDecision | null): void {
    if (change === null || change.replicas === this.deployment.specReplicas) return;
    this.log?.scale.push({ time: this.now, from: this.deployment.specReplicas, to: change.replicas, cause: change.cause });
    this.scaleEvents += 1;
    this.scaleEventsByCause[change.cause] += 1;
    this.lastScaleAt = this.now;
    this.deployment.scaleTo(change.replicas, this.now);
  }

  /** One operator poll: core's `decide()` answers IsActive and GetMetrics, core's KEDA acts. */
  private kedaPoll(): void {
    // KEDA's external scaler answers a poll with GetMetrics, then IsActive (kedacore/keda
    // `pkg/scalers/external_scaler.go` `GetMetricsAndActivity`).
    this.kedaCalls += 2;
    const decision = this.scaler.decide(this.now);
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
    const decision = this.scaler.decide(this.now);
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
      this.keda.hpaSync(this.nowMs(), d.specReplicas, d.nStarting + d.nReady, () => {
        if (this.config.useCachedMetrics) return this.lastPolledDesired;
        // Through KEDA's metrics adapter, which asks the scaler the same two calls as a poll.
        this.kedaCalls += 2;
        return this.scaler.metricFor(this.scaler.decide(this.now).desired);
      }),
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
      tasksFailed: d.tasksFailed,
      kedaCalls: this.kedaCalls,
      nodesProvisioned: this.nodes?.nodesCreated ?? 0,
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
    const waitQueuedAt = d.waitQueuedAt;
    return {
      config: this.config,
      metrics,
      timeline: this.timeline?.finish() ?? null,
      taskWaits: waitQueuedAt === null ? null : { queuedAt: waitQueuedAt.view().slice(), wait: d.waits.view().slice() },
      log: this.log,
    };
  }
}
