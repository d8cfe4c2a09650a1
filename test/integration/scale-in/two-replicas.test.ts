import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

import { POD_DELETION_COST_ANNOTATION } from '../../../src/core/ports.js';
import type { AirflowTestDb } from '../../support/airflow-db.js';
import { createAirflowDb } from '../../support/airflow-db.js';
import type { CeleryHarness } from '../../support/celery-workers.js';
import { startCeleryHarness } from '../../support/celery-workers.js';
import type { CliProcess } from '../../support/cli-process.js';
import { LOCAL_PORTS, runCli } from '../../support/cli-process.js';
import { connectScaler } from '../../support/grpc-client.js';
import type { KubeApiServer } from '../../support/kube-api-server.js';
import { buildPod, startKubeApiServer } from '../../support/kube-api-server.js';
import { eventually } from '../../support/service.js';

/*
 * Two scaler processes (the built CLI) share one Kubernetes API, one metastore and one Celery
 * broker, as the deploy kit's two replicas do. Only the Lease holder may drain workers and patch
 * pods; both must answer KEDA with the same count; and when the holder dies mid-drain the other
 * takes over and finishes the drain without losing the task.
 */
const servers = inject('servers');
const DB = 13; // a Redis database of its own (drain.test.ts uses 12, worker-control 11)
const RUN = randomBytes(3).toString('hex');
const NAMESPACE = 'airflow';
const QUEUE = `two-${RUN}`;
const BUSY = `airflow-worker-7d9f-busy${RUN}`;
const LIGHT = `airflow-worker-7d9f-light${RUN}`;
const METADATA = { queues: QUEUE, workerConcurrency: '16' };

interface Replica {
  readonly token: string;
  readonly cli: CliProcess;
  readonly grpcPort: number;
  readonly httpPort: number;
}

describe('two scaler replicas and one scale-in Lease', () => {
  let celery: CeleryHarness;
  let db: AirflowTestDb;
  let api: KubeApiServer;
  const replicas: Replica[] = [];

  const costOf = (name: string): string | undefined => api.getPod(NAMESPACE, name)?.metadata.annotations?.[POD_DELETION_COST_ANNOTATION];
  const consumes = async (host: string): Promise<boolean> => (await celery.activeQueues([`celery@${host}`]))[`celery@${host}`]?.includes(QUEUE) === true;
  const leads = async (replica: Replica): Promise<boolean> =>
    /^airflow_keda_scaler_scale_in_leader 1$/m.test(await (await fetch(`http://127.0.0.1:${replica.httpPort}/metrics`)).text());
  const reported = async (replica: Replica): Promise<number> => {
    const client = connectScaler(replica.grpcPort);
    try {
      return (await client.getMetrics(METADATA, '')).metricValues[0]?.metricValue ?? Number.NaN;
    } finally {
      client.close();
    }
  };
  const patchTokens = (): string[] => api.requests.filter((r) => r.method === 'PATCH').map((r) => r.authorization ?? '');

  async function startReplica(token: string): Promise<Replica> {
    const dir = mkdtempSync(join(tmpdir(), 'aks-replica-'));
    const file = join(dir, 'scaler.yaml');
    const kubeconfig = api.writeKubeconfig({ token, namespace: NAMESPACE, dir });
    writeFileSync(
      file,
      [
        'poll: { intervalMs: 200 }',
        `scaleIn: { kubeconfig: ${kubeconfig}, broker: { url: "${celery.brokerUrl}", replyTimeoutMs: 500 }, lease: { durationMs: 3000, renewDeadlineMs: 2000, retryPeriodMs: 300 } }`,
      ].join('\n'),
    );
    const cli = runCli(['serve', '--config', file], {
      SCALER_DATABASE_URL: db.bouncerUrl(),
      ...LOCAL_PORTS,
    });
    const ports = await cli.listening();
    return { token, cli, ...ports };
  }

  beforeAll(async () => {
    celery = await startCeleryHarness(DB);
    await Promise.all([celery.startWorker(`celery@${BUSY}`, [QUEUE]), celery.startWorker(`celery@${LIGHT}`, [QUEUE])]);
    db = await createAirflowDb(servers, '3');
    api = await startKubeApiServer();
    for (const name of [BUSY, LIGHT]) {
      api.addPods(buildPod({ name, namespace: NAMESPACE, labels: { component: 'worker' }, owner: { kind: 'ReplicaSet', name: 'airflow-worker-7d9f' } }));
    }
    // 4 running tasks at concurrency 16: one worker is wanted; LIGHT (1 task) is the surplus.
    await db.insert([...Array.from({ length: 3 }, () => ({ state: 'running', queue: QUEUE, hostname: BUSY })), { state: 'running', queue: QUEUE, hostname: LIGHT }]);
    replicas.push(await startReplica('replica-a'), await startReplica('replica-b'));
  }, 120_000);

  afterAll(async () => {
    for (const replica of replicas) replica.cli.child.kill('SIGKILL');
    await api.close();
    await db.drop();
    await celery.close([`_kombu.binding.${QUEUE}`, QUEUE]);
  });

  it('lets one act, makes both answer alike, and hands a drain over cleanly when the holder dies', async () => {
    const leader = await eventually(async () => {
      for (const replica of replicas) if (await leads(replica)) return replica;
      return undefined;
    }, 15_000, 100);
    const follower = replicas.find((replica) => replica !== leader)!;
    expect(await leads(follower)).toBe(false);
    // KEDA spreads its calls over both replicas (a headless Service): both learn the worker set.
    await eventually(async () => reported(leader), 10_000, 100);
    await eventually(async () => reported(follower), 10_000, 100);

    // The leader drains LIGHT and holds it while its task runs; both replicas report 2.
    await eventually(async () => ((await consumes(LIGHT)) ? undefined : true), 20_000, 200);
    expect(await consumes(BUSY)).toBe(true);
    await eventually(async () => (costOf(LIGHT) === '-500' ? true : undefined), 10_000, 50);
    await eventually(async () => ((await reported(follower)) === 2 ? true : undefined), 10_000, 100);
    for (let i = 0; i < 5; i += 1) expect([await reported(leader), await reported(follower)]).toEqual([2, 2]);
    expect(new Set(patchTokens())).toEqual(new Set([`Bearer ${leader.token}`]));

    // The holder dies mid-drain, without releasing its lease.
    leader.cli.child.kill('SIGKILL');
    await leader.cli.exited;
    api.clearRequests();
    await eventually(async () => ((await leads(follower)) ? true : undefined), 15_000, 100);
    // The new holder reconciles: the keeper consumes, the victim stays drained and held.
    expect(await consumes(BUSY)).toBe(true);
    expect(await consumes(LIGHT)).toBe(false);
    expect(await reported(follower)).toBe(2);
    // LIGHT's task finishes: the new holder lets it go, and it alone patches.
    await db.admin.query("UPDATE task_instance SET state = 'success' WHERE state = 'running' AND hostname = $1", [LIGHT]);
    await eventually(async () => ((await reported(follower)) === 1 ? true : undefined), 15_000, 100);
    expect(costOf(LIGHT)).toBe('-1000');
    expect(costOf(BUSY)).toBeUndefined();
    expect(new Set(patchTokens())).toEqual(new Set([`Bearer ${follower.token}`]));
  }, 120_000);
});
