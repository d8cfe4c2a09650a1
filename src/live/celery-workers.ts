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
  /** The queues the worker consumes from: Celery's cancel_consumer / add_consumer change them. */
  readonly consuming: Set<string>;
  /** The controller.kubernetes.io/pod-deletion-cost annotation, null when absent. */
  deletionCost: number | null;
}

export interface WorkerSettings {
  readonly queues: readonly string[];
  readonly concurrency: number;
  readonly startup: Distribution;
  readonly terminationGracePeriodSeconds: number;
}

export interface WorkerCounts {
  readonly starting: number;
  /** Ready and consuming every queue. */
  readonly ready: number;
  /** Ready but told to stop consuming (cancel_consumer): finishing their tasks, taking no new ones. */
  readonly draining: number;
  /** Removed by the ReplicaSet: finishing within the grace period, then gone. */
  readonly terminating: number;
  readonly killed: number;
}

/** A pod as the Kubernetes API would list it, for the demo's PodDirectory. */
export interface ListedWorker {
  readonly name: string;
  readonly state: PodState;
  readonly deletionCost: number | null;
  readonly labels: Readonly<Record<string, string>>;
}

/** The labels of the chart's worker pods, which the demo's worker set selects. */
export const WORKER_POD_LABELS: Readonly<Record<string, string>> = { component: 'worker', release: 'airflow' };

/**
 * Plays a Celery worker Deployment: pods become ready after a start-up delay, claim queued tasks
 * in the database (FIFO, up to `concurrency` each, from the queues they consume) and mark them
 * successful when done. Removed pods shut down warmly: no new tasks, running ones finish within
 * the grace period or are killed and queued again, as Airflow retries them. The ReplicaSet picks
 * whom to remove by core's ranking, pod-deletion-cost first; the workers answer Celery's
 * cancel_consumer / add_consumer (src/live/worker-ports.ts serves both to the real scale-in).
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
    const draining = this.pods.filter((pod) => pod.state === 'ready' && this.isDraining(pod)).length;
    return { starting: count('starting'), ready: count('ready') - draining, draining, terminating: count('terminating'), killed: this.killed };
  }

  private isDraining(pod: Pod): boolean {
    return this.settings.queues.some((queue) => !pod.consuming.has(queue));
  }

  /** Every pod that still exists, as the API server lists it. */
  list(): ListedWorker[] {
    return this.pods.map((pod) => ({ name: pod.name, state: pod.state, deletionCost: pod.deletionCost, labels: WORKER_POD_LABELS }));
  }

  /** Writes (or with null removes) a pod's pod-deletion-cost; false when the pod is gone. */
  setDeletionCost(name: string, cost: number | null): boolean {
    const pod = this.pods.find((p) => p.name === name);
    if (pod === undefined) return false;
    pod.deletionCost = cost;
    return true;
  }

  /** Celery remote control to `celery@<name>`: the names of the workers that replied ok. */
  control(names: readonly string[], queue: string, consume: boolean): string[] {
    const replied: string[] = [];
    for (const pod of this.pods) {
      if (!names.includes(pod.name) || pod.state !== 'ready') continue;
      if (consume) pod.consuming.add(queue);
      else pod.consuming.delete(queue);
      replied.push(pod.name);
    }
    return replied;
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
        consuming: new Set(this.settings.queues),
        deletionCost: null,
      });
    }
    // The ReplicaSet's own ranking (core's): it knows no load, only pod-deletion-cost, readiness and age.
    const ranked = live.map((pod) => ({
      pod,
      ...modelledPod({
        ready: pod.state === 'ready',
        deletionCost: pod.deletionCost,
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
      if (free <= 0 || pod.consuming.size === 0) continue;
      const claimed = await this.metastore.query<{ id: string }>(
        `UPDATE task_instance SET state = 'running', hostname = $1, start_date = now(), updated_at = now()
         WHERE id IN (SELECT id FROM task_instance WHERE state = 'queued' AND queue = ANY($2::text[]) ORDER BY queued_dttm, id LIMIT $3)
         RETURNING id`,
        [pod.name, [...pod.consuming], free],
      );
      for (const { id } of claimed) pod.running.set(id, now + (this.durations.get(id) ?? 0));
    }
  }
}
