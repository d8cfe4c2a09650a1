import { ErrorCode, ScalerError, coerceError } from '../core/errors.js';

/** What a failed call was doing, for the error message: verb, resource, namespace and object or selector. */
export interface ApiOperation {
  readonly verb: 'list' | 'patch' | 'get' | 'create' | 'update';
  /** The resource as RBAC names it; `pods` unless said otherwise. */
  readonly resource?: 'pods' | 'leases';
  readonly namespace: string;
  /** `pod "name"`, `lease "name"` or `labelSelector "a=b"`. */
  readonly target: string;
}

/** The parts of a Kubernetes `Status` object worth repeating. */
interface StatusBody {
  readonly reason?: string;
  readonly message?: string;
}

const MAX_DETAIL_CHARS = 300;

/** Anything that looks like a bearer token is cut out, whatever produced the text. */
export function redactCredentials(text: string): string {
  return text.replace(/(Bearer|Basic)\s+[^\s"',]+/gi, '$1 [redacted]');
}

function truncate(text: string): string {
  return text.length > MAX_DETAIL_CHARS ? `${text.slice(0, MAX_DETAIL_CHARS)}…` : text;
}

/** client-node's ApiException, recognised by shape so this file needs no runtime import. */
function httpFailure(err: unknown): { code: number; body: unknown } | null {
  if (typeof err !== 'object' || err === null) return null;
  const code = (err as { code?: unknown }).code;
  if (typeof code !== 'number' || !Number.isInteger(code) || code < 100 || code > 599) return null;
  return { code, body: (err as { body?: unknown }).body };
}

function parseStatus(body: unknown): StatusBody {
  let value: unknown = body;
  if (typeof body === 'string') {
    try {
      value = JSON.parse(body);
    } catch {
      return body.trim() === '' ? {} : { message: body.trim() };
    }
  }
  if (typeof value !== 'object' || value === null) return {};
  const reason = (value as { reason?: unknown }).reason;
  const message = (value as { message?: unknown }).message;
  return {
    ...(typeof reason === 'string' && reason !== '' ? { reason } : {}),
    ...(typeof message === 'string' && message !== '' ? { message } : {}),
  };
}

const DEFAULT_REASONS: Readonly<Record<number, string>> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  409: 'Conflict',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

function describeHttpFailure(operation: ApiOperation, code: number, status: StatusBody): string {
  const resource = operation.resource ?? 'pods';
  const where = `in namespace "${operation.namespace}" (${operation.target})`;
  const reason = status.reason ?? DEFAULT_REASONS[code] ?? 'Error';
  const detail = status.message === undefined ? '' : `: ${truncate(status.message)}`;
  let hint = '';
  if (code === 403) {
    hint = `; RBAC: the scaler's service account needs verb "${operation.verb}" on "${resource}" in namespace "${operation.namespace}"`;
  } else if (code === 401) {
    hint = '; the API server rejected the credentials (expired or invalid service-account token?)';
  }
  const head = code === 403 ? `${resource} ${operation.verb} forbidden` : `${resource} ${operation.verb} failed`;
  return `Kubernetes API ${head} ${where}: HTTP ${code} ${reason}${detail}${hint}`;
}

/** Turns whatever a client-node call threw into the one error the port promises. */
export function toKubernetesApiError(
  operation: ApiOperation,
  err: unknown,
  context: { readonly timeoutMs: number; readonly timedOut: boolean; readonly closed: boolean },
): ScalerError {
  const cause = coerceError(err);
  const resource = operation.resource ?? 'pods';
  const where = `in namespace "${operation.namespace}" (${operation.target})`;
  let message: string;
  let code: ErrorCode = ErrorCode.KubernetesApiFailed;
  if (context.closed) {
    message = `Kubernetes API ${resource} ${operation.verb} ${where} abandoned: the client was closed`;
  } else if (context.timedOut) {
    message = `Kubernetes API ${resource} ${operation.verb} ${where} timed out after ${context.timeoutMs} ms`;
  } else {
    const http = httpFailure(err);
    message =
      http === null
        ? `Kubernetes API ${resource} ${operation.verb} failed ${where}: ${truncate(cause.message)}`
        : describeHttpFailure(operation, http.code, parseStatus(http.body));
    // 401/403 are not passing faults: the caller stops relying on the API until it answers again.
    if (http?.code === 401 || http?.code === 403) code = ErrorCode.KubernetesForbidden;
  }
  return new ScalerError(code, redactCredentials(message), { cause });
}

/** The HTTP status of a failed call, for logs; null when the request never got an answer. */
export function httpStatusOf(err: unknown): number | null {
  return httpFailure(err)?.code ?? null;
}
