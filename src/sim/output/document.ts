import type { Decision } from '../decision.js';
import type { ConfigEstimate } from '../estimates.js';
import type { SimConfig } from '../model/config.js';
import type { RunMetrics } from '../model/metrics.js';
import type { Estimate } from '../model/statistics.js';
import type { Workload } from '../model/workload.js';
import type { SweepAxis } from '../sweep-dimensions.js';
import { round } from '../model/metrics.js';
import { roundEstimate } from './format.js';
import type { ScaledObjectSettings } from './scaled-object.js';
import { scaledObjectSettings, scaledObjectYaml } from './scaled-object.js';

/** What would lift p95 wait, tried on the nearest configuration when none meets the SLO. */
export interface Limit {
  /** What the change removes: pod startup, maxReplicaCount, the HPA's ramp, or polling. */
  readonly limit: 'pod startup' | 'maxReplicaCount' | "the HPA's ramp" | 'polling' | 'killed tasks';
  /** The change, in plain words. */
  readonly change: string;
  readonly p95WaitSeconds: Estimate;
  readonly workerHours: Estimate;
  readonly tasksKilled: Estimate;
}

export interface RecommendationOutcome {
  readonly sloP95Seconds: number;
  readonly allowKilled: boolean;
  readonly decision: Decision;
  /** Largest gain first; empty unless no configuration qualifies. */
  readonly limits: readonly Limit[];
}

/** Everything one `simulate` produced, for the table, the JSON and the report. */
export interface SimulationOutcome {
  /** The first replication's workload (the only one of a trace): what the summary describes. */
  readonly workload: Workload;
  /** One per replication for a generated scenario, one for a trace. */
  readonly workloads: readonly Workload[];
  readonly axes: readonly SweepAxis[];
  readonly replications: number;
  readonly configs: readonly ConfigEstimate[];
  /** Run numbers on the Pareto frontier. */
  readonly frontier: readonly number[];
  readonly recommendation: RecommendationOutcome | null;
  /** `--compare-scale-in`: the config field the runs differ in. */
  readonly compare: 'scaleInPolicy' | null;
}

/** The configuration as JSON, in a fixed key order (part of the byte-identical output). */
export function configJson(config: SimConfig): Record<string, unknown> {
  return {
    workerConcurrency: config.workerConcurrency,
    minReplicaCount: config.minReplicaCount,
    maxReplicaCount: config.maxReplicaCount,
    initialReplicas: config.initialReplicas,
    pollingInterval: config.pollingInterval,
    cooldownPeriod: config.cooldownPeriod,
    initialCooldownPeriod: config.initialCooldownPeriod,
    trigger: config.trigger,
    activationThreshold: config.activationThreshold,
    queues: config.queues,
    useCachedMetrics: config.useCachedMetrics,
    hpaBehavior: config.hpaBehavior,
    hpaSyncPeriodSeconds: config.hpaSyncPeriodSeconds,
    hpaTolerance: config.hpaTolerance,
    scalerTickSeconds: config.scalerTickSeconds,
    kedaPollOffsetSeconds: config.kedaPollOffsetSeconds,
    hpaSyncOffsetSeconds: config.hpaSyncOffsetSeconds,
    scalerTickOffsetSeconds: config.scalerTickOffsetSeconds,
    podStartup: config.podStartup,
    nodes: config.nodes,
    terminationGracePeriodSeconds: config.terminationGracePeriodSeconds,
    scaleInPolicy: config.scaleInPolicy,
    prewarm: config.prewarm,
    prewarmLeadSeconds: config.prewarmLeadSeconds,
    prewarmHistoryRuns: config.prewarmHistoryRuns,
    taskHeartbeatTimeoutSeconds: config.taskHeartbeatTimeoutSeconds,
    retries: config.retries,
    retryDelaySeconds: config.retryDelaySeconds,
    sampleSeconds: config.sampleSeconds,
    seed: config.seed,
  };
}

export interface WorkloadSummary {
  readonly name: string;
  readonly source: 'scenario' | 'trace';
  readonly start: string;
  readonly tasks: number;
  readonly queues: readonly string[];
}

export function workloadSummary(workload: Workload): WorkloadSummary {
  return {
    name: workload.name,
    source: workload.source,
    start: new Date(workload.startEpochMs).toISOString(),
    tasks: workload.queuedAt.length,
    queues: workload.queueNames,
  };
}

/** Means over replications, rounded: seconds to the millisecond, fractions to 1e-4, counts to 1e-2. */
function metricsJson(m: RunMetrics): Record<string, unknown> {
  const w = m.queueWaitSeconds;
  const e = m.elasticity;
  return {
    queueWaitSeconds: { mean: round(w.mean, 3), p50: round(w.p50, 3), p95: round(w.p95, 3), p99: round(w.p99, 3), max: round(w.max, 3) },
    tasksKilled: round(m.tasksKilled, 2),
    tasksFailed: round(m.tasksFailed, 2),
    drains: round(m.drains, 2),
    restores: round(m.restores, 2),
    workerSeconds: round(m.workerSeconds, 3),
    idleFraction: round(m.idleFraction, 4),
    peakWorkers: round(m.peakWorkers, 2),
    scaleEvents: round(m.scaleEvents, 2),
    scaleEventsByCause: Object.fromEntries(Object.entries(m.scaleEventsByCause).map(([k, v]) => [k, round(v, 2)])),
    nodesProvisioned: round(m.nodesProvisioned, 2),
    underProvisionedSeconds: round(m.underProvisionedSeconds, 3),
    elasticity: {
      underProvisioningAccuracy: round(e.underProvisioningAccuracy, 4),
      overProvisioningAccuracy: round(e.overProvisioningAccuracy, 4),
      underProvisioningTimeshare: round(e.underProvisioningTimeshare, 4),
      overProvisioningTimeshare: round(e.overProvisioningTimeshare, 4),
      instability: round(e.instability, 4),
    },
    tasks: {
      total: m.tasks.total,
      completed: round(m.tasks.completed, 2),
      failed: round(m.tasks.failed, 2),
      unfinished: round(m.tasks.unfinished, 2),
      attempts: round(m.tasks.attempts, 2),
    },
    simulatedSeconds: round(m.simulatedSeconds, 3),
  };
}

function runJson(c: ConfigEstimate): Record<string, unknown> {
  const e = c.estimates;
  return {
    run: c.run,
    current: c.current,
    config: configJson(c.config),
    replications: c.replications,
    estimates: {
      p95WaitSeconds: roundEstimate(e.p95WaitSeconds, 3),
      meanWaitSeconds: roundEstimate(e.meanWaitSeconds, 3),
      workerHours: roundEstimate(e.workerHours, 3),
      tasksKilled: roundEstimate(e.tasksKilled, 2),
      scaleEvents: roundEstimate(e.scaleEvents, 2),
    },
    kedaCallsPerMinute: round(c.kedaCallsPerMinute, 2),
    metastoreQueriesPerMinute: round(c.metastoreQueriesPerMinute, 2),
    unfinishedReplications: c.unfinishedReplications,
    ...metricsJson(c.metrics),
  };
}

export function configurationOf(outcome: SimulationOutcome, run: number): ScaledObjectSettings {
  const c = outcome.configs[run - 1];
  if (c === undefined) throw new RangeError(`no run ${run}`);
  return scaledObjectSettings(c.config, outcome.workload.queueNames);
}

function recommendationJson(outcome: SimulationOutcome, r: RecommendationOutcome): Record<string, unknown> {
  const d = r.decision;
  const configuration = d.run === null ? null : configurationOf(outcome, d.run);
  const nearest = d.nearest === null ? undefined : outcome.configs[d.nearest - 1];
  return {
    sloP95Seconds: r.sloP95Seconds,
    allowKilled: r.allowKilled,
    run: d.run,
    configuration,
    scaledObject: configuration === null ? null : scaledObjectYaml(configuration),
    tied: d.tied,
    excludedForKills: d.excludedForKills,
    nearest:
      nearest === undefined
        ? null
        : { run: nearest.run, configuration: configurationOf(outcome, nearest.run), p95WaitSeconds: roundEstimate(nearest.estimates.p95WaitSeconds, 3) },
    limits: r.limits.map((l) => ({
      limit: l.limit,
      change: l.change,
      p95WaitSeconds: roundEstimate(l.p95WaitSeconds, 3),
      workerHours: roundEstimate(l.workerHours, 3),
      tasksKilled: roundEstimate(l.tasksKilled, 2),
    })),
  };
}

/** The `--json` document. Run numbers are 1-based everywhere, as in the table. */
export function buildDocument(outcome: SimulationOutcome): Record<string, unknown> {
  return {
    workload: workloadSummary(outcome.workload),
    replications: outcome.replications,
    sweep: outcome.axes,
    ...(outcome.compare === null ? {} : { compare: outcome.compare }),
    current: outcome.configs.find((c) => c.current)?.run ?? null,
    runs: outcome.configs.map(runJson),
    paretoFrontier: outcome.frontier,
    ...(outcome.recommendation === null ? {} : { recommendation: recommendationJson(outcome, outcome.recommendation) }),
  };
}
