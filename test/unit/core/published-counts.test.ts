import { describe, expect, it } from 'vitest';

import {
  MAX_PUBLISHED_ANNOTATION_LENGTH,
  MAX_PUBLISHED_COUNT,
  MAX_PUBLISHED_TARGETS,
  countsForLease,
  publishedTargetId,
  standingCount,
} from '../../../src/core/published-counts.js';

/** All of an object's annotations together, keys and values (apimachinery's TotalAnnotationSizeLimitB). */
const KUBERNETES_ANNOTATIONS_LIMIT = 256 * 1024;

describe('standingCount', () => {
  it('stands up to and including expiresAtMs, and not a millisecond after', () => {
    const count = { reported: 3, expiresAtMs: 60_000 };
    expect(standingCount(count, 60_000)).toBe(3);
    expect(standingCount(count, 60_001)).toBeUndefined();
    expect(standingCount(undefined, 0)).toBeUndefined();
  });
});

describe('countsForLease', () => {
  it('leaves out a count the leader stopped re-planning once its TTL passed, though the leader still renews', () => {
    const own = new Map([
      ['airflow/component=worker/m', { reported: 2, expiresAtMs: 61_000 }],
      ['airflow/component=worker/n', { reported: 5, expiresAtMs: 200_000 }],
    ]);
    expect(countsForLease(own, 61_000)).toEqual(new Map([[publishedTargetId('airflow/component=worker/m'), 2], [publishedTargetId('airflow/component=worker/n'), 5]]));
    expect(countsForLease(own, 61_001)).toEqual(new Map([[publishedTargetId('airflow/component=worker/n'), 5]]));
  });

  it('names targets by a fixed-length id, whatever the key’s length', () => {
    const long = `${'n'.repeat(63)}/${'k=v,'.repeat(1_000)}x=y/airflow-celery-default-1a2b3c4d`;
    expect(publishedTargetId(long)).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect(publishedTargetId(long)).toBe(publishedTargetId(long));
    expect(publishedTargetId(long)).not.toBe(publishedTargetId(`${long}z`));
  });

  it('keeps the annotation far under Kubernetes’ 256 KiB however long the keys: 2,000 targets at the largest count', () => {
    const own = new Map(
      Array.from({ length: MAX_PUBLISHED_TARGETS + 500 }, (_, i) => [`${'n'.repeat(58)}-${i}/${'label=value,'.repeat(300)}a=b/m`, { reported: MAX_PUBLISHED_COUNT + i, expiresAtMs: 1 }] as const),
    );
    const annotation = JSON.stringify(Object.fromEntries(countsForLease(own, 0)));
    expect(annotation.length).toBe(MAX_PUBLISHED_ANNOTATION_LENGTH - 1); // the bound counts a trailing comma
    expect(Buffer.byteLength(annotation)).toBeLessThan(KUBERNETES_ANNOTATIONS_LIMIT / 4);
  });
});
