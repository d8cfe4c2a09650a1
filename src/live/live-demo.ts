import { fileURLToPath } from 'node:url';

import { credentials } from '@grpc/grpc-js';
import type { Client } from '@grpc/grpc-js';
import { Gauge } from 'prom-client';

import { coerceError } from '../core/errors.js';
import { PromMetric } from '../core/metric-names.js';
import type { PodDirectory, WorkerControl } from '../core/ports.js';
import type { EmbeddedMetastore } from '../demo/embedded-metastore.js';
import type { ScaledObjectSpec } from '../demo/scaled-object-example.js';
import { loadExternalScaler } from '../grpc/proto.js';
import { loadWorkload } from '../sim/command.js';
import type { SimConfig } from '../sim/model/config.js';
import { DEFAULT_CONFIG } from '../sim/model/config.js';
import { Stream, createRng } from '../sim/model/random.js';
import type { Workload } from '../sim/model/workload.js';
import type { Instruments } from '../telemetry/metrics.js';
import { CeleryWorkers, WORKER_POD_LABELS } from './celery-workers.js';
import type { QueueCounts, ServiceView } from './dashboard.js';
import { renderFrame } from './dashboard.js';
import { KedaController } from './keda-controller.js';
import { grpcScalerEndpoint } from './scaler-endpoint.js';
import { TaskFeeder } from './task-feeder.js';
import type { TerminalView } from './terminal.js';
import { VirtualClock } from './virtual-clock.js';
import { simulatedPodDirectory, simulatedWorkerControl } from './worker-ports.js';

export const DEFAULT_LIVE_SCENARIO = fileURLToPath(new URL('../sim/scenarios/live-demo.yaml', import.meta.url));

/** The ScaledObject the simulated KEDA plays: its name, and its worker Deployment's. */
const SCALED_OBJECT = { name: 'airflow-worker', namespace: 'airflow' } as const;

export interface LiveDemoOptions {
  readonly metastore: EmbeddedMetastore;
  readonly scenarioFile: string;
  readonly speed: number;
  readonly view: TerminalView;
}

/** What the demo needs of the running service. */
export interface DemoService {
  readonly grpcPort: number;
  readonly httpPort: number;
  readonly instruments: Instruments;
}

export interface LiveDemo {
  readonly settings: SimConfig;
  /** Workload seconds the demo starts at: what came before is in the metastore as history. */
  readonly playFrom: number;
  /** The simulated workers as the service's scale-in sees them: pods and Celery remote control. */
  readonly scaleInPorts: { readonly pods: PodDirectory; readonly control: WorkerControl };
  /** The ScaledObject the simulated KEDA plays, its trigger metadata exactly what KEDA sends. */
  scaledObject(scalerAddress: string): ScaledObjectSpec;
  /** Starts KEDA, the HPA, the scheduler and the frame against the running service. */
  start(service: DemoService): void;
  stop(): void;
}

const STEP_MS = 200;
const FRAME_MS = 1_000;
// Without a terminal, print a frame this often instead of redrawing.
const LOG_FRAME_MS = 10_000;

async function total(metric: { get(): Promise<{ values: readonly { value: number }[] }> }): Promise<number> {
  return (await metric.get()).values.reduce((sum, v) => sum + v.value, 0);
}

async function serviceView(instruments: Instruments): Promise<ServiceView> {
  const formula = (await instruments.workerSetFormulaWorkers.get()).values;
  const forecast = (await instruments.workerSetForecastTasks.get()).values;
  const due = (await instruments.dueDags.get()).values;
  return {
    formula: formula.length === 0 ? null : Math.max(...formula.map((v) => v.value)),
    forecastTasks: forecast.length === 0 ? null : forecast.reduce((sum, v) => sum + v.value, 0),
    dueDags: due.length === 0 ? null : due.reduce((sum, v) => sum + v.value, 0),
    drained: await total(instruments.scaleInDrainsTotal),
    restored: await total(instruments.scaleInRestoresTotal),
    pollErrors: await total(instruments.pollErrorsTotal),
  };
}

/** Margin before the first forecast shows: time to see the idle state first. */
const PLAY_BEFORE_FORECAST_SECONDS = 90;

/**
 * Where the demo starts in the workload: shortly before the lead of the first scheduled run whose
 * DAG ran before (so the service has a history to size its forecast); 0 without one.
 */
export function playFromOf(workload: Workload, leadSeconds: number): number {
  const runs = workload.runs;
  if (runs === null) return 0;
  const seen = new Set<number>();
  let first = Number.POSITIVE_INFINITY;
  const order = [...runs.runAfter.keys()].filter((r) => runs.runScheduled[r] === 1).sort((a, b) => (runs.runAfter[a] as number) - (runs.runAfter[b] as number));
  for (const run of order) {
    const dag = runs.runDag[run] as number;
    if (seen.has(dag)) {
      first = runs.runAfter[run] as number;
      break;
    }
    seen.add(dag);
  }
  return Number.isFinite(first) ? Math.max(0, first - leadSeconds - PLAY_BEFORE_FORECAST_SECONDS) : 0;
}

/**
 * The service's lead is wall-clock seconds; the demo's clock runs `speed` times faster, so the
 * scenario's lead (virtual seconds) is divided by it, and at least 1 s (the metadata's minimum).
 */
export function realLeadSeconds(virtualLeadSeconds: number, speed: number): number {
  return Math.max(1, Math.round(virtualLeadSeconds / speed));
}

/**
 * The whole loop for real, sped up: the scenario's tasks are written to the embedded metastore,
 * simulated Celery workers claim and finish them there, and a simulated KEDA + HPA asks the real
 * gRPC service how many workers to run. The service's scale-in drains and ranks the simulated
 * workers (scaleIn: drain) through `scaleInPorts`, and pre-warms for the scheduled runs the
 * feeder announces in `dag` (prewarm: schedule). The terminal shows it; /metrics serves the same numbers.
 */
export function prepareLiveDemo(options: LiveDemoOptions): LiveDemo {
  const { workload, scenario } = loadWorkload({ kind: 'scenario', file: options.scenarioFile }, undefined);
  const settings: SimConfig = { ...DEFAULT_CONFIG, ...scenario?.settings };
  const queues = settings.queues ?? workload.queueNames;
  const clock = new VirtualClock(options.speed);
  const playFrom = playFromOf(workload, settings.prewarmLeadSeconds);
  const feeder = new TaskFeeder(workload, options.metastore, clock, playFrom);
  const leadSeconds = realLeadSeconds(settings.prewarmLeadSeconds, options.speed);
  const workers = new CeleryWorkers(
    {
      queues,
      concurrency: settings.workerConcurrency,
      startup: settings.podStartup,
      terminationGracePeriodSeconds: settings.terminationGracePeriodSeconds,
    },
    options.metastore,
    clock,
    createRng(settings.seed, Stream.pods),
    feeder.durations,
  );
  const selector = Object.entries(WORKER_POD_LABELS).map(([key, value]) => `${key}=${value}`).join(',');
  const scaledObject = (scalerAddress: string): ScaledObjectSpec => ({
    ...SCALED_OBJECT,
    target: SCALED_OBJECT.name,
    pollingInterval: settings.pollingInterval,
    cooldownPeriod: settings.cooldownPeriod,
    initialCooldownPeriod: settings.initialCooldownPeriod,
    minReplicaCount: settings.minReplicaCount,
    maxReplicaCount: settings.maxReplicaCount,
    fallback: null,
    behavior: settings.hpaBehavior,
    triggerType: settings.trigger,
    metadata: {
      scalerAddress,
      queues: queues.join(','),
      workerConcurrency: String(settings.workerConcurrency),
      minReplicaCount: String(settings.minReplicaCount),
      maxReplicaCount: String(settings.maxReplicaCount),
      activationThreshold: String(settings.activationThreshold),
      // The demo shows drain-then-remove, whatever the scenario's own scaleInPolicy.
      scaleIn: 'drain',
      workerPodSelector: selector,
      // And pre-warming for scheduled runs, whatever the scenario says.
      prewarm: 'schedule',
      prewarmLeadSeconds: String(leadSeconds),
      prewarmHistoryRuns: String(settings.prewarmHistoryRuns),
    },
    metadataComments: {
      prewarmLeadSeconds: `wall-clock: ${settings.prewarmLeadSeconds} s of the demo's time at ×${options.speed}`,
    },
  });

  const timers: NodeJS.Timeout[] = [];
  let keda: KedaController | undefined;
  let client: Client | undefined;
  let registry: Instruments['registry'] | undefined;

  const start = (service: DemoService): void => {
    const { Client: ScalerClient } = loadExternalScaler();
    const address = `127.0.0.1:${service.grpcPort}`;
    client = new ScalerClient(address, credentials.createInsecure());
    const so = scaledObject(address);
    const controller = new KedaController(
      grpcScalerEndpoint(client, { name: so.name, namespace: so.namespace, scalerMetadata: so.metadata }),
      {
        minReplicaCount: settings.minReplicaCount,
        maxReplicaCount: settings.maxReplicaCount,
        pollingInterval: settings.pollingInterval,
        cooldownPeriod: settings.cooldownPeriod,
        initialCooldownPeriod: settings.initialCooldownPeriod,
        push: settings.trigger === 'external-push',
        hpaSyncPeriodSeconds: settings.hpaSyncPeriodSeconds,
        hpaTolerance: settings.hpaTolerance,
        hpaBehavior: settings.hpaBehavior,
      },
      clock,
      // The HPA's statusReplicas is the Deployment's status.replicas: every pod not terminating,
      // starting and draining ones included, as the simulator counts it (nStarting + nReady).
      () => {
        const { starting, ready, draining } = workers.counts();
        return starting + ready + draining;
      },
      (replicas) => workers.scaleTo(replicas),
    );
    keda = controller;
    registry = service.instruments.registry;
    const pods = new Gauge({
      name: PromMetric.demoWorkerPods,
      help: 'demo only: simulated Celery worker pods by state (starting, ready, draining: told to stop consuming, terminating).',
      labelNames: ['state'],
      registers: [registry],
    });

    // The dag rows and the history first; until then the steps wait.
    const prepared = feeder.prepare();
    let stepping = false;
    timers.push(
      setInterval(() => {
        if (stepping) return;
        stepping = true;
        prepared
          .then(() => feeder.step())
          .then(() => workers.step())
          .catch((err: unknown) => options.view.log(`demo: step failed: ${coerceError(err).stack ?? coerceError(err).message}`))
          .finally(() => {
            stepping = false;
          });
      }, STEP_MS),
    );

    let lastLogged = 0;
    const draw = async (): Promise<void> => {
      const rows = await options.metastore.query<{ queue: string; state: string; count: number }>(
        "SELECT queue, state, count(*)::int AS count FROM task_instance WHERE state IN ('queued', 'running') GROUP BY queue, state",
      );
      const counts: QueueCounts[] = queues.map((queue) => ({
        queue,
        queued: rows.find((r) => r.queue === queue && r.state === 'queued')?.count ?? 0,
        running: rows.find((r) => r.queue === queue && r.state === 'running')?.count ?? 0,
      }));
      const workerCounts = workers.counts();
      pods.set({ state: 'starting' }, workerCounts.starting);
      pods.set({ state: 'ready' }, workerCounts.ready);
      pods.set({ state: 'draining' }, workerCounts.draining);
      pods.set({ state: 'terminating' }, workerCounts.terminating);
      const next = feeder.nextRun();
      const lines = renderFrame({
        virtualSeconds: clock.now() + playFrom,
        speed: options.speed,
        queues: counts,
        workers: workerCounts,
        keda: controller.state(),
        service: await serviceView(service.instruments),
        nextRun: next === null ? null : { dagId: next.dagId, inSeconds: next.dueAt - playFrom - clock.now() },
        concurrency: settings.workerConcurrency,
        minReplicaCount: settings.minReplicaCount,
        maxReplicaCount: settings.maxReplicaCount,
        httpPort: service.httpPort,
      });
      if (options.view.interactive) {
        options.view.frame(lines);
      } else if (Date.now() - lastLogged >= LOG_FRAME_MS) {
        lastLogged = Date.now();
        options.view.log(lines.join('\n'));
      }
    };
    timers.push(setInterval(() => void draw().catch(() => undefined), FRAME_MS));
    controller.start();
  };

  return {
    settings,
    playFrom,
    scaleInPorts: { pods: simulatedPodDirectory(workers, SCALED_OBJECT.namespace), control: simulatedWorkerControl(workers) },
    scaledObject,
    start,
    stop: () => {
      for (const timer of timers) clearInterval(timer);
      keda?.stop();
      client?.close();
      options.view.stop();
      registry?.removeSingleMetric(PromMetric.demoWorkerPods);
    },
  };
}
