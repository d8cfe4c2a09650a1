import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';

import { POD_DELETION_COST_ANNOTATION } from '../../../src/core/ports.js';
import type { AirflowTestDb } from '../../support/airflow-db.js';
import { createAirflowDb } from '../../support/airflow-db.js';
import type { ScalerClient } from '../../support/grpc-client.js';
import { connectScaler } from '../../support/grpc-client.js';
import type { KubeApiServer, RecordedRequest } from '../../support/kube-api-server.js';
import { buildPod, startKubeApiServer } from '../../support/kube-api-server.js';
import type { TestService } from '../../support/service.js';
import { eventually, snapshotsAfterNow, startTestService } from '../../support/service.js';

const servers = inject('servers');
const NAMESPACE = 'airflow';
const LABELS = { component: 'worker', release: 'airflow' };
const METADATA = { queues: 'default', workerConcurrency: '4', workerPodSelector: 'component=worker,release=airflow' };
const WORKERS = ['airflow-worker-5d8f-aaaaa', 'airflow-worker-5d8f-bbbbb', 'airflow-worker-5d8f-ccccc', 'airflow-worker-5d8f-ddddd'] as const;
const [BUSIEST, LIGHT, IDLE_1, IDLE_2] = WORKERS;

function worker(name: string) {
  return buildPod({ name, namespace: NAMESPACE, labels: LABELS, owner: { kind: 'ReplicaSet', name: 'airflow-worker-5d8f' } });
}

function patches(api: KubeApiServer): RecordedRequest[] {
  return api.requests.filter((request) => request.method === 'PATCH');
}

function costOf(api: KubeApiServer, name: string): string | undefined {
  return api.getPod(NAMESPACE, name)?.metadata.annotations?.[POD_DELETION_COST_ANNOTATION];
}

async function metricValue(client: ScalerClient, metadata: Record<string, string> = METADATA): Promise<number> {
  const response = await client.getMetrics(metadata, '');
  return response.metricValues[0]?.metricValue ?? Number.NaN;
}

describe('scale-in ranking with pod-deletion-cost (Kubernetes API, no broker)', () => {
  let db: AirflowTestDb;
  let api: KubeApiServer;
  let service: TestService;
  let client: ScalerClient;

  beforeAll(async () => {
    db = await createAirflowDb(servers, '3');
    api = await startKubeApiServer();
  });
  afterAll(async () => {
    await api.close();
    await db.drop();
  });

  beforeEach(async () => {
    api.reset();
    api.addPods(
      ...WORKERS.map(worker),
      // Same labels in another namespace, and another component here: never ours to touch.
      buildPod({ name: 'airflow-worker-other-ns', namespace: 'elsewhere', labels: LABELS, owner: { kind: 'ReplicaSet', name: 'x' } }),
      buildPod({ name: 'airflow-scheduler-0', namespace: NAMESPACE, labels: { component: 'scheduler', release: 'airflow' } }),
    );
    // 16 tasks at concurrency 4: all four workers are needed until the queued ones finish.
    await db.insert([
      ...Array.from({ length: 3 }, () => ({ state: 'running', hostname: BUSIEST })),
      { state: 'running', hostname: `${LIGHT}.airflow-worker.airflow.svc.cluster.local` },
      ...Array.from({ length: 12 }, () => ({ state: 'queued' })),
    ]);
    service = await startTestService({
      poll: { intervalMs: 200 },
      metastores: { default: { url: db.bouncerUrl() } },
      scaleIn: { kubeconfig: api.writeKubeconfig({ namespace: NAMESPACE }) },
    });
    client = connectScaler(service.grpcPort);
    await planPublished(service, WORKERS.length, client);
  });
  afterEach(async () => {
    client.close();
    await service.close();
    await db.clear();
  });

  it('patches exactly the surplus (idle first, then least loaded) before reporting the lower count', async () => {
    // While the API server holds every patch unanswered, the count must not drop.
    api.setFault('patch', { kind: 'hang' });
    await db.transition('queued', 'success');
    await eventually(async () => (patches(api).length > 0 ? true : undefined), 15_000, 20);
    const whileHanging = await sample(client, 1_500);
    expect(new Set(whileHanging)).toEqual(new Set([WORKERS.length]));

    api.setFault('patch', null);
    const answers: { value: number; patchedPods: number }[] = [];
    await eventually(async () => {
      const value = await metricValue(client);
      answers.push({ value, patchedPods: victimsAnnotated(api) });
      return value === 1 ? value : undefined;
    }, 30_000, 20);

    const victims = [LIGHT, IDLE_1, IDLE_2];
    expect(new Set(patches(api).map((request) => request.path))).toEqual(
      new Set(victims.map((name) => `/api/v1/namespaces/${NAMESPACE}/pods/${name}`)),
    );
    for (const request of patches(api)) {
      expect(request.contentType).toBe('application/merge-patch+json');
      expect(request.body).toEqual({ metadata: { annotations: { [POD_DELETION_COST_ANNOTATION]: '-1000' } } });
    }
    for (const name of victims) expect(costOf(api, name)).toBe('-1000');
    expect(costOf(api, BUSIEST)).toBeUndefined();
    expect(api.getPod('elsewhere', 'airflow-worker-other-ns')?.metadata.annotations).toBeUndefined();
    // The count never dropped by more than the victims already carrying their cost: the
    // ReplicaSet could only ever remove annotated victims.
    for (const answer of answers) expect(answer.value).toBeGreaterThanOrEqual(WORKERS.length - answer.patchedPods);
  }, 60_000);

  it('does not patch pods whose cost is already right, tick after tick', async () => {
    await db.transition('queued', 'success');
    await eventually(async () => ((await metricValue(client)) === 1 ? true : undefined), 15_000, 20);
    const count = patches(api).length;
    expect(count).toBe(3);
    // Ten more ticks: the plan is unchanged, so nothing is written.
    await snapshotsAfterNow(service, 10);
    expect(patches(api)).toHaveLength(count);
  });

  it('takes the annotation off former victims when demand rises', async () => {
    await db.transition('queued', 'success');
    await eventually(async () => ((await metricValue(client)) === 1 ? true : undefined), 15_000, 20);
    await db.insert(Array.from({ length: 12 }, () => ({ state: 'queued' })));
    // 16 tasks at concurrency 4: all 4 workers are needed again and none stays a victim.
    await eventually(async () => ((await metricValue(client)) === 4 ? true : undefined), 15_000, 20);
    await eventually(async () => (WORKERS.every((name) => costOf(api, name) === undefined) ? true : undefined), 15_000, 50);
  });

  it('reports the plain formula and says so when pods cannot be patched (RBAC), and recovers', async () => {
    api.setFault('patch', { kind: 'forbidden' });
    await db.transition('queued', 'success');
    // No permission means no ranking: the formula, as without an API; counted, and logged once.
    await eventually(async () => ((await metricValue(client)) === 1 ? true : undefined), 15_000, 20);
    expect(WORKERS.every((name) => costOf(api, name) === undefined)).toBe(true);
    const metrics = await (await fetch(`http://127.0.0.1:${service.httpPort}/metrics`)).text();
    expect(metrics).toMatch(/airflow_keda_scaler_scale_in_failures_total\{step="patch",code="ASC_KUBERNETES_FORBIDDEN"\} [1-9]/);
    expect(metrics).toMatch(/airflow_keda_scaler_scale_in_deletion_cost_patches_total\{outcome="error"\} [1-9]/);
    expect(service.logs().match(/scale-in step failed/g)).toHaveLength(1);

    api.setFault('patch', null);
    await eventually(async () => (victimsAnnotated(api) === 3 ? true : undefined), 15_000, 50);
    expect(await metricValue(client)).toBe(1);
    await eventually(async () => (service.logs().includes('scale-in step recovered') ? true : undefined), 5_000, 50);
  });

  it('leaves worker sets with scaleIn=off alone', async () => {
    // A fresh service that KEDA only ever asks about the scaleIn=off set.
    client.close();
    await service.close();
    service = await startTestService({
      poll: { intervalMs: 200 },
      metastores: { default: { url: db.bouncerUrl() } },
      scaleIn: { kubeconfig: api.writeKubeconfig({ namespace: NAMESPACE }) },
    });
    client = connectScaler(service.grpcPort);
    api.clearRequests();
    await db.transition('queued', 'success');
    const off = { ...METADATA, scaleIn: 'off' };
    await eventually(async () => ((await metricValue(client, off)) === 1 ? true : undefined), 15_000, 20);
    expect(new Set(await sample(client, 1_000, off))).toEqual(new Set([1]));
    // No pod is listed or patched; only the scale-in Lease is kept.
    expect(api.requests.filter((r) => r.path.includes('/pods')).map((r) => `${r.method} ${r.path}`)).toEqual([]);
  });

  it('publishes busy, idle and draining worker counts and the capabilities', async () => {
    await db.transition('queued', 'success');
    await eventually(async () => ((await metricValue(client)) === 1 ? true : undefined), 15_000, 20);
    const metrics = await (await fetch(`http://127.0.0.1:${service.httpPort}/metrics`)).text();
    expect(metrics).toMatch(/airflow_keda_scaler_scale_in_workers\{scaled_object_namespace="airflow",worker_set="airflow-celery-default-[0-9a-f]{8}",state="busy"\} 2/);
    expect(metrics).toMatch(/airflow_keda_scaler_scale_in_workers\{scaled_object_namespace="airflow",worker_set="airflow-celery-default-[0-9a-f]{8}",state="idle"\} 2/);
    expect(metrics).toContain('airflow_keda_scaler_scale_in_capability{capability="kubernetes"} 1');
    expect(metrics).toContain('airflow_keda_scaler_scale_in_capability{capability="broker"} 0');
    expect(service.logs()).toContain('scale-in draining off: no Celery broker configured');
  });
});

/** How many of the three expected victims carry the removable cost now. */
function victimsAnnotated(api: KubeApiServer): number {
  return [LIGHT, IDLE_1, IDLE_2].filter((name) => costOf(api, name) === '-1000').length;
}

/** Waits until the scale-in plan for the worker set is published at `expected` workers. */
async function planPublished(service: TestService, expected: number, client: ScalerClient): Promise<void> {
  await eventually(async () => {
    await metricValue(client);
    const metrics = await (await fetch(`http://127.0.0.1:${service.httpPort}/metrics`)).text();
    return new RegExp(`airflow_keda_scaler_scale_in_reported_workers\\{[^}]*\\} ${expected}\\n`).test(metrics) ? true : undefined;
  }, 15_000, 50);
}

/** Every GetMetrics value answered during `ms`. */
async function sample(client: ScalerClient, ms: number, metadata: Record<string, string> = METADATA): Promise<number[]> {
  const values: number[] = [];
  const until = Date.now() + ms;
  while (Date.now() < until) {
    values.push(await metricValue(client, metadata));
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return values;
}

describe('scale-in with StatefulSet workers (the highest ordinals always go first)', () => {
  it('patches nothing, says ranking is unsupported, and reports the formula once the surplus may go', async () => {
    const db = await createAirflowDb(servers, '3');
    const api = await startKubeApiServer();
    const pods = ['airflow-worker-0', 'airflow-worker-1', 'airflow-worker-2'];
    api.addPods(...pods.map((name) => buildPod({ name, namespace: NAMESPACE, labels: LABELS, owner: { kind: 'StatefulSet', name: 'airflow-worker' } })));
    await db.insert([{ state: 'running', hostname: 'airflow-worker-0' }]);
    const service = await startTestService({
      poll: { intervalMs: 200 },
      metastores: { default: { url: db.bouncerUrl() } },
      scaleIn: { kubeconfig: api.writeKubeconfig({ namespace: NAMESPACE }) },
    });
    const client = connectScaler(service.grpcPort);
    try {
      // KEDA asking is what makes a worker set known.
      await eventually(async () => ((await metricValue(client)) >= 0 && service.logs().includes('ranking unsupported') ? true : undefined), 15_000, 50);
      expect(await metricValue(client)).toBe(1);
      expect(patches(api)).toHaveLength(0);
    } finally {
      client.close();
      await service.close();
      await api.close();
      await db.drop();
    }
  });
});
