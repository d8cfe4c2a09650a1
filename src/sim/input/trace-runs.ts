import { describeValue } from '../../core/validation.js';
import type { WorkloadBuilder } from '../model/workload.js';
import { NO_RUN } from '../model/workload.js';

/*
 * The optional run columns of a trace: `dag_id,run_id,run_type,run_after`, as `dag_run` holds them
 * (export-trace writes the ids hashed). Pre-warming forecasts runs of type `scheduled` from their
 * `run_after`, the instant the scheduler was due to create them (Airflow 3 `dag_run.run_after`;
 * 2.x: the end of the data interval, or the logical date). A row with all four empty belongs to
 * no run; one with an empty run_type belongs to a run of unknown type (export-trace without
 * SELECT on dag_run), never forecast. A run's type and run_after agree on every row of it.
 */

export const RUN_COLUMNS = ['dag_id', 'run_id', 'run_type', 'run_after'] as const;

/**
 * Airflow's `DagRunType` values from 2.10 to 3.2 (airflow-core utils/types.py): 2.x says
 * `dataset_triggered` where 3.x says `asset_triggered`; 3.2 adds `asset_materialization`.
 */
const RUN_TYPES = ['scheduled', 'manual', 'backfill', 'asset_triggered', 'dataset_triggered', 'asset_materialization'] as const;

/** `dag.dag_id` and `dag_run.run_id` are VARCHAR(250). */
const MAX_ID = 250;

export interface RunColumnIndexes {
  readonly dagId: number;
  readonly runId: number;
  readonly runType: number;
  readonly runAfter: number;
}

/** Where the run columns are; null when the header has none of them. Reports a partial or doubled set. */
export function runColumnIndexes(columns: readonly string[], file: string, problem: (message: string) => void): RunColumnIndexes | null {
  const found = RUN_COLUMNS.map((column) => columns.indexOf(column));
  if (found.every((i) => i < 0)) return null;
  RUN_COLUMNS.forEach((column, i) => {
    if ((found[i] as number) < 0) {
      problem(`${file}:1: header lacks column "${column}": the run columns go together (${RUN_COLUMNS.join(',')})`);
    } else if (columns.indexOf(column, (found[i] as number) + 1) >= 0) problem(`${file}:1: header has column "${column}" twice`);
  });
  const [dagId, runId, runType, runAfter] = found as [number, number, number, number];
  return { dagId, runId, runType, runAfter };
}

/** Reads the run columns of trace rows into a builder, checking each run agrees with itself. */
export class TraceRunReader {
  /** Line on which each run was first seen, for messages about a disagreeing later row. */
  private readonly firstLine: number[] = [];
  /** The last row's run and its four fields as written: a run's rows mostly come together. */
  private last: { dagId: string; runId: string; runType: string; runAfter: string; run: number } | null = null;

  constructor(
    private readonly builder: WorkloadBuilder,
    private readonly indexes: RunColumnIndexes,
    private readonly parseTime: (text: string) => number,
    /** The file's name, for messages. */
    private readonly file: string,
  ) {}

  /** The row's run (NO_RUN when it has none), or null when a problem was reported. */
  read(fields: readonly string[], line: number, problem: (message: string) => void): number | null {
    const { dagId: di, runId: ri, runType: ti, runAfter: ai } = this.indexes;
    // Every row comes through here: no allocation until the row names a run not seen just before.
    const dagId = (fields[di] ?? '').trim();
    const runId = (fields[ri] ?? '').trim();
    const runType = (fields[ti] ?? '').trim();
    const runAfterText = (fields[ai] ?? '').trim();
    if (dagId === '' && runId === '' && runType === '' && runAfterText === '') return NO_RUN;
    const last = this.last;
    // The same four fields as the last valid row: the same run, already checked.
    if (last !== null && last.runId === runId && last.dagId === dagId && last.runType === runType && last.runAfter === runAfterText) return last.run;
    const raw = { dag_id: fields[di] ?? '', run_id: fields[ri] ?? '', run_type: fields[ti] ?? '', run_after: fields[ai] ?? '' };
    const found: string[] = [];
    const bad = (column: keyof typeof raw, requirement: string): void => {
      found.push(`${this.file}:${line}: ${column}=${describeValue(raw[column])} ${requirement}`);
    };
    for (const [column, value] of [['dag_id', dagId], ['run_id', runId]] as const) {
      if (value === '') bad(column, `must not be empty when the row names a run (${RUN_COLUMNS.join(',')})`);
      else if (value.length > MAX_ID) bad(column, `is longer than ${MAX_ID} characters (Airflow's VARCHAR(${MAX_ID}))`);
    }
    const scheduled = runType === 'scheduled';
    if (runType !== '' && !(RUN_TYPES as readonly string[]).includes(runType)) bad('run_type', `must be empty (unknown) or one of ${RUN_TYPES.join(', ')}`);
    let runAfterMs = Number.NaN;
    if (runAfterText !== '') {
      runAfterMs = this.parseTime(runAfterText);
      if (Number.isNaN(runAfterMs)) bad('run_after', 'is neither ISO-8601 nor epoch seconds');
    } else if (scheduled) bad('run_after', 'must be given for a scheduled run: it is when the scheduler was due to create it');
    if (found.length > 0) {
      found.forEach(problem);
      return null;
    }

    const runAfter = runAfterMs / 1000;
    const known = this.builder.findRun(dagId, runId);
    if (known !== undefined) {
      const first = this.builder.runOf(known);
      const at = `line ${this.firstLine[known] ?? '?'}`;
      if (first.scheduled !== scheduled) {
        bad('run_type', `disagrees with ${at}, which gives this run (dag_id and run_id) another type`);
      } else if (!(Number.isNaN(first.runAfter) && Number.isNaN(runAfter)) && first.runAfter !== runAfter) {
        bad('run_after', `disagrees with ${at}, which gives this run (dag_id and run_id) another run_after`);
      }
      found.forEach(problem);
      if (found.length > 0) return null;
      this.last = { dagId, runId, runType, runAfter: runAfterText, run: known };
      return known;
    }
    const run = this.builder.runId(dagId, runId, scheduled, runAfter);
    this.firstLine[run] = line;
    this.last = { dagId, runId, runType, runAfter: runAfterText, run };
    return run;
  }
}
