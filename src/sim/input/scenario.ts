import { basename } from 'node:path';

import { load as loadYaml } from 'js-yaml';

import type { HpaScalingPolicy, PartialHpaBehavior, PartialScalingRules, SelectPolicy } from '../../core/hpa-behavior.js';
import { defaultBehavior } from '../../core/hpa-behavior.js';
import type { SimConfig, TriggerType } from '../model/config.js';
import { COMPARED_SCALE_IN_POLICIES, SCALE_IN_POLICY_ALIASES, scaleInPolicyNamed } from '../model/config.js';
import type { CronSchedule } from './cron.js';
import { parseCron } from './cron.js';
import type { Distribution } from '../model/distribution.js';
import { sample } from '../model/distribution.js';
import { SimInputError, show } from './errors.js';
import type { Rng } from '../model/random.js';
import { Stream, createRng, exponential } from '../model/random.js';
import type { Workload } from '../model/workload.js';
import { WorkloadBuilder } from '../model/workload.js';

/** When a burst fires: a cron expression (UTC), or a period and offset in seconds. */
export type BurstSchedule = { readonly cron: CronSchedule } | { readonly every: number; readonly offset: number };

/** One arrival process of a queue, times in seconds from the start of the scenario. */
export type ArrivalProcess =
  | {
      readonly kind: 'poisson';
      readonly ratePerSecond: number;
      readonly from: number;
      readonly until: number;
      readonly duration: Distribution;
    }
  | {
      readonly kind: 'ramp';
      readonly startRatePerSecond: number;
      readonly endRatePerSecond: number;
      readonly from: number;
      readonly until: number;
      readonly duration: Distribution;
    }
  | {
      readonly kind: 'burst';
      readonly tasks: number;
      readonly schedule: BurstSchedule;
      readonly spreadSeconds: number;
      readonly from: number;
      readonly until: number;
      readonly duration: Distribution;
    };

export interface QueueWorkload {
  readonly name: string;
  readonly arrivals: readonly ArrivalProcess[];
}

export interface Scenario {
  readonly name: string;
  readonly file: string;
  /** Either generated from `queues`, or replayed from a CSV trace named by the scenario. */
  readonly workload:
    | { readonly kind: 'generated'; readonly durationSeconds: number; readonly startEpochMs: number; readonly queues: readonly QueueWorkload[] }
    | { readonly kind: 'trace'; readonly file: string };
  /** Settings the scenario fixes; command-line options override them. */
  readonly settings: Partial<SimConfig>;
}

const DEFAULT_START = Date.UTC(2024, 0, 1); // a Monday, 00:00 UTC

const TIME = /^([0-9]+(?:\.[0-9]+)?)(ms|s|m|h|d)$/;
const UNIT_SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 };

/** Validates a YAML document, collecting every problem with its key path and value. */
export class Reader {
  readonly problems: string[] = [];

  constructor(readonly where: string) {}

  fail(path: string, value: unknown, requirement: string): void {
    this.problems.push(`${this.where}${path}: ${value === undefined ? 'missing; it' : show(value)} ${requirement}`);
  }

  /** A mapping with only the allowed keys; unknown keys (typos) are problems. */
  object(path: string, value: unknown, allowed: readonly string[]): Record<string, unknown> | null {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      this.fail(path, value, 'must be a mapping');
      return null;
    }
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      if (!allowed.includes(key)) {
        this.problems.push(`${this.where}${join(path, key)}: unknown key (expected one of: ${allowed.join(', ')})`);
      }
    }
    return record;
  }

  number(path: string, value: unknown, opts: { min?: number; max?: number; integer?: boolean; exclusiveMin?: boolean }): number | null {
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      this.fail(path, value, `must be a ${opts.integer === true ? 'whole number' : 'number'}${describeRange(opts)}`);
      return null;
    }
    if (opts.integer === true && !Number.isInteger(value)) {
      this.fail(path, value, `must be a whole number${describeRange(opts)}`);
      return null;
    }
    const tooLow = opts.min !== undefined && (opts.exclusiveMin === true ? value <= opts.min : value < opts.min);
    if (tooLow || (opts.max !== undefined && value > opts.max)) {
      this.fail(path, value, `must be a ${opts.integer === true ? 'whole number' : 'number'}${describeRange(opts)}`);
      return null;
    }
    return value;
  }

  /** Seconds: a number, or a string with a unit (250ms, 90s, 5m, 1.5h, 2d). */
  seconds(path: string, value: unknown, opts: { min?: number; exclusiveMin?: boolean } = { min: 0 }): number | null {
    let seconds: number | null = null;
    if (typeof value === 'number' && Number.isFinite(value)) seconds = value;
    else if (typeof value === 'string') {
      const match = TIME.exec(value.trim());
      if (match !== null) seconds = Number(match[1]) * (UNIT_SECONDS[match[2] ?? 's'] ?? 1);
    }
    const min = opts.min ?? 0;
    if (seconds === null || (opts.exclusiveMin === true ? seconds <= min : seconds < min)) {
      this.fail(path, value, `must be a duration ${opts.exclusiveMin === true ? '>' : '>='} ${min} s (seconds, or a string such as 90s, 5m, 1.5h, 2d)`);
      return null;
    }
    return seconds;
  }

  boolean(path: string, value: unknown): boolean | null {
    if (typeof value !== 'boolean') {
      this.fail(path, value, 'must be true or false');
      return null;
    }
    return value;
  }

  oneOf<T extends string>(path: string, value: unknown, options: readonly T[]): T | null {
    if (typeof value !== 'string' || !(options as readonly string[]).includes(value)) {
      this.fail(path, value, `must be one of: ${options.join(', ')}`);
      return null;
    }
    return value as T;
  }

  string(path: string, value: unknown): string | null {
    if (typeof value !== 'string' || value.length === 0) {
      this.fail(path, value, 'must be a non-empty string');
      return null;
    }
    return value;
  }

  /** fixed (a plain number or duration string), exponential or lognormal. */
  distribution(path: string, value: unknown): Distribution | null {
    if (typeof value === 'number' || typeof value === 'string') {
      const seconds = this.seconds(path, value);
      return seconds === null ? null : { distribution: 'fixed', seconds };
    }
    const record = this.object(path, value, ['distribution', 'seconds', 'mean', 'median', 'sigma']);
    if (record === null) return null;
    const kind = this.oneOf(join(path, 'distribution'), record['distribution'], ['fixed', 'exponential', 'lognormal'] as const);
    const allowedByKind: Record<string, readonly string[]> = {
      fixed: ['distribution', 'seconds'],
      exponential: ['distribution', 'mean'],
      lognormal: ['distribution', 'median', 'sigma'],
    };
    if (kind === null) return null;
    for (const key of Object.keys(record)) {
      if (!(allowedByKind[kind] ?? []).includes(key)) {
        this.problems.push(`${this.where}${join(path, key)}: not a parameter of a ${kind} distribution (expected: ${(allowedByKind[kind] ?? []).slice(1).join(', ')})`);
      }
    }
    if (kind === 'fixed') {
      const seconds = this.seconds(join(path, 'seconds'), record['seconds']);
      return seconds === null ? null : { distribution: 'fixed', seconds };
    }
    if (kind === 'exponential') {
      const mean = this.seconds(join(path, 'mean'), record['mean'], { min: 0, exclusiveMin: true });
      return mean === null ? null : { distribution: 'exponential', mean };
    }
    const median = this.seconds(join(path, 'median'), record['median'], { min: 0, exclusiveMin: true });
    const sigma = this.number(join(path, 'sigma'), record['sigma'], { min: 0, max: 10 });
    return median === null || sigma === null ? null : { distribution: 'lognormal', median, sigma };
  }
}

function describeRange(opts: { min?: number; max?: number; exclusiveMin?: boolean }): string {
  const parts: string[] = [];
  if (opts.min !== undefined) parts.push(`${opts.exclusiveMin === true ? '>' : '>='} ${opts.min}`);
  if (opts.max !== undefined) parts.push(`<= ${opts.max}`);
  return parts.length > 0 ? ` ${parts.join(' and ')}` : '';
}

function join(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path === '' ? key : `${path}.${key}`;
}

const RATE_UNITS = { PerSecond: 1, PerMinute: 1 / 60, PerHour: 1 / 3600 } as const;

/** `<prefix>PerSecond|PerMinute|PerHour`: exactly one of them, > 0 (or >= 0 for ramp ends). */
function readRate(r: Reader, path: string, record: Record<string, unknown>, prefix: string, allowZero: boolean): number | null {
  const present = Object.entries(RATE_UNITS).filter(([unit]) => record[`${prefix}${unit}`] !== undefined);
  if (present.length !== 1) {
    r.problems.push(`${r.where}${path}: needs exactly one of ${Object.keys(RATE_UNITS).map((u) => `${prefix}${u}`).join(', ')}`);
    return null;
  }
  const [unit, factor] = present[0] as [string, number];
  const value = r.number(join(path, `${prefix}${unit}`), record[`${prefix}${unit}`], { min: 0, exclusiveMin: !allowZero });
  return value === null ? null : value * factor;
}

const RATE_KEYS = (prefix: string): string[] => Object.keys(RATE_UNITS).map((u) => `${prefix}${u}`);

function readWindow(r: Reader, path: string, record: Record<string, unknown>, horizon: number): { from: number; until: number } | null {
  const from = record['from'] === undefined ? 0 : r.seconds(join(path, 'from'), record['from']);
  const until = record['until'] === undefined ? horizon : r.seconds(join(path, 'until'), record['until']);
  if (from === null || until === null) return null;
  if (until <= from) {
    r.fail(join(path, 'until'), record['until'], `must be after from (${from} s)`);
    return null;
  }
  return { from, until: Math.min(until, horizon) };
}

function readArrival(
  r: Reader,
  path: string,
  value: unknown,
  horizon: number,
  queueDuration: Distribution | null,
): ArrivalProcess | null {
  const record = r.object(path, value, ['poisson', 'ramp', 'burst']);
  if (record === null) return null;
  const kinds = Object.keys(record);
  const kind = kinds[0];
  if (kinds.length !== 1 || (kind !== 'poisson' && kind !== 'ramp' && kind !== 'burst')) {
    if (kinds.length !== 1) r.fail(path, value, 'must have exactly one of: poisson, ramp, burst');
    return null;
  }
  const p = join(path, kind);
  const durationOf = (body: Record<string, unknown>): Distribution | null => {
    if (body['duration'] !== undefined) return r.distribution(join(p, 'duration'), body['duration']);
    if (queueDuration === null) r.problems.push(`${r.where}${join(p, 'duration')}: missing (set it here or on the queue)`);
    return queueDuration;
  };
  if (kind === 'poisson') {
    const body = r.object(p, record[kind], [...RATE_KEYS('rate'), 'from', 'until', 'duration']);
    if (body === null) return null;
    const rate = readRate(r, p, body, 'rate', false);
    const window = readWindow(r, p, body, horizon);
    const duration = durationOf(body);
    if (rate === null || window === null || duration === null) return null;
    return { kind, ratePerSecond: rate, ...window, duration };
  }
  if (kind === 'ramp') {
    const body = r.object(p, record[kind], [...RATE_KEYS('startRate'), ...RATE_KEYS('endRate'), 'from', 'until', 'duration']);
    if (body === null) return null;
    const start = readRate(r, p, body, 'startRate', true);
    const end = readRate(r, p, body, 'endRate', true);
    const window = readWindow(r, p, body, horizon);
    const duration = durationOf(body);
    if (start === null || end === null || window === null || duration === null) return null;
    return { kind, startRatePerSecond: start, endRatePerSecond: end, ...window, duration };
  }
  const body = r.object(p, record[kind], ['tasks', 'cron', 'every', 'offset', 'spread', 'from', 'until', 'duration']);
  if (body === null) return null;
  const tasks = r.number(join(p, 'tasks'), body['tasks'], { min: 1, max: 10_000_000, integer: true });
  const spread = body['spread'] === undefined ? 0 : r.seconds(join(p, 'spread'), body['spread']);
  const window = readWindow(r, p, body, horizon);
  const duration = durationOf(body);
  let schedule: BurstSchedule | null = null;
  if ((body['cron'] === undefined) === (body['every'] === undefined)) {
    r.problems.push(`${r.where}${p}: needs exactly one of cron (e.g. "0 * * * *") or every (e.g. 1h)`);
  } else if (body['cron'] !== undefined) {
    if (body['offset'] !== undefined) r.fail(join(p, 'offset'), body['offset'], 'applies only with every, not with cron');
    const expression = r.string(join(p, 'cron'), body['cron']);
    if (expression !== null) {
      try {
        schedule = { cron: parseCron(expression) };
      } catch (err) {
        r.fail(join(p, 'cron'), expression, `is not a cron expression: ${(err as Error).message}`);
      }
    }
  } else {
    const every = r.seconds(join(p, 'every'), body['every'], { min: 0, exclusiveMin: true });
    const offset = body['offset'] === undefined ? 0 : r.seconds(join(p, 'offset'), body['offset']);
    if (every !== null && offset !== null) schedule = { every, offset };
  }
  if (tasks === null || spread === null || window === null || duration === null || schedule === null) return null;
  return { kind, tasks, schedule, spreadSeconds: spread, ...window, duration };
}

const TOP_KEYS = ['name', 'seed', 'duration', 'start', 'queues', 'trace', 'workers', 'scaledObject', 'simulation'] as const;

/** Reads the optional settings sections into config overrides. */
function readSettings(r: Reader, doc: Record<string, unknown>): Partial<SimConfig> {
  const settings: Record<string, unknown> = {};
  const set = (key: keyof SimConfig, value: unknown): void => {
    if (value !== null && value !== undefined) settings[key] = value;
  };
  if (doc['seed'] !== undefined) set('seed', r.number('seed', doc['seed'], { min: 0, max: 4294967295, integer: true }));

  if (doc['workers'] !== undefined) {
    const w = r.object('workers', doc['workers'], ['concurrency', 'startup', 'terminationGracePeriodSeconds', 'scaleIn', 'initialReplicas']);
    if (w !== null) {
      if (w['concurrency'] !== undefined) set('workerConcurrency', r.number('workers.concurrency', w['concurrency'], { min: 1, max: 1024, integer: true }));
      if (w['startup'] !== undefined) set('podStartup', r.distribution('workers.startup', w['startup']));
      if (w['terminationGracePeriodSeconds'] !== undefined) {
        set('terminationGracePeriodSeconds', r.seconds('workers.terminationGracePeriodSeconds', w['terminationGracePeriodSeconds']));
      }
      if (w['scaleIn'] !== undefined) {
        const named = typeof w['scaleIn'] === 'string' ? scaleInPolicyNamed(w['scaleIn']) : null;
        if (named !== null) set('scaleInPolicy', named);
        else r.fail('workers.scaleIn', w['scaleIn'], `must be one of: ${COMPARED_SCALE_IN_POLICIES.join(', ')} (or the old names ${Object.keys(SCALE_IN_POLICY_ALIASES).join(', ')})`);
      }
      if (w['initialReplicas'] !== undefined) set('initialReplicas', r.number('workers.initialReplicas', w['initialReplicas'], { min: 0, max: 100_000, integer: true }));
    }
  }

  if (doc['scaledObject'] !== undefined) {
    const so = r.object('scaledObject', doc['scaledObject'], [
      'pollingInterval', 'cooldownPeriod', 'initialCooldownPeriod', 'minReplicaCount', 'maxReplicaCount',
      'trigger', 'useCachedMetrics', 'queues', 'activationThreshold', 'behavior',
    ]);
    if (so !== null) {
      const int = (key: string, min: number, max: number): number | null => r.number(`scaledObject.${key}`, so[key], { min, max, integer: true });
      if (so['pollingInterval'] !== undefined) set('pollingInterval', int('pollingInterval', 1, 86400));
      if (so['cooldownPeriod'] !== undefined) set('cooldownPeriod', int('cooldownPeriod', 0, 86400 * 7));
      if (so['initialCooldownPeriod'] !== undefined) set('initialCooldownPeriod', int('initialCooldownPeriod', 0, 86400 * 7));
      if (so['minReplicaCount'] !== undefined) set('minReplicaCount', int('minReplicaCount', 0, 100_000));
      if (so['maxReplicaCount'] !== undefined) set('maxReplicaCount', int('maxReplicaCount', 1, 100_000));
      if (so['activationThreshold'] !== undefined) set('activationThreshold', int('activationThreshold', 0, 1_000_000));
      if (so['trigger'] !== undefined) set('trigger', r.oneOf<TriggerType>('scaledObject.trigger', so['trigger'], ['external', 'external-push']));
      if (so['useCachedMetrics'] !== undefined) set('useCachedMetrics', r.boolean('scaledObject.useCachedMetrics', so['useCachedMetrics']));
      if (so['queues'] !== undefined) {
        const queues = so['queues'];
        if (!Array.isArray(queues) || queues.length === 0 || queues.some((q) => typeof q !== 'string' || q.length === 0)) {
          r.fail('scaledObject.queues', queues, 'must be a non-empty list of queue names');
        } else set('queues', [...new Set(queues as string[])].sort());
      }
      if (so['behavior'] !== undefined) set('hpaBehavior', readBehavior(r, 'scaledObject.behavior', so['behavior']));
    }
  }

  if (doc['simulation'] !== undefined) {
    const s = r.object('simulation', doc['simulation'], [
      'hpaSyncPeriodSeconds', 'hpaSyncOffsetSeconds', 'hpaTolerance', 'scalerTickSeconds', 'retryDelaySeconds', 'sampleSeconds',
    ]);
    if (s !== null) {
      if (s['hpaSyncPeriodSeconds'] !== undefined) set('hpaSyncPeriodSeconds', r.seconds('simulation.hpaSyncPeriodSeconds', s['hpaSyncPeriodSeconds'], { min: 0, exclusiveMin: true }));
      if (s['hpaSyncOffsetSeconds'] !== undefined) set('hpaSyncOffsetSeconds', r.seconds('simulation.hpaSyncOffsetSeconds', s['hpaSyncOffsetSeconds']));
      if (s['hpaTolerance'] !== undefined) set('hpaTolerance', r.number('simulation.hpaTolerance', s['hpaTolerance'], { min: 0, max: 1 }));
      if (s['scalerTickSeconds'] !== undefined) set('scalerTickSeconds', r.seconds('simulation.scalerTickSeconds', s['scalerTickSeconds'], { min: 0, exclusiveMin: true }));
      if (s['retryDelaySeconds'] !== undefined) set('retryDelaySeconds', r.seconds('simulation.retryDelaySeconds', s['retryDelaySeconds']));
      if (s['sampleSeconds'] !== undefined) set('sampleSeconds', r.seconds('simulation.sampleSeconds', s['sampleSeconds'], { min: 0, exclusiveMin: true }));
    }
  }
  return settings;
}

/** `advanced.horizontalPodAutoscalerConfig.behavior`; missing fields get Kubernetes defaults. */
function readBehavior(r: Reader, path: string, value: unknown): ReturnType<typeof defaultBehavior> | null {
  if (value === null) return null;
  const record = r.object(path, value, ['scaleUp', 'scaleDown']);
  if (record === null) return null;
  const rules = (key: 'scaleUp' | 'scaleDown'): PartialScalingRules | undefined => {
    const raw = record[key];
    if (raw === undefined) return undefined;
    const p = join(path, key);
    const body = r.object(p, raw, ['stabilizationWindowSeconds', 'selectPolicy', 'policies']);
    if (body === null) return undefined;
    const out: { stabilizationWindowSeconds?: number; selectPolicy?: SelectPolicy; policies?: HpaScalingPolicy[] } = {};
    if (body['stabilizationWindowSeconds'] !== undefined) {
      const v = r.number(join(p, 'stabilizationWindowSeconds'), body['stabilizationWindowSeconds'], { min: 0, max: 3600, integer: true });
      if (v !== null) out.stabilizationWindowSeconds = v;
    }
    if (body['selectPolicy'] !== undefined) {
      const v = r.oneOf<SelectPolicy>(join(p, 'selectPolicy'), body['selectPolicy'], ['Max', 'Min', 'Disabled']);
      if (v !== null) out.selectPolicy = v;
    }
    if (body['policies'] !== undefined) {
      const list = body['policies'];
      if (!Array.isArray(list) || list.length === 0) r.fail(join(p, 'policies'), list, 'must be a non-empty list');
      else {
        out.policies = [];
        list.forEach((item, i) => {
          const pp = join(join(p, 'policies'), i);
          const policy = r.object(pp, item, ['type', 'value', 'periodSeconds']);
          if (policy === null) return;
          const type = r.oneOf(join(pp, 'type'), policy['type'], ['Pods', 'Percent'] as const);
          const v = r.number(join(pp, 'value'), policy['value'], { min: 1, max: 100_000, integer: true });
          const period = r.number(join(pp, 'periodSeconds'), policy['periodSeconds'], { min: 1, max: 1800, integer: true });
          if (type !== null && v !== null && period !== null) out.policies?.push({ type, value: v, periodSeconds: period });
        });
      }
    }
    return out;
  };
  const partial: PartialHpaBehavior = { scaleUp: rules('scaleUp'), scaleDown: rules('scaleDown') };
  return defaultBehavior(partial);
}

/** Parses scenario YAML text; `file` is used in messages and to resolve a relative `trace`. */
export function parseScenario(text: string, file: string): Scenario {
  const where = `${basename(file)}: `;
  let doc: unknown;
  try {
    doc = loadYaml(text);
  } catch (err) {
    const mark = (err as { mark?: { line?: number; column?: number } }).mark;
    const at = mark?.line === undefined ? '' : `:${mark.line + 1}:${(mark.column ?? 0) + 1}`;
    throw new SimInputError([`${basename(file)}${at}: not valid YAML: ${(err as { reason?: string }).reason ?? (err as Error).message}`]);
  }
  const r = new Reader(where);
  const top = r.object('', doc, TOP_KEYS);
  if (top === null) throw new SimInputError(r.problems.length > 0 ? r.problems : [`${where}must be a YAML mapping`]);

  const name = top['name'] === undefined ? basename(file) : (r.string('name', top['name']) ?? basename(file));
  const settings = readSettings(r, top);

  let workload: Scenario['workload'] | null = null;
  if ((top['queues'] === undefined) === (top['trace'] === undefined)) {
    r.problems.push(`${where}needs exactly one of queues (a generated workload) or trace (a CSV file to replay)`);
  } else if (top['trace'] !== undefined) {
    for (const key of ['duration', 'start'] as const) {
      if (top[key] !== undefined) r.fail(key, top[key], 'applies only to a generated workload (queues), not to a trace');
    }
    const trace = r.string('trace', top['trace']);
    if (trace !== null) workload = { kind: 'trace', file: trace };
  } else {
    const duration = r.seconds('duration', top['duration'], { min: 0, exclusiveMin: true });
    let startEpochMs = DEFAULT_START;
    if (top['start'] !== undefined) {
      const raw = top['start'];
      const parsed = raw instanceof Date ? raw.getTime() : typeof raw === 'string' ? parseIsoTimestamp(raw) : Number.NaN;
      if (Number.isNaN(parsed)) r.fail('start', raw instanceof Date ? raw.toISOString() : raw, 'must be an ISO-8601 timestamp such as 2024-01-01T00:00:00Z');
      else startEpochMs = parsed;
    }
    const queues: QueueWorkload[] = [];
    const rawQueues = r.object('queues', top['queues'], Object.keys((top['queues'] ?? {})));
    if (rawQueues !== null && duration !== null) {
      if (Object.keys(rawQueues).length === 0) r.fail('queues', rawQueues, 'must name at least one queue');
      for (const [queueName, rawQueue] of Object.entries(rawQueues)) {
        const qp = join('queues', queueName);
        const q = r.object(qp, rawQueue, ['duration', 'arrivals']);
        if (q === null) continue;
        const queueDuration = q['duration'] === undefined ? null : r.distribution(join(qp, 'duration'), q['duration']);
        const rawArrivals = q['arrivals'];
        if (!Array.isArray(rawArrivals) || rawArrivals.length === 0) {
          r.fail(join(qp, 'arrivals'), rawArrivals, 'must be a non-empty list of arrival processes (poisson, ramp, burst)');
          continue;
        }
        const arrivals: ArrivalProcess[] = [];
        rawArrivals.forEach((item, i) => {
          const process = readArrival(r, join(join(qp, 'arrivals'), i), item, duration, queueDuration);
          if (process !== null) arrivals.push(process);
        });
        queues.push({ name: queueName, arrivals });
      }
    }
    if (duration !== null) workload = { kind: 'generated', durationSeconds: duration, startEpochMs, queues };
  }
  if (r.problems.length > 0 || workload === null) throw new SimInputError(r.problems);
  return { name, file, workload, settings };
}

/**
 * ISO-8601 date or date-time; a space may replace the `T` (PostgreSQL's text form), a missing
 * offset means UTC, `+HH` and `+HHMM` offsets are accepted. NaN when invalid.
 */
export function parseIsoTimestamp(text: string): number {
  const m = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?))?\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?$/.exec(text.trim());
  if (m === null) return Number.NaN;
  const [, date, time, zone] = m;
  let offset = 'Z';
  if (zone !== undefined && zone.toUpperCase() !== 'Z') {
    const digits = zone.slice(1).replace(':', '');
    offset = `${zone[0] ?? '+'}${digits.slice(0, 2)}:${digits.length > 2 ? digits.slice(2, 4) : '00'}`;
  }
  const iso = `${date ?? ''}T${time ?? '00:00'}${offset}`;
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return ms;
  // Date.parse rolls 2024-02-30 over to March; refuse dates that do not exist.
  const [y, mo, d] = (date ?? '').split('-').map(Number);
  const check = new Date(Date.UTC(y ?? 0, (mo ?? 1) - 1, d ?? 1));
  if (check.getUTCFullYear() !== y || check.getUTCMonth() + 1 !== mo || check.getUTCDate() !== d) return Number.NaN;
  return ms;
}

/** Draws the tasks of a generated workload. Each arrival process has its own random stream. */
export function generateWorkload(scenario: Scenario, seed: number): Workload {
  const spec = scenario.workload;
  if (spec.kind !== 'generated') throw new Error('generateWorkload needs a generated (queues) scenario');
  const builder = new WorkloadBuilder();
  let stream: number = Stream.arrivalsBase;
  for (const queue of spec.queues) {
    const queueId = builder.queueId(queue.name);
    for (const process of queue.arrivals) {
      const rng = createRng(seed, stream);
      stream += 1;
      generateArrivals(process, rng, spec.startEpochMs, (t) => builder.add(queueId, t, Math.max(0, sample(process.duration, rng))));
    }
  }
  return builder.build({ name: scenario.name, source: 'scenario', startEpochMs: spec.startEpochMs });
}

function generateArrivals(process: ArrivalProcess, rng: Rng, startEpochMs: number, emit: (t: number) => void): void {
  const { from, until } = process;
  if (process.kind === 'poisson') {
    for (let t = from + exponential(rng, 1 / process.ratePerSecond); t < until; t += exponential(rng, 1 / process.ratePerSecond)) emit(t);
    return;
  }
  if (process.kind === 'ramp') {
    // A non-homogeneous Poisson process with a linear rate, by thinning (Lewis & Shedler).
    const peak = Math.max(process.startRatePerSecond, process.endRatePerSecond);
    if (peak <= 0) return;
    const span = until - from;
    for (let t = from + exponential(rng, 1 / peak); t < until; t += exponential(rng, 1 / peak)) {
      const rate = process.startRatePerSecond + ((process.endRatePerSecond - process.startRatePerSecond) * (t - from)) / span;
      if (rng.next() * peak < rate) emit(t);
    }
    return;
  }
  const burst = (at: number): void => {
    for (let i = 0; i < process.tasks; i++) {
      const t = process.spreadSeconds > 0 ? at + rng.next() * process.spreadSeconds : at;
      if (t < until) emit(t);
    }
  };
  const schedule = process.schedule;
  if ('cron' in schedule) {
    for (let minute = Math.ceil(from / 60) * 60; minute < until; minute += 60) {
      if (schedule.cron.matches(startEpochMs + minute * 1000)) burst(minute);
    }
  } else {
    const first = schedule.offset >= from ? schedule.offset : schedule.offset + Math.ceil((from - schedule.offset) / schedule.every) * schedule.every;
    for (let at = first; at < until; at += schedule.every) burst(at);
  }
}
