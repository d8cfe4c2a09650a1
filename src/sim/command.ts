import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';

import { describeValue } from '../core/validation.js';
import type { SimConfig } from './model/config.js';
import { COMPARED_SCALE_IN_POLICIES, DEFAULT_CONFIG, configProblems, scaleInPolicyNamed } from './model/config.js';
import { fixed } from './model/distribution.js';
import { SimInputError, isSimInputError } from './input/errors.js';
import { buildDocument, formatComparison, formatText } from './output/document.js';
import { renderReport } from './output/report.js';
import type { Scenario } from './input/scenario.js';
import { parseScenario } from './input/scenario.js';
import { generateWorkload } from './input/workload-generation.js';
import type { SweepAxis } from './sweep.js';
import { expandGrid, paretoFrontier, parseSweepAxis, recommend, runConfigs } from './sweep.js';
import { parseTraceCsv } from './input/trace.js';
import type { Workload } from './model/workload.js';

export const SIMULATE_USAGE = `Usage: airflow-keda-scaler simulate (--scenario FILE | --trace FILE.csv) [options]

Replays a workload through a model of Celery workers, KEDA and the HPA, in virtual time, and
reports queue wait, cost, killed tasks and elasticity for each configuration.

Workload:
  --scenario FILE                 YAML scenario (arrival processes per queue, or trace: FILE.csv,
                                  plus optional settings); examples in src/sim/scenarios/
  --trace FILE.csv                CSV with a header and queue,queued_at,duration_seconds
                                  (see airflow-keda-scaler export-trace)
  --queues LIST                   comma-separated queues the worker Deployment serves (default: all)

Configuration (override the scenario; defaults are KEDA's, Kubernetes' and the Airflow chart's):
  --worker-concurrency N          Celery worker_concurrency (16)
  --min-replicas N                minReplicaCount (0)
  --max-replicas N                maxReplicaCount (100)
  --polling-interval S            pollingInterval (30)
  --cooldown-period S             cooldownPeriod (300)
  --initial-cooldown-period S     initialCooldownPeriod (0)
  --pod-startup-seconds S         seconds from pod creation to a ready Celery worker (30)
  --termination-grace-seconds S   terminationGracePeriodSeconds (600)
  --scale-in POLICY               the scaler's scaleIn policy (off): off (the plain formula; the
                                  ReplicaSet removes pods by its own ranking), rank (the scaler
                                  writes pod-deletion-cost on the surplus workers, idle and least
                                  loaded first) or drain (drain-then-remove: busy surplus workers
                                  stop consuming and are removed once idle); the old names
                                  kubernetes (= off) and idle-first (= rank) are still accepted
  --push                          trigger type external-push instead of external
  --seed N                        random seed (1); the same seed gives the same output

Sweep:
  --sweep NAME=V1,V2,... [NAME=V1,...]
                                  run every combination in parallel; NAME is one of polling,
                                  cooldown, min, max, stabilization, concurrency, startup, grace,
                                  push (0/1). stabilization sets behavior.scaleDown's window,
                                  which switches the HPA from legacy to behavior policies.
  --slo-p95 SECONDS               recommend the cheapest configuration with p95 wait within this
  --threads N                     worker threads (default: all cores)

Compare:
  --compare-scale-in              run the configuration once per scale-in policy (off, rank,
                                  drain) on the same workload and print them side by
                                  side: tasks killed, worker-seconds, p95 wait, peak workers,
                                  drains and restores (not with --sweep, --slo-p95 or --scale-in)

Output:
  --json                          one JSON document instead of the table
  --report FILE.html              also write a self-contained HTML report with charts
`;

export interface CommandIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly stderrIsTty: boolean;
}

const OPTIONS = {
  scenario: { type: 'string' },
  trace: { type: 'string' },
  queues: { type: 'string' },
  'worker-concurrency': { type: 'string' },
  'min-replicas': { type: 'string' },
  'max-replicas': { type: 'string' },
  'polling-interval': { type: 'string' },
  'cooldown-period': { type: 'string' },
  'initial-cooldown-period': { type: 'string' },
  'pod-startup-seconds': { type: 'string' },
  'termination-grace-seconds': { type: 'string' },
  'scale-in': { type: 'string' },
  'compare-scale-in': { type: 'boolean' },
  push: { type: 'boolean' },
  seed: { type: 'string' },
  json: { type: 'boolean' },
  sweep: { type: 'string', multiple: true },
  'slo-p95': { type: 'string' },
  report: { type: 'string' },
  threads: { type: 'string' },
  help: { type: 'boolean' },
} as const;

function numberOption(
  problems: string[],
  name: string,
  raw: string | undefined,
  opts: { min: number; max: number; integer: boolean },
): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  const ok = raw.trim() !== '' && Number.isFinite(value) && (!opts.integer || Number.isInteger(value)) && value >= opts.min && value <= opts.max;
  if (!ok) {
    problems.push(`--${name}=${describeValue(raw)} must be a ${opts.integer ? 'whole number' : 'number'} from ${opts.min} to ${opts.max}`);
    return undefined;
  }
  return value;
}

export interface SimulateRequest {
  readonly workloadSource: { readonly kind: 'scenario'; readonly file: string } | { readonly kind: 'trace'; readonly file: string };
  readonly overrides: Partial<SimConfig>;
  readonly axes: readonly SweepAxis[];
  readonly sloP95: number | null;
  /** Run the configuration once per scale-in policy instead of once (or per sweep cell). */
  readonly compareScaleIn: boolean;
  readonly json: boolean;
  readonly report: string | null;
  readonly threads: number | undefined;
}

/** Parses `simulate` arguments (everything after the command word). */
export function parseSimulateArgs(argv: readonly string[]): SimulateRequest | 'help' {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    throw new SimInputError([(err as Error).message]);
  }
  const v = parsed.values;
  if (v.help === true) return 'help';
  const problems: string[] = [];
  const sweepTexts = [...(v.sweep ?? [])];
  for (const positional of parsed.positionals) {
    if (sweepTexts.length > 0 && positional.includes('=')) sweepTexts.push(positional);
    else problems.push(`unexpected argument ${describeValue(positional)}`);
  }
  if ((v.scenario === undefined) === (v.trace === undefined)) {
    problems.push('simulate needs exactly one of --scenario FILE or --trace FILE.csv');
  }
  const overrides: Record<string, unknown> = {};
  const put = (key: keyof SimConfig, value: unknown): void => {
    if (value !== undefined) overrides[key] = value;
  };
  const int = { integer: true } as const;
  put('workerConcurrency', numberOption(problems, 'worker-concurrency', v['worker-concurrency'], { min: 1, max: 1024, ...int }));
  put('minReplicaCount', numberOption(problems, 'min-replicas', v['min-replicas'], { min: 0, max: 100000, ...int }));
  put('maxReplicaCount', numberOption(problems, 'max-replicas', v['max-replicas'], { min: 1, max: 100000, ...int }));
  put('pollingInterval', numberOption(problems, 'polling-interval', v['polling-interval'], { min: 1, max: 86400, ...int }));
  put('cooldownPeriod', numberOption(problems, 'cooldown-period', v['cooldown-period'], { min: 0, max: 604800, ...int }));
  put('initialCooldownPeriod', numberOption(problems, 'initial-cooldown-period', v['initial-cooldown-period'], { min: 0, max: 604800, ...int }));
  const startup = numberOption(problems, 'pod-startup-seconds', v['pod-startup-seconds'], { min: 0, max: 86400, integer: false });
  if (startup !== undefined) put('podStartup', fixed(startup));
  put('terminationGracePeriodSeconds', numberOption(problems, 'termination-grace-seconds', v['termination-grace-seconds'], { min: 0, max: 86400, integer: false }));
  if (v['scale-in'] !== undefined) {
    const policy = scaleInPolicyNamed(v['scale-in']);
    if (policy !== null) put('scaleInPolicy', policy);
    else problems.push(`--scale-in=${describeValue(v['scale-in'])} must be one of ${COMPARED_SCALE_IN_POLICIES.join(', ')}`);
  }
  if (v.push === true) put('trigger', 'external-push');
  put('seed', numberOption(problems, 'seed', v.seed, { min: 0, max: 4294967295, ...int }));
  if (v.queues !== undefined) {
    const queues = v.queues.split(',').map((q) => q.trim());
    if (queues.some((q) => q === '')) problems.push(`--queues=${describeValue(v.queues)} must be a comma-separated list of non-empty queue names`);
    else put('queues', [...new Set(queues)].sort());
  }
  const sloP95 = numberOption(problems, 'slo-p95', v['slo-p95'], { min: 0, max: 1e9, integer: false }) ?? null;
  const threads = numberOption(problems, 'threads', v.threads, { min: 1, max: 1024, integer: true });
  const axes: SweepAxis[] = [];
  for (const text of sweepTexts) {
    try {
      const axis = parseSweepAxis(text);
      if (axes.some((a) => a.name === axis.name)) problems.push(`--sweep ${axis.name} is given twice`);
      else axes.push(axis);
    } catch (err) {
      if (!isSimInputError(err)) throw err;
      problems.push(...err.problems);
    }
  }
  const compareScaleIn = v['compare-scale-in'] === true;
  if (compareScaleIn) {
    const clashing = [
      ...(sweepTexts.length > 0 ? ['--sweep'] : []),
      ...(v['slo-p95'] !== undefined ? ['--slo-p95'] : []),
      ...(v['scale-in'] !== undefined ? ['--scale-in'] : []),
    ];
    if (clashing.length > 0) {
      problems.push(`--compare-scale-in runs one configuration under every scale-in policy; it does not combine with ${clashing.join(', ')}`);
    }
  }
  if (problems.length > 0) throw new SimInputError(problems);
  return {
    workloadSource: v.scenario !== undefined ? { kind: 'scenario', file: v.scenario } : { kind: 'trace', file: v.trace ?? '' },
    overrides: overrides,
    axes,
    sloP95,
    compareScaleIn,
    json: v.json === true,
    report: v.report ?? null,
    threads,
  };
}

function readText(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new SimInputError([`cannot read ${what} ${describeValue(file)}: ${(err as Error).message}`]);
  }
}

/** Loads the workload and the scenario's settings. */
export function loadWorkload(source: SimulateRequest['workloadSource'], seed: number | undefined): { workload: Workload; scenario: Scenario | null } {
  if (source.kind === 'trace') return { workload: parseTraceCsv(readText(source.file, 'trace'), source.file), scenario: null };
  const scenario = parseScenario(readText(source.file, 'scenario'), source.file);
  if (scenario.workload.kind === 'trace') {
    const traceFile = resolve(dirname(source.file), scenario.workload.file);
    return { workload: parseTraceCsv(readText(traceFile, 'trace'), traceFile), scenario };
  }
  return { workload: generateWorkload(scenario, seed ?? scenario.settings.seed ?? DEFAULT_CONFIG.seed), scenario };
}

function progressBar(io: CommandIo): ((done: number, total: number) => void) | undefined {
  if (!io.stderrIsTty) return undefined;
  return (done, total) => {
    const width = 30;
    const filled = Math.round((done / total) * width);
    io.stderr(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} runs${done === total ? '\n' : ''}`);
  };
}

/** `airflow-keda-scaler simulate …`; returns the exit code (2 for bad input). */
export async function simulateCommand(argv: readonly string[], io: CommandIo): Promise<number> {
  try {
    const request = parseSimulateArgs(argv);
    if (request === 'help') {
      io.stdout(SIMULATE_USAGE);
      return 0;
    }
    const { workload, scenario } = loadWorkload(request.workloadSource, request.overrides.seed);
    const base: SimConfig = { ...DEFAULT_CONFIG, ...(scenario?.settings ?? {}), ...request.overrides };
    const grid = expandGrid(base, request.axes);
    const problems = grid.flatMap(({ config, point }) => {
      const where = Object.keys(point).length === 0 ? '' : ` (sweep ${Object.entries(point).map(([k, x]) => `${k}=${x}`).join(' ')})`;
      return configProblems(config).map((p) => `${p}${where}`);
    });
    if (problems.length > 0) throw new SimInputError([...new Set(problems)]);
    const configs = request.compareScaleIn
      ? COMPARED_SCALE_IN_POLICIES.map((policy) => ({ ...base, scaleInPolicy: policy }))
      : grid.map((cell) => cell.config);
    const summaries = await runConfigs(workload, configs, {
      recordTimeline: request.report !== null,
      ...(request.threads === undefined ? {} : { threads: request.threads }),
      ...(configs.length > 1 ? { onProgress: progressBar(io) } : {}),
    });
    const metrics = summaries.map((s) => s.metrics);
    const frontier = paretoFrontier(metrics);
    const slo = request.sloP95 === null ? null : { sloP95Seconds: request.sloP95, run: recommend(metrics, request.sloP95) };
    const doc = buildDocument(workload, request.axes, summaries, frontier, slo, request.compareScaleIn ? 'scaleInPolicy' : null);
    if (request.report !== null) {
      try {
        writeFileSync(request.report, renderReport(doc, summaries));
      } catch (err) {
        throw new SimInputError([`cannot write --report ${describeValue(request.report)}: ${(err as Error).message}`]);
      }
    }
    const text = request.compareScaleIn ? formatComparison(doc, summaries) : formatText(doc, summaries);
    io.stdout(request.json ? `${JSON.stringify(doc, null, 2)}\n` : text);
    return 0;
  } catch (err) {
    if (isSimInputError(err)) {
      io.stderr(`airflow-keda-scaler simulate: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}
