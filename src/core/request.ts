import { ErrorCode, ScalerError } from './errors.js';
import { RequestLimits } from './metadata.js';
import type { ScaledObjectName } from './worker-set-registry.js';
import { describeValue } from './validation.js';

/** What every RPC carries: the ScaledObject KEDA asks for, and its trigger metadata. */
export interface ScaledObjectRequest {
  readonly name: string;
  readonly namespace: string;
  readonly scalerMetadata: Readonly<Record<string, string>>;
}

// Kubernetes object names (apimachinery `IsDNS1123Subdomain`, namespaces `IsDNS1123Label`).
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function invalid(message: string): ScalerError {
  return new ScalerError(ErrorCode.InvalidRequest, message);
}

/**
 * KEDA always names the ScaledObject and its namespace (`pkg/scalers/external_scaler.go`
 * `parseExternalScalerMetadata`). A request without them is not KEDA's and gets no answer made
 * up from defaults: an empty body, a missing `scaledObjectRef` or random bytes that happen to
 * decode are refused here.
 */
export function requireScaledObject(ref: ScaledObjectRequest | null | undefined): ScaledObjectName {
  if (ref === null || ref === undefined) throw invalid('scaledObjectRef is required');
  const { name, namespace } = ref;
  if (name === '') throw invalid('scaledObjectRef.name is required');
  if (namespace === '') throw invalid('scaledObjectRef.namespace is required');
  if (name.length > RequestLimits.nameLength || !DNS_SUBDOMAIN.test(name)) {
    throw invalid(`scaledObjectRef.name=${describeValue(name)} is not a Kubernetes object name`);
  }
  if (namespace.length > RequestLimits.namespaceLength || !DNS_LABEL.test(namespace)) {
    throw invalid(`scaledObjectRef.namespace=${describeValue(namespace)} is not a Kubernetes namespace name`);
  }
  // The request itself is the name: no copy on the hot path.
  return ref;
}

/** GetMetrics' `metricName`, bounded before it is compared or quoted. */
export function checkMetricName(metricName: string): void {
  if (metricName.length > RequestLimits.metricNameLength) {
    throw invalid(`metricName=${describeValue(metricName)} is longer than ${RequestLimits.metricNameLength} characters (it has ${metricName.length})`);
  }
}

/** A request body that could not be decoded as the method's message. */
export function undecodable(messageType: string): ScalerError {
  return invalid(`the request is not a valid ${messageType} message`);
}
