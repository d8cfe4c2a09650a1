import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { nextTickDelayMs, retryDelayMs } from '../../../src/core/backoff.js';

describe('retryDelayMs', () => {
  it('waits between half and all of baseMs on the first retry', () => {
    expect(retryDelayMs(1, 1_000, 10_000, 0)).toBe(500);
    expect(retryDelayMs(1, 1_000, 10_000, 0.5)).toBe(750);
    expect(retryDelayMs(1, 1_000, 10_000, 0.999_999)).toBe(1_000);
  });

  it('doubles the ceiling with each attempt', () => {
    expect([1, 2, 3, 4].map((attempt) => retryDelayMs(attempt, 1_000, 100_000, 0))).toEqual([500, 1_000, 2_000, 4_000]);
  });

  it('caps the ceiling at maxMs', () => {
    expect(retryDelayMs(5, 1_000, 10_000, 0)).toBe(5_000);
    expect(retryDelayMs(5, 1_000, 10_000, 0.999_999)).toBe(10_000);
    expect(retryDelayMs(50, 1_000, 10_000, 0)).toBe(5_000);
  });

  it('treats attempt 0 or negative like the first retry', () => {
    expect(retryDelayMs(0, 1_000, 10_000, 0)).toBe(500);
    expect(retryDelayMs(-3, 1_000, 10_000, 0)).toBe(500);
  });

  it('stays finite for absurd attempt numbers', () => {
    expect(retryDelayMs(Number.MAX_SAFE_INTEGER, 1_000, 60_000, 0.5)).toBe(45_000);
  });

  it('is always a whole number within [ceiling/2, ceiling] and never above maxMs', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -5, max: 1_000 }),
        fc.integer({ min: 1, max: 600_000 }),
        fc.integer({ min: 1, max: 600_000 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (attempt, baseMs, maxMs, random) => {
          const delay = retryDelayMs(attempt, baseMs, maxMs, random);
          const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(Math.max(attempt - 1, 0), 30));
          expect(Number.isInteger(delay)).toBe(true);
          expect(delay).toBeGreaterThanOrEqual(Math.floor(ceiling / 2));
          expect(delay).toBeLessThanOrEqual(ceiling);
          expect(delay).toBeLessThanOrEqual(maxMs);
        },
      ),
    );
  });

  it('never shrinks as attempts grow (for the same jitter)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 100 }),
        fc.integer({ min: 1, max: 10_000 }),
        fc.integer({ min: 1, max: 600_000 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (attempt, baseMs, maxMs, random) => {
          expect(retryDelayMs(attempt + 1, baseMs, maxMs, random)).toBeGreaterThanOrEqual(
            retryDelayMs(attempt, baseMs, maxMs, random),
          );
        },
      ),
    );
  });
});

describe('nextTickDelayMs', () => {
  it('waits the rest of the interval after a quick tick', () => {
    expect(nextTickDelayMs(1_000, 0)).toBe(1_000);
    expect(nextTickDelayMs(1_000, 300)).toBe(700);
  });

  it('starts the next tick immediately when the tick took the whole interval or longer', () => {
    expect(nextTickDelayMs(1_000, 1_000)).toBe(0);
    expect(nextTickDelayMs(1_000, 5_000)).toBe(0);
  });

  it('keeps tick starts intervalMs apart and never goes negative', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 600_000 }), fc.integer({ min: 0, max: 1_000_000 }), (intervalMs, tookMs) => {
        const delay = nextTickDelayMs(intervalMs, tookMs);
        expect(delay).toBeGreaterThanOrEqual(0);
        expect(tookMs + delay).toBe(Math.max(intervalMs, tookMs));
      }),
    );
  });
});
