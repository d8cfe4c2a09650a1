import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';

import { metricNameFor } from '../../../src/core/metric-name.js';
import type { Snapshot } from '../../../src/core/snapshot.js';
import { WorkerSetRegistry } from '../../../src/core/worker-set-registry.js';
import { registerWorkerSetMetrics } from '../../../src/telemetry/worker-set-metrics.js';
import { workerSetSpec as spec } from '../../support/worker-set-spec.js';

const SO = { namespace: 'airflow', name: 'airflow-worker' };

function setUp(maxSets = 10) {
  const registry = new WorkerSetRegistry(60_000, maxSets);
  const prom = new Registry();
  let now = 100_000;
  let snapshot: Snapshot | undefined;
  registerWorkerSetMetrics(prom, { registry, clock: { now: () => now }, latestSnapshot: () => snapshot });
  return {
    registry,
    text: () => prom.metrics(),
    setNow: (ms: number) => (now = ms),
    setSnapshot: (s: Snapshot) => (snapshot = s),
  };
}

describe('registry-backed worker-set metrics', () => {
  it('describe each tracked set by its ScaledObject and settings, and follow a changed spec without leaving the old series', async () => {
    const { registry, text } = setUp();
    const first = spec({ queues: ['default', 'high'], workerConcurrency: 8, maxReplicaCount: 12 });
    const name = metricNameFor(first);
    registry.register(name, first, SO, 100_000);
    expect(await text()).toContain(
      `airflow_keda_scaler_worker_set_info{metastore="default",worker_set="${name}",scaled_object_namespace="airflow",scaled_object="airflow-worker",` +
        'queues="default,high",worker_concurrency="8",min_replica_count="0",max_replica_count="12",scale_in="drain"} 1',
    );
    registry.register(name, spec({ queues: ['default', 'high'], workerConcurrency: 4, maxReplicaCount: null, scaleIn: { policy: 'off', podSelector: 'component=worker' } }), SO, 101_000);
    const after = await text();
    expect(after).toContain('worker_concurrency="4",min_replica_count="0",max_replica_count="",scale_in="off"} 1');
    expect(after).not.toContain('worker_concurrency="8"');
  });

  it('report the last GetMetrics value and request time, and nothing for a set beyond the cap or after it expired', async () => {
    const { registry, text } = setUp(1);
    const a = spec({ queues: ['a'] });
    const b = spec({ queues: ['b'] });
    const registration = registry.register(metricNameFor(a), a, SO, 100_000);
    expect(registry.register(metricNameFor(b), b, SO, 100_000).kind).toBe('over-limit');
    expect(await text()).not.toContain('worker_set_reported_workers{');
    if (registration.kind === 'over-limit') throw new Error('unexpected');
    registration.set.reportedWorkers = 3;
    const body = await text();
    expect(body).toContain(`airflow_keda_scaler_worker_set_reported_workers{metastore="default",worker_set="${metricNameFor(a)}"} 3`);
    expect(body).toContain(`airflow_keda_scaler_worker_set_last_request_timestamp_seconds{metastore="default",worker_set="${metricNameFor(a)}"} 100`);
    expect(body).not.toContain(metricNameFor(b));
    registry.prune(200_000);
    expect(await text()).not.toContain(metricNameFor(a));
  });

  it('count tasks per queue of the tracked sets only, with the oldest queued age advanced by the snapshot age', async () => {
    const { registry, text, setNow, setSnapshot } = setUp();
    const s = spec({ queues: ['default', 'high'] });
    registry.register(metricNameFor(s), s, SO, 100_000);
    expect(await text()).not.toContain('airflow_keda_scaler_queue_tasks{');
    setSnapshot({
      metastore: 'default',
      takenAtMs: 100_000,
      hasExecutorColumn: true,
      rows: [
        { queue: 'default', executor: null, state: 'queued', count: 2, oldestQueuedAgeSeconds: 30 },
        { queue: 'default', executor: null, state: 'running', hostname: 'w-1', count: 5 },
        { queue: 'secret-queue', executor: null, state: 'queued', count: 7, oldestQueuedAgeSeconds: 5 },
      ],
    });
    setNow(104_000);
    const body = await text();
    expect(body).toContain('airflow_keda_scaler_queue_tasks{metastore="default",queue="default",state="queued"} 2');
    expect(body).toContain('airflow_keda_scaler_queue_tasks{metastore="default",queue="default",state="running"} 5');
    expect(body).toContain('airflow_keda_scaler_queue_tasks{metastore="default",queue="high",state="queued"} 0');
    expect(body).toContain('airflow_keda_scaler_queue_oldest_queued_task_age_seconds{metastore="default",queue="default"} 34');
    expect(body).toContain('airflow_keda_scaler_queue_oldest_queued_task_age_seconds{metastore="default",queue="high"} 0');
    expect(body).not.toContain('secret-queue');
  });
});
