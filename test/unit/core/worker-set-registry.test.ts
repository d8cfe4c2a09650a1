import { describe, expect, it } from 'vitest';

import { metricNameFor } from '../../../src/core/metric-name.js';
import { WorkerSetRegistry } from '../../../src/core/worker-set-registry.js';
import { workerSetSpec as spec } from '../../support/worker-set-spec.js';

const SO = { namespace: 'airflow', name: 'airflow-worker' };

function register(registry: WorkerSetRegistry, queues: string[], nowMs: number, extra = {}) {
  const s = spec({ queues, ...extra });
  return registry.register(metricNameFor(s), s, SO, nowMs);
}

describe('WorkerSetRegistry', () => {
  it('says a set is new once, then known, keeping the latest spec and ScaledObject', () => {
    const registry = new WorkerSetRegistry(60_000, 10);
    expect(register(registry, ['default'], 0).kind).toBe('new');
    const again = registry.register(metricNameFor(spec()), spec({ workerConcurrency: 4 }), { namespace: 'other', name: 'x' }, 1_000);
    expect(again.kind).toBe('known');
    const set = registry.get(metricNameFor(spec()));
    expect(set?.spec.workerConcurrency).toBe(4);
    expect(set?.scaledObject).toEqual({ namespace: 'other', name: 'x' });
    expect(set?.lastSeenMs).toBe(1_000);
  });

  it('tracks at most maxSets sets; beyond it a new set is over the limit and a known one still known', () => {
    const registry = new WorkerSetRegistry(60_000, 3);
    for (const q of ['a', 'b', 'c']) expect(register(registry, [q], 0).kind).toBe('new');
    expect(register(registry, ['d'], 0).kind).toBe('over-limit');
    expect(register(registry, ['a'], 1).kind).toBe('known');
    expect(registry.size).toBe(3);
  });

  it('keeps a set exactly ttlMs old, prunes it a millisecond later, and makes room for a new one', () => {
    const registry = new WorkerSetRegistry(10_000, 1);
    register(registry, ['a'], 0);
    expect(registry.prune(10_000)).toEqual([]);
    expect(registry.prune(10_001).map((set) => set.spec.queues)).toEqual([['a']]);
    expect(register(registry, ['b'], 10_002).kind).toBe('new');
  });

  it('lists the sets of one metastore', () => {
    const registry = new WorkerSetRegistry(10_000, 10);
    register(registry, ['a'], 0);
    register(registry, ['b'], 0, { metastore: 'analytics' });
    expect(registry.forMetastore('analytics').map((set) => set.spec.queues)).toEqual([['b']]);
  });

  it('reads the due DAGs for a pre-warming set over the limit too: its answer still counts its forecast', () => {
    const registry = new WorkerSetRegistry(10_000, 1);
    register(registry, ['invented'], 0);
    const prewarm = { mode: 'schedule' as const, leadMs: 300_000, historyRuns: 7 };
    expect(register(registry, ['default'], 0, { prewarm }).kind).toBe('over-limit');
    expect(registry.forecastDemand('default', 0)).toEqual({ leadMs: 300_000, historyRuns: 7 });
    expect(registry.forecastDemand('analytics', 0)).toBeNull();
  });

  it('asks for the widest lead and the most runs any set asked for within the TTL, and forgets the rest', () => {
    const registry = new WorkerSetRegistry(10_000, 10);
    register(registry, ['a'], 0, { prewarm: { mode: 'schedule', leadMs: 600_000, historyRuns: 3 } });
    register(registry, ['b'], 5_000, { prewarm: { mode: 'schedule', leadMs: 120_000, historyRuns: 9 } });
    register(registry, ['c'], 5_000, { prewarm: { mode: 'off', leadMs: 3_600_000, historyRuns: 50 } });
    expect(registry.forecastDemand('default', 10_000)).toEqual({ leadMs: 600_000, historyRuns: 9 });
    expect(registry.forecastDemand('default', 10_001)).toEqual({ leadMs: 120_000, historyRuns: 9 });
    expect(registry.forecastDemand('default', 15_001)).toBeNull();
  });
});
