import { parseArgs } from 'node:util';

import { MAX_PREWARM_HISTORY_RUNS, MAX_PREWARM_LEAD_SECONDS } from '../core/prewarm.js';
import { didYouMean } from '../core/suggest.js';
import { Validator, describeValue } from '../core/validation.js';
import { parseDistributionSpec, parseSeconds } from './input/distribution-spec.js';
import { SimInputError, isSimInputError } from './input/errors.js';
import type { SimConfig } from './model/config.js';
import { SETTING_BOUNDS, scaleInPolicyNamed, unknownScaleInPolicy } from './model/config.js';
import type { NodeProvisioning } from './model/nodes.js';
import type { SweepAxis } from './sweep-dimensions.js';
import { parseSweepAxis } from './sweep-dimensions.js';
import { DEFAULT_REPLICATIONS } from './usage.js';

const OPTIONS = {
  scenario: { type: 'string' },
  trace: { type: 'string' },
  queues: { type: 'string' },
  'worker-concurrency': { type: 'string' },
  'min-replica-count': { type: 'string' },
  'max-replica-count': { type: 'string' },
  'min-replicas': { type: 'string' },
  'max-replicas': { type: 'string' },
  'polling-interval': { type: 'string' },
  'cooldown-period': { type: 'string' },
  'initial-cooldown-period': { type: 'string' },
  'pod-startup': { type: 'string' },
  'pod-startup-seconds': { type: 'string' },
  'pods-per-node': { type: 'string' },
  'node-startup': { type: 'string' },
  'empty-node-seconds': { type: 'string' },
  'termination-grace-period-seconds': { type: 'string' },
  'termination-grace-seconds': { type: 'string' },
  'scale-in': { type: 'string' },
  push: { type: 'boolean' },
  prewarm: { type: 'boolean' },
  'prewarm-lead-seconds': { type: 'string' },
  'prewarm-history-runs': { type: 'string' },
  retries: { type: 'string' },
  'retry-delay': { type: 'string' },
  'task-heartbeat-timeout': { type: 'string' },
  seed: { type: 'string' },
  replications: { type: 'string' },
  threads: { type: 'string' },
  sweep: { type: 'string', multiple: true },
  'slo-p95': { type: 'string' },
  'allow-killed': { type: 'boolean' },
  'compare-scale-in': { type: 'boolean' },
  json: { type: 'boolean' },
  report: { type: 'string' },
  help: { type: 'boolean' },
} as const;

type OptionName = keyof typeof OPTIONS;

/** Old option names and the ones they stand for (KEDA's names). */
const ALIASES: Readonly<Partial<Record<OptionName, OptionName>>> = {
  'min-replicas': 'min-replica-count',
  'max-replicas': 'max-replica-count',
  'pod-startup-seconds': 'pod-startup',
  'termination-grace-seconds': 'termination-grace-period-seconds',
};

const OPTION_NAMES = Object.keys(OPTIONS);

export interface SimulateRequest {
  readonly workloadSource: { readonly kind: 'scenario' | 'trace'; readonly file: string };
  readonly overrides: Partial<SimConfig>;
  readonly axes: readonly SweepAxis[];
  readonly sloP95: number | null;
  readonly allowKilled: boolean;
  readonly compareScaleIn: boolean;
  readonly replications: number;
  readonly json: boolean;
  readonly report: string | null;
  readonly threads: number | undefined;
}

/**
 * `--max-replica-count -5` would make Node's parser complain that the option is "ambiguous":
 * a value that looks like a negative number is joined to its option (`--max-replica-count=-5`)
 * so the range check names it.
 */
function joinNegativeNumbers(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i] as string;
    const next = argv[i + 1];
    const name = token.startsWith('--') && !token.includes('=') ? token.slice(2) : null;
    if (name !== null && (OPTIONS as Record<string, { type: string } | undefined>)[name]?.type === 'string' && next !== undefined && /^-[0-9.]/.test(next)) {
      out.push(`${token}=${next}`);
      i += 1;
    } else out.push(token);
  }
  return out;
}

/** Every unknown option, each with the closest known one. */
function unknownOptions(args: readonly string[]): string[] {
  const { tokens } = parseArgs({ args: [...args], options: OPTIONS, strict: false, allowPositionals: true, tokens: true });
  return tokens
    .filter((t) => t.kind === 'option' && !(t.name in OPTIONS))
    .map((t) => {
      const name = t.kind === 'option' ? t.name : '';
      return `unknown option ${describeValue(t.kind === 'option' ? t.rawName : name)}${didYouMean(name, OPTION_NAMES).replace('"', '"--')}`;
    });
}

/** Parses `simulate` arguments (everything after the command word). */
export function parseSimulateArgs(argv: readonly string[]): SimulateRequest | 'help' {
  const args = joinNegativeNumbers(argv);
  const unknown = unknownOptions(args);
  if (unknown.length > 0) throw new SimInputError([...new Set(unknown)]);
  let parsed;
  try {
    parsed = parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    throw new SimInputError([(err as Error).message]);
  }
  const values = parsed.values as Partial<Record<OptionName, string | boolean | string[]>>;
  if (values.help === true) return 'help';
  const v = new Validator({ label: (path) => `--${String(path[0])}` });
  for (const [alias, name] of Object.entries(ALIASES) as [OptionName, OptionName][]) {
    if (values[alias] === undefined) continue;
    if (values[name] !== undefined) v.note([alias], `and --${name} name the same setting; give one`);
    else values[name] = values[alias];
  }
  const text = (name: OptionName): string | undefined => {
    const value = values[name];
    return typeof value === 'string' ? value : undefined;
  };
  const int = (name: OptionName, min: number, max: number): number | undefined => v.integer([name], text(name), { min, max });
  const secs = (name: OptionName, min: number, max: number): number | undefined => {
    const raw = text(name);
    return raw === undefined ? undefined : parseSeconds(v, [name], raw, { min, max });
  };

  const sweepTexts = [...((values.sweep as string[] | undefined) ?? [])];
  for (const positional of parsed.positionals) {
    if (sweepTexts.length > 0 && positional.includes('=')) sweepTexts.push(positional);
    else v.problems.push(`unexpected argument ${describeValue(positional)}`);
  }
  if ((values.scenario === undefined) === (values.trace === undefined)) {
    v.problems.push('simulate needs exactly one of --scenario FILE or --trace FILE.csv');
  }
  const overrides: Record<string, unknown> = {};
  const put = (key: keyof SimConfig, value: unknown): void => {
    if (value !== undefined) overrides[key] = value;
  };
  const setting = (name: OptionName, key: keyof typeof SETTING_BOUNDS): number | undefined => int(name, SETTING_BOUNDS[key].min, SETTING_BOUNDS[key].max);
  put('workerConcurrency', setting('worker-concurrency', 'workerConcurrency'));
  put('minReplicaCount', setting('min-replica-count', 'minReplicaCount'));
  put('maxReplicaCount', setting('max-replica-count', 'maxReplicaCount'));
  put('pollingInterval', setting('polling-interval', 'pollingInterval'));
  put('cooldownPeriod', setting('cooldown-period', 'cooldownPeriod'));
  put('initialCooldownPeriod', setting('initial-cooldown-period', 'initialCooldownPeriod'));
  const startup = text('pod-startup');
  if (startup !== undefined) put('podStartup', parseDistributionSpec(v, ['pod-startup'], startup));
  const grace = SETTING_BOUNDS.terminationGracePeriodSeconds;
  put('terminationGracePeriodSeconds', secs('termination-grace-period-seconds', grace.min, grace.max));
  const scaleIn = text('scale-in');
  if (scaleIn !== undefined) {
    const policy = scaleInPolicyNamed(scaleIn);
    if (policy !== null) put('scaleInPolicy', policy);
    else v.problem(['scale-in'], scaleIn, unknownScaleInPolicy(scaleIn));
  }
  if (values.push === true) put('trigger', 'external-push');
  if (values.prewarm === true) put('prewarm', 'schedule');
  // The bounds of the trigger metadata the service reads (core/metadata.ts).
  put('prewarmLeadSeconds', int('prewarm-lead-seconds', 1, MAX_PREWARM_LEAD_SECONDS));
  put('prewarmHistoryRuns', int('prewarm-history-runs', 1, MAX_PREWARM_HISTORY_RUNS));
  put('retries', int('retries', 0, 100));
  put('retryDelaySeconds', secs('retry-delay', 0, 86_400));
  put('taskHeartbeatTimeoutSeconds', secs('task-heartbeat-timeout', 1, 86_400));
  put('seed', int('seed', 0, 4_294_967_295));
  const podsPerNode = int('pods-per-node', 1, 1000);
  const nodeStartupText = text('node-startup');
  const nodeStartup = nodeStartupText === undefined ? undefined : parseDistributionSpec(v, ['node-startup'], nodeStartupText);
  const emptyNode = secs('empty-node-seconds', 0, 86_400);
  if (podsPerNode !== undefined) {
    const nodes: NodeProvisioning = {
      podsPerNode,
      startup: nodeStartup ?? { distribution: 'fixed', seconds: 90 },
      emptyNodeSeconds: emptyNode ?? 600,
    };
    put('nodes', nodes);
  } else if (nodeStartupText !== undefined || text('empty-node-seconds') !== undefined) {
    v.problems.push('--node-startup and --empty-node-seconds need --pods-per-node (node provisioning is off without it)');
  }
  const queues = text('queues');
  if (queues !== undefined) {
    const list = queues.split(',').map((q) => q.trim());
    if (list.some((q) => q === '')) v.problem(['queues'], queues, 'must be a comma-separated list of non-empty queue names');
    else put('queues', [...new Set(list)].sort());
  }
  const sloP95 = secs('slo-p95', 0, 1e9) ?? null;
  const replications = int('replications', 1, 10_000) ?? DEFAULT_REPLICATIONS;
  const threads = int('threads', 1, 1024);
  const axes: SweepAxis[] = [];
  for (const sweepText of sweepTexts) {
    try {
      const axis = parseSweepAxis(sweepText);
      if (axes.some((a) => a.name === axis.name)) v.problems.push(`--sweep ${axis.name} is given twice`);
      else axes.push(axis);
    } catch (err) {
      if (!isSimInputError(err)) throw err;
      v.problems.push(...err.problems);
    }
  }
  const compareScaleIn = values['compare-scale-in'] === true;
  if (compareScaleIn) {
    const clashing = [
      ...(sweepTexts.length > 0 ? ['--sweep'] : []),
      ...(values['slo-p95'] !== undefined ? ['--slo-p95'] : []),
      ...(values['scale-in'] !== undefined ? ['--scale-in'] : []),
    ];
    if (clashing.length > 0) v.problems.push(`--compare-scale-in runs one configuration under every scale-in policy; it does not combine with ${clashing.join(', ')}`);
  }
  if (values['allow-killed'] === true && values['slo-p95'] === undefined) v.problems.push('--allow-killed changes the --slo-p95 decision; give --slo-p95 too');
  if (!v.ok) throw new SimInputError(v.problems);
  const scenario = text('scenario');
  return {
    workloadSource: scenario !== undefined ? { kind: 'scenario', file: scenario } : { kind: 'trace', file: text('trace') ?? '' },
    overrides,
    axes,
    sloP95,
    allowKilled: values['allow-killed'] === true,
    compareScaleIn,
    replications,
    json: values.json === true,
    report: text('report') ?? null,
    threads,
  };
}
