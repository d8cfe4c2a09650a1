import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import { Server } from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';

import type { ScalerConfig } from '../core/config.js';
import { serverCredentials } from './credentials.js';
import { loadExternalScaler } from './proto.js';

/** Health service names: '' (overall) and `readiness` follow data freshness; `liveness` the loop. */
export const HealthService = {
  overall: '',
  readiness: 'readiness',
  liveness: 'liveness',
  scaler: 'externalscaler.ExternalScaler',
} as const;

export interface GrpcServer {
  readonly server: Server;
  readonly health: HealthImplementation;
  /** Binds and returns the port actually bound (useful with port 0). */
  listen(): Promise<number>;
  /** Graceful stop, forced after `timeoutMs`. */
  close(timeoutMs: number): Promise<void>;
}

export function buildGrpcServer(
  config: ScalerConfig['grpc'],
  scalerService: UntypedServiceImplementation,
): GrpcServer {
  // Read certificates now, so a bad path fails startup before any port is opened.
  const credentials = serverCredentials(config.tls);
  const server = new Server({
    // KEDA's client sets no keepalive, so the server pings to find dead connections (e.g. after
    // a node loss) instead of holding StreamIsActive streams open forever.
    'grpc.keepalive_time_ms': config.keepaliveTimeMs,
    'grpc.keepalive_timeout_ms': config.keepaliveTimeoutMs,
    'grpc.keepalive_permit_without_calls': 1,
  });
  server.addService(loadExternalScaler().service, scalerService);
  const health = new HealthImplementation({
    [HealthService.overall]: 'NOT_SERVING',
    [HealthService.readiness]: 'NOT_SERVING',
    [HealthService.liveness]: 'SERVING',
    [HealthService.scaler]: 'NOT_SERVING',
  });
  health.addToServer(server);

  return {
    server,
    health,
    listen: () =>
      new Promise<number>((resolve, reject) => {
        server.bindAsync(`${config.host}:${config.port}`, credentials, (err, port) => {
          if (err === null) resolve(port);
          else reject(err);
        });
      }),
    close: (timeoutMs) =>
      new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, timeoutMs);
        force.unref();
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      }),
  };
}
