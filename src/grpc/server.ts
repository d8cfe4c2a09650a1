import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import { Server } from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';

import type { ScalerConfig } from '../core/config.js';
import { serverCredentials } from './credentials.js';
import { loadExternalScaler, withTolerantDecoding } from './proto.js';

/**
 * The largest request body accepted (grpc-js answers a larger one RESOURCE_EXHAUSTED without
 * reading it). A legitimate request is a few hundred bytes; metadata is bounded at 16 Ki
 * characters (core RequestLimits), so this leaves room to name an oversized key in an
 * INVALID_ARGUMENT while no single request can cost much memory.
 */
export const MAX_REQUEST_BYTES = 256 * 1024;
/** Calls in flight per connection besides the open streams (KEDA multiplexes all on one). */
const CONCURRENT_UNARY_CALLS = 256;

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
  maxOpenStreams: number,
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
    'grpc.max_receive_message_length': MAX_REQUEST_BYTES,
    // Streams count against HTTP/2's limit too; one over the stream limit gets our own answer.
    'grpc.max_concurrent_streams': maxOpenStreams + CONCURRENT_UNARY_CALLS,
  });
  server.addService(withTolerantDecoding(loadExternalScaler().service), scalerService);
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
        server.bindAsync(`${config.host.includes(':') ? `[${config.host}]` : config.host}:${config.port}`, credentials, (err, port) => {
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
