import { ErrorCode, ScalerError } from './errors.js';
import type { Forecast, ForecastInput, WaveFilter } from './prewarm.js';
import { NO_FORECAST, forecastTasks } from './prewarm.js';
import type { ExecutorFilter, WorkerSetSpec } from './metadata.js';
import { MetadataKey } from './metadata.js';

/** The `task_instance` states that hold or wait for a Celery worker slot. */
export const COUNTED_STATES = ['queued', 'running'] as const;
export type CountedState = (typeof COUNTED_STATES)[number];

/** One row of the tick query: how many task instances share (queue, executor, state). */
export interface TaskCountRow {
  readonly queue: string | null;
  /** Always null when the table has no `executor` column (Airflow < 2.10). */
  readonly executor: string | null;
  readonly state: CountedState;
  /**
   * For `running` rows, the worker's `task_instance.hostname` (null when Airflow recorded none);
   * always null or absent for `queued` rows, which no worker holds yet.
   */
  readonly hostname?: string | null;
  readonly count: number;
  /**
   * For `queued` rows, how long the row's oldest task had been queued when the snapshot was
   * taken, in seconds by the database's clock (null when no `queued_dttm` was recorded); absent
   * or null for `running` rows.
   */
  readonly oldestQueuedAgeSeconds?: number | null;
}

/** Everything one tick read from one metastore; RPCs answer from this and nothing else. */
export interface Snapshot {
  readonly metastore: string;
  /** Clock time (ms) when the query that produced it started, so its age is never understated. */
  readonly takenAtMs: number;
  readonly hasExecutorColumn: boolean;
  readonly rows: readonly TaskCountRow[];
  /** What pre-warming knows at this tick; absent when no worker set asks for it. */
  readonly forecast?: ForecastInput;
}

export interface TaskCounts {
  readonly queued: number;
  readonly running: number;
  /** Tasks of scheduled runs about to start (pre-warming); absent or 0 without it. */
  readonly forecast?: number;
}

function executorMatches(filter: ExecutorFilter, executor: string | null): boolean {
  if (executor === null) return filter.includeDefault;
  return filter.names.includes(executor);
}

/** The forecast of a worker set with `prewarm: schedule` at the snapshot's time; nothing otherwise. */
export function forecastOf(snapshot: Snapshot, spec: WorkerSetSpec): Forecast {
  const prewarm = spec.prewarm;
  if (prewarm === undefined || prewarm.mode === 'off' || snapshot.forecast === undefined) return NO_FORECAST;
  const filter = spec.executorFilter;
  const waveFilter: WaveFilter = {
    queues: new Set(spec.queues),
    executorMatches: filter === null || !snapshot.hasExecutorColumn ? null : (executor) => executorMatches(filter, executor),
  };
  return forecastTasks(snapshot.forecast, prewarm, waveFilter, snapshot.takenAtMs);
}

/** Queued and running task instances of one worker set, from a snapshot. */
export function countTasks(snapshot: Snapshot, spec: WorkerSetSpec): TaskCounts {
  const filter = spec.executorFilter;
  if (filter !== null && !snapshot.hasExecutorColumn) {
    throw new ScalerError(
      ErrorCode.ExecutorColumnMissing,
      `${MetadataKey.celeryExecutors}/${MetadataKey.celeryIsDefaultExecutor} need task_instance.executor ` +
        `(Airflow >= 2.10), which metastore "${snapshot.metastore}" does not have`,
    );
  }
  let queued = 0;
  let running = 0;
  for (const row of rowsOf(snapshot, spec)) {
    if (row.state === 'queued') queued += row.count;
    else running += row.count;
  }
  return { queued, running };
}

function* rowsOf(snapshot: Snapshot, spec: WorkerSetSpec): Generator<TaskCountRow> {
  const queues = new Set(spec.queues);
  const filter = spec.executorFilter;
  for (const row of snapshot.rows) {
    if (row.queue === null || !queues.has(row.queue)) continue;
    if (filter !== null && !executorMatches(filter, row.executor)) continue;
    yield row;
  }
}

/**
 * The pod a `task_instance.hostname` names. Airflow's default hostname_callable is
 * socket.getfqdn, which on Kubernetes may append the headless Service's domain to the pod name;
 * Celery's own node name (`celery@%h`) uses the short host name, i.e. the pod name.
 */
export function podNameOf(hostname: string): string {
  const dot = hostname.indexOf('.');
  return dot === -1 ? hostname : hostname.slice(0, dot);
}

/** Running task instances of one worker set per worker pod. Rows without a hostname are left out. */
export function runningByWorker(snapshot: Snapshot, spec: WorkerSetSpec): Map<string, number> {
  const byPod = new Map<string, number>();
  for (const row of rowsOf(snapshot, spec)) {
    if (row.state !== 'running' || row.hostname === undefined || row.hostname === null || row.hostname === '') continue;
    const pod = podNameOf(row.hostname);
    byPod.set(pod, (byPod.get(pod) ?? 0) + row.count);
  }
  return byPod;
}

/** One Celery queue's tasks in a snapshot, whatever their executor. */
export interface QueueCounts {
  readonly queue: string;
  readonly queued: number;
  readonly running: number;
  /** Seconds the oldest queued task had waited when the snapshot was taken; null when none waits. */
  readonly oldestQueuedAgeSeconds: number | null;
}

/**
 * Queued and running task instances of each named queue, every executor included (a worker
 * set's executor filter applies to its own counts, not to the queue's). Queues without rows are
 * reported with zeros, so a dashboard sees an empty queue rather than no data.
 */
export function countByQueue(snapshot: Snapshot, queues: Iterable<string>): QueueCounts[] {
  const byQueue = new Map<string, { queue: string; queued: number; running: number; oldestQueuedAgeSeconds: number | null }>();
  for (const queue of queues) byQueue.set(queue, { queue, queued: 0, running: 0, oldestQueuedAgeSeconds: null });
  for (const row of snapshot.rows) {
    const counts = row.queue === null ? undefined : byQueue.get(row.queue);
    if (counts === undefined) continue;
    if (row.state === 'running') {
      counts.running += row.count;
      continue;
    }
    counts.queued += row.count;
    const age = row.oldestQueuedAgeSeconds ?? null;
    if (age !== null && (counts.oldestQueuedAgeSeconds === null || age > counts.oldestQueuedAgeSeconds)) counts.oldestQueuedAgeSeconds = age;
  }
  return [...byQueue.values()];
}

export type Freshness =
  | { readonly kind: 'fresh'; readonly snapshot: Snapshot; readonly ageMs: number }
  | { readonly kind: 'stale'; readonly snapshot: Snapshot; readonly ageMs: number }
  | { readonly kind: 'missing' };

/** How old a snapshot is at `nowMs`; never negative, should the clock step back. */
export function snapshotAgeMs(snapshot: Snapshot, nowMs: number): number {
  return Math.max(0, nowMs - snapshot.takenAtMs);
}

export function freshness(snapshot: Snapshot | undefined, nowMs: number, staleAfterMs: number): Freshness {
  if (snapshot === undefined) return { kind: 'missing' };
  const ageMs = snapshotAgeMs(snapshot, nowMs);
  return { kind: ageMs <= staleAfterMs ? 'fresh' : 'stale', snapshot, ageMs };
}

/**
 * The snapshot if it may be trusted, otherwise the error that must reach KEDA. Reporting zero
 * here would let KEDA scale busy workers away, so a missing or old snapshot is always an error.
 */
export function requireFreshSnapshot(
  snapshot: Snapshot | undefined,
  metastore: string,
  nowMs: number,
  staleAfterMs: number,
): Snapshot {
  // On every RPC: no allocation on the way through (freshness() builds an object).
  if (snapshot === undefined) {
    throw new ScalerError(ErrorCode.NoSnapshot, `metastore "${metastore}" has not been read successfully yet`);
  }
  const ageMs = snapshotAgeMs(snapshot, nowMs);
  if (ageMs <= staleAfterMs) return snapshot;
  throw new ScalerError(
    ErrorCode.StaleSnapshot,
    `metastore "${metastore}" snapshot is ${Math.round(ageMs)} ms old (limit ${staleAfterMs} ms); ` +
      'refusing to report possibly wrong counts',
  );
}
