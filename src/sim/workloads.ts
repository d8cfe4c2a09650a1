import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

import { describeValue } from '../core/validation.js';
import { SimInputError } from './input/errors.js';
import type { Scenario } from './input/scenario.js';
import { parseScenario } from './input/scenario.js';
import { parseTraceCsv } from './input/trace.js';
import { generateWorkload } from './input/workload-generation.js';
import { DEFAULT_CONFIG } from './model/config.js';
import { replicationSeed } from './model/random.js';
import type { Workload } from './model/workload.js';

export type WorkloadSource = { readonly kind: 'scenario' | 'trace'; readonly file: string };

function readText(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new SimInputError([`cannot read ${what} ${describeValue(file)}: ${(err as Error).message}`]);
  }
}

/** Loads the workload and the scenario's settings (one draw of a generated scenario, with `seed`). */
export function loadWorkload(source: WorkloadSource, seed: number | undefined): { workload: Workload; scenario: Scenario | null } {
  const { workloads, scenario } = loadWorkloads(source, seed, 1);
  return { workload: workloads[0] as Workload, scenario };
}

/**
 * The workloads of `replications` replications: a trace is the same every time; a generated
 * scenario is drawn anew for each replication, from that replication's seed.
 */
export function loadWorkloads(source: WorkloadSource, seed: number | undefined, replications: number): { workloads: Workload[]; scenario: Scenario | null } {
  if (source.kind === 'trace') return { workloads: [parseTraceCsv(readText(source.file, 'trace'), source.file)], scenario: null };
  const scenario = parseScenario(readText(source.file, 'scenario'), source.file);
  if (scenario.workload.kind === 'trace') {
    const traceFile = resolve(dirname(source.file), scenario.workload.file);
    return { workloads: [parseTraceCsv(readText(traceFile, 'trace'), traceFile)], scenario };
  }
  const base = seed ?? scenario.settings.seed ?? DEFAULT_CONFIG.seed;
  const workloads = Array.from({ length: replications }, (_, r) => generateWorkload(scenario, replicationSeed(base, r)));
  return { workloads, scenario };
}
