import { describe, expect, it } from 'vitest';

import type { TrackedTarget } from '../../../src/core/scale-in-targets.js';
import { MAX_TARGETS_PER_WORKER_SET, ScaleInTargetTable } from '../../../src/core/scale-in-targets.js';
import { workerSetSpec } from '../../support/worker-set-spec.js';

const spec = workerSetSpec();

/** Asks about the target `namespace/component=worker/metricName`, adding it when there is room. */
function ask(table: ScaleInTargetTable<TrackedTarget>, namespace: string, metricName: string, nowMs: number, expired: TrackedTarget[] = []) {
  const key = `${namespace}/component=worker/${metricName}`;
  if (table.seen(key, nowMs) !== undefined) return 'known';
  const beyond = table.room(metricName, nowMs, expired);
  if (beyond === null) table.add({ target: { key, namespace, metricName, spec }, lastSeenMs: nowMs });
  return beyond ?? 'room';
}

describe('ScaleInTargetTable', () => {
  it('admits one worker set from at most four namespaces: the other 1,996 of 2,000 are over the limit', () => {
    const table = new ScaleInTargetTable<TrackedTarget>({ maxTargets: 2_000, ttlMs: 60_000 });
    const answers = Array.from({ length: 2_000 }, (_, i) => ask(table, `ns-${i}`, 'm', 0));
    expect(answers.filter((a) => a === 'room')).toHaveLength(MAX_TARGETS_PER_WORKER_SET);
    expect(answers.filter((a) => a === 'perWorkerSet')).toHaveLength(2_000 - MAX_TARGETS_PER_WORKER_SET);
    expect(table.size).toBe(MAX_TARGETS_PER_WORKER_SET);
    // Another worker set still has room of its own.
    expect(ask(table, 'airflow', 'other', 0)).toBe('room');
  });

  it('tracks at most maxTargets in all; beyond, a new target is over the limit and a known one still known', () => {
    const table = new ScaleInTargetTable<TrackedTarget>({ maxTargets: 3, ttlMs: 60_000 });
    for (const m of ['a', 'b', 'c']) expect(ask(table, 'airflow', m, 0)).toBe('room');
    expect(ask(table, 'airflow', 'd', 1)).toBe('maxScaleInTargets');
    expect(ask(table, 'airflow', 'a', 2)).toBe('known');
    expect(table.size).toBe(3);
  });

  it('expires a target on its own last request, not its worker set: kept ttlMs after it, dropped a millisecond later', () => {
    const table = new ScaleInTargetTable<TrackedTarget>({ maxTargets: 10, ttlMs: 10_000 });
    ask(table, 'invented', 'm', 0);
    ask(table, 'airflow', 'm', 0);
    // KEDA keeps asking about its own target; nobody asks about the invented one again.
    ask(table, 'airflow', 'm', 9_000);
    expect(table.prune(10_000)).toEqual([]);
    expect(table.prune(10_001).map((t) => t.target.namespace)).toEqual(['invented']);
    expect([...table.values()].map((t) => t.target.namespace)).toEqual(['airflow']);
  });

  it('when full, drops expired targets first, returns them, and admits the new one', () => {
    const table = new ScaleInTargetTable<TrackedTarget>({ maxTargets: 2, ttlMs: 10_000 });
    ask(table, 'a', 'm1', 0);
    ask(table, 'b', 'm2', 5_000);
    const expired: TrackedTarget[] = [];
    expect(ask(table, 'c', 'm3', 10_001, expired)).toBe('room');
    expect(expired.map((t) => t.target.namespace)).toEqual(['a']);
    expect(ask(table, 'd', 'm4', 10_002)).toBe('maxScaleInTargets');
  });

  it('frees a worker set’s slots when the registry forgets it', () => {
    const table = new ScaleInTargetTable<TrackedTarget>({ maxTargets: 100, ttlMs: 60_000 });
    for (let i = 0; i < MAX_TARGETS_PER_WORKER_SET; i += 1) ask(table, `ns-${i}`, 'm', 0);
    expect(ask(table, 'ns-x', 'm', 0)).toBe('perWorkerSet');
    expect(table.forgetWorkerSet('m')).toHaveLength(MAX_TARGETS_PER_WORKER_SET);
    expect(table.size).toBe(0);
    expect(ask(table, 'ns-x', 'm', 1)).toBe('room');
  });
});
