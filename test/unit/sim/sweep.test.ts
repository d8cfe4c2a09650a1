import { describe, expect, it } from 'vitest';

import { defaultBehavior } from '../../../src/core/hpa-behavior.js';
import { SimInputError } from '../../../src/sim/input/errors.js';
import { parseSimulateArgs } from '../../../src/sim/cli-args.js';
import { parseScenario } from '../../../src/sim/input/scenario.js';
import { DEFAULT_CONFIG, SETTING_BOUNDS } from '../../../src/sim/model/config.js';
import { MAX_CONCURRENCY } from '../../../src/sim/model/worker-pod.js';
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

describe('setting bounds', () => {
  const MINIMAL = 'duration: 2h\nqueues:\n  default:\n    duration: 1s\n    arrivals:\n      - poisson: {ratePerMinute: 1}\n';
  const accepts = {
    cli: (option: string, value: number) => {
      try {
        return typeof parseSimulateArgs(['--scenario', 's.yaml', `--${option}=${value}`]) === 'object';
      } catch (err) {
        if (err instanceof SimInputError) return false;
        throw err;
      }
    },
    sweep: (key: string, value: number) => {
      try {
        return parseSweepAxis(`${key}=${value}`).values.length === 1;
      } catch (err) {
        if (err instanceof SimInputError) return false;
        throw err;
      }
    },
    scenario: (section: string, key: string, value: number) => {
      try {
        return Object.keys(parseScenario(`${MINIMAL}${section}: {${key}: ${value}}\n`, 'b.yaml').settings).length === 1;
      } catch (err) {
        if (err instanceof SimInputError) return false;
        throw err;
      }
    },
  };
  const settings = [
    { key: 'workerConcurrency', option: 'worker-concurrency', section: 'workers', field: 'concurrency' },
    { key: 'minReplicaCount', option: 'min-replica-count', section: 'scaledObject', field: 'minReplicaCount' },
    { key: 'maxReplicaCount', option: 'max-replica-count', section: 'scaledObject', field: 'maxReplicaCount' },
    { key: 'pollingInterval', option: 'polling-interval', section: 'scaledObject', field: 'pollingInterval' },
    { key: 'cooldownPeriod', option: 'cooldown-period', section: 'scaledObject', field: 'cooldownPeriod' },
  ] as const;

  it('are the same for the CLI options, --sweep and scenario files', () => {
    for (const s of settings) {
      const { min, max } = SETTING_BOUNDS[s.key];
      for (const [value, ok] of [[min - 1, false], [min, true], [max, true], [max + 1, false]] as const) {
        expect([s.key, value, accepts.cli(s.option, value), accepts.sweep(s.key, value), accepts.scenario(s.section, s.field, value)]).toEqual([s.key, value, ok, ok, ok]);
      }
    }
    expect(SETTING_BOUNDS.workerConcurrency.max).toBe(MAX_CONCURRENCY);
  });
});
