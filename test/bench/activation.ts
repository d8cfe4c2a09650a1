import { randomUUID } from 'node:crypto';

import pg from 'pg';

import type { IsActiveResponse } from '../../src/grpc/messages.js';
import { connectScaler } from '../support/grpc-client.js';
import type { BenchEnvironment } from './environment.js';
import type { Figures } from './figures.js';
import { percentile, round, summarize } from './figures.js';
import { startServiceProcess, waitReady } from './service-process.js';

const TICK_MS = 1_000;
const KEDA_POLLING_INTERVAL_MS = 5_000;

/**
 * 4. Activation latency: from the commit that queues the first task of an idle queue to the
 * `true` on an open StreamIsActive stream. Each trial uses a fresh queue, so it starts idle.
 */
export async function benchActivation(env: BenchEnvironment, trials: number): Promise<Figures> {
  const service = await startServiceProcess({ SCALER_DATABASE_URL: env.oursUrl, SCALER_POLL_INTERVAL_MS: String(TICK_MS) });
  const client = connectScaler(service.grpcPort);
  const writer = new pg.Client({ connectionString: env.directUrl });
  await writer.connect();
  const latencies: number[] = [];
  const queues: string[] = [];
  try {
    await waitReady(service.httpPort);
    for (let trial = 0; trial < trials; trial += 1) {
      const queue = `activation_${randomUUID().slice(0, 8)}`;
      queues.push(queue);
      const stream = client.streamIsActive({ queues: queue });
      const activated = new Promise<number>((resolve, reject) => {
        stream.on('data', (message: IsActiveResponse) => {
          if (message.result) resolve(performance.now());
        });
        stream.on('error', (err: Error) => {
          if (!/Cancelled/.test(err.message)) reject(err);
        });
      });
      // Let the stream open and see one idle snapshot; a random offset spreads commits over the tick.
      await new Promise((r) => setTimeout(r, 150 + Math.random() * TICK_MS));
      const committed = performance.now();
      await writer.query(
        `INSERT INTO task_instance (id, dag_id, task_id, run_id, state, pool, pool_slots, queue, queued_dttm)
         VALUES ($1, 'activation', $2, 'bench', 'queued', 'default_pool', 1, $2, now())`,
        [randomUUID(), queue],
      );
      latencies.push((await activated) - committed);
      stream.cancel();
    }
  } finally {
    await writer.query('DELETE FROM task_instance WHERE queue = ANY($1)', [queues]).catch(() => undefined);
    await writer.end();
    client.close();
    await service.stop();
  }
  const s = summarize(latencies);
  // The built-in trigger activates at its next poll: uniform over the pollingInterval.
  const expected = Array.from({ length: 1000 }, (_, i) => ((i + 0.5) / 1000) * KEDA_POLLING_INTERVAL_MS);
  const expectedSorted = expected.sort((a, b) => a - b);
  return {
    'activation latency p50 (StreamIsActive)': {
      value: round(s.p50, 1),
      unit: 'ms',
      baseline: round(percentile(expectedSorted, 50), 1),
      ratio: round(percentile(expectedSorted, 50) / s.p50, 1),
      note: `${trials} trials, tick ${TICK_MS} ms; baseline: built-in trigger's expected wait at pollingInterval 5 s`,
    },
    'activation latency p99 (StreamIsActive)': {
      value: round(s.p99, 1),
      unit: 'ms',
      baseline: round(percentile(expectedSorted, 99), 1),
      ratio: round(percentile(expectedSorted, 99) / s.p99, 1),
      goal: `≤ tick + 100 ms (${TICK_MS + 100} ms)`,
    },
  };
}
