/**
 * A workload: every task's queue, the time it is queued (seconds from the start of the run) and
 * how long it runs on a Celery slot, and optionally the DAG run it belongs to. Sorted by queued
 * time. The arrays live on SharedArrayBuffers, so a sweep hands them to its worker threads
 * without copying.
 */
export interface Workload {
  readonly name: string;
  readonly source: 'scenario' | 'trace';
  /** Wall-clock time of t = 0 (ms since the epoch), for display and cron evaluation. */
  readonly startEpochMs: number;
  readonly queueNames: readonly string[];
  readonly queuedAt: Float64Array;
  readonly duration: Float64Array;
  readonly queue: Uint16Array;
  /** The DAG runs the tasks belong to; null when the workload says nothing of runs. */
  readonly runs: WorkloadRuns | null;
}

/** A task that belongs to no DAG run the workload knows of. */
export const NO_RUN = -1;

/**
 * The DAG runs of a workload, as Airflow's `dag_run` table holds them: which DAG, whether the
 * scheduler created it from the DAG's timetable (run_type `scheduled`), and its `run_after`, the
 * instant the scheduler was due to create it. Pre-warming (core/prewarm.ts) forecasts scheduled
 * runs only, so other run types are kept as "not scheduled".
 */
export interface WorkloadRuns {
  readonly dagIds: readonly string[];
  /** Per task: the index of its run in the per-run arrays below, or NO_RUN. */
  readonly taskRun: Int32Array;
  /** Per run: its DAG, an index into `dagIds`. */
  readonly runDag: Uint32Array;
  /** Per run: 1 for a scheduled run, 0 for any other run type. */
  readonly runScheduled: Uint8Array;
  /** Per run: `run_after` in seconds from t = 0; NaN when unknown (never for a scheduled run). */
  readonly runAfter: Float64Array;
}

const MAX_QUEUES = 65535;

function sharedFloat64(length: number): Float64Array {
  return new Float64Array(new SharedArrayBuffer(Math.max(1, length) * 8), 0, length);
}

function sharedUint16(length: number): Uint16Array {
  return new Uint16Array(new SharedArrayBuffer(Math.max(1, length) * 2), 0, length);
}

function sharedInt32(length: number): Int32Array {
  return new Int32Array(new SharedArrayBuffer(Math.max(1, length) * 4), 0, length);
}

/** Collects tasks in any order; `build` sorts them by queued time (stable: ties keep input order). */
export class WorkloadBuilder {
  private queuedAt: Float64Array;
  private duration: Float64Array;
  private queue: Uint16Array;
  private taskRun: Int32Array;
  private count = 0;
  private readonly queueIndex = new Map<string, number>();
  private readonly queueNames: string[] = [];
  private readonly dagIndex = new Map<string, number>();
  private readonly dagIds: string[] = [];
  /** `dag index` NUL `run key` → run index. */
  private readonly runIndex = new Map<string, number>();
  private readonly runDag: number[] = [];
  private readonly runScheduled: boolean[] = [];
  private readonly runAfter: number[] = [];

  constructor(capacity = 1024) {
    this.queuedAt = new Float64Array(capacity);
    this.duration = new Float64Array(capacity);
    this.queue = new Uint16Array(capacity);
    this.taskRun = new Int32Array(capacity);
  }

  get length(): number {
    return this.count;
  }

  /** Index of a queue name, registering it on first use; -1 past MAX_QUEUES. */
  queueId(name: string): number {
    let id = this.queueIndex.get(name);
    if (id === undefined) {
      if (this.queueNames.length >= MAX_QUEUES) return -1;
      id = this.queueNames.length;
      this.queueNames.push(name);
      this.queueIndex.set(name, id);
    }
    return id;
  }

  /** The run `key` of DAG `dagId`, if it was added. */
  findRun(dagId: string, key: string): number | undefined {
    const dag = this.dagIndex.get(dagId);
    return dag === undefined ? undefined : this.runIndex.get(`${dag}\u0000${key}`);
  }

  /** Whether run `run` is scheduled, and its run_after (seconds in the builder's clock). */
  runOf(run: number): { readonly scheduled: boolean; readonly runAfter: number } {
    return { scheduled: this.runScheduled[run] === true, runAfter: this.runAfter[run] ?? Number.NaN };
  }

  /**
   * The index of run `key` of DAG `dagId`, adding it on first use with its type and run_after
   * (seconds in the builder's clock, as queued times are). A run added before keeps what it was
   * added with: callers that must check consistency use `findRun` and `runOf` first.
   */
  runId(dagId: string, key: string, scheduled: boolean, runAfter: number): number {
    let dag = this.dagIndex.get(dagId);
    if (dag === undefined) {
      dag = this.dagIds.length;
      this.dagIds.push(dagId);
      this.dagIndex.set(dagId, dag);
    }
    const runKey = `${dag}\u0000${key}`;
    let run = this.runIndex.get(runKey);
    if (run === undefined) {
      run = this.runDag.length;
      this.runDag.push(dag);
      this.runScheduled.push(scheduled);
      this.runAfter.push(runAfter);
      this.runIndex.set(runKey, run);
    }
    return run;
  }

  add(queueId: number, queuedAt: number, duration: number, run: number = NO_RUN): void {
    if (this.count === this.queuedAt.length) this.grow();
    this.queuedAt[this.count] = queuedAt;
    this.duration[this.count] = duration;
    this.queue[this.count] = queueId;
    this.taskRun[this.count] = run;
    this.count += 1;
  }

  /** Shifts times (queued times and run_after alike) so the run starts at `origin` (seconds in the builder's clock). */
  build(meta: { name: string; source: 'scenario' | 'trace'; startEpochMs: number }, origin = 0): Workload {
    const n = this.count;
    let order: Uint32Array | null = null;
    for (let i = 1; i < n; i++) {
      if ((this.queuedAt[i] as number) < (this.queuedAt[i - 1] as number)) {
        order = new Uint32Array(n);
        for (let j = 0; j < n; j++) order[j] = j;
        const times = this.queuedAt;
        order.sort((a, b) => (times[a] as number) - (times[b] as number) || a - b);
        break;
      }
    }
    const withRuns = this.runDag.length > 0;
    const queuedAt = sharedFloat64(n);
    const duration = sharedFloat64(n);
    const queue = sharedUint16(n);
    const taskRun = withRuns ? sharedInt32(n) : null;
    for (let i = 0; i < n; i++) {
      const from = order === null ? i : (order[i] as number);
      queuedAt[i] = (this.queuedAt[from] as number) - origin;
      duration[i] = this.duration[from] as number;
      queue[i] = this.queue[from] as number;
      if (taskRun !== null) taskRun[i] = this.taskRun[from] as number;
    }
    return { ...meta, queueNames: [...this.queueNames], queuedAt, duration, queue, runs: taskRun === null ? null : this.buildRuns(taskRun, origin) };
  }

  private buildRuns(taskRun: Int32Array, origin: number): WorkloadRuns {
    const runs = this.runDag.length;
    const runDag = new Uint32Array(new SharedArrayBuffer(runs * 4));
    const runScheduled = new Uint8Array(new SharedArrayBuffer(runs));
    const runAfter = sharedFloat64(runs);
    for (let r = 0; r < runs; r++) {
      runDag[r] = this.runDag[r] as number;
      runScheduled[r] = this.runScheduled[r] === true ? 1 : 0;
      runAfter[r] = (this.runAfter[r] as number) - origin;
    }
    return { dagIds: [...this.dagIds], taskRun, runDag, runScheduled, runAfter };
  }

  private grow(): void {
    const capacity = this.queuedAt.length * 2;
    const queuedAt = new Float64Array(capacity);
    queuedAt.set(this.queuedAt);
    const duration = new Float64Array(capacity);
    duration.set(this.duration);
    const queue = new Uint16Array(capacity);
    queue.set(this.queue);
    const taskRun = new Int32Array(capacity);
    taskRun.set(this.taskRun);
    this.queuedAt = queuedAt;
    this.duration = duration;
    this.queue = queue;
    this.taskRun = taskRun;
  }
}
