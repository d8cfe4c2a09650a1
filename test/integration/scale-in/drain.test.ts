import { randomBytes } from 'node:crypto';

import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';

import { createRedisWorkerControl } from '../../../src/celery/redis-worker-control.js';
import { POD_DELETION_COST_ANNOTATION } from '../../../src/core/ports.js';
import type { AirflowTestDb } from '../../support/airflow-db.js';
import { createAirflowDb } from '../../support/airflow-db.js';
import type { CeleryHarness } from '../../support/celery-workers.js';
import { startCeleryHarness } from '../../support/celery-workers.js';
import type { ScalerClient } from '../../support/grpc-client.js';
import { connectScaler } from '../../support/grpc-client.js';
import type { KubeApiServer } from '../../support/kube-api-server.js';
import { buildPod, startKubeApiServer } from '../../support/kube-api-server.js';
import type { TestService } from '../../support/service.js';
import { eventually, startTestService } from '../../support/service.js';
import { quietLogger } from '../../support/quiet-logger.js';

const servers = inject('servers');
// A Redis database of its own; the worker-control suite uses 11.
const DB = 12;
const RUN = randomBytes(3).toString('hex');
const NAMESPACE = 'airflow';
const QUEUE = `drain-${RUN}`;
// Celery names a worker celery@<hostname>; on Kubernetes the hostname is the pod name.
const BUSY = `airflow-worker-6c7d-busy${RUN}`;
const LIGHT = `airflow-worker-6c7d-light${RUN}`;
const SILENT = `airflow-worker-6c7d-silent${RUN}`;
const METADATA = { queues: QUEUE, workerConcurrency: '16' };


function workerPod(name: string) {
  return buildPod({ name, namespace: NAMESPACE, labels: { component: 'worker' }, owner: { kind: 'ReplicaSet', name: 'airflow-worker-6c7d' } });
}

describe('drain-then-remove with real Celery workers, PostgreSQL and the Kubernetes API', () => {
  let celery: CeleryHarness;
  let db: AirflowTestDb;
  let api: KubeApiServer;
  let service: TestService | undefined;
  let client: ScalerClient | undefined;

  const costOf = (name: string): string | undefined => api.getPod(NAMESPACE, name)?.metadata.annotations?.[POD_DELETION_COST_ANNOTATION];
  const consumes = async (host: string): Promise<boolean> =>
    (await celery.activeQueues([`celery@${host}`]))[`celery@${host}`]?.includes(QUEUE) === true;
  const reported = async (): Promise<number> => {
    const response = await client!.getMetrics(METADATA, '');
    return response.metricValues[0]?.metricValue ?? Number.NaN;
  };
  const metrics = async (): Promise<string> => (await fetch(`http://127.0.0.1:${service!.httpPort}/metrics`)).text();
  const finishTasksOn = async (host: string): Promise<void> => {
    await db.admin.query("UPDATE task_instance SET state = 'success' WHERE state = 'running' AND hostname = $1", [host]);
  };

  async function start(): Promise<void> {
    service = await startTestService({
      poll: { intervalMs: 200 },
      metastores: { default: { url: db.bouncerUrl() } },
      scaleIn: { kubeconfig: api.writeKubeconfig({ namespace: NAMESPACE }), broker: { url: celery.brokerUrl, replyTimeoutMs: 500 } },
    });
    client = connectScaler(service.grpcPort);
  }

  beforeAll(async () => {
    celery = await startCeleryHarness(DB);
    await Promise.all([celery.startWorker(`celery@${BUSY}`, [QUEUE]), celery.startWorker(`celery@${LIGHT}`, [QUEUE])]);
    db = await createAirflowDb(servers, '3');
    api = await startKubeApiServer();
  }, 120_000);
  afterAll(async () => {
    await api.close();
    await db.drop();
    await celery.close([`_kombu.binding.${QUEUE}`, QUEUE]);
  });
  afterEach(async () => {
    client?.close();
    await service?.close();
    await db.clear();
    api.reset();
    // Leave both workers consuming for the next test, whatever this one did.
    const control = await createRedisWorkerControl({ url: celery.brokerUrl, logger: quietLogger });
    await control.addConsumer([BUSY, LIGHT], QUEUE);
    await control.close();
  });

  it('drains the least loaded busy worker, holds it while it runs, removes it once idle, and restores it when demand returns', async () => {
    api.addPods(workerPod(BUSY), workerPod(LIGHT));
    // 4 running tasks at concurrency 16: the formula wants 1 worker of the 2.
    await db.insert([
      ...Array.from({ length: 3 }, () => ({ state: 'running', queue: QUEUE, hostname: BUSY })),
      { state: 'running', queue: QUEUE, hostname: LIGHT },
    ]);
    await start();
    await eventually(async () => reported(), 10_000, 50);

    // 1. The victim is told to stop taking tasks; the other keeps consuming.
    await eventually(async () => ((await consumes(LIGHT)) ? undefined : true), 20_000, 200);
    expect(await consumes(BUSY)).toBe(true);
    // 2. While its task runs it stays counted, ranked between keepers and removable pods.
    await eventually(async () => (costOf(LIGHT) === '-500' ? true : undefined), 10_000, 50);
    expect(costOf(BUSY)).toBeUndefined();
    for (let i = 0; i < 10; i++) {
      expect(await reported()).toBe(2);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(await metrics()).toMatch(/airflow_keda_scaler_scale_in_workers\{[^}]*state="draining"\} 1/);

    // 3. Its task finishes: now it may go, and it goes first.
    await finishTasksOn(LIGHT);
    await eventually(async () => ((await reported()) === 1 ? true : undefined), 10_000, 50);
    expect(costOf(LIGHT)).toBe('-1000');
    expect(costOf(BUSY)).toBeUndefined();
    expect(await metrics()).toMatch(/airflow_keda_scaler_scale_in_drains_total 1\n/);

    // 4. Demand returns before the HPA removed it: put it back to work instead of starting a pod.
    await db.insert(Array.from({ length: 20 }, () => ({ state: 'queued', queue: QUEUE })));
    await eventually(async () => ((await consumes(LIGHT)) ? true : undefined), 20_000, 200);
    await eventually(async () => (costOf(LIGHT) === undefined ? true : undefined), 10_000, 50);
    expect(await reported()).toBe(2);
    expect(await metrics()).toMatch(/airflow_keda_scaler_scale_in_restores_total 1\n/);
  }, 90_000);

  it('never lets a worker go that did not confirm the drain', async () => {
    // SILENT has a pod but no Celery worker behind it (say, a broker partition): no reply.
    api.addPods(workerPod(BUSY), workerPod(LIGHT), workerPod(SILENT));
    await db.insert([
      { state: 'running', queue: QUEUE, hostname: BUSY },
      { state: 'running', queue: QUEUE, hostname: LIGHT },
    ]);
    await start();
    await eventually(async () => reported(), 10_000, 50);
    // The formula wants 1; SILENT and one idle-after-drain worker are the surplus.
    await eventually(async () => (costOf(SILENT) === '-500' ? true : undefined), 15_000, 50);
    for (let i = 0; i < 10; i++) {
      expect(await reported()).toBe(3);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(costOf(SILENT)).toBe('-500');
  }, 60_000);
});
