import type { HpaBehavior } from '../../core/hpa-behavior.js';
import { DEFAULT_WORKER_CONCURRENCY } from '../../core/metadata.js';
import type { PrewarmMode } from '../../core/prewarm.js';
import { DEFAULT_PREWARM_HISTORY_RUNS, DEFAULT_PREWARM_LEAD_SECONDS } from '../../core/prewarm.js';
import type { ScaleInPolicy } from '../../core/scale-in-spec.js';
import { SCALE_IN_POLICIES } from '../../core/scale-in-spec.js';
import { didYouMean } from '../../core/suggest.js';
import type { Distribution } from './distribution.js';
import { fixed } from './distribution.js';
import type { NodeProvisioning } from './nodes.js';
import { MAX_CONCURRENCY } from './worker-pod.js';

/**
 * Which workers a scale-in removes: the scaler's own `scaleIn` policies (core `ScaleInPolicy`),
 * simulated through core's planner and ledger on every scaler tick.
 * - `off`: the plain formula; the ReplicaSet removes pods by its own ranking, not load-aware.
 * - `rank`: the planner chooses the surplus workers (idle first, then least loaded) and writes
 *   pod-deletion-cost on them, so the ReplicaSet removes those; busy ones can still be killed.
 * - `drain`: drain-then-remove: busy surplus workers are told to stop consuming (Celery
 *   cancel_consumer) and stay counted until idle; draining workers are restored when demand returns.
 */
export { SCALE_IN_POLICIES } from '../../core/scale-in-spec.js';
export type { ScaleInPolicy } from '../../core/scale-in-spec.js';

/** Names the simulator used before it took the scaler's: still accepted on the CLI and in scenarios. */
export const SCALE_IN_POLICY_ALIASES: Readonly<Record<string, ScaleInPolicy>> = { kubernetes: 'off', 'idle-first': 'rank' };

/** A policy name or alias as the scaler's policy; null when it is neither. */
export function scaleInPolicyNamed(name: string): ScaleInPolicy | null {
  if ((SCALE_IN_POLICIES as readonly string[]).includes(name)) return name as ScaleInPolicy;
  return SCALE_IN_POLICY_ALIASES[name] ?? null;
}

/** The order `--compare-scale-in` runs and prints them in. */
export const COMPARED_SCALE_IN_POLICIES: readonly ScaleInPolicy[] = ['off', 'rank', 'drain'];

/** The problem with a `--scale-in` or `--sweep scaleIn=` value that names no policy. */
export function unknownScaleInPolicy(name: string): string {
  return `must be one of ${COMPARED_SCALE_IN_POLICIES.join(', ')}${didYouMean(name, [...COMPARED_SCALE_IN_POLICIES, ...Object.keys(SCALE_IN_POLICY_ALIASES)])}`;
}

/** The most replicas a simulated Deployment may have. */
const MAX_REPLICAS = 100_000;

/**
 * Bounds (inclusive) of the settings the CLI options, `--sweep` and scenario files all set: one
 * table, so the three accept the same values. All are whole numbers except
 * terminationGracePeriodSeconds, which scenarios read as an unbounded duration instead.
 */
export const SETTING_BOUNDS = {
  workerConcurrency: { min: 1, max: MAX_CONCURRENCY },
  minReplicaCount: { min: 0, max: MAX_REPLICAS },
  maxReplicaCount: { min: 1, max: MAX_REPLICAS },
  initialReplicas: { min: 0, max: MAX_REPLICAS },
  pollingInterval: { min: 1, max: 86_400 },
  cooldownPeriod: { min: 0, max: 604_800 },
  initialCooldownPeriod: { min: 0, max: 604_800 },
  terminationGracePeriodSeconds: { min: 0, max: 86_400 },
} as const satisfies Partial<Record<keyof SimConfig, { readonly min: number; readonly max: number }>>;

export type TriggerType = 'external' | 'external-push';

/** Everything one simulated run needs besides the workload. Times in seconds. */
export interface SimConfig {
  /** Celery `worker_concurrency`: task slots per worker pod. */
  readonly workerConcurrency: number;
  readonly minReplicaCount: number;
  readonly maxReplicaCount: number;
  /** Worker pods running (and ready) at time 0; null = `minReplicaCount`. */
  readonly initialReplicas: number | null;
  /** Trigger metadata `activationThreshold`: active when queued + running exceeds it. */
  readonly activationThreshold: number;
  /** Trigger metadata `queues`; null = every queue of the workload. */
  readonly queues: readonly string[] | null;
  readonly pollingInterval: number;
  /**
   * When KEDA's poll loop runs within its period: the first poll at this many seconds, then every
   * pollingInterval. In a cluster the phase is wherever the operator's loop started (kedacore/keda
   * `pkg/scaling/scale_handler.go` `startScaleLoop`), so null draws it uniformly per replication.
   */
  readonly kedaPollOffsetSeconds: number | null;
  readonly cooldownPeriod: number;
  readonly initialCooldownPeriod: number;
  readonly trigger: TriggerType;
  /**
   * The scaler's own metastore tick (`poll.intervalMs`); push activations and the `drain`
   * scale-in plan happen on it.
   */
  readonly scalerTickSeconds: number;
  /** Phase of the scaler's tick; null = drawn uniformly per replication. */
  readonly scalerTickOffsetSeconds: number | null;
  /** Trigger `useCachedMetrics`: the HPA reads the last KEDA poll's value instead of a fresh one. */
  readonly useCachedMetrics: boolean;
  readonly hpaSyncPeriodSeconds: number;
  /** Phase of the HPA's 15 s resync; null = drawn uniformly per replication. */
  readonly hpaSyncOffsetSeconds: number | null;
  readonly hpaTolerance: number;
  /** `advanced.horizontalPodAutoscalerConfig.behavior`, defaulted; null = legacy normalization. */
  readonly hpaBehavior: HpaBehavior | null;
  /** From pod creation (or, with node provisioning, from its node being ready) to a ready Celery worker. */
  readonly podStartup: Distribution;
  /** Cluster Autoscaler / Karpenter: new pods beyond the free node capacity wait for a node; null = always room. */
  readonly nodes: NodeProvisioning | null;
  readonly terminationGracePeriodSeconds: number;
  readonly scaleInPolicy: ScaleInPolicy;
  /**
   * Trigger metadata `prewarm`: with `schedule` the scaler adds core's forecast of scheduled runs
   * about to start (core/prewarm.ts) to its count; the workload's runs say which those are.
   */
  readonly prewarm: PrewarmMode;
  /** Trigger metadata `prewarmLeadSeconds`: how long before (and at most after) its due instant a run is forecast. */
  readonly prewarmLeadSeconds: number;
  /** Trigger metadata `prewarmHistoryRuns`: how many of a DAG's last scheduled runs size its forecast. */
  readonly prewarmHistoryRuns: number;
  /**
   * How long a task whose worker was killed stays `running` in the metastore (and so in the
   * scaler's count) before the scheduler finds it without heartbeat and fails it: Airflow 3
   * `[scheduler] task_instance_heartbeat_timeout`, 2.x `scheduler_zombie_task_threshold`; 300 s.
   */
  readonly taskHeartbeatTimeoutSeconds: number;
  /** Tries after the first a killed task gets (Airflow `retries`, `[core] default_task_retries`: 0). */
  readonly retries: number;
  /** From being failed to being queued again (Airflow `retry_delay`, `[core] default_task_retry_delay`: 300 s). */
  readonly retryDelaySeconds: number;
  /** Resolution of the timelines and of the instability metric. */
  readonly sampleSeconds: number;
  readonly seed: number;
}

/**
 * Defaults follow KEDA (kedacore/keda `apis/keda/v1alpha1/scaledobject_types.go`: pollingInterval
 * 30, cooldownPeriod 300, initialCooldownPeriod 0, minReplicaCount 0, maxReplicaCount 100),
 * Kubernetes (kube-controller-manager `--horizontal-pod-autoscaler-sync-period` 15 s and
 * `--horizontal-pod-autoscaler-tolerance` 0.1; no behavior) and the official Airflow chart's
 * values.yaml (`config.celery.worker_concurrency` 16, `workers.terminationGracePeriodSeconds` 600),
 * the scaler's own trigger metadata (`prewarm` off, core/prewarm.ts for the rest), and Airflow's configuration reference (`default_task_retries` 0, `default_task_retry_delay` 300,
 * `task_instance_heartbeat_timeout` 300).
 */
export const DEFAULT_CONFIG: SimConfig = {
  workerConcurrency: DEFAULT_WORKER_CONCURRENCY,
  minReplicaCount: 0,
  maxReplicaCount: 100,
  initialReplicas: null,
  activationThreshold: 0,
  queues: null,
  pollingInterval: 30,
  kedaPollOffsetSeconds: null,
  cooldownPeriod: 300,
  initialCooldownPeriod: 0,
  trigger: 'external',
  scalerTickSeconds: 1,
  scalerTickOffsetSeconds: null,
  useCachedMetrics: false,
  hpaSyncPeriodSeconds: 15,
  hpaSyncOffsetSeconds: null,
  hpaTolerance: 0.1,
  hpaBehavior: null,
  podStartup: fixed(30),
  nodes: null,
  terminationGracePeriodSeconds: 600,
  scaleInPolicy: 'off',
  prewarm: 'off',
  prewarmLeadSeconds: DEFAULT_PREWARM_LEAD_SECONDS,
  prewarmHistoryRuns: DEFAULT_PREWARM_HISTORY_RUNS,
  taskHeartbeatTimeoutSeconds: 300,
  retries: 0,
  retryDelaySeconds: 300,
  sampleSeconds: 15,
  seed: 1,
};

/** Problems with a config that no single key shows (cross-field rules). */
export function configProblems(config: SimConfig): string[] {
  const problems: string[] = [];
  if (config.maxReplicaCount < 1) problems.push(`maxReplicaCount=${config.maxReplicaCount} must be >= 1`);
  if (config.maxReplicaCount < config.minReplicaCount) {
    problems.push(`maxReplicaCount=${config.maxReplicaCount} must be >= minReplicaCount (${config.minReplicaCount})`);
  }
  for (const [key, offset, period] of [
    ['kedaPollOffsetSeconds', config.kedaPollOffsetSeconds, config.pollingInterval],
    ['hpaSyncOffsetSeconds', config.hpaSyncOffsetSeconds, config.hpaSyncPeriodSeconds],
    ['scalerTickOffsetSeconds', config.scalerTickOffsetSeconds, config.scalerTickSeconds],
  ] as const) {
    if (offset !== null && !(offset >= 0 && offset < period)) problems.push(`${key}=${offset} must be from 0 to less than its period (${period} s)`);
  }
  if (config.initialReplicas !== null && config.initialReplicas > config.maxReplicaCount) {
    problems.push(`initialReplicas=${config.initialReplicas} must be <= maxReplicaCount (${config.maxReplicaCount})`);
  }
  return problems;
}
