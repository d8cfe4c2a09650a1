import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { ErrorCode, ScalerError } from '../../../src/core/errors.js';
import {
  DEFAULT_METASTORE,
  DEFAULT_QUEUE,
  DEFAULT_WORKER_CONCURRENCY,
  KEDA_OWN_METADATA_KEYS,
  MetadataKey,
  parseScalerMetadata,
} from '../../../src/core/metadata.js';
import { describeValue } from '../../../src/core/validation.js';
import type { ParsedMetadata } from '../../../src/core/metadata.js';

const KNOWN: ReadonlySet<string> = new Set(['default', 'analytics']);

function parse(metadata: Record<string, string>, known: ReadonlySet<string> = KNOWN): ParsedMetadata {
  return parseScalerMetadata(metadata, known);
}

/** Runs the parser expecting a ScalerError and returns it. */
function parseError(metadata: Record<string, string>, known: ReadonlySet<string> = KNOWN): ScalerError {
  try {
    parseScalerMetadata(metadata, known);
  } catch (err) {
    expect(err).toBeInstanceOf(ScalerError);
    return err as ScalerError;
  }
  throw new Error(`expected parseScalerMetadata(${JSON.stringify(metadata)}) to throw`);
}

describe('parseScalerMetadata defaults', () => {
  it('uses the documented defaults for an empty map', () => {
    const { spec, unknownKeys } = parse({});
    expect(spec).toEqual({
      metastore: 'default',
      queues: ['default'],
      executorFilter: null,
      workerConcurrency: 16,
      minReplicaCount: 0,
      maxReplicaCount: null,
      activationThreshold: 0,
      scaleIn: { policy: 'drain', podSelector: 'component=worker' },
      prewarm: { mode: 'off', leadMs: 120_000, historyRuns: 5 },
    });
    expect(unknownKeys).toEqual([]);
  });

  it('exports default constants matching the parsed defaults', () => {
    expect(DEFAULT_METASTORE).toBe('default');
    expect(DEFAULT_QUEUE).toBe('default');
    expect(DEFAULT_WORKER_CONCURRENCY).toBe(16);
  });

  it('reads every supported key', () => {
    const { spec } = parse({
      queues: 'etl',
      workerConcurrency: '8',
      minReplicaCount: '1',
      maxReplicaCount: '10',
      activationThreshold: '3',
      metastore: 'analytics',
      celeryExecutors: 'CeleryExecutor',
      celeryIsDefaultExecutor: 'false',
      scaleIn: 'rank',
      workerPodSelector: 'component = worker, release=airflow,!canary',
      prewarm: 'schedule',
      prewarmLeadSeconds: '90',
      prewarmHistoryRuns: '3',
    });
    expect(spec).toEqual({
      metastore: 'analytics',
      queues: ['etl'],
      executorFilter: { names: ['CeleryExecutor'], includeDefault: false },
      workerConcurrency: 8,
      minReplicaCount: 1,
      maxReplicaCount: 10,
      activationThreshold: 3,
      scaleIn: { policy: 'rank', podSelector: 'component=worker,release=airflow,!canary' },
      prewarm: { mode: 'schedule', leadMs: 90_000, historyRuns: 3 },
    });
  });

  it.each([
    ['prewarm', 'always', 'must be one of off, schedule'],
    ['prewarmLeadSeconds', '0', 'must be between 1 and 3600'],
    ['prewarmLeadSeconds', '3601', 'must be between 1 and 3600'],
    ['prewarmHistoryRuns', '51', 'must be between 1 and 50'],
  ])('refuses %s=%s naming the key: %s', (key, value, message) => {
    const err = parseError({ [key]: value });
    expect(err.problems[0]).toContain(`${key}=${JSON.stringify(value)} ${message}`);
  });

  it('accepts maxReplicaCount equal to minReplicaCount', () => {
    const { spec } = parse({ minReplicaCount: '3', maxReplicaCount: '3' });
    expect(spec.minReplicaCount).toBe(3);
    expect(spec.maxReplicaCount).toBe(3);
  });

  it('accepts maxReplicaCount=0 with the default minimum', () => {
    expect(parse({ maxReplicaCount: '0' }).spec.maxReplicaCount).toBe(0);
  });

  it('accepts the upper bound 1000000 and rejects 1000001', () => {
    expect(parse({ workerConcurrency: '1000000' }).spec.workerConcurrency).toBe(1_000_000);
    const err = parseError({ workerConcurrency: '1000001' });
    expect(err.problems).toEqual([expect.stringContaining('workerConcurrency="1000001"')]);
  });
});

describe('parseScalerMetadata queue lists', () => {
  it('trims, de-duplicates and sorts queue names', () => {
    expect(parse({ queues: ' zeta , alpha,beta ,alpha,  zeta' }).spec.queues).toEqual(['alpha', 'beta', 'zeta']);
  });

  it('keeps queue names case-sensitive (Airflow compares them exactly)', () => {
    expect(parse({ queues: 'ETL,etl' }).spec.queues).toEqual(['ETL', 'etl']);
  });

  it('accepts a single queue', () => {
    expect(parse({ queues: 'default' }).spec.queues).toEqual(['default']);
  });

  it('rejects an empty queue list "" naming the key and value', () => {
    const err = parseError({ queues: '' });
    expect(err.code).toBe(ErrorCode.InvalidMetadata);
    expect(err.problems).toHaveLength(1);
    expect(err.problems[0]).toContain('queues=""');
  });

  it('rejects a blank-only queue list', () => {
    expect(parseError({ queues: '  ' }).problems[0]).toContain('queues="  "');
  });

  it('rejects "a,,b" (an empty item) naming the key and value', () => {
    const err = parseError({ queues: 'a,,b' });
    expect(err.code).toBe(ErrorCode.InvalidMetadata);
    expect(err.problems[0]).toContain('queues="a,,b"');
    expect(err.message).toContain('queues="a,,b"');
  });

  it('rejects a trailing comma', () => {
    expect(parseError({ queues: 'a,b,' }).problems[0]).toContain('queues="a,b,"');
  });

  it('accepts a 256-character queue name and rejects a 257-character one', () => {
    expect(parse({ queues: 'q'.repeat(256) }).spec.queues).toEqual(['q'.repeat(256)]);
    const err = parseError({ queues: 'q'.repeat(257) });
    expect(err.problems[0]).toMatch(/^queues=/);
    expect(err.problems[0]).toContain('256');
  });

  it('trims, de-duplicates and sorts celeryExecutors too', () => {
    const { spec } = parse({ celeryExecutors: ' b.Exec , CeleryExecutor,b.Exec' });
    expect(spec.executorFilter).toEqual({ names: ['CeleryExecutor', 'b.Exec'], includeDefault: true });
  });

  it('rejects an empty item in celeryExecutors naming the key and value', () => {
    expect(parseError({ celeryExecutors: 'CeleryExecutor,' }).problems[0]).toContain(
      'celeryExecutors="CeleryExecutor,"',
    );
  });
});

describe('parseScalerMetadata executor filter', () => {
  it('has no executor filter when neither key is set', () => {
    expect(parse({ queues: 'a' }).spec.executorFilter).toBeNull();
  });

  it('includes the default executor when only celeryExecutors is set', () => {
    expect(parse({ celeryExecutors: 'CeleryExecutor' }).spec.executorFilter).toEqual({
      names: ['CeleryExecutor'],
      includeDefault: true,
    });
  });

  it('celeryIsDefaultExecutor=true alone counts only NULL-executor rows', () => {
    expect(parse({ celeryIsDefaultExecutor: 'true' }).spec.executorFilter).toEqual({
      names: [],
      includeDefault: true,
    });
  });

  it.each(['TRUE', 'yes', '1', ' true', ''])('rejects celeryIsDefaultExecutor=%j naming the key and value', (value) => {
    const err = parseError({ celeryIsDefaultExecutor: value });
    expect(err.code).toBe(ErrorCode.InvalidMetadata);
    expect(err.problems).toEqual([expect.stringContaining(`celeryIsDefaultExecutor=${JSON.stringify(value)}`)]);
  });

  it('rejects celeryIsDefaultExecutor=false without celeryExecutors (it would count nothing)', () => {
    const err = parseError({ celeryIsDefaultExecutor: 'false' });
    expect(err.code).toBe(ErrorCode.InvalidMetadata);
    expect(err.problems).toHaveLength(1);
    expect(err.problems[0]).toContain('celeryIsDefaultExecutor="false"');
    expect(err.problems[0]).toContain('celeryExecutors');
  });

  it('accepts celeryIsDefaultExecutor=false together with celeryExecutors', () => {
    expect(parse({ celeryIsDefaultExecutor: 'false', celeryExecutors: 'CeleryExecutor' }).spec.executorFilter).toEqual({
      names: ['CeleryExecutor'],
      includeDefault: false,
    });
  });
});

describe('parseScalerMetadata integers', () => {
  it.each([
    ['abc'],
    ['0'],
    ['1.5'],
    [' 16'],
    ['16 '],
    ['-1'],
    ['+16'],
    ['016'],
    ['1e3'],
    ['0x10'],
    [''],
  ])('rejects workerConcurrency=%j naming the key and value', (value) => {
    const err = parseError({ workerConcurrency: value });
    expect(err.code).toBe(ErrorCode.InvalidMetadata);
    expect(err.problems).toHaveLength(1);
    expect(err.problems[0]).toContain(`workerConcurrency=${JSON.stringify(value)}`);
    expect(err.message).toContain(`workerConcurrency=${JSON.stringify(value)}`);
  });

  it.each([MetadataKey.minReplicaCount, MetadataKey.maxReplicaCount, MetadataKey.activationThreshold])(
    'accepts 0 for %s',
    (key) => {
      const { spec } = parse({ [key]: '0' });
      expect(spec[key]).toBe(0);
    },
  );

  it.each([MetadataKey.minReplicaCount, MetadataKey.maxReplicaCount, MetadataKey.activationThreshold])(
    'rejects a negative %s naming the key and value',
    (key) => {
      expect(parseError({ [key]: '-2' }).problems).toEqual([expect.stringContaining(`${key}="-2"`)]);
    },
  );

  it('rejects minReplicaCount > maxReplicaCount naming both keys and the max value', () => {
    const err = parseError({ minReplicaCount: '5', maxReplicaCount: '2' });
    expect(err.code).toBe(ErrorCode.InvalidMetadata);
    expect(err.problems).toHaveLength(1);
    expect(err.problems[0]).toContain('maxReplicaCount="2"');
    expect(err.problems[0]).toContain('minReplicaCount');
    expect(err.problems[0]).toContain('5');
  });

  it('accepts any maxReplicaCount when minReplicaCount is left at its default 0', () => {
    expect(parse({ maxReplicaCount: '1' }).spec.maxReplicaCount).toBe(1);
  });
});

describe('parseScalerMetadata metastore', () => {
  it('rejects an unknown metastore naming the key, value and configured names', () => {
    const err = parseError({ metastore: 'warehouse' });
    expect(err.code).toBe(ErrorCode.InvalidMetadata);
    expect(err.problems).toHaveLength(1);
    expect(err.problems[0]).toContain('metastore="warehouse"');
    expect(err.problems[0]).toContain('analytics, default');
  });

  it('rejects the implicit "default" metastore when it is not configured', () => {
    const err = parseError({}, new Set(['analytics']));
    expect(err.problems[0]).toContain('metastore="default"');
  });

  it.each(['Default', 'my_store', '-a', 'a-', '', 'x'.repeat(64)])('rejects malformed metastore name %j', (value) => {
    const err = parseError({ metastore: value });
    expect(err.code).toBe(ErrorCode.InvalidMetadata);
    expect(err.problems[0]).toContain(`metastore=${describeValue(value)}`);
  });
});

describe('parseScalerMetadata scale-in', () => {
  it.each(['drain', 'rank', 'off'])('accepts scaleIn=%s', (policy) => {
    expect(parse({ scaleIn: policy }).spec.scaleIn.policy).toBe(policy);
  });

  it('rejects an unknown scaleIn policy naming the key, value and choices', () => {
    const err = parseError({ scaleIn: 'aggressive' });
    expect(err.code).toBe(ErrorCode.InvalidMetadata);
    expect(err.problems).toEqual(['scaleIn="aggressive" must be one of drain, rank, off']);
  });

  it.each(['component=worker', 'app.kubernetes.io/name==airflow', 'tier!=web', 'component', '!canary', 'release='])(
    'accepts the equality-based selector %j',
    (selector) => {
      expect(parse({ workerPodSelector: selector }).spec.scaleIn.podSelector).toBe(selector);
    },
  );

  it.each(['', 'component in (worker)', 'a=b,,c=d', 'component=worker!', '=worker', 'a=b c'])(
    'rejects the selector %j naming the key',
    (selector) => {
      const err = parseError({ workerPodSelector: selector });
      expect(err.problems).toHaveLength(1);
      expect(err.problems[0]).toContain(`workerPodSelector=${describeValue(selector)} must be an equality-based label selector`);
    },
  );
});

describe('parseScalerMetadata unknown keys', () => {
  it('does not report KEDA’s own keys as unknown', () => {
    const { unknownKeys } = parse({ scalerAddress: 'scaler:9090', enableTLS: 'true', unsafeSsl: 'false', queues: 'a' });
    expect(unknownKeys).toEqual([]);
    expect([...KEDA_OWN_METADATA_KEYS].sort()).toEqual(['enableTLS', 'scalerAddress', 'unsafeSsl']);
  });

  it('reports other unrecognised keys, including case typos, without failing', () => {
    const { unknownKeys, spec } = parse({ workerconcurrency: '4', queue: 'etl', scalerAddress: 'x' });
    expect([...unknownKeys].sort()).toEqual(['queue', 'workerconcurrency']);
    // The typo is not silently applied.
    expect(spec.workerConcurrency).toBe(16);
    expect(spec.queues).toEqual(['default']);
  });
});

describe('parseScalerMetadata reports every problem at once', () => {
  it('lists all problems in error.problems and in the message', () => {
    const err = parseError({
      queues: 'a,,b',
      workerConcurrency: 'abc',
      minReplicaCount: '1.5',
      activationThreshold: '-1',
      metastore: 'nope',
      celeryIsDefaultExecutor: 'maybe',
    });
    expect(err.code).toBe(ErrorCode.InvalidMetadata);
    expect(err.problems).toHaveLength(6);
    const expected = [
      'queues="a,,b"',
      'workerConcurrency="abc"',
      'minReplicaCount="1.5"',
      'activationThreshold="-1"',
      'metastore="nope"',
      'celeryIsDefaultExecutor="maybe"',
    ];
    for (const fragment of expected) {
      expect(err.problems.some((problem) => problem.includes(fragment))).toBe(true);
      expect(err.message).toContain(fragment);
    }
  });

  it('reports min > max alongside other problems', () => {
    const err = parseError({ workerConcurrency: '0', minReplicaCount: '4', maxReplicaCount: '3' });
    expect(err.problems).toHaveLength(2);
    expect(err.problems.some((p) => p.includes('workerConcurrency="0"'))).toBe(true);
    expect(err.problems.some((p) => p.includes('maxReplicaCount="3"'))).toBe(true);
  });

  it('truncates very long values in messages', () => {
    const value = 'x'.repeat(500);
    const err = parseError({ workerConcurrency: value });
    expect(err.message.length).toBeLessThan(300);
    expect(err.problems[0]).toContain('…');
  });
});

describe('parseScalerMetadata properties', () => {
  it('round-trips any valid integers', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.integer({ min: 0, max: 1_000_000 }),
        (workerConcurrency, a, b, activationThreshold) => {
          const min = Math.min(a, b);
          const max = Math.max(a, b);
          const { spec } = parse({
            workerConcurrency: String(workerConcurrency),
            minReplicaCount: String(min),
            maxReplicaCount: String(max),
            activationThreshold: String(activationThreshold),
          });
          expect(spec.workerConcurrency).toBe(workerConcurrency);
          expect(spec.minReplicaCount).toBe(min);
          expect(spec.maxReplicaCount).toBe(max);
          expect(spec.activationThreshold).toBe(activationThreshold);
        },
      ),
    );
  });

  it('returns queues sorted, unique and trimmed for any valid list', () => {
    const name = fc.string({ minLength: 1, maxLength: 20 }).filter((s) => !s.includes(',') && s.trim().length > 0);
    fc.assert(
      fc.property(fc.array(name, { minLength: 1, maxLength: 8 }), (names) => {
        const { spec } = parse({ queues: names.join(',') });
        const expected = [...new Set(names.map((n) => n.trim()))].sort();
        expect(spec.queues).toEqual(expected);
      }),
    );
  });

  it('never throws anything but ScalerError for any string map', () => {
    const keys = fc.oneof(
      fc.constantFrom(...Object.values(MetadataKey), ...KEDA_OWN_METADATA_KEYS),
      fc.string({ maxLength: 12 }),
    );
    const values = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.integer({ min: -5, max: 2_000_000 }).map(String),
      fc.constantFrom('true', 'false', 'default', 'analytics', 'a,b', ',', ' ', '1.5'),
    );
    fc.assert(
      fc.property(fc.dictionary(keys, values, { maxKeys: 10 }), (metadata) => {
        try {
          const { spec, unknownKeys } = parse(metadata);
          // A successful parse is always internally consistent.
          expect(spec.workerConcurrency).toBeGreaterThanOrEqual(1);
          expect(spec.queues.length).toBeGreaterThan(0);
          if (spec.maxReplicaCount !== null) expect(spec.maxReplicaCount).toBeGreaterThanOrEqual(spec.minReplicaCount);
          for (const key of unknownKeys) expect(KEDA_OWN_METADATA_KEYS.has(key)).toBe(false);
        } catch (err) {
          expect(err).toBeInstanceOf(ScalerError);
          const scalerError = err as ScalerError;
          expect(scalerError.code).toBe(ErrorCode.InvalidMetadata);
          expect(scalerError.problems.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 500 },
    );
  });
});
