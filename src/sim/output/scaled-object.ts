import type { HpaBehavior, HpaScalingRules } from '../../core/hpa-behavior.js';
import type { SimConfig } from '../model/config.js';

/*
 * A simulated configuration as the ScaledObject that sets it (README "ScaledObject"): KEDA's
 * fields, the HPA behavior KEDA passes on, and the trigger's metadata as this scaler reads it.
 * What the simulation cannot know (scalerAddress, workerPodSelector, fallback) is left for the
 * user to keep as they have it.
 */

/** The recommendation as JSON: the ScaledObject spec fields the simulation decides. */
export interface ScaledObjectSettings {
  readonly pollingInterval: number;
  readonly cooldownPeriod: number;
  readonly initialCooldownPeriod: number;
  readonly minReplicaCount: number;
  readonly maxReplicaCount: number;
  readonly advanced: { readonly horizontalPodAutoscalerConfig: { readonly behavior: HpaBehavior } } | null;
  readonly trigger: {
    readonly type: SimConfig['trigger'];
    readonly metadata: Readonly<Record<string, string>>;
  };
}

function triggerMetadata(config: SimConfig, queues: readonly string[]): Record<string, string> {
  return {
    queues: queues.join(','),
    workerConcurrency: String(config.workerConcurrency),
    minReplicaCount: String(config.minReplicaCount),
    maxReplicaCount: String(config.maxReplicaCount),
    ...(config.activationThreshold > 0 ? { activationThreshold: String(config.activationThreshold) } : {}),
    scaleIn: config.scaleInPolicy,
    // Only when on: without the key the scaler's default is off, and the lead and history mean nothing.
    ...(config.prewarm === 'schedule'
      ? { prewarm: config.prewarm, prewarmLeadSeconds: String(config.prewarmLeadSeconds), prewarmHistoryRuns: String(config.prewarmHistoryRuns) }
      : {}),
  };
}

export function scaledObjectSettings(config: SimConfig, workloadQueues: readonly string[]): ScaledObjectSettings {
  return {
    pollingInterval: config.pollingInterval,
    cooldownPeriod: config.cooldownPeriod,
    initialCooldownPeriod: config.initialCooldownPeriod,
    minReplicaCount: config.minReplicaCount,
    maxReplicaCount: config.maxReplicaCount,
    advanced: config.hpaBehavior === null ? null : { horizontalPodAutoscalerConfig: { behavior: config.hpaBehavior } },
    trigger: { type: config.trigger, metadata: triggerMetadata(config, config.queues ?? workloadQueues) },
  };
}

function rulesYaml(name: string, rules: HpaScalingRules, indent: string): string[] {
  return [
    `${indent}${name}:`,
    `${indent}  stabilizationWindowSeconds: ${rules.stabilizationWindowSeconds}`,
    `${indent}  selectPolicy: ${rules.selectPolicy}`,
    `${indent}  policies:`,
    ...rules.policies.map((p) => `${indent}    - {type: ${p.type}, value: ${p.value}, periodSeconds: ${p.periodSeconds}}`),
  ];
}

/** The fragment of a ScaledObject's `spec` to paste, with comments where the user keeps their own. */
export function scaledObjectYaml(settings: ScaledObjectSettings): string {
  const lines = [
    'spec:',
    `  pollingInterval: ${settings.pollingInterval}`,
    `  cooldownPeriod: ${settings.cooldownPeriod}`,
    ...(settings.initialCooldownPeriod > 0 ? [`  initialCooldownPeriod: ${settings.initialCooldownPeriod}`] : []),
    `  minReplicaCount: ${settings.minReplicaCount}`,
    `  maxReplicaCount: ${settings.maxReplicaCount}`,
  ];
  if (settings.advanced === null) {
    lines.push('  # no advanced...behavior: the HPA\'s legacy scaling');
  } else {
    const behavior = settings.advanced.horizontalPodAutoscalerConfig.behavior;
    lines.push(
      '  advanced:',
      '    horizontalPodAutoscalerConfig:',
      '      behavior:',
      ...rulesYaml('scaleUp', behavior.scaleUp, '        '),
      ...rulesYaml('scaleDown', behavior.scaleDown, '        '),
    );
  }
  lines.push(
    '  triggers:',
    `    - type: ${settings.trigger.type}`,
    '      metricType: AverageValue',
    '      metadata:',
    '        # scalerAddress, workerPodSelector: keep yours',
    // Quoted: metadata values are strings, and YAML 1.1 would read `off` as false and 16 as a number.
    ...Object.entries(settings.trigger.metadata).map(([key, value]) => `        ${key}: ${JSON.stringify(value)}`),
  );
  return `${lines.join('\n')}\n`;
}
