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

describe('queued_at', () => {
  it('reads the canonical UTC form exactly as the general ISO-8601 path does', () => {
    for (const text of ['2024-01-01T00:00:00Z', '2024-02-29T23:59:59.999Z', '2024-07-04T12:34:56.1Z', '2023-12-31T08:00:00.123456Z']) {
      expect(parseQueuedAt(text), text).toBe(parseIsoTimestamp(text));
    }
    expect(parseQueuedAt('2024-02-30T00:00:00Z')).toBeNaN();
    expect(parseQueuedAt('1704067200.5')).toBe(1704067200500);
  });
});
