import { fileURLToPath } from 'node:url';

import { loadPackageDefinition } from '@grpc/grpc-js';
import type { GrpcObject, ServiceClientConstructor, ServiceDefinition } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';

/** `proto/` sits two levels above both `src/grpc/` and `dist/grpc/`. */
export const EXTERNAL_SCALER_PROTO = fileURLToPath(new URL('../../proto/externalscaler.proto', import.meta.url));

// keepCase keeps KEDA's camelCase field names; longs as Number because our int64 values
// (targetSize, metricValue) are small; defaults so an empty scalerMetadata decodes as {}.
export const LOADER_OPTIONS = { keepCase: true, longs: Number, enums: String, defaults: true, oneofs: true } as const;

export interface ExternalScalerPackage {
  readonly service: ServiceDefinition;
  readonly Client: ServiceClientConstructor;
}

export function loadExternalScaler(): ExternalScalerPackage {
  const definition = loadPackageDefinition(loadSync(EXTERNAL_SCALER_PROTO, LOADER_OPTIONS));
  const pkg = definition['externalscaler'] as GrpcObject;
  const Client = pkg['ExternalScaler'] as ServiceClientConstructor;
  return { service: Client.service, Client };
}

/** A request body that did not decode; handlers answer it with INVALID_ARGUMENT, not INTERNAL. */
export class UndecodableRequest {
  constructor(readonly messageType: string) {}
}

/**
 * grpc-js answers a body its deserializer cannot read with INTERNAL (`server-interceptors.ts`),
 * which says "our fault" to a client that sent garbage. This wraps each deserializer so the
 * handler sees an UndecodableRequest instead and can say INVALID_ARGUMENT.
 */
export function withTolerantDecoding(service: ServiceDefinition): ServiceDefinition {
  const tolerant: Record<string, ServiceDefinition[string]> = {};
  for (const [name, method] of Object.entries(service)) {
    const messageType = (method as { requestType?: { type?: { name?: string } } }).requestType?.type?.name ?? 'request';
    tolerant[name] = {
      ...method,
      requestDeserialize: (bytes: Buffer): unknown => {
        try {
          return method.requestDeserialize(bytes);
        } catch {
          return new UndecodableRequest(messageType);
        }
      },
    };
  }
  return tolerant;
}
