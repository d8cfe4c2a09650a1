import { defaultBehavior } from '../core/hpa-behavior.js';
import type { PrewarmMode } from '../core/prewarm.js';
import { MAX_PREWARM_LEAD_SECONDS, PREWARM_MODES } from '../core/prewarm.js';
import { didYouMean } from '../core/suggest.js';
import { Validator, describeValue } from '../core/validation.js';
import { DISTRIBUTION_SPEC_HELP, formatDistributionSpec, parseDistributionSpec, parseSeconds } from './input/distribution-spec.js';
import { SimInputError } from './input/errors.js';
import type { SimConfig, TriggerType } from './model/config.js';
import { COMPARED_SCALE_IN_POLICIES, SETTING_BOUNDS, scaleInPolicyNamed, unknownScaleInPolicy } from './model/config.js';

/** One value of a swept setting: a number, or a name (scaleIn, trigger) or distribution. */
export type SweepValue = number | string;

interface Dimension {
  /** KEDA's (or the chart's) name of the setting: the key `--sweep` and the JSON use. */
  readonly key: string;
  /** Earlier names, still accepted. */
  readonly aliases: readonly string[];
  readonly describe: string;
  /** Parses one value, reporting problems to `v`; `name` is the key as the user wrote it. */
  readonly parse: (v: Validator, name: string, token: string) => SweepValue | undefined;
  readonly apply: (config: SimConfig, value: SweepValue) => SimConfig;
  /** The setting's value in a config, as the tables show it. */
  readonly show: (config: SimConfig) => string;
}

interface Bounds {
  readonly min: number;
  readonly max: number;
}

function integer({ min, max }: Bounds): Dimension['parse'] {
  return (v, name, token) => v.integer([name], token, { min, max });
}

function seconds({ min, max }: Bounds): Dimension['parse'] {
  return (v, name, token) => parseSeconds(v, [name], token, { min, max });
}

const num = (value: SweepValue): number => Number(value);

function parseStartup(v: Validator, name: string, token: string): SweepValue | undefined {
  const dist = parseDistributionSpec(v, [name], token);
  return dist === undefined ? undefined : formatDistributionSpec(dist);
}

/** `trigger=external,external-push`, or the old `push=0,1`. */
function parseTrigger(v: Validator, name: string, token: string): SweepValue | undefined {
  if (name === 'push') {
    const on = token === '1' || token === 'true' ? true : token === '0' || token === 'false' ? false : undefined;
    if (on === undefined) v.problem([name], token, 'must be 0, 1, true or false');
    return on === undefined ? undefined : on ? 'external-push' : 'external';
  }
  return v.oneOf<TriggerType>([name], token, ['external', 'external-push']);
}

function parseScaleIn(v: Validator, name: string, token: string): SweepValue | undefined {
  const policy = scaleInPolicyNamed(token);
  if (policy === null) v.problem([name], token, unknownScaleInPolicy(token));
  return policy ?? undefined;
}

/** What `--sweep KEY=v1,v2,…` can vary, under KEDA's names; the old short names are aliases. */
const SWEEP_DIMENSIONS: readonly Dimension[] = [
  {
    key: 'pollingInterval',
    aliases: ['polling'],
    describe: 'KEDA pollingInterval (s)',
    parse: integer(SETTING_BOUNDS.pollingInterval),
    apply: (c, v) => ({ ...c, pollingInterval: num(v) }),
    show: (c) => String(c.pollingInterval),
  },
  {
    key: 'cooldownPeriod',
    aliases: ['cooldown'],
    describe: 'KEDA cooldownPeriod (s)',
    parse: integer(SETTING_BOUNDS.cooldownPeriod),
    apply: (c, v) => ({ ...c, cooldownPeriod: num(v) }),
    show: (c) => String(c.cooldownPeriod),
  },
  {
    key: 'minReplicaCount',
    aliases: ['min'],
    describe: 'minReplicaCount',
    parse: integer(SETTING_BOUNDS.minReplicaCount),
    apply: (c, v) => ({ ...c, minReplicaCount: num(v) }),
    show: (c) => String(c.minReplicaCount),
  },
  {
    key: 'maxReplicaCount',
    aliases: ['max'],
    describe: 'maxReplicaCount',
    parse: integer(SETTING_BOUNDS.maxReplicaCount),
    apply: (c, v) => ({ ...c, maxReplicaCount: num(v) }),
    show: (c) => String(c.maxReplicaCount),
  },
  {
    key: 'stabilizationWindowSeconds',
    aliases: ['stabilization'],
    describe: 'behavior.scaleDown.stabilizationWindowSeconds (s); switches the HPA to behavior policies',
    parse: integer({ min: 0, max: 3600 }),
    // Setting any behavior switches the HPA from the legacy normalization to behavior policies,
    // with Kubernetes' defaults for the rest (kubernetes `pkg/apis/autoscaling/v2/defaults.go`).
    apply: (c, v) => ({
      ...c,
      hpaBehavior:
        c.hpaBehavior === null
          ? defaultBehavior({ scaleDown: { stabilizationWindowSeconds: num(v) } })
          : { ...c.hpaBehavior, scaleDown: { ...c.hpaBehavior.scaleDown, stabilizationWindowSeconds: num(v) } },
    }),
    show: (c) => (c.hpaBehavior === null ? 'legacy' : String(c.hpaBehavior.scaleDown.stabilizationWindowSeconds)),
  },
  {
    key: 'workerConcurrency',
    aliases: ['concurrency'],
    describe: 'Celery worker_concurrency',
    parse: integer(SETTING_BOUNDS.workerConcurrency),
    apply: (c, v) => ({ ...c, workerConcurrency: num(v) }),
    show: (c) => String(c.workerConcurrency),
  },
  {
    key: 'podStartup',
    aliases: ['startup'],
    describe: `pod startup (${DISTRIBUTION_SPEC_HELP})`,
    parse: parseStartup,
    apply: (c, v) => ({ ...c, podStartup: parseDistributionSpec(new Validator(), [], String(v)) ?? c.podStartup }),
    show: (c) => formatDistributionSpec(c.podStartup),
  },
  {
    key: 'terminationGracePeriodSeconds',
    aliases: ['grace'],
    describe: 'terminationGracePeriodSeconds',
    parse: seconds(SETTING_BOUNDS.terminationGracePeriodSeconds),
    apply: (c, v) => ({ ...c, terminationGracePeriodSeconds: num(v) }),
    show: (c) => String(c.terminationGracePeriodSeconds),
  },
  {
    key: 'trigger',
    aliases: ['push'],
    describe: 'trigger type: external or external-push (push=0/1 for the old name)',
    parse: parseTrigger,
    apply: (c, v) => ({ ...c, trigger: v as TriggerType }),
    show: (c) => c.trigger,
  },
  {
    key: 'prewarm',
    aliases: [],
    describe: `the scaler's prewarm: ${PREWARM_MODES.join(' or ')} (forecast scheduled runs)`,
    parse: (v, name, token) => v.oneOf<PrewarmMode>([name], token, PREWARM_MODES),
    apply: (c, v) => ({ ...c, prewarm: v as PrewarmMode }),
    show: (c) => c.prewarm,
  },
  {
    key: 'prewarmLeadSeconds',
    aliases: [],
    describe: 'prewarmLeadSeconds: how long ahead of its due instant a scheduled run is forecast',
    parse: integer({ min: 1, max: MAX_PREWARM_LEAD_SECONDS }),
    apply: (c, v) => ({ ...c, prewarmLeadSeconds: num(v) }),
    show: (c) => String(c.prewarmLeadSeconds),
  },
  {
    key: 'scaleIn',
    aliases: [],
    describe: `the scaler's scaleIn policy: ${COMPARED_SCALE_IN_POLICIES.join(', ')}`,
    parse: parseScaleIn,
    apply: (c, v) => ({ ...c, scaleInPolicy: scaleInPolicyNamed(String(v)) ?? c.scaleInPolicy }),
    show: (c) => c.scaleInPolicy,
  },
];

/** Every key and alias `--sweep` accepts. */
const SWEEP_KEYS: readonly string[] = SWEEP_DIMENSIONS.flatMap((d) => [d.key, ...d.aliases]);

function dimensionNamed(name: string): Dimension | undefined {
  return SWEEP_DIMENSIONS.find((d) => d.key === name || d.aliases.includes(name));
}

export interface SweepAxis {
  /** KEDA's name of the setting, whatever name the user wrote. */
  readonly name: string;
  readonly values: readonly SweepValue[];
}

/** Parses `KEY=v1,v2,…`; KEY is KEDA's name of a setting or one of its old aliases. */
export function parseSweepAxis(text: string): SweepAxis {
  const eq = text.indexOf('=');
  const name = eq < 0 ? text : text.slice(0, eq);
  const dimension = dimensionNamed(name);
  if (dimension === undefined) {
    throw new SimInputError([
      `--sweep ${describeValue(text)}: unknown setting ${describeValue(name)}${didYouMean(name, SWEEP_KEYS)} (known: ${SWEEP_DIMENSIONS.map((d) => d.key).join(', ')})`,
    ]);
  }
  const v = new Validator({ label: () => `--sweep ${name}`, format: (label, shown, requirement) => `${label}: value ${shown} ${requirement} (${dimension.describe})` });
  const raw = eq < 0 ? '' : text.slice(eq + 1);
  const values: SweepValue[] = [];
  for (const item of raw.split(',')) {
    const value = dimension.parse(v, name, item.trim());
    if (value !== undefined && !values.includes(value)) values.push(value);
  }
  if (!v.ok) throw new SimInputError(v.problems);
  return { name: dimension.key, values };
}

/** Every combination of the axes applied to the base config; the last axis varies fastest. */
export function expandGrid(base: SimConfig, axes: readonly SweepAxis[]): { config: SimConfig; point: Record<string, SweepValue> }[] {
  let grid: { config: SimConfig; point: Record<string, SweepValue> }[] = [{ config: base, point: {} }];
  for (const axis of axes) {
    const dimension = dimensionNamed(axis.name) as Dimension;
    grid = grid.flatMap((cell) =>
      axis.values.map((value) => ({ config: dimension.apply(cell.config, value), point: { ...cell.point, [axis.name]: value } })),
    );
  }
  return grid;
}

/** The swept setting's value in a config, as the tables show it. */
export function pointValue(config: SimConfig, key: string): string {
  return dimensionNamed(key)?.show(config) ?? '?';
}
