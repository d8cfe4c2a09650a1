/** A ScaledObject for the Airflow chart's default worker Deployment, as the README recommends. */
export function scaledObjectExample(scalerAddress: string): string {
  return `apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata:
  name: airflow-worker
  namespace: airflow
spec:
  scaleTargetRef:
    kind: Deployment
    name: airflow-worker
  pollingInterval: 5
  cooldownPeriod: 660            # idle time before the step to zero (running tasks keep it active)
  minReplicaCount: 0
  maxReplicaCount: 10
  fallback:                      # KEDA applies this when the scaler answers UNAVAILABLE
    failureThreshold: 3
    replicas: 2
    behavior: currentReplicasIfHigher
  advanced:
    horizontalPodAutoscalerConfig:
      behavior:
        scaleDown:
          stabilizationWindowSeconds: 300
  triggers:
    - type: external-push
      metricType: AverageValue   # explicit: KEDA < 2.18 needs it for fallback
      metadata:
        scalerAddress: ${scalerAddress}
        queues: default
        workerConcurrency: "16"  # = config.celery.worker_concurrency of the chart
        minReplicaCount: "0"
        maxReplicaCount: "10"
        scaleIn: drain           # busy surplus workers stop consuming and go once idle
        # Only this set's pods; the worker-set label comes from chart-values (workers.labels).
        workerPodSelector: component=worker,airflow-keda-scaler/worker-set=default,release=airflow
`;
}
