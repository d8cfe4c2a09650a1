import { describe, expect, it } from 'vitest';

import { defaultBehavior } from '../../../src/core/hpa-behavior.js';
import { DEFAULT_CONFIG } from '../../../src/sim/model/config.js';
import { SimInputError } from '../../../src/sim/input/errors.js';
import type { RunMetrics } from '../../../src/sim/model/metrics.js';
import { expandGrid, paretoFrontier, parseSweepAxis, recommend } from '../../../src/sim/sweep.js';

function run(workerSeconds: number, p95: number, unfinished = 0, killed = 0): RunMetrics {
  return {
    queueWaitSeconds: { mean: 0, p50: 0, p95, p99: 0, max: 0 },
    tasksKilled: killed,
    drains: 0,
    restores: 0,
    workerSeconds,
    idleFraction: 0,
    peakWorkers: 0,
    scaleEvents: 0,
    scaleEventsByCause: {},
    underProvisionedSeconds: 0,
    elasticity: { underProvisioningAccuracy: 0, overProvisioningAccuracy: 0, underProvisioningTimeshare: 0, overProvisioningTimeshare: 0, instability: 0 },
    tasks: { total: 1, completed: 1 - unfinished, unfinished, attempts: 1 },
    simulatedSeconds: 1,
  };
}

describe('sweep grid', () => {
  it('expands every combination, the last axis fastest', () => {
    const grid = expandGrid(DEFAULT_CONFIG, [parseSweepAxis('polling=1,30'), parseSweepAxis('cooldown=60,300,600')]);
    expect(grid.map((cell) => [cell.config.pollingInterval, cell.config.cooldownPeriod])).toEqual([
      [1, 60], [1, 300], [1, 600], [30, 60], [30, 300], [30, 600],
    ]);
  });

  it('switches the HPA to behavior policies (Kubernetes defaults) when the stabilization window is swept', () => {
    const [cell] = expandGrid(DEFAULT_CONFIG, [parseSweepAxis('stabilization=120')]);
    expect(DEFAULT_CONFIG.hpaBehavior).toBeNull();
    expect(cell?.config.hpaBehavior).toEqual(defaultBehavior({ scaleDown: { stabilizationWindowSeconds: 120 } }));
  });

  it('refuses unknown parameters and bad values, naming them', () => {
    expect(() => parseSweepAxis('poling=1,5')).toThrow(SimInputError);
    expect(() => parseSweepAxis('poling=1,5')).toThrow('unknown parameter "poling" (known: polling, cooldown, min, max, stabilization, concurrency, startup, grace, push)');
    expect(() => parseSweepAxis('polling=1,0,x')).toThrow('--sweep polling: value "0" must be a whole number from 1 to 86400');
  });
});

describe('Pareto frontier and recommendation', () => {
  const runs = [run(100, 50), run(80, 60), run(120, 40), run(90, 70), run(70, 200, 3), run(150, 40)];

  it('keeps the runs no other run beats on both cost and p95 wait, cheapest first', () => {
    // #3 (index 3) is beaten by index 1; index 4 left tasks unfinished; index 5 ties index 2 on p95 but costs more.
    expect(paretoFrontier(runs)).toEqual([1, 0, 2]);
  });

  it('recommends the cheapest run that meets the p95 SLO, or none', () => {
    expect(recommend(runs, 55)).toBe(0);
    expect(recommend(runs, 60)).toBe(1);
    expect(recommend(runs, 10)).toBeNull();
  });
});
