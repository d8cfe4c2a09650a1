import type { FastifyInstance } from 'fastify';

import { createRedisWorkerControl } from './celery/redis-worker-control.js';
import type { ScalerConfig } from './core/config.js';
import { ErrorCode, ScalerError, coerceError } from './core/errors.js';
import type { HealthReport } from './core/health.js';
import { evaluateHealth, nextFreshnessChangeMs } from './core/health.js';
import type { Clock, Logger, PodDirectory, SnapshotSource, TaskCountReader, WorkerControl } from './core/ports.js';
import { WorkerSetRegistry } from './core/worker-set-registry.js';
import { DecisionMemo } from './core/evaluate.js';
import type { GrpcServer } from './grpc/server.js';
import { HealthService, buildGrpcServer } from './grpc/server.js';
import { createScalerService } from './grpc/scaler-service.js';
import { StreamRegistry } from './grpc/stream-registry.js';
import { buildHttpApp } from './http/app.js';
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';

import { LeaderElection } from './core/leader-election.js';
import { connectKubernetes, DEFAULT_KUBERNETES_REQUEST_TIMEOUT_MS } from './kubernetes/client.js';
import { LeaseKeeper } from './kubernetes/lease-keeper.js';
import { createLeaseStore } from './kubernetes/lease-store.js';
import { podDirectoryOn } from './kubernetes/pod-directory.js';
import { PgTaskCountReader } from './metastore/task-count-reader.js';
import { MetastorePoller } from './poller/metastore-poller.js';
import { ScaleInController } from './scale-in/scale-in-controller.js';
import { SnapshotHub } from './poller/snapshot-hub.js';
import type { Instruments } from './telemetry/metrics.js';
import { createInstruments } from './telemetry/metrics.js';
import type { ObserverContext } from './telemetry/observers.js';
import { forgetWorkerSet, pollObserver, refreshGauges, rpcObserver, scaleInObserver } from './telemetry/observers.js';
import { registerWorkerSetMetrics } from './telemetry/worker-set-metrics.js';

export interface ServiceOptions {
  readonly logger: Logger;
  readonly clock?: Clock;
  readonly random?: () => number;
  /**
   * The worker pods and their Celery control, instead of the Kubernetes API and the broker that
   * the configuration names: the live demo's simulated workers. Scale-in itself is unchanged.
   */
  readonly scaleInPorts?: { readonly pods: PodDirectory; readonly control: WorkerControl };
}

export interface RunningService {
  readonly grpcPort: number;
  readonly httpPort: number;
  readonly instruments: Instruments;
  /** The readiness and liveness that /readyz, /healthz and gRPC health all report. */
  health(): HealthReport;
  /** Where the RPCs read from: each metastore's latest snapshot (the demo and tests watch it). */
  readonly snapshots: SnapshotSource;
  /** Closes everything this service opened, in reverse order. Safe to call twice. */
  close(): Promise<void>;
}

const systemClock: Clock = { now: () => Date.now() };
// Per-set series and plans disappear after this long without a KEDA request for that set.
const WORKER_SET_TTL_MS = 15 * 60_000;
/** Liveness and the throttled warnings are looked at this often; readiness also at its exact deadline. */
const HEALTH_REFRESH_MS = 1_000;

function wedgedAfterMs(config: ScalerConfig): number {
  return Math.max(10 * config.poll.intervalMs, 3 * config.poll.queryTimeoutMs, config.poll.maxBackoffMs * 2, 30_000);
}

type Closer = { name: string; close: () => Promise<void> | void };

/** The Celery broker's remote control, or null (said in the log) when there is none to use. */
async function openBroker(config: ScalerConfig, pods: PodDirectory | null, log: Logger, closers: Closer[]): Promise<WorkerControl | null> {
  const consequence = pods === null ? 'nothing to drain without the Kubernetes API' : 'surplus workers are ranked, not drained';
  if (config.scaleIn.broker === null) {
    // Outside a cluster (the demo, a laptop) neither capability is expected: no need to warn.
    (pods === null ? log.info.bind(log) : log.warn.bind(log))({}, `scale-in draining off: no Celery broker configured (SCALER_BROKER_URL); ${consequence}`);
    return null;
  }
  try {
    const broker = await createRedisWorkerControl({ url: config.scaleIn.broker.url, replyTimeoutMs: config.scaleIn.broker.replyTimeoutMs, logger: log });
    closers.push({ name: 'celery broker', close: () => broker.close() });
    return broker;
  } catch (err) {
    log.warn({ err }, `scale-in draining off: cannot use the Celery broker; ${consequence}`);
    return null;
  }
}

/**
 * Opens what scale-in can use. A missing capability is said once in the log and in
 * `scale_in_capability`, and scale-in falls back to what still helps: ranking without a broker,
 * the plain formula without the Kubernetes API.
 */
async function startScaleIn(
  config: ScalerConfig,
  hub: SnapshotHub,
  decisions: DecisionMemo,
  options: ServiceOptions & { readonly clock: Clock },
  instruments: Instruments,
  closers: Closer[],
): Promise<ScaleInController> {
  const { clock, logger } = options;
  const log = logger.child({ component: 'scale-in' });
  let pods: PodDirectory | null = null;
  let leadership: LeaseKeeper | null = null;
  let control: WorkerControl | null = null;
  if (options.scaleInPorts !== undefined) {
    // One process and no Lease: the demo's simulated workers have no other scaler to share with.
    ({ pods, control } = options.scaleInPorts);
    log.info({}, 'scale-in on the pods and Celery control given (the demo\'s simulated workers)');
  } else if (config.scaleIn.kubernetes === null) {
    log.info({}, 'scale-in ranking off: no Kubernetes API (not in a cluster and no scaleIn.kubeconfig); reporting the plain formula');
  } else {
    try {
      const connection = await connectKubernetes(config.scaleIn.kubernetes, DEFAULT_KUBERNETES_REQUEST_TIMEOUT_MS, log);
      log.info({ source: config.scaleIn.kubernetes.kind, server: connection.server }, 'Kubernetes API client ready');
      const directory = podDirectoryOn(connection, log);
      closers.push({ name: 'kubernetes client', close: () => directory.close() });
      pods = directory;
      // One replica at a time acts on the pods; the identity is unique per process, as client-go's.
      const { lease } = config.scaleIn;
      const election = new LeaderElection(`${hostname()}_${randomUUID().slice(0, 8)}`, {
        leaseDurationMs: lease.durationMs,
        renewDeadlineMs: lease.renewDeadlineMs,
        retryPeriodMs: lease.retryPeriodMs,
      });
      const keeper = new LeaseKeeper(createLeaseStore(connection, lease.name, lease.namespace), election, clock, log, (leading) => {
        instruments.scaleInLeader.set(leading ? 1 : 0);
      });
      instruments.scaleInLeader.set(0);
      keeper.start();
      closers.push({ name: 'scale-in lease', close: () => keeper.stop() });
      leadership = keeper;
    } catch (err) {
      log.warn({ err }, 'scale-in ranking off: cannot use the Kubernetes API; reporting the plain formula');
    }
  }
  if (options.scaleInPorts === undefined) control = await openBroker(config, pods, log, closers);
  instruments.scaleInCapability.set({ capability: 'kubernetes' }, pods === null ? 0 : 1);
  instruments.scaleInCapability.set({ capability: 'broker' }, control === null ? 0 : 1);

  return new ScaleInController({
    pods,
    control,
    leadership,
    clock,
    logger: log,
    snapshots: hub,
    decisions,
    planTtlMs: Math.max(60_000, 10 * config.poll.staleAfterMs),
    maxTargets: config.limits.maxScaleInTargets,
    targetTtlMs: WORKER_SET_TTL_MS,
    patchesPerSecond: config.scaleIn.patchesPerSecond,
    observer: scaleInObserver(instruments),
  });
}

/** Turns a bind failure into an error that names the setting to change. */
async function listen<T>(what: string, keys: string, address: string, bind: () => Promise<T>): Promise<T> {
  try {
    return await bind();
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    const reason = code === 'EADDRINUSE' ? 'the address is already in use' : coerceError(err).message.split('\n')[0];
    throw new ScalerError(ErrorCode.ListenFailed, `cannot listen for ${what} on ${address} (${keys}): ${reason}`, { cause: err });
  }
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
        logger.error({ step: closer.name, err }, 'error while shutting down');
      }
    }
  };

  try {
    const readers: TaskCountReader[] = config.metastores.map(
      (metastore) => new PgTaskCountReader(metastore, config.poll.queryTimeoutMs, logger.child({ metastore: metastore.name })),
    );
    closers.push({ name: 'metastore pools', close: () => Promise.all(readers.map((r) => r.close())).then(() => undefined) });
    for (const metastore of config.metastores) {
      logger.info({ metastore: metastore.name, target: metastore.connection.display }, 'metastore configured');
    }

    const registry = new WorkerSetRegistry(WORKER_SET_TTL_MS, config.limits.maxWorkerSets);
    const pollersByName = new Map<string, MetastorePoller>();
    // One decision per worker set and snapshot, whoever asks: GetMetrics, the gauges, scale-in.
    const decisions = new DecisionMemo(config.poll.staleAfterMs);
    const context: ObserverContext = {
      instruments,
      registry,
      clock,
      logger,
      decisions,
      latestSnapshot: (metastore) => pollersByName.get(metastore)?.latest,
    };
    registerWorkerSetMetrics(instruments.registry, context);
    const pollers = readers.map(
      (reader) =>
        new MetastorePoller(reader, {
          intervalMs: config.poll.intervalMs,
          maxBackoffMs: config.poll.maxBackoffMs,
          clock,
          random: options.random ?? Math.random,
          logger: logger.child({ metastore: reader.metastore }),
          observer: pollObserver(context),
          forecastDemand: () => registry.forecastDemand(reader.metastore, clock.now()),
        }),
    );
    for (const poller of pollers) pollersByName.set(poller.metastore, poller);
    const snapshots = new SnapshotHub(pollers);
    const scaleIn = await startScaleIn(config, snapshots, decisions, { ...options, clock }, instruments, closers);
    const unsubscribeScaleIn = snapshots.onSnapshot((snapshot) => scaleIn.onSnapshot(snapshot));
    snapshots.start();
    closers.push({ name: 'pollers', close: () => snapshots.stop() });
    closers.push({
      name: 'scale-in',
      close: () => {
        unsubscribeScaleIn();
        return scaleIn.stop();
      },
    });

    const rpc = rpcObserver(context);
    const streams = new StreamRegistry();
    const scalerService = createScalerService({
      snapshots,
      knownMetastores: snapshots.metastores,
      decisions,
      maxOpenStreams: config.limits.maxOpenStreams,
      clock,
      logger: logger.child({ component: 'grpc' }),
      streams,
      isShuttingDown: () => shuttingDown,
      reportedWorkers: (scaledObject, metricName, spec, desired) => {
        const set = registry.get(metricName);
        if (set === undefined) return desired;
        // What GetMetrics answers next; worker_set_reported_workers shows it beside the formula.
        set.reportedWorkers = scaleIn.reportFor(scaledObject.namespace, metricName, spec, desired);
        return set.reportedWorkers;
      },
      observer: rpc,
    });

    // Readiness is computed in one place and read by /readyz, /healthz and gRPC health alike, so
    // they change together: on every snapshot, at the instant a snapshot turns stale, and each second.
    const limits = { staleAfterMs: config.poll.staleAfterMs, wedgedAfterMs: wedgedAfterMs(config) };
    let report = evaluateHealth(snapshots.statuses(), clock.now(), limits);
    const grpc: GrpcServer = buildGrpcServer(config.grpc, config.limits.maxOpenStreams, scalerService);
    const http: FastifyInstance = buildHttpApp({
      health: () => report,
      metrics: async () => ({ contentType: instruments.registry.contentType, body: await instruments.registry.metrics() }),
    });
    let staleTimer: NodeJS.Timeout | undefined;
    const refresh = (): void => {
      report = evaluateHealth(snapshots.statuses(), clock.now(), limits);
      const ready = report.ready && !shuttingDown ? 'SERVING' : 'NOT_SERVING';
      grpc.health.setStatus(HealthService.overall, ready);
      grpc.health.setStatus(HealthService.readiness, ready);
      grpc.health.setStatus(HealthService.scaler, ready);
      grpc.health.setStatus(HealthService.liveness, report.live ? 'SERVING' : 'NOT_SERVING');
      // The registry alone decides how long a worker set is remembered; its series and plans go with it.
      for (const set of registry.prune(clock.now())) {
        forgetWorkerSet(instruments, set);
        scaleIn.forget(set.metricName);
      }
      refreshGauges(context, report);
      clearTimeout(staleTimer);
      const untilStale = nextFreshnessChangeMs(snapshots.statuses(), clock.now(), config.poll.staleAfterMs);
      if (untilStale !== undefined) {
        staleTimer = setTimeout(refresh, untilStale);
        staleTimer.unref();
      }
    };
    const unsubscribeHealth = snapshots.onSnapshot(refresh);
    const healthTimer = setInterval(() => {
      refresh();
      rpc.flush();
    }, HEALTH_REFRESH_MS);
    healthTimer.unref();
    closers.push({
      name: 'health updates',
      close: () => {
        clearInterval(healthTimer);
        clearTimeout(staleTimer);
        unsubscribeHealth();
      },
    });
    refresh();

    await listen('HTTP', 'http.host, http.port', `${config.http.host}:${config.http.port}`, () =>
      http.listen({ host: config.http.host, port: config.http.port }),
    );
    closers.push({ name: 'http server', close: () => http.close() });
    const address = http.server.address();
    const httpPort = typeof address === 'object' && address !== null ? address.port : config.http.port;
    const grpcPort = await listen('gRPC', 'grpc.host, grpc.port', `${config.grpc.host}:${config.grpc.port}`, () => grpc.listen());
    closers.push({
      name: 'grpc server',
      close: async () => {
        refresh();
        streams.endAll();
        await grpc.close(config.shutdownTimeoutMs / 2);
      },
    });

    logger.info({ grpcPort, httpPort, tls: config.grpc.tls === null ? 'off' : config.grpc.tls.clientCaFile === null ? 'tls' : 'mtls' }, 'scaler listening');
    return { grpcPort, httpPort, instruments, health: () => report, snapshots, close };
  } catch (err) {
    await close();
    throw err;
  }
}
