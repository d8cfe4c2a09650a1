import type { ServiceError } from '@grpc/grpc-js';
import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

import type { AirflowTestDb } from '../../support/airflow-db.js';
import { createAirflowDb } from '../../support/airflow-db.js';
import type { ScalerClient } from '../../support/grpc-client.js';
import { connectScaler } from '../../support/grpc-client.js';
import type { DedicatedPgBouncer } from '../../support/pgbouncer-process.js';
import { startDedicatedPgBouncer } from '../../support/pgbouncer-process.js';
import { withDatabase } from '../../support/servers.js';
import type { TestService } from '../../support/service.js';
import { eventually, startTestService } from '../../support/service.js';

const servers = inject('servers');
const TICK_MS = 200;
const STALE_AFTER_MS = 1_000;

type Observation = { kind: 'value'; desired: number; active: boolean } | { kind: 'error'; code: number; details: string };

describe('metastore outage: PgBouncer stops, then comes back', () => {
  let db: AirflowTestDb;
  let bouncer: DedicatedPgBouncer;
  let service: TestService;
  let client: ScalerClient;

  beforeAll(async () => {
    db = await createAirflowDb(servers, '3');
    // 20 running tasks at concurrency 4: the truth is 5 workers, and "0" would kill them all.
    await db.insert(Array.from({ length: 20 }, () => ({ state: 'running' })));
    bouncer = await startDedicatedPgBouncer(servers);
    service = await startTestService({
      metastores: { default: { url: withDatabase(bouncer.url, db.name) } },
      poll: { intervalMs: TICK_MS, staleAfterMs: STALE_AFTER_MS, queryTimeoutMs: 500, maxBackoffMs: 400 },
    });
    client = connectScaler(service.grpcPort);
    await eventually(async () => (service.health().ready ? true : undefined));
  });
  afterAll(async () => {
    client.close();
    await service.close();
    await bouncer.stop().catch(() => undefined);
    await db.drop();
  });

  async function observe(): Promise<Observation> {
    const metadata = { workerConcurrency: '4' };
    try {
      const [metrics, active] = await Promise.all([client.getMetrics(metadata, ''), client.isActive(metadata)]);
      return { kind: 'value', desired: metrics.metricValues[0]?.metricValue ?? -1, active: active.result };
    } catch (err) {
      const error = err as ServiceError;
      return { kind: 'error', code: error.code, details: error.details };
    }
  }

  async function readyz(): Promise<number> {
    return (await fetch(`http://127.0.0.1:${service.httpPort}/readyz`)).status;
  }

  it('answers UNAVAILABLE instead of zero while the metastore is unreachable, and recovers by itself', async () => {
    expect(await observe()).toEqual({ kind: 'value', desired: 5, active: true });
    expect(await readyz()).toBe(200);

    await bouncer.stop();
    const observations: Observation[] = [];
    const firstError = await eventually(async () => {
      const seen = await observe();
      observations.push(seen);
      return seen.kind === 'error' ? seen : undefined;
    }, 10_000, 20);

    // Until the snapshot went stale, answers were the last truth; never a zero, never inactive.
    for (const seen of observations.filter((o) => o.kind === 'value')) {
      expect(seen).toEqual({ kind: 'value', desired: 5, active: true });
    }
    expect(firstError).toMatchObject({ code: status.UNAVAILABLE });
    expect(firstError.details).toMatch(/^ASC_STALE_SNAPSHOT: .*refusing/);
    expect(await readyz()).toBe(503);
    expect(await client.healthCheck('readiness')).toBe('NOT_SERVING');
    // The process is alive and still trying: liveness must not restart it.
    expect((await fetch(`http://127.0.0.1:${service.httpPort}/healthz`)).status).toBe(200);

    const metrics = await (await fetch(`http://127.0.0.1:${service.httpPort}/metrics`)).text();
    expect(metrics).toMatch(/airflow_keda_scaler_snapshot_fresh\{metastore="default"\} 0/);
    expect(metrics).toMatch(/airflow_keda_scaler_poll_errors_total\{metastore="default",code="ASC_METASTORE_QUERY_FAILED"\} [1-9]/);
    const age = /airflow_keda_scaler_snapshot_age_seconds\{metastore="default"\} ([0-9.]+)/.exec(metrics);
    expect(Number(age?.[1])).toBeGreaterThan(STALE_AFTER_MS / 1000);

    // Errors persist for as long as the outage does.
    for (let i = 0; i < 10; i += 1) expect((await observe()).kind).toBe('error');

    await bouncer.start();
    await eventually(async () => ((await observe()).kind === 'value' ? true : undefined), 10_000, 50);
    expect(await observe()).toEqual({ kind: 'value', desired: 5, active: true });
    expect(await readyz()).toBe(200);
    expect(service.logs()).toContain('metastore reads recovered');
  });
});
