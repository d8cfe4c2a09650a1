import { describe, expect, it } from 'vitest';

import { defaultBehavior } from '../../../src/core/hpa-behavior.js';
import { parseScenario } from '../../../src/sim/input/scenario.js';
import { generateWorkload } from '../../../src/sim/input/workload-generation.js';
import type { SimConfig } from '../../../src/sim/model/config.js';
import { DEFAULT_CONFIG } from '../../../src/sim/model/config.js';
import { fixed } from '../../../src/sim/model/distribution.js';
import { runSimulation } from '../../../src/sim/model/simulation.js';
import { pairedDifference } from '../../../src/sim/model/statistics.js';
import { replicationConfig } from '../../../src/sim/sweep.js';
import { burst, simConfig, workloadOf } from './support.js';

/** 24 hourly bursts of 50 one-minute tasks, each queued exactly on the hour, as cron-driven Airflow work is. */
const HOURLY = generateWorkload(
  parseScenario(
    `duration: 24h
queues:
  default:
    duration: 60s
    arrivals:
      - burst: {tasks: 50, cron: "0 * * * *"}
`,
    'hourly.yaml',
  ),
  1,
);

function meanWaits(config: SimConfig, replications: number): number[] {
  return Array.from({ length: replications }, (_, r) => runSimulation(HOURLY, replicationConfig(config, r)).metrics.queueWaitSeconds.mean);
}

describe("KEDA's poll phase, drawn per replication", () => {
  const base: SimConfig = { ...DEFAULT_CONFIG, podStartup: fixed(30), seed: 1 };
  const replications = 400;

  it('makes pollingInterval 60 cost about (60 − 5) / 2 s more mean wait than 5 on hour-aligned bursts', () => {
    const five = meanWaits({ ...base, pollingInterval: 5 }, replications);
    const sixty = meanWaits({ ...base, pollingInterval: 60 }, replications);
    const extra = pairedDifference(sixty, five);
    process.stdout.write(`hourly bursts: pollingInterval 60 − 5 costs ${extra.mean.toFixed(2)} s of mean wait [${extra.low.toFixed(2)}, ${extra.high.toFixed(2)}]\n`);
    // A burst waits for the next poll: uniform over the period, P / 2 on average.
    expect(extra.mean).toBeGreaterThan(27.5 * 0.9);
    expect(extra.mean).toBeLessThan(27.5 * 1.1);
    expect(extra.low).toBeLessThan(27.5);
    expect(extra.high).toBeGreaterThan(27.5);
  });

  it('makes the pollingInterval cost about nothing with external-push, which activates on the scaler tick', () => {
    const push = { ...base, trigger: 'external-push' as const };
    const extra = pairedDifference(meanWaits({ ...push, pollingInterval: 60 }, 50), meanWaits({ ...push, pollingInterval: 5 }, 50));
    expect(Math.abs(extra.mean)).toBeLessThan(0.5);
  });

  it('draws each loop\'s phase uniformly over its period, in whole milliseconds, independently', () => {
    // Phases as run are reported in the result's config; an empty workload runs in no time.
    const n = 2000;
    const configs = Array.from({ length: n }, (_, r) => runSimulation(workloadOf([]), replicationConfig({ ...base, pollingInterval: 60 }, r)).config);
    const poll = configs.map((c) => (c.kedaPollOffsetSeconds as number) / 60);
    const hpa = configs.map((c) => (c.hpaSyncOffsetSeconds as number) / 15);
    for (const c of configs) {
      const ms = (c.kedaPollOffsetSeconds as number) * 1000;
      expect(Math.abs(ms - Math.round(ms))).toBeLessThan(1e-6);
    }
    // Kolmogorov–Smirnov against U(0, 1) at the 1 % level (critical value 1.63 / sqrt(n)).
    const ks = (xs: number[]): number => {
      const sorted = [...xs].sort((a, b) => a - b);
      return Math.max(...sorted.map((x, i) => Math.max(Math.abs(x - (i + 1) / n), Math.abs(x - i / n))));
    };
    expect(ks(poll)).toBeLessThan(1.63 / Math.sqrt(n));
    expect(ks(hpa)).toBeLessThan(1.63 / Math.sqrt(n));
    // Uncorrelated (|r| < 0.1, far beyond the 1 % level of 0.058 for n = 2000).
    const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
    const mp = mean(poll);
    const mh = mean(hpa);
    const cov = mean(poll.map((p, i) => (p - mp) * ((hpa[i] as number) - mh)));
    expect(Math.abs(cov / Math.sqrt(mean(poll.map((p) => (p - mp) ** 2)) * mean(hpa.map((h) => (h - mh) ** 2))))).toBeLessThan(0.1);
  });
});

describe('the HPA with behavior at every phase (whole-millisecond time)', () => {
  // 1,000 tasks at t = 0 want 63 workers of 16 slots (they run 300 s: busy through the ramp). Default behavior allows max(4 pods, 100 %)
  // per 15 s: 1 → 5 → 10 → 20 → 40 → 63 on consecutive syncs. In floating point an HPA phase of
  // 11.288 s once lost the sync at 41.288 s (41.288 − 15 = 26.287999…, so the scale-up of exactly
  // one period earlier still counted against the budget).
  const workload = workloadOf(burst(1000, 0, 300));
  const config = simConfig({ workerConcurrency: 16, maxReplicaCount: 100, hpaBehavior: defaultBehavior({}) });

  function ramp(pollPhaseMs: number, hpaPhaseMs: number): { to: number[]; gapsMs: number[] } {
    const result = runSimulation(workload, { ...config, pollingInterval: 30, kedaPollOffsetSeconds: pollPhaseMs / 1000, hpaSyncOffsetSeconds: hpaPhaseMs / 1000 }, { recordLog: true });
    const ups = (result.log?.scale ?? []).filter((e) => e.cause === 'hpa').slice(0, 5);
    const times = ups.map((e) => Math.round(e.time * 1000));
    return { to: ups.map((e) => e.to), gapsMs: times.slice(1).map((t, i) => t - (times[i] as number)) };
  }

  it('goes 1 → 5 → 10 → 20 → 40 → 63 on consecutive syncs for every HPA phase, millisecond by millisecond', () => {
    for (let hpa = 0; hpa < 15_000; hpa += 1) {
      const { to, gapsMs } = ramp(0, hpa);
      if (to.join() !== '5,10,20,40,63' || gapsMs.some((g) => g !== 15_000)) {
        expect({ hpa, to, gapsMs }).toEqual({ hpa, to: [5, 10, 20, 40, 63], gapsMs: [15_000, 15_000, 15_000, 15_000] });
      }
    }
  }, 120_000);

  it('does so for KEDA poll phases too', () => {
    for (let poll = 0; poll < 30_000; poll += 997) {
      for (const hpa of [0, 1, 7_500, 11_288, 14_999]) {
        expect(ramp(poll, hpa), `poll ${poll} ms, hpa ${hpa} ms`).toEqual({ to: [5, 10, 20, 40, 63], gapsMs: [15_000, 15_000, 15_000, 15_000] });
      }
    }
  });
});
