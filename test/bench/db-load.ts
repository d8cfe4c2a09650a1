import { connectScaler } from '../support/grpc-client.js';
import { BuiltInTriggerEmulation } from './chart-baseline.js';
import type { BenchEnvironment, BouncerStats } from './environment.js';
import { QUEUES, bouncerConnections, bouncerStats } from './environment.js';
import type { Figures } from './figures.js';
import { round } from './figures.js';
import { KedaEmulator } from './keda-emulator.js';
import { startServiceProcess, waitReady } from './service-process.js';

const POLLING_INTERVAL_S = 5;
const HPA_SYNC_S = 15;

interface Load {
  readonly queriesPerMin: number;
  readonly xactsPerMin: number;
  readonly queryMsPerMin: number;
  readonly clients: number;
  readonly servers: number;
}

function perMinute(before: BouncerStats, after: BouncerStats, virtualMinutes: number): Omit<Load, 'clients' | 'servers'> {
  return {
    queriesPerMin: (after.queries - before.queries) / virtualMinutes,
    xactsPerMin: (after.xacts - before.xacts) / virtualMinutes,
    queryMsPerMin: (after.queryTimeUs - before.queryTimeUs) / 1000 / virtualMinutes,
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * 2. Database load at equal freshness. Time is compressed by `speedup` (every interval divided by
 * it) so a virtual minute takes 60/speedup seconds; counts are reported per virtual minute.
 */
export async function benchDatabaseLoad(env: BenchEnvironment, workerSets: readonly number[], speedup: number, virtualMinutes: number): Promise<Figures> {
  const pollMs = (POLLING_INTERVAL_S * 1000) / speedup;
  const hpaMs = (HPA_SYNC_S * 1000) / speedup;
  const windowMs = (virtualMinutes * 60_000) / speedup;
  const figures: Figures = {};
  for (const sets of workerSets) {
    const queues = Array.from({ length: sets }, (_, i) => QUEUES[i % QUEUES.length] ?? 'default');

    // Baseline: one emulated built-in trigger per ScaledObject.
    const triggers = queues.map((queue) => new BuiltInTriggerEmulation(env.baselineUrl, queue));
    const baselineBefore = await bouncerStats(env.adminUrl, 'bench_baseline');
    for (const trigger of triggers) trigger.start(pollMs, hpaMs);
    await sleep(windowMs);
    const baselineConnections = await bouncerConnections(env.adminUrl, 'bench_baseline');
    const baselineAfter = await bouncerStats(env.adminUrl, 'bench_baseline');
    await Promise.all(triggers.map((t) => t.stop()));
    const baseline: Load = { ...perMinute(baselineBefore, baselineAfter, virtualMinutes), ...baselineConnections };

    // Ours: the real service, data as fresh as the baseline's pollingInterval, polled like KEDA.
    const service = await startServiceProcess({ SCALER_DATABASE_URL: env.oursUrl, SCALER_POLL_INTERVAL_MS: String(pollMs) });
    const client = connectScaler(service.grpcPort);
    try {
      await waitReady(service.httpPort);
      const keda = new KedaEmulator(client, queues.map((queue, i) => ({ queues: queue, workerConcurrency: '16', minReplicaCount: String(i % 2) })));
      const oursBefore = await bouncerStats(env.adminUrl, 'bench_ours');
      keda.start(pollMs, hpaMs);
      await sleep(windowMs);
      const oursConnections = await bouncerConnections(env.adminUrl, 'bench_ours');
      const oursAfter = await bouncerStats(env.adminUrl, 'bench_ours');
      await keda.stop();
      if (keda.errors > 0) throw new Error(`${keda.errors} KEDA-like calls failed`);
      const ours: Load = { ...perMinute(oursBefore, oursAfter, virtualMinutes), ...oursConnections };
      const label = `${sets} worker set${sets === 1 ? '' : 's'}`;
      figures[`DB transactions/min, ${label}`] = {
        value: round(ours.xactsPerMin, 1),
        unit: 'xact/min',
        baseline: round(baseline.xactsPerMin, 1),
        ratio: round(baseline.xactsPerMin / ours.xactsPerMin, 1),
        goal: sets === 50 ? '≥ 50× fewer' : undefined,
        note: 'one tick = one transaction holding the count query',
      };
      figures[`DB statements/min, ${label}`] = {
        value: round(ours.queriesPerMin, 1),
        unit: 'stmt/min',
        baseline: round(baseline.queriesPerMin, 1),
        ratio: round(baseline.queriesPerMin / ours.queriesPerMin, 1),
        note: 'ours: BEGIN, set_config, SELECT, COMMIT per tick',
      };
      figures[`DB query time/min, ${label}`] = {
        value: round(ours.queryMsPerMin, 1),
        unit: 'ms/min',
        baseline: round(baseline.queryMsPerMin, 1),
        ratio: round(baseline.queryMsPerMin / ours.queryMsPerMin, 1),
        note: 'PgBouncer SHOW STATS total_query_time',
      };
      figures[`PgBouncer client connections, ${label}`] = {
        value: ours.clients,
        unit: 'conn',
        baseline: baseline.clients,
        ratio: round(baseline.clients / Math.max(1, ours.clients), 1),
        goal: sets === 50 ? '≥ 50× fewer' : undefined,
      };
    } finally {
      client.close();
      await service.stop();
    }
  }
  return figures;
}
