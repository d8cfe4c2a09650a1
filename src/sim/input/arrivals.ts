import type { CronSchedule } from './cron.js';
import { parseCron } from './cron.js';
import type { Distribution } from '../model/distribution.js';
import type { Reader } from './reader.js';
import { join } from './reader.js';

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

export function readArrival(
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
