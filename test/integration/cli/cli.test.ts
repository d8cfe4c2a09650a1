import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

import type { AirflowTestDb } from '../../support/airflow-db.js';
import { createAirflowDb } from '../../support/airflow-db.js';
import { connectScaler } from '../../support/grpc-client.js';
import { freePort } from '../../support/pgbouncer-process.js';
import { eventually } from '../../support/service.js';
import { runCli } from '../../support/cli-process.js';

const servers = inject('servers');

async function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

describe('airflow-keda-scaler serve', () => {
  let db: AirflowTestDb;
  beforeAll(async () => {
    db = await createAirflowDb(servers, '3');
    await db.insert([{ state: 'queued' }]);
  });
  afterAll(async () => db.drop());

  it('on SIGTERM ends open streams with OK and exits 0 well within 10 s', async () => {
    const cli = runCli(['serve'], {
      SCALER_DATABASE_URL: db.bouncerUrl(),
      SCALER_GRPC_HOST: '127.0.0.1',
      SCALER_GRPC_PORT: '0',
      SCALER_HTTP_HOST: '127.0.0.1',
      SCALER_HTTP_PORT: '0',
      SCALER_POLL_INTERVAL_MS: '200',
    });
    try {
      const { grpcPort } = await cli.listening();
      const client = connectScaler(grpcPort);
      const stream = client.streamIsActive({});
      const received: boolean[] = [];
      let endStatus: number | undefined;
      let streamError: ServiceError | undefined;
      stream.on('data', (message: { result: boolean }) => received.push(message.result));
      stream.on('status', (s: { code: number }) => {
        endStatus = s.code;
      });
      stream.on('error', (err: ServiceError) => {
        streamError = err;
      });
      await eventually(async () => (received.length > 0 ? true : undefined));

      const signalledAt = Date.now();
      cli.child.kill('SIGTERM');
      expect(await cli.exited).toBe(0);
      expect(Date.now() - signalledAt).toBeLessThan(10_000);
      await eventually(async () => endStatus);
      expect(endStatus).toBe(0);
      expect(streamError).toBeUndefined();
      expect(cli.stdout()).toContain('"msg":"stopped"');
      client.close();
    } finally {
      cli.child.kill('SIGKILL');
    }
  });

  it('rejects a bad configuration listing every problem, before opening any port', async () => {
    const grpcPort = await freePort();
    const httpPort = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'aks-config-'));
    const file = join(dir, 'scaler.yaml');
    writeFileSync(file, 'grpc:\n  prot: 9090\npoll:\n  intervalMs: fast\nmetastores:\n  default:\n    url: mysql://airflow:hunter2@db/airflow\n');
    const cli = runCli(['serve', '--config', file], {
      SCALER_GRPC_PORT: String(grpcPort),
      SCALER_HTTP_PORT: String(httpPort),
      SCALER_POL_INTERVAL_MS: '5',
    });
    expect(await cli.exited).toBe(2);
    const message = cli.stderr();
    expect(message).toContain('grpc.prot is not a known key');
    expect(message).toMatch(/poll\.intervalMs="fast"/);
    expect(message).toContain('SCALER_POL_INTERVAL_MS is not a known environment variable');
    expect(message).not.toContain('hunter2');
    expect(await portIsFree(grpcPort)).toBe(true);
    expect(await portIsFree(httpPort)).toBe(true);
  });

  it('refuses to start without a metastore and says how to configure one', async () => {
    const cli = runCli(['serve'], {});
    expect(await cli.exited).toBe(2);
    expect(cli.stderr()).toContain('no metastore configured: set SCALER_DATABASE_URL');
  });
});

describe('airflow-keda-scaler demo (what npm start runs)', () => {
  it('serves real numbers from the embedded metastore without any external database', async () => {
    const cli = runCli(['demo'], {
      SCALER_GRPC_HOST: '127.0.0.1',
      SCALER_GRPC_PORT: '0',
      SCALER_HTTP_HOST: '127.0.0.1',
      SCALER_HTTP_PORT: '0',
    });
    try {
      const { grpcPort, httpPort } = await cli.listening(30_000);
      expect(cli.stderr()).toContain('kind: ScaledObject');
      const client = connectScaler(grpcPort);
      try {
        // The synthetic workload queues a burst at once; the desired count becomes positive.
        const desired = await eventually(async () => {
          const response = await client.getMetrics({ queues: 'default' }, '');
          const value = response.metricValues[0]?.metricValue ?? 0;
          return value > 0 ? value : undefined;
        }, 20_000, 200);
        expect(desired).toBeGreaterThan(0);
      } finally {
        client.close();
      }
      expect((await fetch(`http://127.0.0.1:${httpPort}/readyz`)).status).toBe(200);
      cli.child.kill('SIGTERM');
      expect(await cli.exited).toBe(0);
    } finally {
      cli.child.kill('SIGKILL');
    }
  });
});
