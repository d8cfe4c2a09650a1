import { describe, expect, it } from 'vitest';

import { SimInputError } from '../../../src/sim/input/errors.js';
import { parseIsoTimestamp } from '../../../src/sim/input/iso-time.js';
import { formatTraceRow, parseQueuedAt, parseTraceCsv, traceHeader } from '../../../src/sim/input/trace.js';

function problemsOf(text: string): readonly string[] {
  try {
    parseTraceCsv(text, '/tmp/week.csv');
  } catch (err) {
    if (err instanceof SimInputError) return err.problems;
    throw err;
  }
  throw new Error('expected a SimInputError');
}

describe('trace CSV', () => {
  it('reads ISO-8601 and epoch-second times in any column order, ignoring other columns, sorted by time', () => {
    const workload = parseTraceCsv(
      [
        'dag_hash,duration_seconds,QUEUED_AT,queue',
        'x,30,2024-01-01T10:01:00Z,default',
        'y,12.5,1704103230,high',
        '"z,1",7,2024-01-01 10:00:10+00,"default"',
        '',
      ].join('\r\n'),
      'mixed.csv',
    );
    // t = 0 is the whole minute before the first task (10:00:00).
    expect(workload.startEpochMs).toBe(Date.UTC(2024, 0, 1, 10));
    expect([...workload.queuedAt]).toEqual([10, 30, 60]);
    expect([...workload.duration]).toEqual([7, 12.5, 30]);
    expect([...workload.queue].map((q) => workload.queueNames[q])).toEqual(['default', 'high', 'default']);
  });

  it('names the file, the line, the column and the value of each bad row', () => {
    expect(
      problemsOf(
        [
          'queue,queued_at,duration_seconds',
          'default,2024-01-01T00:00:00Z,10',
          'default,2024-13-01T00:00:00Z,10',
          ',2024-01-01T00:00:00Z,-1',
          'default,2024-01-01T00:00:00Z',
          'default,1704067200,abc',
        ].join('\n'),
      ),
    ).toEqual([
      'week.csv:3: queued_at="2024-13-01T00:00:00Z" is neither ISO-8601 nor epoch seconds',
      'week.csv:4: queue="" must not be empty',
      'week.csv:4: duration_seconds="-1" must be a number >= 0',
      'week.csv:5: has 2 fields, the header has 3',
      'week.csv:6: duration_seconds="abc" must be a number >= 0',
    ]);
  });

  it('names a missing header column and lists the ones found', () => {
    expect(problemsOf('queue,queued,duration_seconds\ndefault,1,1\n')).toEqual([
      'week.csv:1: header lacks column "queued_at" (found: queue,queued,duration_seconds)',
    ]);
    expect(problemsOf('')).toEqual(['week.csv:1: empty file; expected a header row with queue,queued_at,duration_seconds']);
    expect(problemsOf('queue,queued_at,duration_seconds\n')).toEqual(['week.csv: no tasks after the header']);
  });

  it('stops listing after 20 problems and says how many more there are', () => {
    const rows = Array.from({ length: 25 }, () => 'default,never,1');
    const problems = problemsOf(['queue,queued_at,duration_seconds', ...rows].join('\n'));
    expect(problems).toHaveLength(21);
    expect(problems[20]).toBe('… and 5 more problems');
  });

  it('reads back what formatTraceRow writes, quoting where needed', () => {
    const csv = [
      traceHeader(['dag_hash']),
      formatTraceRow({ queue: 'a,b', queuedAtMs: Date.UTC(2024, 0, 1, 0, 0, 30), durationSeconds: 1.23456, extra: ['h"1'] }),
    ].join('\n');
    expect(csv).toBe('queue,queued_at,duration_seconds,dag_hash\n"a,b",2024-01-01T00:00:30.000Z,1.235,"h""1"');
    const workload = parseTraceCsv(csv, 'rt.csv');
    expect(workload.queueNames).toEqual(['a,b']);
    expect([...workload.queuedAt]).toEqual([30]);
    expect([...workload.duration]).toEqual([1.235]);
  });
});

describe('trace run columns', () => {
  const HEADER = 'queue,queued_at,duration_seconds,dag_id,run_id,run_type,run_after';

  it('reads each task\'s run, sorted with the tasks and shifted with the time origin', () => {
    const workload = parseTraceCsv(
      [
        'run_after,run_type,RUN_ID,dag_id,queue,queued_at,duration_seconds',
        '2024-01-01T10:00:00Z,scheduled,s1,etl,default,2024-01-01T10:00:09Z,30',
        ',,,,high,2024-01-01T10:00:04Z,5',
        '2024-01-01T10:00:00Z,scheduled,s1,etl,default,2024-01-01T10:00:02Z,30',
        ',manual,m1,etl,default,2024-01-01T10:30:00Z,30',
        '1704106800,backfill,b1,etl,default,2024-01-01T10:20:00Z,30',
      ].join('\n'),
      'runs.csv',
    );
    const runs = workload.runs!;
    expect([...workload.queuedAt]).toEqual([2, 4, 9, 1200, 1800]);
    expect([...runs.taskRun]).toEqual([0, -1, 0, 2, 1]);
    expect(runs.dagIds).toEqual(['etl']);
    expect([...runs.runScheduled]).toEqual([1, 0, 0]);
    // run_after on t = 0 (10:00): 0, unknown for the manual run, and 11:00 (epoch seconds) for the backfill.
    expect([...runs.runAfter]).toEqual([0, Number.NaN, 3600]);
  });

  it('keeps a run of unknown type (export-trace without SELECT on dag_run) as not scheduled', () => {
    const workload = parseTraceCsv(`${HEADER}\ndefault,1704067200,1,d1,r1,,\ndefault,1704067201,1,d1,r1,,\n`, 'unknown.csv');
    expect([...workload.runs!.taskRun]).toEqual([0, 0]);
    expect([...workload.runs!.runScheduled]).toEqual([0]);
  });

  it('has no runs without the run columns', () => {
    expect(parseTraceCsv('queue,queued_at,duration_seconds\ndefault,1704067200,1\n', 'plain.csv').runs).toBeNull();
  });

  it('wants the four run columns together', () => {
    expect(problemsOf('queue,queued_at,duration_seconds,dag_id,run_id\ndefault,1,1,a,b\n')).toEqual([
      'week.csv:1: header lacks column "run_type": the run columns go together (dag_id,run_id,run_type,run_after)',
      'week.csv:1: header lacks column "run_after": the run columns go together (dag_id,run_id,run_type,run_after)',
    ]);
  });

  it('names the line, the column and the value of each bad run, and a run that disagrees with itself', () => {
    expect(
      problemsOf(
        [
          HEADER,
          'default,1704067200,1,etl,,scheduled,1704067200',
          'default,1704067200,1,etl,r1,Scheduled,1704067200',
          'default,1704067200,1,etl,r1,scheduled,',
          'default,1704067200,1,etl,r1,scheduled,yesterday',
          `default,1704067200,1,${'d'.repeat(251)},r1,manual,`,
          'default,1704067200,1,etl,r2,scheduled,1704067200',
          'default,1704067260,1,etl,r2,manual,1704067200',
          'default,1704067260,1,etl,r2,scheduled,1704067260',
        ].join('\n'),
      ),
    ).toEqual([
      'week.csv:2: run_id="" must not be empty when the row names a run (dag_id,run_id,run_type,run_after)',
      'week.csv:3: run_type="Scheduled" must be empty (unknown) or one of scheduled, manual, backfill, asset_triggered, dataset_triggered, asset_materialization',
      'week.csv:4: run_after="" must be given for a scheduled run: it is when the scheduler was due to create it',
      'week.csv:5: run_after="yesterday" is neither ISO-8601 nor epoch seconds',
      `week.csv:6: dag_id="${'d'.repeat(80)}…" is longer than 250 characters (Airflow's VARCHAR(250))`,
      'week.csv:8: run_type="manual" disagrees with line 7, which gives this run (dag_id and run_id) another type',
      'week.csv:9: run_after="1704067260" disagrees with line 7, which gives this run (dag_id and run_id) another run_after',
    ]);
  });

  it('reads back what formatTraceRow writes with the run columns', () => {
    const csv = [
      traceHeader(['dag_id', 'run_id', 'run_type', 'run_after']),
      formatTraceRow({ queue: 'default', queuedAtMs: Date.UTC(2024, 0, 1, 0, 0, 30), durationSeconds: 2, extra: ['d1', 'r1', 'scheduled', new Date(Date.UTC(2024, 0, 1)).toISOString()] }),
    ].join('\n');
    const workload = parseTraceCsv(csv, 'rt.csv');
    expect([...workload.runs!.runAfter]).toEqual([0]);
    expect([...workload.queuedAt]).toEqual([30]);
  });
});

describe('queued_at', () => {
  it('reads the canonical UTC form exactly as the general ISO-8601 path does', () => {
    for (const text of ['2024-01-01T00:00:00Z', '2024-02-29T23:59:59.999Z', '2024-07-04T12:34:56.1Z', '2023-12-31T08:00:00.123456Z']) {
      expect(parseQueuedAt(text), text).toBe(parseIsoTimestamp(text));
    }
    expect(parseQueuedAt('2024-02-30T00:00:00Z')).toBeNaN();
    expect(parseQueuedAt('1704067200.5')).toBe(1704067200500);
  });
});
