import type { FastifyInstance } from 'fastify';

import type { ScalerConfig } from './core/config.js';
import { redactUrl } from './core/metastore-url.js';
import { evaluateWorkerSet } from './core/evaluate.js';
import type { HealthReport } from './core/health.js';
import { evaluateHealth } from './core/health.js';
import type { WorkerSetSpec } from './core/metadata.js';
import type { Clock, Logger, PodDirectory, TaskCountReader, WorkerControl } from './core/ports.js';
import { WorkerSetTracker } from './core/worker-set-tracker.js';
import type { Snapshot } from './core/snapshot.js';
import type { GrpcServer } from './grpc/server.js';
import { HealthService, buildGrpcServer } from './grpc/server.js';
import { createScalerService } from './grpc/scaler-service.js';
import { StreamRegistry } from './grpc/stream-registry.js';
import { buildHttpApp } from './http/app.js';
import { createRedisWorkerControl } from './celery/redis-worker-control.js';
import { createPodDirectory } from './kubernetes/pod-directory.js';
import { PgTaskCountReader } from './metastore/task-count-reader.js';
import { MetastorePoller } from './poller/metastore-poller.js';
import { ScaleInController } from './poller/scale-in-controller.js';
import { SnapshotHub } from './poller/snapshot-hub.js';
import type { Instruments } from './telemetry/metrics.js';
import { createInstruments } from './telemetry/metrics.js';

export interface ServiceOptions {
  readonly logger: Logger;
  readonly clock?: Clock;
  readonly random?: () => number;
}

export interface RunningService {
  readonly grpcPort: number;
  readonly httpPort: number;
  readonly instruments: Instruments;
  health(): HealthReport;
  /** Closes everything this service opened, in reverse order. Safe to call twice. */
  close(): Promise<void>;
}

const systemClock: Clock = { now: () => Date.now() };
// Per-set gauges disappear after this long without a KEDA request for that set.
const QUEUE_SET_TTL_MS = 15 * 60_000;

function wedgedAfterMs(config: ScalerConfig): number {
  return Math.max(10 * config.poll.intervalMs, 3 * config.poll.queryTimeoutMs, config.poll.maxBackoffMs * 2, 30_000);
}

function recordWorkerSet(instruments: Instruments, set: { metricName: string; spec: WorkerSetSpec }, snapshot: Snapshot, config: ScalerConfig, nowMs: number): void {
  const labels = { metastore: set.spec.metastore, worker_set: set.metricName };
  try {
    const decision = evaluateWorkerSet(set.spec, snapshot, nowMs, config.poll.staleAfterMs);
    instruments.workerSetTasks.set({ ...labels, state: 'queued' }, decision.queued);
    instruments.workerSetTasks.set({ ...labels, state: 'running' }, decision.running);
    instruments.workerSetDesiredWorkers.set(labels, decision.desired);
    instruments.workerSetClamped.set({ ...labels, bound: 'min' }, decision.clampedBy === 'min' ? 1 : 0);
    instruments.workerSetClamped.set({ ...labels, bound: 'max' }, decision.clampedBy === 'max' ? 1 : 0);
  } catch {
    // The RPCs report the error; a gauge holding the last good value is worse than none.
    instruments.workerSetDesiredWorkers.remove(labels);
  }
}

type Closer = { name: string; close: () => Promise<void> | void };

/**
 * Opens what scale-in can use. A missing capability is said once in the log and in
 * `scale_in_capability`, and scale-in falls back to what still helps: ranking without a broker,
 * the plain formula without the Kubernetes API.
 */
async function startScaleIn(
  config: ScalerConfig,
  hub: SnapshotHub,
  clock: Clock,
  logger: Logger,
  instruments: Instruments,
  closers: Closer[],
): Promise<ScaleInController> {
  const log = logger.child({ component: 'scale-in' });
  let pods: PodDirectory | null = null;
  if (config.scaleIn.kubernetes === null) {
    log.info({}, 'scale-in ranking off: no Kubernetes API (not in a cluster and no scaleIn.kubeconfig); reporting the plain formula');
  } else {
    try {
      const directory = await createPodDirectory({ source: config.scaleIn.kubernetes, logger: log });
      closers.push({ name: 'kubernetes client', close: () => directory.close() });
      pods = directory;
    } catch (err) {
      log.warn({ err: String(err) }, 'scale-in ranking off: cannot use the Kubernetes API; reporting the plain formula');
    }
  }
  let control: WorkerControl | null = null;
  const consequence = pods === null ? 'nothing to drain without the Kubernetes API' : 'surplus workers are ranked, not drained';
  if (config.scaleIn.broker === null) {
    // Outside a cluster (the demo, a laptop) neither capability is expected: no need to warn.
    (pods === null ? log.info.bind(log) : log.warn.bind(log))(
      {},
      `scale-in draining off: no Celery broker configured (SCALER_BROKER_URL); ${consequence}`,
    );
  } else {
    try {
      const broker = await createRedisWorkerControl({ url: config.scaleIn.broker.url, replyTimeoutMs: config.scaleIn.broker.replyTimeoutMs, logger: log });
      closers.push({ name: 'celery broker', close: () => broker.close() });
      control = broker;
    } catch (err) {
      log.warn({ err: String(err) }, `scale-in draining off: cannot use the Celery broker; ${consequence}`);
    }
  }
  instruments.scaleInCapability.set({ capability: 'kubernetes' }, pods === null ? 0 : 1);
  instruments.scaleInCapability.set({ capability: 'broker' }, control === null ? 0 : 1);

  return new ScaleInController({
    pods,
    control,
    clock,
    logger: log,
    latestSnapshot: (metastore) => hub.latest(metastore),
    staleAfterMs: config.poll.staleAfterMs,
    planTtlMs: Math.max(60_000, 10 * config.poll.staleAfterMs),
    patchesPerSecond: config.scaleIn.patchesPerSecond,
    targetTtlMs: QUEUE_SET_TTL_MS,
    observer: {
      planned: (target, counts, reported) => {
        const labels = { namespace: target.namespace, worker_set: target.metricName };
        instruments.scaleInWorkers.set({ ...labels, state: 'busy' }, counts.busy);
        instruments.scaleInWorkers.set({ ...labels, state: 'idle' }, counts.idle);
        instruments.scaleInWorkers.set({ ...labels, state: 'draining' }, counts.draining);
        instruments.scaleInReportedWorkers.set(labels, reported);
      },
      patched: (outcome) => instruments.scaleInPatchesTotal.inc({ outcome }),
      drained: (count) => instruments.scaleInDrainsTotal.inc(count),
      restored: (count) => instruments.scaleInRestoresTotal.inc(count),
      failed: (step, code) => instruments.scaleInFailuresTotal.inc({ step, code }),
      brokerAvailable: (available) => instruments.scaleInCapability.set({ capability: 'broker' }, available ? 1 : 0),
      forgotten: (target) => {
        const labels = { namespace: target.namespace, worker_set: target.metricName };
        for (const state of ['busy', 'idle', 'draining']) instruments.scaleInWorkers.remove({ ...labels, state });
        instruments.scaleInReportedWorkers.remove(labels);
      },
    },
  });
}

/**
 * The composition root: the only module that knows every adapter. Opens the pool(s), pollers,
 * gRPC and HTTP servers, and returns a handle that closes them in reverse order.
 */
export async function startService(config: ScalerConfig, options: ServiceOptions): Promise<RunningService> {
  const { logger } = options;
  const clock = options.clock ?? systemClock;
  const instruments = createInstruments();
  const closers: Closer[] = [];
  let shuttingDown = false;

  const close = async (): Promise<void> => {
    shuttingDown = true;
    while (closers.length > 0) {
      const closer = closers.pop();
      if (closer === undefined) break;
      try {
        await closer.close();
      } catch (err) {
        logger.error({ step: closer.name, err: String(err) }, 'error while shutting down');
      }
    }
  };

  try {
    const readers: TaskCountReader[] = config.metastores.map(
      (metastore) => new PgTaskCountReader(metastore, config.poll.queryTimeoutMs, logger.child({ metastore: metastore.name })),
    );
    closers.push({ name: 'metastore pools', close: () => Promise.all(readers.map((r) => r.close())).then(() => undefined) });
    for (const metastore of config.metastores) {
      logger.info({ metastore: metastore.name, target: redactUrl(metastore.url) }, 'metastore configured');
    }

    const tracker = new WorkerSetTracker(QUEUE_SET_TTL_MS);
    const pollers = readers.map(
      (reader) =>
        new MetastorePoller(reader, {
          intervalMs: config.poll.intervalMs,
          maxBackoffMs: config.poll.maxBackoffMs,
          clock,
          random: options.random ?? Math.random,
          logger,
          observer: {
            readSucceeded: (metastore, durationMs, snapshot) => {
              instruments.pollDurationSeconds.observe({ metastore, outcome: 'success' }, durationMs / 1000);
              for (const set of tracker.forMetastore(metastore)) recordWorkerSet(instruments, set, snapshot, config, clock.now());
            },
            readFailed: (metastore, durationMs, code) => {
              instruments.pollDurationSeconds.observe({ metastore, outcome: 'error' }, durationMs / 1000);
              instruments.pollErrorsTotal.inc({ metastore, code });
            },
          },
        }),
    );
    const hub = new SnapshotHub(pollers);
    const scaleIn = await startScaleIn(config, hub, clock, logger, instruments, closers);
    const unsubscribeScaleIn = hub.onSnapshot((snapshot) => scaleIn.onSnapshot(snapshot));
    hub.start();
    closers.push({ name: 'pollers', close: () => hub.stop() });
    closers.push({
      name: 'scale-in',
      close: () => {
        unsubscribeScaleIn();
        return scaleIn.stop();
      },
    });

    const health = (): HealthReport =>
      evaluateHealth(hub.statuses(), clock.now(), { staleAfterMs: config.poll.staleAfterMs, wedgedAfterMs: wedgedAfterMs(config) });

    const refreshGauges = (): void => {
      for (const metastore of health().metastores) {
        instruments.snapshotAgeSeconds.set({ metastore: metastore.name }, metastore.snapshotAgeMs === null ? Infinity : metastore.snapshotAgeMs / 1000);
        instruments.snapshotFresh.set({ metastore: metastore.name }, metastore.fresh ? 1 : 0);
      }
      for (const expired of tracker.prune(clock.now())) {
        const labels = { metastore: expired.spec.metastore, worker_set: expired.metricName };
        instruments.workerSetDesiredWorkers.remove(labels);
        for (const state of ['queued', 'running']) instruments.workerSetTasks.remove({ ...labels, state });
        for (const bound of ['min', 'max']) instruments.workerSetClamped.remove({ ...labels, bound });
      }
    };

    // Bound label children: hashing label objects on every request costs more than the answer.
    const boundRpc = new Map<string, { record: (durationMs: number) => void }>();
    const rpcInstruments = (method: string, code: string) => {
      const key = `${method} ${code}`;
      let bound = boundRpc.get(key);
      if (bound === undefined) {
        const counter = instruments.grpcRequestsTotal.labels({ method, code });
        const histogram = instruments.grpcRequestDurationSeconds.labels({ method });
        bound = {
          record: (durationMs) => {
            counter.inc();
            if (durationMs > 0) histogram.observe(durationMs / 1000);
          },
        };
        boundRpc.set(key, bound);
      }
      return bound;
    };

    const streams = new StreamRegistry();
    const scalerService = createScalerService({
      snapshots: hub,
      knownMetastores: hub.metastores,
      staleAfterMs: config.poll.staleAfterMs,
      clock,
      logger: logger.child({ component: 'grpc' }),
      streams,
      isShuttingDown: () => shuttingDown,
      reportedWorkers: (namespace, metricName, spec, desired) => scaleIn.reportFor(namespace, metricName, spec, desired),
      observer: {
        completed: (method, code, durationMs) => {
          rpcInstruments(method, code).record(durationMs);
        },
        workerSetSeen: (spec, metricName) => {
          if (!tracker.seen(spec, metricName, clock.now())) return;
          logger.info({ metastore: spec.metastore, workerSet: metricName, queues: spec.queues }, 'new worker set');
          const snapshot = hub.latest(spec.metastore);
          if (snapshot !== undefined) recordWorkerSet(instruments, { metricName, spec }, snapshot, config, clock.now());
        },
        streamsChanged: (open) => instruments.openStreams.set(open),
        pushed: (metastore) => instruments.pushEventsTotal.inc({ metastore }),
      },
    });

    const grpc: GrpcServer = buildGrpcServer(config.grpc, scalerService);
    const http: FastifyInstance = buildHttpApp({
      health,
      metrics: async () => {
        refreshGauges();
        return { contentType: instruments.registry.contentType, body: await instruments.registry.metrics() };
      },
    });

    const updateHealth = (): void => {
      const report = health();
      const ready = report.ready && !shuttingDown ? 'SERVING' : 'NOT_SERVING';
      grpc.health.setStatus(HealthService.overall, ready);
      grpc.health.setStatus(HealthService.readiness, ready);
      grpc.health.setStatus(HealthService.scaler, ready);
      grpc.health.setStatus(HealthService.liveness, report.live ? 'SERVING' : 'NOT_SERVING');
      refreshGauges();
    };
    const unsubscribeHealth = hub.onSnapshot(updateHealth);
    const healthTimer = setInterval(updateHealth, Math.min(1_000, config.poll.intervalMs));
    healthTimer.unref();
    closers.push({
      name: 'health updates',
      close: () => {
        clearInterval(healthTimer);
        unsubscribeHealth();
      },
    });

    const grpcPort = await grpc.listen();
    closers.push({
      name: 'grpc server',
      close: async () => {
        updateHealth();
        streams.endAll();
        await grpc.close(config.shutdownTimeoutMs / 2);
      },
    });
    await http.listen({ host: config.http.host, port: config.http.port });
    closers.push({ name: 'http server', close: () => http.close() });
    const address = http.server.address();
    const httpPort = typeof address === 'object' && address !== null ? address.port : config.http.port;

    logger.info(
      { grpcPort, httpPort, tls: config.grpc.tls === null ? 'off' : config.grpc.tls.clientCaFile === null ? 'tls' : 'mtls' },
      'scaler listening',
    );
    return { grpcPort, httpPort, instruments, health, close };
  } catch (err) {
    await close();
    throw err;
  }
}
