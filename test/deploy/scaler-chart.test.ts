import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { load } from 'js-yaml';
import { describe, expect, it } from 'vitest';

import { ENV_VARS, parseConfig } from '../../src/core/config.js';
import { parseScalerMetadata } from '../../src/core/metadata.js';
import { DEPLOY_DIR, INSTALL_VALUES_WITH_SETS, WORKER_SET_LABEL, at, kustomize, ofKind, selectorMatches, single, validateManifest } from './helpers.js';
import type { Manifest } from './helpers.js';
import { COST, admit, changed, workerPod } from './support/admission.js';
import type { IScaledObject } from './support/keda-types.js';
import { ingressAllowed, podOf } from './support/network-policy.js';
import { helmBinaries, renderAirflowChart, renderScalerChart, scalerChart } from './support/render.js';

/**
 * deploy/chart/airflow-keda-scaler, linted and rendered by real Helm 3 and 4, every object
 * validated strictly, and checked against the official chart's real output for the same
 * release: its ScaledObjects target the release's worker Deployments and select their pods.
 */
const IMAGE = { repository: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/airflow-keda-scaler', tag: '0.1.0' };
const WORKER_SETS = [
  { name: 'default', queue: 'default', minReplicaCount: 0, maxReplicaCount: 10, fallbackReplicas: 2 },
  { name: 'highcpu', queue: 'highcpu', minReplicaCount: 0, maxReplicaCount: 20, fallbackReplicas: 1 },
  { name: 'highmem', queue: 'highmem', minReplicaCount: 0, maxReplicaCount: 5, fallbackReplicas: 1 },
];

type Env = { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string; optional?: boolean } } };
const container = (manifests: readonly Manifest[]): { env: Env[]; image: string } =>
  (at(single(manifests, 'Deployment'), 'spec.template.spec.containers') as { env: Env[]; image: string }[])[0]!;

describe.each(helmBinaries().map((h) => [`Helm ${h.version}`, h] as const))('the scaler chart under %s', (_name, helm) => {
  it('passes helm lint --strict', () => {
    const lint = scalerChart(helm, { lint: true, values: { image: IMAGE } });
    expect(lint.stdout + lint.stderr).toContain('1 chart(s) linted, 0 chart(s) failed');
    expect(lint.status).toBe(0);
  });

  // values.schema.json: helm lint and helm template both refuse these.
  it.each<[string, Record<string, unknown>, RegExp]>([
    ['an unknown key', { image: IMAGE, replicas: 3 }, /replicas/],
    ['a misspelt nested key', { image: IMAGE, scaledObject: { coolDownPeriod: 60 } }, /coolDownPeriod/],
    ['a count that is not a number', { image: IMAGE, workerSets: [{ ...WORKER_SETS[0], maxReplicaCount: 'ten' }] }, /maxReplicaCount/],
    ['an unknown scale-in policy', { image: IMAGE, scaledObject: { scaleIn: 'sometimes' } }, /scaleIn/],
    ['an invalid release name', { image: IMAGE, airflow: { release: 'Air_Flow' } }, /release/],
    ['a digest that is not sha256', { image: { ...IMAGE, digest: 'md5:abc' } }, /digest/],
  ])('refuses %s, naming it (schema)', (_label, values, message) => {
    const lint = scalerChart(helm, { lint: true, values });
    expect(lint.status).not.toBe(0);
    expect(lint.stdout + lint.stderr).toMatch(message);
    const template = scalerChart(helm, { values });
    expect(template.status).not.toBe(0);
    expect(template.stderr).toMatch(message);
  });

  // The templates' own checks (`fail`; helm lint stubs `fail` out, so helm template shows them).
  it.each<[string, Record<string, unknown>, RegExp]>([
    ['no image', {}, /image\.repository is required/],
    ['a tag-less image', { image: { ...IMAGE, tag: '' } }, /image\.tag or image\.digest is required/],
    ['min above max', { image: IMAGE, workerSets: [{ ...WORKER_SETS[0], minReplicaCount: 5, maxReplicaCount: 2 }] }, /minReplicaCount \(5\) is above maxReplicaCount \(2\)/],
    ['a worker set twice', { image: IMAGE, workerSets: [WORKER_SETS[0], WORKER_SETS[0]] }, /the name "default" appears twice/],
    ['no metastore credentials', { image: IMAGE, metastore: { urlSecret: { name: '', key: 'connection' } } }, /metastore\.urlSecret\.name .* or metastore\.passwordSecret\.name/],
  ])('refuses %s, naming it (template)', (_label, values, message) => {
    const template = scalerChart(helm, { values });
    expect(template.status).not.toBe(0);
    expect(template.stderr).toMatch(message);
  });

  const manifests = renderScalerChart(helm, {
    image: IMAGE,
    workerSets: WORKER_SETS,
    monitoring: { serviceMonitor: { enabled: true }, prometheusRule: { enabled: true }, dashboard: { enabled: true } },
  });

  it('renders every object the scaler needs, each valid (KEDA v2.20.2 CRDs, Kubernetes schema, unknown fields are errors)', () => {
    expect(manifests.map((m) => `${m.kind}/${m.metadata.name}`).sort()).toEqual([
      'ConfigMap/airflow-keda-scaler-config', 'ConfigMap/airflow-keda-scaler-dashboard', 'Deployment/airflow-keda-scaler', 'NetworkPolicy/airflow-keda-scaler', 'NetworkPolicy/airflow-keda-scaler-to-redis',
      'PodDisruptionBudget/airflow-keda-scaler', 'PrometheusRule/airflow-keda-scaler', 'Role/airflow-keda-scaler', 'RoleBinding/airflow-keda-scaler',
      'ScaledObject/airflow-worker', 'ScaledObject/airflow-worker-highcpu', 'ScaledObject/airflow-worker-highmem', 'Service/airflow-keda-scaler',
      'ServiceAccount/airflow-keda-scaler', 'ServiceMonitor/airflow-keda-scaler', 'ValidatingAdmissionPolicy/airflow-keda-scaler.airflow',
      'ValidatingAdmissionPolicyBinding/airflow-keda-scaler.airflow',
    ]);
    for (const manifest of manifests) validateManifest(manifest);
  });

  it("its ScaledObjects target the release's worker Deployments and select exactly their own set's pods (the Airflow chart's real output)", () => {
    const airflow = renderAirflowChart(helm, { values: INSTALL_VALUES_WITH_SETS });
    const workers = airflow.filter((m) => m.kind === 'Deployment' && m.metadata.labels?.['component'] === 'worker');
    expect(workers).toHaveLength(3);
    for (const so of ofKind<IScaledObject & Manifest>(manifests, 'ScaledObject')) {
      const metadata = so.spec.triggers[0]!.metadata;
      const target = single(workers, 'Deployment', so.spec.scaleTargetRef.name);
      for (const worker of workers) {
        const labels = at(worker, 'spec.template.metadata.labels') as Record<string, string>;
        expect(selectorMatches(metadata['workerPodSelector']!, labels), `${so.metadata.name} vs ${worker.metadata.name}`).toBe(worker === target);
      }
      const parsed = parseScalerMetadata(metadata, new Set(['default']));
      expect(parsed.unknownKeys).toEqual([]);
      expect(parsed.spec.scaleIn).toEqual({ policy: 'drain', podSelector: metadata['workerPodSelector'] });
      expect(parsed.spec.workerConcurrency).toBe(16);
      expect(metadata['scalerAddress']).toBe('airflow-keda-scaler.airflow.svc.cluster.local:9090');
      const set = WORKER_SETS.find((s) => (s.name === 'default' ? 'airflow-worker' : `airflow-worker-${s.name}`) === target.metadata.name)!;
      expect(so.spec.fallback).toEqual({ failureThreshold: 3, replicas: set.fallbackReplicas, behavior: 'currentReplicasIfHigher' });
      expect([so.spec.minReplicaCount, so.spec.maxReplicaCount, metadata['queues']]).toEqual([set.minReplicaCount, set.maxReplicaCount, set.queue]);
    }
    expect(WORKER_SET_LABEL).toBe('airflow-keda-scaler/worker-set');
  });

  it('starts: the config file and environment are ones the scaler accepts, URL Secret or password file', () => {
    const configMap = single(manifests, 'ConfigMap', 'airflow-keda-scaler-config');
    const file = load((at(configMap, 'data') as Record<string, string>)['config.yaml']!);
    // What a Secret reference stands for: a value only the cluster has; any valid one will do.
    const standIns: Record<string, string> = {
      SCALER_DATABASE_URL: 'postgresql://airflow_keda_scaler:x@airflow-pgbouncer.airflow:6543/airflow-metadata',
      SCALER_BROKER_URL: 'redis://:x@airflow-redis:6379/0',
    };
    const env = Object.fromEntries(container(manifests).env.map((e) => [e.name, e.value ?? standIns[e.name]!]));
    for (const name of Object.keys(env)) expect(Object.keys(ENV_VARS), name).toContain(name);
    const config = parseConfig({ file, env: { ...env, KUBERNETES_SERVICE_HOST: '172.20.0.1' } });
    expect(config.scaleIn.lease.name).toBe('airflow-keda-scaler');
    expect(container(manifests).image).toBe(`${IMAGE.repository}:${IMAGE.tag}`);

    const withFile = renderScalerChart(helm, { image: { ...IMAGE, digest: `sha256:${'a'.repeat(64)}` }, metastore: { passwordSecret: { name: 'scaler-db', key: 'password' } } });
    const fileEnv = Object.fromEntries(container(withFile).env.filter((e) => e.value !== undefined).map((e) => [e.name, e.value!]));
    expect(fileEnv['SCALER_DATABASE_URL']).toBe('postgresql://airflow_keda_scaler@airflow-pgbouncer.airflow:6543/airflow-metadata?sslmode=disable');
    const read: string[] = [];
    const parsed = parseConfig({ file, env: fileEnv, readSecretFile: (path) => (read.push(path), 'p@ss:word/with#chars') });
    expect(read).toEqual([fileEnv['SCALER_DATABASE_PASSWORD_FILE']]);
    expect(parsed.metastores.map((m) => m.name)).toEqual(['default']);
    const volumes = at(single(withFile, 'Deployment'), 'spec.template.spec.volumes') as { secret?: { secretName: string; items: { key: string; path: string }[] } }[];
    expect(volumes.find((v) => v.secret !== undefined)!.secret).toMatchObject({ secretName: 'scaler-db', items: [{ key: 'password', path: 'password' }] });
    expect(container(withFile).image).toBe(`${IMAGE.repository}@sha256:${'a'.repeat(64)}`);
  });

  it("the broker URL is the release's <release>-broker-url Secret, optional", () => {
    expect(container(manifests).env.find((e) => e.name === 'SCALER_BROKER_URL')!.valueFrom!.secretKeyRef).toEqual({ name: 'airflow-broker-url', key: 'connection', optional: true });
  });

  it('RBAC: pods, and its own Lease by name; the admission policy is the kustomize one, for its account', () => {
    expect(at(single(manifests, 'Role'), 'rules')).toEqual(at(single(kustomize(join(DEPLOY_DIR, 'base')), 'Role'), 'rules'));
    const policy = single(manifests, 'ValidatingAdmissionPolicy');
    const base = single(kustomize(join(DEPLOY_DIR, 'base')), 'ValidatingAdmissionPolicy');
    expect(at(policy, 'spec.validations')).toEqual(at(base, 'spec.validations'));
    expect(at(policy, 'spec.variables')).toEqual(at(base, 'spec.variables'));
    const pod = workerPod('airflow');
    const user = 'system:serviceaccount:airflow:airflow-keda-scaler';
    expect(admit(manifests, { username: user, operation: 'UPDATE', namespace: 'airflow', oldObject: pod, object: changed(pod, (p) => (p.metadata.annotations[COST] = '-3')) })).toEqual([]);
    expect(admit(manifests, { username: user, operation: 'UPDATE', namespace: 'airflow', oldObject: pod, object: changed(pod, (p) => (p.spec.containers[0].image = 'x')) })).toHaveLength(1);
  });

  it('NetworkPolicies: KEDA reaches the scaler; with the Airflow chart\'s policies on, the scaler reaches Redis through the additive policy', () => {
    const airflow = renderAirflowChart(helm, { values: INSTALL_VALUES_WITH_SETS });
    const policies = [...ofKind(airflow, 'NetworkPolicy'), ...ofKind(manifests, 'NetworkPolicy')];
    const scaler = podOf(single(manifests, 'Deployment'), 'airflow');
    const redis = podOf(single(airflow, 'StatefulSet', 'airflow-redis'), 'airflow');
    expect(ingressAllowed(policies, { namespace: 'keda', labels: { app: 'keda-operator' } }, scaler, 9090)).toBe(true);
    expect(ingressAllowed(policies, { namespace: 'airflow', labels: { app: 'other' } }, scaler, 9090)).toBe(false);
    expect(ingressAllowed(policies, scaler, redis, 6379)).toBe(true);
    expect(ingressAllowed(policies.filter((p) => !p.metadata.name.endsWith('-to-redis')), scaler, redis, 6379)).toBe(false);
    // The Airflow chart's PgBouncer policy admits it through chart-values' extraNetworkPolicies.
    expect(ingressAllowed(policies, scaler, podOf(single(airflow, 'Deployment', 'airflow-pgbouncer'), 'airflow'), 6543)).toBe(true);
  });

  it('the PrometheusRule is the monitoring component\'s, verbatim', () => {
    const component = load(readFileSync(join(DEPLOY_DIR, 'components/monitoring/prometheusrule.yaml'), 'utf8'));
    expect(at(single(manifests, 'PrometheusRule'), 'spec')).toEqual(at(component, 'spec'));
  });

  it('the dashboard ConfigMap carries the Grafana sidecar label, holds the component\'s dashboard, and can go to Grafana\'s namespace', () => {
    const component = readFileSync(join(DEPLOY_DIR, 'components/monitoring/dashboards/airflow-keda-scaler.json'), 'utf8');
    const map = single(manifests, 'ConfigMap', 'airflow-keda-scaler-dashboard');
    expect(at(map, 'metadata.labels')).toMatchObject({ grafana_dashboard: '1', 'app.kubernetes.io/name': 'airflow-keda-scaler' });
    expect(at(map, 'data')).toEqual({ 'airflow-keda-scaler.json': component.trimEnd() });
    const elsewhere = renderScalerChart(helm, { image: IMAGE, monitoring: { dashboard: { enabled: true, namespace: 'monitoring' } } });
    expect(at(single(elsewhere, 'ConfigMap', 'airflow-keda-scaler-dashboard'), 'metadata.namespace')).toBe('monitoring');
    expect(renderScalerChart(helm, { image: IMAGE }).filter((m) => m.metadata.name === 'airflow-keda-scaler-dashboard')).toEqual([]);
  });

  it('monitoring.runbookBaseUrl makes every runbook_url absolute, and nothing else in the rules changes', () => {
    const base = 'https://git.example.com/platform/airflow-keda-scaler/blob/main/README.md';
    const other = renderScalerChart(helm, { image: IMAGE, monitoring: { prometheusRule: { enabled: true }, runbookBaseUrl: base } });
    type Rule = { alert: string; annotations: Record<string, string> };
    const rules = (at(single(other, 'PrometheusRule'), 'spec.groups') as { rules: Rule[] }[]).flatMap((g) => g.rules);
    const plain = (at(single(manifests, 'PrometheusRule'), 'spec.groups') as { rules: Rule[] }[]).flatMap((g) => g.rules);
    expect(rules.map((r) => r.annotations['runbook_url'])).toEqual(plain.map((r) => r.annotations['runbook_url']!.replace('README.md#', `${base}#`)));
    for (const rule of rules) expect(rule.annotations['runbook_url']).toMatch(/^https:\/\/git\.example\.com\/.*README\.md#[a-z0-9_-]+$/);
    expect(rules.map((r) => ({ ...r, annotations: { ...r.annotations, runbook_url: '' } }))).toEqual(plain.map((r) => ({ ...r, annotations: { ...r.annotations, runbook_url: '' } })));
  });

  it('follows another namespace, release and name', () => {
    const other = renderScalerChart(helm, { image: IMAGE, airflow: { release: 'prod', workerConcurrency: 8 }, fullnameOverride: 'scaler' }, 'data-platform');
    const so = single<IScaledObject & Manifest>(other, 'ScaledObject');
    expect(so.spec.scaleTargetRef.name).toBe('prod-worker');
    expect(so.spec.triggers[0]!.metadata).toMatchObject({ scalerAddress: 'scaler.data-platform.svc.cluster.local:9090', workerConcurrency: '8', workerPodSelector: `component=worker,${WORKER_SET_LABEL}=default,release=prod` });
    expect((at(single(other, 'Role'), 'rules') as { resourceNames?: string[] }[])[2]!.resourceNames).toEqual(['scaler']);
    expect(container(other).env.find((e) => e.name === 'SCALER_LEASE_NAME')!.value).toBe('scaler');
    expect(at(single(other, 'ValidatingAdmissionPolicy'), 'metadata.name')).toBe('scaler.data-platform');
    for (const manifest of other) validateManifest(manifest);
  });
});
