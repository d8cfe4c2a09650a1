import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { ICertificate } from '@kubernetes-models/cert-manager/cert-manager.io/v1/Certificate';
import type { IPrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule';
import type { IServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import { dump, load } from 'js-yaml';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IJob } from 'kubernetes-models/batch/v1/Job';
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import type { IPodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import type { IRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role';
import type { IRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import type { IStorageClass } from 'kubernetes-models/storage.k8s.io/v1/StorageClass';
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IService } from 'kubernetes-models/v1/Service';
import type { IServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { describe, expect, it } from 'vitest';

import { parseConfig } from '../../src/core/config.js';
import { parseScalerMetadata } from '../../src/core/metadata.js';
import { PromMetric } from '../../src/core/metric-names.js';
import { scaledObjectExample } from '../../src/demo/scaled-object-example.js';
import {
  DEPLOY_DIR,
  INSTALL_VALUES_WITH_SETS,
  REPO_ROOT,
  WORKER_SET_LABEL,
  at,
  chartValues,
  helmMerge,
  installerSource,
  kustomize,
  ofKind,
  parseManifests,
  readYamlMap,
  selectorMatches,
  single,
  validateManifest,
  workerPodLabels,
} from './helpers.js';
import type { Manifest } from './helpers.js';
import type { IScaledObject, ITriggerAuthentication } from './support/keda-types.js';
import { renderInstallForTest } from './support/render-install.js';

const SCALER = 'airflow-keda-scaler';
const PROMTOOL = process.env['TEST_PROMTOOL'] ?? 'promtool';
const CHART = chartValues(...INSTALL_VALUES_WITH_SETS);
const WORKER_CONCURRENCY = Number(at(CHART, 'config.celery.worker_concurrency'));

/** What install.sh would apply, with every feature and non-default names. */
const RETARGET = {
  AIRFLOW_NAMESPACE: 'data-platform',
  AIRFLOW_RELEASE: 'prod',
  KEDA_NAMESPACE: 'keda-system',
  MONITORING_NAMESPACE: 'observability',
  SCALER_IMAGE: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/airflow-keda-scaler:0.1.0',
};

const renderInstall = renderInstallForTest;

interface Rendering {
  readonly manifests: Manifest[];
  readonly namespace: string;
  readonly release: string;
  readonly features: ReadonlySet<'worker-sets' | 'mtls' | 'monitoring'>;
}

const cache = new Map<string, Rendering>();
const RENDERINGS: Record<string, () => Rendering> = {
  'deploy/base': () => ({ manifests: kustomize(join(DEPLOY_DIR, 'base')), namespace: 'airflow', release: 'airflow', features: new Set() }),
  'deploy/overlays/worker-sets': () => ({
    manifests: kustomize(join(DEPLOY_DIR, 'overlays/worker-sets')),
    namespace: 'airflow',
    release: 'airflow',
    features: new Set(['worker-sets']),
  }),
  'deploy/overlays/mtls': () => ({
    manifests: kustomize(join(DEPLOY_DIR, 'overlays/mtls')),
    namespace: 'airflow',
    release: 'airflow',
    features: new Set(['mtls']),
  }),
  'deploy/overlays/monitoring': () => ({
    manifests: kustomize(join(DEPLOY_DIR, 'overlays/monitoring')),
    namespace: 'airflow',
    release: 'airflow',
    features: new Set(['monitoring']),
  }),
  'install.sh --render --worker-sets --mtls --monitoring (namespace data-platform, release prod)': () => ({
    manifests: renderInstall(['--worker-sets', '--mtls', '--monitoring'], RETARGET),
    namespace: RETARGET.AIRFLOW_NAMESPACE,
    release: RETARGET.AIRFLOW_RELEASE,
    features: new Set(['worker-sets', 'mtls', 'monitoring']),
  }),
};
const SCALER_RENDERINGS = Object.keys(RENDERINGS);

function rendering(name: string): Rendering {
  let found = cache.get(name);
  if (found === undefined) {
    const make = RENDERINGS[name];
    if (make === undefined) throw new Error(`no rendering ${name}`);
    found = make();
    cache.set(name, found);
  }
  return found;
}

function scalerContainer(manifests: readonly Manifest[]): IContainer {
  const deployment = single<IDeployment>(manifests, 'Deployment', SCALER);
  const container = deployment.spec!.template.spec!.containers.find((c) => c.name === 'scaler');
  if (container === undefined) throw new Error('no scaler container');
  return container;
}

/** What a Secret reference stands for: a value only the cluster has; any valid one will do here. */
const SECRET_STAND_INS: Readonly<Record<string, string>> = {
  SCALER_DATABASE_URL: 'postgresql://airflow_keda_scaler:x@airflow-pgbouncer.airflow:6543/airflow-metadata',
  SCALER_BROKER_URL: 'redis://:x@airflow-redis:6379/0',
};

/**
 * The container's environment as the scaler would see it in the cluster: literal values, a
 * stand-in for each Secret reference (unless `missingSecrets` names it and the reference is
 * optional, as the kubelet then leaves the variable out), plus the API address every pod gets.
 */
function envOf(container: IContainer, missingSecrets: readonly string[] = []): Record<string, string> {
  const env: Record<string, string> = { KUBERNETES_SERVICE_HOST: '172.20.0.1' };
  for (const variable of container.env ?? []) {
    const ref = variable.valueFrom?.secretKeyRef;
    if (ref !== undefined && missingSecrets.includes(ref.name!)) {
      if (ref.optional !== true) throw new Error(`${variable.name}: the pod cannot start without Secret ${ref.name!}`);
      continue;
    }
    const value = variable.value ?? SECRET_STAND_INS[variable.name];
    if (value === undefined) throw new Error(`no stand-in for ${variable.name}`);
    env[variable.name] = value;
  }
  return env;
}

/** Kubernetes memory quantities as bytes (the binary suffixes the kit uses). */
function bytes(quantity: string | number | undefined): number {
  const match = /^([0-9]+)(Ki|Mi|Gi)?$/.exec(String(quantity));
  if (match === null) throw new Error(`unexpected quantity ${String(quantity)}`);
  return Number(match[1]) * { '': 1, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30 }[match[2] ?? '']!;
}

function matches(selector: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean {
  return Object.entries(selector ?? {}).every(([key, value]) => labels?.[key] === value);
}

describe('every rendered manifest validates against the Kubernetes, KEDA, cert-manager and Prometheus Operator schemas', () => {
  it.each(SCALER_RENDERINGS)('%s', (name) => {
    const { manifests } = rendering(name);
    expect(manifests.length).toBeGreaterThan(5);
    for (const manifest of manifests) validateManifest(manifest);
  });

  it.each(SCALER_RENDERINGS)('%s: every object lands in the Airflow namespace, features included', (name) => {
    const { manifests, namespace } = rendering(name);
    for (const manifest of manifests) expect(manifest.metadata.namespace, `${manifest.kind}/${manifest.metadata.name}`).toBe(namespace);
  });

  it('deploy/rds (the grant Job and its SQL ConfigMap)', () => {
    for (const manifest of kustomize(join(DEPLOY_DIR, 'rds'))) validateManifest(manifest);
  });

  it('deploy/efs/storageclass.yaml', () => {
    for (const manifest of parseManifests(readFileSync(join(DEPLOY_DIR, 'efs/storageclass.yaml'), 'utf8'))) validateManifest(manifest);
  });

  it('and the validation is real: a broken ScaledObject, Deployment or unknown kind is refused', () => {
    const so = structuredClone(single(rendering('deploy/base').manifests, 'ScaledObject'));
    (at(so, 'spec.triggers') as Record<string, unknown>[])[0]!['metadata'] = { workerConcurrency: 16 };
    expect(() => validateManifest(so)).toThrow(/must be string/);
    const deployment = structuredClone(single(rendering('deploy/base').manifests, 'Deployment'));
    (at(deployment, 'spec') as Record<string, unknown>)['replicas'] = 'two';
    expect(() => validateManifest(deployment)).toThrow(/replicas/);
    expect(() => validateManifest({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } })).toThrow(/no schema/);
  });
});

describe('the scaler Deployment', () => {
  const manifests = rendering('deploy/base').manifests;
  const deployment = single<IDeployment>(manifests, 'Deployment', SCALER);
  const pod = deployment.spec!.template.spec!;
  const container = scalerContainer(manifests);

  it('runs 2 replicas, never both down during a rollout', () => {
    expect(deployment.spec!.replicas).toBe(2);
    expect(deployment.spec!.strategy?.rollingUpdate?.maxUnavailable).toBe(0);
  });

  it('is non-root, read-only, without capabilities, under seccomp RuntimeDefault', () => {
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(container.securityContext).toMatchObject({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
  });

  it('mounts its ServiceAccount token: scale-in reaches the Kubernetes API in-cluster', () => {
    const account = single<IServiceAccount & Manifest>(manifests, 'ServiceAccount', SCALER);
    expect(pod.serviceAccountName).toBe(account.metadata.name);
    expect(account.automountServiceAccountToken).toBe(true);
    expect(pod.automountServiceAccountToken).toBe(true);
  });

  it("runs as the image's own non-root user and entrypoint (Dockerfile)", () => {
    const dockerfile = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8');
    const user = /^USER (\d+):(\d+)$/m.exec(dockerfile);
    expect(user).not.toBeNull();
    expect(pod.securityContext?.runAsUser).toBe(Number(user![1]));
    expect(pod.securityContext?.runAsGroup).toBe(Number(user![2]));
    expect(dockerfile).toMatch(/^ENTRYPOINT \["\/nodejs\/bin\/node", "dist\/cli\.js"\]$/m);
    expect(container.command).toBeUndefined();
    expect(container.args?.[0]).toBe('serve');
    expect(dockerfile).toMatch(/^EXPOSE 9090 8080$/m);
  });

  it('probes the HTTP health endpoints and has explicit resources', () => {
    expect(container.livenessProbe?.httpGet).toMatchObject({ path: '/healthz', port: 'metrics' });
    expect(container.readinessProbe?.httpGet).toMatchObject({ path: '/readyz', port: 'metrics' });
    expect(container.startupProbe?.httpGet).toMatchObject({ path: '/healthz', port: 'metrics' });
    expect(container.resources?.requests).toMatchObject({ cpu: expect.any(String), memory: expect.any(String) });
    expect(container.resources?.limits).toMatchObject({ cpu: expect.any(String), memory: expect.any(String) });
  });

  it('requests more memory than the ~145 MiB an idle scaler uses with @kubernetes/client-node loaded', () => {
    const request = bytes(container.resources!.requests!['memory']);
    const limit = bytes(container.resources!.limits!['memory']);
    expect(request).toBeGreaterThanOrEqual(192 * 2 ** 20);
    expect(limit).toBeGreaterThanOrEqual(2 * request);
  });

  it('reads the read-only metastore URL from a Secret, never from a literal', () => {
    const url = container.env?.find((e) => e.name === 'SCALER_DATABASE_URL');
    expect(url?.value).toBeUndefined();
    expect(url?.valueFrom?.secretKeyRef).toEqual({ name: 'airflow-keda-scaler-metastore', key: 'connection' });
    expect(readFileSync(join(DEPLOY_DIR, 'install.sh'), 'utf8')).toMatch(/^readonly SECRET_SCALER=airflow-keda-scaler-metastore$/m);
  });

  it('has a config file the scaler accepts, on the ports the container and Service expose, and stops within its grace period', () => {
    const configMap = single<IConfigMap>(manifests, 'ConfigMap');
    const mount = container.volumeMounts?.find((m) => m.name === 'config');
    const volume = pod.volumes?.find((v) => v.name === 'config');
    expect(volume?.configMap?.name).toBe(configMap.metadata!.name);
    expect(container.args).toEqual(['serve', '--config', `${mount!.mountPath}/config.yaml`]);

    const config = parseConfig({ file: load(configMap.data!['config.yaml']!), env: envOf(container) });
    expect(config.grpc.tls).toBeNull();
    expect(config.metastores.map((m) => m.name)).toEqual(['default']);
    const ports = Object.fromEntries((container.ports ?? []).map((p) => [p.name, p.containerPort]));
    expect(ports).toEqual({ grpc: config.grpc.port, metrics: config.http.port });
    expect(config.shutdownTimeoutMs).toBeLessThan(pod.terminationGracePeriodSeconds! * 1000);
  });

  it('configures scale-in: the in-cluster API (auto), 10 patches/s, the broker from SCALER_BROKER_URL', () => {
    const file = load(single<IConfigMap>(manifests, 'ConfigMap').data!['config.yaml']!);
    expect(at(file, 'scaleIn')).toEqual({ kubernetes: 'auto', patchesPerSecond: 10, broker: { replyTimeoutMs: 1000 } });
    const config = parseConfig({ file, env: envOf(container) });
    expect(config.scaleIn).toEqual({
      kubernetes: { kind: 'in-cluster' },
      patchesPerSecond: 10,
      broker: { url: SECRET_STAND_INS['SCALER_BROKER_URL'], replyTimeoutMs: 1000 },
      lease: { name: 'airflow-keda-scaler', namespace: null },
    });
  });

  it('still starts, ranking without draining, when the broker Secret is missing', () => {
    const file = load(single<IConfigMap>(manifests, 'ConfigMap').data!['config.yaml']!);
    const brokerSecret = container.env!.find((e) => e.name === 'SCALER_BROKER_URL')!.valueFrom!.secretKeyRef!.name!;
    const env = envOf(container, [brokerSecret]);
    expect(env).not.toHaveProperty('SCALER_BROKER_URL');
    const config = parseConfig({ file, env });
    expect(config.scaleIn.broker).toBeNull();
    expect(config.scaleIn.kubernetes).toEqual({ kind: 'in-cluster' });
    // The metastore Secret, by contrast, is required: no scaling at all without it.
    expect(() => envOf(container, ['airflow-keda-scaler-metastore'])).toThrow(/cannot start/);
  });
});

describe('scale-in: Kubernetes API access and the Celery broker', () => {
  it.each(SCALER_RENDERINGS)('%s: a Role with get/list/watch/patch on pods and its own Lease only, bound to the scaler ServiceAccount in its namespace', (name) => {
    const { manifests, namespace } = rendering(name);
    const role = single<IRole & Manifest>(manifests, 'Role', SCALER);
    expect(role.rules).toEqual([
      { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch', 'patch'] },
      // Leader election (coordination.k8s.io/v1 Lease "airflow-keda-scaler"): create cannot be
      // limited by name; get and update are, to the scaler's own Lease.
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], resourceNames: ['airflow-keda-scaler'], verbs: ['get', 'update'] },
    ]);
    const binding = single<IRoleBinding & Manifest>(manifests, 'RoleBinding', SCALER);
    expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role.metadata.name });
    const account = single<IServiceAccount & Manifest>(manifests, 'ServiceAccount', SCALER);
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: account.metadata.name, namespace }]);
    expect(single<IDeployment>(manifests, 'Deployment', SCALER).spec!.template.spec!.serviceAccountName).toBe(account.metadata.name);
    expect(manifests.filter((m) => m.kind === 'ClusterRole' || m.kind === 'ClusterRoleBinding')).toEqual([]);
    expect(manifests.filter((m) => m.kind === 'Role' || m.kind === 'RoleBinding')).toHaveLength(2);
  });

  it.each(SCALER_RENDERINGS)("%s: SCALER_BROKER_URL comes from the chart's broker Secret <release>-broker-url, optional", (name) => {
    const { manifests, release } = rendering(name);
    // The chart names it `<release>-broker-url` (key `connection`) unless data.brokerUrlSecretName is set.
    const secretName = (at(CHART, 'data.brokerUrlSecretName') as string | null) ?? `${release}-broker-url`;
    expect(at(CHART, 'redis.enabled')).toBe(true);
    const variable = scalerContainer(manifests).env?.find((e) => e.name === 'SCALER_BROKER_URL');
    expect(variable?.value).toBeUndefined();
    expect(variable?.valueFrom?.secretKeyRef).toEqual({ name: secretName, key: 'connection', optional: true });
  });

  it.each(SCALER_RENDERINGS)("%s: the NetworkPolicy lets the scaler reach the release's Redis on 6379 and the API server on 443", (name) => {
    const { manifests, release } = rendering(name);
    const egress = single<INetworkPolicy>(manifests, 'NetworkPolicy', SCALER).spec!.egress!;
    const redis = egress.filter((rule) => rule.ports?.some((p) => p.port === 6379));
    expect(redis).toEqual([
      { to: [{ podSelector: { matchLabels: { tier: 'airflow', component: 'redis', release } } }], ports: [{ port: 6379, protocol: 'TCP' }] },
    ]);
    // EKS' API endpoints are outside the pod network: no selector, port 443 only (no 6443).
    const api = egress.filter((rule) => rule.ports?.some((p) => p.port === 443));
    expect(api).toEqual([{ ports: [{ port: 443, protocol: 'TCP' }] }]);
    expect(egress.flatMap((rule) => rule.ports ?? []).map((p) => p.port)).not.toContain(6443);
  });
});

describe('Service, PodDisruptionBudget and NetworkPolicy', () => {
  const manifests = rendering('deploy/base').manifests;
  const podLabels = single<IDeployment>(manifests, 'Deployment', SCALER).spec!.template.metadata!.labels;

  it('a headless Service with gRPC 9090 and metrics 8080 selects the scaler pods', () => {
    const service = single<IService>(manifests, 'Service', SCALER);
    expect(service.spec!.clusterIP).toBe('None');
    expect(matches(service.spec!.selector, podLabels)).toBe(true);
    expect(service.spec!.ports?.map((p) => [p.name, p.port, p.targetPort])).toEqual([
      ['grpc', 9090, 'grpc'],
      ['metrics', 8080, 'metrics'],
    ]);
  });

  it('a PodDisruptionBudget keeps one scaler up', () => {
    const pdb = single<IPodDisruptionBudget>(manifests, 'PodDisruptionBudget', SCALER);
    expect(pdb.spec!.minAvailable).toBe(1);
    expect(matches(pdb.spec!.selector?.matchLabels, podLabels)).toBe(true);
  });

  it('the NetworkPolicy admits KEDA to gRPC and Prometheus to metrics, and lets the scaler reach only PgBouncer, DNS, Redis and the API server', () => {
    const policy = single<INetworkPolicy>(manifests, 'NetworkPolicy', SCALER);
    expect(matches(policy.spec!.podSelector.matchLabels, podLabels)).toBe(true);
    expect(policy.spec!.policyTypes).toEqual(['Ingress', 'Egress']);
    const [keda, prometheus] = policy.spec!.ingress!;
    expect(keda!.from).toEqual([
      { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'keda' } }, podSelector: { matchLabels: { app: 'keda-operator' } } },
    ]);
    expect(keda!.ports).toEqual([{ port: 9090, protocol: 'TCP' }]);
    expect(prometheus!.from?.[0]?.namespaceSelector?.matchLabels).toEqual({ 'kubernetes.io/metadata.name': 'monitoring' });
    expect(prometheus!.ports).toEqual([{ port: 8080, protocol: 'TCP' }]);
    // In this order: components/install-target re-targets egress 0 and 2 by position.
    const [pgbouncer, dns, redis, api] = policy.spec!.egress!;
    expect(pgbouncer!.to).toEqual([{ podSelector: { matchLabels: { tier: 'airflow', component: 'pgbouncer', release: 'airflow' } } }]);
    expect(pgbouncer!.ports).toEqual([{ port: 6543, protocol: 'TCP' }]);
    expect(dns!.ports).toEqual([{ port: 53, protocol: 'UDP' }, { port: 53, protocol: 'TCP' }]);
    expect(redis!.to).toEqual([{ podSelector: { matchLabels: { tier: 'airflow', component: 'redis', release: 'airflow' } } }]);
    expect(redis!.ports).toEqual([{ port: 6379, protocol: 'TCP' }]);
    expect(api).toEqual({ ports: [{ port: 443, protocol: 'TCP' }] });
    expect(policy.spec!.egress).toHaveLength(4);
  });

  it("the chart's PgBouncer NetworkPolicy (if enabled) admits the scaler pods", () => {
    const peers = at(CHART, 'pgbouncer.extraNetworkPolicies') as { podSelector: { matchLabels: Record<string, string> } }[];
    expect(peers.some((peer) => matches(peer.podSelector.matchLabels, podLabels))).toBe(true);
  });
});

describe('the ScaledObjects', () => {
  it.each(SCALER_RENDERINGS)('%s: one per worker Deployment, external-push with explicit AverageValue, fallback and scale-down window', (name) => {
    const { manifests, features } = rendering(name);
    const scaledObjects = ofKind<IScaledObject & Manifest>(manifests, 'ScaledObject');
    expect(scaledObjects.length).toBe(features.has('worker-sets') ? 3 : 1);
    expect(new Set(scaledObjects.map((so) => so.spec.scaleTargetRef.name)).size).toBe(scaledObjects.length);
    for (const so of scaledObjects) {
      const spec = so.spec;
      expect(spec.scaleTargetRef).toMatchObject({ apiVersion: 'apps/v1', kind: 'Deployment' });
      expect(spec.pollingInterval).toBeGreaterThan(0);
      expect(spec.cooldownPeriod).toBeGreaterThan(0); // only delays the step to zero: running tasks keep the trigger active
      expect(spec.fallback).toMatchObject({ failureThreshold: 3, behavior: 'currentReplicasIfHigher' });
      expect(spec.fallback!.replicas).toBeGreaterThanOrEqual(1);
      expect(spec.fallback!.replicas).toBeLessThanOrEqual(spec.maxReplicaCount!);
      expect(spec.advanced?.horizontalPodAutoscalerConfig?.behavior?.scaleDown?.stabilizationWindowSeconds).toBeGreaterThan(0);
      expect(spec.triggers).toHaveLength(1);
      expect(spec.triggers[0]).toMatchObject({ type: 'external-push', metricType: 'AverageValue' });
    }
  });

  it.each(SCALER_RENDERINGS)("%s: trigger metadata passes the scaler's own parser and agrees with the chart and the spec", (name) => {
    const { manifests, namespace } = rendering(name);
    const service = single<IService>(manifests, 'Service', SCALER);
    const grpcPort = service.spec!.ports!.find((p) => p.name === 'grpc')!.port;
    for (const so of ofKind<IScaledObject & Manifest>(manifests, 'ScaledObject')) {
      const metadata = so.spec.triggers[0]!.metadata;
      const parsed = parseScalerMetadata(metadata, new Set(['default']));
      expect(parsed.unknownKeys).toEqual([]);
      expect(parsed.spec.workerConcurrency).toBe(WORKER_CONCURRENCY);
      expect(parsed.spec.minReplicaCount).toBe(so.spec.minReplicaCount);
      expect(parsed.spec.maxReplicaCount).toBe(so.spec.maxReplicaCount);
      expect(parsed.spec.queues).toHaveLength(1);
      expect(so.metadata.namespace).toBe(namespace);
      expect(metadata['scalerAddress']).toBe(`${SCALER}.${namespace}.svc.cluster.local:${grpcPort}`);
    }
  });

  it.each(SCALER_RENDERINGS)("%s: each targets the chart's worker Deployment for its queue", (name) => {
    const { manifests, release } = rendering(name);
    const defaultQueue = at(CHART, 'workers.celery.queue') as string;
    const sets = (at(CHART, 'workers.celery.sets') as Record<string, string>[]).map((s) => [s['name'], s['queue']]);
    for (const so of ofKind<IScaledObject & Manifest>(manifests, 'ScaledObject')) {
      const queue = so.spec.triggers[0]!.metadata['queues'];
      const target = so.spec.scaleTargetRef.name;
      if (target === `${release}-worker`) {
        expect(queue).toBe(defaultQueue);
      } else {
        const set = sets.find(([setName]) => target === `${release}-worker-${setName ?? ''}`);
        expect(set, `${target} is no worker set of values-worker-sets.yaml`).toBeDefined();
        expect(queue).toBe(set![1]);
      }
    }
  });

  it.each(SCALER_RENDERINGS)('%s: scale-in is explicit, and each workerPodSelector selects exactly its own worker set’s pods', (name) => {
    const { manifests, release } = rendering(name);
    // Pods of every set (the worker-sets values), of this release and of a second release in the namespace.
    const own = workerPodLabels(CHART, release);
    const other = workerPodLabels(CHART, `other-${release}`);
    expect([...own.keys()]).toEqual(['default', 'highcpu', 'highmem']);
    for (const so of ofKind<IScaledObject & Manifest>(manifests, 'ScaledObject')) {
      const metadata = so.spec.triggers[0]!.metadata;
      expect(metadata['scaleIn'], so.metadata.name).toBe('drain');
      const selector = metadata['workerPodSelector']!;
      expect(parseScalerMetadata(metadata, new Set(['default'])).spec.scaleIn).toEqual({ policy: 'drain', podSelector: selector });
      // install-target re-targets the value after "release=", so it must be the last term.
      expect(selector, so.metadata.name).toMatch(new RegExp(`,release=${release}$`));
      const target = so.spec.scaleTargetRef.name;
      const set = target === `${release}-worker` ? 'default' : target.slice(`${release}-worker-`.length);
      expect(own.has(set), `${so.metadata.name}: ${target} is no worker set`).toBe(true);
      for (const [candidate, labels] of own) {
        expect(selectorMatches(selector, labels), `${so.metadata.name} (${selector}) vs pods of set ${candidate}`).toBe(candidate === set);
      }
      for (const [candidate, labels] of other) {
        expect(selectorMatches(selector, labels), `${so.metadata.name} vs release other-${release}, set ${candidate}`).toBe(false);
      }
    }
  });

  it("the pod-selector check is real: a set without its own labels inherits the default set's and is claimed twice", () => {
    const sets = (at(CHART, 'workers.celery.sets') as Record<string, unknown>[]).map(({ labels: _labels, ...rest }) => rest);
    const unlabelled = workerPodLabels(helmMerge(CHART, { workers: { celery: { sets } } }) as typeof CHART, 'airflow');
    expect(unlabelled.get('highcpu')?.[WORKER_SET_LABEL]).toBe('default');
    const base = single<IScaledObject>(rendering('deploy/base').manifests, 'ScaledObject');
    expect(selectorMatches(base.spec.triggers[0]!.metadata['workerPodSelector']!, unlabelled.get('highcpu')!)).toBe(true);
    // ... while the chart's own labels alone would not tell the default set from the others.
    expect(selectorMatches('component=worker,release=airflow', workerPodLabels(CHART, 'airflow').get('highcpu')!)).toBe(true);
  });

  it('every worker set of values-worker-sets.yaml has exactly one ScaledObject', () => {
    const scaledObjects = ofKind<IScaledObject>(rendering('deploy/overlays/worker-sets').manifests, 'ScaledObject');
    const sets = at(CHART, 'workers.celery.sets') as Record<string, string>[];
    for (const set of sets) {
      const matching = scaledObjects.filter((so) => so.spec.scaleTargetRef.name === `airflow-worker-${set['name'] ?? ''}`);
      expect(matching, set['name']).toHaveLength(1);
    }
  });

  it('workerConcurrency is copied from chart-values/worker-concurrency.yaml, not written in the ScaledObjects', () => {
    for (const file of ['base/scaledobject-airflow-worker.yaml', 'components/worker-sets/scaledobject-airflow-worker-highcpu.yaml']) {
      const source = readYamlMap(join(DEPLOY_DIR, file));
      // "0" is a placeholder the scaler would refuse: a missed replacement fails loudly.
      expect(at((at(source, 'spec.triggers') as unknown[])[0], 'metadata.workerConcurrency'), file).toBe('0');
    }
  });

  it('the default ScaledObject is the one the README and `demo` recommend (src/demo/scaled-object-example.ts)', () => {
    const example = load(scaledObjectExample(`${SCALER}.airflow.svc.cluster.local:9090`)) as IScaledObject;
    const deployed = single<IScaledObject & Manifest>(rendering('deploy/base').manifests, 'ScaledObject');
    expect(deployed.metadata.name).toBe(example.metadata!.name);
    expect(deployed.metadata.namespace).toBe(example.metadata!.namespace);
    const { scaleTargetRef, advanced, triggers, ...rest } = example.spec;
    expect(deployed.spec).toMatchObject(rest);
    expect(deployed.spec.scaleTargetRef).toMatchObject(scaleTargetRef);
    expect(deployed.spec.advanced).toMatchObject(advanced!);
    expect(deployed.spec.triggers).toMatchObject(triggers);
  });
});

describe('the mtls overlay', () => {
  it.each(['deploy/overlays/mtls', SCALER_RENDERINGS.at(-1)!])('%s: KEDA authenticates with a client certificate and verifies the scaler; the scaler requires it', (name) => {
    const { manifests, namespace } = rendering(name);
    const auth = single<ITriggerAuthentication & Manifest>(manifests, 'TriggerAuthentication');
    const certificates = ofKind<ICertificate & Manifest>(manifests, 'Certificate');
    const server = certificates.find((c) => c.spec.usages?.includes('server auth'))!;
    const client = certificates.find((c) => c.spec.usages?.includes('client auth'))!;
    expect(server.spec.issuerRef).toEqual(client.spec.issuerRef);

    const params = Object.fromEntries((auth.spec.secretTargetRef ?? []).map((r) => [r.parameter, [r.name, r.key]]));
    expect(params).toEqual({
      caCert: [client.spec.secretName, 'ca.crt'],
      tlsClientCert: [client.spec.secretName, 'tls.crt'],
      tlsClientKey: [client.spec.secretName, 'tls.key'],
    });
    for (const so of ofKind<IScaledObject>(manifests, 'ScaledObject')) {
      expect(so.spec.triggers[0]!.authenticationRef).toEqual({ name: auth.metadata.name });
      const host = so.spec.triggers[0]!.metadata['scalerAddress']!.split(':')[0];
      expect(server.spec.dnsNames).toContain(host);
    }
    expect(server.spec.dnsNames).toContain(`${SCALER}.${namespace}.svc`);

    const container = scalerContainer(manifests);
    const pod = single<IDeployment>(manifests, 'Deployment', SCALER).spec!.template.spec!;
    const tlsVolume = pod.volumes?.find((v) => v.secret?.secretName === server.spec.secretName);
    const mount = container.volumeMounts?.find((m) => m.name === tlsVolume?.name);
    expect(mount?.readOnly).toBe(true);
    const env = envOf(container);
    expect(env).toMatchObject({
      SCALER_TLS_CERT_FILE: `${mount!.mountPath}/tls.crt`,
      SCALER_TLS_KEY_FILE: `${mount!.mountPath}/tls.key`,
      SCALER_TLS_CLIENT_CA_FILE: `${mount!.mountPath}/ca.crt`,
    });
    const configMap = single<IConfigMap>(manifests, 'ConfigMap');
    const config = parseConfig({ file: load(configMap.data!['config.yaml']!), env });
    expect(config.grpc.tls).toEqual({ certFile: '/tls/tls.crt', keyFile: '/tls/tls.key', clientCaFile: '/tls/ca.crt' });
    // HTTP probes keep working although the gRPC port now demands client certificates.
    expect(container.readinessProbe?.httpGet?.path).toBe('/readyz');
  });
});

describe('the monitoring overlay', () => {
  const manifests = rendering('deploy/overlays/monitoring').manifests;
  const rule = single<IPrometheusRule & Manifest>(manifests, 'PrometheusRule');

  it('scrapes the metrics port of the scaler Service', () => {
    const monitor = single<IServiceMonitor>(manifests, 'ServiceMonitor');
    const service = single<IService & Manifest>(manifests, 'Service', SCALER);
    expect(matches(monitor.spec.selector.matchLabels, service.metadata.labels)).toBe(true);
    const ports = (service.spec!.ports ?? []).map((p) => p.name);
    for (const endpoint of monitor.spec.endpoints) expect(ports).toContain(endpoint.port);
  });

  it('alerts on a stale snapshot, poll errors, workers pinned at max and degraded scale-in, using metrics the scaler exports', () => {
    const alerts = (rule.spec.groups ?? []).flatMap((g) => g.rules ?? []);
    const byName = Object.fromEntries(alerts.map((a): [string, string] => [a.alert ?? a.record ?? '', String(a.expr)]));
    expect(byName['AirflowKedaScalerSnapshotStale']).toContain(`${PromMetric.snapshotFresh} == 0`);
    expect(byName['AirflowKedaScalerPollErrors']).toContain(PromMetric.pollErrorsTotal);
    expect(byName['AirflowKedaScalerPinnedAtMax']).toContain(`${PromMetric.workerSetClamped}{bound="max"}`);
    expect(byName['AirflowKedaScalerScaleInDegraded']).toContain(`${PromMetric.scaleInCapability}) == 0`);
    const exported = new Set<string>(Object.values(PromMetric));
    for (const expr of Object.values(byName)) {
      for (const [metric] of expr.matchAll(/airflow_keda_scaler_[a-z_]+/g)) expect(exported).toContain(metric);
    }
    for (const alert of alerts) {
      expect(alert.for, alert.alert).toMatch(/^[0-9]+m$/);
      expect(alert.labels?.['severity'], alert.alert).toMatch(/^(warning|critical)$/);
    }
  });

  it('passes `promtool check rules` and its unit tests (`promtool test rules`)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'aks-rules-'));
    try {
      const groups = { groups: rule.spec.groups ?? [] };
      writeFileSync(join(dir, 'prometheusrule-groups.yaml'), dump(groups));
      const checked = spawnSync(PROMTOOL, ['check', 'rules', join(dir, 'prometheusrule-groups.yaml')], { encoding: 'utf8' });
      expect(checked.error).toBeUndefined();
      expect(checked.stdout + checked.stderr).toMatch(/SUCCESS: 5 rules found/);
      expect(checked.status).toBe(0);

      // Unit tests compare labels only; annotations (checked above) are left out of this copy.
      const withoutAnnotations = structuredClone(groups);
      for (const group of withoutAnnotations.groups) for (const r of group.rules ?? []) delete r.annotations;
      writeFileSync(join(dir, 'rules.yaml'), dump(withoutAnnotations));
      writeFileSync(join(dir, 'tests.yaml'), readFileSync(join(REPO_ROOT, 'test/deploy/fixtures/alert-rules.test.yaml')));
      const tested = spawnSync(PROMTOOL, ['test', 'rules', 'tests.yaml'], { cwd: dir, encoding: 'utf8' });
      expect(tested.stdout + tested.stderr).toMatch(/SUCCESS/);
      expect(tested.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('install.sh --render re-targets namespace, release, KEDA and Prometheus namespaces, and the image', () => {
  const { manifests } = rendering(SCALER_RENDERINGS.at(-1)!);

  it('targets the release’s worker Deployments and PgBouncer, and admits KEDA and Prometheus from their namespaces', () => {
    const targets = ofKind<IScaledObject>(manifests, 'ScaledObject').map((so) => so.spec.scaleTargetRef.name).sort();
    expect(targets).toEqual(['prod-worker', 'prod-worker-highcpu', 'prod-worker-highmem']);
    const policy = single<INetworkPolicy>(manifests, 'NetworkPolicy', SCALER);
    expect(policy.spec!.egress![0]!.to![0]!.podSelector!.matchLabels!['release']).toBe('prod');
    expect(policy.spec!.ingress![0]!.from![0]!.namespaceSelector!.matchLabels).toEqual({ 'kubernetes.io/metadata.name': 'keda-system' });
    expect(policy.spec!.ingress![1]!.from![0]!.namespaceSelector!.matchLabels).toEqual({ 'kubernetes.io/metadata.name': 'observability' });
  });

  it("re-targets scale-in: the worker pod selectors, Redis' label, the broker Secret and the RoleBinding's subject", () => {
    const selectors = ofKind<IScaledObject>(manifests, 'ScaledObject').map((so) => so.spec.triggers[0]!.metadata['workerPodSelector']).sort();
    expect(selectors).toEqual([
      `component=worker,${WORKER_SET_LABEL}=default,release=prod`,
      `component=worker,${WORKER_SET_LABEL}=highcpu,release=prod`,
      `component=worker,${WORKER_SET_LABEL}=highmem,release=prod`,
    ]);
    const policy = single<INetworkPolicy>(manifests, 'NetworkPolicy', SCALER);
    expect(policy.spec!.egress![2]!.to![0]!.podSelector!.matchLabels).toEqual({ tier: 'airflow', component: 'redis', release: 'prod' });
    const broker = scalerContainer(manifests).env!.find((e) => e.name === 'SCALER_BROKER_URL')!;
    expect(broker.valueFrom!.secretKeyRef).toEqual({ name: 'prod-broker-url', key: 'connection', optional: true });
    expect(single<IRoleBinding>(manifests, 'RoleBinding', SCALER).subjects).toEqual([
      { kind: 'ServiceAccount', name: SCALER, namespace: 'data-platform' },
    ]);
    expect(JSON.stringify(manifests)).not.toMatch(/release=airflow|"release":"airflow"|airflow-broker-url/);
  });

  it('uses the pushed image and never applies the local-config objects', () => {
    expect(scalerContainer(manifests).image).toBe(RETARGET.SCALER_IMAGE);
    expect(manifests.filter((m) => m.apiVersion.startsWith('airflow-keda-scaler.local/'))).toEqual([]);
  });

  it('pins the image by digest too', () => {
    const image = `${RETARGET.SCALER_IMAGE.split(':')[0]!}@sha256:${'ab'.repeat(32)}`;
    expect(scalerContainer(renderInstall([], { ...RETARGET, SCALER_IMAGE: image })).image).toBe(image);
  });
});

describe('deploy/rds: the in-cluster grant Job', () => {
  const manifests = kustomize(join(DEPLOY_DIR, 'rds'));
  const job = single<IJob>(manifests, 'Job');
  const configMap = single<IConfigMap>(manifests, 'ConfigMap');
  const pod = job.spec!.template.spec!;
  const container = pod.containers[0]!;

  it('runs 02-grant-scaler-select.sql with psql as the Airflow user from the metadata Secret, stopping on the first error', () => {
    expect(configMap.data!['02-grant-scaler-select.sql']).toBe(readFileSync(join(DEPLOY_DIR, 'rds/02-grant-scaler-select.sql'), 'utf8'));
    expect(pod.volumes?.find((v) => v.name === 'sql')?.configMap?.name).toBe(configMap.metadata!.name);
    expect(container.env?.[0]?.valueFrom?.secretKeyRef).toEqual({ name: at(CHART, 'data.metadataSecretName'), key: 'connection' });
    expect(container.args?.[0]).toContain('--set=ON_ERROR_STOP=1');
    expect(container.args?.[0]).toContain('--file=/sql/02-grant-scaler-select.sql');
  });

  it('is locked down like the scaler and labelled so the PgBouncer NetworkPolicy admits it', () => {
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(container.securityContext).toMatchObject({ readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    const peers = at(CHART, 'pgbouncer.extraNetworkPolicies') as { podSelector: { matchLabels: Record<string, string> } }[];
    expect(peers.some((peer) => matches(peer.podSelector.matchLabels, job.spec!.template.metadata!.labels))).toBe(true);
  });
});

describe('deploy/efs: the efs-sc StorageClass', () => {
  const [storageClass] = parseManifests(readFileSync(join(DEPLOY_DIR, 'efs/storageclass.yaml'), 'utf8')) as unknown as IStorageClass[];

  it('is the class the chart values put the logs on, provisioned by the EFS CSI driver with access points', () => {
    expect(storageClass!.metadata!.name).toBe(at(CHART, 'logs.persistence.storageClassName'));
    expect(storageClass!.provisioner).toBe('efs.csi.aws.com');
    expect(storageClass!.parameters).toMatchObject({ provisioningMode: 'efs-ap', uid: String(at(CHART, 'uid')), gid: String(at(CHART, 'gid')) });
  });

  it('has the placeholder file system id install.sh replaces', () => {
    const placeholder = storageClass!.parameters!['fileSystemId']!;
    expect(installerSource()).toContain(`\${text//${placeholder}/$EFS_ID}`);
  });
});
