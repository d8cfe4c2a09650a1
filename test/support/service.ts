import { PassThrough } from 'node:stream';

import type { ScalerConfig } from '../../src/core/config.js';
import { parseConfig } from '../../src/core/config.js';
import type { RunningService } from '../../src/main.js';
import { startService } from '../../src/main.js';
import { createLogger } from '../../src/telemetry/logger.js';

export interface TestService extends RunningService {
  readonly config: ScalerConfig;
  /** Every JSON log line written so far. */
  logs(): string;
}

/** The real service (startService, as the CLI runs it) on ephemeral ports, logging to memory. */
export async function startTestService(file: Record<string, unknown>, env: Record<string, string> = {}): Promise<TestService> {
  const config = parseConfig({
    file: { grpc: { host: '127.0.0.1', port: 0 }, http: { host: '127.0.0.1', port: 0 }, ...file },
    env,
  });
  const destination = new PassThrough();
  let written = '';
  destination.on('data', (chunk: Buffer) => {
    written += chunk.toString('utf8');
  });
  const logger = createLogger({ level: 'debug', destination });
  const service = await startService(config, { logger });
  return { ...service, config, logs: () => written };
}

/** Polls `probe` until it returns a value, or fails after `timeoutMs` with the last error. */
export async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs = 10_000, stepMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, stepMs));
  }
  throw new Error(`condition not met within ${timeoutMs} ms${lastError instanceof Error ? `: ${lastError.message}` : ''}`);
}

/**
 * Waits until `count` snapshots of `metastore` taken after this call have been read (and every
 * listener has seen them): "the service has looked again", without guessing a sleep.
 */
export async function snapshotsAfterNow(service: RunningService, count = 1, metastore = 'default', timeoutMs = 10_000): Promise<void> {
  let since = Date.now();
  for (let i = 0; i < count; i += 1) {
    const after = since;
    const taken = await eventually(async () => {
      const takenAtMs = service.snapshots.latest(metastore)?.takenAtMs;
      return takenAtMs !== undefined && takenAtMs > after ? takenAtMs : undefined;
    }, timeoutMs, 5);
    since = taken;
  }
}
