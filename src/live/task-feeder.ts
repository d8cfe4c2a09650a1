import { randomUUID } from 'node:crypto';

import type { EmbeddedMetastore } from '../demo/embedded-metastore.js';
import type { Workload } from '../sim/model/workload.js';
import type { VirtualClock } from './virtual-clock.js';

/**
 * Plays Airflow's scheduler: inserts each task of the workload as a `queued` task_instance row
 * when its virtual queued time comes, and remembers how long it will run.
 */
export class TaskFeeder {
  private next = 0;
  private runSeq = 0;
  readonly durations = new Map<string, number>();

  constructor(
    private readonly workload: Workload,
    private readonly metastore: EmbeddedMetastore,
    private readonly clock: VirtualClock,
  ) {}

  async step(): Promise<void> {
    const now = this.clock.now();
    const ids: string[] = [];
    const queues: string[] = [];
    const { queuedAt, queue, duration, queueNames } = this.workload;
    while (this.next < queuedAt.length && (queuedAt[this.next] ?? Infinity) <= now) {
      const id = randomUUID();
      ids.push(id);
      queues.push(queueNames[queue[this.next] ?? 0] ?? 'default');
      this.durations.set(id, duration[this.next] ?? 0);
      this.next += 1;
    }
    if (ids.length === 0) return;
    this.runSeq += 1;
    await this.metastore.query(
      `INSERT INTO task_instance (id, dag_id, task_id, run_id, state, pool, pool_slots, queue, queued_dttm, try_number)
       SELECT id, 'live_demo', 'task_' || ord, $3, 'queued', 'default_pool', 1, q, now(), 1
       FROM unnest($1::uuid[], $2::text[]) WITH ORDINALITY AS t(id, q, ord)`,
      [ids, queues, `live_${this.runSeq}`],
    );
  }
}
