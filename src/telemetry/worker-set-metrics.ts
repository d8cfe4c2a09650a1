import { Gauge } from 'prom-client';
import type { Registry } from 'prom-client';

import type { Clock } from '../core/ports.js';
import { PromMetric } from '../core/metric-names.js';
import type { Snapshot } from '../core/snapshot.js';
import { countByQueue, snapshotAgeMs } from '../core/snapshot.js';
import type { TrackedWorkerSet, WorkerSetRegistry } from '../core/worker-set-registry.js';

/*
 * Series read from the worker-set registry when /metrics is scraped, not kept up to date on every
 * RPC: the hot path only writes two numbers into the tracked set (its last request and its last
 * answer). They follow the registry exactly (a set over limits.maxWorkerSets, or unseen for 15
 * minutes, has none), so their number is bounded by the registry's cap: one info, reported and
 * timestamp series per set, and three per queue a tracked set names (at most 64 each).
 */

export interface WorkerSetMetricsSource {
  readonly registry: WorkerSetRegistry;
  readonly clock: Clock;
  readonly latestSnapshot: (metastore: string) => Snapshot | undefined;
}

/** The labels of `worker_set_info`: the ScaledObject asking and the trigger's settings. */
export function workerSetInfoLabels(set: TrackedWorkerSet): Record<string, string> {
  const { spec, scaledObject } = set;
  return {
    metastore: spec.metastore,
    worker_set: set.metricName,
    scaled_object_namespace: scaledObject.namespace,
    scaled_object: scaledObject.name,
    queues: spec.queues.join(','),
    worker_concurrency: String(spec.workerConcurrency),
    min_replica_count: String(spec.minReplicaCount),
    // Prometheus drops an empty label: no max is no label, as the metadata had no key.
    max_replica_count: spec.maxReplicaCount === null ? '' : String(spec.maxReplicaCount),
    scale_in: spec.scaleIn.policy,
  };
}

/** Registers the registry-backed gauges on `registry`. */
export function registerWorkerSetMetrics(registry: Registry, source: WorkerSetMetricsSource): void {
  const registers = [registry];
  new Gauge({
    name: PromMetric.workerSetInfo,
    help:
      'Always 1 for each worker set KEDA asked about within 15 minutes (at most limits.maxWorkerSets): the ScaledObject that asked ' +
      '(scaled_object_namespace, scaled_object) and the trigger settings (queues, worker_concurrency, min/max_replica_count, scale_in).',
    labelNames: ['metastore', 'worker_set', 'scaled_object_namespace', 'scaled_object', 'queues', 'worker_concurrency', 'min_replica_count', 'max_replica_count', 'scale_in'],
    registers,
    collect(): void {
      this.reset();
      for (const set of source.registry.all()) this.set(workerSetInfoLabels(set), 1);
    },
  });
  new Gauge({
    name: PromMetric.workerSetReportedWorkers,
    help: 'The value the last GetMetrics answer for the worker set told KEDA (the formula, or more while scale-in keeps busy surplus workers); no sample before the first answer.',
    labelNames: ['metastore', 'worker_set'],
    registers,
    collect(): void {
      this.reset();
      for (const set of source.registry.all()) {
        if (set.reportedWorkers !== null) this.set({ metastore: set.spec.metastore, worker_set: set.metricName }, set.reportedWorkers);
      }
    },
  });
  new Gauge({
    name: PromMetric.workerSetLastRequestTimestamp,
    help: 'Unix time (seconds) of the last RPC from KEDA about the worker set; the series goes 15 minutes after it.',
    labelNames: ['metastore', 'worker_set'],
    registers,
    collect(): void {
      this.reset();
      for (const set of source.registry.all()) this.set({ metastore: set.spec.metastore, worker_set: set.metricName }, set.lastSeenMs / 1000);
    },
  });

  const queuesOf = (): Map<string, Set<string>> => {
    const byMetastore = new Map<string, Set<string>>();
    for (const set of source.registry.all()) {
      let queues = byMetastore.get(set.spec.metastore);
      if (queues === undefined) {
        queues = new Set();
        byMetastore.set(set.spec.metastore, queues);
      }
      for (const queue of set.spec.queues) queues.add(queue);
    }
    return byMetastore;
  };
  new Gauge({
    name: PromMetric.queueTasks,
    help: 'Task instances in a Celery queue named by a tracked worker set, by state (queued, running), every executor included, from the latest snapshot.',
    labelNames: ['metastore', 'queue', 'state'],
    registers,
    collect(): void {
      this.reset();
      for (const [metastore, queues] of queuesOf()) {
        const snapshot = source.latestSnapshot(metastore);
        if (snapshot === undefined) continue;
        for (const counts of countByQueue(snapshot, queues)) {
          this.set({ metastore, queue: counts.queue, state: 'queued' }, counts.queued);
          this.set({ metastore, queue: counts.queue, state: 'running' }, counts.running);
        }
      }
    },
  });
  new Gauge({
    name: PromMetric.queueOldestQueuedTaskAge,
    help:
      'Seconds the oldest queued task of a Celery queue named by a tracked worker set has waited (since task_instance.queued_dttm, ' +
      'by the database clock, plus the snapshot age); 0 when none is queued.',
    labelNames: ['metastore', 'queue'],
    registers,
    collect(): void {
      this.reset();
      const nowMs = source.clock.now();
      for (const [metastore, queues] of queuesOf()) {
        const snapshot = source.latestSnapshot(metastore);
        if (snapshot === undefined) continue;
        const sinceSnapshot = snapshotAgeMs(snapshot, nowMs) / 1000;
        for (const counts of countByQueue(snapshot, queues)) {
          this.set({ metastore, queue: counts.queue }, counts.oldestQueuedAgeSeconds === null ? 0 : counts.oldestQueuedAgeSeconds + sinceSnapshot);
        }
      }
    },
  });
}
