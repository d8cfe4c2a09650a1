import { describe, expect, it } from 'vitest';

import type { SimConfig } from '../../../src/sim/model/config.js';
import { DEFAULT_CONFIG } from '../../../src/sim/model/config.js';
import { fixed } from '../../../src/sim/model/distribution.js';
import { parseScenario } from '../../../src/sim/input/scenario.js';
import { generateWorkload } from '../../../src/sim/input/workload-generation.js';
import { runSimulation } from '../../../src/sim/model/simulation.js';

/** Erlang C: the mean wait in an M/M/c queue with arrival rate λ and mean service time 1/μ. */
function erlangCMeanWait(c: number, lambda: number, meanService: number): number {
  const a = lambda * meanService;
  let term = 1;
  let sum = 1;
  for (let k = 1; k < c; k++) {
    term *= a / k;
    sum += term;
  }
  const last = (term * a) / c / (1 - a / c);
  const pWait = last / (sum + last);
  return pWait / (c / meanService - lambda);
}

describe('fixed workers on a Poisson/exponential workload (M/M/c)', () => {
  it.each([
    { c: 10, utilisation: 0.8, seed: 1, tasks: 400_000 },
    { c: 4, utilisation: 0.75, seed: 2, tasks: 400_000 },
    // Near saturation the wait is strongly autocorrelated: a longer run for the same precision.
    { c: 25, utilisation: 0.9, seed: 3, tasks: 1_500_000 },
  ])('mean wait agrees with Erlang C within 5 % (c = $c, utilisation $utilisation)', ({ c, utilisation, seed, tasks }) => {
    const meanService = 60;
    const perMinute = (utilisation * c * 60) / meanService;
    // The workload goes through the scenario path: YAML, Poisson arrivals, exponential durations.
    const scenario = parseScenario(
      `duration: ${Math.round((tasks / perMinute) * 60)}s
queues:
  default:
    duration: {distribution: exponential, mean: ${meanService}s}
    arrivals:
      - poisson: {ratePerMinute: ${perMinute}}
`,
      'mmc.yaml',
    );
    const workload = generateWorkload(scenario, seed);
    // min = max = c, concurrency 1, no start latency: c servers, FIFO.
    const config: SimConfig = {
      ...DEFAULT_CONFIG,
      workerConcurrency: 1,
      minReplicaCount: c,
      maxReplicaCount: c,
      podStartup: fixed(0),
      seed,
    };
    const result = runSimulation(workload, config);
    const expected = erlangCMeanWait(c, perMinute / 60, meanService);
    const measured = result.metrics.queueWaitSeconds.mean;
    const error = measured / expected - 1;
    process.stdout.write(`M/M/${c} at ${utilisation}: Erlang C ${expected.toFixed(3)} s, simulated ${measured} s (${(error * 100).toFixed(2)} %)\n`);
    expect(result.metrics.tasks.unfinished).toBe(0);
    expect(result.metrics.scaleEvents).toBe(0);
    expect(Math.abs(error)).toBeLessThan(0.05);
  });
});
