import type { Clock, Logger } from '../core/ports.js';
import type { DecisionMemo } from '../core/evaluate.js';
import type { HealthReport } from '../core/health.js';
import { LogThrottle } from '../core/log-throttle.js';
import type { WorkerSetSpec } from '../core/metadata.js';
import type { Snapshot } from '../core/snapshot.js';
import type { ScaledObjectName, TrackedWorkerSet, WorkerSetRegistry } from '../core/worker-set-registry.js';
import type { Instruments } from './metrics.js';

/*
 * What the poller, the gRPC handlers and scale-in report, turned into metrics and log lines.
 * Everything a client can vary (worker sets, metadata keys) reaches metrics only through the
 * registry's limit and reaches the log only through a throttle: no client grows either at will.
 */

/** At most one line per minute for each client-triggered warning. */
const WARNING_INTERVAL_MS = 60_000;
/** Unknown keys already warned about are not warned about again; the memory of them is bounded. */
const REMEMBERED_UNKNOWN_KEYS = 1_024;
/** Keys are quoted cut to this length: a client's 1 MB key must not become a 1 MB log line. */
const LOGGED_KEY_LENGTH = 64;

function workerSetLabels(set: { readonly metricName: string; readonly spec: WorkerSetSpec }): { metastore: string; worker_set: string } {
  return { metastore: set.spec.metastore, worker_set: set.metricName };
}

/** Sets a worker set's gauges from a snapshot; removes its desired count when it cannot be computed. */
export function recordWorkerSet(instruments: Instruments, set: TrackedWorkerSet, snapshot: Snapshot, nowMs: number, decisions: DecisionMemo): void {
  const labels = workerSetLabels(set);
  try {
    const decision = decisions.decide(set.spec, snapshot, nowMs);
    instruments.workerSetTasks.set({ ...labels, state: 'queued' }, decision.queued);
    instruments.workerSetTasks.set({ ...labels, state: 'running' }, decision.running);
    instruments.workerSetFormulaWorkers.set(labels, decision.desired);
    if (set.spec.prewarm !== undefined && set.spec.prewarm.mode !== 'off') instruments.workerSetForecastTasks.set(labels, decision.forecast);
    instruments.workerSetClamped.set({ ...labels, bound: 'min' }, decision.clampedBy === 'min' ? 1 : 0);
    instruments.workerSetClamped.set({ ...labels, bound: 'max' }, decision.clampedBy === 'max' ? 1 : 0);
  } catch {
    // The RPCs report the error; a gauge holding the last good value is worse than none.
    instruments.workerSetFormulaWorkers.remove(labels);
  }
}

export function forgetWorkerSet(instruments: Instruments, set: TrackedWorkerSet): void {
  const labels = workerSetLabels(set);
  instruments.workerSetFormulaWorkers.remove(labels);
  instruments.workerSetForecastTasks.remove(labels);
  for (const state of ['queued', 'running']) instruments.workerSetTasks.remove({ ...labels, state });
  for (const bound of ['min', 'max']) instruments.workerSetClamped.remove({ ...labels, bound });
}

export interface ObserverContext {
  readonly instruments: Instruments;
  readonly registry: WorkerSetRegistry;
  readonly clock: Clock;
  readonly logger: Logger;
  /** The decisions GetMetrics answers from: the gauges show the same, computed once per snapshot. */
  readonly decisions: DecisionMemo;
  readonly latestSnapshot: (metastore: string) => Snapshot | undefined;
}

export interface PollReports {
  readSucceeded(metastore: string, durationMs: number, snapshot: Snapshot): void;
  readFailed(metastore: string, durationMs: number, code: string): void;
  forecastFailed(metastore: string, step: 'due' | 'history', code: string): void;
}

export interface RpcReports {
  /** `durationMs` null for streams: they are counted, not timed. */
  completed(method: string, code: string, durationMs: number | null): void;
  workerSetSeen(spec: WorkerSetSpec, metricName: string, scaledObject: ScaledObjectName, unknownKeys: readonly string[]): void;
  streamsChanged(open: number): void;
  pushed(metastore: string): void;
  /** Says what the throttles held back once their interval passed; call it periodically. */
  flush(): void;
}

interface ScaleInTargetName {
  readonly namespace: string;
  readonly metricName: string;
}

export interface ScaleInReports {
  planned(target: ScaleInTargetName, counts: { busy: number; idle: number; draining: number }, reported: number): void;
  patched(outcome: 'ok' | 'error'): void;
  drained(count: number): void;
  restored(count: number): void;
  failed(step: string, code: string): void;
  brokerAvailable(available: boolean): void;
  forgotten(target: ScaleInTargetName): void;
  overLimit(): void;
}

/** The metastore poller's reports: read durations and errors, and every tracked set's gauges. */
export function pollObserver(context: ObserverContext): PollReports {
  const { instruments, registry, clock } = context;
  return {
    readSucceeded: (metastore: string, durationMs: number, snapshot: Snapshot): void => {
      instruments.pollDurationSeconds.observe({ metastore, outcome: 'success' }, durationMs / 1000);
      instruments.lastSuccessfulReadTimestamp.set({ metastore }, snapshot.takenAtMs / 1000);
      if (snapshot.forecast === undefined) {
        instruments.forecastAvailable.remove({ metastore });
        instruments.dueDags.remove({ metastore });
      } else {
        instruments.forecastAvailable.set({ metastore }, snapshot.forecast.available ? 1 : 0);
        if (snapshot.forecast.available) instruments.dueDags.set({ metastore }, snapshot.forecast.dueDags.length);
        else instruments.dueDags.remove({ metastore });
      }
      for (const set of registry.forMetastore(metastore)) recordWorkerSet(instruments, set, snapshot, clock.now(), context.decisions);
    },
    readFailed: (metastore: string, durationMs: number, code: string): void => {
      instruments.pollDurationSeconds.observe({ metastore, outcome: 'error' }, durationMs / 1000);
      instruments.pollErrorsTotal.inc({ metastore, code });
    },
    forecastFailed: (metastore: string, step: 'due' | 'history', code: string): void => {
      instruments.forecastErrorsTotal.inc({ metastore, step, code });
    },
  };
}

/** The gRPC handlers' reports. `flush` says what the throttles held back; call it periodically. */
export function rpcObserver(context: ObserverContext): RpcReports {
  const { instruments, registry, clock, logger } = context;
  const warnedKeys = new Set<string>();
  const unknownKeys = new LogThrottle<string>(WARNING_INTERVAL_MS);
  const overLimit = new LogThrottle<string>(WARNING_INTERVAL_MS);

  const sayUnknownKeys = (summary: ReturnType<typeof unknownKeys.flush>): void => {
    if (summary === undefined) return;
    logger.warn({ keys: summary.examples, otherOccurrences: summary.more }, 'ignoring unknown scalerMetadata keys (a typo?)');
  };
  const sayOverLimit = (summary: ReturnType<typeof overLimit.flush>): void => {
    if (summary === undefined) return;
    logger.warn(
      { limit: registry.limit, requests: summary.occurrences, workerSets: summary.examples, otherRequests: summary.more },
      'worker sets beyond limits.maxWorkerSets get no series and no scale-in plan (their answers are unaffected)',
    );
  };

  return {
    completed: (method: string, code: string, durationMs: number | null): void => instruments.rpc.record(method, code, durationMs),
    workerSetSeen: (spec: WorkerSetSpec, metricName: string, scaledObject: ScaledObjectName, keys: readonly string[]): void => {
      const nowMs = clock.now();
      for (const key of keys) {
        if (warnedKeys.has(key)) continue;
        if (warnedKeys.size < REMEMBERED_UNKNOWN_KEYS) warnedKeys.add(key);
        sayUnknownKeys(unknownKeys.add(key.length > LOGGED_KEY_LENGTH ? `${key.slice(0, LOGGED_KEY_LENGTH)}…` : key, nowMs));
      }
      const registration = registry.register(metricName, spec, scaledObject, nowMs);
      if (registration.kind === 'over-limit') {
        instruments.workerSetsOverLimitTotal.inc();
        sayOverLimit(overLimit.add(metricName, nowMs));
        return;
      }
      if (registration.kind !== 'new') return;
      instruments.workerSetsTracked.set(registry.size);
      logger.info({ workerSet: metricName, metastore: spec.metastore, queues: spec.queues, scaledObject: `${scaledObject.namespace}/${scaledObject.name}` }, 'new worker set');
      const snapshot = context.latestSnapshot(spec.metastore);
      if (snapshot !== undefined) recordWorkerSet(instruments, registration.set, snapshot, nowMs, context.decisions);
    },
    streamsChanged: (open: number): void => instruments.openStreams.set(open),
    pushed: (metastore: string): void => instruments.pushEventsTotal.inc({ metastore }),
    flush: (): void => {
      const nowMs = clock.now();
      sayUnknownKeys(unknownKeys.flush(nowMs));
      sayOverLimit(overLimit.flush(nowMs));
    },
  };
}

/** Snapshot freshness gauges and the count of tracked worker sets. */
export function refreshGauges(context: ObserverContext, report: HealthReport): void {
  const { instruments, registry } = context;
  for (const metastore of report.metastores) {
    // No sample until there is an age to tell: +Inf would poison every avg() and max() over it.
    if (metastore.snapshotAgeMs === null) instruments.snapshotAgeSeconds.remove({ metastore: metastore.name });
    else instruments.snapshotAgeSeconds.set({ metastore: metastore.name }, metastore.snapshotAgeMs / 1000);
    instruments.snapshotFresh.set({ metastore: metastore.name }, metastore.fresh ? 1 : 0);
  }
  instruments.workerSetsTracked.set(registry.size);
}

/**
 * Scale-in's reports, by worker set. The ScaledObject's namespace is `scaled_object_namespace`,
 * not `namespace`: a ServiceMonitor sets `namespace` to the scaler's own and, with honorLabels
 * false (the default), renames a scraped `namespace` to `exported_namespace` (Prometheus
 * `honor_labels`, prometheus-operator's ServiceMonitor `honorLabels`).
 */
export function scaleInObserver(instruments: Instruments): ScaleInReports {
  const labelsOf = (target: ScaleInTargetName): { scaled_object_namespace: string; worker_set: string } => ({
    scaled_object_namespace: target.namespace,
    worker_set: target.metricName,
  });
  return {
    planned: (target, counts, reported): void => {
      const labels = labelsOf(target);
      instruments.scaleInWorkers.set({ ...labels, state: 'busy' }, counts.busy);
      instruments.scaleInWorkers.set({ ...labels, state: 'idle' }, counts.idle);
      instruments.scaleInWorkers.set({ ...labels, state: 'draining' }, counts.draining);
      instruments.scaleInReportedWorkers.set(labels, reported);
    },
    patched: (outcome: 'ok' | 'error'): void => instruments.scaleInPatchesTotal.inc({ outcome }),
    drained: (count: number): void => instruments.scaleInDrainsTotal.inc(count),
    restored: (count: number): void => instruments.scaleInRestoresTotal.inc(count),
    failed: (step: string, code: string): void => instruments.scaleInFailuresTotal.inc({ step, code }),
    brokerAvailable: (available: boolean): void => instruments.scaleInCapability.set({ capability: 'broker' }, available ? 1 : 0),
    forgotten: (target): void => {
      const labels = labelsOf(target);
      for (const state of ['busy', 'idle', 'draining']) instruments.scaleInWorkers.remove({ ...labels, state });
      instruments.scaleInReportedWorkers.remove(labels);
    },
    overLimit: (): void => instruments.scaleInTargetsOverLimitTotal.inc(),
  };
}
