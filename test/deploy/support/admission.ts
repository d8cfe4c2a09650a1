import { run } from '@bufbuild/cel';
import type { CelInput } from '@bufbuild/cel';
import { expect } from 'vitest';

import { at, single } from '../helpers.js';
import type { Manifest } from '../helpers.js';

/**
 * A ValidatingAdmissionPolicy and its binding applied to one request as the API server does
 * (https://kubernetes.io/docs/reference/access-authn-authz/validating-admission-policy/):
 * matchConstraints, the binding's namespace selector, matchConditions, variables in order,
 * validations; the CEL run by @bufbuild/cel.
 */
export interface Request {
  username: string;
  operation: 'CREATE' | 'UPDATE' | 'DELETE';
  resource?: string;
  subResource?: string;
  namespace: string;
  oldObject: unknown;
  object: unknown;
}

export function cel(value: unknown): CelInput {
  if (Array.isArray(value)) return value.map(cel);
  if (typeof value === 'object' && value !== null) return new Map(Object.entries(value).map(([k, v]) => [k, cel(v)]));
  if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
  return value as CelInput;
}

/** null: the policy does not apply; otherwise the messages of the failed validations ([] = allowed). */
export function admit(manifests: readonly Manifest[], request: Request): string[] | null {
  const policy = single(manifests, 'ValidatingAdmissionPolicy');
  const binding = single(manifests, 'ValidatingAdmissionPolicyBinding');
  expect(at(binding, 'spec.policyName')).toBe(policy.metadata.name);
  expect(at(binding, 'spec.validationActions')).toEqual(['Deny']);
  const rules = at(policy, 'spec.matchConstraints.resourceRules') as { apiGroups: string[]; apiVersions: string[]; operations: string[]; resources: string[] }[];
  const resource = request.resource ?? 'pods';
  const path = request.subResource === undefined ? resource : `${resource}/${request.subResource}`;
  if (!rules.some((r) => r.apiGroups.includes('') && r.apiVersions.includes('v1') && r.operations.includes(request.operation) && r.resources.includes(path))) return null;
  const namespaceLabels = at(binding, 'spec.matchResources.namespaceSelector.matchLabels') as Record<string, string>;
  if (namespaceLabels['kubernetes.io/metadata.name'] !== request.namespace) return null;
  const activation: Record<string, CelInput> = {
    request: cel({ operation: request.operation, namespace: request.namespace, userInfo: { username: request.username } }),
    oldObject: cel(request.oldObject),
    object: cel(request.object),
  };
  for (const condition of at(policy, 'spec.matchConditions') as { expression: string }[]) {
    if (run(condition.expression, activation) !== true) return null;
  }
  const variables = new Map<string, CelInput>();
  for (const variable of at(policy, 'spec.variables') as { name: string; expression: string }[]) {
    variables.set(variable.name, run(variable.expression, { ...activation, variables: variables }) as CelInput);
  }
  const failed: string[] = [];
  for (const validation of at(policy, 'spec.validations') as { expression: string; message: string }[]) {
    const result = run(validation.expression, { ...activation, variables });
    if (result !== true) failed.push(`${validation.message} (${JSON.stringify(result, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))})`);
  }
  return failed;
}

export const COST = 'controller.kubernetes.io/pod-deletion-cost';

export function workerPod(namespace: string): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'airflow-worker-7c9d8b6f5-x2kqz',
      namespace,
      labels: { tier: 'airflow', component: 'worker', release: 'airflow', 'airflow-keda-scaler/worker-set': 'default', 'pod-template-hash': '7c9d8b6f5' },
      annotations: { 'cluster-autoscaler.kubernetes.io/safe-to-evict': 'false', 'karpenter.sh/do-not-disrupt': 'true' },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'airflow-worker-7c9d8b6f5', uid: 'd5a0', controller: true, blockOwnerDeletion: true }],
    },
    spec: {
      serviceAccountName: 'airflow-worker',
      terminationGracePeriodSeconds: 600,
      containers: [{ name: 'worker', image: 'apache/airflow:3.1.7', args: ['bash', '-c', 'exec airflow celery worker'], resources: { limits: { cpu: '4', memory: '8Gi' } } }],
    },
  };
}

export function changed(pod: Record<string, unknown>, change: (copy: any) => void): Record<string, unknown> { // eslint-disable-line @typescript-eslint/no-explicit-any -- edits a plain JSON object
  const copy = structuredClone(pod);
  change(copy);
  return copy;
}

