import { describe, expect, it } from 'vitest';

import type { ScalerError } from '../../../src/core/errors.js';
import { ErrorCode } from '../../../src/core/errors.js';
import { metadataFingerprint, sameMetadata } from '../../../src/core/metadata.js';
import { checkMetricName, requireScaledObject } from '../../../src/core/request.js';

function errorOf(run: () => unknown): ScalerError {
  try {
    run();
  } catch (err) {
    return err as ScalerError;
  }
  throw new Error('expected an error');
}

describe('requireScaledObject', () => {
  const ref = (name: string, namespace: string) => ({ name, namespace, scalerMetadata: {} });

  it('accepts what KEDA sends', () => {
    expect(requireScaledObject(ref('airflow-worker', 'airflow'))).toMatchObject({ name: 'airflow-worker', namespace: 'airflow' });
  });

  it.each([
    [null, 'scaledObjectRef is required'],
    [ref('', 'airflow'), 'scaledObjectRef.name is required'],
    [ref('worker', ''), 'scaledObjectRef.namespace is required'],
    [ref('Worker_1', 'airflow'), 'not a Kubernetes object name'],
    [ref('w'.repeat(254), 'airflow'), 'not a Kubernetes object name'],
    [ref('worker', 'a.b'), 'not a Kubernetes namespace name'],
    [ref('\u0003ab', 'ns'), 'not a Kubernetes object name'],
  ])('refuses %j with INVALID_REQUEST: %s', (request, message) => {
    const err = errorOf(() => requireScaledObject(request));
    expect(err.code).toBe(ErrorCode.InvalidRequest);
    expect(err.message).toContain(message);
    expect(err.message.length).toBeLessThan(200);
  });
});

describe('checkMetricName', () => {
  it('refuses a name over 256 characters with a short message', () => {
    const err = errorOf(() => checkMetricName('m'.repeat(1_000_000)));
    expect(err.code).toBe(ErrorCode.InvalidRequest);
    expect(err.message.length).toBeLessThan(250);
    expect(() => checkMetricName('m'.repeat(256))).not.toThrow();
  });
});

describe('metadataFingerprint', () => {
  it('is the same for the same entries in any order, and differs when a value does', () => {
    const a = metadataFingerprint({ queues: 'a,b', workerConcurrency: '16', scalerAddress: 'x:9090' });
    expect(metadataFingerprint({ scalerAddress: 'x:9090', workerConcurrency: '16', queues: 'a,b' })).toBe(a);
    expect(metadataFingerprint({ queues: 'a,b', workerConcurrency: '8', scalerAddress: 'x:9090' })).not.toBe(a);
  });

  it.each([
    [Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, 'v'])), 'has 65 keys (at most 64)'],
    [{ ['k'.repeat(129)]: 'v' }, 'is longer than 128 characters'],
    [{ queues: 'q'.repeat(4_097) }, 'queues="qqqq'],
    [Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`k${i}`, 'v'.repeat(4_000)])), 'holds 20010 characters (at most 16384)'],
  ])('refuses metadata out of bounds with INVALID_METADATA naming it, in a short message (%#)', (metadata, message) => {
    const err = errorOf(() => metadataFingerprint(metadata));
    expect(err.code).toBe(ErrorCode.InvalidMetadata);
    expect(err.message).toContain(message);
    expect(err.message.length).toBeLessThan(250);
  });
});

describe('sameMetadata', () => {
  it('compares entries, not order', () => {
    expect(sameMetadata({ a: '1', b: '2' }, { b: '2', a: '1' })).toBe(true);
    expect(sameMetadata({ a: '1', b: '2' }, { a: '1' })).toBe(false);
    expect(sameMetadata({ a: '1' }, { a: '1', b: '2' })).toBe(false);
    expect(sameMetadata({ a: '1' }, { a: '2' })).toBe(false);
  });
});
