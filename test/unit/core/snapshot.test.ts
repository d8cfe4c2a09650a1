import { describe, expect, it } from 'vitest';

import { ErrorCode, ScalerError } from '../../../src/core/errors.js';
import type { ExecutorFilter, WorkerSetSpec } from '../../../src/core/metadata.js';
import { COUNTED_STATES, countByQueue, countTasks, freshness, podNameOf, requireFreshSnapshot, runningByWorker } from '../../../src/core/snapshot.js';
import type { Snapshot, TaskCountRow } from '../../../src/core/snapshot.js';

function spec(queues: string[], executorFilter: ExecutorFilter | null = null): WorkerSetSpec {
  return {
    metastore: 'default',
    queues,
    executorFilter,
    workerConcurrency: 16,
    minReplicaCount: 0,
    maxReplicaCount: null,
    activationThreshold: 0,
    scaleIn: { policy: 'drain', podSelector: 'component=worker' },
  };
}

function snapshot(rows: TaskCountRow[], overrides: Partial<Snapshot> = {}): Snapshot {
  return { metastore: 'default', takenAtMs: 1_000_000, hasExecutorColumn: true, rows, ...overrides };
}

const ROWS: TaskCountRow[] = [
  { queue: 'default', executor: null, state: 'queued', count: 3 },
  { queue: 'default', executor: null, state: 'running', count: 4 },
  { queue: 'default', executor: 'CeleryExecutor', state: 'queued', count: 10 },
  { queue: 'default', executor: 'CeleryExecutor', state: 'running', count: 20 },
  { queue: 'default', executor: 'KubernetesExecutor', state: 'queued', count: 100 },
  { queue: 'default', executor: 'KubernetesExecutor', state: 'running', count: 200 },
  { queue: 'etl', executor: null, state: 'queued', count: 1000 },
  { queue: 'etl', executor: 'CeleryExecutor', state: 'running', count: 2000 },
  { queue: null, executor: null, state: 'queued', count: 50_000 },
  { queue: 'Default', executor: null, state: 'queued', count: 70_000 },
];

describe('countTasks', () => {
  it('counts only the states the scaler cares about', () => {
    expect([...COUNTED_STATES]).toEqual(['queued', 'running']);
  });

  it('sums queued and running rows of the requested queue without an executor filter', () => {
    expect(countTasks(snapshot(ROWS), spec(['default']))).toEqual({ queued: 113, running: 224 });
  });

  it('sums across several queues', () => {
    expect(countTasks(snapshot(ROWS), spec(['default', 'etl']))).toEqual({ queued: 1113, running: 2224 });
  });

  it('ignores rows with a NULL queue and matches queue names exactly (case-sensitive)', () => {
    const counts = countTasks(snapshot(ROWS), spec(['etl']));
    expect(counts).toEqual({ queued: 1000, running: 2000 });
  });

  it('returns zero for a queue with no rows', () => {
    expect(countTasks(snapshot(ROWS), spec(['missing']))).toEqual({ queued: 0, running: 0 });
  });

  it('returns zero for an empty snapshot', () => {
    expect(countTasks(snapshot([]), spec(['default']))).toEqual({ queued: 0, running: 0 });
  });

  it('counts NULL-executor rows when includeDefault is true', () => {
    const counts = countTasks(snapshot(ROWS), spec(['default'], { names: ['CeleryExecutor'], includeDefault: true }));
    expect(counts).toEqual({ queued: 13, running: 24 });
  });

  it('skips NULL-executor rows when includeDefault is false', () => {
    const counts = countTasks(snapshot(ROWS), spec(['default'], { names: ['CeleryExecutor'], includeDefault: false }));
    expect(counts).toEqual({ queued: 10, running: 20 });
  });

  it('counts only NULL-executor rows when names is empty and includeDefault is true', () => {
    const counts = countTasks(snapshot(ROWS), spec(['default'], { names: [], includeDefault: true }));
    expect(counts).toEqual({ queued: 3, running: 4 });
  });

  it('matches executor names exactly, not by prefix or case', () => {
    const rows: TaskCountRow[] = [
      { queue: 'q', executor: 'CeleryExecutor', state: 'queued', count: 1 },
      { queue: 'q', executor: 'celeryexecutor', state: 'queued', count: 10 },
      { queue: 'q', executor: 'CeleryExecutor2', state: 'queued', count: 100 },
      { queue: 'q', executor: 'Celery', state: 'queued', count: 1000 },
      { queue: 'q', executor: 'CeleryKubernetesExecutor', state: 'queued', count: 10_000 },
    ];
    const counts = countTasks(snapshot(rows), spec(['q'], { names: ['CeleryExecutor'], includeDefault: false }));
    expect(counts).toEqual({ queued: 1, running: 0 });
  });

  it('accepts several executor names', () => {
    const counts = countTasks(
      snapshot(ROWS),
      spec(['default'], { names: ['CeleryExecutor', 'KubernetesExecutor'], includeDefault: false }),
    );
    expect(counts).toEqual({ queued: 110, running: 220 });
  });

  it('throws ExecutorColumnMissing when a filter is set and the table has no executor column', () => {
    const snap = snapshot(ROWS, { hasExecutorColumn: false, metastore: 'legacy' });
    const run = () => countTasks(snap, spec(['default'], { names: ['CeleryExecutor'], includeDefault: true }));
    expect(run).toThrow(ScalerError);
    try {
      run();
    } catch (err) {
      expect((err as ScalerError).code).toBe(ErrorCode.ExecutorColumnMissing);
      expect((err as ScalerError).message).toContain('"legacy"');
      expect((err as ScalerError).message).toContain('celeryExecutors');
    }
  });

  it('throws ExecutorColumnMissing even for an includeDefault-only filter on an old schema', () => {
    const snap = snapshot([], { hasExecutorColumn: false });
    expect(() => countTasks(snap, spec(['default'], { names: [], includeDefault: true }))).toThrow(
      expect.objectContaining({ code: ErrorCode.ExecutorColumnMissing }),
    );
  });

  it('counts everything without a filter on a table that has no executor column', () => {
    const rows: TaskCountRow[] = [
      { queue: 'default', executor: null, state: 'queued', count: 2 },
      { queue: 'default', executor: null, state: 'running', count: 5 },
    ];
    expect(countTasks(snapshot(rows, { hasExecutorColumn: false }), spec(['default']))).toEqual({ queued: 2, running: 5 });
  });
});

describe('freshness', () => {
  const snap = snapshot([], { takenAtMs: 10_000 });

  it('is missing without a snapshot', () => {
    expect(freshness(undefined, 10_000, 5_000)).toEqual({ kind: 'missing' });
  });

  it('is fresh up to and including staleAfterMs', () => {
    expect(freshness(snap, 10_000, 5_000)).toEqual({ kind: 'fresh', snapshot: snap, ageMs: 0 });
    expect(freshness(snap, 15_000, 5_000)).toEqual({ kind: 'fresh', snapshot: snap, ageMs: 5_000 });
  });

  it('is stale one millisecond past staleAfterMs', () => {
    expect(freshness(snap, 15_001, 5_000)).toEqual({ kind: 'stale', snapshot: snap, ageMs: 5_001 });
  });

  it('clamps a negative age (clock stepping backwards) to zero', () => {
    expect(freshness(snap, 9_000, 5_000)).toEqual({ kind: 'fresh', snapshot: snap, ageMs: 0 });
  });
});

describe('requireFreshSnapshot', () => {
  const snap = snapshot([{ queue: 'default', executor: null, state: 'queued', count: 1 }], { takenAtMs: 10_000 });

  it('returns a fresh snapshot unchanged', () => {
    expect(requireFreshSnapshot(snap, 'default', 12_000, 5_000)).toBe(snap);
  });

  it('throws ASC_NO_SNAPSHOT naming the metastore when there is no snapshot', () => {
    expect(() => requireFreshSnapshot(undefined, 'analytics', 12_000, 5_000)).toThrow(
      expect.objectContaining({ code: 'ASC_NO_SNAPSHOT', message: expect.stringContaining('"analytics"') }),
    );
  });

  it('throws ASC_STALE_SNAPSHOT with the age and the limit when the snapshot is too old', () => {
    let caught: unknown;
    try {
      requireFreshSnapshot(snap, 'default', 25_000, 5_000);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ScalerError);
    const err = caught as ScalerError;
    expect(err.code).toBe('ASC_STALE_SNAPSHOT');
    expect(err.message).toContain('15000 ms');
    expect(err.message).toContain('5000 ms');
  });

  it('never turns a missing or stale snapshot into zero counts', () => {
    for (const [candidate, now] of [
      [undefined, 10_000],
      [snap, 100_000],
    ] as const) {
      expect(() => countTasks(requireFreshSnapshot(candidate, 'default', now, 5_000), spec(['default']))).toThrow(
        ScalerError,
      );
    }
  });
});

describe('runningByWorker', () => {
  it('sums running tasks per pod for the worker set, ignoring other queues, queued rows and missing hostnames', () => {
    const rows: TaskCountRow[] = [
      { queue: 'default', executor: null, state: 'running', hostname: 'worker-a', count: 2 },
      { queue: 'high', executor: null, state: 'running', hostname: 'worker-a', count: 1 },
      { queue: 'default', executor: null, state: 'running', hostname: 'worker-b.airflow-worker.airflow.svc.cluster.local', count: 3 },
      { queue: 'default', executor: null, state: 'running', hostname: 'worker-b', count: 1 },
      { queue: 'default', executor: null, state: 'running', hostname: null, count: 7 },
      { queue: 'default', executor: null, state: 'running', count: 7 },
      { queue: 'default', executor: null, state: 'queued', hostname: null, count: 9 },
      { queue: 'etl', executor: null, state: 'running', hostname: 'worker-c', count: 4 },
    ];
    expect(Object.fromEntries(runningByWorker(snapshot(rows), spec(['default', 'high'])))).toEqual({ 'worker-a': 3, 'worker-b': 4 });
  });

  it('applies the executor filter like countTasks', () => {
    const rows: TaskCountRow[] = [
      { queue: 'default', executor: 'CeleryExecutor', state: 'running', hostname: 'worker-a', count: 2 },
      { queue: 'default', executor: 'KubernetesExecutor', state: 'running', hostname: 'pod-x', count: 5 },
    ];
    const celeryOnly = spec(['default'], { names: ['CeleryExecutor'], includeDefault: false });
    expect(Object.fromEntries(runningByWorker(snapshot(rows), celeryOnly))).toEqual({ 'worker-a': 2 });
  });
});

describe('podNameOf', () => {
  it.each([
    ['airflow-worker-0', 'airflow-worker-0'],
    ['airflow-worker-0.airflow-worker.airflow.svc.cluster.local', 'airflow-worker-0'],
  ])('maps the hostname %s to the pod %s', (hostname, podName) => {
    expect(podNameOf(hostname)).toBe(podName);
  });
});

describe('countByQueue', () => {
  it('sums every executor per named queue, keeps the oldest queued age, and reports named queues without rows as zero', () => {
    const rows: TaskCountRow[] = [
      { queue: 'default', executor: null, state: 'queued', count: 3, oldestQueuedAgeSeconds: 12 },
      { queue: 'default', executor: 'KubernetesExecutor', state: 'queued', count: 2, oldestQueuedAgeSeconds: 40 },
      { queue: 'default', executor: null, state: 'running', hostname: 'w-1', count: 4 },
      { queue: 'default', executor: null, state: 'running', hostname: 'w-2', count: 1 },
      { queue: 'high', executor: null, state: 'queued', count: 1, oldestQueuedAgeSeconds: null },
      { queue: 'other', executor: null, state: 'queued', count: 9, oldestQueuedAgeSeconds: 999 },
      { queue: null, executor: null, state: 'queued', count: 9, oldestQueuedAgeSeconds: 999 },
    ];
    expect(countByQueue(snapshot(rows), ['default', 'high', 'idle'])).toEqual([
      { queue: 'default', queued: 5, running: 5, oldestQueuedAgeSeconds: 40 },
      { queue: 'high', queued: 1, running: 0, oldestQueuedAgeSeconds: null },
      { queue: 'idle', queued: 0, running: 0, oldestQueuedAgeSeconds: null },
    ]);
  });
});
