/**
 * Stable error codes. They appear in logs, in the `code` label of metrics and in the
 * gRPC status message, so renaming one is a breaking change.
 */
export const ErrorCode = {
  /** A `scalerMetadata` key has a value we cannot use, or the map is out of bounds. */
  InvalidMetadata: 'ASC_INVALID_METADATA',
  /** The request itself is unusable: undecodable, no `scaledObjectRef`, a name out of bounds. */
  InvalidRequest: 'ASC_INVALID_REQUEST',
  /** The limit on open StreamIsActive / StreamMetricSpec streams is reached. */
  TooManyStreams: 'ASC_TOO_MANY_STREAMS',
  /** A server could not listen (the port is taken, the address is not local). */
  ListenFailed: 'ASC_LISTEN_FAILED',
  /** The configuration file or environment is invalid; the process must not start. */
  InvalidConfig: 'ASC_INVALID_CONFIG',
  /** `metricName` in GetMetrics is not the metric this metadata describes. */
  UnknownMetric: 'ASC_UNKNOWN_METRIC',
  /** No successful read of the metastore yet. */
  NoSnapshot: 'ASC_NO_SNAPSHOT',
  /** The latest successful read is older than the staleness bound. */
  StaleSnapshot: 'ASC_STALE_SNAPSHOT',
  /** The metadata asks for an executor filter but the table has no `executor` column. */
  ExecutorColumnMissing: 'ASC_EXECUTOR_COLUMN_MISSING',
  /** The metastore query failed (connection, timeout, permission, SQL). */
  MetastoreQueryFailed: 'ASC_METASTORE_QUERY_FAILED',
  /** The service is shutting down and takes no new work. */
  ShuttingDown: 'ASC_SHUTTING_DOWN',
  /** A Kubernetes API call (list or patch worker pods) failed. */
  KubernetesApiFailed: 'ASC_KUBERNETES_API_FAILED',
  /** The Kubernetes API refused us (401/403): RBAC or credentials, not a passing fault. */
  KubernetesForbidden: 'ASC_KUBERNETES_FORBIDDEN',
  /** A Celery remote-control message could not be sent over the broker. */
  BrokerControlFailed: 'ASC_BROKER_CONTROL_FAILED',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export interface ScalerErrorOptions {
  readonly cause?: unknown;
  /** Every individual problem, when one error reports several (config validation). */
  readonly problems?: readonly string[];
}

/** The only error type the service raises on purpose; adapters map `code` to their protocol. */
export class ScalerError extends Error {
  override readonly name = 'ScalerError';
  readonly code: ErrorCode;
  readonly problems: readonly string[];

  constructor(code: ErrorCode, message: string, options: ScalerErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.problems = options.problems ?? [message];
  }
}

export function isScalerError(err: unknown): err is ScalerError {
  return err instanceof ScalerError;
}

/** Normalises anything thrown into an Error without losing the original. */
export function coerceError(err: unknown): Error {
  if (err instanceof Error) return err;
  return new Error(typeof err === 'string' ? err : JSON.stringify(err));
}
