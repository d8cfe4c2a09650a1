import type { WorkerSetSpec } from '../core/metadata.js';
import type { WorkerPod } from '../core/ports.js';
import type { ScaleCause, ScaleDecision } from '../core/keda-operator.js';
import { KedaScaledObject } from '../core/keda-operator.js';
import { decide, shouldPush } from '../core/scaling.js';
import { DEFAULT_WORKER_POD_SELECTOR } from '../core/scale-in-spec.js';
import { modelledPod, podsToDelete } from '../core/replica-set-ranking.js';
import { compareVictimOrder } from '../core/scale-in-plan.js';
import type { VictimCandidate } from '../core/scale-in-plan.js';
import type { SimConfig } from './config.js';
import { sample } from './distribution.js';
import { SimulatedScaleIn } from './scale-in.js';
import { EventQueue, FloatList, IntFifo } from './event-queue.js';
import type { RunMetrics } from './metrics.js';
import { summarize } from './metrics.js';
import type { Rng } from './random.js';
import { Stream, createRng } from './random.js';
import type { Workload } from './workload.js';

/*
 * A discrete-event simulation, in virtual seconds, of one Celery worker Deployment scaled by KEDA
 * and the HPA from this scaler's metric. Every scaling decision (KEDA poll, push tick, HPA metric
 * read) comes from core's `decide()`, the function the gRPC service answers with; this file only
 * models what happens around it. Rules cite ../shared/notes/keda.md (§3 = operator and HPA).
 */

// Event kinds, in the order they are handled when they fall on the same instant: work finishing
// and pods becoming ready first, then new work, then the control loops observing the result.
const COMPLETE = 0;
const POD_READY = 1;
const REQUEUE = 2;
const GRACE_EXPIRED = 3;
const SCALER_TICK = 4;
const KEDA_POLL = 5;
const HPA_SYNC = 6;
const SAMPLE = 7;

const STARTING = 0;
const READY = 1;
const TERMINATING = 2;
const GONE = 3;

const MAX_CONCURRENCY = 1024;
const POD_NAME_PREFIX = 'worker-';

class Pod {
  state = STARTING;
  readyAt = -1;
  busy = 0;
  /** Told to stop consuming (Celery cancel_consumer, policy `drain`): ready, but takes no task. */
  draining = false;
  /** The pod-deletion-cost annotation the scaler applied (policy `drain`); null = none. */
  deletionCost: number | null = null;
  /** The pod as the scale-in planner sees it; null when its state or cost changed since. */
  view: WorkerPod | null = null;
  /** A victim of the last scale-in plan, and whether it was running tasks then. */
  victim = false;
  victimWasBusy = false;
  readonly name: string;
  readonly slots: Int32Array;
  /** 1 while the slot's id is in the free-slot FIFO (a draining pod's entries stay there). */
  readonly offered: Uint8Array;

  constructor(
    readonly id: number,
    readonly uid: number,
    readonly createdAt: number,
    concurrency: number,
  ) {
    this.name = `${POD_NAME_PREFIX}${id}`;
    this.slots = new Int32Array(concurrency).fill(-1);
    this.offered = new Uint8Array(concurrency);
  }
}

export type { ScaleCause } from '../core/keda-operator.js';

export interface ScaleLogEntry {
  readonly time: number;
  readonly from: number;
  readonly to: number;
  readonly cause: ScaleCause;
}

export interface PollLogEntry {
  readonly time: number;
  readonly active: boolean;
  readonly desired: number;
}

export interface ScaleInLogEntry {
  readonly time: number;
  /** `drain`: cancel_consumer sent; `restore`: add_consumer sent (policy `drain`). */
  readonly action: 'drain' | 'restore';
  readonly pod: string;
}

export interface SimLog {
  readonly scale: ScaleLogEntry[];
  /** `desired` is the metric KEDA received: the plain formula, or with `drain` the reported count. */
  readonly polls: PollLogEntry[];
  readonly pushes: number[];
  readonly hpaSyncs: { readonly time: number; readonly replicas: number }[];
  readonly scaleIn: ScaleInLogEntry[];
}

/** Sampled every `sampleSeconds`: what the report's timelines draw. */
export interface Timeline {
  readonly time: Float64Array;
  readonly queued: Float64Array;
  readonly running: Float64Array;
  /** Ready worker pods (serving tasks). */
  readonly workers: Float64Array;
  /** The Deployment's spec.replicas. */
  readonly replicas: Float64Array;
  /** What the scaler would answer now: decide().desired, or with `drain` the reported count. */
  readonly desired: Float64Array;
}

export interface RunOptions {
  readonly recordTimeline?: boolean;
  readonly recordLog?: boolean;
  /**
   * Policy `drain`: call core's planner on every scaler tick, even when nothing it reads could
   * change its answer. Slower, same result; tests compare the two.
   */
  readonly planEveryTick?: boolean;
}

export interface SimulationResult {
  /** The configuration as run, with the HPA phase resolved. */
  readonly config: SimConfig;
  readonly metrics: RunMetrics;
  readonly timeline: Timeline | null;
  readonly log: SimLog | null;
}

/** Runs one configuration over one workload. Pure: the same inputs give the same result. */
export function runSimulation(workload: Workload, config: SimConfig, options: RunOptions = {}): SimulationResult {
  return new Simulation(workload, config, options).run();
}

class Simulation {
  private readonly conc: number;
  private readonly spec: WorkerSetSpec;
  private readonly served: Uint8Array;
  private readonly events = new EventQueue(4096);
  private readonly waiting = new IntFifo(4096);
  private readonly freeSlotFifo = new IntFifo(1024);
  private readonly pods: Pod[] = [];
  /** Pods not terminating (starting or ready), in creation order. */
  private activePods: Pod[] = [];
  /** KEDA's operator and the HPA it made, as core models them. */
  private readonly keda: KedaScaledObject;
  /** The scaler's drain state (policy `drain`), null for the other policies. */
  private readonly drain: SimulatedScaleIn | null;
  private readonly podRng: Rng;
  private readonly uidRng: Rng;
  private readonly config: SimConfig;

  private readonly taskGen: Int32Array;
  private readonly taskSlot: Int32Array;
  private readonly enqueuedAt: Float64Array;
  private readonly waits: FloatList;

  private now = 0;
  private nextArrival = 0;
  private specReplicas = 0;
  private nStarting = 0;
  private nReady = 0;
  private nTerminating = 0;
  private running = 0;
  private freeSlots = 0;
  private pendingRequeues = 0;
  private lastPolledDesired = 0;
  private pushedActive = false;
  /** With `drain`: the count the last scaler tick reported (core `reportedReplicas`). */
  private reported = 0;
  /** Active pods carrying a pod-deletion-cost: while any do, every tick must plan. */
  private costedPods = 0;
  /**
   * What the scale-in plan reads, apart from running tasks per pod, changed since the last plan:
   * a pod came, went, became ready, or its cost or drain state changed.
   */
  private scaleInStateChanged = true;
  /** A task started or finished since the last plan. */
  private loadsChanged = true;
  private plannedDesired = -1;
  /** Testing: run core's planner on every tick instead of only when its answer can change. */
  private readonly planEveryTick: boolean;
  /**
   * The active pods in the order core's planner sorts them into (not ready first, then idle,
   * then draining, then fewest tasks, then name), kept nearly sorted between plans: handed over in that order,
   * its sort runs in linear time. Only speed depends on this order, not the plan.
   */
  private planOrder: Pod[] = [];
  private planOrderStale = true;
  private readonly runningByPod = new Map<string, number>();

  // Accumulators (integrals over time and counters).
  private workerSeconds = 0;
  private busySlotSeconds = 0;
  private underAccuracy = 0;
  private overAccuracy = 0;
  private underSeconds = 0;
  private overSeconds = 0;
  private peakWorkers = 0;
  private tasksKilled = 0;
  private completed = 0;
  private servedTasks = 0;
  private scaleEvents = 0;
  private readonly scaleEventsByCause: Record<ScaleCause, number> = {
    'keda-activation': 0,
    'keda-cooldown': 0,
    'keda-min': 0,
    hpa: 0,
  };
  private unstableIntervals = 0;
  private sampleIntervals = 0;
  private lastSampleDemand = -1;
  private lastSampleSupply = -1;

  private readonly timeline: Record<keyof Timeline, FloatList> | null;
  private readonly log: SimLog | null;

  constructor(
    private readonly workload: Workload,
    config: SimConfig,
    options: RunOptions,
  ) {
    if (config.workerConcurrency > MAX_CONCURRENCY) {
      throw new RangeError(`workerConcurrency ${config.workerConcurrency} exceeds ${MAX_CONCURRENCY}`);
    }
    const phaseRng = createRng(config.seed, Stream.phase);
    const hpaOffset =
      config.hpaSyncOffsetSeconds ?? Math.round(phaseRng.next() * config.hpaSyncPeriodSeconds * 1000) / 1000;
    this.config = { ...config, hpaSyncOffsetSeconds: hpaOffset, initialReplicas: config.initialReplicas ?? config.minReplicaCount };
    this.conc = config.workerConcurrency;
    this.spec = {
      metastore: 'default',
      queues: config.queues ?? workload.queueNames,
      executorFilter: null,
      workerConcurrency: config.workerConcurrency,
      minReplicaCount: config.minReplicaCount,
      maxReplicaCount: config.maxReplicaCount,
      activationThreshold: config.activationThreshold,
      scaleIn: {
        policy: config.scaleInPolicy === 'drain' ? 'drain' : config.scaleInPolicy === 'idle-first' ? 'rank' : 'off',
        podSelector: DEFAULT_WORKER_POD_SELECTOR,
      },
    };
    this.drain = config.scaleInPolicy === 'drain' ? new SimulatedScaleIn(true) : null;
    this.planEveryTick = options.planEveryTick === true;
    this.served = new Uint8Array(workload.queueNames.length);
    const servedNames = new Set(this.spec.queues);
    workload.queueNames.forEach((name, i) => {
      this.served[i] = servedNames.has(name) ? 1 : 0;
    });
    const n = workload.queuedAt.length;
    for (let i = 0; i < n; i++) this.servedTasks += this.served[workload.queue[i] as number] as number;
    this.taskGen = new Int32Array(n);
    this.taskSlot = new Int32Array(n).fill(-1);
    this.enqueuedAt = new Float64Array(n);
    this.waits = new FloatList(Math.max(1024, this.servedTasks));
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
    this.podRng = createRng(config.seed, Stream.pods);
    this.uidRng = createRng(config.seed, Stream.scaleIn);
    this.timeline = options.recordTimeline
      ? {
          time: new FloatList(),
          queued: new FloatList(),
          running: new FloatList(),
          workers: new FloatList(),
          replicas: new FloatList(),
          desired: new FloatList(),
        }
      : null;
    this.log = options.recordLog ? { scale: [], polls: [], pushes: [], hpaSyncs: [], scaleIn: [] } : null;
  }

  run(): SimulationResult {
    const { queuedAt, duration } = this.workload;
    const n = queuedAt.length;
    const config = this.config;

    // Pods already running when the run starts are ready at once.
    const initial = config.initialReplicas ?? config.minReplicaCount;
    this.specReplicas = initial;
    for (let i = 0; i < initial; i++) this.makeReady(this.createPod());

    // KEDA's loop polls at once, then every pollingInterval (keda.md §3.1).
    this.events.push(0, KEDA_POLL, 0, 0);
    this.events.push(config.hpaSyncOffsetSeconds ?? 0, HPA_SYNC, 0, 0);
    this.events.push(0, SAMPLE, 0, 0);
    if (config.trigger === 'external-push' || this.drain !== null) this.events.push(0, SCALER_TICK, 0, 0);

    let totalWork = 0;
    for (let i = 0; i < n; i++) totalWork += duration[i] as number;
    const lastArrival = n > 0 ? (queuedAt[n - 1] as number) : 0;
    // A safety stop for configurations that never drain; unfinished tasks are reported.
    const horizon = lastArrival + totalWork / (config.maxReplicaCount * this.conc) + 7 * 86400;

    const events = this.events;
    for (;;) {
      if (this.nextArrival < n) {
        const ta = queuedAt[this.nextArrival] as number;
        const te = events.peekTime();
        if (ta < te || (ta === te && events.peekKind() >= REQUEUE)) {
          this.advance(ta);
          const task = this.nextArrival;
          this.nextArrival += 1;
          if (this.served[this.workload.queue[task] as number] === 1) {
            this.enqueue(task);
            this.dispatch();
          }
          continue;
        }
      }
      const id = events.pop();
      const t = events.timeOf(id);
      const kind = events.kindOf(id);
      const a = events.aOf(id);
      const b = events.bOf(id);
      if (t > horizon) break;
      this.advance(t);
      switch (kind) {
        case COMPLETE:
          this.complete(a, b);
          break;
        case POD_READY:
          this.podReady(a);
          break;
        case REQUEUE:
          this.pendingRequeues -= 1;
          this.enqueue(a);
          this.dispatch();
          break;
        case GRACE_EXPIRED:
          this.graceExpired(a);
          break;
        case SCALER_TICK:
          this.scalerTick();
          events.push(t + config.scalerTickSeconds, SCALER_TICK, 0, 0);
          break;
        case KEDA_POLL:
          this.kedaPoll();
          events.push(t + config.pollingInterval, KEDA_POLL, 0, 0);
          break;
        case HPA_SYNC:
          this.hpaSync();
          events.push(t + config.hpaSyncPeriodSeconds, HPA_SYNC, 0, 0);
          break;
        case SAMPLE:
          this.sample();
          events.push(t + config.sampleSeconds, SAMPLE, 0, 0);
          break;
      }
      if (kind >= KEDA_POLL && this.quiescent()) break;
    }

    const metrics = summarize({
      waits: this.waits.view(),
      tasks: this.servedTasks,
      completed: this.completed,
      tasksKilled: this.tasksKilled,
      drains: this.drain?.drains ?? 0,
      restores: this.drain?.restores ?? 0,
      simulatedSeconds: this.now,
      workerSeconds: this.workerSeconds,
      busySlotSeconds: this.busySlotSeconds,
      concurrency: this.conc,
      peakWorkers: this.peakWorkers,
      scaleEvents: this.scaleEvents,
      scaleEventsByCause: { ...this.scaleEventsByCause },
      underAccuracy: this.underAccuracy,
      overAccuracy: this.overAccuracy,
      underSeconds: this.underSeconds,
      overSeconds: this.overSeconds,
      unstableIntervals: this.unstableIntervals,
      sampleIntervals: this.sampleIntervals,
    });
    return {
      config: this.config,
      metrics,
      timeline: this.timeline === null ? null : finishTimeline(this.timeline),
      log: this.log,
    };
  }

  /** Nothing left to happen: all work done, and the Deployment at rest at its floor. */
  private quiescent(): boolean {
    return (
      this.nextArrival >= this.workload.queuedAt.length &&
      this.waiting.length === 0 &&
      this.running === 0 &&
      this.pendingRequeues === 0 &&
      this.nStarting === 0 &&
      this.nTerminating === 0 &&
      this.specReplicas === this.config.minReplicaCount
    );
  }

  /** Integrates cost and provisioning over [now, t); state is piecewise constant between events. */
  private advance(t: number): void {
    const dt = t - this.now;
    if (dt <= 0) return;
    this.workerSeconds += (this.nStarting + this.nReady + this.nTerminating) * dt;
    this.busySlotSeconds += this.running * dt;
    // SPEC RG elasticity (Herbst et al.): demand = workers the tasks need now, supply = ready ones.
    const demand = Math.ceil((this.waiting.length + this.running) / this.conc);
    const supply = this.nReady;
    if (demand > supply) {
      this.underAccuracy += ((demand - supply) / demand) * dt;
      this.underSeconds += dt;
    } else if (supply > demand) {
      this.overAccuracy += ((supply - demand) / Math.max(demand, 1)) * dt;
      this.overSeconds += dt;
    }
    this.now = t;
  }

  private counts(): { queued: number; running: number } {
    return { queued: this.waiting.length, running: this.running };
  }

  private enqueue(task: number): void {
    this.enqueuedAt[task] = this.now;
    this.waiting.push(task);
  }

  /** Puts a free slot of a consuming pod at the back of the free-slot FIFO. */
  private offer(pod: Pod, slot: number): void {
    pod.offered[slot] = 1;
    this.freeSlotFifo.push(pod.id * this.conc + slot);
  }

  /** FIFO: the oldest waiting task takes the slot that has been free longest (Redis BRPOP order). */
  private dispatch(): void {
    while (this.waiting.length > 0 && this.freeSlots > 0) {
      const slotId = this.freeSlotFifo.shift();
      const pod = this.pods[(slotId / this.conc) | 0] as Pod;
      const slot = slotId % this.conc;
      pod.offered[slot] = 0;
      // Entries of pods that went away or stopped consuming are dropped here.
      if (pod.state !== READY || pod.draining) continue;
      const task = this.waiting.shift();
      pod.slots[slot] = task;
      pod.busy += 1;
      this.loadsChanged = true;
      this.freeSlots -= 1;
      this.running += 1;
      this.taskSlot[task] = slotId;
      this.waits.push(this.now - (this.enqueuedAt[task] as number));
      this.events.push(this.now + (this.workload.duration[task] as number), COMPLETE, task, this.taskGen[task] as number);
    }
  }

  private complete(task: number, generation: number): void {
    if (this.taskGen[task] !== generation) return; // killed earlier; this attempt never finishes
    const slotId = this.taskSlot[task] as number;
    const pod = this.pods[(slotId / this.conc) | 0] as Pod;
    pod.slots[slotId % this.conc] = -1;
    pod.busy -= 1;
    this.loadsChanged = true;
    this.running -= 1;
    this.completed += 1;
    this.taskSlot[task] = -1;
    if (pod.state === READY && !pod.draining) {
      this.offer(pod, slotId % this.conc);
      this.freeSlots += 1;
      this.dispatch();
    } else if (pod.state === TERMINATING && pod.busy === 0) {
      // Celery's warm shutdown ends once the last running task finishes.
      this.gone(pod);
    }
  }

  private createPod(): Pod {
    const pod = new Pod(this.pods.length, this.uidRng.nextUint32(), this.now, this.conc);
    this.pods.push(pod);
    this.activePods.push(pod);
    this.podSetChanged();
    this.nStarting += 1;
    const alive = this.nStarting + this.nReady + this.nTerminating;
    if (alive > this.peakWorkers) this.peakWorkers = alive;
    return pod;
  }

  private makeReady(pod: Pod): void {
    pod.state = READY;
    pod.view = null;
    this.scaleInStateChanged = true;
    pod.readyAt = this.now;
    this.nStarting -= 1;
    this.nReady += 1;
    for (let s = 0; s < this.conc; s++) this.offer(pod, s);
    this.freeSlots += this.conc;
  }

  private podReady(podId: number): void {
    const pod = this.pods[podId] as Pod;
    if (pod.state !== STARTING) return; // removed while starting
    this.makeReady(pod);
    this.dispatch();
  }

  private gone(pod: Pod): void {
    if (pod.state === TERMINATING) this.nTerminating -= 1;
    pod.state = GONE;
  }

  /** Sets the Deployment's spec.replicas; the ReplicaSet creates or removes pods at once. */
  private setReplicas(replicas: number, cause: ScaleCause): void {
    if (replicas === this.specReplicas) return;
    this.log?.scale.push({ time: this.now, from: this.specReplicas, to: replicas, cause });
    this.scaleEvents += 1;
    this.scaleEventsByCause[cause] += 1;
    this.specReplicas = replicas;
    const active = this.nStarting + this.nReady;
    if (replicas > active) {
      for (let i = active; i < replicas; i++) {
        const pod = this.createPod();
        const startup = Math.max(0, sample(this.config.podStartup, this.podRng));
        if (startup === 0) this.makeReady(pod);
        else this.events.push(this.now + startup, POD_READY, pod.id, 0);
      }
      this.dispatch();
    } else if (replicas < active) {
      for (const victim of this.victims(active - replicas)) this.terminate(victim);
    }
  }

  /**
   * Which pods the ReplicaSet deletes: core's `podsToDelete`, with the pod-deletion-cost each pod
   * carries (with `idle-first` its running tasks, with `drain` what the scaler's plan wrote,
   * otherwise none).
   */
  private victims(count: number): Pod[] {
    const idleFirst = this.config.scaleInPolicy === 'idle-first';
    const ranked = this.activePods.map((pod) => ({
      pod,
      ...modelledPod({
        ready: pod.state === READY,
        deletionCost: idleFirst ? pod.busy : pod.deletionCost,
        readySinceMs: pod.state === READY ? pod.readyAt * 1000 : null,
        createdAtMs: pod.createdAt * 1000,
        uid: pod.uid,
      }),
    }));
    return podsToDelete(ranked, count, this.now * 1000).map((entry) => entry.pod);
  }

  /**
   * SIGTERM to a worker pod. A starting pod just goes. A ready one stops taking tasks (Celery
   * warm shutdown), finishes what it runs and exits; at terminationGracePeriodSeconds the kubelet
   * kills it, and its remaining tasks are lost and retried (keda.md §3.4, §7.6).
   */
  private terminate(pod: Pod): void {
    this.activePods = this.activePods.filter((p) => p !== pod);
    this.podSetChanged();
    this.drain?.forget(pod.name);
    this.setDeletionCost(pod, null);
    if (pod.state === STARTING) {
      this.nStarting -= 1;
      pod.state = GONE;
      return;
    }
    this.nReady -= 1;
    if (!pod.draining) this.freeSlots -= this.conc - pod.busy;
    pod.draining = false;
    pod.state = TERMINATING;
    this.nTerminating += 1;
    if (pod.busy === 0) this.gone(pod);
    else this.events.push(this.now + this.config.terminationGracePeriodSeconds, GRACE_EXPIRED, pod.id, 0);
  }

  private graceExpired(podId: number): void {
    const pod = this.pods[podId] as Pod;
    if (pod.state !== TERMINATING) return;
    for (let s = 0; s < this.conc; s++) {
      const task = pod.slots[s] as number;
      if (task < 0) continue;
      pod.slots[s] = -1;
      this.taskGen[task] = (this.taskGen[task] as number) + 1;
      this.taskSlot[task] = -1;
      this.running -= 1;
      this.tasksKilled += 1;
      if (this.config.retryDelaySeconds > 0) {
        this.pendingRequeues += 1;
        this.events.push(this.now + this.config.retryDelaySeconds, REQUEUE, task, 0);
      } else {
        this.enqueue(task);
      }
    }
    pod.busy = 0;
    this.gone(pod);
    this.dispatch();
  }

  /** The simulated instant in whole milliseconds, the unit of core's KEDA and HPA model. */
  private nowMs(): number {
    return Math.round(this.now * 1000);
  }

  private apply(change: ScaleDecision | null): void {
    if (change !== null) this.setReplicas(change.replicas, change.cause);
  }

  /** One operator poll: core's `decide()` answers IsActive and GetMetrics, core's KEDA acts. */
  private kedaPoll(): void {
    const decision = decide(this.counts(), this.spec);
    this.lastPolledDesired = this.metricFor(decision.desired);
    this.log?.polls.push({ time: this.now, active: decision.active, desired: this.lastPolledDesired });
    this.apply(this.keda.poll(this.nowMs(), this.specReplicas, { active: decision.active }));
  }

  /**
   * One tick of the scaler's own loop. `external-push`: it sends StreamIsActive `true` on an
   * inactive→active edge (core `shouldPush`), and KEDA ≥ 2.18 applies it at once (keda.md §2.7).
   * `drain`: it plans the scale-in for this tick's snapshot.
   */
  private scalerTick(): void {
    const decision = decide(this.counts(), this.spec);
    if (this.config.trigger === 'external-push') {
      if (shouldPush(this.pushedActive, decision.active)) {
        this.log?.pushes.push(this.now);
        this.apply(this.keda.push(this.nowMs(), this.specReplicas));
      }
      this.pushedActive = decision.active;
    }
    if (this.drain !== null) this.planScaleIn(this.drain, decision.desired);
  }

  /**
   * Policy `drain`: core's planner on the active pods (starting ones are Pending and not ready),
   * then what the scaler does with the plan: patch pod-deletion-cost, cancel_consumer the new
   * victims, add_consumer the restored ones, and report `reportedReplicas` until the next tick.
   */
  private planScaleIn(drain: SimulatedScaleIn, desired: number): void {
    const activeCount = this.nStarting + this.nReady;
    // No surplus, nothing draining, no annotation: the plan is empty and reports `desired`.
    if (activeCount <= desired && drain.drainingCount === 0 && this.costedPods === 0) {
      this.reported = desired;
      this.plannedDesired = -1;
      return;
    }
    if (!this.planEveryTick && desired === this.plannedDesired && !this.scaleInStateChanged && this.victimsStand()) return;
    const running = this.runningByPod;
    running.clear();
    for (const pod of this.activePods) if (pod.busy > 0) running.set(pod.name, pod.busy);
    const tick = drain.tick(this.now * 1000, desired, this.viewsInPlanOrder(drain), running);
    // What this tick changes (costs, drains, confirmations) is the next tick's input.
    this.scaleInStateChanged = tick.confirmed > 0;
    this.loadsChanged = false;
    this.plannedDesired = desired;
    for (const pod of this.activePods) {
      pod.victim = false;
      this.setDeletionCost(pod, tick.costs.get(pod.name) ?? null);
    }
    for (const name of tick.victims) {
      const pod = this.podNamed(name);
      pod.victim = true;
      pod.victimWasBusy = pod.busy > 0;
    }
    // Applied in creation order, whatever order the plan lists them in.
    for (const pod of this.podsNamed(tick.drained)) {
      this.log?.scaleIn.push({ time: this.now, action: 'drain', pod: pod.name });
      if (pod.state !== READY || pod.draining) continue;
      pod.draining = true;
      this.freeSlots -= this.conc - pod.busy;
      this.scaleInStateChanged = true;
    }
    const restored = this.podsNamed(tick.restored);
    for (const pod of restored) {
      this.log?.scaleIn.push({ time: this.now, action: 'restore', pod: pod.name });
      if (pod.state !== READY || !pod.draining) continue;
      pod.draining = false;
      for (let s = 0; s < this.conc; s++) {
        if (pod.slots[s] === -1 && pod.offered[s] === 0) this.offer(pod, s);
      }
      this.freeSlots += this.conc - pod.busy;
      this.scaleInStateChanged = true;
    }
    if (restored.length > 0) this.dispatch();
    this.reported = tick.reported;
  }

  /** The active pods as `WorkerPod`s, in the order core's planner sorts them into. */
  private viewsInPlanOrder(drain: SimulatedScaleIn): WorkerPod[] {
    if (this.planOrderStale) {
      this.planOrder = this.activePods.slice();
      this.planOrderStale = false;
    }
    const candidates: (VictimCandidate & { readonly simPod: Pod })[] = this.planOrder.map((pod) => ({
      simPod: pod,
      pod: this.viewOf(pod),
      load: pod.busy,
      draining: drain.isDraining(pod.name),
    }));
    // Insertion sort by core's own victim order: linear when only a few pods' loads changed since
    // the last plan. Only speed depends on this order: the order is total, so core's sort of the
    // handed-over list gives the same victims whatever order it receives.
    for (let i = 1; i < candidates.length; i++) {
      const candidate = candidates[i] as VictimCandidate & { readonly simPod: Pod };
      let j = i - 1;
      while (j >= 0 && compareVictimOrder(candidates[j] as VictimCandidate, candidate) > 0) {
        candidates[j + 1] = candidates[j] as VictimCandidate & { readonly simPod: Pod };
        j -= 1;
      }
      candidates[j + 1] = candidate;
    }
    this.planOrder = candidates.map((candidate) => candidate.simPod);
    return candidates.map((candidate) => candidate.pod);
  }

  private viewOf(pod: Pod): WorkerPod {
    if (pod.view === null) {
      const ready = pod.state === READY;
      pod.view = {
        name: pod.name,
        phase: ready ? 'Running' : 'Pending',
        scheduled: true,
        ready,
        terminating: false,
        deletionCost: pod.deletionCost,
        ownerKind: 'ReplicaSet',
      };
    }
    return pod.view;
  }

  private podSetChanged(): void {
    this.planOrderStale = true;
    this.scaleInStateChanged = true;
  }

  /**
   * Whether the last plan still holds after tasks started or finished, everything else being
   * equal (same desired count, pods, costs and drains). Core chooses victims not ready first,
   * then idle before busy, then those already draining, then by fewest running tasks; after a
   * plan every ready victim is draining and no kept pod is. So while no ready victim turned idle
   * or busy (idle makes it removable), and no kept pod is idle while a victim is busy, the plan
   * picks the same victims with the same costs and reports the same count. Starting pods run
   * nothing, so their order cannot change. Tests check this against `planEveryTick`.
   */
  private victimsStand(): boolean {
    if (!this.loadsChanged) return true;
    let busyVictim = false;
    let idleKept = false;
    for (const pod of this.activePods) {
      if (pod.state !== READY) continue;
      if (pod.victim) {
        if (pod.busy > 0 !== pod.victimWasBusy) return false;
        busyVictim ||= pod.busy > 0;
      } else {
        idleKept ||= pod.busy === 0;
      }
    }
    return !(busyVictim && idleKept);
  }

  private podNamed(name: string): Pod {
    const pod = this.pods[Number(name.slice(POD_NAME_PREFIX.length))];
    if (pod?.name !== name) throw new Error(`no simulated pod named ${name}`);
    return pod;
  }

  /** The pods a plan names, in creation order. */
  private podsNamed(names: readonly string[]): Pod[] {
    if (names.length === 0) return [];
    return names.map((name) => this.podNamed(name)).sort((p, q) => p.id - q.id);
  }

  private setDeletionCost(pod: Pod, cost: number | null): void {
    if (pod.deletionCost === cost) return;
    if ((pod.deletionCost === null) !== (cost === null)) this.costedPods += cost === null ? -1 : 1;
    pod.deletionCost = cost;
    pod.view = null;
    this.scaleInStateChanged = true;
  }

  /** What GetMetrics answers: the plain formula, or with `drain` the last tick's reported count. */
  private metricFor(desired: number): number {
    return this.drain === null ? desired : this.reported;
  }

  /** One HPA reconcile; the metric is our GetMetrics answer, fresh or from KEDA's cache. */
  private hpaSync(): void {
    const status = this.nStarting + this.nReady;
    this.apply(
      this.keda.hpaSync(this.nowMs(), this.specReplicas, status, () =>
        this.config.useCachedMetrics ? this.lastPolledDesired : this.metricFor(decide(this.counts(), this.spec).desired),
      ),
    );
    this.log?.hpaSyncs.push({ time: this.now, replicas: this.specReplicas });
  }

  private sample(): void {
    const demand = Math.ceil((this.waiting.length + this.running) / this.conc);
    const supply = this.nReady;
    if (this.lastSampleDemand >= 0) {
      // SPEC instability k: the share of intervals in which supply and demand do not move together.
      const ds = Math.sign(supply - this.lastSampleSupply);
      const dd = Math.sign(demand - this.lastSampleDemand);
      if (ds !== dd) this.unstableIntervals += 1;
      this.sampleIntervals += 1;
    }
    this.lastSampleDemand = demand;
    this.lastSampleSupply = supply;
    const tl = this.timeline;
    if (tl !== null) {
      tl.time.push(this.now);
      tl.queued.push(this.waiting.length);
      tl.running.push(this.running);
      tl.workers.push(this.nReady);
      tl.replicas.push(this.specReplicas);
      tl.desired.push(this.metricFor(decide(this.counts(), this.spec).desired));
    }
  }
}

function finishTimeline(lists: Record<keyof Timeline, FloatList>): Timeline {
  return {
    time: lists.time.view().slice(),
    queued: lists.queued.view().slice(),
    running: lists.running.view().slice(),
    workers: lists.workers.view().slice(),
    replicas: lists.replicas.view().slice(),
    desired: lists.desired.view().slice(),
  };
}
