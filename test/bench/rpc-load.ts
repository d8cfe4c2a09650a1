import type { ScalerClient } from '../support/grpc-client.js';

export interface LoadResult {
  readonly requests: number;
  readonly errors: number;
  readonly seconds: number;
  readonly latenciesMs: number[];
}

/** `callers` concurrent loops of GetMetrics over one client (one HTTP/2 connection), for `seconds`. */
export async function getMetricsLoad(client: ScalerClient, metadata: Record<string, string>, callers: number, seconds: number): Promise<LoadResult> {
  const latenciesMs: number[] = [];
  let errors = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  const loop = async (): Promise<void> => {
    while (performance.now() < deadline) {
      const t = performance.now();
      try {
        await client.getMetrics(metadata, '');
        latenciesMs.push(performance.now() - t);
      } catch {
        errors += 1;
      }
    }
  };
  await Promise.all(Array.from({ length: callers }, loop));
  return { requests: latenciesMs.length, errors, seconds: (performance.now() - started) / 1000, latenciesMs };
}
