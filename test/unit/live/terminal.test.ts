import { describe, expect, it } from 'vitest';

import type { Frame } from '../../../src/live/dashboard.js';
import { SHOWN_QUEUES, renderFrame } from '../../../src/live/dashboard.js';
import { humanLogLine } from '../../../src/live/log-lines.js';
import { TerminalView } from '../../../src/live/terminal.js';

function frame(queues: number, overrides: Partial<Frame> = {}): Frame {
  return {
    virtualSeconds: 3_723,
    speed: 20,
    queues: Array.from({ length: queues }, (_, i) => ({ queue: `a-rather-long-queue-name-${i}`, queued: 123_456, running: 7_890 })),
    workers: { starting: 10, ready: 120, draining: 11, terminating: 12, killed: 3 },
    keda: { replicas: 144, lastMetric: 150, active: true, errors: 12_345 },
    service: { formula: 140, forecastTasks: 123_456, dueDags: 1000, drained: 99_999, restored: 88_888, pollErrors: 7 },
    concurrency: 16,
    minReplicaCount: 0,
    maxReplicaCount: 1000,
    httpPort: 65_535,
    nextRun: { dagId: 'a_dag_id_far_longer_than_the_frame_has_room_for', inSeconds: 359_999 },
    ...overrides,
  };
}

class Screen {
  written = '';
  constructor(
    readonly isTTY: boolean,
    readonly columns = 80,
    readonly rows = 24,
  ) {}
  write(text: string): void {
    this.written += text;
  }
}

describe('the demo frame', () => {
  it.each([0, 1, SHOWN_QUEUES, 7])('has the same height and fits 79 columns with %d queues and big numbers', (queues) => {
    const lines = renderFrame(frame(queues));
    expect(lines).toHaveLength(renderFrame(frame(1)).length);
    for (const line of lines) expect(line.length, line).toBeLessThanOrEqual(79);
    expect(lines.length).toBeLessThan(23); // room above it for log lines at 80×24
  });

  it('has a legend for every figure it shows, and counts RPC and poll errors apart', () => {
    const text = renderFrame(frame(2)).join('\n');
    for (const word of ['forecast', 'formula', 'reported', 'replicas', 'draining', 'killed', 'errors']) expect(text).toContain(`${word} =`);
    expect(text).toContain('errors: 12345 rpc, 7 poll');
    expect(renderFrame(frame(SHOWN_QUEUES + 2)).join('\n')).toContain('(3 more queues: see /metrics)');
  });

  it("shows the service's forecast, its due DAGs and the scheduler's next run, or that there is none", () => {
    const text = renderFrame(frame(1, { service: { formula: 2, forecastTasks: 120, dueDags: 1, drained: 0, restored: 0, pollErrors: 0 }, nextRun: { dagId: 'hourly_etl', inSeconds: 95.5 } })).join('\n');
    expect(text).toContain('prewarm forecast 120 tasks, 1 due DAG   next run: hourly_etl in 00:01:35');
    const none = renderFrame(frame(1, { service: { formula: null, forecastTasks: null, dueDags: null, drained: 0, restored: 0, pollErrors: 0 }, nextRun: null })).join('\n');
    expect(none).toContain('prewarm forecast - tasks, -   next run: none');
  });
});

describe('TerminalView', () => {
  it('erases exactly the frame it drew before a log line, writes the line, then draws the frame below it', () => {
    const screen = new Screen(true);
    const view = new TerminalView(screen);
    view.frame(['one', 'two', 'three']);
    expect(screen.written).toBe('one\ntwo\nthree\n');
    screen.written = '';
    view.log('a log line');
    expect(screen.written).toBe('\u001b[3F\u001b[Ja log line\none\ntwo\nthree\n');
    screen.written = '';
    view.frame(['four']);
    expect(screen.written).toBe('\u001b[3F\u001b[Jfour\n');
  });

  it('cuts frame lines to the width minus one and the frame to the height minus one, so nothing wraps or scrolls away', () => {
    const screen = new Screen(true, 30, 5);
    const view = new TerminalView(screen);
    view.frame(Array.from({ length: 10 }, (_, i) => `${i}`.repeat(50)));
    const lines = screen.written.split('\n').filter((l) => l !== '');
    expect(lines).toHaveLength(4);
    for (const line of lines) expect(line).toHaveLength(29);
    screen.written = '';
    view.log('x');
    expect(screen.written.startsWith('\u001b[4F\u001b[Jx\n')).toBe(true);
  });

  it('without a terminal writes log lines only, no control sequences and no frame', () => {
    const screen = new Screen(false);
    const view = new TerminalView(screen);
    view.frame(['frame']);
    view.log('line');
    expect(screen.written).toBe('line\n');
  });
});

describe('humanLogLine', () => {
  it('turns a pino JSON line into time, level, message and fields, and passes other text through', () => {
    const line = JSON.stringify({ level: 'warn', time: '2026-11-29T14:03:07.123Z', service: 'airflow-keda-scaler', keys: ['workerconcurrency'], err: { message: 'boom', stack: 'x' }, msg: 'ignoring unknown scalerMetadata keys (a typo?)' });
    expect(humanLogLine(line)).toBe('14:03:07 WARN  ignoring unknown scalerMetadata keys (a typo?)  keys=["workerconcurrency"] err="boom"');
    expect(humanLogLine('not json')).toBe('not json');
  });
});
