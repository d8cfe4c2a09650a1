import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

import type { SimConfig } from '../../../src/sim/model/config.js';
import { DEFAULT_CONFIG } from '../../../src/sim/model/config.js';
import { buildDocument } from '../../../src/sim/output/document.js';
import { parseScenario } from '../../../src/sim/input/scenario.js';
import { generateWorkload } from '../../../src/sim/input/workload-generation.js';
import { expandGrid, paretoFrontier, parseSweepAxis, runConfigs } from '../../../src/sim/sweep.js';

const EXAMPLE = fileURLToPath(new URL('../../../src/sim/scenarios/hourly-etl.yaml', import.meta.url));

async function documentFor(seed: number, threads: number): Promise<string> {
  const scenario = parseScenario(readFileSync(EXAMPLE, 'utf8'), EXAMPLE);
  const workload = generateWorkload(scenario, seed);
  const base: SimConfig = { ...DEFAULT_CONFIG, ...scenario.settings, seed };
  const axes = [parseSweepAxis('polling=5,30'), parseSweepAxis('cooldown=60,300')];
  const configs = expandGrid(base, axes).map((cell) => cell.config);
  const runs = await runConfigs(workload, configs, { recordTimeline: false, threads });
  return JSON.stringify(buildDocument(workload, axes, runs, paretoFrontier(runs.map((r) => r.metrics)), null));
}

describe('determinism', () => {
  it('gives byte-identical JSON for the same seed, whether run on one thread or in parallel', async () => {
    const first = await documentFor(11, 1);
    expect(await documentFor(11, 1)).toBe(first);
    expect(await documentFor(11, 2)).toBe(first);
  });

  it('gives byte-identical JSON for the drain scale-in policy, whether run on one thread or in parallel', async () => {
    const file = fileURLToPath(new URL('../../../src/sim/scenarios/long-tasks-burst.yaml', import.meta.url));
    const scenario = parseScenario(readFileSync(file, 'utf8'), file);
    const workload = generateWorkload(scenario, 3);
    const base: SimConfig = { ...DEFAULT_CONFIG, ...scenario.settings, seed: 3, scaleInPolicy: 'drain' };
    const configs = [base, { ...base, cooldownPeriod: 60 }];
    const documentOf = async (threads: number): Promise<string> => {
      const runs = await runConfigs(workload, configs, { recordTimeline: false, threads });
      return JSON.stringify(buildDocument(workload, [], runs, paretoFrontier(runs.map((r) => r.metrics)), null));
    };
    const first = await documentOf(1);
    expect(first).toContain('"drains"');
    expect(await documentOf(1)).toBe(first);
    expect(await documentOf(2)).toBe(first);
  });

  it('gives a different result for a different seed', async () => {
    expect(await documentFor(12, 1)).not.toBe(await documentFor(11, 1));
  });
});
