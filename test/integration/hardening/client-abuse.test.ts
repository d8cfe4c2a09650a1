import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';

import type { ServiceError } from '@grpc/grpc-js';
import { credentials, status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

import { loadExternalScaler } from '../../../src/grpc/proto.js';
import { unaryCall } from '../../../src/grpc/unary-call.js';
import type { AirflowTestDb } from '../../support/airflow-db.js';
import { createAirflowDb } from '../../support/airflow-db.js';
import type { CliProcess } from '../../support/cli-process.js';
import { LOCAL_PORTS, runCli } from '../../support/cli-process.js';
import type { ScalerClient } from '../../support/grpc-client.js';
import { connectScaler } from '../../support/grpc-client.js';
import { imageNodeOptions } from '../../support/image-runtime.js';
import { connectRaw } from '../../support/raw-grpc.js';
import { eventually } from '../../support/service.js';

/*
 * Each attack in the hardening issue, against the real CLI as the image runs it (its NODE_OPTIONS:
 * a 128 MB old space), through PgBouncer: the process must survive, stay small, keep its series
 * and log bounded, and keep answering legitimate worker sets correctly.
 */

const servers = inject('servers');
const LEGIT = { queues: 'default', workerConcurrency: '4' };
const MAX_WORKER_SETS = 40;
const MAX_OPEN_STREAMS = 16;

function rssMiB(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(match?.[1] ?? 'NaN') / 1024;
}

/** CPU time (user + system) the process has used, from /proc/<pid>/stat (fields 14 and 15, in clock ticks of 1/100 s). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function failure(promise: Promise<unknown>): Promise<ServiceError> {
  try {
    await promise;
  } catch (err) {
    return err as ServiceError;
  }
  throw new Error('expected the call to fail');
}

describe('a hostile or broken gRPC client', () => {
  let db: AirflowTestDb;
  let cli: CliProcess;
  let client: ScalerClient;
  let grpcPort: number;
  let httpPort: number;

  const legitValue = async (): Promise<number> => {
    const spec = await client.getMetricSpec(LEGIT);
    const metrics = await client.getMetrics(LEGIT, spec.metricSpecs[0]?.metricName ?? '');
    return metrics.metricValues[0]?.metricValue ?? Number.NaN;
  };
  const metricsText = async (): Promise<string> => (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();

  beforeAll(async () => {
    db = await createAirflowDb(servers, '3');
    await db.insert(Array.from({ length: 9 }, () => ({ state: 'queued' })));
    cli = runCli(['serve'], {
      NODE_OPTIONS: imageNodeOptions(),
      SCALER_DATABASE_URL: db.bouncerUrl(),
      ...LOCAL_PORTS,
      SCALER_POLL_INTERVAL_MS: '200',
      SCALER_MAX_WORKER_SETS: String(MAX_WORKER_SETS),
      SCALER_MAX_OPEN_STREAMS: String(MAX_OPEN_STREAMS),
    });
    ({ grpcPort, httpPort } = await cli.listening());
    client = connectScaler(grpcPort);
    await eventually(async () => ((await legitValue()) === 3 ? true : undefined));
  });

  afterAll(async () => {
    client.close();
    cli.child.kill('SIGTERM');
    await cli.exited;
    await db.drop();
  });

  it('survives 150 requests with distinct 1 MB metadata values: refused unread, memory stays small', async () => {
    const huge = (i: number): Record<string, string> => ({ ...LEGIT, [`junk${i}`]: `${i}`.padEnd(1024 * 1024, 'x') });
    for (let i = 0; i < 150; i += 10) {
      const errors = await Promise.all(Array.from({ length: 10 }, (_, j) => failure(client.getMetrics(huge(i + j), ''))));
      for (const err of errors) expect(err.code).toBe(status.RESOURCE_EXHAUSTED);
    }
    expect(cli.child.exitCode).toBeNull();
    expect(rssMiB(cli.child.pid ?? 0)).toBeLessThan(200);
    expect(await legitValue()).toBe(3);
  });

  it('answers 500 distinct 100 KB workerConcurrency values INVALID_ARGUMENT naming the key, in a short message, caching none', async () => {
    for (let i = 0; i < 500; i += 25) {
      const errors = await Promise.all(
        Array.from({ length: 25 }, (_, j) => failure(client.getMetrics({ ...LEGIT, workerConcurrency: `${i + j}`.padEnd(100_000, '7') }, ''))),
      );
      for (const err of errors) {
        expect(err.code).toBe(status.INVALID_ARGUMENT);
        expect(err.details).toContain('ASC_INVALID_METADATA');
        expect(err.details).toContain('workerConcurrency=');
        expect(err.details.length).toBeLessThan(400);
      }
    }
    expect(rssMiB(cli.child.pid ?? 0)).toBeLessThan(200);
    expect(await legitValue()).toBe(3);
  });

  it('keeps series bounded when a client invents 2,000 worker sets: the limit holds, a counter and one log line say so', async () => {
    for (let i = 0; i < 2_000; i += 100) {
      await Promise.all(Array.from({ length: 100 }, (_, j) => client.getMetrics({ queues: `invented-${i + j}`, workerConcurrency: '4' }, '')));
    }
    const text = await metricsText();
    const setSeries = text.split('\n').filter((line) => line.startsWith('airflow_keda_scaler_worker_set_tasks{'));
    // Two states per tracked set; the legitimate set is one of them.
    expect(setSeries.length).toBeLessThanOrEqual(2 * MAX_WORKER_SETS);
    expect(text).toMatch(new RegExp(`^airflow_keda_scaler_worker_sets_tracked ${MAX_WORKER_SETS}$`, 'm'));
    const overLimit = Number(/^airflow_keda_scaler_worker_sets_over_limit_total (\d+)$/m.exec(text)?.[1]);
    expect(overLimit).toBeGreaterThanOrEqual(2_000 - MAX_WORKER_SETS);
    const lines = cli.stdout().split('\n').filter((line) => line.includes('beyond limits.maxWorkerSets'));
    expect(lines.length).toBeLessThanOrEqual(2);
    // Answers beyond the limit are still right: no such queue has tasks.
    const beyond = await client.getMetrics({ queues: 'invented-1999', workerConcurrency: '4' }, '');
    expect(beyond.metricValues[0]?.metricValue).toBe(0);
    expect(await legitValue()).toBe(3);
  });

  it('logs unknown keys from 100 requests × 60 new keys in at most two lines, each short', async () => {
    const before = cli.stdout().length;
    for (let r = 0; r < 100; r += 1) {
      const metadata: Record<string, string> = { ...LEGIT };
      for (let k = 0; k < 60; k += 1) metadata[`unknown_${r}_${k}_${'k'.repeat(100)}`] = 'v';
      await client.getMetricSpec(metadata);
    }
    const written = cli.stdout().slice(before);
    const lines = written.split('\n').filter((line) => line.includes('unknown scalerMetadata keys'));
    expect(lines.length).toBeLessThanOrEqual(2);
    expect(written.length).toBeLessThan(20_000);
  });

  it('answers INVALID_ARGUMENT, never OK and never INTERNAL, to requests that are not KEDA’s', async () => {
    const raw = connectRaw(grpcPort);
    try {
      // An empty body decodes as a ScaledObjectRef without name or namespace.
      for (const method of ['IsActive', 'GetMetricSpec', 'GetMetrics']) {
        const answer = await raw.call(method, Buffer.alloc(0));
        expect(answer.code, method).toBe(status.INVALID_ARGUMENT);
        expect(answer.details).toContain('ASC_INVALID_REQUEST');
      }
      const counts = new Map<number, number>();
      for (let i = 0; i < 500; i += 1) {
        const method = ['IsActive', 'GetMetricSpec', 'GetMetrics'][i % 3] ?? 'IsActive';
        const answer = await raw.call(method, randomBytes(1 + (i % 64)));
        counts.set(answer.code, (counts.get(answer.code) ?? 0) + 1);
      }
      expect([...counts.keys()]).toEqual([status.INVALID_ARGUMENT]);
    } finally {
      raw.close();
    }
    // A GetMetricsRequest without scaledObjectRef, and a ref without a namespace.
    const { Client } = loadExternalScaler();
    const bare = new Client(`127.0.0.1:${grpcPort}`, credentials.createInsecure());
    try {
      const noRef = await failure(unaryCall(bare, 'GetMetrics', { metricName: '' }, 5_000));
      expect(noRef.code).toBe(status.INVALID_ARGUMENT);
      expect(noRef.details).toContain('scaledObjectRef is required');
      const noNamespace = await failure(unaryCall(bare, 'IsActive', { name: 'airflow-worker', scalerMetadata: LEGIT }, 5_000));
      expect(noNamespace.code).toBe(status.INVALID_ARGUMENT);
      expect(noNamespace.details).toContain('scaledObjectRef.namespace is required');
    } finally {
      bare.close();
    }
  });

  it('refuses an oversized metricName with a short INVALID_ARGUMENT, and quotes a wrong one in NOT_FOUND', async () => {
    const long = await failure(client.getMetrics(LEGIT, 'm'.repeat(200_000)));
    expect(long.code).toBe(status.INVALID_ARGUMENT);
    expect(long.details.length).toBeLessThan(400);
    const wrong = await failure(client.getMetrics(LEGIT, 'airflow-celery-other-00000000'));
    expect(wrong.code).toBe(status.NOT_FOUND);
    expect(wrong.details).toContain('"airflow-celery-other-00000000"');
  });

  it('holds at most limits.maxOpenStreams streams and refuses the next with RESOURCE_EXHAUSTED', async () => {
    const streams = Array.from({ length: MAX_OPEN_STREAMS }, () => client.streamIsActive(LEGIT));
    const received = await Promise.all(streams.map((stream) => new Promise<boolean>((resolve) => stream.once('data', (m: { result: boolean }) => resolve(m.result)))));
    expect(received.every(Boolean)).toBe(true);
    const extra = client.streamIsActive(LEGIT);
    const err = await new Promise<ServiceError>((resolve) => extra.once('error', resolve));
    expect(err.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(err.details).toContain('limits.maxOpenStreams');
    for (const stream of streams) {
      stream.on('error', () => undefined); // CANCELLED, as asked
      stream.cancel();
    }
    await eventually(async () => ((await metricsText()).includes('airflow_keda_scaler_open_streams 0') ? true : undefined));
  });

  it('goes quiet after a flood of 20,000 GetMetrics calls: no collector left running, the young generation capped', async () => {
    const flood = connectScaler(grpcPort);
    try {
      let left = 20_000;
      await Promise.all(
        Array.from({ length: 64 }, async () => {
          while (left > 0) {
            left -= 1;
            await flood.getMetrics(LEGIT, '');
          }
        }),
      );
    } finally {
      flood.close();
    }
    // Without a semi-space cap V8 grew the young generation to 128 MiB during such a burst and then
    // ran major collections back to back next to the 128 MiB old space: ~1.85 cores, long after.
    await new Promise((r) => setTimeout(r, 1_000));
    const before = cpuSeconds(cli.child.pid ?? 0);
    await new Promise((r) => setTimeout(r, 3_000));
    const coresUsed = (cpuSeconds(cli.child.pid ?? 0) - before) / 3;
    expect(coresUsed).toBeLessThan(0.3);
    const newSpace = Number(/nodejs_heap_space_size_total_bytes\{space="new"\} (\d+)/.exec(await metricsText())?.[1] ?? Number.NaN);
    expect(newSpace).toBeLessThanOrEqual(64 * 1024 * 1024);
  }, 90_000);

  it('is still alive, small and right after every attack', async () => {
    expect(cli.child.exitCode).toBeNull();
    expect(rssMiB(cli.child.pid ?? 0)).toBeLessThan(200);
    expect(await legitValue()).toBe(3);
    expect(await client.healthCheck('readiness')).toBe('SERVING');
  });
});
