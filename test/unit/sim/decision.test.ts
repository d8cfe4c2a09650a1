import { describe, expect, it } from 'vitest';

import { decide, paretoFrontier } from '../../../src/sim/decision.js';
import type { ConfigEstimate } from '../../../src/sim/estimates.js';
import { estimateConfig } from '../../../src/sim/estimates.js';
import type { SimConfig } from '../../../src/sim/model/config.js';
import { DEFAULT_CONFIG } from '../../../src/sim/model/config.js';
import type { RunMetrics } from '../../../src/sim/model/metrics.js';
import { estimate, studentT975 } from '../../../src/sim/model/statistics.js';

interface Figures {
  readonly p95: number;
  readonly hours: number;
  readonly killed?: number;
  readonly events?: number;
  readonly unfinished?: number;
}

function metrics(f: Figures): RunMetrics {
  return {
    queueWaitSeconds: { mean: f.p95 / 3, p50: 0, p95: f.p95, p99: f.p95, max: f.p95 },
    tasksKilled: f.killed ?? 0,
    tasksFailed: 0,
    kedaCalls: 120,
    nodesProvisioned: 0,
    drains: 0,
    restores: 0,
    workerSeconds: f.hours * 3600,
    idleFraction: 0,
    peakWorkers: 1,
    scaleEvents: f.events ?? 10,
    scaleEventsByCause: {},
    underProvisionedSeconds: 0,
    elasticity: { underProvisioningAccuracy: 0, overProvisioningAccuracy: 0, underProvisioningTimeshare: 0, overProvisioningTimeshare: 0, instability: 0 },
    tasks: { total: 10, completed: 10 - (f.unfinished ?? 0), failed: 0, unfinished: f.unfinished ?? 0, attempts: 10 },
    simulatedSeconds: 3600,
  };
}

/** A configuration whose replications gave these figures. */
function config(run: number, pollingInterval: number, replications: readonly Figures[]): ConfigEstimate {
  const c: SimConfig = { ...DEFAULT_CONFIG, pollingInterval };
  return estimateConfig(run, c, false, replications.map(metrics));
}

/** Three replications around the given means (±1 on p95, ±0.1 on worker-hours). */
function around(p95: number, hours: number, extra: Partial<Figures> = {}): Figures[] {
  return [-1, 0, 1].map((d) => ({ p95: p95 + d, hours: hours + d / 10, ...extra }));
}

describe('Student t quantiles and intervals', () => {
  it('has the tabulated 97.5 % quantiles and approaches the normal', () => {
    expect(studentT975(1)).toBeCloseTo(12.706, 3);
    expect(studentT975(19)).toBeCloseTo(2.093, 3);
    expect(studentT975(45)).toBeCloseTo(2.014, 2);
    expect(studentT975(1e9)).toBeCloseTo(1.96, 2);
  });

  it('gives mean ± t · s / √n, and the mean alone for one replication', () => {
    const e = estimate([1, 2, 3]);
    expect(e.mean).toBe(2);
    expect(e.high - e.mean).toBeCloseTo(4.302653 / Math.sqrt(3), 6);
    expect(estimate([5])).toEqual({ mean: 5, low: 5, high: 5 });
  });
});

describe('the decision', () => {
  const rule = { sloP95Seconds: 60, allowKilled: false };

  it('takes the cheapest configuration whose p95 interval lies within the SLO', () => {
    const configs = [config(1, 30, around(50, 10)), config(2, 30, around(55, 9)), config(3, 30, around(70, 5))];
    expect(decide(configs, rule)).toMatchObject({ run: 2, nearest: null });
  });

  it('judges by the upper end of the interval, not the mean', () => {
    // Mean 59, but replications 40 and 78: the interval reaches far above 60.
    const wide = config(1, 30, [{ p95: 40, hours: 5 }, { p95: 59, hours: 5 }, { p95: 78, hours: 5 }]);
    const safe = config(2, 30, around(50, 9));
    expect(wide.estimates.p95WaitSeconds.mean).toBe(59);
    expect(decide([wide, safe], rule).run).toBe(2);
  });

  it('excludes configurations that kill tasks unless killed tasks are allowed', () => {
    const killing = config(1, 30, around(50, 5, { killed: 3 }));
    const clean = config(2, 30, around(50, 6));
    expect(decide([killing, clean], rule)).toMatchObject({ run: 2, excludedForKills: [1] });
    expect(decide([killing, clean], { ...rule, allowKilled: true }).run).toBe(1);
    // Killing in one replication of three is killing.
    const once = config(3, 30, [{ p95: 50, hours: 5 }, { p95: 50, hours: 5, killed: 1 }, { p95: 50, hours: 5 }]);
    expect(decide([once, clean], rule).run).toBe(2);
  });

  it('gives a tie within the paired interval to the longer pollingInterval, then to fewer scale events', () => {
    // Worker-hours differ by 0.05 one way or the other across replications: not significantly.
    const fast = config(1, 5, [{ p95: 40, hours: 10.0 }, { p95: 40, hours: 10.1 }, { p95: 40, hours: 9.9 }]);
    const slow = config(2, 30, [{ p95: 45, hours: 10.05 }, { p95: 45, hours: 10.0 }, { p95: 45, hours: 10.0 }]);
    const d = decide([fast, slow], rule);
    expect(d.run).toBe(2);
    expect(d.tied).toEqual([2, 1]);
    // Significantly dearer is no tie: +1 worker-hour in every replication.
    const dear = config(3, 60, [{ p95: 45, hours: 11.0 }, { p95: 45, hours: 11.1 }, { p95: 45, hours: 10.9 }]);
    expect(decide([fast, dear], rule).run).toBe(1);
    const calm = config(4, 5, around(40, 10, { events: 3 }));
    const busy = config(5, 5, around(40, 10, { events: 30 }));
    expect(decide([busy, calm], rule).run).toBe(4);
  });

  it('names the nearest configuration when none qualifies, preferring ones that kill nothing', () => {
    const configs = [config(1, 30, around(90, 5)), config(2, 30, around(70, 9)), config(3, 30, around(65, 9, { killed: 2 })), config(4, 30, around(20, 1, { unfinished: 5 }))];
    expect(decide(configs, rule)).toMatchObject({ run: null, nearest: 2, tied: [] });
  });

  it('leaves configurations with unfinished work off the Pareto frontier', () => {
    const configs = [config(1, 30, around(50, 10)), config(2, 30, around(60, 8)), config(3, 30, around(55, 12)), config(4, 30, around(10, 1, { unfinished: 5 }))];
    expect(paretoFrontier(configs)).toEqual([2, 1]);
  });
});
