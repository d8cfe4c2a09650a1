/*
 * `spec.behavior` of an autoscaling/v2 HorizontalPodAutoscaler, which KEDA copies from the
 * ScaledObject's `advanced.horizontalPodAutoscalerConfig.behavior`. Durations are in seconds, as
 * in the API.
 */

export type PolicyType = 'Pods' | 'Percent';
export type SelectPolicy = 'Max' | 'Min' | 'Disabled';

export interface HpaScalingPolicy {
  readonly type: PolicyType;
  readonly value: number;
  readonly periodSeconds: number;
}

/** One direction of `spec.behavior` after Kubernetes defaulting: every field is present. */
export interface HpaScalingRules {
  readonly stabilizationWindowSeconds: number;
  readonly selectPolicy: SelectPolicy;
  readonly policies: readonly HpaScalingPolicy[];
}

export interface HpaBehavior {
  readonly scaleUp: HpaScalingRules;
  readonly scaleDown: HpaScalingRules;
}

/** `behavior` as a user writes it: any field may be missing. */
export interface PartialScalingRules {
  readonly stabilizationWindowSeconds?: number | undefined;
  readonly selectPolicy?: SelectPolicy | undefined;
  readonly policies?: readonly HpaScalingPolicy[] | undefined;
}

export interface PartialHpaBehavior {
  readonly scaleUp?: PartialScalingRules | undefined;
  readonly scaleDown?: PartialScalingRules | undefined;
}

/** Kubernetes' controller default for a nil scale-down window (`--horizontal-pod-autoscaler-downscale-stabilization`). */
export const DEFAULT_DOWNSCALE_STABILIZATION_SECONDS = 300;

/**
 * Fills the fields Kubernetes defaults when `behavior` is set (kubernetes
 * `pkg/apis/autoscaling/v2/defaults.go`, `SetDefaults_HorizontalPodAutoscalerBehavior`): scale-up window 0, Max of `Pods 4/15s` and
 * `Percent 100/15s`; scale-down Max of `Percent 100/15s`, and a missing window takes the
 * controller's 300 s (`maybeInitScaleDownStabilizationWindow`). Given policies replace the
 * defaults wholesale, as the API server does.
 */
export function defaultBehavior(partial: PartialHpaBehavior): HpaBehavior {
  const up = partial.scaleUp ?? {};
  const down = partial.scaleDown ?? {};
  return {
    scaleUp: {
      stabilizationWindowSeconds: up.stabilizationWindowSeconds ?? 0,
      selectPolicy: up.selectPolicy ?? 'Max',
      policies: up.policies ?? [
        { type: 'Pods', value: 4, periodSeconds: 15 },
        { type: 'Percent', value: 100, periodSeconds: 15 },
      ],
    },
    scaleDown: {
      stabilizationWindowSeconds: down.stabilizationWindowSeconds ?? DEFAULT_DOWNSCALE_STABILIZATION_SECONDS,
      selectPolicy: down.selectPolicy ?? 'Max',
      policies: down.policies ?? [{ type: 'Percent', value: 100, periodSeconds: 15 }],
    },
  };
}

