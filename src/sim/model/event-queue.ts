/**
 * The simulator's future-event list: a binary min-heap over parallel typed arrays, keyed by
 * (time, kind, sequence). Events are recycled through a free list, so a run of millions of events
 * allocates no per-event objects. The sequence number makes ties FIFO, so runs are deterministic.
 */
export class EventQueue {
  private time: Float64Array;
  /** kind * 2^40 + sequence: one double orders equal times by kind, then by insertion. */
  private order: Float64Array;
  private kinds: Uint8Array;
  private argA: Int32Array;
  private argB: Int32Array;
  private heap: Int32Array;
  private free: Int32Array;
  private freeCount = 0;
  private used = 0;
  private size = 0;
  private sequence = 0;

  constructor(capacity = 1024) {
    this.time = new Float64Array(capacity);
    this.order = new Float64Array(capacity);
    this.kinds = new Uint8Array(capacity);
    this.argA = new Int32Array(capacity);
    this.argB = new Int32Array(capacity);
    this.heap = new Int32Array(capacity);
    this.free = new Int32Array(capacity);
  }

  get length(): number {
    return this.size;
  }

  push(time: number, kind: number, a: number, b: number): void {
    let id: number;
    if (this.freeCount > 0) {
      this.freeCount -= 1;
      id = this.free[this.freeCount] as number;
    } else {
      if (this.used === this.time.length) this.grow();
      id = this.used;
      this.used += 1;
    }
    this.time[id] = time;
    this.order[id] = kind * 1099511627776 + this.sequence;
    this.sequence += 1;
    this.kinds[id] = kind;
    this.argA[id] = a;
    this.argB[id] = b;
    let i = this.size;
    this.size += 1;
    const heap = this.heap;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent] as number;
      if (!this.less(id, p)) break;
      heap[i] = p;
      i = parent;
    }
    heap[i] = id;
  }

  /** Time of the earliest event; only valid when length > 0. */
  peekTime(): number {
    return this.time[this.heap[0] as number] as number;
  }

  /** Kind of the earliest event; only valid when length > 0. */
  peekKind(): number {
    return this.kinds[this.heap[0] as number] as number;
  }

  /**
   * Removes the earliest event and returns its id; read it with time/kind/a/b before the next
   * push, which may reuse the id.
   */
  pop(): number {
    const heap = this.heap;
    const top = heap[0] as number;
    this.size -= 1;
    if (this.size > 0) {
      const last = heap[this.size] as number;
      let i = 0;
      const half = this.size >> 1;
      while (i < half) {
        let child = 2 * i + 1;
        let c = heap[child] as number;
        const right = child + 1;
        if (right < this.size) {
          const r = heap[right] as number;
          if (this.less(r, c)) {
            child = right;
            c = r;
          }
        }
        if (!this.less(c, last)) break;
        heap[i] = c;
        i = child;
      }
      heap[i] = last;
    }
    this.free[this.freeCount] = top;
    this.freeCount += 1;
    return top;
  }

  timeOf(id: number): number {
    return this.time[id] as number;
  }

  kindOf(id: number): number {
    return this.kinds[id] as number;
  }

  aOf(id: number): number {
    return this.argA[id] as number;
  }

  bOf(id: number): number {
    return this.argB[id] as number;
  }

  private less(x: number, y: number): boolean {
    const tx = this.time[x] as number;
    const ty = this.time[y] as number;
    if (tx !== ty) return tx < ty;
    return (this.order[x] as number) < (this.order[y] as number);
  }

  private grow(): void {
    const capacity = this.time.length * 2;
    const grow = <T extends Float64Array | Int32Array | Uint8Array>(old: T, make: (n: number) => T): T => {
      const next = make(capacity);
      next.set(old);
      return next;
    };
    this.time = grow(this.time, (n) => new Float64Array(n));
    this.order = grow(this.order, (n) => new Float64Array(n));
    this.kinds = grow(this.kinds, (n) => new Uint8Array(n));
    this.argA = grow(this.argA, (n) => new Int32Array(n));
    this.argB = grow(this.argB, (n) => new Int32Array(n));
    this.heap = grow(this.heap, (n) => new Int32Array(n));
    this.free = grow(this.free, (n) => new Int32Array(n));
  }
}

/** A growable FIFO of int32 values (task ids, slot ids) in a ring buffer. */
export class IntFifo {
  private buffer: Int32Array;
  private head = 0;
  private count = 0;

  constructor(capacity = 1024) {
    this.buffer = new Int32Array(capacity);
  }

  get length(): number {
    return this.count;
  }

  push(value: number): void {
    if (this.count === this.buffer.length) this.grow();
    this.buffer[(this.head + this.count) % this.buffer.length] = value;
    this.count += 1;
  }

  shift(): number {
    const value = this.buffer[this.head] as number;
    this.head = (this.head + 1) % this.buffer.length;
    this.count -= 1;
    return value;
  }

  private grow(): void {
    const next = new Int32Array(this.buffer.length * 2);
    for (let i = 0; i < this.count; i++) next[i] = this.buffer[(this.head + i) % this.buffer.length] as number;
    this.buffer = next;
    this.head = 0;
  }
}

/** A growable array of doubles (wait samples, timeline points). */
export class FloatList {
  private buffer: Float64Array;
  length = 0;

  constructor(capacity = 1024) {
    this.buffer = new Float64Array(capacity);
  }

  push(value: number): void {
    if (this.length === this.buffer.length) {
      const next = new Float64Array(this.buffer.length * 2);
      next.set(this.buffer);
      this.buffer = next;
    }
    this.buffer[this.length] = value;
    this.length += 1;
  }

  /** Drops the last value. */
  pop(): void {
    if (this.length > 0) this.length -= 1;
  }

  /** A view of the filled part (shares memory). */
  view(): Float64Array {
    return this.buffer.subarray(0, this.length);
  }
}
