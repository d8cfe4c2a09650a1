/**
 * The parts of KEDA's kinds the tests read (kedacore/keda apis/keda/v1alpha1). Their shape is
 * checked against KEDA v2.20.2's CRDs by support/keda-schema.ts; these types only name fields.
 */
export interface IScaledObject {
  apiVersion: 'keda.sh/v1alpha1';
  kind: 'ScaledObject';
  metadata?: { name?: string; namespace?: string; labels?: Record<string, string> };
  spec: {
    scaleTargetRef: { apiVersion?: string; kind?: string; name: string };
    pollingInterval?: number;
    cooldownPeriod?: number;
    minReplicaCount?: number;
    maxReplicaCount?: number;
    fallback?: { failureThreshold: number; replicas: number; behavior?: string };
    advanced?: {
      restoreToOriginalReplicaCount?: boolean;
      horizontalPodAutoscalerConfig?: { behavior?: { scaleDown?: { stabilizationWindowSeconds?: number } } };
    };
    triggers: {
      type: string;
      metricType?: string;
      metadata: Record<string, string>;
      authenticationRef?: { name: string; kind?: string };
    }[];
  };
}

export interface ITriggerAuthentication {
  apiVersion: 'keda.sh/v1alpha1';
  kind: 'TriggerAuthentication';
  metadata?: { name?: string; namespace?: string };
  spec: { secretTargetRef?: { parameter: string; name: string; key: string }[] };
}
