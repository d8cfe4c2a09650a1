import { EventEmitter } from 'node:events';

import { status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';

import type { SnapshotSource } from '../../../src/core/ports.js';
import type { Snapshot } from '../../../src/core/snapshot.js';
import { DecisionMemo } from '../../../src/core/evaluate.js';
import { UndecodableRequest } from '../../../src/grpc/proto.js';
import { createScalerService } from '../../../src/grpc/scaler-service.js';
import { StreamRegistry } from '../../../src/grpc/stream-registry.js';
import { quietLogger } from '../../support/quiet-logger.js';

/** An in-memory snapshot source whose snapshots the test sets and announces. */
class MemorySnapshots implements SnapshotSource {
  current: Snapshot | undefined;
  private readonly listeners = new Set<(s: Snapshot) => void>();
  latest(): Snapshot | undefined {
    return this.current;
  }
  onSnapshot(listener: (s: Snapshot) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  set(queued: number, running: number, takenAtMs: number): void {
    this.current = {
      metastore: 'default',
      takenAtMs,
      hasExecutorColumn: true,
      rows: [
        { queue: 'default', executor: null, state: 'queued', count: queued },
        { queue: 'default', executor: null, state: 'running', hostname: 'w-1', count: running },
      ],
    };
    for (const listener of this.listeners) listener(this.current);
  }
}

type Handler = (call: unknown, callback?: (err: { code: number; details: string } | null, response: unknown) => void) => void;

function service(options: { maxOpenStreams?: number } = {}) {
  const clock = { ms: 10_000, now() { return this.ms; } };
  const snapshots = new MemorySnapshots();
  const streams = new StreamRegistry();
  const handlers = createScalerService({
    snapshots,
    knownMetastores: new Set(['default']),
    decisions: new DecisionMemo(5_000),
    maxOpenStreams: options.maxOpenStreams ?? 10,
    clock,
    logger: quietLogger,
    streams,
    isShuttingDown: () => false,
    observer: { completed: () => undefined, workerSetSeen: () => undefined, streamsChanged: () => undefined, pushed: () => undefined },
  }) as unknown as Record<string, Handler>;
  const unary = (method: string, request: unknown): Promise<{ err: { code: number; details: string } | null; response: unknown }> =>
    new Promise((resolve) => handlers[method]!({ request }, (err, response) => resolve({ err, response })));
  /** A server stream as grpc-js hands it to a handler: writes, 'error' and 'cancelled' events. */
  const stream = (method: string, request: unknown) => {
    const call = Object.assign(new EventEmitter(), { request, written: [] as unknown[], write(m: unknown) { this.written.push(m); return true; }, end() {} });
    const errors: { code: number; details: string }[] = [];
    call.on('error', (e: { code: number; details: string }) => errors.push(e));
    handlers[method]!(call);
    return { call, errors };
  };
  return { clock, snapshots, streams, unary, stream };
}

const REF = { name: 'airflow-worker', namespace: 'airflow', scalerMetadata: { queues: 'default', workerConcurrency: '4' } };

describe('createScalerService (handlers over an in-memory snapshot source, no socket)', () => {
  it('answers GetMetrics, IsActive and GetMetricSpec from the snapshot', async () => {
    const { snapshots, unary } = service();
    snapshots.set(5, 3, 9_000);
    const metrics = await unary('GetMetrics', { scaledObjectRef: REF, metricName: '' });
    expect(metrics.err).toBeNull();
    expect(metrics.response).toMatchObject({ metricValues: [{ metricValue: 2, metricValueFloat: 2 }] });
    expect((await unary('IsActive', REF)).response).toEqual({ result: true });
    expect((await unary('GetMetricSpec', REF)).response).toMatchObject({ metricSpecs: [{ targetSize: 1, targetSizeFloat: 1 }] });
  });

  it('refuses to answer from a stale or missing snapshot: UNAVAILABLE, never zero', async () => {
    const { snapshots, unary, clock } = service();
    expect((await unary('GetMetrics', { scaledObjectRef: REF, metricName: '' })).err?.code).toBe(status.UNAVAILABLE);
    snapshots.set(0, 0, 0);
    clock.ms = 5_001;
    const stale = await unary('IsActive', REF);
    expect(stale.err?.code).toBe(status.UNAVAILABLE);
    expect(stale.err?.details).toContain('ASC_STALE_SNAPSHOT');
  });

  it.each([
    ['GetMetrics', { metricName: '' }, 'scaledObjectRef is required'],
    ['IsActive', { name: '', namespace: '', scalerMetadata: {} }, 'scaledObjectRef.name is required'],
    ['GetMetricSpec', new UndecodableRequest('ScaledObjectRef'), 'not a valid ScaledObjectRef message'],
    ['GetMetrics', { scaledObjectRef: REF, metricName: 'x'.repeat(300) }, 'metricName='],
  ])('answers %s with INVALID_ARGUMENT for a request KEDA would not send (%#)', async (method, request, message) => {
    const { snapshots, unary } = service();
    snapshots.set(1, 0, 9_000);
    const { err } = await unary(method, request);
    expect(err?.code).toBe(status.INVALID_ARGUMENT);
    expect(err?.details).toContain(message);
  });

  it('answers NOT_FOUND for a metric name it does not serve', async () => {
    const { snapshots, unary } = service();
    snapshots.set(1, 0, 9_000);
    expect((await unary('GetMetrics', { scaledObjectRef: REF, metricName: 'other' })).err?.code).toBe(status.NOT_FOUND);
  });

  it('pushes true on open when active and on each inactive→active edge only, never false', () => {
    const { snapshots, stream } = service();
    snapshots.set(0, 0, 9_000);
    const { call } = stream('StreamIsActive', REF);
    expect(call.written).toEqual([]);
    snapshots.set(2, 0, 9_500);
    snapshots.set(3, 0, 9_600);
    snapshots.set(0, 0, 9_700);
    snapshots.set(1, 0, 9_800);
    expect(call.written).toEqual([{ result: true }, { result: true }]);
  });

  it('refuses a stream beyond limits.maxOpenStreams with RESOURCE_EXHAUSTED, and frees the slot when one goes', () => {
    const { snapshots, stream, streams } = service({ maxOpenStreams: 2 });
    snapshots.set(0, 0, 9_000);
    const first = stream('StreamIsActive', REF);
    stream('StreamIsActive', REF);
    const third = stream('StreamIsActive', REF);
    expect(third.errors.map((e) => e.code)).toEqual([status.RESOURCE_EXHAUSTED]);
    first.call.emit('cancelled');
    expect(streams.size).toBe(1);
    expect(stream('StreamIsActive', REF).errors).toEqual([]);
  });
});
