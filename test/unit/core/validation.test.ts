import { describe, expect, it } from 'vitest';

import { closestName } from '../../../src/core/suggest.js';
import { Validator, deepFreeze, describeValue, durationSeconds, joinPath } from '../../../src/core/validation.js';

describe('Validator', () => {
  it('collects every problem with its path and shown value, and hides secrets', () => {
    const v = new Validator({ isSecret: (path) => path[path.length - 1] === 'url' });
    v.mapping(['db'], { url: 'postgresql://u:hunter2@h/db', poolSise: 2 }, ['url', 'poolSize']);
    v.integer(['db', 'poolSize'], 'two', { min: 1, max: 2 });
    v.problem(['db', 'url'], 'postgresql://u:hunter2@h/db', 'is wrong');
    v.oneOf(['mode'], 'in-clustr', ['auto', 'in-cluster', 'off']);
    expect(v.problems).toEqual([
      'db.poolSise is not a known key (did you mean "poolSize"?)',
      'db.poolSize="two" must be a whole number from 1 to 2',
      'db.url=(not shown) is wrong',
      'mode="in-clustr" must be one of auto, in-cluster, off (did you mean "in-cluster"?)',
    ]);
  });

  it('reads integers from numbers and decimal strings only, in range', () => {
    const v = new Validator();
    expect(v.integer(['a'], '42', { min: 0, max: 100 })).toBe(42);
    expect(v.integer(['a'], 42, { min: 0, max: 100 })).toBe(42);
    for (const bad of ['1e3', '-1', '+1', '0x10', '1.5', ' 4', 101, 1.5]) expect(v.integer(['a'], bad, { min: 0, max: 100 })).toBeUndefined();
    expect(v.problems).toHaveLength(8);
  });

  it('reads durations with units and lists with bounds', () => {
    const v = new Validator();
    expect(v.duration(['d'], '1.5h')).toBe(5_400);
    expect(v.duration(['d'], 250)).toBe(250);
    expect(v.duration(['d'], '250ms')).toBe(0.25);
    expect(v.duration(['d'], 'soon')).toBeUndefined();
    expect(v.list(['q'], ' b, a ,b', { maxItems: 3, maxItemLength: 5 })).toEqual(['a', 'b']);
    expect(v.list(['q'], 'a,,b', { maxItems: 3, maxItemLength: 5 })).toBeUndefined();
    expect(v.list(['q'], 'a,b,c,d', { maxItems: 3, maxItemLength: 5 })).toBeUndefined();
    expect(v.list(['q'], 'abcdef', { maxItems: 3, maxItemLength: 5 })).toBeUndefined();
    expect(v.problems).toHaveLength(4);
  });

  it('cuts shown values to 80 characters, whatever their size', () => {
    expect(describeValue('x'.repeat(1_000_000))).toHaveLength(83);
    expect(describeValue({ a: 'y'.repeat(1_000) }).length).toBeLessThanOrEqual(81);
    expect(describeValue(undefined)).toBe('(missing)');
  });

  it('joins paths with dots and indexes', () => {
    expect(joinPath(['queues', 'default', 'arrivals', 2, 'burst'])).toBe('queues.default.arrivals[2].burst');
  });

  it('freezes a parsed value all the way down', () => {
    const value = deepFreeze({ a: { b: [1, { c: 2 }] } });
    expect(Object.isFrozen(value.a.b[1])).toBe(true);
  });
});

describe('durationSeconds', () => {
  it('reads a number with a unit as seconds, and nothing else', () => {
    expect([' 250ms', '90s', '5m', '1.5h', '7d'].map(durationSeconds)).toEqual([0.25, 90, 300, 5400, 604800]);
    expect(['7', 'd', '-1s', '2026-01-01T00:00:00Z', '1w'].map(durationSeconds)).toEqual([undefined, undefined, undefined, undefined, undefined]);
  });
});

describe('closestName', () => {
  it('suggests a name within a few edits or one a name was cut from, and nothing for unrelated input', () => {
    expect(closestName('workerconcurency', ['workerConcurrency', 'queues'])).toBe('workerConcurrency');
    expect(closestName('pool', ['poolSize', 'url'])).toBe('poolSize');
    expect(closestName('srve', ['serve', 'demo'])).toBe('serve');
    expect(closestName('banana', ['serve', 'demo'])).toBeUndefined();
    expect(closestName('x'.repeat(10_000), ['serve'])).toBeUndefined();
  });
});
