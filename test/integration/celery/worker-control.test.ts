import { randomBytes } from 'node:crypto';

import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createRedisWorkerControl } from '../../../src/celery/redis-worker-control.js';
import { ErrorCode, ScalerError } from '../../../src/core/errors.js';
import type { WorkerControl } from '../../../src/core/ports.js';
import type { CeleryHarness } from '../../support/celery-workers.js';
import { startCeleryHarness } from '../../support/celery-workers.js';
import { freePort } from '../../support/pgbouncer-process.js';
import { quietLogger } from '../../support/quiet-logger.js';

// A database of its own: the suite flushes it and touches nothing else on that Redis.
const DB = 11;
const RUN = randomBytes(4).toString('hex');
const HOST_A = `aks-test-worker-a-${RUN}`;
const HOST_B = `aks-test-worker-b-${RUN}`;
const NODE_A = `celery@${HOST_A}`;
const NODE_B = `celery@${HOST_B}`;
const QUEUE = `drain-test-${RUN}`;
const PASSWORD = `pw-${RUN}-secret`;



describe('RedisWorkerControl against real Celery workers', () => {
  let celery: CeleryHarness;
  let brokerUrl = '';
  let admin: Redis;
  const controls: WorkerControl[] = [];

  async function control(replyTimeoutMs?: number, url = brokerUrl): Promise<WorkerControl> {
    const created = await createRedisWorkerControl({ url, logger: quietLogger, ...(replyTimeoutMs === undefined ? {} : { replyTimeoutMs }) });
    controls.push(created);
    return created;
  }

  const activeQueues = (): Promise<Record<string, string[]>> => celery.activeQueues([NODE_A, NODE_B]);

  beforeAll(async () => {
    celery = await startCeleryHarness(DB);
    brokerUrl = celery.brokerUrl;
    admin = celery.admin;
    await Promise.all([celery.startWorker(NODE_A, [QUEUE]), celery.startWorker(NODE_B, [QUEUE])]);
  }, 120_000);

  afterAll(async () => {
    await Promise.allSettled(controls.map((c) => c.close()));
    // Only this run's keys: the task queue's binding and list outlive the workers.
    await celery.close([`_kombu.binding.${QUEUE}`, QUEUE]);
  });

  it('stops consuming the queue on the addressed worker only', async () => {
    const replies = await (await control()).cancelConsumer([HOST_A], QUEUE);

    expect(replies).toEqual([{ hostname: HOST_A, ok: true, detail: `no longer consuming from ${QUEUE}` }]);
    const queues = await activeQueues();
    expect(queues[NODE_A]).not.toContain(QUEUE);
    expect(queues[NODE_B]).toContain(QUEUE);
  });

  it('sends new tasks of the queue only to the workers that still consume it', async () => {
    const workerControl = await control();
    const [reply] = await workerControl.cancelConsumer([HOST_A], QUEUE);
    expect(reply).toMatchObject({ hostname: HOST_A, ok: true });
    expect((await activeQueues())[NODE_A]).not.toContain(QUEUE);

    const markers = ['task-1', 'task-2', 'task-3', 'task-4'];
    await celery.sendTasks(QUEUE, markers);

    expect(await celery.ranOn(markers)).toEqual(markers.map(() => NODE_B));
  });

  it('resumes consuming the queue on the addressed worker after add_consumer', async () => {
    const workerControl = await control();
    await workerControl.cancelConsumer([HOST_A], QUEUE);

    const replies = await workerControl.addConsumer([HOST_A], QUEUE);

    expect(replies).toEqual([{ hostname: HOST_A, ok: true, detail: `add consumer ${QUEUE}` }]);
    const queues = await activeQueues();
    expect(queues[NODE_A]).toContain(QUEUE);
    expect(queues[NODE_B]).toContain(QUEUE);
  });

  it('resolves with no replies after the reply timeout for a hostname no worker has, and leaves the workers alone', async () => {
    const workerControl = await control(1_000);
    const started = Date.now();

    const replies = await workerControl.cancelConsumer([`aks-test-worker-gone-${RUN}`], QUEUE);

    expect(replies).toEqual([]);
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(950);
    expect(elapsed).toBeLessThan(3_000);
    const queues = await activeQueues();
    expect(queues[NODE_A]).toContain(QUEUE);
    expect(queues[NODE_B]).toContain(QUEUE);
    const again = await workerControl.addConsumer([HOST_A, HOST_B], QUEUE);
    expect(again.map((r) => r.hostname).sort()).toEqual([HOST_A, HOST_B].sort());
    expect(again.every((r) => r.ok)).toBe(true);
  });

  it('resolves as soon as every addressed worker has answered instead of waiting for the timeout', async () => {
    const workerControl = await control(15_000);
    const started = Date.now();

    const replies = await workerControl.addConsumer([HOST_A, HOST_B, HOST_A], QUEUE);

    expect(Date.now() - started).toBeLessThan(5_000);
    expect(replies.map((r) => r.hostname).sort()).toEqual([HOST_A, HOST_B].sort());
  });

  it('publishes nothing when given no hostnames, because an empty destination reaches every worker', async () => {
    const subscriber = new Redis(brokerUrl, { lazyConnect: true });
    try {
      await subscriber.connect();
      const seen: string[] = [];
      subscriber.on('pmessage', (_pattern: string, channel: string) => seen.push(channel));
      await subscriber.psubscribe(`/${DB}.celery.pidbox`);
      const workerControl = await control();

      expect(await workerControl.cancelConsumer([], QUEUE)).toEqual([]);
      await (await control(200)).addConsumer([`aks-test-worker-probe-${RUN}`], QUEUE);

      // The second call proves the subscription sees pidbox traffic; the first sent none.
      expect(seen).toEqual([`/${DB}.celery.pidbox`]);
    } finally {
      subscriber.disconnect();
    }
    const queues = await activeQueues();
    expect(queues[NODE_A]).toContain(QUEUE);
    expect(queues[NODE_B]).toContain(QUEUE);
  });

  it('reconnects on the next call after the broker dropped its connections', async () => {
    const workerControl = await control();
    expect(await workerControl.addConsumer([HOST_A], QUEUE)).toMatchObject([{ hostname: HOST_A, ok: true }]);
    const clients = String(await admin.call('CLIENT', 'LIST')).split('\n');
    const ours = clients.filter((line) => / name=airflow-keda-scaler-\S+ /.test(line) && line.includes(` db=${DB} `));
    expect(ours.length).toBeGreaterThanOrEqual(2);
    for (const line of ours) await admin.call('CLIENT', 'KILL', 'ID', /^id=(\d+)/.exec(line)![1]!);

    expect(await workerControl.addConsumer([HOST_A], QUEUE)).toMatchObject([{ hostname: HOST_A, ok: true }]);
  });

  it('leaves no reply queue or reply binding behind on the broker', async () => {
    const workerControl = await control(300);
    await workerControl.addConsumer([HOST_A, `aks-test-worker-gone-${RUN}`], QUEUE);

    expect(await admin.smembers('_kombu.binding.reply.celery.pidbox')).toEqual([]);
    expect(await admin.keys('*.reply.celery.pidbox*')).toEqual([]);
  });

  it('rejects with ASC_BROKER_CONTROL_FAILED, without the password, when the broker is unreachable', async () => {
    const port = await freePort();
    const unreachable = await control(1_000, `redis://:${PASSWORD}@127.0.0.1:${port}/${DB}`);
    const started = Date.now();

    const error: unknown = await unreachable.cancelConsumer([HOST_A], QUEUE).then(
      () => undefined,
      (err: unknown) => err,
    );

    expect(error).toBeInstanceOf(ScalerError);
    const scalerError = error as ScalerError;
    expect(scalerError.code).toBe(ErrorCode.BrokerControlFailed);
    expect(scalerError.cause).toBeDefined();
    expect(scalerError.message).toContain(`127.0.0.1:${port}`);
    expect(scalerError.message).not.toContain(PASSWORD);
    expect(String(scalerError.cause)).not.toContain(PASSWORD);
    expect(Date.now() - started).toBeLessThan(5_000);
    // A failed call leaves the control usable: the next call fails the same way instead of hanging.
    await expect(unreachable.addConsumer([HOST_A], QUEUE)).rejects.toMatchObject({ code: ErrorCode.BrokerControlFailed });
  });
});
