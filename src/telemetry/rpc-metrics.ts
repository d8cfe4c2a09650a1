import type { Registry } from 'prom-client';

/*
 * The RPC counter and latency histogram, recorded without prom-client on the hot path. prom-client
 * validates and hashes the label object on every observation, even through a child bound by
 * `labels()`; at tens of thousands of requests a second that was the largest cost of a GetMetrics
 * answer besides grpc-js itself. Here an observation is two array writes on a series found once
 * per (method, code); prom-client reads the totals only when /metrics is scraped.
 */

/** Seconds; the same buckets as before, so dashboards keep working. */
export const RPC_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.1] as const;

interface Series {
  readonly method: string;
  readonly code: string;
  /** Every answer, streams included. */
  requests: number;
  /** Observations per bucket (not cumulative; summed when scraped), the last one is +Inf. */
  readonly buckets: Float64Array;
  sum: number;
  /** Timed answers: unary calls (a stream's duration is its lifetime, not an answer's). */
  count: number;
}

interface MetricValue {
  readonly value: number;
  readonly labels: Record<string, string>;
  readonly metricName?: string;
}

/** What prom-client's Registry needs of a metric to print it (`Registry.getMetricsAsString`). */
interface CollectedMetric {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'histogram';
  readonly aggregator: 'sum';
  get(): Promise<{ name: string; help: string; type: string; values: MetricValue[]; aggregator: 'sum' }>;
  reset(): void;
}

export class RpcMetrics {
  private readonly byMethod = new Map<string, Map<string, Series>>();

  /** Records one answered RPC: its gRPC status name and, for unary calls, how long it took. */
  record(method: string, code: string, durationMs: number | null): void {
    let byCode = this.byMethod.get(method);
    if (byCode === undefined) {
      byCode = new Map();
      this.byMethod.set(method, byCode);
    }
    let series = byCode.get(code);
    if (series === undefined) {
      series = { method, code, requests: 0, buckets: new Float64Array(RPC_BUCKETS.length + 1), sum: 0, count: 0 };
      byCode.set(code, series);
    }
    series.requests += 1;
    if (durationMs === null) return;
    const seconds = durationMs / 1000;
    let bucket = 0;
    while (bucket < RPC_BUCKETS.length && seconds > (RPC_BUCKETS[bucket] as number)) bucket += 1;
    series.buckets[bucket] = (series.buckets[bucket] as number) + 1;
    series.sum += seconds;
    series.count += 1;
  }

  private *series(): Generator<Series> {
    for (const byCode of this.byMethod.values()) yield* byCode.values();
  }

  /** Registers `<requests>` (counter by method, code) and `<duration>` (histogram by method, code). */
  register(registry: Registry, names: { readonly requests: string; readonly duration: string }): void {
    const requests: CollectedMetric = {
      name: names.requests,
      help: 'gRPC requests handled, by method and gRPC status code name.',
      type: 'counter',
      aggregator: 'sum',
      get: () =>
        Promise.resolve({
        name: names.requests,
        help: requests.help,
        type: 'counter',
        aggregator: 'sum',
        values: [...this.series()].map((s) => ({ value: s.requests, labels: { method: s.method, code: s.code } })),
      }),
      reset: () => this.byMethod.clear(),
    };
    const duration: CollectedMetric = {
      name: names.duration,
      help: 'Time to answer a gRPC request, by method and gRPC status code name.',
      type: 'histogram',
      aggregator: 'sum',
      get: () => {
        const values: MetricValue[] = [];
        for (const s of this.series()) {
          if (s.count === 0) continue;
          const labels = { method: s.method, code: s.code };
          let cumulative = 0;
          RPC_BUCKETS.forEach((bound, i) => {
            cumulative += s.buckets[i] as number;
            values.push({ metricName: `${names.duration}_bucket`, value: cumulative, labels: { le: String(bound), ...labels } });
          });
          values.push({ metricName: `${names.duration}_bucket`, value: s.count, labels: { le: '+Inf', ...labels } });
          values.push({ metricName: `${names.duration}_sum`, value: s.sum, labels });
          values.push({ metricName: `${names.duration}_count`, value: s.count, labels });
        }
        return Promise.resolve({ name: names.duration, help: duration.help, type: 'histogram', aggregator: 'sum', values });
      },
      reset: () => this.byMethod.clear(),
    };
    registry.registerMetric(requests as unknown as Parameters<Registry['registerMetric']>[0]);
    registry.registerMetric(duration as unknown as Parameters<Registry['registerMetric']>[0]);
  }
}
