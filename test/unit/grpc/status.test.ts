import { status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';

import { ErrorCode, ScalerError } from '../../../src/core/errors.js';
import { statusName, toGrpcError } from '../../../src/grpc/status.js';

const EXPECTED: Record<ErrorCode, status> = {
  ASC_INVALID_METADATA: status.INVALID_ARGUMENT,
  ASC_INVALID_CONFIG: status.INVALID_ARGUMENT,
  ASC_INVALID_REQUEST: status.INVALID_ARGUMENT,
  ASC_TOO_MANY_STREAMS: status.RESOURCE_EXHAUSTED,
  ASC_LISTEN_FAILED: status.UNAVAILABLE,
  ASC_UNKNOWN_METRIC: status.NOT_FOUND,
  ASC_NO_SNAPSHOT: status.UNAVAILABLE,
  ASC_STALE_SNAPSHOT: status.UNAVAILABLE,
  ASC_EXECUTOR_COLUMN_MISSING: status.FAILED_PRECONDITION,
  ASC_METASTORE_QUERY_FAILED: status.UNAVAILABLE,
  ASC_SHUTTING_DOWN: status.UNAVAILABLE,
  ASC_KUBERNETES_API_FAILED: status.UNAVAILABLE,
  ASC_KUBERNETES_FORBIDDEN: status.PERMISSION_DENIED,
  ASC_BROKER_CONTROL_FAILED: status.UNAVAILABLE,
};

describe('toGrpcError', () => {
  it('has an expectation for every ErrorCode', () => {
    expect(Object.keys(EXPECTED).sort()).toEqual([...Object.values(ErrorCode)].sort());
  });

  it.each(Object.entries(EXPECTED))('maps %s to gRPC status %s', (code, expected) => {
    const err = new ScalerError(code as ErrorCode, 'something happened');
    const grpcError = toGrpcError(err);
    expect(grpcError.code).toBe(expected);
    expect(grpcError.code).not.toBe(status.OK);
  });

  it('leads the details with the stable error code, followed by the message', () => {
    const err = new ScalerError(ErrorCode.StaleSnapshot, 'metastore "default" snapshot is 9000 ms old');
    expect(toGrpcError(err)).toEqual({
      code: status.UNAVAILABLE,
      details: 'ASC_STALE_SNAPSHOT: metastore "default" snapshot is 9000 ms old',
    });
  });

  it.each([
    ['a plain Error', new Error('connect ECONNREFUSED 10.0.0.1:6432 password=s3cret')],
    ['a TypeError', new TypeError("Cannot read properties of undefined (reading 's3cret')")],
    ['a string', 'raw s3cret string'],
    ['an object', { message: 's3cret', code: 'ASC_INVALID_METADATA' }],
    ['undefined', undefined],
    ['null', null],
  ])('turns %s into INTERNAL without leaking its message', (_label, thrown) => {
    const grpcError = toGrpcError(thrown);
    expect(grpcError.code).toBe(status.INTERNAL);
    expect(grpcError.details).toBe('internal error (see the scaler log)');
    expect(grpcError.details).not.toContain('s3cret');
  });

  it('does not trust an Error subclass that merely looks like a ScalerError', () => {
    const impostor = Object.assign(new Error('leaky detail'), { code: ErrorCode.InvalidMetadata, name: 'ScalerError' });
    expect(toGrpcError(impostor)).toEqual({ code: status.INTERNAL, details: 'internal error (see the scaler log)' });
  });
});

describe('statusName', () => {
  it.each([
    [status.OK, 'OK'],
    [status.INVALID_ARGUMENT, 'INVALID_ARGUMENT'],
    [status.NOT_FOUND, 'NOT_FOUND'],
    [status.FAILED_PRECONDITION, 'FAILED_PRECONDITION'],
    [status.UNAVAILABLE, 'UNAVAILABLE'],
    [status.INTERNAL, 'INTERNAL'],
  ])('names status %i as %s', (code, name) => {
    expect(statusName(code)).toBe(name);
  });
});
