import { execFileSync } from 'node:child_process';

import type { ClientReadableStream, ServiceError } from '@grpc/grpc-js';
import { status } from '@grpc/grpc-js';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';

import { metricNameFor } from '../../../src/core/metric-name.js';
import { parseScalerMetadata } from '../../../src/core/metadata.js';
import type { IsActiveResponse } from '../../../src/grpc/messages.js';
import type { AirflowTestDb } from '../../support/airflow-db.js';
import { createAirflowDb } from '../../support/airflow-db.js';
import type { ScalerClient } from '../../support/grpc-client.js';
import { connectScaler } from '../../support/grpc-client.js';
import type { TestService } from '../../support/service.js';
import { eventually, snapshotsAfterNow, startTestService } from '../../support/service.js';

const servers = inject('servers');
const TICK_MS = 200;

function grpcError(promise: Promise<unknown>): Promise<ServiceError> {
  return promise.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (err: ServiceError) => err,
  );
}

/** Collects what a StreamIsActive stream delivers, and how it ends. */
function record(stream: ClientReadableStream<IsActiveResponse>) {
  const messages: boolean[] = [];
  const state: { status?: number; error?: ServiceError } = {};
  stream.on('data', (message: IsActiveResponse) => messages.push(message.result));
  stream.on('status', (s: { code: number }) => {
    state.status = s.code;
  });
  stream.on('error', (err: ServiceError) => {
    state.error = err;
  });
  return { messages, state };
}


describe('ExternalScaler over gRPC, metastore through PgBouncer', () => {
  let db: AirflowTestDb;
  let service: TestService;
  let client: ScalerClient;

  beforeAll(async () => {
    db = await createAirflowDb(servers, '3');
    service = await startTestService({
      metastores: { default: { url: db.bouncerUrl('scaler_ro') } },
      poll: { intervalMs: TICK_MS },
    });
    client = connectScaler(service.grpcPort);
    await eventually(async () => (service.health().ready ? true : undefined));
  });
  afterAll(async () => {
    client.close();
    await service.close();
    await db.drop();
  });
  afterEach(async () => {
    await db.clear();
    // Let the service read the empty table before the next test starts.
    await snapshotsAfterNow(service);
  });

  /** Waits until the service has read a snapshot taken after now. */
  async function nextSnapshot(): Promise<void> {
    await snapshotsAfterNow(service);
  }

  it('GetMetricSpec returns one stable lowercase metric with target 1 and no database access', async () => {
    const response = await client.getMetricSpec({ queues: 'High,default', workerConcurrency: '8' });
    expect(response.metricSpecs).toHaveLength(1);
    const [spec] = response.metricSpecs;
    expect(spec?.metricName).toMatch(/^[a-z0-9-]+$/);
    expect(spec?.targetSize).toBe(1);
    expect(spec?.targetSizeFloat).toBe(1);
    const again = await client.getMetricSpec({ queues: 'default,High', workerConcurrency: '16' });
    expect(again.metricSpecs[0]?.metricName).toBe(spec?.metricName);
  });

  it('GetMetrics reports ceil((queued + running) / workerConcurrency) as one value in both fields', async () => {
    await db.insert([
      ...Array.from({ length: 17 }, () => ({ state: 'queued' })),
      ...Array.from({ length: 4 }, () => ({ state: 'running' })),
      { state: 'deferred' },
      { state: 'scheduled' },
      { state: 'queued', queue: 'other' },
    ]);
    await nextSnapshot();
    const metadata = { queues: 'default', workerConcurrency: '8' };
    const metricName = metricNameFor(parseScalerMetadata(metadata, new Set(['default'])).spec);
    const response = await client.getMetrics(metadata, metricName);
    expect(response.metricValues).toEqual([{ metricName, metricValue: 3, metricValueFloat: 3 }]);
    // The HPA path may pass the name in another case (KEDA < 2.12).
    const upper = await client.getMetrics(metadata, metricName.toUpperCase());
    expect(upper.metricValues[0]?.metricValue).toBe(3);
  });

  it('GetMetrics applies minReplicaCount and maxReplicaCount', async () => {
    await db.insert(Array.from({ length: 40 }, () => ({ state: 'queued' })));
    await nextSnapshot();
    const capped = await client.getMetrics({ workerConcurrency: '4', maxReplicaCount: '5' }, '');
    expect(capped.metricValues[0]?.metricValue).toBe(5);
    await db.clear();
    await nextSnapshot();
    const floored = await client.getMetrics({ minReplicaCount: '2' }, '');
    expect(floored.metricValues[0]?.metricValue).toBe(2);
  });

  it('counts only the Celery executor when celeryExecutors is set', async () => {
    await db.insert([
      { state: 'queued', executor: null },
      { state: 'queued', executor: 'CeleryExecutor' },
      { state: 'queued', executor: 'my_celery' },
      { state: 'queued', executor: 'KubernetesExecutor' },
      { state: 'running', executor: 'KubernetesExecutor' },
    ]);
    await nextSnapshot();
    const all = await client.getMetrics({ workerConcurrency: '1' }, '');
    expect(all.metricValues[0]?.metricValue).toBe(5);
    const celeryDefault = await client.getMetrics({ workerConcurrency: '1', celeryExecutors: 'CeleryExecutor,my_celery' }, '');
    expect(celeryDefault.metricValues[0]?.metricValue).toBe(3);
    const celeryNotDefault = await client.getMetrics(
      { workerConcurrency: '1', celeryExecutors: 'CeleryExecutor', celeryIsDefaultExecutor: 'false' },
      '',
    );
    expect(celeryNotDefault.metricValues[0]?.metricValue).toBe(1);
  });

  it('GetMetrics refuses a metric name it does not serve with NOT_FOUND', async () => {
    const error = await grpcError(client.getMetrics({ queues: 'default' }, 'airflow-celery-something-else'));
    expect(error.code).toBe(status.NOT_FOUND);
    expect(error.details).toMatch(/ASC_UNKNOWN_METRIC.*airflow-celery-something-else/);
  });

  it('IsActive is true only when queued + running exceeds activationThreshold', async () => {
    expect((await client.isActive({})).result).toBe(false);
    await db.insert([{ state: 'running' }, { state: 'queued' }]);
    await nextSnapshot();
    expect((await client.isActive({})).result).toBe(true);
    expect((await client.isActive({ activationThreshold: '2' })).result).toBe(false);
    expect((await client.isActive({ activationThreshold: '1' })).result).toBe(true);
    expect((await client.isActive({ queues: 'other' })).result).toBe(false);
  });

  it.each([
    [{ workerConcurrency: 'abc' }, /workerConcurrency="abc"/],
    [{ workerConcurrency: '0' }, /workerConcurrency="0"/],
    [{ minReplicaCount: '5', maxReplicaCount: '2' }, /maxReplicaCount="2" must be >= minReplicaCount \(5\)/],
    [{ queues: '' }, /queues=""/],
    [{ queues: 'a,,b' }, /queues="a,,b"/],
    [{ metastore: 'staging' }, /metastore="staging" is not a configured metastore/],
    [{ celeryIsDefaultExecutor: 'yes' }, /celeryIsDefaultExecutor="yes"/],
  ])('answers INVALID_ARGUMENT naming the key and value for %o', async (metadata, message) => {
    for (const rpc of [
      () => client.isActive(metadata),
      () => client.getMetricSpec(metadata),
      () => client.getMetrics(metadata, ''),
    ]) {
      const error = await grpcError(rpc());
      expect(error.code).toBe(status.INVALID_ARGUMENT);
      expect(error.details).toMatch(/^ASC_INVALID_METADATA: /);
      expect(error.details).toMatch(message);
    }
    const stream = record(client.streamIsActive(metadata));
    await eventually(async () => stream.state.error);
    expect(stream.state.error?.code).toBe(status.INVALID_ARGUMENT);
    expect(stream.messages).toEqual([]);
  });

  it('StreamIsActive sends true on open when active, then only on inactive-to-active edges, never false', async () => {
    await db.insert([{ state: 'queued' }]);
    await nextSnapshot();
    const stream = client.streamIsActive({ queues: 'default' });
    const seen = record(stream);
    try {
      await eventually(async () => (seen.messages.length === 1 ? true : undefined));
      expect(seen.messages).toEqual([true]);

      // Still active: more work does not repeat true.
      await db.insert([{ state: 'queued' }, { state: 'running' }]);
      await snapshotsAfterNow(service, 3);
      expect(seen.messages).toEqual([true]);

      // Inactive: nothing is sent (false would deactivate the workload on KEDA <= 2.17).
      await db.clear();
      await snapshotsAfterNow(service, 3);
      expect(seen.messages).toEqual([true]);

      // Active again: exactly one more true.
      await db.insert([{ state: 'queued' }]);
      await eventually(async () => (seen.messages.length === 2 ? true : undefined));
      await snapshotsAfterNow(service, 2);
      expect(seen.messages).toEqual([true, true]);
    } finally {
      stream.cancel();
    }
  });

  it('StreamIsActive stays silent on open while idle and pushes once the first task is queued', async () => {
    const stream = client.streamIsActive({ queues: 'quiet' });
    const seen = record(stream);
    try {
      await snapshotsAfterNow(service, 2);
      expect(seen.messages).toEqual([]);
      await db.insert([{ state: 'queued', queue: 'quiet' }]);
      // How fast is a benchmark's question (npm run bench -- --only activation), not a test's.
      await eventually(async () => (seen.messages.length > 0 ? true : undefined), 5_000, 5);
      expect(seen.messages).toEqual([true]);
    } finally {
      stream.cancel();
    }
  });

  it('StreamMetricSpec sends the same spec as GetMetricSpec at once and holds the stream open', async () => {
    const metadata = { queues: 'default' };
    const expected = await client.getMetricSpec(metadata);
    const stream = client.streamMetricSpec(metadata);
    const received: unknown[] = [];
    stream.on('data', (message: unknown) => received.push(message));
    stream.on('error', () => undefined);
    try {
      await eventually(async () => (received.length === 1 ? true : undefined));
      expect(received[0]).toEqual(expected);
    } finally {
      stream.cancel();
    }
  });

  it('serves grpc.health.v1 with readiness following the snapshot', async () => {
    expect(await client.healthCheck('')).toBe('SERVING');
    expect(await client.healthCheck('readiness')).toBe('SERVING');
    expect(await client.healthCheck('liveness')).toBe('SERVING');
  });

  it('exposes per-worker-set, snapshot, poll and gRPC metrics that pass promtool check metrics', async () => {
    await db.insert([{ state: 'queued' }, { state: 'running' }, { state: 'running' }]);
    await client.getMetrics({ queues: 'default', workerConcurrency: '2', maxReplicaCount: '1' }, '');
    await nextSnapshot();
    // Answered from the snapshot that holds the rows: worker_set_reported_workers is this answer.
    await client.getMetrics({ queues: 'default', workerConcurrency: '2', maxReplicaCount: '1' }, '');
    const response = await fetch(`http://127.0.0.1:${service.httpPort}/metrics`);
    expect(response.status).toBe(200);
    const body = await response.text();
    const set = metricNameFor(parseScalerMetadata({ queues: 'default' }, new Set(['default'])).spec);
    expect(body).toContain(`airflow_keda_scaler_worker_set_tasks{metastore="default",worker_set="${set}",state="queued"} 1`);
    expect(body).toContain(`airflow_keda_scaler_worker_set_tasks{metastore="default",worker_set="${set}",state="running"} 2`);
    expect(body).toContain(`airflow_keda_scaler_worker_set_formula_workers{metastore="default",worker_set="${set}"} 1`);
    expect(body).toContain(`airflow_keda_scaler_worker_set_clamped{metastore="default",worker_set="${set}",bound="max"} 1`);
    expect(body).toMatch(/airflow_keda_scaler_snapshot_fresh\{metastore="default"\} 1/);
    expect(body).toMatch(/airflow_keda_scaler_poll_duration_seconds_count\{metastore="default",outcome="success"\} [1-9]/);
    expect(body).toMatch(/airflow_keda_scaler_grpc_requests_total\{method="GetMetrics",code="OK"\} [1-9]/);
    expect(body).toMatch(/airflow_keda_scaler_grpc_requests_total\{method="GetMetrics",code="INVALID_ARGUMENT"\} [1-9]/);
    expect(body).toMatch(/process_resident_memory_bytes \d/);
    // What KEDA was told, beside the formula; the ScaledObject and settings; per-queue counts.
    expect(body).toContain(`airflow_keda_scaler_worker_set_reported_workers{metastore="default",worker_set="${set}"} 1`);
    expect(body).toMatch(new RegExp(`airflow_keda_scaler_worker_set_info\\{metastore="default",worker_set="${set}",scaled_object_namespace="airflow",scaled_object="[a-z0-9-]+",queues="default",worker_concurrency="2",min_replica_count="0",max_replica_count="1",scale_in="drain"\\} 1`));
    expect(body).toContain('airflow_keda_scaler_queue_tasks{metastore="default",queue="default",state="queued"} 1');
    expect(body).toContain('airflow_keda_scaler_queue_tasks{metastore="default",queue="default",state="running"} 2');
    expect(body).toMatch(/airflow_keda_scaler_queue_oldest_queued_task_age_seconds\{metastore="default",queue="default"\} \d/);
    expect(body).toMatch(/airflow_keda_scaler_last_successful_read_timestamp_seconds\{metastore="default"\} 1\d{9}/);
    expect(body).toMatch(/airflow_keda_scaler_worker_set_last_request_timestamp_seconds\{metastore="default",worker_set="[^"]+"\} 1\d{9}/);
    expect(body).toMatch(/airflow_keda_scaler_build_info\{version="\d+\.\d+\.\d+",nodejs_version="\d+\.\d+\.\d+"\} 1/);
    expect(body).toMatch(/airflow_keda_scaler_grpc_request_duration_seconds_count\{method="GetMetrics",code="INVALID_ARGUMENT"\} [1-9]/);
    expect(body).not.toMatch(/Inf$|NaN$/m);

    const promtool = process.env['TEST_PROMTOOL'] ?? 'promtool';
    // promtool exits non-zero on malformed exposition and prints lint findings (naming, units,
    // counters without _total): there must be none.
    const output = execFileSync(promtool, ['check', 'metrics'], { input: body, encoding: 'utf8' });
    expect(output.trim()).toBe('');
  });

  it('never logs the metastore password', async () => {
    expect(service.logs()).not.toMatch(/scaler_ro:[^*]/);
    expect(service.logs()).toContain('"msg":"metastore configured"');
  });
});
