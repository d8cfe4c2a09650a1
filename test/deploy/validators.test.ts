import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { DEPLOY_DIR, kustomize, single, validateManifest } from './helpers.js';
import type { Manifest } from './helpers.js';
import { strictSchema } from './support/keda-schema.js';

/**
 * Negative controls: each validator the deploy tests rely on refuses what the API server (or
 * `kubectl apply --validate=strict`) would refuse or silently drop. If one of these passed, a
 * green "every object is valid" would mean nothing.
 */
const base = kustomize(join(DEPLOY_DIR, 'base'));
const mtls = kustomize(join(DEPLOY_DIR, 'overlays/mtls'));
const monitoring = kustomize(join(DEPLOY_DIR, 'overlays/monitoring'));

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the controls edit plain JSON
function broken(manifest: Manifest, change: (copy: any) => void): Manifest {
  const copy = structuredClone(manifest);
  change(copy);
  return copy;
}

describe('the KEDA v2.20.2 CRD validator (ScaledObject, TriggerAuthentication)', () => {
  const so = single(base, 'ScaledObject');

  it('accepts the kit\'s own ScaledObject and TriggerAuthentication', () => {
    validateManifest(so);
    validateManifest(single(mtls, 'TriggerAuthentication'));
  });

  it.each<[string, (m: any) => void, RegExp]>([ // eslint-disable-line @typescript-eslint/no-explicit-any -- the controls edit plain JSON
    ['fallback.behavior: bogusValue (an enum)', (m) => (m.spec.fallback.behavior = 'bogusValue'), /\/spec\/fallback\/behavior must be equal to one of the allowed values/],
    ['an unknown field in spec', (m) => (m.spec.coolDownPeriod = 60), /\/spec must NOT have additional properties "coolDownPeriod"/],
    ['an unknown field in a trigger', (m) => (m.spec.triggers[0].metdata = {}), /\/spec\/triggers\/0 must NOT have additional properties "metdata"/],
    ['an unknown field deep in advanced', (m) => (m.spec.advanced.horizontalPodAutoscalerConfig.behavior.scaleDown.window = 1), /must NOT have additional properties "window"/],
    ['trigger metadata that is not a string', (m) => (m.spec.triggers[0].metadata.workerConcurrency = 16), /\/spec\/triggers\/0\/metadata\/workerConcurrency must be string/],
    ['a maxReplicaCount below its minimum of 1', (m) => (m.spec.maxReplicaCount = 0), /\/spec\/maxReplicaCount must be >= 1/],
    ['a missing scaleTargetRef', (m) => delete m.spec.scaleTargetRef, /must have required property 'scaleTargetRef'/],
    ['minReplicaCount above maxReplicaCount (the CRD\'s CEL rule)', (m) => (m.spec.minReplicaCount = 20), /minReplicaCount must be less than or equal to maxReplicaCount/],
    ['an unknown metadata field', (m) => (m.metadata.labelz = {}), /\/metadata\/labelz is not an ObjectMeta field/],
  ])('refuses %s', (_label, change, message) => {
    expect(() => validateManifest(broken(so, change))).toThrow(message);
  });

  it('refuses an unknown field in a TriggerAuthentication secretTargetRef', () => {
    const auth = broken(single(mtls, 'TriggerAuthentication'), (m) => (m.spec.secretTargetRef[0].secret = 'x'));
    expect(() => validateManifest(auth)).toThrow(/additional properties "secret"/);
  });

  it('makes absent additionalProperties false, except under x-kubernetes-preserve-unknown-fields', () => {
    expect(strictSchema({ type: 'object', properties: { a: { type: 'string' } } })).toMatchObject({ additionalProperties: false });
    expect(strictSchema({ type: 'object', 'x-kubernetes-preserve-unknown-fields': true })).not.toHaveProperty('additionalProperties');
    expect(strictSchema({ type: 'object', additionalProperties: { type: 'string' } })).toMatchObject({ additionalProperties: { type: 'string' } });
    expect(strictSchema({ 'x-kubernetes-int-or-string': true, anyOf: undefined })).toMatchObject({ anyOf: [{ type: 'integer' }, { type: 'string' }] });
  });
});

describe('the Kubernetes schema validator (core kinds)', () => {
  it.each<[string, string, (m: any) => void, RegExp]>([ // eslint-disable-line @typescript-eslint/no-explicit-any -- the controls edit plain JSON
    ['Deployment', 'a misspelt container field', (m) => (m.spec.template.spec.containers[0].imagePulPolicy = 'Always'), /unknown field\(s\): \/spec\/template\/spec\/containers\/0\/imagePulPolicy/],
    ['Deployment', 'a field at the wrong level', (m) => (m.spec.serviceAccountName = 'x'), /unknown field\(s\): \/spec\/serviceAccountName/],
    ['Deployment', 'replicas as a string', (m) => (m.spec.replicas = 'two'), /replicas/],
    ['Deployment', 'a container without a name', (m) => delete m.spec.template.spec.containers[0].name, /name/],
    ['NetworkPolicy', 'an unknown peer field', (m) => (m.spec.egress[0].to[0].podSelectr = {}), /unknown field\(s\): \/spec\/egress\/0\/to\/0\/podSelectr/],
    ['Role', 'an unknown rule field', (m) => (m.rules[0].verb = ['get']), /unknown field\(s\): \/rules\/0\/verb/],
    ['ValidatingAdmissionPolicy', 'an unknown validation field', (m) => (m.spec.validations[0].expresion = 'true'), /unknown field\(s\): \/spec\/validations\/0\/expresion/],
    ['Service', 'an unknown metadata field', (m) => (m.metadata.annotation = {}), /unknown field\(s\): \/metadata\/annotation/],
  ])('%s: refuses %s', (kind, _label, change, message) => {
    const manifest = single(base, kind, kind === 'ValidatingAdmissionPolicy' ? undefined : 'airflow-keda-scaler');
    validateManifest(manifest);
    expect(() => validateManifest(broken(manifest, change))).toThrow(message);
  });
});

describe('the cert-manager and Prometheus Operator validators', () => {
  it('refuse a wrong type and an unknown metadata field', () => {
    const certificate = mtls.find((m) => m.kind === 'Certificate')!;
    validateManifest(certificate);
    expect(() => validateManifest(broken(certificate, (m) => (m.spec.dnsNames = 'one-name')))).toThrow(/dnsNames/);
    const rule = single(monitoring, 'PrometheusRule');
    validateManifest(rule);
    expect(() => validateManifest(broken(rule, (m) => (m.metadata.lables = {})))).toThrow(/\/metadata\/lables/);
  });

  it('and an unknown kind is an error, not a pass', () => {
    expect(() => validateManifest({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } })).toThrow(/no schema for this kind/);
  });
});
