/**
 * A workload: every task's queue, the time it is queued (seconds from the start of the run) and
 * how long it runs on a Celery slot. Sorted by queued time. The arrays live on SharedArrayBuffers,
 * so a sweep hands them to its worker threads without copying.
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
}

export const MAX_QUEUES = 65535;

function sharedFloat64(length: number): Float64Array {
  return new Float64Array(new SharedArrayBuffer(Math.max(1, length) * 8), 0, length);
}

function sharedUint16(length: number): Uint16Array {
  return new Uint16Array(new SharedArrayBuffer(Math.max(1, length) * 2), 0, length);
}

/** Collects tasks in any order; `build` sorts them by queued time (stable: ties keep input order). */
export class WorkloadBuilder {
  private queuedAt: Float64Array;
  private duration: Float64Array;
  private queue: Uint16Array;
  private count = 0;
  private readonly queueIndex = new Map<string, number>();
  private readonly queueNames: string[] = [];

  constructor(capacity = 1024) {
    this.queuedAt = new Float64Array(capacity);
    this.duration = new Float64Array(capacity);
    this.queue = new Uint16Array(capacity);
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

  add(queueId: number, queuedAt: number, duration: number): void {
    if (this.count === this.queuedAt.length) this.grow();
    this.queuedAt[this.count] = queuedAt;
    this.duration[this.count] = duration;
    this.queue[this.count] = queueId;
    this.count += 1;
  }

  /** Shifts times so the run starts at `origin` (seconds in the builder's clock). */
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
    const queuedAt = sharedFloat64(n);
    const duration = sharedFloat64(n);
    const queue = sharedUint16(n);
    for (let i = 0; i < n; i++) {
      const from = order === null ? i : (order[i] as number);
      queuedAt[i] = (this.queuedAt[from] as number) - origin;
      duration[i] = this.duration[from] as number;
      queue[i] = this.queue[from] as number;
    }
    return { ...meta, queueNames: [...this.queueNames], queuedAt, duration, queue };
  }

  private grow(): void {
    const capacity = this.queuedAt.length * 2;
    const queuedAt = new Float64Array(capacity);
    queuedAt.set(this.queuedAt);
    const duration = new Float64Array(capacity);
    duration.set(this.duration);
    const queue = new Uint16Array(capacity);
    queue.set(this.queue);
    this.queuedAt = queuedAt;
    this.duration = duration;
    this.queue = queue;
  }
}
