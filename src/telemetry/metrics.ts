import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

import { PromMetric } from '../core/metric-names.js';
import { buildInfoLabels } from './build-info.js';
import { RpcMetrics } from './rpc-metrics.js';

/** Every instrument the service records, on a registry of our own (never prom-client's global). */
export interface Instruments {
  readonly registry: Registry;
  readonly workerSetTasks: Gauge<'metastore' | 'worker_set' | 'state'>;
  readonly workerSetFormulaWorkers: Gauge<'metastore' | 'worker_set'>;
  readonly workerSetClamped: Gauge<'metastore' | 'worker_set' | 'bound'>;
  readonly workerSetsTracked: Gauge;
  readonly workerSetForecastTasks: Gauge<'metastore' | 'worker_set'>;
  readonly dueDags: Gauge<'metastore'>;
  readonly forecastAvailable: Gauge<'metastore'>;
  readonly forecastErrorsTotal: Counter<'metastore' | 'step' | 'code'>;
  readonly workerSetsOverLimitTotal: Counter;
  readonly snapshotAgeSeconds: Gauge<'metastore'>;
  readonly lastSuccessfulReadTimestamp: Gauge<'metastore'>;
  readonly snapshotFresh: Gauge<'metastore'>;
  readonly pollDurationSeconds: Histogram<'metastore' | 'outcome'>;
  readonly pollErrorsTotal: Counter<'metastore' | 'code'>;
  /** grpc_requests_total and grpc_request_duration_seconds, recorded off prom-client's hot path. */
  readonly rpc: RpcMetrics;
  readonly openStreams: Gauge;
  readonly pushEventsTotal: Counter<'metastore'>;
  readonly scaleInWorkers: Gauge<'scaled_object_namespace' | 'worker_set' | 'state'>;
  readonly scaleInReportedWorkers: Gauge<'scaled_object_namespace' | 'worker_set'>;
  readonly scaleInDrainsTotal: Counter;
  readonly scaleInRestoresTotal: Counter;
  readonly scaleInPatchesTotal: Counter<'outcome'>;
  readonly scaleInFailuresTotal: Counter<'step' | 'code'>;
  readonly scaleInCapability: Gauge<'capability'>;
  readonly scaleInLeader: Gauge;
  readonly scaleInTargetsOverLimitTotal: Counter;
}

const PROMTOOL_REJECTED_DEFAULTS = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];

export function createInstruments(): Instruments {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  // prom-client names these gauges *_total, which `promtool check metrics` rejects; the same
  // numbers remain available, split by type, as nodejs_active_{handles,requests,resources}.
  for (const name of PROMTOOL_REJECTED_DEFAULTS) registry.removeSingleMetric(name);
  const registers = [registry];
  const rpc = new RpcMetrics();
  rpc.register(registry, { requests: PromMetric.grpcRequestsTotal, duration: PromMetric.grpcRequestDurationSeconds });
  new Gauge({
    name: PromMetric.buildInfo,
    help: 'Always 1: the scaler version and Node.js version running, as labels.',
    labelNames: ['version', 'nodejs_version'],
    registers,
  }).set(buildInfoLabels(), 1);
  return {
    registry,
    workerSetTasks: new Gauge({
      name: PromMetric.workerSetTasks,
      help: 'Task instances counted for a worker set in the latest snapshot, by state (queued, running).',
      labelNames: ['metastore', 'worker_set', 'state'],
      registers,
    }),
    workerSetFormulaWorkers: new Gauge({
      name: PromMetric.workerSetFormulaWorkers,
      help: 'Celery workers the formula asks for, clamp(ceil((queued + running) / workerConcurrency), min, max), from the latest snapshot; worker_set_reported_workers is what KEDA was told.',
      labelNames: ['metastore', 'worker_set'],
      registers,
    }),
    workerSetClamped: new Gauge({
      name: PromMetric.workerSetClamped,
      help: '1 when minReplicaCount or maxReplicaCount changed the desired worker count, else 0.',
      labelNames: ['metastore', 'worker_set', 'bound'],
      registers,
    }),
    workerSetForecastTasks: new Gauge({
      name: PromMetric.workerSetForecastTasks,
      help: 'Tasks of scheduled runs about to start that a worker set with prewarm=schedule counts ahead (its forecast).',
      labelNames: ['metastore', 'worker_set'],
      registers,
    }),
    dueDags: new Gauge({
      name: PromMetric.dueDags,
      help: 'Live DAGs whose next scheduled run is due within the widest prewarm lead (the tick read them).',
      labelNames: ['metastore'],
      registers,
    }),
    forecastAvailable: new Gauge({
      name: PromMetric.forecastAvailable,
      help: '1 when the due DAGs could be read at the last tick, 0 when pre-warming is off for a failure (reactive answers unaffected); absent when no worker set pre-warms.',
      labelNames: ['metastore'],
      registers,
    }),
    forecastErrorsTotal: new Counter({
      name: PromMetric.forecastErrorsTotal,
      help: 'Failed pre-warming reads, by step (due: the tick\'s due-DAG query; history: run history) and code.',
      labelNames: ['metastore', 'step', 'code'],
      registers,
    }),
    workerSetsTracked: new Gauge({
      name: PromMetric.workerSetsTracked,
      help: 'Worker sets with series of their own (asked about by KEDA within 15 minutes), at most limits.maxWorkerSets.',
      registers,
    }),
    workerSetsOverLimitTotal: new Counter({
      name: PromMetric.workerSetsOverLimitTotal,
      help: 'Requests for worker sets beyond limits.maxWorkerSets: answered correctly, but without series or scale-in plans.',
      registers,
    }),
    snapshotAgeSeconds: new Gauge({
      name: PromMetric.snapshotAgeSeconds,
      help: 'Age of the latest successful metastore snapshot in seconds; no sample before the first successful read.',
      labelNames: ['metastore'],
      registers,
    }),
    lastSuccessfulReadTimestamp: new Gauge({
      name: PromMetric.lastSuccessfulReadTimestamp,
      help: 'Unix time (seconds) at which the latest successful metastore read started; no sample before the first.',
      labelNames: ['metastore'],
      registers,
    }),
    snapshotFresh: new Gauge({
      name: PromMetric.snapshotFresh,
      help: '1 when the latest snapshot is within the staleness bound, else 0 (RPCs then return UNAVAILABLE).',
      labelNames: ['metastore'],
      registers,
    }),
    pollDurationSeconds: new Histogram({
      name: PromMetric.pollDurationSeconds,
      help: 'Duration of one metastore read (the single tick query), by outcome.',
      labelNames: ['metastore', 'outcome'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    pollErrorsTotal: new Counter({
      name: PromMetric.pollErrorsTotal,
      help: 'Failed metastore reads, by error code.',
      labelNames: ['metastore', 'code'],
      registers,
    }),
    rpc,
    openStreams: new Gauge({
      name: PromMetric.openStreams,
      help: 'Open StreamIsActive streams.',
      registers,
    }),
    pushEventsTotal: new Counter({
      name: PromMetric.pushEventsTotal,
      help: 'IsActive=true messages pushed on StreamIsActive streams (inactive to active edges).',
      labelNames: ['metastore'],
      registers,
    }),
    scaleInWorkers: new Gauge({
      name: PromMetric.scaleInWorkers,
      help: 'Worker pods of a worker set by state: busy (running tasks), idle, draining (told to stop consuming).',
      labelNames: ['scaled_object_namespace', 'worker_set', 'state'],
      registers,
    }),
    scaleInReportedWorkers: new Gauge({
      name: PromMetric.scaleInReportedWorkers,
      help: 'Workers the scale-in plan lets KEDA report: the formula plus surplus workers still busy or draining.',
      labelNames: ['scaled_object_namespace', 'worker_set'],
      registers,
    }),
    scaleInDrainsTotal: new Counter({
      name: PromMetric.scaleInDrainsTotal,
      help: 'Workers that confirmed cancel_consumer (stopped taking new tasks before removal).',
      registers,
    }),
    scaleInRestoresTotal: new Counter({
      name: PromMetric.scaleInRestoresTotal,
      help: 'Draining workers put back to work with add_consumer because demand rose again.',
      registers,
    }),
    scaleInPatchesTotal: new Counter({
      name: PromMetric.scaleInPatchesTotal,
      help: 'pod-deletion-cost annotation patches, by outcome (ok, error).',
      labelNames: ['outcome'],
      registers,
    }),
    scaleInFailuresTotal: new Counter({
      name: PromMetric.scaleInFailuresTotal,
      help: 'Failed scale-in steps (list, patch, drain, restore, plan), by error code.',
      labelNames: ['step', 'code'],
      registers,
    }),
    scaleInTargetsOverLimitTotal: new Counter({
      name: PromMetric.scaleInTargetsOverLimitTotal,
      help: 'Requests for scale-in targets beyond limits.maxScaleInTargets or the per-worker-set limit: answered with the plain formula, not planned.',
      registers,
    }),
    scaleInLeader: new Gauge({
      name: PromMetric.scaleInLeader,
      help: '1 on the replica that holds the scale-in Lease and acts on worker pods, else 0 (absent without the Kubernetes API).',
      registers,
    }),
    scaleInCapability: new Gauge({
      name: PromMetric.scaleInCapability,
      help: '1 when scale-in can use the capability (kubernetes: rank pods; broker: drain workers), else 0.',
      labelNames: ['capability'],
      registers,
    }),
  };
}
