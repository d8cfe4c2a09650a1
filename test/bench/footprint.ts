import type { ClientReadableStream } from '@grpc/grpc-js';

import { connectScaler } from '../support/grpc-client.js';
import { buildPod, startKubeApiServer } from '../support/kube-api-server.js';
import { resolveTestRedis } from '../support/redis.js';
import type { BenchEnvironment } from './environment.js';
import type { Figures } from './figures.js';
import { round } from './figures.js';
import { getMetricsLoad } from './rpc-load.js';
import { startServiceProcess, waitReady } from './service-process.js';

const STREAMS = 1_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Least-squares slope of RSS over time, in MiB per minute. */
function slopePerMinute(samples: readonly { t: number; rss: number }[]): number {
  const n = samples.length;
  if (n < 2) return 0;
  const mt = samples.reduce((s, x) => s + x.t, 0) / n;
  const mr = samples.reduce((s, x) => s + x.rss, 0) / n;
  const num = samples.reduce((s, x) => s + (x.t - mt) * (x.rss - mr), 0);
  const den = samples.reduce((s, x) => s + (x.t - mt) ** 2, 0);
  return den === 0 ? 0 : (num / den) * 60_000;
}

/**
 * 5. Footprint: RSS idle; then with 1,000 open StreamIsActive streams and 64 callers of
 * GetMetrics for `soakSeconds`, sampled every few seconds to show whether it grows.
 */
export async function benchFootprint(env: BenchEnvironment, soakSeconds: number): Promise<Figures> {
  const service = await startServiceProcess({ SCALER_DATABASE_URL: env.oursUrl });
  const client = connectScaler(service.grpcPort);
  const streams: ClientReadableStream<unknown>[] = [];
  const samples: { t: number; rss: number }[] = [];
  let idle: number;
  let peak = 0;
  try {
    await waitReady(service.httpPort);
    await sleep(3_000);
    idle = service.rssMiB();
    for (let i = 0; i < STREAMS; i += 1) {
      const stream = client.streamIsActive({ queues: `queue_${i % 10}`, activationThreshold: String(i) });
      stream.on('error', () => undefined);
      streams.push(stream);
    }
    const started = Date.now();
    const sampler = setInterval(() => {
      const rss = service.rssMiB();
      peak = Math.max(peak, rss);
      samples.push({ t: Date.now() - started, rss });
    }, Math.max(1_000, (soakSeconds * 1000) / 60));
    try {
      const load = await getMetricsLoad(client, { queues: 'queue_0' }, 64, soakSeconds);
      if (load.errors > 0) throw new Error(`${load.errors} GetMetrics calls failed during the soak`);
    } finally {
      clearInterval(sampler);
    }
  } finally {
    for (const stream of streams) stream.cancel();
    client.close();
    await service.stop();
  }
  const withScaleIn = await idleWithScaleIn(env);
  // Ignore the first fifth: heap growth to its working size is not a leak.
  const steady = samples.slice(Math.floor(samples.length / 5));
  const growth = (steady[steady.length - 1]?.rss ?? 0) - (steady[0]?.rss ?? 0);
  return {
    'RSS idle': { value: round(idle, 1), unit: 'MiB', goal: '≤ 80 MB' },
    'RSS idle with scale-in (Kubernetes client and broker loaded)': {
      value: round(withScaleIn, 1),
      unit: 'MiB',
      note: 'as in a cluster: @kubernetes/client-node and ioredis loaded, one worker set planned every tick',
    },
    'RSS peak, 1,000 streams + 64 GetMetrics callers': { value: round(peak, 1), unit: 'MiB', goal: '≤ 150 MB' },
    'RSS change over the soak (after warm-up)': {
      value: round(growth, 1),
      unit: 'MiB',
      note: `${soakSeconds} s soak; slope ${round(slopePerMinute(steady), 2)} MiB/min`,
      goal: 'no growth over 5 min',
    },
  };
}

/** Idle RSS as deployed in a cluster: the Kubernetes client and the broker connection in use. */
async function idleWithScaleIn(env: BenchEnvironment): Promise<number> {
  const api = await startKubeApiServer();
  const redis = await resolveTestRedis();
  api.addPods(
    ...['airflow-worker-a', 'airflow-worker-b'].map((name) =>
      buildPod({ name, namespace: 'airflow', labels: { component: 'worker' }, owner: { kind: 'ReplicaSet', name: 'airflow-worker' } }),
    ),
  );
  const service = await startServiceProcess({
    SCALER_DATABASE_URL: env.oursUrl,
    SCALER_KUBECONFIG: api.writeKubeconfig({ namespace: 'airflow' }),
    SCALER_BROKER_URL: `${redis.url}/14`,
  });
  const client = connectScaler(service.grpcPort);
  try {
    await waitReady(service.httpPort);
    await client.getMetrics({ queues: 'queue_0' }, '');
    await sleep(5_000);
    if (!api.requests.some((request) => request.method === 'GET')) throw new Error('the scaler never listed worker pods');
    return service.rssMiB();
  } finally {
    client.close();
    await service.stop();
    await api.close();
    await redis.stop();
  }
}
