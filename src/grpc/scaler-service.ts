import type {
  sendUnaryData,
  ServerUnaryCall,
  ServerWritableStream,
  UntypedServiceImplementation,
} from '@grpc/grpc-js';

import { ErrorCode, ScalerError, isScalerError } from '../core/errors.js';
import { evaluateWorkerSet } from '../core/evaluate.js';
import type { WorkerSetSpec } from '../core/metadata.js';
import { metricNameMatches } from '../core/metric-name.js';
import type { Clock, Logger, SnapshotSource } from '../core/ports.js';
import { shouldPush } from '../core/scaling.js';
import type {
  GetMetricSpecResponse,
  GetMetricsRequest,
  GetMetricsResponse,
  IsActiveResponse,
  ScaledObjectRef,
} from './messages.js';
import type { ResolvedWorkerSet } from './metadata-cache.js';
import { MetadataCache } from './metadata-cache.js';
import { statusName, toGrpcError } from './status.js';
import type { StreamRegistry } from './stream-registry.js';

/** What the handlers report; main wires it to Prometheus. */
export interface RpcObserver {
  completed(method: string, code: string, durationMs: number): void;
  workerSetSeen(spec: WorkerSetSpec, metricName: string): void;
  streamsChanged(open: number): void;
  pushed(metastore: string): void;
}

export interface ScalerServiceDeps {
  readonly snapshots: SnapshotSource;
  readonly knownMetastores: ReadonlySet<string>;
  readonly staleAfterMs: number;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly streams: StreamRegistry;
  readonly observer: RpcObserver;
  /** True once shutdown began: new streams are refused so they cannot outlive the server. */
  readonly isShuttingDown: () => boolean;
  /**
   * The count to report instead of the formula's `desired` (scale-in holds busy surplus workers
   * until they are idle); absent means the formula. `namespace` is the ScaledObject's ('' when
   * KEDA sent no reference).
   */
  readonly reportedWorkers?: (namespace: string, metricName: string, spec: WorkerSetSpec, desired: number) => number;
}

// The HPA sums every value; and 1 is the target, so desired workers is the metric itself.
const TARGET_SIZE = 1;

function describeCaller(ref: ScaledObjectRef | null): Record<string, string> {
  return ref === null ? {} : { scaledObject: `${ref.namespace}/${ref.name}` };
}

/**
 * Handlers only translate between the wire and core: parse metadata, read the latest snapshot,
 * apply the scaling rule. They never touch the database, so each answers in microseconds.
 */
export function createScalerService(deps: ScalerServiceDeps): UntypedServiceImplementation {
  const { snapshots, clock, logger, observer } = deps;
  const warnedKeys = new Set<string>();
  const metadataCache = new MetadataCache(deps.knownMetastores);

  const resolve = (ref: ScaledObjectRef | null): ResolvedWorkerSet => {
    const resolved = metadataCache.resolve(ref?.scalerMetadata ?? {});
    for (const key of resolved.unknownKeys) {
      if (warnedKeys.has(key)) continue;
      warnedKeys.add(key);
      logger.warn({ key, ...describeCaller(ref) }, 'ignoring unknown scalerMetadata key (a typo?)');
    }
    observer.workerSetSeen(resolved.spec, resolved.metricName);
    return resolved;
  };

  const decisionFor = (spec: WorkerSetSpec) =>
    evaluateWorkerSet(spec, snapshots.latest(spec.metastore), clock.now(), deps.staleAfterMs);

  function unary<Req, Res>(
    method: string,
    refOf: (request: Req) => ScaledObjectRef | null,
    answer: (request: Req) => Res,
  ) {
    return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>): void => {
      const started = performance.now();
      try {
        const response = answer(call.request);
        observer.completed(method, 'OK', performance.now() - started);
        callback(null, response);
      } catch (err) {
        const grpcError = toGrpcError(err);
        observer.completed(method, statusName(grpcError.code), performance.now() - started);
        const fields = { method, code: isScalerError(err) ? err.code : 'INTERNAL', ...describeCaller(refOf(call.request)) };
        if (isScalerError(err)) logger.debug({ ...fields, err: err.message }, 'rpc failed');
        else logger.error({ ...fields, err: String(err) }, 'rpc failed unexpectedly');
        callback(grpcError, null);
      }
    };
  }

  const specResponse = (resolved: ResolvedWorkerSet): GetMetricSpecResponse => ({
    metricSpecs: [{ metricName: resolved.metricName, targetSize: TARGET_SIZE, targetSizeFloat: TARGET_SIZE }],
  });

  const getMetricSpec = unary<ScaledObjectRef, GetMetricSpecResponse>('GetMetricSpec', (ref) => ref, (ref) =>
    specResponse(resolve(ref)),
  );

  const emitError = (call: ServerWritableStream<unknown, unknown>, method: string, err: unknown): void => {
    const grpcError = toGrpcError(err);
    observer.completed(method, statusName(grpcError.code), 0);
    call.emit('error', grpcError);
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

  const getMetrics = unary<GetMetricsRequest, GetMetricsResponse>(
    'GetMetrics',
    (request) => request.scaledObjectRef,
    (request) => {
      const { spec, metricName } = resolve(request.scaledObjectRef);
      if (request.metricName !== '' && !metricNameMatches(request.metricName, metricName)) {
        throw new ScalerError(
          ErrorCode.UnknownMetric,
          `metricName ${JSON.stringify(request.metricName)} is not served for this metadata (expected "${metricName}")`,
        );
      }
      const { desired } = decisionFor(spec);
      const namespace = request.scaledObjectRef?.namespace ?? '';
      const value = deps.reportedWorkers?.(namespace, metricName, spec, desired) ?? desired;
      // Exactly one value: the HPA adds up every value in the list.
      return { metricValues: [{ metricName, metricValue: value, metricValueFloat: value }] };
    },
  );

  const isActive = unary<ScaledObjectRef, IsActiveResponse>('IsActive', (ref) => ref, (ref) => ({
    result: decisionFor(resolve(ref).spec).active,
  }));

  const streamIsActive = (call: ServerWritableStream<ScaledObjectRef, IsActiveResponse>): void => {
    const fail = (err: unknown): void => emitError(call, 'StreamIsActive', err);
    if (deps.isShuttingDown()) {
      fail(new ScalerError(ErrorCode.ShuttingDown, 'the scaler is shutting down; reconnect to another replica'));
      return;
    }
    let spec: WorkerSetSpec;
    try {
      spec = resolve(call.request).spec;
    } catch (err) {
      fail(err);
      return;
    }

    let wasActive = false;
    const evaluate = (): void => {
      let active: boolean;
      try {
        active = decisionFor(spec).active;
      } catch (err) {
        // A stale or missing snapshot says nothing about activity: stay silent, never push false.
        if (isScalerError(err) && err.code === ErrorCode.ExecutorColumnMissing) {
          deps.streams.remove(call);
          fail(err);
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
    if (deps.isShuttingDown()) {
      emitError(call, 'StreamMetricSpec', new ScalerError(ErrorCode.ShuttingDown, 'the scaler is shutting down'));
      return;
    }
    let resolved: ResolvedWorkerSet;
    try {
      resolved = resolve(call.request);
    } catch (err) {
      emitError(call, 'StreamMetricSpec', err);
      return;
    }
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

