import { credentials } from '@grpc/grpc-js';
import type { Client } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

import type { GetMetricsResponse } from '../../../src/grpc/messages.js';
import { loadExternalScaler } from '../../../src/grpc/proto.js';
import { unaryCall } from '../../../src/grpc/unary-call.js';
import type { AirflowTestDb } from '../../support/airflow-db.js';
import { createAirflowDb } from '../../support/airflow-db.js';
import type { KubeApiServer } from '../../support/kube-api-server.js';
import { buildPod, startKubeApiServer } from '../../support/kube-api-server.js';
import type { TestService } from '../../support/service.js';
import { eventually, snapshotsAfterNow, startTestService } from '../../support/service.js';

/*
 * A gRPC client that invents namespaces and pod selectors, against the real service with the
 * Kubernetes API (the stand-in server) and PgBouncer: scale-in targets come from what the client
 * sends, so without limits of their own each costs a pod list per tick, series, a log line and a
 * Lease entry. The limits must hold, and every answer must still be the formula or more.
 */
const servers = inject('servers');
const LEGIT = { scalerAddress: 'scaler:9090', queues: 'default', workerConcurrency: '4' };
const MAX_SCALE_IN_TARGETS = 20;
const PER_WORKER_SET = 4;

function podLists(api: KubeApiServer): number {
  return api.requests.filter((r) => r.method === 'GET' && /^\/api\/v1\/namespaces\/[^/]+\/pods$/.test(r.path)).length;
}

describe('a gRPC client inventing scale-in targets', () => {
  let db: AirflowTestDb;
  let api: KubeApiServer;
  let service: TestService;
  let client: Client;

  const value = async (namespace: string, metadata: Record<string, string>): Promise<number> => {
    const request = { scaledObjectRef: { name: 'airflow-worker', namespace, scalerMetadata: metadata }, metricName: '' };
    const response = await unaryCall<GetMetricsResponse>(client, 'GetMetrics', request, 5_000);
    return response.metricValues[0]?.metricValue ?? Number.NaN;
  };
  const metricsText = async (): Promise<string> => (await fetch(`http://127.0.0.1:${service.httpPort}/metrics`)).text();
  const series = (text: string, name: string): string[] => text.split('\n').filter((line) => line.startsWith(`${name}{`));

  beforeAll(async () => {
    db = await createAirflowDb(servers, '3');
    // 9 queued tasks at concurrency 4: the formula wants 3 workers.
    await db.insert(Array.from({ length: 9 }, () => ({ state: 'queued' })));
    api = await startKubeApiServer();
    api.addPods(buildPod({ name: 'airflow-worker-5d8f-aaaaa', namespace: 'airflow', labels: { component: 'worker' }, owner: { kind: 'ReplicaSet', name: 'airflow-worker-5d8f' } }));
    service = await startTestService({
      poll: { intervalMs: 200 },
      metastores: { default: { url: db.bouncerUrl() } },
      scaleIn: { kubeconfig: api.writeKubeconfig({ namespace: 'airflow' }) },
      limits: { maxScaleInTargets: MAX_SCALE_IN_TARGETS },
    });
    client = new (loadExternalScaler().Client)(`127.0.0.1:${service.grpcPort}`, credentials.createInsecure());
    await eventually(async () => ((await value('airflow', LEGIT)) === 3 ? true : undefined));
  });

  afterAll(async () => {
    client.close();
    await service.close();
    await api.close();
    await db.drop();
  });

  it('plans one worker set asked about from 2,000 namespaces at most four times, and answers every request with the formula', async () => {
    const answers = new Set<number>();
    for (let i = 0; i < 2_000; i += 100) {
      const batch = await Promise.all(Array.from({ length: 100 }, (_, j) => value(`ns-${i + j}`, LEGIT)));
      for (const answer of batch) answers.add(answer);
    }
    expect(answers).toEqual(new Set([3]));
    api.clearRequests();
    await snapshotsAfterNow(service, 10);
    // Ten ticks: at most one list per planned target and tick (the legitimate one and three invented).
    expect(podLists(api)).toBeLessThanOrEqual(10 * PER_WORKER_SET + PER_WORKER_SET);
    const text = await metricsText();
    expect(series(text, 'airflow_keda_scaler_scale_in_reported_workers').length).toBeLessThanOrEqual(PER_WORKER_SET);
    expect(Number(/^airflow_keda_scaler_scale_in_targets_over_limit_total (\d+)$/m.exec(text)?.[1])).toBeGreaterThanOrEqual(2_000 - PER_WORKER_SET);
    expect(await value('airflow', LEGIT)).toBe(3);
  }, 60_000);

  it('plans at most limits.maxScaleInTargets targets for 2,000 invented worker sets and selectors; one log line says so', async () => {
    for (let i = 0; i < 2_000; i += 100) {
      const batch = await Promise.all(
        Array.from({ length: 100 }, (_, j) => value(`ns-${i + j}`, { ...LEGIT, queues: `invented-${i + j}`, workerPodSelector: `component=worker,n=${i + j}` })),
      );
      // Nothing runs in those queues: the formula's 0, never an error that KEDA would hear as 0 too.
      expect(new Set(batch)).toEqual(new Set([0]));
    }
    api.clearRequests();
    await snapshotsAfterNow(service, 10);
    expect(podLists(api)).toBeLessThanOrEqual(10 * MAX_SCALE_IN_TARGETS + MAX_SCALE_IN_TARGETS);
    const text = await metricsText();
    expect(series(text, 'airflow_keda_scaler_scale_in_reported_workers').length).toBeLessThanOrEqual(MAX_SCALE_IN_TARGETS);
    expect(series(text, 'airflow_keda_scaler_scale_in_workers').length).toBeLessThanOrEqual(3 * MAX_SCALE_IN_TARGETS);
    const lines = service.logs().split('\n').filter((line) => line.includes('beyond limits.maxScaleInTargets'));
    expect(lines.length).toBeGreaterThanOrEqual(1);
    expect(lines.length).toBeLessThanOrEqual(2);
    // The legitimate set, asked about first, keeps its plan.
    expect(text).toMatch(/^airflow_keda_scaler_scale_in_reported_workers\{scaled_object_namespace="airflow",worker_set="airflow-celery-default-[0-9a-f]{8}"\} 3$/m);
    expect(await value('airflow', LEGIT)).toBe(3);
  }, 60_000);
});
