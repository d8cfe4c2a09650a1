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
