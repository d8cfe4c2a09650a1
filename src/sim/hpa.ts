import type { HpaBehavior, HpaScalingRules } from './config.js';

/** Legacy normalization constants (kubernetes `horizontal.go`; keda.md §3.3). */
const LEGACY_DOWNSCALE_STABILIZATION_SECONDS = 300;
const SCALE_UP_LIMIT_FACTOR = 2;
const SCALE_UP_LIMIT_MINIMUM = 4;

interface Recommendation {
  time: number;
  replicas: number;
}

interface ScaleEvent {
  time: number;
  change: number;
}

export interface HpaSettings {
  readonly minReplicas: number;
  readonly maxReplicas: number;
  readonly tolerance: number;
  readonly behavior: HpaBehavior | null;
}

/**
 * The HorizontalPodAutoscaler controller for one HPA with one external AverageValue metric, as
 * kubernetes `pkg/controller/podautoscaler` computes it (keda.md §3.3). `sync` is one reconcile;
 * the caller runs it every sync period and applies the returned replica count.
 */
export class HorizontalPodAutoscaler {
  private readonly recommendations: Recommendation[] = [];
  private readonly scaleUpEvents: ScaleEvent[] = [];
  private readonly scaleDownEvents: ScaleEvent[] = [];

  constructor(private readonly settings: HpaSettings) {}

  /**
   * One reconcile at `now`. `specReplicas` is the scale target's `spec.replicas` (the HPA's
   * "current"), `statusReplicas` its pod count; `readMetric` returns the summed external metric
   * and is called only when the HPA would read it. Returns the new replica count, or null when
   * the HPA leaves the target alone.
   */
  sync(now: number, specReplicas: number, statusReplicas: number, target: number, readMetric: () => number): number | null {
    const { minReplicas, maxReplicas } = this.settings;
    // At 0 replicas the HPA reads no metrics: "ScalingDisabled" (keda.md §3.2).
    if (specReplicas === 0 && minReplicas !== 0) return null;
    let desired: number;
    if (specReplicas > maxReplicas) desired = maxReplicas;
    else if (specReplicas < minReplicas) desired = minReplicas;
    else {
      const proposal = this.proposal(readMetric(), target, statusReplicas);
      desired =
        this.settings.behavior === null
          ? this.normalizeLegacy(now, specReplicas, proposal)
          : this.normalizeWithBehavior(now, specReplicas, proposal, this.settings.behavior);
    }
    if (desired === specReplicas) return null;
    this.storeScaleEvent(now, specReplicas, desired);
    return desired;
  }

  /**
   * `GetExternalPerPodMetricReplicas`: while (1 − tolerance) ≤ usage / (target × statusReplicas)
   * ≤ (1 + tolerance) nothing changes, otherwise ceil(usage / target) (keda.md §3.3, the k8s ≥ 1.33
   * form with per-direction tolerances; both bounds inclusive, so 11 on 10 replicas stays at 10).
   */
  private proposal(usage: number, target: number, statusReplicas: number): number {
    const ratio = usage / (target * statusReplicas);
    const { tolerance } = this.settings;
    if (1 - tolerance <= ratio && ratio <= 1 + tolerance) return statusReplicas;
    return Math.ceil(usage / target);
  }

  /**
   * Behavior unset (what KEDA creates without `advanced.horizontalPodAutoscalerConfig.behavior`):
   * the max of the last 5 minutes' recommendations, then clamp to
   * [minReplicas, min(maxReplicas, max(2 × current, 4))] (`normalizeDesiredReplicas`).
   */
  private normalizeLegacy(now: number, current: number, proposal: number): number {
    const cutoff = now - LEGACY_DOWNSCALE_STABILIZATION_SECONDS;
    let stabilized = proposal;
    let oldIndex = -1;
    for (let i = 0; i < this.recommendations.length; i++) {
      const rec = this.recommendations[i] as Recommendation;
      if (rec.time < cutoff) oldIndex = i;
      else if (rec.replicas > stabilized) stabilized = rec.replicas;
    }
    this.record(oldIndex, now, proposal);
    const scaleUpLimit = Math.max(SCALE_UP_LIMIT_FACTOR * current, SCALE_UP_LIMIT_MINIMUM);
    const maximum = Math.min(this.settings.maxReplicas, scaleUpLimit);
    if (stabilized < this.settings.minReplicas) return this.settings.minReplicas;
    if (stabilized > maximum) return maximum;
    return stabilized;
  }

  /** `normalizeDesiredReplicasWithBehaviors`: stabilization windows, then rate policies. */
  private normalizeWithBehavior(now: number, current: number, proposal: number, behavior: HpaBehavior): number {
    const upCutoff = now - behavior.scaleUp.stabilizationWindowSeconds;
    const downCutoff = now - behavior.scaleDown.stabilizationWindowSeconds;
    let up = proposal;
    let down = proposal;
    let oldIndex = -1;
    for (let i = 0; i < this.recommendations.length; i++) {
      const rec = this.recommendations[i] as Recommendation;
      if (rec.time > upCutoff) up = Math.min(up, rec.replicas);
      if (rec.time > downCutoff) down = Math.max(down, rec.replicas);
      if (rec.time < upCutoff && rec.time < downCutoff) oldIndex = i;
    }
    let recommendation = current;
    if (recommendation < up) recommendation = up;
    if (recommendation > down) recommendation = down;
    this.record(oldIndex, now, proposal);

    const { minReplicas, maxReplicas } = this.settings;
    if (recommendation > current) {
      let limit = this.scaleUpLimit(now, current, behavior.scaleUp);
      if (limit < current) limit = current;
      const maximum = Math.min(maxReplicas, limit);
      return Math.min(recommendation, maximum);
    }
    if (recommendation < current) {
      let limit = this.scaleDownLimit(now, current, behavior.scaleDown);
      if (limit > current) limit = current;
      const minimum = Math.max(minReplicas, limit);
      return Math.max(recommendation, minimum);
    }
    return recommendation;
  }

  private record(oldIndex: number, now: number, replicas: number): void {
    if (oldIndex >= 0) this.recommendations[oldIndex] = { time: now, replicas };
    else this.recommendations.push({ time: now, replicas });
  }

  /** `calculateScaleUpLimitWithScalingRules`. */
  private scaleUpLimit(now: number, current: number, rules: HpaScalingRules): number {
    if (rules.selectPolicy === 'Disabled') return current;
    const pickMin = rules.selectPolicy === 'Min';
    let result = pickMin ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
    for (const policy of rules.policies) {
      const start = this.periodStart(now, current, policy.periodSeconds);
      const proposed =
        policy.type === 'Pods' ? start + policy.value : Math.ceil(start * (1 + policy.value / 100));
      result = pickMin ? Math.min(result, proposed) : Math.max(result, proposed);
    }
    return result;
  }

  /** `calculateScaleDownLimitWithBehaviors`. */
  private scaleDownLimit(now: number, current: number, rules: HpaScalingRules): number {
    if (rules.selectPolicy === 'Disabled') return current;
    const pickMin = rules.selectPolicy === 'Min';
    let result = pickMin ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
    for (const policy of rules.policies) {
      const start = this.periodStart(now, current, policy.periodSeconds);
      const proposed = policy.type === 'Pods' ? start - policy.value : Math.trunc(start * (1 - policy.value / 100));
      result = pickMin ? Math.max(result, proposed) : Math.min(result, proposed);
    }
    return result;
  }

  /** current − added + removed within the period: the replicas when the period began. */
  private periodStart(now: number, current: number, periodSeconds: number): number {
    const cutoff = now - periodSeconds;
    let added = 0;
    let removed = 0;
    for (const event of this.scaleUpEvents) if (event.time > cutoff) added += event.change;
    for (const event of this.scaleDownEvents) if (event.time > cutoff) removed += event.change;
    return current - added + removed;
  }

  /**
   * `storeScaleEvent`: kept only when behavior is set; events older than the longest policy
   * period are recycled. KEDA's own 0↔N changes bypass the HPA and are not recorded.
   */
  private storeScaleEvent(now: number, previous: number, next: number): void {
    const behavior = this.settings.behavior;
    if (behavior === null) return;
    const up = next > previous;
    const events = up ? this.scaleUpEvents : this.scaleDownEvents;
    const rules = up ? behavior.scaleUp : behavior.scaleDown;
    let longest = 0;
    for (const policy of rules.policies) longest = Math.max(longest, policy.periodSeconds);
    const event = { time: now, change: Math.abs(next - previous) };
    const outdated = events.findIndex((e) => e.time < now - longest);
    if (outdated >= 0) events[outdated] = event;
    else events.push(event);
  }
}
