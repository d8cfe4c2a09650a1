import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { ServiceError } from '@grpc/grpc-js';
import { load } from 'js-yaml';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

import type { AirflowTestDb } from '../../support/airflow-db.js';
import { createAirflowDb } from '../../support/airflow-db.js';
import { connectScaler } from '../../support/grpc-client.js';
import { freePort } from '../../support/pgbouncer-process.js';
import { eventually } from '../../support/service.js';
import { LOCAL_PORTS, runCli } from '../../support/cli-process.js';

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
      ...LOCAL_PORTS,
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
  it('drives the real service live: tasks queued, workers scaled through gRPC, tasks run and finish', async () => {
    const cli = runCli(['demo', '--speed', '60'], {
      ...LOCAL_PORTS,
      SCALER_POLL_INTERVAL_MS: '250',
    });
    try {
      const { grpcPort, httpPort } = await cli.listening(30_000);
      await eventually(async () => {
        if (cli.child.exitCode !== null) throw new Error(`demo exited with ${cli.child.exitCode}: ${cli.stderr()}`);
        return cli.stderr().includes('kind: ScaledObject') ? true : undefined;
      }, 20_000);
      const yaml = /^apiVersion: keda\.sh\/v1alpha1\n[\s\S]*?\n(?=Press Ctrl-C)/m.exec(cli.stderr())?.[0] ?? '';
      const printed = load(yaml) as { metadata: { name: string; namespace: string }; spec: { triggers: { metadata: Record<string, string> }[] } };
      const trigger = printed.spec.triggers[0]!.metadata;
      // Ask as the printed ScaledObject does: the worker set's info series carries the settings of
      // the latest request, so a call with other bounds would race the demo's KEDA for the labels.
      const client = connectScaler(grpcPort, undefined, undefined, printed.metadata);
      try {
        // The scenario queues a burst at once; the desired count becomes positive.
        const desired = await eventually(async () => {
          const response = await client.getMetrics(trigger, '');
          const value = response.metricValues[0]?.metricValue ?? 0;
          return value > 0 ? value : undefined;
        }, 20_000, 200);
        expect(desired).toBeGreaterThan(0);
      } finally {
        client.close();
      }
      // KEDA (simulated) activated the Deployment from the scaler's answer; pods became ready and
      // claimed tasks in the database, which the scaler then counts as running.
      const metric = (body: string, pattern: RegExp): number => Number(pattern.exec(body)?.[1] ?? 0);
      await eventually(async () => {
        const body = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
        const ready = metric(body, /airflow_keda_scaler_demo_worker_pods\{state="ready"\} (\d+)/);
        const running = metric(body, /airflow_keda_scaler_worker_set_tasks\{[^}]*state="running"\} (\d+)/);
        return ready > 0 && running > 0 ? true : undefined;
      }, 30_000, 250);
      expect(cli.stderr()).toMatch(/KEDA {3}replicas \d+ {2}reported \d+ {2}formula \d+/);
      expect(cli.stderr()).toMatch(/errors: \d+ rpc, \d+ poll/);
      expect((await fetch(`http://127.0.0.1:${httpPort}/readyz`)).status).toBe(200);
      // The ScaledObject it prints is the one it serves: the worker set the service tracks has
      // its ScaledObject, queues, concurrency, bounds and scale-in policy.
      const body = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
      expect(body).toContain(
        `scaled_object_namespace="${printed.metadata.namespace}",scaled_object="${printed.metadata.name}",queues="${trigger['queues']}",` +
          `worker_concurrency="${trigger['workerConcurrency']}",min_replica_count="${trigger['minReplicaCount']}",max_replica_count="${trigger['maxReplicaCount']}",scale_in="drain"} 1`,
      );
      expect(trigger['scalerAddress']).toBe(`127.0.0.1:${grpcPort}`);
      // Drain scale-in works on the simulated workers: the service drained some over "Celery".
      await eventually(async () => {
        const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
        return metric(text, /airflow_keda_scaler_scale_in_drains_total (\d+)/) > 0 ? true : undefined;
      }, 30_000, 250);
      expect(body).toContain('airflow_keda_scaler_scale_in_capability{capability="broker"} 1');
      cli.child.kill('SIGTERM');
      expect(await cli.exited).toBe(0);
    } finally {
      cli.child.kill('SIGKILL');
    }
  }, 150_000);

  it('refuses a bad --speed before starting anything', async () => {
    const cli = runCli(['demo', '--speed', 'fast'], {});
    expect(await cli.exited).toBe(2);
    expect(cli.stderr()).toContain('--speed="fast" must be a number from 1 to 1000');
  });
});
