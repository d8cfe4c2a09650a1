import { describe, expect, it } from 'vitest';

import { defaultBehavior } from '../../../src/core/hpa-behavior.js';
import { SimInputError } from '../../../src/sim/input/errors.js';
import { DEFAULT_CONFIG } from '../../../src/sim/model/config.js';
import { expandGrid, parseSweepAxis, pointValue } from '../../../src/sim/sweep-dimensions.js';

describe('sweep grid', () => {
  it('expands every combination, the last axis fastest', () => {
    const grid = expandGrid(DEFAULT_CONFIG, [parseSweepAxis('pollingInterval=1,30'), parseSweepAxis('cooldownPeriod=60,300,600')]);
    expect(grid.map((cell) => [cell.config.pollingInterval, cell.config.cooldownPeriod])).toEqual([
      [1, 60], [1, 300], [1, 600], [30, 60], [30, 300], [30, 600],
    ]);
  });

  it("names settings as KEDA does and still takes the old names", () => {
    expect(parseSweepAxis('polling=1,5')).toEqual({ name: 'pollingInterval', values: [1, 5] });
    expect(parseSweepAxis('min=0,2')).toEqual({ name: 'minReplicaCount', values: [0, 2] });
    expect(parseSweepAxis('maxReplicaCount=10')).toEqual({ name: 'maxReplicaCount', values: [10] });
    expect(parseSweepAxis('push=0,1')).toEqual({ name: 'trigger', values: ['external', 'external-push'] });
    expect(parseSweepAxis('trigger=external-push')).toEqual({ name: 'trigger', values: ['external-push'] });
  });

  it('sweeps the scale-in policy, old names included', () => {
    const axis = parseSweepAxis('scaleIn=off,rank,drain,idle-first');
    expect(axis).toEqual({ name: 'scaleIn', values: ['off', 'rank', 'drain'] });
    const grid = expandGrid(DEFAULT_CONFIG, [axis]);
    expect(grid.map((cell) => cell.config.scaleInPolicy)).toEqual(['off', 'rank', 'drain']);
    expect(() => parseSweepAxis('scaleIn=drian')).toThrow('--sweep scaleIn: value "drian" must be one of off, rank, drain (did you mean "drain"?)');
  });

  it('sweeps pod startup as a distribution', () => {
    const axis = parseSweepAxis('podStartup=30,lognormal:median=40s:sigma=0.3');
    const grid = expandGrid(DEFAULT_CONFIG, [axis]);
    expect(grid.map((cell) => cell.config.podStartup)).toEqual([
      { distribution: 'fixed', seconds: 30 },
      { distribution: 'lognormal', median: 40, sigma: 0.3 },
    ]);
    expect(grid.map((cell) => pointValue(cell.config, 'podStartup'))).toEqual(['30s', 'lognormal:median=40s:sigma=0.3']);
  });

  it('switches the HPA to behavior policies (Kubernetes defaults) when the stabilization window is swept', () => {
    const [cell] = expandGrid(DEFAULT_CONFIG, [parseSweepAxis('stabilizationWindowSeconds=120')]);
    expect(DEFAULT_CONFIG.hpaBehavior).toBeNull();
    expect(cell?.config.hpaBehavior).toEqual(defaultBehavior({ scaleDown: { stabilizationWindowSeconds: 120 } }));
  });

  it('refuses unknown settings and bad values, naming them and the closest known setting', () => {
    expect(() => parseSweepAxis('poling=1,5')).toThrow(SimInputError);
    expect(() => parseSweepAxis('poling=1,5')).toThrow('unknown setting "poling" (did you mean "polling"?)');
    expect(() => parseSweepAxis('pollingInterval=1,0,x')).toThrow('--sweep pollingInterval: value "0" must be between 1 and 86400 (KEDA pollingInterval (s))');
    expect(() => parseSweepAxis('maxReplicaCount=-5')).toThrow('--sweep maxReplicaCount: value "-5" must be a whole number from 1 to 100000');
  });
});
