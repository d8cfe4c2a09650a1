import type { HpaBehavior, HpaScalingRules } from './hpa-behavior.js';

/*
 * The HorizontalPodAutoscaler controller for one HPA with one external AverageValue metric, as
 * kubernetes `pkg/controller/podautoscaler/horizontal.go` and `replica_calculator.go` compute it.
 * Times are integer milliseconds: the controller compares timestamps exactly (`After`, `Before`),
 * and so must the model, or an event exactly one period old counts in one sync and not the next.
 */

/** Legacy normalization (`normalizeDesiredReplicas`, `scaleUpLimitFactor`, `scaleUpLimitMinimum`). */
const LEGACY_DOWNSCALE_STABILIZATION_MS = 300_000;
const SCALE_UP_LIMIT_FACTOR = 2;
const SCALE_UP_LIMIT_MINIMUM = 4;

interface Recommendation {
  atMs: number;
  replicas: number;
}

interface ScaleEvent {
  atMs: number;
  change: number;
}

export interface HpaSettings {
  readonly minReplicas: number;
  readonly maxReplicas: number;
  readonly tolerance: number;
  readonly behavior: HpaBehavior | null;
}

function assertWholeMs(nowMs: number): void {
  if (!Number.isInteger(nowMs)) throw new RangeError(`HPA time must be whole milliseconds, got ${nowMs}`);
}

/** `sync` is one reconcile; the caller runs it every sync period and applies the returned count. */
export class HorizontalPodAutoscaler {
  private readonly recommendations: Recommendation[] = [];
  private readonly scaleUpEvents: ScaleEvent[] = [];
  private readonly scaleDownEvents: ScaleEvent[] = [];

  constructor(private readonly settings: HpaSettings) {}

  /**
   * One reconcile at `nowMs`. `specReplicas` is the scale target's `spec.replicas` (the HPA's
   * "current"), `statusReplicas` its pod count; `readMetric` returns the summed external metric,
   * or null when it cannot be read, and is called only when the HPA would read it. Returns the new
   * replica count, or null when the HPA leaves the target alone.
   */
  sync(nowMs: number, specReplicas: number, statusReplicas: number, target: number, readMetric: () => number | null): number | null {
    assertWholeMs(nowMs);
    const { minReplicas, maxReplicas } = this.settings;
    // At 0 replicas the HPA reads no metrics: condition ScalingActive=False, "ScalingDisabled".
    if (specReplicas === 0 && minReplicas !== 0) return null;
    let desired: number;
    if (specReplicas > maxReplicas) desired = maxReplicas;
    else if (specReplicas < minReplicas) desired = minReplicas;
    else {
      // Within bounds: the only case that reads the metric (`readsMetric`).
      const usage = readMetric();
      // A failed metric read leaves the target as it is (`computeReplicasForMetrics` errors).
      if (usage === null) return null;
      const proposal = this.proposal(usage, target, statusReplicas);
      desired =
        this.settings.behavior === null
          ? this.normalizeLegacy(nowMs, specReplicas, proposal)
          : this.normalizeWithBehavior(nowMs, specReplicas, proposal, this.settings.behavior);
    }
    if (desired === specReplicas) return null;
    this.storeScaleEvent(nowMs, specReplicas, desired);
    return desired;
  }

  /**
   * Whether a reconcile at `specReplicas` reads the metric: not at 0 (scaling disabled), not outside
   * [minReplicas, maxReplicas] (it just clamps).
   */
  readsMetric(specReplicas: number): boolean {
    const { minReplicas, maxReplicas } = this.settings;
    return !(specReplicas === 0 && minReplicas !== 0) && specReplicas >= minReplicas && specReplicas <= maxReplicas;
  }

  /**
   * `GetExternalPerPodMetricReplicas`: while (1 − tolerance) ≤ usage / (target × statusReplicas)
   * ≤ (1 + tolerance) nothing changes, otherwise ceil(usage / target). Both bounds inclusive, as in
   * Kubernetes ≥ 1.33's per-direction tolerances, so 11 on 10 replicas stays at 10.
   */
  private proposal(usage: number, target: number, statusReplicas: number): number {
    const ratio = usage / (target * statusReplicas);
    const { tolerance } = this.settings;
    if (1 - tolerance <= ratio && ratio <= 1 + tolerance) return statusReplicas;
    return Math.ceil(usage / target);
  }

  /**
   * Behavior unset (what KEDA creates without `advanced.horizontalPodAutoscalerConfig.behavior`):
   * the max of the last 5 minutes' recommendations (`stabilizeRecommendation`), then clamp to
   * [minReplicas, min(maxReplicas, max(2 × current, 4))] (`normalizeDesiredReplicas`).
   */
  private normalizeLegacy(nowMs: number, current: number, proposal: number): number {
    const cutoff = nowMs - LEGACY_DOWNSCALE_STABILIZATION_MS;
    let stabilized = proposal;
    let oldIndex = -1;
    for (let i = 0; i < this.recommendations.length; i++) {
      const rec = this.recommendations[i] as Recommendation;
      if (rec.atMs < cutoff) oldIndex = i;
      else if (rec.replicas > stabilized) stabilized = rec.replicas;
    }
    this.record(oldIndex, nowMs, proposal);
    const scaleUpLimit = Math.max(SCALE_UP_LIMIT_FACTOR * current, SCALE_UP_LIMIT_MINIMUM);
    const maximum = Math.min(this.settings.maxReplicas, scaleUpLimit);
    if (stabilized < this.settings.minReplicas) return this.settings.minReplicas;
    if (stabilized > maximum) return maximum;
    return stabilized;
  }

  /**
   * `normalizeDesiredReplicasWithBehaviors`: stabilization windows (`stabilizeRecommendationWithBehaviors`),
   * then rate policies (`convertDesiredReplicasWithBehaviorRate`).
   */
  private normalizeWithBehavior(nowMs: number, current: number, proposal: number, behavior: HpaBehavior): number {
    const upCutoff = nowMs - behavior.scaleUp.stabilizationWindowSeconds * 1000;
    const downCutoff = nowMs - behavior.scaleDown.stabilizationWindowSeconds * 1000;
    let up = proposal;
    let down = proposal;
    let oldIndex = -1;
    for (let i = 0; i < this.recommendations.length; i++) {
      const rec = this.recommendations[i] as Recommendation;
      if (rec.atMs > upCutoff) up = Math.min(up, rec.replicas);
      if (rec.atMs > downCutoff) down = Math.max(down, rec.replicas);
      if (rec.atMs < upCutoff && rec.atMs < downCutoff) oldIndex = i;
    }
    let recommendation = current;
    if (recommendation < up) recommendation = up;
    if (recommendation > down) recommendation = down;
    this.record(oldIndex, nowMs, proposal);

    const { minReplicas, maxReplicas } = this.settings;
    if (recommendation > current) {
      let limit = this.rateLimit(nowMs, current, behavior.scaleUp, true);
      if (limit < current) limit = current;
      const maximum = Math.min(maxReplicas, limit);
      return Math.min(recommendation, maximum);
    }
    if (recommendation < current) {
      let limit = this.rateLimit(nowMs, current, behavior.scaleDown, false);
      if (limit > current) limit = current;
      const minimum = Math.max(minReplicas, limit);
      return Math.max(recommendation, minimum);
    }
    return recommendation;
  }

  private record(oldIndex: number, nowMs: number, replicas: number): void {
    if (oldIndex >= 0) this.recommendations[oldIndex] = { atMs: nowMs, replicas };
    else this.recommendations.push({ atMs: nowMs, replicas });
  }

  /**
   * `calculateScaleUpLimitWithScalingRules` (`up`) and `calculateScaleDownLimitWithBehaviors`: the
   * furthest the replicas may move this sync. selectPolicy Max picks the policy allowing the most
   * change (the highest limit up, the lowest down), Min the least.
   */
  private rateLimit(nowMs: number, current: number, rules: HpaScalingRules, up: boolean): number {
    if (rules.selectPolicy === 'Disabled') return current;
    const highest = (rules.selectPolicy === 'Max') === up;
    let result = highest ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
    for (const policy of rules.policies) {
      const start = this.periodStart(nowMs, current, policy.periodSeconds);
      const proposed = up
        ? policy.type === 'Pods' ? start + policy.value : Math.ceil(start * (1 + policy.value / 100))
        : policy.type === 'Pods' ? start - policy.value : Math.trunc(start * (1 - policy.value / 100));
      result = highest ? Math.max(result, proposed) : Math.min(result, proposed);
    }
    return result;
  }

  /**
   * current − added + removed within the period (`getReplicasChangePerPeriod` counts events strictly
   * after now − period): the replicas when the period began.
   */
  private periodStart(nowMs: number, current: number, periodSeconds: number): number {
    const cutoff = nowMs - periodSeconds * 1000;
    let added = 0;
    let removed = 0;
    for (const event of this.scaleUpEvents) if (event.atMs > cutoff) added += event.change;
    for (const event of this.scaleDownEvents) if (event.atMs > cutoff) removed += event.change;
    return current - added + removed;
  }

  /**
   * `storeScaleEvent`: kept only when behavior is set; events older than the longest policy
   * period are recycled. KEDA's own 0↔N changes bypass the HPA and are not recorded.
   */
  private storeScaleEvent(nowMs: number, previous: number, next: number): void {
    const behavior = this.settings.behavior;
    if (behavior === null) return;
    const up = next > previous;
    const events = up ? this.scaleUpEvents : this.scaleDownEvents;
    const rules = up ? behavior.scaleUp : behavior.scaleDown;
    let longestMs = 0;
    for (const policy of rules.policies) longestMs = Math.max(longestMs, policy.periodSeconds * 1000);
    const event = { atMs: nowMs, change: Math.abs(next - previous) };
    const outdated = events.findIndex((e) => e.atMs < nowMs - longestMs);
    if (outdated >= 0) events[outdated] = event;
    else events.push(event);
  }
}
