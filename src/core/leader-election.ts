/**
 * Leader election over a Kubernetes Lease (coordination.k8s.io/v1), as client-go does it
 * (`tools/leaderelection/leaderelection.go`, `tryAcquireOrRenew`), with the clock as a parameter.
 * Several scaler replicas answer KEDA; only the leader acts on worker pods and Celery workers.
 *
 * - A lease held by another is respected until `leaseDurationMs` has passed since this replica
 *   last saw it change: local observation time, not the holder's `renewTime`, so clock skew
 *   between nodes cannot cut a lease short.
 * - The leader renews every `retryPeriodMs`, and stops acting once it has not renewed for
 *   `renewDeadlineMs`, which is shorter than `leaseDurationMs`: it stops before anyone may take
 *   over, so two replicas never act at once.
 * - Writes carry the version read (the object's resourceVersion): two candidates racing for an
 *   expired lease cannot both win.
 */
export interface LeaseRecord {
  /** '' when nobody holds it (released). */
  readonly holderIdentity: string;
  readonly leaseDurationSeconds: number;
  readonly acquireTimeMs: number;
  readonly renewTimeMs: number;
  readonly leaseTransitions: number;
}

export interface StoredLease {
  readonly record: LeaseRecord;
  /** The object's resourceVersion: a write that names an older one is refused (409). */
  readonly version: string;
  /** The worker counts the holder published with its last renewal (publishedTargetId → count). */
  readonly published: ReadonlyMap<string, number>;
}

export type LeaseWrite =
  | { readonly kind: 'create'; readonly record: LeaseRecord }
  | { readonly kind: 'update'; readonly record: LeaseRecord; readonly version: string };

export interface ElectionTiming {
  readonly leaseDurationMs: number;
  readonly renewDeadlineMs: number;
  readonly retryPeriodMs: number;
}

/** client-go's defaults for controllers (kube-controller-manager uses the same: 15 s, 10 s, 2 s). */
export const DEFAULT_ELECTION_TIMING: ElectionTiming = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 };

function sameRecord(a: LeaseRecord, b: LeaseRecord): boolean {
  return (
    a.holderIdentity === b.holderIdentity &&
    a.leaseDurationSeconds === b.leaseDurationSeconds &&
    a.acquireTimeMs === b.acquireTimeMs &&
    a.renewTimeMs === b.renewTimeMs &&
    a.leaseTransitions === b.leaseTransitions
  );
}

export class LeaderElection {
  private observed: LeaseRecord | undefined;
  private observedAtMs = 0;
  /** When this replica last wrote the lease as its holder. */
  private renewedAtMs: number | undefined;

  constructor(
    readonly identity: string,
    private readonly timing: ElectionTiming = DEFAULT_ELECTION_TIMING,
  ) {
    if (timing.renewDeadlineMs >= timing.leaseDurationMs) throw new RangeError('renewDeadlineMs must be shorter than leaseDurationMs');
  }

  /** Leading now: holder of the last lease seen, renewed within renewDeadlineMs. */
  isLeader(nowMs: number): boolean {
    return this.observed?.holderIdentity === this.identity && this.renewedAtMs !== undefined && nowMs - this.renewedAtMs < this.timing.renewDeadlineMs;
  }

  /** The holder as last seen ('' or undefined when nobody or not read yet). */
  get holder(): string | undefined {
    return this.observed?.holderIdentity;
  }

  /**
   * Given the lease as just read (null: it does not exist), the write to attempt now, or null
   * when another replica holds a lease that is still valid.
   */
  plan(current: StoredLease | null, nowMs: number): LeaseWrite | null {
    const fresh: LeaseRecord = {
      holderIdentity: this.identity,
      leaseDurationSeconds: Math.ceil(this.timing.leaseDurationMs / 1000),
      acquireTimeMs: nowMs,
      renewTimeMs: nowMs,
      leaseTransitions: 0,
    };
    if (current === null) return { kind: 'create', record: fresh };
    if (this.observed === undefined || !sameRecord(this.observed, current.record)) {
      this.observed = current.record;
      this.observedAtMs = nowMs;
    }
    const held = current.record.holderIdentity !== '' && current.record.holderIdentity !== this.identity;
    const valid = nowMs < this.observedAtMs + current.record.leaseDurationSeconds * 1000;
    if (held && valid) return null;
    const ours = current.record.holderIdentity === this.identity;
    return {
      kind: 'update',
      version: current.version,
      record: ours
        ? { ...fresh, acquireTimeMs: current.record.acquireTimeMs, leaseTransitions: current.record.leaseTransitions }
        : { ...fresh, leaseTransitions: current.record.leaseTransitions + 1 },
    };
  }

  /** A write succeeded: the lease now is `record`. */
  written(record: LeaseRecord, nowMs: number): void {
    this.observed = record;
    this.observedAtMs = nowMs;
    if (record.holderIdentity === this.identity) this.renewedAtMs = nowMs;
  }

  /**
   * The write that gives the lease up (on shutdown), so another replica need not wait out the
   * lease; null when this replica does not hold it.
   */
  release(current: StoredLease | null, nowMs: number): LeaseWrite | null {
    if (current?.record.holderIdentity !== this.identity) return null;
    this.renewedAtMs = undefined;
    return { kind: 'update', version: current.version, record: { ...current.record, holderIdentity: '', leaseDurationSeconds: 1, renewTimeMs: nowMs } };
  }

  /** How long to wait before the next attempt. */
  get retryPeriodMs(): number {
    return this.timing.retryPeriodMs;
  }

  /** Whether another replica holds a lease that is still valid as this replica last saw it. */
  othersLeaseValid(nowMs: number): boolean {
    const observed = this.observed;
    if (observed === undefined || observed.holderIdentity === '' || observed.holderIdentity === this.identity) return false;
    return nowMs < this.observedAtMs + observed.leaseDurationSeconds * 1000;
  }
}
