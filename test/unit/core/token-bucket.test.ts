import { describe, expect, it } from 'vitest';

import { TokenBucket } from '../../../src/core/token-bucket.js';

describe('TokenBucket', () => {
  it('allows a burst, then the steady rate', () => {
    const bucket = new TokenBucket(2, 4);
    const taken = Array.from({ length: 6 }, () => bucket.tryTake(0));
    expect(taken).toEqual([true, true, true, true, false, false]);
    expect(bucket.tryTake(499)).toBe(false);
    expect(bucket.tryTake(500)).toBe(true);
    expect(bucket.tryTake(500)).toBe(false);
  });

  it('never saves more than the burst however long it idles', () => {
    const bucket = new TokenBucket(10, 3);
    bucket.tryTake(0);
    const taken = Array.from({ length: 5 }, () => bucket.tryTake(3_600_000));
    expect(taken.filter(Boolean)).toHaveLength(3);
  });
});
