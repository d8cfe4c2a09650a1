import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { load } from 'js-yaml';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import type { IPodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import type { IRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role';
import type { IRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { IService } from 'kubernetes-models/v1/Service';
import type { IServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { describe, expect, it } from 'vitest';

import { parseConfig } from '../../src/core/config.js';
import { parseScalerMetadata } from '../../src/core/metadata.js';
import { scaledObjectExample } from '../../src/demo/scaled-object-example.js';

import {
  DEPLOY_DIR,
  REPO_ROOT,
  WORKER_SET_LABEL,
  at,
  helmMerge,
  kustomize,
  ofKind,
  parseManifests,
  readYamlMap,
  selectorMatches,
  single,
  validateManifest,
  withoutDashboard,
  workerPodLabels,
} from './helpers.js';
import type { Manifest } from './helpers.js';
import type { IScaledObject } from './support/keda-types.js';
import {
  CHART,
  SCALER,
  SCALER_RENDERINGS,
  SECRET_STAND_INS,
  WORKER_CONCURRENCY,
  bytes,
  envOf,
  matches,
  rendering,
  scalerContainer,
} from './support/renderings.js';

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
    const configMap = single<IConfigMap>(withoutDashboard(manifests), 'ConfigMap');
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
    const file = load(single<IConfigMap>(withoutDashboard(manifests), 'ConfigMap').data!['config.yaml']!);
    expect(at(file, 'scaleIn')).toEqual({ kubernetes: 'auto', patchesPerSecond: 10, broker: { replyTimeoutMs: 1000 } });
    const config = parseConfig({ file, env: envOf(container) });
    expect(config.scaleIn).toEqual({
      kubernetes: { kind: 'in-cluster' },
      patchesPerSecond: 10,
      broker: { url: SECRET_STAND_INS['SCALER_BROKER_URL'], replyTimeoutMs: 1000 },
      lease: { name: 'airflow-keda-scaler', namespace: null, durationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 },
    });
  });

  it('still starts, ranking without draining, when the broker Secret is missing', () => {
    const file = load(single<IConfigMap>(withoutDashboard(manifests), 'ConfigMap').data!['config.yaml']!);
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

  it('the default ScaledObject is the one the README recommends (scaledObjectExample in src/demo/scaled-object-example.ts)', () => {
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
