import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import type { ExecutorFilter } from '../../../src/core/metadata.js';
import { parseScalerMetadata } from '../../../src/core/metadata.js';
import { metricNameFor, metricNameMatches, workerSetKey } from '../../../src/core/metric-name.js';
import { workerSetSpec } from '../../support/worker-set-spec.js';

const VALID_NAME = /^[a-z0-9-]+$/;

const spec = workerSetSpec;

/** Any string at all, including astral-plane characters, lone surrogates, punctuation and whitespace. */
const anyQueueName = fc.oneof(
  fc.string({ minLength: 1, maxLength: 300, unit: 'binary' }),
  fc.string({ minLength: 1, maxLength: 300, unit: 'grapheme' }),
  fc.string({ minLength: 1, maxLength: 60, unit: fc.constantFrom(...Array.from('-_.:/ @!#$%&*()[]{}<>?|\\"\'`~^+=;,')) }),
  fc.constantFrom('İstanbul', 'ǅ', 'ß', 'K', '日本語', '🚀🚀', 'Ω', '---', '   ', 'A'.repeat(256)),
);

const metastoreName = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?$/);

/** Queue names as parseScalerMetadata can produce them: non-empty, trimmed, comma-free. */
const parsedQueueName = fc
  .string({ minLength: 1, maxLength: 40, unit: 'grapheme' })
  .map((s) => s.replaceAll(',', '').trim())
  .filter((s) => s.length > 0);

function sortedUnique(names: readonly string[]): string[] {
  return [...new Set(names)].sort();
}

describe('metricNameFor', () => {
  it('builds a readable name from the queues plus a hash', () => {
    expect(metricNameFor(spec({ queues: ['default'] }))).toMatch(/^airflow-celery-default-[0-9a-f]{8}$/);
    expect(metricNameFor(spec({ queues: ['etl', 'reports'] }))).toMatch(/^airflow-celery-etl-reports-[0-9a-f]{8}$/);
  });

  it('includes a non-default metastore name in the readable part', () => {
    expect(metricNameFor(spec({ metastore: 'analytics', queues: ['etl'] }))).toMatch(
      /^airflow-celery-analytics-etl-[0-9a-f]{8}$/,
    );
  });

  it('lowercases and slugs punctuation in queue names', () => {
    expect(metricNameFor(spec({ queues: ['My_Queue.v2'] }))).toMatch(/^airflow-celery-my-queue-v2-[0-9a-f]{8}$/);
  });

  it('falls back to just the hash when nothing readable is left', () => {
    expect(metricNameFor(spec({ queues: ['日本語'] }))).toMatch(/^airflow-celery-[0-9a-f]{8}$/);
    expect(metricNameFor(spec({ queues: ['---'] }))).toMatch(/^airflow-celery-[0-9a-f]{8}$/);
  });

  it('is deterministic (the same spec always gives the same name)', () => {
    const s = spec({ queues: ['a', 'b'], executorFilter: { names: ['CeleryExecutor'], includeDefault: false } });
    expect(metricNameFor(s)).toBe(metricNameFor({ ...s, queues: ['a', 'b'] }));
  });

  it('keeps very long names within 63 characters and leaves room for KEDA’s "s<index>-" prefix', () => {
    const name = metricNameFor(spec({ metastore: 'a'.repeat(63), queues: ['q'.repeat(256), 'r'.repeat(256)] }));
    expect(name).toMatch(VALID_NAME);
    expect(name.length).toBeLessThanOrEqual(63);
    expect(`s99-${name}`.length).toBeLessThanOrEqual(63);
  });

  it('never ends the readable part with a dash before the hash', () => {
    // 'a-' repeated puts a dash right at the truncation point.
    const name = metricNameFor(spec({ queues: ['a-'.repeat(100) + 'z'] }));
    expect(name).not.toMatch(/--/);
    expect(name).toMatch(/^airflow-celery-[a-z0-9-]*[a-z0-9]-[0-9a-f]{8}$/);
  });

  it('produces only [a-z0-9-] and at most 63 characters for arbitrary queue names', () => {
    fc.assert(
      fc.property(
        fc.array(anyQueueName, { minLength: 1, maxLength: 6 }),
        fc.constantFrom('default', 'analytics', 'x'.repeat(63)),
        (queues, metastore) => {
          const name = metricNameFor(spec({ metastore, queues: sortedUnique(queues) }));
          expect(name).toMatch(VALID_NAME);
          expect(name.length).toBeLessThanOrEqual(63);
          expect(name.startsWith('airflow-celery-')).toBe(true);
          expect(name).not.toMatch(/--|-$/);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('is stable regardless of the order queues are listed in the metadata', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(parsedQueueName, { minLength: 1, maxLength: 6 }),
        fc.func(fc.integer()),
        (queues, rank) => {
          const shuffled = [...queues].sort((a, b) => rank(a) - rank(b));
          const first = parseScalerMetadata({ queues: queues.join(',') }, new Set(['default'])).spec;
          const second = parseScalerMetadata({ queues: [...shuffled, ...shuffled].join(' , ') }, new Set(['default'])).spec;
          expect(metricNameFor(second)).toBe(metricNameFor(first));
        },
      ),
    );
  });

  it('is stable regardless of concurrency, bounds and activation threshold', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.integer({ min: 0, max: 1_000 }),
        fc.option(fc.integer({ min: 1_000, max: 1_000_000 }), { nil: null }),
        fc.integer({ min: 0, max: 1_000_000 }),
        (workerConcurrency, minReplicaCount, maxReplicaCount, activationThreshold) => {
          const base = spec({ queues: ['etl'] });
          const changed = { ...base, workerConcurrency, minReplicaCount, maxReplicaCount, activationThreshold };
          expect(metricNameFor(changed)).toBe(metricNameFor(base));
        },
      ),
    );
  });

  it('differs for different worker sets', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(parsedQueueName, { minLength: 1, maxLength: 4 }),
        fc.uniqueArray(parsedQueueName, { minLength: 1, maxLength: 4 }),
        (a, b) => {
          const left = sortedUnique(a);
          const right = sortedUnique(b);
          fc.pre(JSON.stringify(left) !== JSON.stringify(right));
          expect(metricNameFor(spec({ queues: left }))).not.toBe(metricNameFor(spec({ queues: right })));
        },
      ),
    );
  });

  it('differs for worker sets whose readable parts slug identically', () => {
    const names = [['a-b'], ['a', 'b'], ['A-B'], ['a_b'], ['a.b'], ['a b']].map((queues) =>
      metricNameFor(spec({ queues })),
    );
    expect(new Set(names).size).toBe(names.length);
  });

  it('differs for different metastores with the same queues', () => {
    fc.assert(
      fc.property(metastoreName, metastoreName, (a, b) => {
        fc.pre(a !== b);
        expect(metricNameFor(spec({ metastore: a }))).not.toBe(metricNameFor(spec({ metastore: b })));
      }),
    );
  });

  it('differs for different executor filters', () => {
    const filters: (ExecutorFilter | null)[] = [
      null,
      { names: [], includeDefault: true },
      { names: ['CeleryExecutor'], includeDefault: true },
      { names: ['CeleryExecutor'], includeDefault: false },
      { names: ['CeleryExecutor', 'my.Executor'], includeDefault: false },
      { names: ['my.Executor'], includeDefault: false },
    ];
    const names = filters.map((executorFilter) => metricNameFor(spec({ executorFilter })));
    expect(new Set(names).size).toBe(filters.length);
    const keys = filters.map((executorFilter) => workerSetKey(spec({ executorFilter })));
    expect(new Set(keys).size).toBe(filters.length);
  });
});

describe('workerSetKey', () => {
  it('ignores concurrency and bounds', () => {
    expect(workerSetKey(spec({ workerConcurrency: 1, minReplicaCount: 2, maxReplicaCount: 3 }))).toBe(workerSetKey(spec()));
  });

  it('distinguishes executor filters whose names could spell the default flag', () => {
    const withDefault = spec({ executorFilter: { names: ['X'], includeDefault: true } });
    const literal = spec({ executorFilter: { names: ['default+X'], includeDefault: false } });
    expect(workerSetKey(withDefault)).not.toBe(workerSetKey(literal));
  });

  it('distinguishes queue lists that would join to the same text', () => {
    expect(workerSetKey(spec({ queues: ['a,b'] }))).not.toBe(workerSetKey(spec({ queues: ['a', 'b'] })));
  });
});

describe('metricNameMatches', () => {
  it('matches the exact name', () => {
    expect(metricNameMatches('airflow-celery-etl-0a1b2c3d', 'airflow-celery-etl-0a1b2c3d')).toBe(true);
  });

  it('matches case-insensitively (older KEDA lowercases or keeps case on the HPA path)', () => {
    expect(metricNameMatches('AIRFLOW-CELERY-ETL-0A1B2C3D', 'airflow-celery-etl-0a1b2c3d')).toBe(true);
    expect(metricNameMatches('airflow-celery-etl-0a1b2c3d', 'Airflow-Celery-ETL-0a1b2c3d')).toBe(true);
  });

  it('rejects a different name, a prefix or a suffix', () => {
    expect(metricNameMatches('airflow-celery-etl-0a1b2c3e', 'airflow-celery-etl-0a1b2c3d')).toBe(false);
    expect(metricNameMatches('airflow-celery-etl', 'airflow-celery-etl-0a1b2c3d')).toBe(false);
    expect(metricNameMatches('s0-airflow-celery-etl-0a1b2c3d', 'airflow-celery-etl-0a1b2c3d')).toBe(false);
  });

  it('accepts any case variant of a generated name', () => {
    fc.assert(
      fc.property(fc.array(anyQueueName, { minLength: 1, maxLength: 3 }), fc.boolean(), (queues, upper) => {
        const name = metricNameFor(spec({ queues: sortedUnique(queues) }));
        const requested = upper ? name.toUpperCase() : name;
        expect(metricNameMatches(requested, name)).toBe(true);
      }),
    );
  });
});
