import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { load } from 'js-yaml';
import { afterAll, describe, expect, it } from 'vitest';

import {
  DEPLOY_DIR,
  INSTALL_VALUES,
  INSTALL_VALUES_WITH_SETS,
  at,
  installerSource,
  kustomize,
  ofKind,
  single,
  validateManifest,
} from './helpers.js';
import type { Manifest } from './helpers.js';
import { ingressAllowed, podOf } from './support/network-policy.js';
import type { Pod, Source } from './support/network-policy.js';
import { helmBinaries, renderAirflowChart } from './support/render.js';

/**
 * The official chart 1.19.0 rendered by real Helm 3 and Helm 4 (from npm, support/tools.ts) with
 * the kit's values and post-renderer, as install.sh runs it: every object is checked on this
 * output, not on a hand-written excerpt.
 */
const INSTALL_SH = installerSource();
const constant = (name: string): string => {
  const match = new RegExp(`^readonly ${name}=(\\S+)`, 'm').exec(INSTALL_SH);
  if (match === null) throw new Error(`install.sh has no ${name}`);
  return match[1]!;
};

type Container = { name: string; args?: string[]; env?: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[]; volumeMounts?: { name: string; mountPath: string }[] };
type PodSpec = { containers: Container[]; volumes?: { name: string; configMap?: { name: string } }[] };
const podSpec = (m: Manifest): PodSpec => at(m, 'spec.template.spec') as PodSpec;
const workers = (manifests: readonly Manifest[]): Manifest[] => manifests.filter((m) => m.kind === 'Deployment' && m.metadata.labels?.['component'] === 'worker');

describe.each(helmBinaries().map((h) => [`Helm ${h.version}`, h] as const))('chart 1.19.0 rendered by %s', (_name, helm) => {
  const rendered = renderAirflowChart(helm, { values: INSTALL_VALUES_WITH_SETS });

  it('renders the whole topology, every object valid against the Kubernetes schema (unknown fields are errors)', () => {
    const names = rendered.map((m) => `${m.kind}/${m.metadata.name}`);
    expect(names).toEqual(
      expect.arrayContaining(['Deployment/airflow-scheduler', 'Deployment/airflow-api-server', 'Deployment/airflow-pgbouncer', 'StatefulSet/airflow-redis',
        'Deployment/airflow-worker', 'Deployment/airflow-worker-highcpu', 'Deployment/airflow-worker-highmem', 'Job/airflow-create-user', 'Job/airflow-run-airflow-migrations']),
    );
    for (const manifest of rendered) validateManifest(manifest);
  });

  it('the post-renderer drops spec.replicas from every worker set and changes nothing else', () => {
    // A fixed Redis password: the chart generates one per render otherwise (and pod checksums of it).
    const fixed = ['redis.password=not-a-real-password'];
    const plain = renderAirflowChart(helm, { values: INSTALL_VALUES_WITH_SETS, set: fixed, postRenderer: false });
    const rendered = renderAirflowChart(helm, { values: INSTALL_VALUES_WITH_SETS, set: fixed });
    expect(workers(plain).map((w) => at(w, 'spec.replicas'))).toEqual([1, 1, 1]); // what helm upgrade would reset
    expect(workers(rendered)).toHaveLength(3);
    for (const worker of workers(rendered)) expect(at(worker, 'spec'), worker.metadata.name).not.toHaveProperty('replicas');
    const key = (m: Manifest): string => `${m.kind}/${m.metadata.name}`;
    const after = new Map(rendered.map((m) => [key(m), m]));
    expect([...after.keys()].sort()).toEqual(plain.map(key).sort());
    for (const before of plain) {
      const expected = structuredClone(before);
      if (workers([before]).length === 1) delete (expected['spec'] as Record<string, unknown>)['replicas'];
      expect(after.get(key(before)), key(before)).toEqual(expected);
    }
    expect(at(after.get('Deployment/airflow-scheduler'), 'spec.replicas')).toBe(2);
    expect(at(after.get('Deployment/airflow-pgbouncer'), 'spec.replicas')).toBe(2);
  });

  it('every worker set carries both node autoscalers\' do-not-evict annotations: Cluster Autoscaler and Karpenter', () => {
    for (const worker of workers(rendered)) {
      expect(at(worker, 'spec.template.metadata.annotations'), worker.metadata.name).toMatchObject({
        'cluster-autoscaler.kubernetes.io/safe-to-evict': 'false',
        'karpenter.sh/do-not-disrupt': 'true',
      });
    }
  });

  it("Redis' volume names the gp3 class install.sh checks or creates; the logs' volume efs-sc", () => {
    const redis = single(rendered, 'StatefulSet', 'airflow-redis');
    const claims = at(redis, 'spec.volumeClaimTemplates') as { spec: { storageClassName?: string } }[];
    const gp3 = load(readFileSync(join(DEPLOY_DIR, 'ebs/storageclass.yaml'), 'utf8')) as Manifest;
    expect(claims.map((c) => c.spec.storageClassName)).toEqual([gp3.metadata.name]);
    expect(INSTALL_SH).toContain('kubectl get storageclass gp3 ');
    const efs = load(readFileSync(join(DEPLOY_DIR, 'efs/storageclass.yaml'), 'utf8')) as Manifest;
    expect(at(single(rendered, 'PersistentVolumeClaim', 'airflow-logs'), 'spec.storageClassName')).toBe(efs.metadata.name);
    // Every claim the release makes names its class: none waits for a default class that EKS >= 1.30 lacks.
    for (const pvc of ofKind(rendered, 'PersistentVolumeClaim')) expect(at(pvc, 'spec.storageClassName'), pvc.metadata.name).toEqual(expect.any(String));
  });

  it('PgBouncer finds the RDS CA bundle where pgbouncer.ini (server_tls_ca_file) says, from the ConfigMap install.sh creates', () => {
    const pgbouncer = podSpec(single(rendered, 'Deployment', 'airflow-pgbouncer'));
    const caPath = constant('RDS_CA_PATH');
    const volume = pgbouncer.volumes!.find((v) => v.configMap?.name === constant('CONFIGMAP_RDS_CA'))!;
    expect(volume).toBeDefined();
    const mount = pgbouncer.containers.find((c) => c.name === 'pgbouncer')!.volumeMounts!.find((m) => m.name === volume.name)!;
    expect(`${mount.mountPath}/rds-ca-bundle.pem`).toBe(caPath);
    expect(INSTALL_SH).toContain('"--from-file=rds-ca-bundle.pem=$RDS_CA_FILE"');
    expect(INSTALL_SH).toContain('server_tls_ca_file = ${RDS_CA_PATH}');
  });

  it('creates the admin user from the Secret, its password on stdin: never in the Job args or the values', () => {
    const job = single(rendered, 'Job', 'airflow-create-user');
    const container = podSpec(job).containers[0]!;
    expect(container.env!.find((e) => e.name === 'AIRFLOW_ADMIN_PASSWORD')!.valueFrom!.secretKeyRef).toEqual({ name: constant('SECRET_ADMIN'), key: 'password' });
    expect(container.args).not.toContain('-p');
    expect(container.args).not.toContain('--password');
    // Run the rendered command with a stand-in `airflow` that records what it receives.
    const dir = mkdtempSync(join(tmpdir(), 'aks-create-user-'));
    try {
      writeFileSync(join(dir, 'airflow'), `#!/bin/bash\nprintf '%s\\n' "$@" > "${dir}/argv"\ncat > "${dir}/stdin"\n`);
      chmodSync(join(dir, 'airflow'), 0o755);
      const password = "s3cret 'with' \"quotes\" $HOME";
      const result = spawnSync('/bin/bash', container.args!.slice(1), {
        encoding: 'utf8',
        env: { PATH: `${dir}:/usr/bin:/bin`, AIRFLOW_ADMIN_PASSWORD: password },
      });
      expect(result.status).toBe(0);
      expect(readFileSync(join(dir, 'stdin'), 'utf8')).toBe(`${password}\n${password}\n`);
      const argv = readFileSync(join(dir, 'argv'), 'utf8');
      expect(argv).toBe('users\ncreate\n-r\nAdmin\n-u\nadmin\n-e\nadmin@example.com\n-f\nadmin\n-l\nuser\n');
      expect(argv).not.toContain(password);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('with UI_TLS_CERTIFICATE_ARN: the NLB terminates TLS on 443 with the ACM certificate, forwarding to 8080', () => {
    const arn = 'arn:aws:acm:eu-west-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b';
    const tls = renderAirflowChart(helm, {
      values: [...INSTALL_VALUES, 'values-ui-tls.yaml'],
      set: [`apiServer.service.annotations.service\\.beta\\.kubernetes\\.io/aws-load-balancer-ssl-cert=${arn}`],
    });
    const service = single(tls, 'Service', 'airflow-api-server');
    expect(at(service, 'spec.ports')).toEqual([{ name: 'https', port: 443, targetPort: 8080 }]);
    expect(service.metadata.annotations).toMatchObject({
      'service.beta.kubernetes.io/aws-load-balancer-ssl-cert': arn,
      'service.beta.kubernetes.io/aws-load-balancer-ssl-ports': '443',
      'service.beta.kubernetes.io/aws-load-balancer-scheme': 'internal',
      'service.beta.kubernetes.io/aws-load-balancer-type': 'external',
    });
    validateManifest(service);
    // Without it: plain HTTP on 8080 (install.sh then says so).
    expect(at(single(rendered, 'Service', 'airflow-api-server'), 'spec.ports')).toEqual([{ name: 'api-server', port: 8080 }]);
  });
});

describe('NetworkPolicies: the chart\'s own plus the scaler\'s, additive (chart 1.19.0 via Helm 4, deploy/base)', () => {
  const helm = helmBinaries().find((h) => h.major === 4)!;
  const rendered = renderAirflowChart(helm, { values: INSTALL_VALUES_WITH_SETS });
  const scaler = kustomize(join(DEPLOY_DIR, 'base'));
  const policies = [...ofKind(rendered, 'NetworkPolicy'), ...ofKind(scaler, 'NetworkPolicy')];
  const pod = (name: string): Pod => podOf(single(rendered, name === 'airflow-redis' ? 'StatefulSet' : 'Deployment', name), 'airflow');
  const sources: Record<string, Source> = {
    worker: pod('airflow-worker'),
    'worker-highcpu': pod('airflow-worker-highcpu'),
    scheduler: pod('airflow-scheduler'),
    triggerer: pod('airflow-triggerer'),
    'dag-processor': pod('airflow-dag-processor'),
    'api-server': pod('airflow-api-server'),
    scaler: podOf(single(scaler, 'Deployment', 'airflow-keda-scaler'), 'airflow'),
    'keda-operator': { namespace: 'keda', labels: { app: 'keda-operator' } },
    'a pod of another app in the namespace': { namespace: 'airflow', labels: { app: 'intruder' } },
    'a pod of another namespace': { namespace: 'default', labels: { tier: 'airflow', component: 'worker', release: 'airflow' } },
    'the load balancer': { ip: '10.0.3.17' },
  };
  const admitted = (target: Pod, port: number): string[] => Object.entries(sources).filter(([, source]) => ingressAllowed(policies, source, target, port)).map(([name]) => name);

  afterAll(() => undefined);

  it('turns the chart\'s policies on: Redis, PgBouncer, StatsD, API server, scheduler, triggerer and every worker set', () => {
    expect(ofKind(rendered, 'NetworkPolicy').map((p) => p.metadata.name).sort()).toEqual([
      'airflow-api-server-policy', 'airflow-pgbouncer-policy', 'airflow-redis-policy', 'airflow-scheduler-policy', 'airflow-statsd-policy',
      'airflow-triggerer-policy', 'airflow-worker-policy', 'airflow-worker-policy-highcpu', 'airflow-worker-policy-highmem',
    ]);
  });

  it('Redis (6379): the workers, the scheduler and the scaler only', () => {
    expect(admitted(pod('airflow-redis'), 6379)).toEqual(['worker', 'worker-highcpu', 'scheduler', 'scaler']);
  });

  it('PgBouncer (6543): the release\'s pods and the scaler, nobody else', () => {
    expect(admitted(pod('airflow-pgbouncer'), 6543)).toEqual(['worker', 'worker-highcpu', 'scheduler', 'triggerer', 'dag-processor', 'api-server', 'scaler']);
  });

  it('the API server: its port only, for the load balancer and the release\'s pods (the execution API)', () => {
    expect(admitted(pod('airflow-api-server'), 8080)).toEqual(expect.arrayContaining(['the load balancer', 'worker', 'triggerer', 'dag-processor']));
    expect(admitted(pod('airflow-api-server'), 22)).toEqual([]);
  });

  it('the scaler (9090, gRPC): the KEDA operator only', () => {
    expect(admitted(sources['scaler'] as Pod, 9090)).toEqual(['keda-operator']);
  });

  it('every Airflow pod that listens on a port is selected by an ingress policy', () => {
    for (const workload of [...ofKind(rendered, 'Deployment'), ...ofKind(rendered, 'StatefulSet')]) {
      const target = podOf(workload, 'airflow');
      if (Object.keys(target.ports ?? {}).length === 0) continue;
      for (const port of Object.values(target.ports ?? {})) {
        // (The API server's policy also admits any IP, for the load balancer; whether a pod IP
        // matches an ipBlock is up to the network plugin, so pods are not counted as admitted by it.)
        expect(ingressAllowed(policies, sources['a pod of another app in the namespace']!, target, port), `${workload.metadata.name}:${String(port)}`).toBe(false);
      }
    }
  });

  it('and the evaluator is real: without the scaler\'s additive policy, Redis refuses the scaler', () => {
    const chartOnly = policies.filter((p) => p.metadata.name !== 'airflow-keda-scaler-to-redis');
    expect(ingressAllowed(chartOnly, sources['scaler']!, pod('airflow-redis'), 6379)).toBe(false);
    expect(ingressAllowed([], sources['a pod of another app in the namespace']!, pod('airflow-redis'), 6379)).toBe(true);
  });
});
