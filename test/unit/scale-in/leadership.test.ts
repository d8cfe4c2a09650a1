import { describe, expect, it } from 'vitest';

import { ErrorCode, ScalerError } from '../../../src/core/errors.js';
import type { Clock, Leadership, WorkerPod } from '../../../src/core/ports.js';
import type { PublishedCount } from '../../../src/core/published-counts.js';
import { countsForLease, publishedTargetId } from '../../../src/core/published-counts.js';
import type { Snapshot, TaskCountRow } from '../../../src/core/snapshot.js';
import { DecisionMemo } from '../../../src/core/evaluate.js';
import { ScaleInController } from '../../../src/scale-in/scale-in-controller.js';
import { quietLogger } from '../../support/quiet-logger.js';
import { MemoryBroker, MemoryPods, noObserver, runningPod as pod } from '../../support/scale-in-ports.js';
import { workerSetSpec } from '../../support/worker-set-spec.js';

/**
 * A Lease between two replicas, in memory: who leads, and what the leader published. Read as
 * LeaseKeeper writes it, renewed at every read: the counts standing then, by target id.
 */
class SharedLease {
  holder: 'a' | 'b' = 'a';
  published: ReadonlyMap<string, PublishedCount> = new Map();
  constructor(private readonly clock: Clock) {}
  replica(name: 'a' | 'b'): Leadership {
    return {
      isLeader: () => this.holder === name,
      publishedByLeader: (key) => (this.holder === name ? undefined : countsForLease(this.published, this.clock.now()).get(publishedTargetId(key))),
      publish: (counts) => {
        if (this.holder === name) this.published = new Map(counts);
      },
    };
  }
}

function replica(lease: SharedLease, name: 'a' | 'b', pods: MemoryPods, broker: MemoryBroker, clock: { now(): number }) {
  let latest: Snapshot | undefined;
  const controller = new ScaleInController({
    pods,
    control: broker,
    leadership: lease.replica(name),
    clock,
    logger: quietLogger,
    observer: noObserver,
    snapshots: { latest: () => latest, onSnapshot: () => () => undefined },
    decisions: new DecisionMemo(5_000),
    planTtlMs: 60_000,
    maxTargets: 100,
    targetTtlMs: 15 * 60_000,
    patchesPerSecond: 100,
    resendAfterMs: 10_000,
    brokerGraceMs: 30_000,
  });
  const spec = workerSetSpec({ workerConcurrency: 4 });
  controller.reportFor('airflow', 'm', spec, 0);
  return {
    controller,
    async tick(running: Record<string, number>, nowMs: number): Promise<number> {
      const rows: TaskCountRow[] = Object.entries(running).map(([hostname, count]) => ({ queue: 'default', executor: null, state: 'running', hostname, count }));
      latest = { metastore: 'default', takenAtMs: nowMs, hasExecutorColumn: true, rows };
      controller.onSnapshot(latest);
      await controller.whenIdle();
      const total = Object.values(running).reduce((sum, n) => sum + n, 0);
      return controller.reportFor('airflow', 'm', spec, Math.ceil(total / 4));
    },
  };
}

/** Two worker pods, one Lease, one broker, and the clock they share. */
function cluster(pods = new MemoryPods([pod('w-a'), pod('w-b')])): { clock: { ms: number; now(): number }; lease: SharedLease; pods: MemoryPods; broker: MemoryBroker } {
  const clock = { ms: 1_000_000, now() { return this.ms; } };
  return { clock, lease: new SharedLease(clock), pods, broker: new MemoryBroker() };
}

describe('scale-in with two replicas and one Lease', () => {
  it('lets only the leader act, and both answer with the leader’s published count', async () => {
    const { clock, lease, pods, broker } = cluster();
    const a = replica(lease, 'a', pods, broker, clock);
    const b = replica(lease, 'b', pods, broker, clock);
    // w-b runs 1 task, w-a 3: the formula wants 1 worker, w-b is the victim and is held while busy.
    for (let i = 0; i < 3; i += 1) {
      clock.ms += 1_000;
      const fromA = await a.tick({ 'w-a': 3, 'w-b': 1 }, clock.ms);
      const fromB = await b.tick({ 'w-a': 3, 'w-b': 1 }, clock.ms);
      if (i > 0) expect([fromA, fromB]).toEqual([2, 2]);
    }
    // Only a sent commands and patched pods.
    expect(broker.sent.map(([method]) => method)).toEqual(['cancel', 'add']);
    expect(pods.patches.map(([name]) => name)).toEqual(['w-b']);
    // w-b is idle: a lets it go, and b says the same.
    clock.ms += 1_000;
    expect(await a.tick({ 'w-a': 3 }, clock.ms)).toBe(1);
    expect(await b.tick({ 'w-a': 3 }, clock.ms)).toBe(1);
  });

  it('reconciles from the cluster and the broker when the lease changes hands mid-drain', async () => {
    const { clock, lease, pods, broker } = cluster();
    const a = replica(lease, 'a', pods, broker, clock);
    const b = replica(lease, 'b', pods, broker, clock);
    clock.ms += 1_000;
    await a.tick({ 'w-a': 3, 'w-b': 1 }, clock.ms);
    await b.tick({ 'w-a': 3, 'w-b': 1 }, clock.ms);
    expect(broker.sent.map(([method]) => method)).toEqual(['cancel', 'add']);
    // a dies mid-drain; b takes the lease.
    lease.holder = 'b';
    broker.sent.length = 0;
    clock.ms += 1_000;
    // b puts every keeper back to work once and drains the victim again (both idempotent); the
    // victim is held while busy, and let go once a snapshot after b's own drain shows it idle.
    expect(await b.tick({ 'w-a': 3, 'w-b': 1 }, clock.ms)).toBe(2);
    expect(broker.sent).toEqual([
      ['cancel', ['w-b']],
      ['add', ['w-a']],
    ]);
    clock.ms += 1_000;
    expect(await b.tick({ 'w-a': 3 }, clock.ms)).toBe(1);
    expect(await a.tick({ 'w-a': 3 }, clock.ms)).toBe(1);
  });

  it('makes a follower that never sees a leader’s count answer the plain formula, and act on nothing', async () => {
    const { clock, lease, pods, broker } = cluster();
    const b = replica(lease, 'b', pods, broker, clock);
    clock.ms += 1_000;
    expect(await b.tick({ 'w-a': 3, 'w-b': 1 }, clock.ms)).toBe(1);
    expect(broker.sent).toEqual([]);
    expect(pods.patches).toEqual([]);
    expect(pods.lists).toBe(0);
  });

  it('makes the follower stop answering with a count the leader stopped re-planning, once it expired, though the leader still leads', async () => {
    /** The leader's pod lists time out (the API server is slow); its Lease renewals still go through. */
    class FlakyPods extends MemoryPods {
      failing = false;
      override list(): Promise<WorkerPod[]> {
        return this.failing ? Promise.reject(new ScalerError(ErrorCode.KubernetesApiFailed, 'timeout')) : super.list();
      }
    }
    const pods = new FlakyPods([pod('w-a'), pod('w-b')]);
    const { clock, lease, broker } = cluster(pods);
    const a = replica(lease, 'a', pods, broker, clock);
    const b = replica(lease, 'b', pods, broker, clock);
    for (let i = 0; i < 3; i += 1) {
      clock.ms += 1_000;
      await a.tick({ 'w-a': 3, 'w-b': 1 }, clock.ms);
      await b.tick({ 'w-a': 3, 'w-b': 1 }, clock.ms);
    }
    expect(await b.tick({ 'w-a': 3, 'w-b': 1 }, clock.ms)).toBe(2);
    pods.failing = true;
    clock.ms += 30_000;
    expect([await a.tick({ 'w-a': 1 }, clock.ms), await b.tick({ 'w-a': 1 }, clock.ms)]).toEqual([2, 2]);
    // Past planTtlMs without a plan: the leader falls back to the formula, and so does the follower.
    for (const step of [31_000, 600_000]) {
      clock.ms += step;
      expect([await a.tick({ 'w-a': 1 }, clock.ms), await b.tick({ 'w-a': 1 }, clock.ms)]).toEqual([1, 1]);
    }
  });
});
