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
import type { IRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import type { IStorageClass } from 'kubernetes-models/storage.k8s.io/v1/StorageClass';
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { IService } from 'kubernetes-models/v1/Service';
import { describe, expect, it } from 'vitest';

import { parseConfig } from '../../src/core/config.js';
import { PromMetric } from '../../src/core/metric-names.js';

import { DEPLOY_DIR, REPO_ROOT, WORKER_SET_LABEL, at, installerSource, kustomize, ofKind, parseManifests, single, withoutDashboard } from './helpers.js';
import type { Manifest } from './helpers.js';
import type { IScaledObject, ITriggerAuthentication } from './support/keda-types.js';
import {
  CHART,
  PROMTOOL,
  RETARGET,
  SCALER,
  SCALER_RENDERINGS,
  envOf,
  matches,
  renderInstall,
  rendering,
  scalerContainer,
} from './support/renderings.js';

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
    const configMap = single<IConfigMap>(withoutDashboard(manifests), 'ConfigMap');
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

  it('alerts on a stale snapshot, poll errors, non-OK answers, silent worker sets, workers pinned at max, degraded and failing scale-in, pre-warming without a forecast, using metrics the scaler exports', () => {
    const alerts = (rule.spec.groups ?? []).flatMap((g) => g.rules ?? []);
    const byName = Object.fromEntries(alerts.map((a): [string, string] => [a.alert ?? a.record ?? '', String(a.expr)]));
    expect(byName['AirflowKedaScalerSnapshotStale']).toContain(`${PromMetric.snapshotFresh} == 0`);
    expect(byName['AirflowKedaScalerPollErrors']).toContain(PromMetric.pollErrorsTotal);
    expect(byName['AirflowKedaScalerPinnedAtMax']).toContain(`${PromMetric.workerSetClamped}{bound="max"}`);
    expect(byName['AirflowKedaScalerScaleInDegraded']).toContain(`${PromMetric.scaleInCapability}{capability="kubernetes"}) == 0`);
    expect(byName['AirflowKedaScalerScaleInDegraded']).toContain(`${PromMetric.workerSetInfo}{scale_in="drain"}`);
    expect(byName['AirflowKedaScalerRpcErrors']).toContain(`${PromMetric.grpcRequestsTotal}{code!~"OK|UNAVAILABLE"}`);
    expect(byName['AirflowKedaScalerWorkerSetNotPolled']).toContain(PromMetric.workerSetLastRequestTimestamp);
    expect(byName['AirflowKedaScalerScaleInFailures']).toContain(PromMetric.scaleInFailuresTotal);
    expect(byName['AirflowKedaScalerPrewarmUnavailable']).toContain(`${PromMetric.forecastAvailable}) == 0`);
    // Leadership moves between replicas by design: nothing alerts on it.
    for (const expr of Object.values(byName)) expect(expr).not.toMatch(/leader/);
    const exported = new Set<string>(Object.values(PromMetric));
    for (const expr of Object.values(byName)) {
      for (const [metric] of expr.matchAll(/airflow_keda_scaler_[a-z_]+/g)) expect(exported).toContain(metric);
    }
    for (const alert of alerts) {
      expect(alert.annotations?.['runbook_url'], alert.alert).toMatch(/^README\.md#[a-z0-9_-]+$/);
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
      expect(checked.stdout + checked.stderr).toMatch(/SUCCESS: 9 rules found/);
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
  const configMap = single<IConfigMap>(withoutDashboard(manifests), 'ConfigMap');
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
