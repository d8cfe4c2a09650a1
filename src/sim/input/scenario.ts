import { basename } from 'node:path';

import { load as loadYaml } from 'js-yaml';

import type { SimConfig } from '../model/config.js';
import type { ArrivalProcess, QueueWorkload } from './arrivals.js';
import { readArrival } from './arrivals.js';
import { SimInputError } from './errors.js';
import { parseIsoTimestamp } from './iso-time.js';
import { ScenarioReader } from './reader.js';
import { readSettings } from './scenario-settings.js';

export type { ArrivalProcess, BurstSchedule, QueueWorkload } from './arrivals.js';

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

const TOP_KEYS = ['name', 'seed', 'duration', 'start', 'queues', 'trace', 'workers', 'scaledObject', 'airflow', 'simulation'] as const;
/** Parses scenario YAML text; `file` is used in messages and to resolve a relative `trace`. */
export function parseScenario(text: string, file: string): Scenario {
  const where = basename(file);
  let doc: unknown;
  try {
    doc = loadYaml(text);
  } catch (err) {
    const mark = (err as { mark?: { line?: number; column?: number } }).mark;
    const at = mark?.line === undefined ? '' : `:${mark.line + 1}:${(mark.column ?? 0) + 1}`;
    throw new SimInputError([`${basename(file)}${at}: not valid YAML: ${(err as { reason?: string }).reason ?? (err as Error).message}`]);
  }
  const r = new ScenarioReader(where);
  const top = r.required([], doc, TOP_KEYS);
  if (top === undefined) throw new SimInputError(r.problems);

  const name = top['name'] === undefined ? basename(file) : (r.text(['name'], top['name']) ?? basename(file));
  const settings = readSettings(r, top);

  let workload: Scenario['workload'] | null = null;
  if ((top['queues'] === undefined) === (top['trace'] === undefined)) {
    r.note([], 'needs exactly one of queues (a generated workload) or trace (a CSV file to replay)');
  } else if (top['trace'] !== undefined) {
    for (const key of ['duration', 'start'] as const) {
      if (top[key] !== undefined) r.problem([key], top[key], 'applies only to a generated workload (queues), not to a trace');
    }
    const trace = r.text(['trace'], top['trace']);
    if (trace !== undefined) workload = { kind: 'trace', file: trace };
  } else {
    const duration = r.duration(['duration'], top['duration'], { min: 0, exclusiveMin: true });
    let startEpochMs = DEFAULT_START;
    if (top['start'] !== undefined) {
      const raw = top['start'];
      const parsed = raw instanceof Date ? raw.getTime() : typeof raw === 'string' ? parseIsoTimestamp(raw) : Number.NaN;
      if (Number.isNaN(parsed)) r.problem(['start'], raw instanceof Date ? raw.toISOString() : raw, 'must be an ISO-8601 timestamp such as 2024-01-01T00:00:00Z');
      else startEpochMs = parsed;
    }
    const queues: QueueWorkload[] = [];
    const rawQueues = r.required(['queues'], top['queues'], null);
    if (rawQueues !== undefined && duration !== undefined) {
      if (Object.keys(rawQueues).length === 0) r.problem(['queues'], rawQueues, 'must name at least one queue');
      for (const [queueName, rawQueue] of Object.entries(rawQueues)) {
        const qp = ['queues', queueName];
        const q = r.required(qp, rawQueue, ['duration', 'arrivals']);
        if (q === undefined) continue;
        const queueDuration = q['duration'] === undefined ? null : (r.distribution([...qp, 'duration'], q['duration']) ?? null);
        const rawArrivals = q['arrivals'];
        if (!Array.isArray(rawArrivals) || rawArrivals.length === 0) {
          r.problem([...qp, 'arrivals'], rawArrivals, 'must be a non-empty list of arrival processes (poisson, ramp, burst)');
          continue;
        }
        const arrivals: ArrivalProcess[] = [];
        rawArrivals.forEach((item, i) => {
          const process = readArrival(r, [...qp, 'arrivals', i], item, duration, queueDuration);
          if (process !== null) arrivals.push(process);
        });
        queues.push({ name: queueName, arrivals });
      }
    }
    if (duration !== undefined) workload = { kind: 'generated', durationSeconds: duration, startEpochMs, queues };
  }
  if (r.problems.length > 0 || workload === null) throw new SimInputError(r.problems);
  return { name, file, workload, settings };
}
