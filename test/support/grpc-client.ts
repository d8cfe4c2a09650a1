import type { ChannelCredentials, ClientReadableStream, ServiceError } from '@grpc/grpc-js';
import type { Client, GrpcObject, ServiceClientConstructor } from '@grpc/grpc-js';
import { credentials as grpcCredentials, loadPackageDefinition, Metadata } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { protoPath as HEALTH_PROTO } from 'grpc-health-check';

import type {
  GetMetricSpecResponse,
  GetMetricsResponse,
  IsActiveResponse,
  ScaledObjectRef,
} from '../../src/grpc/messages.js';
import { EXTERNAL_SCALER_PROTO } from '../../src/grpc/proto.js';

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

// Decoded as KEDA's Go client sees them: int64 as numbers, defaults filled in.
const LOADER_OPTIONS = { keepCase: true, longs: Number, enums: String, defaults: true, oneofs: true } as const;

type Unary<Req, Res> = (request: Req, metadata: Metadata, options: object, callback: (err: ServiceError | null, res?: Res) => void) => void;

function call<Res>(client: Client, method: string, request: unknown): Promise<Res> {
  const fn = (client as unknown as Record<string, Unary<unknown, Res>>)[method];
  if (fn === undefined) throw new Error(`no method ${method}`);
  return new Promise((resolve, reject) => {
    fn.call(client, request, new Metadata(), { deadline: Date.now() + 5_000 }, (err, res) => {
      if (err !== null) reject(err);
      else resolve(res as Res);
    });
  });
}

function ref(metadata: Record<string, string>): ScaledObjectRef {
  return { name: 'airflow-worker', namespace: 'airflow', scalerMetadata: { scalerAddress: 'scaler:9090', ...metadata } };
}

export function connectScaler(port: number, credentials: ChannelCredentials = grpcCredentials.createInsecure(), host = '127.0.0.1'): ScalerClient {
  const pkg = loadPackageDefinition(loadSync(EXTERNAL_SCALER_PROTO, LOADER_OPTIONS))['externalscaler'] as GrpcObject;
  const Scaler = pkg['ExternalScaler'] as ServiceClientConstructor;
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
