import { describe, expect, it } from 'vitest';

import { ErrorCode } from '../../../src/core/errors.js';
import { httpStatusOf, redactCredentials, toKubernetesApiError } from '../../../src/kubernetes/api-errors.js';
import type { ApiOperation } from '../../../src/kubernetes/api-errors.js';

const PATCH: ApiOperation = { verb: 'patch', namespace: 'airflow', target: 'pod "worker-1"' };
const LIST: ApiOperation = { verb: 'list', namespace: 'airflow', target: 'labelSelector "app=worker"' };
const ANSWERED = { timeoutMs: 5000, timedOut: false, closed: false };

/** The shape of client-node's ApiException: a numeric code and the response body as text. */
function apiException(code: number, body: unknown): Error {
  return Object.assign(new Error(`HTTP-Code: ${code}`), { code, body });
}

describe('toKubernetesApiError', () => {
  it('names RBAC, the verb, namespace and pod for a 403, codes it ASC_KUBERNETES_FORBIDDEN and keeps the original as cause', () => {
    const cause = apiException(
      403,
      JSON.stringify({
        kind: 'Status',
        reason: 'Forbidden',
        message: 'pods "worker-1" is forbidden: User "system:serviceaccount:keda:scaler" cannot patch resource "pods"',
        code: 403,
      }),
    );
    const err = toKubernetesApiError(PATCH, cause, ANSWERED);
    expect(err.code).toBe(ErrorCode.KubernetesForbidden);
    expect(err.message).toContain('pods patch forbidden');
    expect(err.message).toContain('namespace "airflow"');
    expect(err.message).toContain('pod "worker-1"');
    expect(err.message).toContain('HTTP 403 Forbidden');
    expect(err.message).toContain('RBAC');
    expect(err.message).toContain('cannot patch resource "pods"');
    expect(err.cause).toBe(cause);
  });

  it('names the label selector and status for a failed list', () => {
    const err = toKubernetesApiError(LIST, apiException(500, '{"kind":"Status","reason":"InternalError","message":"etcd timeout"}'), ANSWERED);
    expect(err.message).toBe(
      'Kubernetes API pods list failed in namespace "airflow" (labelSelector "app=worker"): HTTP 500 InternalError: etcd timeout',
    );
  });

  it('codes 401 as ASC_KUBERNETES_FORBIDDEN and other HTTP failures as ASC_KUBERNETES_API_FAILED', () => {
    expect(toKubernetesApiError(LIST, apiException(401, undefined), ANSWERED).code).toBe(ErrorCode.KubernetesForbidden);
    for (const code of [400, 404, 409, 429, 500, 503]) {
      expect(toKubernetesApiError(LIST, apiException(code, ''), ANSWERED).code).toBe(ErrorCode.KubernetesApiFailed);
    }
    expect(toKubernetesApiError(LIST, new Error('socket hang up'), ANSWERED).code).toBe(ErrorCode.KubernetesApiFailed);
    expect(toKubernetesApiError(LIST, new Error('aborted'), { ...ANSWERED, timedOut: true }).code).toBe(ErrorCode.KubernetesApiFailed);
  });

  it('falls back to the standard reason when the body is not a Status object', () => {
    expect(toKubernetesApiError(PATCH, apiException(404, 'page not found'), ANSWERED).message).toContain('HTTP 404 NotFound: page not found');
    expect(toKubernetesApiError(PATCH, apiException(401, undefined), ANSWERED).message).toContain('HTTP 401 Unauthorized');
  });

  it('reports a timeout with the bound instead of the abort error', () => {
    const err = toKubernetesApiError(LIST, new Error('The user aborted a request.'), { timeoutMs: 250, timedOut: true, closed: false });
    expect(err.message).toBe('Kubernetes API pods list in namespace "airflow" (labelSelector "app=worker") timed out after 250 ms');
  });

  it('reports a call abandoned by close()', () => {
    expect(toKubernetesApiError(PATCH, new Error('aborted'), { ...ANSWERED, closed: true }).message).toContain('closed');
  });

  it('passes on the message of a network failure', () => {
    const err = toKubernetesApiError(LIST, Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }), ANSWERED);
    expect(err.message).toBe('Kubernetes API pods list failed in namespace "airflow" (labelSelector "app=worker"): connect ECONNREFUSED 127.0.0.1:1');
  });

  it('never repeats a bearer token that found its way into an error message', () => {
    const err = toKubernetesApiError(LIST, new Error('bad header Authorization: Bearer s3cr3t-token.value'), ANSWERED);
    expect(err.message).not.toContain('s3cr3t');
    expect(err.message).toContain('Bearer [redacted]');
  });
});

describe('redactCredentials', () => {
  it('cuts bearer and basic credentials out of text', () => {
    expect(redactCredentials('Authorization: Bearer abc.def-ghi, next')).toBe('Authorization: Bearer [redacted], next');
    expect(redactCredentials('{"Authorization":"Basic dXNlcjpwYXNz"}')).toBe('{"Authorization":"Basic [redacted]"}');
  });
});

describe('httpStatusOf', () => {
  it('is the HTTP code of an API exception and null for anything else', () => {
    expect(httpStatusOf(apiException(403, ''))).toBe(403);
    expect(httpStatusOf(Object.assign(new Error('x'), { code: 'ECONNRESET' }))).toBeNull();
    expect(httpStatusOf('boom')).toBeNull();
  });
});
