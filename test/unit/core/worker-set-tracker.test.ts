import { describe, expect, it } from 'vitest';

import type { WorkerSetSpec } from '../../../src/core/metadata.js';
import { metricNameFor } from '../../../src/core/metric-name.js';
import { WorkerSetTracker } from '../../../src/core/worker-set-tracker.js';
import { workerSetSpec } from '../../support/worker-set-spec.js';

function see(tracker: WorkerSetTracker, workerSet: WorkerSetSpec, nowMs: number): boolean {
  return tracker.seen(workerSet, metricNameFor(workerSet), nowMs);
}

const spec = workerSetSpec;

describe('WorkerSetTracker', () => {
  it('reports a set as new only the first time it is seen', () => {
    const tracker = new WorkerSetTracker(60_000);
    expect(see(tracker, spec(), 0)).toBe(true);
    expect(see(tracker, spec(), 1_000)).toBe(false);
    expect(see(tracker, spec({ queues: ['etl'] }), 1_000)).toBe(true);
  });

  it('treats specs that differ only in concurrency or bounds as the same set and keeps the latest spec', () => {
    const tracker = new WorkerSetTracker(60_000);
    see(tracker, spec({ workerConcurrency: 16 }), 0);
    expect(see(tracker, spec({ workerConcurrency: 4, maxReplicaCount: 10 }), 1_000)).toBe(false);
    const tracked = tracker.forMetastore('default');
    expect(tracked).toHaveLength(1);
    expect(tracked[0]).toEqual({
      metricName: metricNameFor(spec()),
      spec: spec({ workerConcurrency: 4, maxReplicaCount: 10 }),
      lastSeenMs: 1_000,
    });
  });

  it('keeps a set that is exactly ttlMs old and prunes it one millisecond later', () => {
    const tracker = new WorkerSetTracker(10_000);
    see(tracker, spec(), 0);
    expect(tracker.prune(10_000)).toEqual([]);
    const expired = tracker.prune(10_001);
    expect(expired.map((set) => set.metricName)).toEqual([metricNameFor(spec())]);
    expect(tracker.forMetastore('default')).toEqual([]);
  });

  it('refreshes lastSeenMs on every sighting so active sets are never pruned', () => {
    const tracker = new WorkerSetTracker(10_000);
    see(tracker, spec(), 0);
    see(tracker, spec(), 9_000);
    expect(tracker.prune(15_000)).toEqual([]);
    expect(tracker.forMetastore('default')).toHaveLength(1);
  });

  it('prunes only the expired sets and returns each of them once', () => {
    const tracker = new WorkerSetTracker(10_000);
    see(tracker, spec({ queues: ['old'] }), 0);
    see(tracker, spec({ queues: ['recent'] }), 8_000);
    const expired = tracker.prune(12_000);
    expect(expired.map((set) => set.spec.queues)).toEqual([['old']]);
    expect(tracker.prune(12_000)).toEqual([]);
    expect(tracker.forMetastore('default').map((set) => set.spec.queues)).toEqual([['recent']]);
  });

  it('reports a pruned set as new again when it comes back', () => {
    const tracker = new WorkerSetTracker(1_000);
    see(tracker, spec(), 0);
    tracker.prune(5_000);
    expect(see(tracker, spec(), 5_000)).toBe(true);
  });

  it('lists the sets of one metastore only', () => {
    const tracker = new WorkerSetTracker(60_000);
    see(tracker, spec({ metastore: 'default', queues: ['a'] }), 0);
    see(tracker, spec({ metastore: 'analytics', queues: ['a'] }), 0);
    see(tracker, spec({ metastore: 'analytics', queues: ['b'] }), 0);
    expect(tracker.forMetastore('default').map((set) => set.spec.queues)).toEqual([['a']]);
    expect(
      tracker
        .forMetastore('analytics')
        .map((set) => set.spec.queues[0])
        .sort(),
    ).toEqual(['a', 'b']);
    expect(tracker.forMetastore('unknown')).toEqual([]);
  });

  it('tracks the same queues with different executor filters separately', () => {
    const tracker = new WorkerSetTracker(60_000);
    see(tracker, spec(), 0);
    expect(see(tracker, spec({ executorFilter: { names: ['CeleryExecutor'], includeDefault: false } }), 0)).toBe(true);
    expect(tracker.forMetastore('default')).toHaveLength(2);
  });
});
