import { describe, expect, it } from 'vitest';

import { ErrorCode } from '../../../src/core/errors.js';
import type { EmbeddedMetastore } from '../../../src/demo/embedded-metastore.js';
import { CeleryWorkers } from '../../../src/live/celery-workers.js';
import { VirtualClock } from '../../../src/live/virtual-clock.js';
import { simulatedPodDirectory, simulatedWorkerControl } from '../../../src/live/worker-ports.js';
import { fixed } from '../../../src/sim/model/distribution.js';
import { Stream, createRng } from '../../../src/sim/model/random.js';

/** A metastore that records the claims and hands out no task: the ports are under test here. */
function fakeMetastore(claims: { pod: string; queues: string[] }[]): EmbeddedMetastore {
  return {
    url: 'postgresql://fake',
    exec: () => Promise.resolve(),
    query: <T>(sql: string, params: readonly unknown[] = []) => {
      if (sql.includes("SET state = 'running'")) claims.push({ pod: params[0] as string, queues: params[1] as string[] });
      return Promise.resolve([] as T[]);
    },
    close: () => Promise.resolve(),
  };
}

async function readyWorkers(count: number) {
  let now = 0;
  const claims: { pod: string; queues: string[] }[] = [];
  const clock = new VirtualClock(1, () => now);
  const workers = new CeleryWorkers(
    { queues: ['default', 'high'], concurrency: 4, startup: fixed(1), terminationGracePeriodSeconds: 60 },
    fakeMetastore(claims),
    clock,
    createRng(1, Stream.pods),
    new Map(),
  );
  workers.scaleTo(count);
  now = 2_000;
  await workers.step();
  claims.length = 0;
  return { workers, claims, advance: (ms: number) => (now += ms) };
}

describe('the demo workers behind the scale-in ports', () => {
  it('list as Running, Ready, ReplicaSet-owned pods in their namespace only, by label selector', async () => {
    const { workers } = await readyWorkers(2);
    const pods = simulatedPodDirectory(workers, 'airflow');
    const listed = await pods.list('airflow', 'component=worker,release=airflow');
    expect(listed.map((p) => [p.name, p.phase, p.ready, p.ownerKind, p.deletionCost])).toEqual([
      ['airflow-worker-1', 'Running', true, 'ReplicaSet', null],
      ['airflow-worker-2', 'Running', true, 'ReplicaSet', null],
    ]);
    expect(await pods.list('elsewhere', 'component=worker')).toEqual([]);
    expect(await pods.list('airflow', 'component=scheduler')).toEqual([]);
    expect(await pods.list('airflow', 'component=worker,release!=airflow')).toEqual([]);
  });

  it('list a starting worker as Pending and not Ready, as the ReplicaSet ranking and the simulator see it', async () => {
    const { workers } = await readyWorkers(1);
    workers.scaleTo(2);
    const listed = await simulatedPodDirectory(workers, 'airflow').list('airflow', 'component=worker');
    expect(listed.map((p) => [p.name, p.phase, p.ready, p.terminating])).toEqual([
      ['airflow-worker-1', 'Running', true, false],
      ['airflow-worker-2', 'Pending', false, false],
    ]);
  });

  it('carry pod-deletion-cost, and the ReplicaSet (core ranking) removes the lowest cost first', async () => {
    const { workers } = await readyWorkers(3);
    const pods = simulatedPodDirectory(workers, 'airflow');
    // Without costs the ReplicaSet would take the newest (airflow-worker-3).
    await pods.setDeletionCost('airflow', 'airflow-worker-1', -1000);
    workers.scaleTo(2);
    expect(workers.list().filter((p) => p.state === 'terminating').map((p) => p.name)).toEqual(['airflow-worker-1']);
    await expect(pods.setDeletionCost('airflow', 'airflow-worker-9', 1)).rejects.toMatchObject({ code: ErrorCode.KubernetesApiFailed });
  });

  it('answer cancel_consumer and add_consumer per queue; a drained worker claims nothing, a restored one claims again', async () => {
    const { workers, claims, advance } = await readyWorkers(2);
    const control = simulatedWorkerControl(workers);
    for (const queue of ['default', 'high']) {
      expect((await control.cancelConsumer(['airflow-worker-1', 'airflow-worker-7'], queue)).map((r) => [r.hostname, r.ok])).toEqual([['airflow-worker-1', true]]);
    }
    expect(workers.counts()).toMatchObject({ ready: 1, draining: 1 });
    advance(1_000);
    await workers.step();
    expect(claims.map((c) => c.pod)).toEqual(['airflow-worker-2']);
    await control.addConsumer(['airflow-worker-1'], 'high');
    claims.length = 0;
    advance(1_000);
    await workers.step();
    expect(claims).toEqual([
      { pod: 'airflow-worker-1', queues: ['high'] },
      { pod: 'airflow-worker-2', queues: ['default', 'high'] },
    ]);
    expect(workers.counts()).toMatchObject({ ready: 1, draining: 1 });
  });
});
