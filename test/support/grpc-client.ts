import type { ChannelCredentials, ClientReadableStream } from '@grpc/grpc-js';
import type { Client, GrpcObject, ServiceClientConstructor } from '@grpc/grpc-js';
import { credentials as grpcCredentials, loadPackageDefinition } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { protoPath as HEALTH_PROTO } from 'grpc-health-check';

import type {
  GetMetricSpecResponse,
  GetMetricsResponse,
  IsActiveResponse,
  ScaledObjectRef,
} from '../../src/grpc/messages.js';
import { LOADER_OPTIONS, loadExternalScaler } from '../../src/grpc/proto.js';
import { unaryCall } from '../../src/grpc/unary-call.js';

/** A real grpc-js client of externalscaler.ExternalScaler, over a real socket, as KEDA would be. */
export interface ScalerClient {
  isActive(metadata: Record<string, string>): Promise<IsActiveResponse>;
  getMetricSpec(metadata: Record<string, string>): Promise<GetMetricSpecResponse>;
  getMetrics(metadata: Record<string, string>, metricName: string): Promise<GetMetricsResponse>;
  streamIsActive(metadata: Record<string, string>): ClientReadableStream<IsActiveResponse>;
  streamMetricSpec(metadata: Record<string, string>): ClientReadableStream<GetMetricSpecResponse>;
  healthCheck(service: string): Promise<string>;
  close(): void;
}


function call<Res>(client: Client, method: string, request: unknown): Promise<Res> {
  return unaryCall<Res>(client, method, request, 5_000);
}

/** The ScaledObject a client speaks for; KEDA sends its name and namespace with every call. */
export interface ScaledObjectName {
  readonly name: string;
  readonly namespace: string;
}

export function connectScaler(
  port: number,
  credentials: ChannelCredentials = grpcCredentials.createInsecure(),
  host = '127.0.0.1',
  scaledObject: ScaledObjectName = { name: 'airflow-worker', namespace: 'airflow' },
): ScalerClient {
  const ref = (metadata: Record<string, string>): ScaledObjectRef => ({ ...scaledObject, scalerMetadata: { scalerAddress: 'scaler:9090', ...metadata } });
  const Scaler = loadExternalScaler().Client;
  const healthProto = loadPackageDefinition(loadSync(HEALTH_PROTO, LOADER_OPTIONS));
  const Health = ((healthProto['grpc'] as GrpcObject)['health'] as GrpcObject)['v1'] as GrpcObject;
  const HealthClient = Health['Health'] as ServiceClientConstructor;
  const target = `${host}:${port}`;
  const client = new Scaler(target, credentials);
  const health = new HealthClient(target, credentials);
  return {
    isActive: (metadata) => call(client, 'IsActive', ref(metadata)),
    getMetricSpec: (metadata) => call(client, 'GetMetricSpec', ref(metadata)),
    getMetrics: (metadata, metricName) => call(client, 'GetMetrics', { scaledObjectRef: ref(metadata), metricName }),
    streamIsActive: (metadata) =>
      (client as unknown as { StreamIsActive(r: ScaledObjectRef): ClientReadableStream<IsActiveResponse> }).StreamIsActive(ref(metadata)),
    streamMetricSpec: (metadata) =>
      (client as unknown as { StreamMetricSpec(r: ScaledObjectRef): ClientReadableStream<GetMetricSpecResponse> }).StreamMetricSpec(
        ref(metadata),
      ),
    healthCheck: async (service) => (await call<{ status: string }>(health, 'Check', { service })).status,
    close: () => {
      client.close();
      health.close();
    },
  };
}
