import { describe, expect, it } from 'vitest';

import { ErrorCode, ScalerError } from '../../../src/core/errors.js';
import { MetadataCache } from '../../../src/grpc/metadata-cache.js';

const KNOWN = new Set(['default']);

describe('MetadataCache', () => {
  it('hands out the same resolved set for the same map in any order', () => {
    const cache = new MetadataCache(KNOWN);
    const first = cache.resolve({ queues: 'a', workerConcurrency: '4' });
    expect(cache.resolve({ workerConcurrency: '4', queues: 'a' })).toBe(first);
    expect(cache.size.entries).toBe(1);
  });

  it('caches an invalid map as its error, and refuses an oversized one without caching it', () => {
    const cache = new MetadataCache(KNOWN);
    expect(() => cache.resolve({ workerConcurrency: 'abc' })).toThrow(ScalerError);
    expect(cache.size.entries).toBe(1);
    let code: string | undefined;
    try {
      cache.resolve({ workerConcurrency: '7'.repeat(100_000) });
    } catch (err) {
      code = (err as ScalerError).code;
    }
    expect(code).toBe(ErrorCode.InvalidMetadata);
    expect(cache.size.entries).toBe(1);
  });

  it('stays within its bounds in entries and characters, whatever a client sends', () => {
    const cache = new MetadataCache(KNOWN, { entries: 100, characters: 50_000 });
    for (let i = 0; i < 10_000; i += 1) {
      try {
        cache.resolve({ queues: `q${i}`, junk: `${i}`.padEnd(2_000, 'x') });
      } catch {
        // invalid or not, each is cached
      }
      expect(cache.size.entries).toBeLessThanOrEqual(100);
      expect(cache.size.characters).toBeLessThanOrEqual(50_000);
    }
    // The newest is still cached, the oldest gone.
    const newest = { queues: 'q9999', junk: '9999'.padEnd(2_000, 'x') };
    expect(cache.resolve(newest)).toBe(cache.resolve(newest));
  });
});
