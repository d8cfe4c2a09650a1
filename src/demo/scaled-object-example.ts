import { dump } from 'js-yaml';

/** What a ScaledObject for one Celery worker set says, in KEDA's terms (times in seconds). */
export interface ScaledObjectSpec {
  readonly name: string;
  readonly namespace: string;
  /** The worker Deployment (`scaleTargetRef.name`). */
  readonly target: string;
  readonly pollingInterval: number;
  readonly cooldownPeriod: number;
  /** Omitted when null (KEDA's default, 0). */
  readonly initialCooldownPeriod: number | null;
  readonly minReplicaCount: number;
  readonly maxReplicaCount: number;
  readonly fallback: { readonly failureThreshold: number; readonly replicas: number } | null;
  /** `advanced.horizontalPodAutoscalerConfig.behavior`, as Kubernetes spells it; null for none. */
  readonly behavior: object | null;
  readonly triggerType: 'external' | 'external-push';
  /** The trigger's metadata, exactly as KEDA sends it to the scaler. */
  readonly metadata: Readonly<Record<string, string>>;
  /** Comments printed beside metadata keys, besides the standing ones. */
  readonly metadataComments?: Readonly<Record<string, string>>;
}

// Why each trigger key has the value it has, printed beside it.
const METADATA_COMMENTS: Readonly<Record<string, string>> = {
  workerConcurrency: "= the chart's worker_concurrency",
  scaleIn: 'drain surplus workers, then remove',
  prewarm: 'count scheduled runs ahead of their start',
};

function indent(text: string, spaces: number): string {
  return text
    .trimEnd()
    .split('\n')
    .map((line) => `${' '.repeat(spaces)}${line}`)
    .join('\n');
}

/** The ScaledObject as YAML, commented where a value needs a reason. */
export function scaledObjectYaml(so: ScaledObjectSpec): string {
  const fallback =
    so.fallback === null
      ? ''
      : `  fallback:                      # when the scaler answers UNAVAILABLE
    failureThreshold: ${so.fallback.failureThreshold}
    replicas: ${so.fallback.replicas}
    behavior: currentReplicasIfHigher
`;
  const advanced =
    so.behavior === null
      ? ''
      : `  advanced:
    horizontalPodAutoscalerConfig:
      behavior:
${indent(dump(so.behavior), 8)}
`;
  const metadata = Object.entries(so.metadata)
    .map(([key, value]) => {
      const line = `        ${key}: ${JSON.stringify(value)}`;
      const comment = so.metadataComments?.[key] ?? METADATA_COMMENTS[key];
      return comment === undefined ? line : `${line.padEnd(38)} # ${comment}`;
    })
    .join('\n');
  return `apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata:
  name: ${so.name}
  namespace: ${so.namespace}
spec:
  scaleTargetRef:
    kind: Deployment
    name: ${so.target}
  pollingInterval: ${so.pollingInterval}
  cooldownPeriod: ${so.cooldownPeriod}  # idle (no queued or running task) before going to zero
${so.initialCooldownPeriod === null ? '' : `  initialCooldownPeriod: ${so.initialCooldownPeriod}\n`}  minReplicaCount: ${so.minReplicaCount}
  maxReplicaCount: ${so.maxReplicaCount}
${fallback}${advanced}  triggers:
    - type: ${so.triggerType}
      metricType: AverageValue   # explicit: KEDA < 2.18 needs it for fallback
      metadata:
${metadata}
`;
}

/** A ScaledObject for the Airflow chart's default worker Deployment, as the README and deploy/base recommend. */
export function scaledObjectExample(scalerAddress: string): string {
  return scaledObjectYaml({
    name: 'airflow-worker',
    namespace: 'airflow',
    target: 'airflow-worker',
    pollingInterval: 5,
    cooldownPeriod: 660,
    initialCooldownPeriod: null,
    minReplicaCount: 0,
    maxReplicaCount: 10,
    fallback: { failureThreshold: 3, replicas: 2 },
    behavior: { scaleDown: { stabilizationWindowSeconds: 300 } },
    triggerType: 'external-push',
    metadata: {
      scalerAddress,
      queues: 'default',
      workerConcurrency: '16',
      minReplicaCount: '0',
      maxReplicaCount: '10',
      scaleIn: 'drain',
      // Only this set's pods; the worker-set label comes from chart-values (workers.labels).
      workerPodSelector: 'component=worker,airflow-keda-scaler/worker-set=default,release=airflow',
    },
  });
}
