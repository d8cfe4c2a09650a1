import { HorizontalPodAutoscaler } from './hpa.js';
import type { HpaBehavior } from './hpa-behavior.js';

/*
 * What KEDA and the HPA it creates do with a ScaledObject whose one trigger is this scaler: the
 * operator's scale loop (kedacore/keda `pkg/scaling/scale_handler.go`, which polls once when the
 * ScaledObject appears and then every pollingInterval, and `pkg/scaling/executor/
 * scale_scaledobjects.go` `RequestScale`), the metrics adapter's fallback (`pkg/fallback/
 * fallback.go`), and the HPA reading our metric (./hpa.ts). The simulator and the live demo drive
 * this model; they only schedule its steps and carry out its answers. Times are integer ms.
 */

/** `spec.fallback.behavior` (KEDA ≥ 2.17; `static` is the default). */
export const FALLBACK_BEHAVIORS = ['static', 'currentReplicas', 'currentReplicasIfHigher', 'currentReplicasIfLower'] as const;
export type FallbackBehavior = (typeof FALLBACK_BEHAVIORS)[number];

/** `spec.fallback`: the replica count to hold while the trigger keeps failing. */
export interface FallbackSpec {
  readonly failureThreshold: number;
  readonly replicas: number;
  readonly behavior: FallbackBehavior;
}

export interface ScaledObjectSettings {
  readonly minReplicaCount: number;
  readonly maxReplicaCount: number;
  readonly cooldownPeriodMs: number;
  readonly initialCooldownPeriodMs: number;
  /** When the ScaledObject was created: `initialCooldownPeriod` counts from here. */
  readonly createdAtMs: number;
  readonly fallback: FallbackSpec | null;
  readonly hpaTolerance: number;
  /** `advanced.horizontalPodAutoscalerConfig.behavior`, defaulted; null = legacy normalization. */
  readonly hpaBehavior: HpaBehavior | null;
}

/** A ScaledObject's fields as its YAML spells them: the periods in seconds. */
export interface ScaledObjectFields {
  readonly minReplicaCount: number;
  readonly maxReplicaCount: number;
  readonly cooldownPeriod: number;
  readonly initialCooldownPeriod: number;
  readonly hpaTolerance: number;
  readonly hpaBehavior: HpaBehavior | null;
}

/**
 * The model's settings for a ScaledObject without `spec.fallback`, created at `createdAtMs`: the
 * one conversion from the YAML's seconds that the simulator and the live demo both use.
 */
export function kedaSettings(fields: ScaledObjectFields, createdAtMs: number): ScaledObjectSettings {
  return {
    minReplicaCount: fields.minReplicaCount,
    maxReplicaCount: fields.maxReplicaCount,
    cooldownPeriodMs: fields.cooldownPeriod * 1000,
    initialCooldownPeriodMs: fields.initialCooldownPeriod * 1000,
    createdAtMs,
    fallback: null,
    hpaTolerance: fields.hpaTolerance,
    hpaBehavior: fields.hpaBehavior,
  };
}

export type ScaleCause = 'keda-activation' | 'keda-cooldown' | 'keda-min' | 'hpa';

/** A change of the scale target's spec.replicas, and who made it. */
export interface ScaleDecision {
  readonly replicas: number;
  readonly cause: ScaleCause;
}

/** What one poll of the trigger gave: IsActive's answer, or an error (timeout, gRPC status). */
export type TriggerOutcome = { readonly active: boolean } | 'error';

/**
 * Our metric's target: the HPA's external metric is AverageValue 1, so the metric is the desired
 * worker count (see the README's ScaledObject).
 */
export const METRIC_TARGET = 1;

function assertWholeMs(nowMs: number): void {
  if (!Number.isInteger(nowMs)) throw new RangeError(`KEDA time must be whole milliseconds, got ${nowMs}`);
}

/** One ScaledObject as KEDA's operator, its metrics adapter and its HPA treat it. */
export class KedaScaledObject {
  private lastActiveTimeMs: number | null = null;
  /** `status.health[metric].numberOfFailures`: consecutive failed reads, polls and HPA reads alike. */
  private failures = 0;
  private readonly hpa: HorizontalPodAutoscaler;

  constructor(private readonly settings: ScaledObjectSettings) {
    this.hpa = new HorizontalPodAutoscaler({
      // KEDA creates the HPA with minReplicas = max(minReplicaCount, 1): the HPA cannot hold 0.
      minReplicas: Math.max(settings.minReplicaCount, 1),
      maxReplicas: settings.maxReplicaCount,
      tolerance: settings.hpaTolerance,
      behavior: settings.hpaBehavior,
    });
  }

  /** `status.lastActiveTime`, null until the trigger was first active. */
  get lastActiveMs(): number | null {
    return this.lastActiveTimeMs;
  }

  /** Whether the metrics adapter answers with the fallback instead of the trigger. */
  get inFallback(): boolean {
    const fallback = this.settings.fallback;
    return fallback !== null && this.failures > fallback.failureThreshold;
  }

  /**
   * One operator poll (`RequestScale`). Active: from 0 replicas to max(minReplicaCount, 1), and
   * lastActiveTime = now. Inactive with replicas and minReplicaCount 0: to zero straight from any
   * N, bypassing the HPA, once lastActiveTime + cooldownPeriod < now (strictly), or before the
   * first activity once creation + initialCooldownPeriod < now. Inactive below minReplicaCount: to
   * minReplicaCount. A failed poll never scales to zero; past the fallback's failureThreshold the
   * trigger counts as active.
   */
  poll(nowMs: number, specReplicas: number, outcome: TriggerOutcome): ScaleDecision | null {
    assertWholeMs(nowMs);
    let active: boolean;
    if (outcome === 'error') {
      this.failures += 1;
      if (!this.inFallback) return null;
      active = true;
    } else {
      this.failures = 0;
      active = outcome.active;
    }
    if (active) return this.activate(nowMs, specReplicas);
    const { minReplicaCount } = this.settings;
    if (specReplicas > 0 && minReplicaCount === 0) {
      return this.cooledDown(nowMs) ? { replicas: 0, cause: 'keda-cooldown' } : null;
    }
    if (specReplicas < minReplicaCount) return { replicas: minReplicaCount, cause: 'keda-min' };
    return null;
  }

  /** StreamIsActive sent `true` (external-push): KEDA runs `RequestScale` as active at once. */
  push(nowMs: number, specReplicas: number): ScaleDecision | null {
    assertWholeMs(nowMs);
    return this.activate(nowMs, specReplicas);
  }

  /** Whether an HPA reconcile at `specReplicas` would read the metric (never at 0 replicas). */
  hpaReadsMetric(specReplicas: number): boolean {
    return this.hpa.readsMetric(specReplicas);
  }

  /**
   * One HPA reconcile. `readMetric` is GetMetrics through KEDA's metrics adapter (null when the
   * call failed) and is called only when the HPA reads; a failure counts towards the fallback,
   * which then answers with its replica count.
   */
  hpaSync(nowMs: number, specReplicas: number, statusReplicas: number, readMetric: () => number | null): ScaleDecision | null {
    const replicas = this.hpa.sync(nowMs, specReplicas, statusReplicas, METRIC_TARGET, () => this.adapterMetric(readMetric(), specReplicas));
    return replicas === null ? null : { replicas, cause: 'hpa' };
  }

  private activate(nowMs: number, specReplicas: number): ScaleDecision | null {
    this.lastActiveTimeMs = nowMs;
    return specReplicas === 0 ? { replicas: Math.max(this.settings.minReplicaCount, 1), cause: 'keda-activation' } : null;
  }

  private cooledDown(nowMs: number): boolean {
    const { cooldownPeriodMs, initialCooldownPeriodMs, createdAtMs } = this.settings;
    return this.lastActiveTimeMs === null
      ? createdAtMs + initialCooldownPeriodMs < nowMs
      : this.lastActiveTimeMs + cooldownPeriodMs < nowMs;
  }

  /** `GetMetricsWithFallback`: the reading, or past the threshold the fallback's count × target. */
  private adapterMetric(reading: number | null, currentReplicas: number): number | null {
    if (reading !== null) {
      this.failures = 0;
      return reading;
    }
    this.failures += 1;
    const fallback = this.settings.fallback;
    if (fallback === null || !this.inFallback) return null;
    return fallbackReplicas(fallback, currentReplicas) * METRIC_TARGET;
  }
}

/** `doFallback`: the replica count the fallback stands for, given the target's current count. */
export function fallbackReplicas(fallback: FallbackSpec, currentReplicas: number): number {
  switch (fallback.behavior) {
    case 'static':
      return fallback.replicas;
    case 'currentReplicas':
      return currentReplicas;
    case 'currentReplicasIfHigher':
      return Math.max(currentReplicas, fallback.replicas);
    case 'currentReplicasIfLower':
      return Math.min(currentReplicas, fallback.replicas);
  }
}
