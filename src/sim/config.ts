import type { HpaBehavior } from '../core/hpa-behavior.js';
import { DEFAULT_WORKER_CONCURRENCY } from '../core/metadata.js';
import type { Distribution } from './distribution.js';
import { fixed } from './distribution.js';

/**
 * Which pod a scale-in removes.
 * - `kubernetes`: the ReplicaSet controller's ranking (`ActivePodsWithRanks`): pods not yet ready
 *   first, then the most recently ready, compared in log2 buckets of ready age with ties broken by
 *   UID (effectively random). Not load-aware: a busy worker goes as readily as an idle one.
 * - `idle-first`: the same, but with `controller.kubernetes.io/pod-deletion-cost` = running tasks,
 *   which ranks right after readiness, so idle workers go first.
 * - `drain`: the scaler's drain-then-remove (core `planScaleIn`), run on every scaler tick: it
 *   picks the surplus workers, ranks them with pod-deletion-cost, tells busy ones to stop consuming
 *   (Celery cancel_consumer) and reports `reportedReplicas` instead of the plain formula, so the
 *   HPA removes a worker only once it is idle; draining workers are restored when demand returns.
 */
export type ScaleInPolicy = 'kubernetes' | 'idle-first' | 'drain';
export const SCALE_IN_POLICIES: readonly ScaleInPolicy[] = ['kubernetes', 'idle-first', 'drain'];
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
  readonly cooldownPeriod: number;
  readonly initialCooldownPeriod: number;
  readonly trigger: TriggerType;
  /**
   * The scaler's own metastore tick (`poll.intervalMs`); push activations and the `drain`
   * scale-in plan happen on it.
   */
  readonly scalerTickSeconds: number;
  /** Trigger `useCachedMetrics`: the HPA reads the last KEDA poll's value instead of a fresh one. */
  readonly useCachedMetrics: boolean;
  readonly hpaSyncPeriodSeconds: number;
  /** Phase of the HPA's 15 s resync against KEDA's first poll; null = drawn from the seed. */
  readonly hpaSyncOffsetSeconds: number | null;
  readonly hpaTolerance: number;
  /** `advanced.horizontalPodAutoscalerConfig.behavior`, defaulted; null = legacy normalization. */
  readonly hpaBehavior: HpaBehavior | null;
  readonly podStartup: Distribution;
  readonly terminationGracePeriodSeconds: number;
  readonly scaleInPolicy: ScaleInPolicy;
  /** Delay before a killed task is queued again (Airflow `retry_delay`; 0 = at once). */
  readonly retryDelaySeconds: number;
  /** Resolution of the timelines and of the instability metric. */
  readonly sampleSeconds: number;
  readonly seed: number;
}

/**
 * Defaults follow KEDA and Kubernetes (keda.md §3.1, §3.3) and the Airflow chart: pollingInterval
 * 30, cooldownPeriod 300, initialCooldownPeriod 0, min 0, max 100, HPA sync 15 s, tolerance 0.1,
 * no behavior; worker concurrency 16 and terminationGracePeriodSeconds 600 as the chart sets them.
 */
export const DEFAULT_CONFIG: SimConfig = {
  workerConcurrency: DEFAULT_WORKER_CONCURRENCY,
  minReplicaCount: 0,
  maxReplicaCount: 100,
  initialReplicas: null,
  activationThreshold: 0,
  queues: null,
  pollingInterval: 30,
  cooldownPeriod: 300,
  initialCooldownPeriod: 0,
  trigger: 'external',
  scalerTickSeconds: 1,
  useCachedMetrics: false,
  hpaSyncPeriodSeconds: 15,
  hpaSyncOffsetSeconds: null,
  hpaTolerance: 0.1,
  hpaBehavior: null,
  podStartup: fixed(30),
  terminationGracePeriodSeconds: 600,
  scaleInPolicy: 'kubernetes',
  retryDelaySeconds: 0,
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
  if (config.initialReplicas !== null && config.initialReplicas > config.maxReplicaCount) {
    problems.push(`initialReplicas=${config.initialReplicas} must be <= maxReplicaCount (${config.maxReplicaCount})`);
  }
  return problems;
}
