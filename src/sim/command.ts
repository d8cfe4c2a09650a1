import { writeFileSync } from 'node:fs';

import { describeValue } from '../core/validation.js';
import type { SimulateRequest } from './cli-args.js';
import { parseSimulateArgs } from './cli-args.js';
import { decide, paretoFrontier } from './decision.js';
import type { ConfigEstimate } from './estimates.js';
import { estimateConfig } from './estimates.js';
import { SimInputError, isSimInputError } from './input/errors.js';
import { findLimits } from './limits.js';
import type { SimConfig } from './model/config.js';
import { COMPARED_SCALE_IN_POLICIES, DEFAULT_CONFIG, configProblems } from './model/config.js';
import type { RecommendationOutcome, SimulationOutcome } from './output/document.js';
import { buildDocument, configJson } from './output/document.js';
import { featuredConfigs, renderReport } from './output/report.js';
import { formatComparison, formatText } from './output/text.js';
import { expandGrid } from './sweep-dimensions.js';
import { runDetail, runReplications } from './sweep.js';
import { EXIT_NO_CONFIGURATION, SIMULATE_USAGE } from './usage.js';
import { loadWorkloads } from './workloads.js';

export { SIMULATE_USAGE } from './usage.js';
export { loadWorkload } from './workloads.js';

export interface CommandIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly stderrIsTty: boolean;
}

function progressBar(io: CommandIo): ((done: number, total: number) => void) | undefined {
  if (!io.stderrIsTty) return undefined;
  let shown = -1;
  return (done, total) => {
    const width = 30;
    const filled = Math.round((done / total) * width);
    if (filled === shown && done !== total) return;
    shown = filled;
    io.stderr(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} runs${done === total ? '\n' : ''}`);
  };
}

const sameConfig = (a: SimConfig, b: SimConfig): boolean => JSON.stringify(configJson(a)) === JSON.stringify(configJson(b));

/** The configurations to run: the sweep's grid with the current one among them, or one per policy. */
function configurations(base: SimConfig, request: SimulateRequest): { configs: SimConfig[]; current: number } {
  if (request.compareScaleIn) {
    return { configs: COMPARED_SCALE_IN_POLICIES.map((policy) => ({ ...base, scaleInPolicy: policy })), current: COMPARED_SCALE_IN_POLICIES.indexOf(base.scaleInPolicy) };
  }
  const grid = expandGrid(base, request.axes);
  const problems = grid.flatMap(({ config, point }) => {
    const where = Object.keys(point).length === 0 ? '' : ` (sweep ${Object.entries(point).map(([k, x]) => `${k}=${x}`).join(' ')})`;
    return configProblems(config).map((p) => `${p}${where}`);
  });
  if (problems.length > 0) throw new SimInputError([...new Set(problems)]);
  const configs = grid.map((cell) => cell.config);
  const current = configs.findIndex((c) => sameConfig(c, base));
  if (current >= 0) return { configs, current };
  // The current configuration is always compared, even when the sweep does not include it.
  return { configs: [...configs, base], current: configs.length };
}

async function simulate(request: SimulateRequest, io: CommandIo): Promise<SimulationOutcome> {
  const R = request.replications;
  const { workloads, scenario } = loadWorkloads(request.workloadSource, request.overrides.seed, R);
  const base: SimConfig = { ...DEFAULT_CONFIG, ...(scenario?.settings ?? {}), ...request.overrides };
  const { configs, current } = configurations(base, request);
  const threads = request.threads === undefined ? {} : { threads: request.threads };
  const runs = await runReplications(workloads, configs, {
    replications: R,
    ...threads,
    ...(configs.length * R > 1 ? { onProgress: progressBar(io) } : {}),
  });
  const estimates: ConfigEstimate[] = configs.map((config, i) => estimateConfig(i + 1, config, i === current, runs[i] ?? []));
  let recommendation: RecommendationOutcome | null = null;
  if (request.sloP95 !== null) {
    const rule = { sloP95Seconds: request.sloP95, allowKilled: request.allowKilled };
    const decision = decide(estimates, rule);
    const nearest = decision.nearest === null ? undefined : estimates[decision.nearest - 1];
    const killsOnly = decision.nearest !== null && decision.excludedForKills.includes(decision.nearest);
    const limits = decision.run === null && nearest !== undefined ? await findLimits(workloads, nearest, killsOnly, { replications: R, ...threads }) : [];
    recommendation = { ...rule, decision, limits };
  }
  const [workload] = workloads;
  if (workload === undefined) throw new Error('no workload loaded');
  return {
    workload,
    workloads,
    axes: request.axes,
    replications: R,
    configs: estimates,
    frontier: paretoFrontier(estimates),
    recommendation,
    compare: request.compareScaleIn ? 'scaleInPolicy' : null,
  };
}

/** `airflow-keda-scaler simulate …`; returns the exit code (2 bad input, 3 no configuration meets the SLO). */
export async function simulateCommand(argv: readonly string[], io: CommandIo): Promise<number> {
  try {
    const request = parseSimulateArgs(argv);
    if (request === 'help') {
      io.stdout(SIMULATE_USAGE);
      return 0;
    }
    const outcome = await simulate(request, io);
    if (request.report !== null) {
      try {
        const featured = featuredConfigs(outcome).map((f) => ({ ...f, detail: runDetail(outcome.workloads, f.estimate.config) }));
        writeFileSync(request.report, renderReport(outcome, featured));
      } catch (err) {
        throw new SimInputError([`cannot write --report ${describeValue(request.report)}: ${(err as Error).message}`]);
      }
    }
    const text = request.compareScaleIn ? formatComparison(outcome) : formatText(outcome);
    io.stdout(request.json ? `${JSON.stringify(buildDocument(outcome), null, 2)}\n` : text);
    return outcome.recommendation !== null && outcome.recommendation.decision.run === null ? EXIT_NO_CONFIGURATION : 0;
  } catch (err) {
    if (isSimInputError(err)) {
      io.stderr(`airflow-keda-scaler simulate: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}
