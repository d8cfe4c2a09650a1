import type { Client, ClientReadableStream } from '@grpc/grpc-js';

import type { GetMetricSpecResponse, GetMetricsResponse, IsActiveResponse, ScaledObjectRef } from '../grpc/messages.js';
import { unaryCall } from '../grpc/unary-call.js';

/** What KEDA asks an external scaler about one ScaledObject. */
export interface ScalerEndpoint {
  /** GetMetricSpec, then GetMetrics for the metric it names: the metric's value. */
  readMetric(): Promise<number>;
  isActive(): Promise<boolean>;
  /** StreamIsActive (external-push): `onActive` for every `true`; returns a function that stops it. */
  watchActive(onActive: () => void, onError: (err: unknown) => void): () => void;
}

// Each call gets 3 s, KEDA's default timeout for a scaler's requests (`KEDA_HTTP_DEFAULT_TIMEOUT`,
// kedacore/keda `cmd/operator/main.go`).
const CALL_DEADLINE_MS = 3_000;

/** The endpoint over one gRPC connection, as KEDA's external scaler client holds it. */
export function grpcScalerEndpoint(client: Client, ref: ScaledObjectRef): ScalerEndpoint {
  const call = <Res>(method: string, request: unknown): Promise<Res> => unaryCall<Res>(client, method, request, CALL_DEADLINE_MS);
  return {
    async readMetric() {
      const spec = await call<GetMetricSpecResponse>('GetMetricSpec', ref);
      const metrics = await call<GetMetricsResponse>('GetMetrics', { scaledObjectRef: ref, metricName: spec.metricSpecs[0]?.metricName ?? '' });
      return metrics.metricValues[0]?.metricValueFloat ?? 0;
    },
    async isActive() {
      return (await call<IsActiveResponse>('IsActive', ref)).result;
    },
    watchActive(onActive, onError) {
      const method = (client as unknown as Record<string, ((ref: ScaledObjectRef) => ClientReadableStream<IsActiveResponse>) | undefined>)['StreamIsActive'];
      if (method === undefined) return () => undefined;
      const stream = method.call(client, ref);
      stream.on('data', (message: IsActiveResponse) => {
        if (message.result) onActive();
      });
      stream.on('error', onError);
      return () => stream.cancel();
    },
  };
}
