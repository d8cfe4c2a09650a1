import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { decide, shouldPush } from '../../../src/core/scaling.js';
import { workerSetSpec } from '../../support/worker-set-spec.js';

const spec = workerSetSpec;

describe('decide', () => {
  it('wants zero workers and is inactive when nothing is queued or running', () => {
    expect(decide({ queued: 0, running: 0 }, spec())).toEqual({
      queued: 0,
      running: 0,
      forecast: 0,
      needed: 0,
      desired: 0,
      clampedBy: null,
      active: false,
    });
  });

  it.each([
    [1, 16, 1],
    [16, 16, 1],
    [17, 16, 2],
    [32, 16, 2],
    [33, 16, 3],
    [5, 1, 5],
    [1000, 7, 143],
  ])('rounds %i tasks / concurrency %i up to %i workers', (tasks, workerConcurrency, expected) => {
    const decision = decide({ queued: tasks, running: 0 }, spec({ workerConcurrency }));
    expect(decision.needed).toBe(expected);
    expect(decision.desired).toBe(expected);
    expect(decision.clampedBy).toBeNull();
  });

  it('counts running tasks as well as queued ones', () => {
    const decision = decide({ queued: 10, running: 7 }, spec({ workerConcurrency: 16 }));
    expect(decision.queued).toBe(10);
    expect(decision.running).toBe(7);
    expect(decision.needed).toBe(2);
    expect(decision.desired).toBe(2);
  });

  it('keeps workers and stays active when only running tasks remain', () => {
    const decision = decide({ queued: 0, running: 3 }, spec());
    expect(decision.desired).toBe(1);
    expect(decision.active).toBe(true);
  });

  it('raises desired to minReplicaCount and reports clampedBy=min', () => {
    const decision = decide({ queued: 1, running: 0 }, spec({ minReplicaCount: 3 }));
    expect(decision.needed).toBe(1);
    expect(decision.desired).toBe(3);
    expect(decision.clampedBy).toBe('min');
  });

  it('lowers desired to maxReplicaCount and reports clampedBy=max', () => {
    const decision = decide({ queued: 100, running: 0 }, spec({ workerConcurrency: 10, maxReplicaCount: 4 }));
    expect(decision.needed).toBe(10);
    expect(decision.desired).toBe(4);
    expect(decision.clampedBy).toBe('max');
  });

  it('does not report a clamp when needed equals a bound exactly', () => {
    expect(decide({ queued: 3, running: 0 }, spec({ workerConcurrency: 1, minReplicaCount: 3 })).clampedBy).toBeNull();
    expect(decide({ queued: 3, running: 0 }, spec({ workerConcurrency: 1, maxReplicaCount: 3 })).clampedBy).toBeNull();
  });

  it('has no upper bound when maxReplicaCount is null', () => {
    const decision = decide({ queued: 1_000_000, running: 0 }, spec({ workerConcurrency: 1 }));
    expect(decision.desired).toBe(1_000_000);
    expect(decision.clampedBy).toBeNull();
  });

  it('honours maxReplicaCount=0', () => {
    const decision = decide({ queued: 50, running: 0 }, spec({ maxReplicaCount: 0 }));
    expect(decision.desired).toBe(0);
    expect(decision.clampedBy).toBe('max');
  });

  it('reports the min bound even when nothing is pending', () => {
    const decision = decide({ queued: 0, running: 0 }, spec({ minReplicaCount: 2 }));
    expect(decision.desired).toBe(2);
    expect(decision.clampedBy).toBe('min');
    expect(decision.active).toBe(false);
  });

  it.each([
    [0, 0, false],
    [1, 0, true],
    [5, 5, false],
    [6, 5, true],
    [4, 5, false],
  ])('with %i tasks and activationThreshold=%i active is %s (strictly greater)', (tasks, activationThreshold, active) => {
    expect(decide({ queued: tasks, running: 0 }, spec({ activationThreshold })).active).toBe(active);
  });

  it('includes running tasks in the activation total', () => {
    expect(decide({ queued: 3, running: 3 }, spec({ activationThreshold: 5 })).active).toBe(true);
    expect(decide({ queued: 0, running: 6 }, spec({ activationThreshold: 5 })).active).toBe(true);
  });

  it('activation does not depend on the min/max bounds', () => {
    expect(decide({ queued: 0, running: 0 }, spec({ minReplicaCount: 5 })).active).toBe(false);
    expect(decide({ queued: 10, running: 0 }, spec({ maxReplicaCount: 0 })).active).toBe(true);
  });

  it('desired is always within [min, max] and equals clamp(ceil(n / c))', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10_000_000 }),
        fc.integer({ min: 0, max: 10_000_000 }),
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.option(fc.integer({ min: 0, max: 1_000_000 }), { nil: null }),
        fc.integer({ min: 0, max: 1_000_000 }),
        (queued, running, workerConcurrency, a, b, activationThreshold) => {
          const minReplicaCount = b === null ? a : Math.min(a, b);
          const maxReplicaCount = b === null ? null : Math.max(a, b);
          const s = spec({ workerConcurrency, minReplicaCount, maxReplicaCount, activationThreshold });
          const decision = decide({ queued, running }, s);
          const needed = Math.ceil((queued + running) / workerConcurrency);
          const expected = Math.min(Math.max(needed, minReplicaCount), maxReplicaCount ?? Number.POSITIVE_INFINITY);

          expect(Number.isInteger(decision.desired)).toBe(true);
          expect(decision.needed).toBe(needed);
          expect(decision.desired).toBe(expected);
          expect(decision.desired).toBeGreaterThanOrEqual(minReplicaCount);
          if (maxReplicaCount !== null) expect(decision.desired).toBeLessThanOrEqual(maxReplicaCount);
          expect(decision.clampedBy).toBe(
            needed < minReplicaCount ? 'min' : maxReplicaCount !== null && needed > maxReplicaCount ? 'max' : null,
          );
          expect(decision.active).toBe(queued + running > activationThreshold);
          // Enough worker slots for every task unless max caps it.
          if (decision.clampedBy !== 'max') {
            expect(decision.desired * workerConcurrency).toBeGreaterThanOrEqual(queued + running);
          }
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe('shouldPush', () => {
  it.each([
    [false, false, false],
    [false, true, true],
    [true, true, false],
    [true, false, false],
  ])('previouslyActive=%s nowActive=%s → push=%s', (previouslyActive, nowActive, expected) => {
    expect(shouldPush(previouslyActive, nowActive)).toBe(expected);
  });

  it('never pushes a deactivation', () => {
    fc.assert(
      fc.property(fc.boolean(), (previouslyActive) => {
        expect(shouldPush(previouslyActive, false)).toBe(false);
      }),
    );
  });
});
