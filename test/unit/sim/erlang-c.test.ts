import { describe, expect, it } from 'vitest';

import { parseScenario } from '../../../src/sim/input/scenario.js';
import { generateWorkload } from '../../../src/sim/input/workload-generation.js';
import type { SimConfig } from '../../../src/sim/model/config.js';
import { DEFAULT_CONFIG } from '../../../src/sim/model/config.js';
import { fixed } from '../../../src/sim/model/distribution.js';
import { replicationSeed } from '../../../src/sim/model/random.js';
import { runSimulation } from '../../../src/sim/model/simulation.js';
import { estimate } from '../../../src/sim/model/statistics.js';

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

/** c fixed single-slot workers (min = max = c, no start latency): c servers, FIFO. */
function fixedWorkers(c: number, seed: number): SimConfig {
  return { ...DEFAULT_CONFIG, workerConcurrency: 1, minReplicaCount: c, maxReplicaCount: c, podStartup: fixed(0), seed };
}

/** A Poisson/exponential workload through the scenario path: YAML, Poisson arrivals, exponential durations. */
function poissonScenario(perMinute: number, meanService: number, tasks: number): ReturnType<typeof parseScenario> {
  return parseScenario(
    `duration: ${Math.round((tasks / perMinute) * 60)}s
queues:
  default:
    duration: {distribution: exponential, mean: ${meanService}s}
    arrivals:
      - poisson: {ratePerMinute: ${perMinute}}
`,
    'mmc.yaml',
  );
}

describe('fixed workers on a Poisson/exponential workload (M/M/c)', () => {
  it.each([
    { c: 10, utilisation: 0.8, seed: 1, tasks: 400_000 },
    { c: 4, utilisation: 0.75, seed: 2, tasks: 400_000 },
    // Near saturation the wait is strongly autocorrelated: a longer run for the same precision.
    { c: 25, utilisation: 0.9, seed: 3, tasks: 1_500_000 },
  ])('one long run: mean wait within 5 % of Erlang C (c = $c, utilisation $utilisation)', ({ c, utilisation, seed, tasks }) => {
    const meanService = 60;
    const perMinute = (utilisation * c * 60) / meanService;
    const workload = generateWorkload(poissonScenario(perMinute, meanService, tasks), seed);
    const result = runSimulation(workload, fixedWorkers(c, seed));
    const expected = erlangCMeanWait(c, perMinute / 60, meanService);
    const error = result.metrics.queueWaitSeconds.mean / expected - 1;
    expect(result.metrics.tasks.unfinished).toBe(0);
    expect(result.metrics.scaleEvents).toBe(0);
    expect(Math.abs(error)).toBeLessThan(0.05);
  });

  it('with replications: the mean is within 2 % of Erlang C, and the 95 % interval covers it for at least 45 of 50 seeds', () => {
    // M/M/2 at utilisation 0.5 (exact mean wait 20 s); 20 replications (the command's default) of
    // 5,000 tasks each, every replication drawn from its own seed as `simulate` draws them. A
    // t interval over replications is exact only for normal figures; a run's mean wait is
    // slightly right-skewed, so a few per cent of intervals miss even without bias.
    const c = 2;
    const meanService = 60;
    const perMinute = (0.5 * c * 60) / meanService;
    const exact = erlangCMeanWait(c, perMinute / 60, meanService);
    const scenario = poissonScenario(perMinute, meanService, 5_000);
    const replications = 20;
    let covered = 0;
    const all: number[] = [];
    for (let seed = 1; seed <= 50; seed++) {
      const means: number[] = [];
      for (let r = 0; r < replications; r++) {
        const replication = replicationSeed(seed, r);
        const run = runSimulation(generateWorkload(scenario, replication), fixedWorkers(c, replication));
        expect(run.metrics.tasks.unfinished).toBe(0);
        means.push(run.metrics.queueWaitSeconds.mean);
      }
      const e = estimate(means);
      if (e.low <= exact && exact <= e.high) covered += 1;
      all.push(...means);
    }
    const grand = all.reduce((a, b) => a + b, 0) / all.length;
    process.stdout.write(`M/M/${c} at 0.5: Erlang C ${exact.toFixed(3)} s, mean of ${all.length} replications ${grand.toFixed(3)} s, interval covers it for ${covered}/50 seeds\n`);
    expect(Math.abs(grand / exact - 1)).toBeLessThan(0.02);
    expect(covered).toBeGreaterThanOrEqual(45);
  }, 120_000);
});
