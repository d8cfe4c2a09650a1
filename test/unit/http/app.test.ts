import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it, vi } from 'vitest';

import type { HealthReport } from '../../../src/core/health.js';
import { buildHttpApp } from '../../../src/http/app.js';

const PROM_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

const METASTORES: HealthReport['metastores'] = [
  { name: 'default', fresh: true, snapshotAgeMs: 120, consecutiveFailures: 0, lastErrorCode: null },
];

function report(overrides: Partial<HealthReport> = {}): HealthReport {
  return { ready: true, live: true, metastores: METASTORES, ...overrides };
}

const apps: FastifyInstance[] = [];

function build(
  health: () => HealthReport,
  metrics: () => Promise<{ contentType: string; body: string }> = async () => ({ contentType: PROM_CONTENT_TYPE, body: '' }),
): FastifyInstance {
  const app = buildHttpApp({ health, metrics });
  apps.push(app);
  return app;
}

afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

describe('GET /readyz', () => {
  it('answers 200 "ready" with the metastore details when the report is ready', async () => {
    const response = await build(() => report()).inject({ method: 'GET', url: '/readyz' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toContain('application/json');
    expect(response.json()).toEqual({ status: 'ready', metastores: METASTORES });
  });

  it('answers 503 "not ready" when the report is not ready', async () => {
    const metastores: HealthReport['metastores'] = [
      { name: 'default', fresh: false, snapshotAgeMs: null, consecutiveFailures: 3, lastErrorCode: 'ASC_METASTORE_QUERY_FAILED' },
    ];
    const response = await build(() => report({ ready: false, metastores })).inject({ method: 'GET', url: '/readyz' });
    expect(response.statusCode).toBe(503);
    expect(response.json()).toEqual({ status: 'not ready', metastores });
  });

  it('ignores liveness: a wedged but fresh scaler is still ready', async () => {
    const response = await build(() => report({ ready: true, live: false })).inject({ method: 'GET', url: '/readyz' });
    expect(response.statusCode).toBe(200);
  });

  it('asks for a new health report on every request', async () => {
    let ready = false;
    const health = vi.fn(() => report({ ready }));
    const app = build(health);
    expect((await app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(503);
    ready = true;
    expect((await app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
    expect(health).toHaveBeenCalledTimes(2);
  });
});

describe('GET /healthz', () => {
  it('answers 200 "ok" when the poll loops are live', async () => {
    const response = await build(() => report()).inject({ method: 'GET', url: '/healthz' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: 'ok', metastores: METASTORES });
  });

  it('answers 503 "wedged" when a poll loop is not live', async () => {
    const response = await build(() => report({ live: false })).inject({ method: 'GET', url: '/healthz' });
    expect(response.statusCode).toBe(503);
    expect(response.json()).toEqual({ status: 'wedged', metastores: METASTORES });
  });

  it('stays 200 while the database is down but the loop keeps trying (not ready, still live)', async () => {
    const response = await build(() => report({ ready: false, live: true })).inject({ method: 'GET', url: '/healthz' });
    expect(response.statusCode).toBe(200);
  });
});

describe('GET /metrics', () => {
  it('passes the registry content type and body through unchanged', async () => {
    const body = '# HELP airflow_keda_scaler_open_streams Open streams\n# TYPE airflow_keda_scaler_open_streams gauge\nairflow_keda_scaler_open_streams 2\n';
    const metrics = vi.fn(async () => ({ contentType: PROM_CONTENT_TYPE, body }));
    const response = await build(() => report(), metrics).inject({ method: 'GET', url: '/metrics' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe(PROM_CONTENT_TYPE);
    expect(response.body).toBe(body);
    expect(metrics).toHaveBeenCalledOnce();
  });

  it('supports the OpenMetrics content type too', async () => {
    const contentType = 'application/openmetrics-text; version=1.0.0; charset=utf-8';
    const response = await build(() => report(), async () => ({ contentType, body: '# EOF\n' })).inject({
      method: 'GET',
      url: '/metrics',
    });
    expect(response.headers['content-type']).toBe(contentType);
    expect(response.body).toBe('# EOF\n');
  });

  it('is served regardless of health', async () => {
    const response = await build(() => report({ ready: false, live: false })).inject({ method: 'GET', url: '/metrics' });
    expect(response.statusCode).toBe(200);
  });

  it('answers 500 when collecting metrics fails', async () => {
    const app = build(() => report(), async () => {
      throw new Error('collector exploded');
    });
    const response = await app.inject({ method: 'GET', url: '/metrics' });
    expect(response.statusCode).toBe(500);
  });
});

describe('other routes', () => {
  it('answers 404 for an unknown path', async () => {
    expect((await build(() => report()).inject({ method: 'GET', url: '/nope' })).statusCode).toBe(404);
  });

  it('does not accept POST on the probes', async () => {
    expect((await build(() => report()).inject({ method: 'POST', url: '/readyz' })).statusCode).toBe(404);
  });
});
