import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

import { paretoFrontier } from '../../../src/sim/decision.js';
import { estimateConfig } from '../../../src/sim/estimates.js';
import { parseScenario } from '../../../src/sim/input/scenario.js';
import { generateWorkload } from '../../../src/sim/input/workload-generation.js';
import type { SimConfig } from '../../../src/sim/model/config.js';
import { DEFAULT_CONFIG } from '../../../src/sim/model/config.js';
import { replicationSeed } from '../../../src/sim/model/random.js';
import type { Workload } from '../../../src/sim/model/workload.js';
import { buildDocument } from '../../../src/sim/output/document.js';
import { expandGrid, parseSweepAxis } from '../../../src/sim/sweep-dimensions.js';
import { runReplications } from '../../../src/sim/sweep.js';

function scenarioFile(name: string): string {
  return fileURLToPath(new URL(`../../../src/sim/scenarios/${name}`, import.meta.url));
}

async function documentOf(workloads: Workload[], configs: SimConfig[], replications: number, threads: number): Promise<string> {
  const runs = await runReplications(workloads, configs, { replications, threads });
  const estimates = configs.map((config, i) => estimateConfig(i + 1, config, i === 0, runs[i] ?? []));
  return JSON.stringify(
    buildDocument({
      workload: workloads[0] as Workload,
      workloads,
      axes: [],
      replications,
      configs: estimates,
      frontier: paretoFrontier(estimates),
      recommendation: null,
      compare: null,
    }),
  );
}

async function hourlyEtl(seed: number, threads: number): Promise<string> {
  const file = scenarioFile('hourly-etl.yaml');
  const scenario = parseScenario(readFileSync(file, 'utf8'), file);
  const workloads = [0, 1, 2].map((r) => generateWorkload(scenario, replicationSeed(seed, r)));
  const base: SimConfig = { ...DEFAULT_CONFIG, ...scenario.settings, seed };
  const configs = expandGrid(base, [parseSweepAxis('pollingInterval=5,30'), parseSweepAxis('cooldownPeriod=60,300')]).map((cell) => cell.config);
  return documentOf(workloads, configs, 3, threads);
}

describe('determinism', () => {
  it('gives byte-identical JSON for the same seed, with replications, whether run on one thread or two', async () => {
    const first = await hourlyEtl(11, 1);
    expect(await hourlyEtl(11, 1)).toBe(first);
    expect(await hourlyEtl(11, 2)).toBe(first);
  });

  it('gives byte-identical JSON for the drain scale-in policy, whether run on one thread or two', async () => {
    const file = scenarioFile('long-tasks-burst.yaml');
    const scenario = parseScenario(readFileSync(file, 'utf8'), file);
    const workloads = [generateWorkload(scenario, 3), generateWorkload(scenario, replicationSeed(3, 1))];
    const base: SimConfig = { ...DEFAULT_CONFIG, ...scenario.settings, seed: 3, scaleInPolicy: 'drain' };
    const configs = [base, { ...base, cooldownPeriod: 60 }];
    const first = await documentOf(workloads, configs, 2, 1);
    expect(first).toContain('"drains"');
    expect(await documentOf(workloads, configs, 2, 1)).toBe(first);
    expect(await documentOf(workloads, configs, 2, 2)).toBe(first);
  });

  it('gives byte-identical JSON with pre-warming on worker threads, which get the runs with the workload', async () => {
    const file = scenarioFile('hourly-etl.yaml');
    const scenario = parseScenario(readFileSync(file, 'utf8'), file);
    const workloads = [0, 1].map((r) => generateWorkload(scenario, replicationSeed(5, r)));
    const base: SimConfig = { ...DEFAULT_CONFIG, ...scenario.settings, seed: 5 };
    const configs = [base, { ...base, prewarm: 'schedule' as const }];
    const first = await documentOf(workloads, configs, 2, 1);
    expect(await documentOf(workloads, configs, 2, 2)).toBe(first);
    // Pre-warming changed something, so the threads did see the runs.
    const runs = (JSON.parse(first) as { runs: { queueWaitSeconds: { p95: number } }[] }).runs;
    expect(runs[1]!.queueWaitSeconds.p95).toBeLessThan(runs[0]!.queueWaitSeconds.p95);
  });

  it('gives a different result for a different seed', async () => {
    expect(await hourlyEtl(12, 1)).not.toBe(await hourlyEtl(11, 1));
  });
});
