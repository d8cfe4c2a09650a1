import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

import type { SimConfig } from '../../../src/sim/model/config.js';
import { DEFAULT_CONFIG } from '../../../src/sim/model/config.js';
import type { RunMetrics } from '../../../src/sim/model/metrics.js';
import { parseScenario } from '../../../src/sim/input/scenario.js';
import { generateWorkload } from '../../../src/sim/input/workload-generation.js';
import { runSimulation } from '../../../src/sim/model/simulation.js';

const SCENARIO = fileURLToPath(new URL('../../../src/sim/scenarios/long-tasks-burst.yaml', import.meta.url));

describe('scale-in policies on bursts of tasks longer than the grace period (long-tasks-burst.yaml)', () => {
  const scenario = parseScenario(readFileSync(SCENARIO, 'utf8'), SCENARIO);
  const seed = scenario.settings.seed ?? DEFAULT_CONFIG.seed;
  const workload = generateWorkload(scenario, seed);
  const base: SimConfig = { ...DEFAULT_CONFIG, ...scenario.settings, seed };
  const run = (policy: SimConfig['scaleInPolicy']): RunMetrics => runSimulation(workload, { ...base, scaleInPolicy: policy }).metrics;

  it('has tasks that outlast the grace period', () => {
    expect(base.terminationGracePeriodSeconds).toBe(600);
    expect(base.workerConcurrency).toBe(16);
    expect(base.minReplicaCount).toBe(0);
    const durations = [...workload.duration];
    expect(durations.filter((d) => d > 1200).length / durations.length).toBeGreaterThan(0.95);
  });

  it('kills tasks with scale-in off (the ReplicaSet ranking) and none with drain, at a worker-second cost within 2x', () => {
    const off = run('off');
    const drain = run('drain');

    expect(off.tasksKilled).toBeGreaterThan(0);
    expect(drain.tasksKilled).toBe(0);
    expect(drain.drains).toBeGreaterThan(0);
    for (const m of [off, drain]) expect(m.tasks.unfinished).toBe(0);

    expect(Number.isFinite(drain.workerSeconds)).toBe(true);
    expect(drain.workerSeconds).toBeGreaterThan(0);
    expect(drain.workerSeconds).toBeLessThan(2 * off.workerSeconds);
    expect(drain.workerSeconds).toBeGreaterThan(off.workerSeconds / 2);
    expect(off.drains + off.restores).toBe(0);
  });

  it('gives identical figures for the same seed', () => {
    expect(run('drain')).toEqual(run('drain'));
  });
});
