import { describe, expect, it } from 'vitest';

import { evaluateHealth, nextFreshnessChangeMs } from '../../../src/core/health.js';
import type { HealthLimits, PollerStatus } from '../../../src/core/health.js';
import type { Snapshot } from '../../../src/core/snapshot.js';

const NOW = 1_000_000;
const LIMITS: HealthLimits = { staleAfterMs: 5_000, wedgedAfterMs: 30_000 };

function snapshotAt(takenAtMs: number, metastore = 'default'): Snapshot {
  return { metastore, takenAtMs, hasExecutorColumn: true, rows: [] };
}

function status(overrides: Partial<PollerStatus> = {}): PollerStatus {
  return {
    metastore: 'default',
    latest: snapshotAt(NOW - 1_000),
    lastAttemptEndedAtMs: NOW - 1_000,
    startedAtMs: NOW - 60_000,
    consecutiveFailures: 0,
    lastErrorCode: undefined,
    ...overrides,
  };
}

describe('evaluateHealth', () => {
  it('is ready and live when every metastore has a fresh snapshot', () => {
    expect(evaluateHealth([status()], NOW, LIMITS)).toEqual({
      ready: true,
      live: true,
      metastores: [{ name: 'default', fresh: true, snapshotAgeMs: 1_000, consecutiveFailures: 0, lastErrorCode: null }],
    });
  });

  it('is not ready before the first successful read, and reports a null age', () => {
    const report = evaluateHealth([status({ latest: undefined, lastAttemptEndedAtMs: undefined, startedAtMs: NOW - 100 })], NOW, LIMITS);
    expect(report.ready).toBe(false);
    expect(report.live).toBe(true);
    expect(report.metastores[0]).toMatchObject({ fresh: false, snapshotAgeMs: null });
  });

  it('is not ready when one of several metastores is stale', () => {
    const report = evaluateHealth(
      [
        status(),
        status({
          metastore: 'analytics',
          latest: snapshotAt(NOW - 6_000, 'analytics'),
          consecutiveFailures: 4,
          lastErrorCode: 'ASC_METASTORE_QUERY_FAILED',
        }),
      ],
      NOW,
      LIMITS,
    );
    expect(report.ready).toBe(false);
    expect(report.live).toBe(true);
    expect(report.metastores).toEqual([
      { name: 'default', fresh: true, snapshotAgeMs: 1_000, consecutiveFailures: 0, lastErrorCode: null },
      {
        name: 'analytics',
        fresh: false,
        snapshotAgeMs: 6_000,
        consecutiveFailures: 4,
        lastErrorCode: 'ASC_METASTORE_QUERY_FAILED',
      },
    ]);
  });

  it('treats a snapshot exactly staleAfterMs old as fresh', () => {
    expect(evaluateHealth([status({ latest: snapshotAt(NOW - 5_000) })], NOW, LIMITS).ready).toBe(true);
    expect(evaluateHealth([status({ latest: snapshotAt(NOW - 5_001) })], NOW, LIMITS).ready).toBe(false);
  });

  it('is never ready with no metastores', () => {
    expect(evaluateHealth([], NOW, LIMITS)).toEqual({ ready: false, live: true, metastores: [] });
  });

  it('stays live while a failing loop keeps making attempts (a restart would not fix the database)', () => {
    const report = evaluateHealth(
      [status({ latest: snapshotAt(NOW - 600_000), lastAttemptEndedAtMs: NOW - 2_000, consecutiveFailures: 50 })],
      NOW,
      LIMITS,
    );
    expect(report.ready).toBe(false);
    expect(report.live).toBe(true);
  });

  it('is not live when a loop has not finished an attempt within wedgedAfterMs', () => {
    expect(evaluateHealth([status({ lastAttemptEndedAtMs: NOW - 30_000 })], NOW, LIMITS).live).toBe(true);
    expect(evaluateHealth([status({ lastAttemptEndedAtMs: NOW - 30_001 })], NOW, LIMITS).live).toBe(false);
  });

  it('measures a loop that never finished an attempt from its start time', () => {
    const fresh = status({ latest: undefined, lastAttemptEndedAtMs: undefined, startedAtMs: NOW - 10_000 });
    const wedged = status({ latest: undefined, lastAttemptEndedAtMs: undefined, startedAtMs: NOW - 40_000 });
    expect(evaluateHealth([fresh], NOW, LIMITS).live).toBe(true);
    expect(evaluateHealth([wedged], NOW, LIMITS).live).toBe(false);
  });

  it('is not live when any one loop is wedged', () => {
    const report = evaluateHealth([status(), status({ metastore: 'b', lastAttemptEndedAtMs: NOW - 100_000 })], NOW, LIMITS);
    expect(report.live).toBe(false);
  });
});

describe('nextFreshnessChangeMs', () => {
  const status = (takenAtMs: number | undefined) => ({
    metastore: 'm',
    latest: takenAtMs === undefined ? undefined : { metastore: 'm', takenAtMs, hasExecutorColumn: true, rows: [] },
    lastAttemptEndedAtMs: undefined,
    startedAtMs: 0,
    consecutiveFailures: 0,
    lastErrorCode: undefined,
  });

  it('is the time until the first fresh snapshot turns stale, and nothing when none is fresh', () => {
    expect(nextFreshnessChangeMs([status(1_000), status(1_500)], 2_000, 5_000)).toBe(4_001);
    expect(nextFreshnessChangeMs([status(1_000)], 6_000, 5_000)).toBe(1);
    expect(nextFreshnessChangeMs([status(1_000)], 6_001, 5_000)).toBeUndefined();
    expect(nextFreshnessChangeMs([status(undefined)], 0, 5_000)).toBeUndefined();
  });
});
