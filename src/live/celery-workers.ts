import { modelledPod, podsToDelete } from '../core/replica-set-ranking.js';
import type { EmbeddedMetastore } from '../demo/embedded-metastore.js';
import type { Distribution } from '../sim/model/distribution.js';
import { sample } from '../sim/model/distribution.js';
import type { Rng } from '../sim/model/random.js';
import type { VirtualClock } from './virtual-clock.js';

type PodState = 'starting' | 'ready' | 'terminating';

interface Pod {
  readonly name: string;
  readonly uid: number;
  readonly createdAt: number;
  state: PodState;
  readyAt: number;
  terminatingSince: number;
  /** task id → virtual time it finishes */
  readonly running: Map<string, number>;
}

export interface WorkerSettings {
  readonly queues: readonly string[];
  readonly concurrency: number;
  readonly startup: Distribution;
  readonly terminationGracePeriodSeconds: number;
}

export interface WorkerCounts {
  readonly starting: number;
  readonly ready: number;
  readonly terminating: number;
  readonly killed: number;
}

/**
 * Plays a Celery worker Deployment: pods become ready after a start-up delay, claim queued tasks
 * in the database (FIFO, up to `concurrency` each) and mark them successful when done. Removed
 * pods shut down warmly: no new tasks, running ones finish within the grace period or are killed
 * and queued again, as Airflow retries them.
 */
export class CeleryWorkers {
  private readonly pods: Pod[] = [];
  private podSeq = 0;
  private killed = 0;

  constructor(
    private readonly settings: WorkerSettings,
    private readonly metastore: EmbeddedMetastore,
    private readonly clock: VirtualClock,
    private readonly rng: Rng,
    private readonly durations: Map<string, number>,
  ) {}

  counts(): WorkerCounts {
    const count = (state: PodState) => this.pods.filter((pod) => pod.state === state).length;
    return { starting: count('starting'), ready: count('ready'), terminating: count('terminating'), killed: this.killed };
  }

  /** Replicas the Deployment should have; extra pods are removed as a ReplicaSet would. */
  scaleTo(replicas: number): void {
    const now = this.clock.now();
    const live = this.pods.filter((pod) => pod.state !== 'terminating');
    for (let i = live.length; i < replicas; i += 1) {
      this.podSeq += 1;
      const startup = Math.max(0, sample(this.settings.startup, this.rng));
      this.pods.push({
        name: `airflow-worker-${this.podSeq}`,
        uid: this.podSeq,
        createdAt: now,
        state: 'starting',
        readyAt: now + startup,
        terminatingSince: 0,
        running: new Map(),
      });
    }
    // The ReplicaSet's own ranking: it does not know which workers are busy.
    const ranked = live.map((pod) => ({
      pod,
      ...modelledPod({
        ready: pod.state === 'ready',
        deletionCost: null,
        readySinceMs: pod.state === 'ready' ? pod.readyAt * 1000 : null,
        createdAtMs: pod.createdAt * 1000,
        uid: pod.uid,
      }),
    }));
    for (const { pod } of podsToDelete(ranked, live.length - replicas, now * 1000)) {
      pod.state = 'terminating';
      pod.terminatingSince = now;
    }
  }

  async step(): Promise<void> {
    const now = this.clock.now();
    const finished: string[] = [];
    const killed: string[] = [];
    for (const pod of this.pods) {
      if (pod.state === 'starting' && pod.readyAt <= now) pod.state = 'ready';
      for (const [id, endsAt] of pod.running) {
        if (endsAt <= now) {
          finished.push(id);
          pod.running.delete(id);
        }
      }
      if (pod.state === 'terminating' && now - pod.terminatingSince >= this.settings.terminationGracePeriodSeconds) {
        killed.push(...pod.running.keys());
        pod.running.clear();
      }
    }
    for (let i = this.pods.length - 1; i >= 0; i -= 1) {
      const pod = this.pods[i];
      if (pod?.state === 'terminating' && pod.running.size === 0) this.pods.splice(i, 1);
    }
    if (finished.length > 0) {
      await this.metastore.query("UPDATE task_instance SET state = 'success', end_date = now(), updated_at = now() WHERE id = ANY($1::uuid[])", [finished]);
      for (const id of finished) this.durations.delete(id);
    }
    if (killed.length > 0) {
      this.killed += killed.length;
      await this.metastore.query(
        "UPDATE task_instance SET state = 'queued', hostname = NULL, try_number = try_number + 1, queued_dttm = now() WHERE id = ANY($1::uuid[])",
        [killed],
      );
    }
    for (const pod of this.pods) {
      const free = pod.state === 'ready' ? this.settings.concurrency - pod.running.size : 0;
      if (free <= 0) continue;
      const claimed = await this.metastore.query<{ id: string }>(
        `UPDATE task_instance SET state = 'running', hostname = $1, start_date = now(), updated_at = now()
         WHERE id IN (SELECT id FROM task_instance WHERE state = 'queued' AND queue = ANY($2::text[]) ORDER BY queued_dttm, id LIMIT $3)
         RETURNING id`,
        [pod.name, this.settings.queues, free],
      );
      for (const { id } of claimed) pod.running.set(id, now + (this.durations.get(id) ?? 0));
    }
  }
}
