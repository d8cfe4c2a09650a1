import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import type { EmbeddedMetastore } from '../../../src/demo/embedded-metastore.js';
import { startEmbeddedMetastore } from '../../../src/demo/embedded-metastore.js';
import { CeleryWorkers } from '../../../src/live/celery-workers.js';
import { VirtualClock } from '../../../src/live/virtual-clock.js';
import { fixed } from '../../../src/sim/model/distribution.js';
import { createRng } from '../../../src/sim/model/random.js';
import { quietLogger } from '../../support/quiet-logger.js';


describe('CeleryWorkers (live demo) on the embedded PostgreSQL', () => {
  let metastore: EmbeddedMetastore;
  let wallMs = 0;
  let clock: VirtualClock;
  let durations: Map<string, number>;
  let workers: CeleryWorkers;

  async function queue(count: number, seconds: number): Promise<string[]> {
    const rows = await metastore.query<{ id: string }>(
      `INSERT INTO task_instance (id, dag_id, task_id, run_id, state, pool, pool_slots, queue, queued_dttm)
       SELECT gen_random_uuid(), 'd', 't' || i || '_' || $2, 'r', 'queued', 'p', 1, 'default', now() + i * interval '1 millisecond'
       FROM generate_series(1, $1::int) AS i RETURNING id`,
      [count, Math.random()],
    );
    for (const { id } of rows) durations.set(id, seconds);
    return rows.map((r) => r.id);
  }

  async function states(): Promise<Record<string, number>> {
    const rows = await metastore.query<{ state: string; n: number }>('SELECT state, count(*)::int AS n FROM task_instance GROUP BY state');
    return Object.fromEntries(rows.map((r) => [r.state, r.n]));
  }

  const advance = (seconds: number): void => {
    wallMs += seconds * 1000;
  };

  beforeAll(async () => {
    metastore = await startEmbeddedMetastore(quietLogger);
  });
  afterAll(async () => metastore.close());
  beforeEach(async () => {
    await metastore.exec('DELETE FROM task_instance');
    wallMs = 0;
    clock = new VirtualClock(1, () => wallMs);
    durations = new Map();
    workers = new CeleryWorkers(
      { queues: ['default'], concurrency: 2, startup: fixed(10), terminationGracePeriodSeconds: 30 },
      metastore,
      clock,
      createRng(1, 1),
      durations,
    );
  });

  it('starts pods after their start-up delay, then claims at most concurrency tasks each', async () => {
    await queue(5, 100);
    workers.scaleTo(2);
    await workers.step();
    expect(workers.counts()).toMatchObject({ starting: 2, ready: 0 });
    expect(await states()).toEqual({ queued: 5 });
    advance(10);
    await workers.step();
    expect(workers.counts()).toMatchObject({ starting: 0, ready: 2 });
    expect(await states()).toEqual({ queued: 1, running: 4 });
  });

  it('marks tasks successful when their duration has passed and takes the next ones', async () => {
    await queue(3, 20);
    workers.scaleTo(1);
    advance(10);
    await workers.step();
    expect(await states()).toEqual({ queued: 1, running: 2 });
    advance(20);
    await workers.step();
    expect(await states()).toEqual({ success: 2, running: 1 });
  });

  it('drains a removed pod: no new tasks, and what outlives the grace period is killed and queued again', async () => {
    await queue(2, 100);
    workers.scaleTo(1);
    advance(10);
    await workers.step();
    expect(await states()).toEqual({ running: 2 });
    workers.scaleTo(0);
    await queue(1, 5);
    advance(5);
    await workers.step();
    expect(workers.counts()).toMatchObject({ ready: 0, terminating: 1, killed: 0 });
    expect(await states()).toEqual({ running: 2, queued: 1 });
    advance(30);
    await workers.step();
    expect(workers.counts()).toMatchObject({ terminating: 0, killed: 2 });
    expect(await states()).toEqual({ queued: 3 });
  });
});
