import { describe, expect, it } from 'vitest';

import { LogThrottle } from '../../../src/core/log-throttle.js';

describe('LogThrottle', () => {
  it('says the first occurrence at once, then at most one summary per interval with every occurrence counted', () => {
    const throttle = new LogThrottle<string>(60_000, 2);
    expect(throttle.add('a', 0)).toEqual({ examples: ['a'], more: 0, occurrences: 1 });
    expect(throttle.add('b', 1_000)).toBeUndefined();
    expect(throttle.add('c', 2_000)).toBeUndefined();
    expect(throttle.add('d', 3_000)).toBeUndefined();
    expect(throttle.add('b', 4_000)).toBeUndefined();
    expect(throttle.flush(59_999)).toBeUndefined();
    expect(throttle.flush(60_000)).toEqual({ examples: ['b', 'c'], more: 1, occurrences: 4 });
    expect(throttle.flush(200_000)).toBeUndefined();
  });

  it('keeps at most maxExamples items between summaries, whatever a client sends', () => {
    const throttle = new LogThrottle<number>(60_000, 5);
    throttle.add(-1, 0);
    for (let i = 0; i < 100_000; i += 1) throttle.add(i, 1);
    const summary = throttle.flush(60_001);
    expect(summary?.examples).toHaveLength(5);
    expect(summary?.occurrences).toBe(100_000);
  });
});
