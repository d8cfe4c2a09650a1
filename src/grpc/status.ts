import { status } from '@grpc/grpc-js';
import type { StatusObject } from '@grpc/grpc-js';

import { ErrorCode, isScalerError } from '../core/errors.js';

const STATUS_BY_CODE: Record<ErrorCode, status> = {
  [ErrorCode.InvalidMetadata]: status.INVALID_ARGUMENT,
  [ErrorCode.InvalidRequest]: status.INVALID_ARGUMENT,
  [ErrorCode.TooManyStreams]: status.RESOURCE_EXHAUSTED,
  [ErrorCode.ListenFailed]: status.UNAVAILABLE,
  [ErrorCode.InvalidConfig]: status.INVALID_ARGUMENT,
  [ErrorCode.UnknownMetric]: status.NOT_FOUND,
  [ErrorCode.NoSnapshot]: status.UNAVAILABLE,
  [ErrorCode.StaleSnapshot]: status.UNAVAILABLE,
  [ErrorCode.MetastoreQueryFailed]: status.UNAVAILABLE,
  [ErrorCode.ExecutorColumnMissing]: status.FAILED_PRECONDITION,
  [ErrorCode.ShuttingDown]: status.UNAVAILABLE,
  [ErrorCode.KubernetesApiFailed]: status.UNAVAILABLE,
  [ErrorCode.KubernetesForbidden]: status.PERMISSION_DENIED,
  [ErrorCode.BrokerControlFailed]: status.UNAVAILABLE,
};

export type GrpcError = Pick<StatusObject, 'code' | 'details'>;

/**
 * The one place errors become gRPC statuses. KEDA treats every non-OK status alike (a failure
 * counted towards `fallback`); the distinct codes serve our logs, metrics and users' grpcurl.
 * The stable error code leads the details so it can be grepped for.
 */
export function toGrpcError(err: unknown): GrpcError {
  if (isScalerError(err)) {
    return { code: STATUS_BY_CODE[err.code], details: `${err.code}: ${err.message}` };
  }
  return { code: status.INTERNAL, details: 'internal error (see the scaler log)' };
}

export function statusName(code: status): string {
  return status[code];
}
