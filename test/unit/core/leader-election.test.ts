import { describe, expect, it } from 'vitest';

import type { LeaseRecord, LeaseWrite, StoredLease } from '../../../src/core/leader-election.js';
import { LeaderElection } from '../../../src/core/leader-election.js';

/** A Lease object with optimistic concurrency, as the API server keeps it. */
class FakeLease {
  stored: StoredLease | null = null;
  private version = 0;

  apply(write: LeaseWrite | null): LeaseRecord | null {
    if (write === null) return null;
    if (write.kind === 'create' ? this.stored !== null : this.stored?.version !== write.version) return null; // 409
    this.version += 1;
    this.stored = { record: write.record, version: String(this.version), published: new Map() };
    return write.record;
  }
}

/** One client-go style attempt: read, plan, write, note the outcome. */
function attempt(election: LeaderElection, lease: FakeLease, nowMs: number): void {
  const written = lease.apply(election.plan(lease.stored, nowMs));
  if (written !== null) election.written(written, nowMs);
}

describe('LeaderElection', () => {
  it('creates the lease when there is none and leads at once', () => {
    const lease = new FakeLease();
    const a = new LeaderElection('a');
    attempt(a, lease, 0);
    expect(a.isLeader(0)).toBe(true);
    expect(lease.stored?.record).toMatchObject({ holderIdentity: 'a', leaseDurationSeconds: 15, leaseTransitions: 0 });
  });

  it('lets only one of two candidates lead, whatever the order, and the other waits', () => {
    const lease = new FakeLease();
    const a = new LeaderElection('a');
    const b = new LeaderElection('b');
    // Both read "no lease" before either writes: the second create is refused.
    const planA = a.plan(lease.stored, 0);
    const planB = b.plan(lease.stored, 0);
    const wroteA = lease.apply(planA);
    const wroteB = lease.apply(planB);
    if (wroteA !== null) a.written(wroteA, 0);
    if (wroteB !== null) b.written(wroteB, 0);
    expect([a.isLeader(0), b.isLeader(0)]).toEqual([true, false]);
    for (let t = 2_000; t <= 60_000; t += 2_000) {
      attempt(a, lease, t);
      attempt(b, lease, t + 1);
      expect([a.isLeader(t + 1), b.isLeader(t + 1)]).toEqual([true, false]);
    }
    expect(lease.stored?.record.acquireTimeMs).toBe(0);
  });

  it('takes over a lease whose holder stopped renewing, only after leaseDuration since it last changed', () => {
    const lease = new FakeLease();
    const a = new LeaderElection('a');
    const b = new LeaderElection('b');
    attempt(a, lease, 0);
    attempt(b, lease, 1_000); // b sees a's lease at 1 s
    // a dies. b keeps trying every 2 s; the lease is valid until 1 s + 15 s as b observed it.
    for (let t = 3_000; t < 16_000; t += 2_000) {
      attempt(b, lease, t);
      expect(b.isLeader(t)).toBe(false);
    }
    attempt(b, lease, 16_000);
    expect(b.isLeader(16_000)).toBe(true);
    expect(lease.stored?.record).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1 });
  });

  it('stops leading once it could not renew for renewDeadline, before anyone else may take over', () => {
    const lease = new FakeLease();
    const a = new LeaderElection('a');
    const b = new LeaderElection('b');
    attempt(a, lease, 0);
    attempt(b, lease, 0);
    // a's writes fail from now on (the API server is unreachable for it).
    expect(a.isLeader(9_999)).toBe(true);
    expect(a.isLeader(10_000)).toBe(false);
    // b may take over only at 15 s: the two never lead at once.
    for (let t = 0; t <= 30_000; t += 500) {
      if (t > 0) attempt(b, lease, t);
      expect(a.isLeader(t) && b.isLeader(t)).toBe(false);
    }
    expect(b.isLeader(30_000)).toBe(true);
  });

  it('hands over at once when the leader releases the lease', () => {
    const lease = new FakeLease();
    const a = new LeaderElection('a');
    const b = new LeaderElection('b');
    attempt(a, lease, 0);
    attempt(b, lease, 500);
    expect(lease.apply(a.release(lease.stored, 1_000))).not.toBeNull();
    expect(a.isLeader(1_000)).toBe(false);
    attempt(b, lease, 1_001);
    expect(b.isLeader(1_001)).toBe(true);
    expect(b.release(null, 2_000)).toBeNull();
  });
});
