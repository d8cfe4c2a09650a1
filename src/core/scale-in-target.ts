import type { WorkerSetSpec } from './metadata.js';

/** One ScaledObject's worker set, as scale-in sees it: what to count and which pods are its workers. */
export interface ScaleInTarget {
  readonly key: string;
  readonly namespace: string;
  readonly metricName: string;
  readonly spec: WorkerSetSpec;
}

/**
 * Two ScaledObjects share a plan only if they count the same tasks with the same pods. The metric
 * name already identifies what is counted; the namespace and selector identify the pods.
 */
export function scaleInTargetKey(namespace: string, metricName: string, spec: WorkerSetSpec): string {
  return `${namespace}/${spec.scaleIn.podSelector}/${metricName}`;
}
