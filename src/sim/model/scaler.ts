import type { WorkerSetSpec } from '../../core/metadata.js';
import { DEFAULT_WORKER_POD_SELECTOR } from '../../core/scale-in-spec.js';
import { compareVictimOrder, victimChoiceStands } from '../../core/scale-in-plan.js';
import type { ScalingDecision } from '../../core/scaling.js';
import { decide, shouldPush } from '../../core/scaling.js';
import type { SimConfig } from './config.js';
import type { WorkerDeployment } from './deployment.js';
import type { ScaleInLogEntry } from './run-types.js';
import { SimulatedScaleIn } from './scale-in.js';
import { ScheduleForecast } from './schedule-forecast.js';
import type { PodCandidate, SimPod } from './worker-pod.js';
import type { Workload } from './workload.js';

/**
 * The scaler as the simulated KEDA sees it: every answer comes from core's `decide()` (the
 * function the gRPC service answers with), the push edge from core's `shouldPush`, and with
 * `rank` or `drain` the scale-in plan from core's ledger and planner (`SimulatedScaleIn`), and
 * with `prewarm: schedule` the forecast from core's `forecastTasks` (`ScheduleForecast`). This
 * class only applies the plan to the simulated pods.
 */
export class SimulatedScaler {
  readonly spec: WorkerSetSpec;
  readonly scaleIn: SimulatedScaleIn | null;
  /** Null without `prewarm: schedule`, or when the workload knows no runs (nothing to forecast). */
  readonly forecast: ScheduleForecast | null;
  private pushedActive = false;
  /** With rank/drain: the count the last scaler tick reported (core's publication). */
  private reported = 0;
  private plannedDesired = -1;
  private readonly victims = new Set<string>();
  private readonly busyVictims = new Set<string>();
  /** The active pods' candidates in core's victim order as of the last plan: nearly sorted for the next. */
  private planOrder: PodCandidate[] = [];
  private readonly running = new Map<string, number>();

  constructor(
    config: SimConfig,
    workload: Workload,
    private readonly deployment: WorkerDeployment,
    /** Testing: run core's planner on every tick instead of only when its answer can change. */
    private readonly planEveryTick: boolean,
    private readonly log: ScaleInLogEntry[] | null,
  ) {
    const prewarm = { mode: config.prewarm, leadMs: config.prewarmLeadSeconds * 1000, historyRuns: config.prewarmHistoryRuns };
    this.spec = {
      metastore: 'default',
      queues: config.queues ?? workload.queueNames,
      executorFilter: null,
      workerConcurrency: config.workerConcurrency,
      minReplicaCount: config.minReplicaCount,
      maxReplicaCount: config.maxReplicaCount,
      activationThreshold: config.activationThreshold,
      scaleIn: { policy: config.scaleInPolicy, podSelector: DEFAULT_WORKER_POD_SELECTOR },
      prewarm,
    };
    this.scaleIn = config.scaleInPolicy === 'off' ? null : new SimulatedScaleIn(config.scaleInPolicy === 'drain');
    this.forecast = prewarm.mode === 'off' || workload.runs === null ? null : new ScheduleForecast(workload, workload.runs, prewarm, this.spec.queues);
  }

  /** The scaler's answer at `now` (seconds): the metastore's counts as of now, and the forecast. */
  decide(now: number): ScalingDecision {
    // Tasks of killed workers are still `running` in the metastore, so the scaler counts them.
    const forecast = this.forecast === null ? 0 : this.forecast.at(now).tasks;
    return decide({ queued: this.deployment.waiting.length, running: this.deployment.scalerRunning, forecast }, this.spec);
  }

  /** What GetMetrics answers: the plain formula, or with rank/drain the last tick's reported count. */
  metricFor(desired: number): number {
    return this.scaleIn === null ? desired : this.reported;
  }

  /** external-push: whether this tick sends StreamIsActive `true` (an inactive → active edge). */
  pushEdge(active: boolean): boolean {
    const push = shouldPush(this.pushedActive, active);
    this.pushedActive = active;
    return push;
  }

  /**
   * The scale-in plan for this tick's snapshot (taken at `now`): core's planner on the active
   * pods (starting ones are Pending and not ready), then what the scaler does with it: patch
   * pod-deletion-cost, cancel_consumer the new victims, add_consumer the restored ones, and
   * report the published count until the next tick.
   */
  planScaleIn(desired: number, now: number): void {
    const scaleIn = this.scaleIn;
    if (scaleIn === null) return;
    const d = this.deployment;
    // No surplus, nothing draining, no annotation: the plan is empty and reports `desired`.
    if (d.nStarting + d.nReady <= desired && scaleIn.drainingCount === 0 && d.costedPods === 0) {
      this.reported = desired;
      this.plannedDesired = -1;
      return;
    }
    const samePlan = !this.planEveryTick && desired === this.plannedDesired && !d.scaleInStateChanged;
    if (samePlan && !d.loadsChanged) return;
    const candidates = this.candidates(scaleIn);
    if (samePlan && victimChoiceStands(candidates, this.victims, this.busyVictims, this.spec.scaleIn.policy === 'drain')) return;

    sortNearlySorted(candidates);
    this.running.clear();
    for (const pod of d.activePods) if (pod.busy > 0) this.running.set(pod.name, pod.busy);
    const tick = scaleIn.tick(Math.round(now * 1000), desired, candidates.map((candidate) => candidate.pod), this.running);
    // What this tick changes (costs, drains, confirmations) is the next tick's input.
    d.scaleInStateChanged = tick.confirmed > 0;
    d.loadsChanged = false;
    this.plannedDesired = desired;
    for (const pod of d.activePods) d.setDeletionCost(pod, tick.costs.get(pod.name) ?? null);
    this.victims.clear();
    this.busyVictims.clear();
    for (const name of tick.victims) {
      this.victims.add(name);
      if (d.podNamed(name).busy > 0) this.busyVictims.add(name);
    }
    // Applied in creation order, whatever order the plan lists them in.
    for (const pod of this.podsNamed(tick.drained)) {
      this.log?.push({ time: now, action: 'drain', pod: pod.name });
      d.stopConsuming(pod);
    }
    for (const pod of this.podsNamed(tick.restored)) {
      this.log?.push({ time: now, action: 'restore', pod: pod.name });
      d.resumeConsuming(pod);
    }
    if (tick.restored.length > 0) d.dispatch(now);
    this.reported = tick.reported;
  }

  /** Every active pod's candidate, refreshed in place, in the order of the last plan. */
  private candidates(scaleIn: SimulatedScaleIn): PodCandidate[] {
    const d = this.deployment;
    if (d.podSetChanged) {
      this.planOrder = d.activePods.map((pod) => pod.candidate);
      d.podSetChanged = false;
    }
    const anyDraining = scaleIn.drainingCount > 0;
    for (const candidate of this.planOrder) {
      const pod = candidate.owner;
      candidate.pod = pod.asWorkerPod();
      candidate.load = pod.busy;
      candidate.draining = anyDraining && scaleIn.isDraining(pod.name);
    }
    return this.planOrder;
  }

  /** The pods a plan names, in creation order. */
  private podsNamed(names: readonly string[]): SimPod[] {
    if (names.length === 0) return [];
    return names.map((name) => this.deployment.podNamed(name)).sort((p, q) => p.id - q.id);
  }
}

/**
 * Insertion sort by core's victim order: linear when only a few pods' loads changed since the
 * last plan. Only speed depends on it: the order is total, so core's own sort of the handed-over
 * list gives the same victims whatever order it receives.
 */
function sortNearlySorted(candidates: PodCandidate[]): void {
  for (let i = 1; i < candidates.length; i++) {
    const candidate = candidates[i] as PodCandidate;
    let j = i - 1;
    while (j >= 0 && compareVictimOrder(candidates[j] as PodCandidate, candidate) > 0) {
      candidates[j + 1] = candidates[j] as PodCandidate;
      j -= 1;
    }
    candidates[j + 1] = candidate;
  }
}
