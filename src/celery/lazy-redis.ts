import type { Redis, RedisOptions } from 'ioredis';

import { coerceError } from '../core/errors.js';
import type { Logger } from '../core/ports.js';
import type { BrokerEndpoint } from '../core/broker-url.js';
import { redact } from '../core/broker-url.js';

export type RedisConstructor = new (options: RedisOptions) => Redis;

export interface LazyRedisOptions {
  readonly role: string;
  readonly connectTimeoutMs: number;
  readonly connectAttempts: number;
  /** Bounds every command; must stay undefined for a connection that runs BRPOP. */
  readonly commandTimeoutMs: number | undefined;
}

const RETRY_PAUSE_MS = 100;
const RESET_TIMEOUT_MS = 1_000;

/** Resolves when `promise` settles or after `ms`, whichever comes first; never rejects. */
export async function withTimeout(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const elapsed = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  try {
    await Promise.race([promise.then(() => undefined, () => undefined), elapsed]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * One Redis connection that is opened on first use and reopened on the next use after it drops.
 * ioredis' own reconnect loop is off: a caller waiting on a dead broker must fail within its
 * time budget instead of queueing behind endless retries.
 */
export class LazyRedis {
  readonly client: Redis;
  private connecting: Promise<void> | undefined;
  private lastError: Error | undefined;

  constructor(
    RedisImpl: RedisConstructor,
    private readonly endpoint: BrokerEndpoint,
    private readonly options: LazyRedisOptions,
    logger: Logger,
  ) {
    this.client = new RedisImpl({
      host: endpoint.host,
      port: endpoint.port,
      db: endpoint.db,
      username: endpoint.username,
      password: endpoint.password,
      tls: endpoint.tls === undefined ? undefined : { ...endpoint.tls, servername: endpoint.host },
      connectionName: `airflow-keda-scaler-${options.role}`,
      lazyConnect: true,
      connectTimeout: options.connectTimeoutMs,
      commandTimeout: options.commandTimeoutMs,
      retryStrategy: () => null,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
    });
    // Without a listener an 'error' event would crash the process during a broker outage.
    this.client.on('error', (err: unknown) => {
      const error = coerceError(err);
      this.lastError = error;
      logger.warn(
        { connection: options.role, broker: endpoint.display, err: this.safeMessage(error) },
        'Celery broker connection error',
      );
    });
  }

  /** The error text with the broker password removed. */
  safeMessage(err: unknown): string {
    return redact(coerceError(err).message, this.endpoint);
  }

  ready(): Promise<void> {
    if (this.client.status === 'ready') return Promise.resolve();
    this.connecting ??= this.connectWithRetries().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  /** Drops the connection now (pending commands fail); the next `ready()` reconnects. */
  async reset(): Promise<void> {
    if (this.client.status === 'wait' || this.client.status === 'end') return;
    const ended = new Promise<void>((resolve) => this.client.once('end', resolve));
    this.client.disconnect();
    await withTimeout(ended, RESET_TIMEOUT_MS);
  }

  async close(timeoutMs: number): Promise<void> {
    if (this.client.status !== 'ready') {
      this.client.disconnect();
      return;
    }
    try {
      await withTimeout(this.client.quit().then(() => undefined, () => undefined), timeoutMs);
    } finally {
      this.client.disconnect();
    }
  }

  private takeLastError(): Error | undefined {
    const error = this.lastError;
    this.lastError = undefined;
    return error;
  }

  private async connectWithRetries(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      this.lastError = undefined;
      try {
        await this.client.connect();
        return;
      } catch (err) {
        // connect() rejects with a bare "Connection is closed."; the 'error' event said why.
        const cause = this.takeLastError() ?? coerceError(err);
        if (attempt >= this.options.connectAttempts) throw cause;
        await new Promise((resolve) => setTimeout(resolve, RETRY_PAUSE_MS * attempt));
      }
    }
  }
}
