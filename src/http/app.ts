import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';

import type { HealthReport } from '../core/health.js';

export interface HttpAppDeps {
  readonly health: () => HealthReport;
  readonly metrics: () => Promise<{ readonly contentType: string; readonly body: string }>;
}

/**
 * Built here, listened in main, so tests use `inject()` without a socket.
 * `/healthz` is liveness (the poll loop is alive; a restart would not fix a database outage),
 * `/readyz` is readiness (every metastore snapshot is fresh).
 */
export function buildHttpApp(deps: HttpAppDeps): FastifyInstance {
  const app = Fastify({ logger: false });

  app.get('/metrics', async (_request, reply) => {
    const { contentType, body } = await deps.metrics();
    return reply.header('content-type', contentType).send(body);
  });

  app.get('/healthz', async (_request, reply) => {
    const report = deps.health();
    return reply.code(report.live ? 200 : 503).send({ status: report.live ? 'ok' : 'wedged', metastores: report.metastores });
  });

  app.get('/readyz', async (_request, reply) => {
    const report = deps.health();
    return reply
      .code(report.ready ? 200 : 503)
      .send({ status: report.ready ? 'ready' : 'not ready', metastores: report.metastores });
  });

  return app;
}
