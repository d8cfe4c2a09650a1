import type { CronSchedule } from './cron.js';
import { parseCron } from './cron.js';
import type { Distribution } from '../model/distribution.js';
import type { Path, ScenarioReader } from './reader.js';

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
      /**
       * The DAG whose scheduled runs the fires are; null: one named after the queue and the
       * burst's place in its list (`default_burst_0`). Bursts naming the same DAG that fire at
       * the same instant are one run.
       */
      readonly dag: string | null;
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

/**
 * Airflow's rule for a dag_id (`validate_key`, airflow/utils/helpers.py: letters, digits, `_`,
 * `.` and `-`) and its column, `dag.dag_id` VARCHAR(250).
 */
const DAG_ID = /^[A-Za-z0-9_.-]{1,250}$/;

const RATE_UNITS = { PerSecond: 1, PerMinute: 1 / 60, PerHour: 1 / 3600 } as const;

/** `<prefix>PerSecond|PerMinute|PerHour`: exactly one of them, > 0 (or >= 0 for ramp ends). */
function readRate(r: ScenarioReader, path: Path, record: Record<string, unknown>, prefix: string, allowZero: boolean): number | undefined {
  const present = Object.entries(RATE_UNITS).filter(([unit]) => record[`${prefix}${unit}`] !== undefined);
  if (present.length !== 1) {
    r.note(path, `needs exactly one of ${Object.keys(RATE_UNITS).map((u) => `${prefix}${u}`).join(', ')}`);
    return undefined;
  }
  const [unit, factor] = present[0] as [string, number];
  const value = r.number([...path, `${prefix}${unit}`], record[`${prefix}${unit}`], { min: 0, exclusiveMin: !allowZero });
  return value === undefined ? undefined : value * factor;
}

const RATE_KEYS = (prefix: string): string[] => Object.keys(RATE_UNITS).map((u) => `${prefix}${u}`);

function readWindow(r: ScenarioReader, path: Path, record: Record<string, unknown>, horizon: number): { from: number; until: number } | null {
  const from = record['from'] === undefined ? 0 : r.duration([...path, 'from'], record['from']);
  const until = record['until'] === undefined ? horizon : r.duration([...path, 'until'], record['until']);
  if (from === undefined || until === undefined) return null;
  if (until <= from) {
    r.problem([...path, 'until'], record['until'], `must be after from (${from} s)`);
    return null;
  }
  return { from, until: Math.min(until, horizon) };
}

export function readArrival(
  r: ScenarioReader,
  path: Path,
  value: unknown,
  horizon: number,
  queueDuration: Distribution | null,
): ArrivalProcess | null {
  const record = r.required(path, value, ['poisson', 'ramp', 'burst']);
  if (record === undefined) return null;
  const kinds = Object.keys(record);
  const kind = kinds[0];
  if (kinds.length !== 1 || (kind !== 'poisson' && kind !== 'ramp' && kind !== 'burst')) {
    if (kinds.length !== 1) r.problem(path, value, 'must have exactly one of: poisson, ramp, burst');
    return null;
  }
  const p = [...path, kind];
  const durationOf = (body: Record<string, unknown>): Distribution | null => {
    if (body['duration'] !== undefined) return r.distribution([...p, 'duration'], body['duration']) ?? null;
    if (queueDuration === null) r.note([...p, 'duration'], 'is missing (set it here or on the queue)');
    return queueDuration;
  };
  if (kind === 'poisson') {
    const body = r.required(p, record[kind], [...RATE_KEYS('rate'), 'from', 'until', 'duration']);
    if (body === undefined) return null;
    const rate = readRate(r, p, body, 'rate', false);
    const window = readWindow(r, p, body, horizon);
    const duration = durationOf(body);
    if (rate === undefined || window === null || duration === null) return null;
    return { kind, ratePerSecond: rate, ...window, duration };
  }
  if (kind === 'ramp') {
    const body = r.required(p, record[kind], [...RATE_KEYS('startRate'), ...RATE_KEYS('endRate'), 'from', 'until', 'duration']);
    if (body === undefined) return null;
    const start = readRate(r, p, body, 'startRate', true);
    const end = readRate(r, p, body, 'endRate', true);
    const window = readWindow(r, p, body, horizon);
    const duration = durationOf(body);
    if (start === undefined || end === undefined || window === null || duration === null) return null;
    return { kind, startRatePerSecond: start, endRatePerSecond: end, ...window, duration };
  }
  const body = r.required(p, record[kind], ['dag', 'tasks', 'cron', 'every', 'offset', 'spread', 'from', 'until', 'duration']);
  if (body === undefined) return null;
  let dag: string | null = null;
  if (body['dag'] !== undefined) {
    const name = r.text([...p, 'dag'], body['dag']);
    if (name !== undefined && !DAG_ID.test(name)) r.problem([...p, 'dag'], name, 'must be a dag_id: 1 to 250 letters, digits, _, . or -');
    else if (name !== undefined) dag = name;
  }
  const tasks = r.number([...p, 'tasks'], body['tasks'], { min: 1, max: 10_000_000, integer: true });
  const spread = body['spread'] === undefined ? 0 : r.duration([...p, 'spread'], body['spread']);
  const window = readWindow(r, p, body, horizon);
  const duration = durationOf(body);
  let schedule: BurstSchedule | null = null;
  if ((body['cron'] === undefined) === (body['every'] === undefined)) {
    r.note(p, 'needs exactly one of cron (e.g. "0 * * * *") or every (e.g. 1h)');
  } else if (body['cron'] !== undefined) {
    if (body['offset'] !== undefined) r.problem([...p, 'offset'], body['offset'], 'applies only with every, not with cron');
    const expression = r.text([...p, 'cron'], body['cron']);
    if (expression !== undefined) {
      try {
        schedule = { cron: parseCron(expression) };
      } catch (err) {
        r.problem([...p, 'cron'], expression, `is not a cron expression: ${(err as Error).message}`);
      }
    }
  } else {
    const every = r.duration([...p, 'every'], body['every'], { min: 0, exclusiveMin: true });
    const offset = body['offset'] === undefined ? 0 : r.duration([...p, 'offset'], body['offset']);
    if (every !== undefined && offset !== undefined) schedule = { every, offset };
  }
  if (tasks === undefined || spread === undefined || window === null || duration === null || schedule === null) return null;
  return { kind, dag, tasks, schedule, spreadSeconds: spread, ...window, duration };
}
