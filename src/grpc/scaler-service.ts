import type { sendUnaryData, ServerUnaryCall, ServerWritableStream, UntypedServiceImplementation } from '@grpc/grpc-js';

import { ErrorCode, ScalerError, isScalerError } from '../core/errors.js';
import type { WorkerSetSpec } from '../core/metadata.js';
import { METRIC_TARGET } from '../core/keda-operator.js';
import { metricNameMatches } from '../core/metric-name.js';
import type { Clock, Logger, SnapshotSource } from '../core/ports.js';
import { checkMetricName, requireScaledObject, undecodable } from '../core/request.js';
import type { ScalingDecision } from '../core/scaling.js';
import { shouldPush } from '../core/scaling.js';
import type { ScaledObjectName } from '../core/worker-set-registry.js';
import type { DecisionMemo } from '../core/evaluate.js';
import type { GetMetricSpecResponse, GetMetricsRequest, GetMetricsResponse, IsActiveResponse, ScaledObjectRef } from './messages.js';
import type { ResolvedWorkerSet } from './metadata-cache.js';
import { MetadataCache } from './metadata-cache.js';
import { UndecodableRequest } from './proto.js';
import { statusName, toGrpcError } from './status.js';
import type { StreamRegistry } from './stream-registry.js';

/** What the handlers report; telemetry/ turns it into metrics and throttled log lines. */
export interface RpcObserver {
  /** `durationMs` null for streams: they are counted, not timed. */
  completed(method: string, code: string, durationMs: number | null): void;
  /** Every resolved request: the worker set, the ScaledObject asking, and keys we do not know. */
  workerSetSeen(spec: WorkerSetSpec, metricName: string, scaledObject: ScaledObjectName, unknownKeys: readonly string[]): void;
  streamsChanged(open: number): void;
  pushed(metastore: string): void;
}

export interface ScalerServiceDeps {
  readonly snapshots: SnapshotSource;
  readonly knownMetastores: ReadonlySet<string>;
  /** The service's one memo of decisions per snapshot (the gauges and scale-in read it too). */
  readonly decisions: DecisionMemo;
  readonly maxOpenStreams: number;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly streams: StreamRegistry;
  readonly observer: RpcObserver;
  /** True once shutdown began: new streams are refused so they cannot outlive the server. */
  readonly isShuttingDown: () => boolean;
  /**
   * The count to report instead of the formula's `desired` (scale-in holds busy surplus workers
   * until they are idle); absent means the formula.
   */
  readonly reportedWorkers?: (scaledObject: ScaledObjectName, metricName: string, spec: WorkerSetSpec, desired: number) => number;
}

function caller(request: unknown): Record<string, string> {
  const ref = request instanceof UndecodableRequest ? null : ((request as { scaledObjectRef?: ScaledObjectRef | null }).scaledObjectRef ?? (request as ScaledObjectRef | null));
  if (ref === null || typeof ref.name !== 'string' || typeof ref.namespace !== 'string') return {};
  return { scaledObject: `${ref.namespace.slice(0, 63)}/${ref.name.slice(0, 253)}` };
}

/**
 * Handlers only translate between the wire and core: check the request, parse metadata (once per
 * distinct map), read the latest snapshot, apply the scaling rule. They never touch the database,
 * so each answers in microseconds.
 */
export function createScalerService(deps: ScalerServiceDeps): UntypedServiceImplementation {
  const { snapshots, clock, logger, observer } = deps;
  const metadataCache = new MetadataCache(deps.knownMetastores);
  const { decisions } = deps;

  /** For a ScaledObject requireScaledObject has already checked. */
  const resolveChecked = (scaledObject: ScaledObjectName, ref: ScaledObjectRef): ResolvedWorkerSet => {
    const resolved = metadataCache.resolve(ref.scalerMetadata);
    observer.workerSetSeen(resolved.spec, resolved.metricName, scaledObject, resolved.unknownKeys);
    return resolved;
  };
  const resolve = (ref: ScaledObjectRef | null | UndecodableRequest): ResolvedWorkerSet => {
    if (ref instanceof UndecodableRequest) throw undecodable(ref.messageType);
    return resolveChecked(requireScaledObject(ref), ref as ScaledObjectRef);
  };

  // The last answer per worker set, reused while the value stands: most calls answer the same.
  const lastResponses = new WeakMap<ResolvedWorkerSet, GetMetricsResponse>();
  const metricsResponse = (resolved: ResolvedWorkerSet, value: number): GetMetricsResponse => {
    const last = lastResponses.get(resolved);
    if (last?.metricValues[0]?.metricValue === value) return last;
    // Exactly one value: the HPA adds up every value in the list.
    const response = { metricValues: [{ metricName: resolved.metricName, metricValue: value, metricValueFloat: value }] };
    lastResponses.set(resolved, response);
    return response;
  };

  const decisionFor = (spec: WorkerSetSpec): ScalingDecision => decisions.decide(spec, snapshots.latest(spec.metastore), clock.now());

  function unary<Req, Res>(method: string, answer: (request: Req) => Res) {
    return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>): void => {
      const started = performance.now();
      try {
        const response = answer(call.request);
        observer.completed(method, 'OK', performance.now() - started);
        callback(null, response);
      } catch (err) {
        const grpcError = toGrpcError(err);
        observer.completed(method, statusName(grpcError.code), performance.now() - started);
        const fields = { method, code: isScalerError(err) ? err.code : 'INTERNAL', ...caller(call.request) };
        if (isScalerError(err)) logger.debug({ ...fields, reason: err.message }, 'rpc failed');
        else logger.error({ ...fields, err }, 'rpc failed unexpectedly');
        callback(grpcError, null);
      }
    };
  }

  const specResponse = (resolved: ResolvedWorkerSet): GetMetricSpecResponse => ({
    // The HPA sums every value and the target is core's METRIC_TARGET (1): the metric is the worker count.
    metricSpecs: [{ metricName: resolved.metricName, targetSize: METRIC_TARGET, targetSizeFloat: METRIC_TARGET }],
  });

  const getMetricSpec = unary<ScaledObjectRef | UndecodableRequest, GetMetricSpecResponse>('GetMetricSpec', (ref) => specResponse(resolve(ref)));

  const getMetrics = unary<GetMetricsRequest | UndecodableRequest, GetMetricsResponse>('GetMetrics', (request) => {
    if (request instanceof UndecodableRequest) throw undecodable(request.messageType);
    checkMetricName(request.metricName);
    const scaledObject = requireScaledObject(request.scaledObjectRef);
    const resolved = resolveChecked(scaledObject, request.scaledObjectRef as ScaledObjectRef);
    const { spec, metricName } = resolved;
    if (request.metricName !== '' && !metricNameMatches(request.metricName, metricName)) {
      throw new ScalerError(ErrorCode.UnknownMetric, `metricName=${JSON.stringify(request.metricName)} is not served for this metadata (expected "${metricName}")`);
    }
    const { desired } = decisionFor(spec);
    const value = deps.reportedWorkers?.(scaledObject, metricName, spec, desired) ?? desired;
    return metricsResponse(resolved, value);
  });

  const isActive = unary<ScaledObjectRef | UndecodableRequest, IsActiveResponse>('IsActive', (ref) => ({
    result: decisionFor(resolve(ref).spec).active,
  }));

  const emitError = (call: ServerWritableStream<unknown, unknown>, method: string, err: unknown): void => {
    const grpcError = toGrpcError(err);
    observer.completed(method, statusName(grpcError.code), null);
    if (isScalerError(err)) logger.debug({ method, code: err.code, reason: err.message, ...caller(call.request) }, 'rpc failed');
    call.emit('error', grpcError);
  };

  /** Checks a new stream and resolves its request, or ends it with the error. */
  const openStream = (call: ServerWritableStream<unknown, unknown>, method: string): ResolvedWorkerSet | undefined => {
    try {
      if (deps.isShuttingDown()) throw new ScalerError(ErrorCode.ShuttingDown, 'the scaler is shutting down; reconnect to another replica');
      const resolved = resolve(call.request as ScaledObjectRef | UndecodableRequest);
      if (deps.streams.size >= deps.maxOpenStreams) {
        throw new ScalerError(ErrorCode.TooManyStreams, `${deps.streams.size} streams are open, the limit (limits.maxOpenStreams)`);
      }
      return resolved;
    } catch (err) {
      emitError(call, method, err);
      return undefined;
    }
  };

  /** Registers an open stream so shutdown can end it; `cleanup` runs exactly once when it goes. */
  const track = (call: ServerWritableStream<unknown, unknown>, cleanup: () => void): void => {
    deps.streams.add(call, () => {
      cleanup();
      observer.streamsChanged(deps.streams.size);
    });
    observer.streamsChanged(deps.streams.size);
    const close = (): void => deps.streams.remove(call);
    call.on('cancelled', close);
    call.on('close', close);
    call.on('error', close);
  };

  const streamIsActive = (call: ServerWritableStream<ScaledObjectRef, IsActiveResponse>): void => {
    const resolved = openStream(call, 'StreamIsActive');
    if (resolved === undefined) return;
    const { spec } = resolved;
    let wasActive = false;
    const evaluate = (): void => {
      let active: boolean;
      try {
        active = decisionFor(spec).active;
      } catch (err) {
        // A stale or missing snapshot says nothing about activity: stay silent, never push false.
        if (isScalerError(err) && err.code === ErrorCode.ExecutorColumnMissing) {
          deps.streams.remove(call);
          emitError(call, 'StreamIsActive', err);
        }
        return;
      }
      if (shouldPush(wasActive, active)) {
        call.write({ result: true });
        observer.pushed(spec.metastore);
      }
      wasActive = active;
    };
    const unsubscribe = snapshots.onSnapshot((snapshot) => {
      if (snapshot.metastore === spec.metastore) evaluate();
    });
    track(call, unsubscribe);
    evaluate();
  };

  /**
   * Optional RPC (KEDA main, after 2.20.2). Our spec depends only on the metadata, so the proto's
   * two rules are met by sending it once on open and holding the stream: KEDA then caches the
   * spec instead of calling GetMetricSpec on every poll and HPA sync.
   */
  const streamMetricSpec = (call: ServerWritableStream<ScaledObjectRef, GetMetricSpecResponse>): void => {
    const resolved = openStream(call, 'StreamMetricSpec');
    if (resolved === undefined) return;
    track(call, () => undefined);
    call.write(specResponse(resolved));
  };

  return {
    IsActive: isActive,
    StreamIsActive: streamIsActive,
    StreamMetricSpec: streamMetricSpec,
    GetMetricSpec: getMetricSpec,
    GetMetrics: getMetrics,
  };
}
