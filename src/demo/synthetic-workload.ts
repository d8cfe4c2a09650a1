import type { Logger } from '../core/ports.js';
import type { EmbeddedMetastore } from './embedded-metastore.js';

/** One cycle of the demo: a burst on `default`, a trickle on `high`, then quiet so workers go to 0. */
const CYCLE_SECONDS = 120;
const BUSY_SECONDS = 50;

export interface SyntheticWorkload {
  stop(): void;
}

/**
 * Plays Airflow's scheduler and Celery workers against the embedded metastore, so the numbers on
 * /metrics and GetMetrics move: tasks are queued, start after a few seconds, and finish later.
 */
export function startSyntheticWorkload(metastore: EmbeddedMetastore, logger: Logger): SyntheticWorkload {
  let second = 0;
  let runSeq = 0;
  let busy = false;
  const step = async (): Promise<void> => {
    const phase = second % CYCLE_SECONDS;
    second += 1;
    const statements: string[] = [];
    if (phase < BUSY_SECONDS) {
      runSeq += 1;
      const defaultTasks = phase % 10 === 0 ? 24 : Math.floor(Math.random() * 3);
      const highTasks = Math.random() < 0.3 ? 1 : 0;
      for (const [queue, count] of [['default', defaultTasks], ['high', highTasks]] as const) {
        if (count === 0) continue;
        statements.push(`INSERT INTO task_instance (id, dag_id, task_id, run_id, state, pool, pool_slots, queue, queued_dttm, priority_weight, try_number)
SELECT gen_random_uuid(), 'demo_${queue}', 'task_' || i, 'demo_run_${runSeq}', 'queued', 'default_pool', 1, '${queue}', now(), (random() * 40)::int, 1
FROM generate_series(1, ${count}) AS i`);
      }
    }
    statements.push(`UPDATE task_instance SET state = 'running', start_date = now(), hostname = 'demo-worker-' || (random() * 3)::int
WHERE state = 'queued' AND queued_dttm < now() - interval '3 seconds'`);
    statements.push(`UPDATE task_instance SET state = 'success', end_date = now()
WHERE state = 'running' AND start_date < now() - (interval '1 second' * (10 + priority_weight))`);
    await metastore.exec(statements.join(';\n'));
    if ((phase < BUSY_SECONDS) !== busy) {
      busy = phase < BUSY_SECONDS;
      logger.info({ phase: busy ? 'busy' : 'quiet' }, busy ? 'demo: queueing tasks' : 'demo: no new tasks for a while');
    }
  };
  const timer = setInterval(() => {
    step().catch((err: unknown) => logger.warn({ err: String(err) }, 'demo workload step failed'));
  }, 1_000);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
