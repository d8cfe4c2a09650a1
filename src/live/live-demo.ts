import { fileURLToPath } from 'node:url';

import { credentials } from '@grpc/grpc-js';
import type { Registry } from 'prom-client';
import { Gauge } from 'prom-client';

import { coerceError } from '../core/errors.js';
import { PromMetric } from '../core/metric-names.js';
import type { EmbeddedMetastore } from '../demo/embedded-metastore.js';
import { loadExternalScaler } from '../grpc/proto.js';
import { loadWorkload } from '../sim/command.js';
import type { SimConfig } from '../sim/model/config.js';
import { DEFAULT_CONFIG } from '../sim/model/config.js';
import { Stream, createRng } from '../sim/model/random.js';
import { CeleryWorkers } from './celery-workers.js';
import type { QueueCounts } from './dashboard.js';
import { renderFrame } from './dashboard.js';
import { KedaController } from './keda-controller.js';
import { grpcScalerEndpoint } from './scaler-endpoint.js';
import { TaskFeeder } from './task-feeder.js';
import { VirtualClock } from './virtual-clock.js';

export const DEFAULT_LIVE_SCENARIO = fileURLToPath(new URL('../sim/scenarios/live-demo.yaml', import.meta.url));

export interface LiveDemoOptions {
  readonly metastore: EmbeddedMetastore;
  readonly grpcPort: number;
  readonly registry: Registry;
  readonly scenarioFile: string;
  readonly speed: number;
  readonly out: { write(text: string): unknown; readonly isTTY?: boolean };
}

export interface LiveDemo {
  readonly settings: SimConfig;
  stop(): void;
}

const STEP_MS = 200;
const FRAME_MS = 1_000;
// Without a terminal, print a frame this often instead of redrawing.
const LOG_FRAME_MS = 10_000;

/**
 * The whole loop for real, sped up: the scenario's tasks are written to the embedded metastore,
 * simulated Celery workers claim and finish them there, and a simulated KEDA + HPA asks the real
 * gRPC service how many workers to run. The terminal shows it; /metrics serves the same numbers.
 */
export function startLiveDemo(options: LiveDemoOptions): LiveDemo {
  const { workload, scenario } = loadWorkload({ kind: 'scenario', file: options.scenarioFile }, undefined);
  const settings: SimConfig = { ...DEFAULT_CONFIG, ...scenario?.settings };
  const queues = settings.queues ?? workload.queueNames;
  const clock = new VirtualClock(options.speed);
  const feeder = new TaskFeeder(workload, options.metastore, clock);
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
  const { Client } = loadExternalScaler();
  const client = new Client(`127.0.0.1:${options.grpcPort}`, credentials.createInsecure());
  const metadata = {
    queues: queues.join(','),
    workerConcurrency: String(settings.workerConcurrency),
    minReplicaCount: String(settings.minReplicaCount),
    maxReplicaCount: String(settings.maxReplicaCount),
    activationThreshold: String(settings.activationThreshold),
  };
  const keda = new KedaController(
    grpcScalerEndpoint(client, { name: 'airflow-worker', namespace: 'airflow', scalerMetadata: { scalerAddress: 'demo', ...metadata } }),
    {
      minReplicaCount: settings.minReplicaCount,
      maxReplicaCount: settings.maxReplicaCount,
      pollingInterval: settings.pollingInterval,
      cooldownPeriod: settings.cooldownPeriod,
      initialCooldownPeriod: settings.initialCooldownPeriod,
      fallback: null,
      push: settings.trigger === 'external-push',
      hpaSyncPeriodSeconds: settings.hpaSyncPeriodSeconds,
      hpaTolerance: settings.hpaTolerance,
      hpaBehavior: settings.hpaBehavior,
    },
    clock,
    () => workers.counts().ready,
    (replicas) => workers.scaleTo(replicas),
  );
  const pods = new Gauge({
    name: PromMetric.demoWorkerPods,
    help: 'demo only: simulated Celery worker pods by state (starting, ready, draining).',
    labelNames: ['state'],
    registers: [options.registry],
  });

  let stepping = false;
  const stepTimer = setInterval(() => {
    if (stepping) return;
    stepping = true;
    feeder
      .step()
      .then(() => workers.step())
      .catch((err: unknown) => options.out.write(`demo: step failed: ${coerceError(err).stack ?? coerceError(err).message}\n`))
      .finally(() => {
        stepping = false;
      });
  }, STEP_MS);

  let drawnLines = 0;
  let lastLogged = 0;
  const frameTimer = setInterval(() => {
    void options.metastore
      .query<{ queue: string; state: string; count: number }>(
        "SELECT queue, state, count(*)::int AS count FROM task_instance WHERE state IN ('queued', 'running') GROUP BY queue, state",
      )
      .then((rows) => {
        const counts: QueueCounts[] = queues.map((queue) => ({
          queue,
          queued: rows.find((r) => r.queue === queue && r.state === 'queued')?.count ?? 0,
          running: rows.find((r) => r.queue === queue && r.state === 'running')?.count ?? 0,
        }));
        const workerCounts = workers.counts();
        pods.set({ state: 'starting' }, workerCounts.starting);
        pods.set({ state: 'ready' }, workerCounts.ready);
        pods.set({ state: 'draining' }, workerCounts.terminating);
        const text = renderFrame({
          virtualSeconds: clock.now(),
          speed: options.speed,
          queues: counts,
          workers: workerCounts,
          keda: keda.state(),
          concurrency: settings.workerConcurrency,
        });
        if (options.out.isTTY === true) {
          // Redraw in place: up over the previous frame, clear to the end of the screen.
          options.out.write(`${drawnLines > 0 ? `\u001b[${drawnLines}F\u001b[J` : ''}${text}\n`);
          drawnLines = text.split('\n').length;
        } else if (Date.now() - lastLogged >= LOG_FRAME_MS) {
          lastLogged = Date.now();
          options.out.write(`${text}\n`);
        }
      })
      .catch(() => undefined);
  }, FRAME_MS);

  keda.start();
  return {
    settings,
    stop: () => {
      clearInterval(stepTimer);
      clearInterval(frameTimer);
      keda.stop();
      client.close();
      options.registry.removeSingleMetric(PromMetric.demoWorkerPods);
    },
  };
}
