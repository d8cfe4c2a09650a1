import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import { WorkerSetRegistry } from '../../../src/core/worker-set-registry.js';
import { DecisionMemo } from '../../../src/core/evaluate.js';
import { createInstruments } from '../../../src/telemetry/metrics.js';
import type { ObserverContext } from '../../../src/telemetry/observers.js';
import { pollObserver, refreshGauges, scaleInObserver } from '../../../src/telemetry/observers.js';
import { quietLogger } from '../../support/quiet-logger.js';

function context(): ObserverContext {
  return {
    instruments: createInstruments(),
    registry: new WorkerSetRegistry(60_000, 10),
    clock: { now: () => 50_000 },
    logger: quietLogger,
    decisions: new DecisionMemo(10_000),
    latestSnapshot: () => undefined,
  };
}

const report = (snapshotAgeMs: number | null) => ({
  ready: snapshotAgeMs !== null,
  live: true,
  metastores: [{ name: 'default', fresh: snapshotAgeMs !== null, snapshotAgeMs, consecutiveFailures: 0, lastErrorCode: null }],
});

describe('telemetry observers', () => {
  it('give snapshot_age_seconds and the last-read timestamp no sample before the first read, then real values', async () => {
    const ctx = context();
    refreshGauges(ctx, report(null));
    let text = await ctx.instruments.registry.metrics();
    expect(text).not.toMatch(/^airflow_keda_scaler_snapshot_age_seconds\{/m);
    expect(text).not.toMatch(/^airflow_keda_scaler_last_successful_read_timestamp_seconds\{/m);
    expect(text).toContain('airflow_keda_scaler_snapshot_fresh{metastore="default"} 0');

    pollObserver(ctx).readSucceeded('default', 3, { metastore: 'default', takenAtMs: 48_500, hasExecutorColumn: true, rows: [] });
    refreshGauges(ctx, report(1_500));
    text = await ctx.instruments.registry.metrics();
    expect(text).toContain('airflow_keda_scaler_snapshot_age_seconds{metastore="default"} 1.5');
    expect(text).toContain('airflow_keda_scaler_last_successful_read_timestamp_seconds{metastore="default"} 48.5');
    expect(text).not.toMatch(/Inf$/m);
  });

  it('label scale-in series with the ScaledObject namespace as scaled_object_namespace, never namespace', async () => {
    const ctx = context();
    scaleInObserver(ctx.instruments).planned({ namespace: 'airflow', metricName: 'airflow-celery-default-1a2b3c4d' }, { busy: 1, idle: 2, draining: 3 }, 4);
    const text = await ctx.instruments.registry.metrics();
    expect(text).toContain('airflow_keda_scaler_scale_in_workers{scaled_object_namespace="airflow",worker_set="airflow-celery-default-1a2b3c4d",state="draining"} 3');
    expect(text).toContain('airflow_keda_scaler_scale_in_reported_workers{scaled_object_namespace="airflow",worker_set="airflow-celery-default-1a2b3c4d"} 4');
    expect(text).not.toMatch(/\{namespace=/);
  });

  it('publish build_info with the package and Node.js versions', async () => {
    const text = await context().instruments.registry.metrics();
    const { version } = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(text).toContain(`airflow_keda_scaler_build_info{version="${version}",nodejs_version="${process.versions.node}"} 1`);
  });
});
