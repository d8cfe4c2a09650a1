import { randomUUID } from 'node:crypto';

import { ErrorCode, ScalerError, coerceError } from '../core/errors.js';
import type { ControlReply, Logger, WorkerControl } from '../core/ports.js';
import type { BrokerEndpoint } from '../core/broker-url.js';
import { parseBrokerUrl } from '../core/broker-url.js';
import type { RedisConstructor } from './lazy-redis.js';
import { LazyRedis } from './lazy-redis.js';
import type { ControlMethod } from './pidbox.js';
import {
  REPLY_BINDING_SET,
  broadcastChannel,
  buildCommand,
  nodeName,
  parseReply,
  replyBinding,
  replyQueue,
  replyQueueKeys,
} from './pidbox.js';

export interface RedisWorkerControlOptions {
  /** Celery's broker URL: `redis://[:password@]host[:port][/db]` or `rediss://...`. */
  readonly url: string;
  /** How long a call waits for replies; Celery's own default for control calls is 1 s. */
  readonly replyTimeoutMs?: number;
  readonly connectTimeoutMs?: number;
  readonly logger: Logger;
}

const DEFAULT_REPLY_TIMEOUT_MS = 1_000;
const DEFAULT_CONNECT_TIMEOUT_MS = 2_000;
const CONNECT_ATTEMPTS = 2;
// Redis treats a BRPOP timeout of 0 as "forever"; never send less than this.
const MIN_BLOCK_MS = 10;
// A BRPOP that outlives its own timeout by this much means a half-dead connection.
const BLOCK_GRACE_MS = 1_000;
const QUIT_TIMEOUT_MS = 1_000;

/**
 * Sends Celery remote-control commands the way `celery control cancel_consumer -d ...` does over
 * a Redis broker, so unmodified Celery workers obey them. ioredis is imported here, on first use,
 * so processes that never drain workers do not load it.
 */
export async function createRedisWorkerControl(options: RedisWorkerControlOptions): Promise<WorkerControl> {
  const endpoint = parseBrokerUrl(options.url);
  const { Redis } = await import('ioredis');
  return new RedisWorkerControl(endpoint, Redis, options);
}

class RedisWorkerControl implements WorkerControl {
  private readonly logger: Logger;
  private readonly replyTimeoutMs: number;
  private readonly commands: LazyRedis;
  /** BRPOP blocks its connection, so reply reads get their own and take turns on it. */
  private readonly reader: LazyRedis;
  private readerTurn: Promise<void> = Promise.resolve();
  private clock = 0;
  private closed = false;

  constructor(
    private readonly endpoint: BrokerEndpoint,
    RedisImpl: RedisConstructor,
    options: RedisWorkerControlOptions,
  ) {
    this.logger = options.logger.child({ component: 'celery-control', broker: endpoint.display });
    this.replyTimeoutMs = options.replyTimeoutMs ?? DEFAULT_REPLY_TIMEOUT_MS;
    const connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    const common = { connectTimeoutMs, connectAttempts: CONNECT_ATTEMPTS };
    this.commands = new LazyRedis(RedisImpl, endpoint, { ...common, role: 'commands', commandTimeoutMs: connectTimeoutMs }, this.logger);
    this.reader = new LazyRedis(RedisImpl, endpoint, { ...common, role: 'replies', commandTimeoutMs: undefined }, this.logger);
  }

  cancelConsumer(hostnames: readonly string[], queue: string): Promise<ControlReply[]> {
    return this.call('cancel_consumer', hostnames, queue);
  }

  addConsumer(hostnames: readonly string[], queue: string): Promise<ControlReply[]> {
    return this.call('add_consumer', hostnames, queue);
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([this.commands.close(QUIT_TIMEOUT_MS), this.reader.close(0)]);
  }

  private async call(method: ControlMethod, hostnames: readonly string[], queue: string): Promise<ControlReply[]> {
    if (this.closed) throw new ScalerError(ErrorCode.BrokerControlFailed, 'Celery worker control is closed');
    const targets = new Set(hostnames);
    // An empty destination would reach every worker: kombu reads it as a broadcast.
    if (targets.size === 0) return [];
    const ticket = randomUUID();
    const startedMs = Date.now();
    const receivers = await this.publish(method, [...targets], queue, ticket, startedMs);
    const replies = new Map<string, ControlReply>();
    if (receivers > 0) await this.collect(ticket, targets, replies, startedMs + this.replyTimeoutMs);
    for (const raw of await this.unbind(ticket)) this.accept(raw, ticket, targets, replies);
    this.logger.debug(
      { method, queue, hostnames: [...targets], receivers, replied: [...replies.keys()], ms: Date.now() - startedMs },
      'Celery control command sent',
    );
    return [...replies.values()];
  }

  /** Declares the reply binding, then broadcasts; returns how many subscribers got the message. */
  private async publish(method: ControlMethod, hostnames: string[], queue: string, ticket: string, nowMs: number): Promise<number> {
    const command = buildCommand({
      method,
      queue,
      hostnames,
      ticket,
      deliveryTag: randomUUID(),
      clock: ++this.clock,
      nowMs,
      timeoutMs: this.replyTimeoutMs,
    });
    try {
      await this.commands.ready();
      // The binding must exist before any worker can answer: that is how its reply finds our list.
      const results = await this.commands.client
        .multi()
        .sadd(REPLY_BINDING_SET, replyBinding(ticket))
        .publish(broadcastChannel(this.endpoint.db), command)
        .exec();
      if (results === null) throw new Error('transaction aborted');
      for (const [err] of results) if (err) throw err;
      return Number(results[1]?.[1]);
    } catch (err) {
      const message = this.commands.safeMessage(err);
      if (this.commands.client.status === 'ready') {
        await this.commands.client.srem(REPLY_BINDING_SET, replyBinding(ticket)).catch(() => undefined);
      }
      throw new ScalerError(
        ErrorCode.BrokerControlFailed,
        `could not send Celery ${method} for queue ${JSON.stringify(queue)} to ${hostnames.map(nodeName).join(', ')} ` +
          `via ${this.endpoint.display}: ${message}`,
        { cause: message === coerceError(err).message ? err : new Error(message) },
      );
    }
  }

  /** Pops replies until every target answered or the deadline passed; never throws. */
  private async collect(ticket: string, targets: ReadonlySet<string>, replies: Map<string, ControlReply>, deadlineMs: number): Promise<void> {
    await this.takeReaderTurn(async () => {
      try {
        while (replies.size < targets.size) {
          const remainingMs = deadlineMs - Date.now();
          if (remainingMs <= 0) return;
          const raw = await this.popReply(ticket, remainingMs);
          if (raw === null) return;
          this.accept(raw, ticket, targets, replies);
        }
      } catch (err) {
        if (this.closed) return;
        this.logger.warn({ ticket, err: this.reader.safeMessage(err) }, 'could not read Celery control replies; collecting them at the deadline');
        const remainingMs = deadlineMs - Date.now();
        if (remainingMs > 0) await new Promise((resolve) => setTimeout(resolve, remainingMs));
      }
    });
  }

  private async popReply(ticket: string, remainingMs: number): Promise<string | null> {
    await this.reader.ready();
    const seconds = (Math.max(remainingMs, MIN_BLOCK_MS) / 1000).toFixed(3);
    const pop = this.reader.client.brpop(replyQueue(ticket), seconds);
    // If the guard wins, the BRPOP is abandoned and its rejection must not go unhandled.
    void pop.catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    const stuck = new Promise<'stuck'>((resolve) => (timer = setTimeout(() => resolve('stuck'), remainingMs + BLOCK_GRACE_MS)));
    try {
      const result = await Promise.race([pop, stuck]);
      if (result !== 'stuck') return result === null ? null : result[1];
      this.logger.warn({ ticket }, 'Celery broker did not answer a blocking read in time; reconnecting');
      await this.reader.reset();
      return null;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Removes the binding and the reply list, returning any reply that landed meanwhile. */
  private async unbind(ticket: string): Promise<string[]> {
    const keys = replyQueueKeys(ticket);
    const [queue] = keys;
    if (queue === undefined || this.closed) return [];
    try {
      await this.commands.ready();
      const results = await this.commands.client
        .multi()
        .srem(REPLY_BINDING_SET, replyBinding(ticket))
        .lrange(queue, 0, -1)
        .del(...keys)
        .exec();
      const [err, leftovers] = results?.[1] ?? [new Error('transaction aborted'), null];
      if (err) throw err;
      // LPUSH puts the newest first.
      return Array.isArray(leftovers) ? (leftovers as string[]).reverse() : [];
    } catch (err) {
      this.logger.warn({ ticket, err: this.commands.safeMessage(err) }, 'could not remove the Celery control reply queue');
      return [];
    }
  }

  private accept(raw: string, ticket: string, targets: ReadonlySet<string>, replies: Map<string, ControlReply>): void {
    const parsed = parseReply(raw, ticket);
    if (parsed.kind === 'malformed') {
      this.logger.warn({ ticket, problem: parsed.problem }, 'ignoring a malformed Celery control reply');
      return;
    }
    if (parsed.kind === 'other-ticket') {
      this.logger.debug({ ticket, other: parsed.ticket }, 'ignoring a Celery control reply for another call');
      return;
    }
    for (const reply of parsed.replies) {
      if (targets.has(reply.hostname) && !replies.has(reply.hostname)) replies.set(reply.hostname, reply);
    }
  }

  private async takeReaderTurn(fn: () => Promise<void>): Promise<void> {
    const previous = this.readerTurn;
    let release = (): void => undefined;
    this.readerTurn = new Promise((resolve) => (release = resolve));
    try {
      await previous;
      await fn();
    } finally {
      release();
    }
  }
}
